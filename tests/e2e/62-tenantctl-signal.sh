#!/bin/bash
# The admin's tools for issue 11: tenantctl check --pam against the fixture
# PAM trees, and tenantctl kill / terminate --session against a live
# tenant with two ssh sessions (a signal a session process traps; one
# session ended, the other and the tenant left alive), audited.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh python3
tmpdir_create
start_syslog
start_auditd
make_user tu-sig
uid=$(user_uid tu-sig)
NL=$'\n'
FX=$(cd "$(dirname "$0")/../fixtures/pam.d" && pwd)

# ---- check --pam ------------------------------------------------------
tenant_config '[default]' 'on_logout = keep' '' '[service systemd-user]' 'isolate = no'
out=$($TENANTCTL check --pam --pam-dir "$FX" 2>&1)
is "$?" "1" "check --pam exits 1 while a session-opening service runs without pam_tenant"
like "$out" "tenantctl: cron: opens sessions without pam_tenant, and the configuration does not exempt it" \
	"... naming it (cron: @include'd stack, a commented pam_tenant line)"
like "$out" "(^|$NL)cron +unisolated +- +-" "... cron unisolated in the table"
like "$out" "(^|$NL)sshd +isolated +required +sshd:5" "sshd: isolated, required, at sshd:5"
like "$out" "(^|$NL)login +isolated +\\[success=ok default=ignore\\] +common-tenant:2" \
	"login: pam_tenant from a 'session include', its [..] control shown"
like "$out" "warning: login: pam_tenant \\(common-tenant:2\\) has control '\\[success=ok default=ignore\\]'" \
	"... and warned about (fails open)"
like "$out" "warning: su: pam_tenant \\(su:3\\) comes before pam_systemd \\(common-session:6\\)" \
	"su: pam_tenant before pam_systemd warns"
like "$out" "warning: su-l: pam_tenant \\(su:3\\) comes before pam_systemd" "... su-l too (session include su)"
like "$out" "(^|$NL)systemd-user +exempt " "systemd-user without pam_tenant, exempted by [service systemd-user]: ok"
unlike "$out" "systemd-user: opens sessions" "... not reported unisolated"
like "$out" "(^|$NL)xrdp-sesman +isolated +required +xrdp-sesman:4" "xrdp-sesman: the -session line, not the commented one"
like "$out" "warning: xrdp-sesman: pam_tenant \\(xrdp-sesman:4\\) is a '-session' line" "... warned about"
like "$out" "warning: sudo-i: pam_namespace is also stacked \\(sudo-i:2\\)" "pam_namespace next to pam_tenant warns"
like "$out" "(^|$NL)sudo-i +isolated +required +sudo-i:4" "a continued line is read as one"
unlike "$out" "(^|$NL)(passwd|chfn|common-session|common-tenant|sshd\\.dpkg-old) " \
	"no session phase, only pam_permit, fragments and backups are not listed"
like "$out" "9 session-opening service\\(s\\) in $FX: 6 isolated, 1 exempt, 2 unisolated" "the summary counts"
js=$($TENANTCTL check --pam --pam-dir "$FX" --json 2>/dev/null)
is "$?" "1" "--json: the same exit status"
printf '%s' "$js" | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = {x["service"]: x for x in d["services"]}
assert d["unisolated"] == 2, d["unisolated"]
assert s["cron"]["status"] == "unisolated" and s["cron"]["pam_tenant"] is None
assert s["su"]["pam_tenant"]["index"] < s["su"]["pam_systemd"]["index"]
assert s["xrdp-sesman"]["pam_tenant"]["optional_if_missing"] is True
assert s["systemd-user"]["config_exempts"] is True
assert s["login"]["pam_tenant"]["control"] == "[success=ok default=ignore]"
'
ok $? "--json: valid, with the same findings"
tenant_config '[default]' 'on_logout = keep' '' '[service systemd-user]' 'isolate = no' \
	'[service cron]' 'isolate = no' '[service loop]' 'isolate = no'
out=$($TENANTCTL check --pam --pam-dir "$FX" 2>&1)
is "$?" "0" "exempting cron and loop: exit 0"
like "$out" "6 isolated, 3 exempt, 0 unisolated" "... counted as exempt"
printf '[default]\nisolate = maybe\n' >"$T/bad.conf"
$TENANTCTL check --pam --pam-dir "$FX" "$T/bad.conf" >/dev/null 2>&1
is "$?" "1" "check --pam FILE: a broken config is an error"
mkdir "$T/pam.d"
printf 'session required pam_unix.so\n' >"$T/pam.d/$(printf 'ev\2332Jil')"
out=$($TENANTCTL check --pam --pam-dir "$T/pam.d" 2>&1)
is "$(printf '%s' "$out" | LC_ALL=C grep -c $'\x9b')" "0" "a service name's CSI byte is not sent to the terminal"
like "$out" 'ev\\x9b2Jil +unisolated' "... but shown as \\x9b"
$TENANTCTL check --pam --pam-dir "$T/nonexistent" >/dev/null 2>&1
is "$?" "1" "a missing PAM directory: exit 1"
out=$($TENANTCTL check --pam --pam-dir "$FX/../pam-skip.d" 2>&1)
like "$out" "warning: jump: pam_tenant \\(jump:3\\) can be skipped: '\\[success=1 default=ignore\\]' at jump:2 jumps over it" \
	"a [success=1] jump over pam_tenant warns, naming the line"
like "$out" "warning: sufficient: pam_tenant \\(sufficient:2\\) can be skipped: 'sufficient' at sufficient:1 ends" \
	"... as does 'sufficient' before it"
unlike "$out" "warning: (sshd|short-jump|done-in-substack):" \
	"... Debian's [default=1] over pam_deny and jumps kept in a substack do not"
DIST=$(cd "$FX/../pam-dist.d" && pwd)
out=$($TENANTCTL check --pam --pam-dir "$FX" --pam-dist-dir "$DIST" 2>&1)
like "$out" "(^|$NL)vendor-login +isolated +required +$DIST/vendor-login:2" \
	"a service only in the distribution's directory (/usr/lib/pam.d) is checked"
like "$out" "(^|$NL)sshd +isolated +required +sshd:5" "... one also in the admin's is the admin's"
$TENANTCTL check --pam --bogus >/dev/null 2>&1
is "$?" "2" "check --pam --bogus: exit 2"

# ---- kill and terminate --session --------------------------------------
tenant_config '[default]' 'on_logout = keep'
tenant_stack "$T/stack"
start_sshd "$T/stack"
wait_no_tenants 10

if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
	diag "cgroup v2: sessions have a cgroup leaf; terminate --session signals its processes"
else
	diag "no cgroup v2: a session's processes are its leader's descendants in the tenant"
fi
# Session A traps WINCH (ignored by default: sshd's own processes in the
# tenant, which get it too, as with loginctl kill-user, go on); B sleeps.
ssh_bg_as tu-sig 'echo $TENANT_SESSION >/tmp/a; trap "echo winch >>/tmp/got" WINCH; while :; do sleep 0.2; done'
pid_a=$SSH_BG_PID
wait_until 30 ssh_as tu-sig 'test -s /tmp/a'
ok $? "session A runs"
ssh_bg_as tu-sig 'echo $TENANT_SESSION >/tmp/b; exec sleep 300'
pid_b=$SSH_BG_PID
wait_until 30 ssh_as tu-sig 'test -s /tmp/b'
ok $? "session B runs"
cookie_a=$(ssh_as tu-sig 'cat /tmp/a')
cookie_b=$(ssh_as tu-sig 'cat /tmp/b')
wait_until 5 eval '[[ $($TENANTCTL list) =~ user-$uid\ +$uid\ +tu-sig\ +2\  ]]'
ok $? "one tenant, two sessions"
# The bash completion offers the live tenant's user and session cookies.
comp() {
	PATH=$E2E_BUILD:$PATH bash -c '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tenantctl; echo "${COMPREPLY[*]}"' \
		"$(dirname "$0")/../../tools/bash-completion/tenantctl" "$@"
}
is "$(comp tenantctl kill tu-s)" "tu-sig" "completion: kill offers the user with a live tenant"
like "$(comp tenantctl terminate tu-sig --session "${cookie_a:0:3}")" "$cookie_a" \
	"completion: terminate USER --session offers its session cookies"
like "$(comp tenantctl kill tu-sig --session '')" "^[0-9a-f]{32} [0-9a-f]{32}$" "... both of them"
keeper=$($TENANTCTL status tu-sig --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["tenants"][0]["keeper_pid"])')

amark=$(audit_mark)
out=$($TENANTCTL kill tu-sig --signal WINCH 2>&1)
is "$?" "0" "kill --signal WINCH exits 0"
like "$out" "sent SIGWINCH to [1-9][0-9]* process\\(es\\) of user-$uid" "... and says how many"
wait_until 5 ssh_as tu-sig 'grep -q winch /tmp/got'
ok $? "the trapping process of the tenant got SIGWINCH"
_e2e_alive "$pid_a"
ok $? "... and session A goes on (it trapped it)"
like "$($TENANTCTL status tu-sig --json)" "\"keeper_pid\":$keeper," "... the tenant is the same (kill does not end it)"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 5 "$amark" "type=USER .*op=tenant-kill id=$uid .*signal=SIGWINCH processes=[0-9]+ passes=1 requester_pid=[0-9]+"
	ok $? "kill is audited (op=tenant-kill, signal, processes, requester)"
fi
_e2e_alive "$pid_b"
ok $? "... so is session B"
like "$($TENANTCTL list)" "user-$uid +$uid +tu-sig +2 " "... both sessions are still the tenant's"

# End B alone, by its cookie.
amark=$(audit_mark)
out=$($TENANTCTL terminate tu-sig --session "$cookie_b" 2>&1)
is "$?" "0" "terminate --session exits 0" || diag "$out"
like "$out" "sent SIGTERM to [1-9][0-9]* process\\(es\\) of session $cookie_b of user-$uid" "... SIGTERM to that session's processes"
like "$out" "session $cookie_b of user-$uid: all processes exited after SIGTERM" "... which was enough (no SIGKILL after the grace)"
wait_until 5 eval '! _e2e_alive '"$pid_b"
ok $? "session B ended"
_e2e_alive "$pid_a"
ok $? "session A is alive"
wait_until 10 eval '[[ $($TENANTCTL list) =~ user-$uid\ +$uid\ +tu-sig\ +1\  ]]'
ok $? "the tenant goes on with session A"
like "$($TENANTCTL status tu-sig)" "session $cookie_a " "... listed by its cookie"
unlike "$($TENANTCTL status tu-sig)" "session $cookie_b " "... B is not"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 5 "$amark" "type=USER .*op=tenant-session-signal id=$uid tenant_session=$cookie_b .*signal=SIGTERM processes=[1-9][0-9]* passes=1 grace_ms=5000"
	ok $? "terminate --session is audited with the session's cookie"
fi

# A unique prefix of a cookie names the session (as status shows it).
out=$($TENANTCTL kill tu-sig --session "${cookie_a:0:8}" -s 28 2>&1)
is "$?" "0" "kill --session PREFIX -s 28 (WINCH)" || diag "$out"
wait_until 5 ssh_as tu-sig 'test $(grep -c winch /tmp/got) -ge 2'
ok $? "... session A's process got it"
out=$($TENANTCTL terminate tu-sig --session ffffffffffffffffffffffffffffffff 2>&1)
is "$?" "3" "terminate --session of no such session exits 3"
like "$out" "no live session for tu-sig \\(uid $uid\\) named 'fff" "... and says so"
out=$($TENANTCTL kill tu-sig --signal NOPE 2>&1)
is "$?" "2" "an unknown signal name exits 2"
out=$(setpriv --reuid="$uid" --regid="$uid" --clear-groups -- $TENANTCTL kill tu-sig 2>&1; echo "rc=$?")
like "$out" "kill needs root.*rc=4" "kill as a non-root user: exit 4"

# TERM by default; A's loop dies, its session and the tenant end.
out=$($TENANTCTL kill tu-sig 2>&1)
like "$out" "sent SIGTERM to" "kill sends SIGTERM by default"
wait_until 10 eval '! _e2e_alive '"$pid_a"
ok $? "... which ends session A"
wait_no_tenants 15
ok $? "nothing left"
out=$($TENANTCTL kill tu-sig 2>&1)
is "$?" "3" "kill of a user without a tenant exits 3"

# Without a PID namespace the keeper finds the tenant's processes by its
# mount namespace in the host's /proc.
tenant_config '[default]' 'on_logout = keep' 'namespaces = mount ipc uts'
ssh_bg_as tu-sig 'echo $TENANT_SESSION >/tmp/a; trap "echo winch >>/tmp/got" WINCH; while :; do sleep 0.2; done'
pid_a=$SSH_BG_PID
wait_until 30 ssh_as tu-sig 'test -s /tmp/a'
ok $? "no PID namespace: session A runs"
unlike "$($TENANTCTL status tu-sig)" "ns_pid" "... in a tenant without a PID namespace"
cookie_a=$(ssh_as tu-sig 'cat /tmp/a')
out=$($TENANTCTL kill tu-sig -s WINCH 2>&1)
like "$out" "sent SIGWINCH to [1-9][0-9]* process\\(es\\)" "no PID namespace: kill signals the tenant's processes"
wait_until 5 ssh_as tu-sig 'grep -q winch /tmp/got'
ok $? "... the trapping one got it"
_e2e_alive "$pid_a"
ok $? "... and goes on"
out=$($TENANTCTL terminate tu-sig --session "$cookie_a" --grace 0 2>&1)
like "$out" "sent SIGKILL to [1-9][0-9]* process\\(es\\) of session $cookie_a" "no PID namespace: terminate --session --grace 0 (SIGKILL at once)"
wait_until 5 eval '! _e2e_alive '"$pid_a"
ok $? "... ends the session"
wait_no_tenants 15
ok $? "... and with it the tenant (on_logout = keep, nothing left)"
done_testing
