#!/bin/bash
# The admin's view: tenantctl check/explain/list/status against the live
# system, pamtester driving the PAM stack directly, and the audit record of
# an isolated session carrying the same cookie the session sees.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh pamtester
tmpdir_create
start_syslog
start_auditd
make_user tu-ctl
uid=$(user_uid tu-ctl)
tenant_config '[default]' 'on_logout = keep' '' '[user tu-ctl]' 'tmp.size = 128M'
tenant_stack "$T/stack"
start_sshd "$T/stack"
wait_no_tenants 10

out=$($TENANTCTL check 2>&1)
ok $? "tenantctl check accepts the config"
like "$out" '1 file\(s\) OK' "... and says so"
printf '[default]\nisolate = maybe\n' >"$T/bad.conf"
out=$($TENANTCTL check "$T/bad.conf" 2>&1)
is "$?" "1" "tenantctl check FILE exits 1 on an error"
like "$out" "$T/bad.conf:2: isolate: " "... naming file:line"
printf '[default]\nmemory.max = 2048\nmemory.high = 1G\n[user tu-nosuchuser]\ncpu = 50%%\n[group tu-nosuchgroup]\ncpu = 50%%\n[group students-x]\nmemory.max = 0\n' >"$T/warn.conf"
out=$($TENANTCTL check "$T/warn.conf" 2>&1)
is "$?" "0" "tenantctl check: warnings do not change the exit status"
like "$out" "warning: $T/warn.conf:2: memory.max = 2048 bytes is below 8M" "... warns about a tiny memory.max, with file:line"
like "$out" "warning: $T/warn.conf:3: memory.high is above memory.max \\($T/warn.conf:2\\)" "... about memory.high above memory.max"
like "$out" "warning: $T/warn.conf:4: \\[user tu-nosuchuser\\]: no such user" "... about a user NSS does not know"
like "$out" "warning: $T/warn.conf:6: \\[group tu-nosuchgroup\\]: no such group" "... about a group NSS does not know"
like "$out" "warning: $T/warn.conf:9: memory.max = 0: .*no login can work" "... about memory.max = 0"
# A host without usable cgroup v2 (this kind of build host) adds one:
# limits set, nothing to enforce them with.
nwarn=7
if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
	nwarn=8
	like "$out" "warning: $T/warn.conf:2: memory.max is set, but this host has no usable cgroup v2 hierarchy" \
		"... about limits on a host without cgroup v2, with file:line"
fi
like "$out" "1 file\\(s\\) OK, $nwarn warning\\(s\\)" "... and counts them"
unlike "$($TENANTCTL check 2>&1)" 'warning' "the test config has no warnings"
# A read-only tmpfs at /run/pam_tenant (here in a mount namespace of
# check's own) is what a tenant's marker looks like; without a marker the
# module refuses every login, root's included: check says so.
[ -d /run/pam_tenant ] || install -d -m 0700 /run/pam_tenant # the mount point
out=$(unshare -m --propagation private bash -c \
    'mount -t tmpfs -o ro,mode=0700 look-alike /run/pam_tenant && "$1" check' _ "$TENANTCTL" 2>&1)
is "$?" "1" "tenantctl check: a read-only tmpfs at /run/pam_tenant is an error"
like "$out" "cannot tell whether this is inside a tenant: .*root's included.*unmount" "... saying that every login, root's included, is refused"

out=$($TENANTCTL explain tu-ctl --service "$SSHD_PAM_SERVICE")
like "$out" "tmp.size += 128M +# from $TENANT_ETC/tenant.conf:5" "explain shows the value and the line that decided it"
like "$out" "on_logout += keep +# from $TENANT_ETC/tenant.conf:2" "... for every key"
like "$out" "namespaces += mount pid ipc uts +# built-in default" "... or that it is the built-in default"
if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
	like "$out" 'quotas: unavailable on this host' "explain says plainly that quotas are unavailable here"
fi
like "$($TENANTCTL explain root)" 'root is never isolated' "explain root: never isolated"

# A live session, seen by the admin and by audit.
amark=$(audit_mark)
ssh_bg_as tu-ctl 'echo $TENANT_SESSION >/tmp/cookie; exec sleep 60'
wait_until 10 ssh_as tu-ctl 'test -s /tmp/cookie'
on_exit "ssh_as tu-ctl 'pkill -x sleep; true' >/dev/null 2>&1"
cookie=$(ssh_as tu-ctl 'cat /tmp/cookie')
like "$cookie" '^[0-9a-f]{32}$' "the session's cookie"
wait_until 5 eval '[[ $($TENANTCTL list) =~ user-$uid\ +$uid\ +tu-ctl\ +1\  ]]'
like "$($TENANTCTL list)" "user-$uid +$uid +tu-ctl +1 " "tenantctl list shows the tenant with one session"
st=$($TENANTCTL status tu-ctl)
like "$st" "session $cookie " "tenantctl status lists the session by its cookie"
js=$($TENANTCTL status tu-ctl --json)
is "$?" "0" "status --json exits 0"
like "$js" "\"tenant\":\"user-$uid\",\"uid\":$uid,\"user\":\"tu-ctl\",\"sessions\":1" "status --json"
like "$js" "\"session_list\":\\[\\{\"cookie\":\"$cookie\",\"since\":[0-9]+,\"on_logout\":\"keep\",\"service\":\"$SSHD_PAM_SERVICE\"\\}\\]" \
	"... sessions as objects: cookie, since, on_logout, service"
unlike "$js" '"info":' "... not the keeper's raw info text"
if command -v python3 >/dev/null; then
	printf '%s' "$js" | python3 -c 'import json,sys; json.load(sys.stdin)'
	ok $? "... and it is valid JSON"
fi
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 5 "$amark" "type=USER .*op=tenant-isolate id=$uid tenant_session=$cookie acct=\"tu-ctl\""
	ok $? "the isolate record carries the uid and the same cookie (ausearch)"
	interp=$(audit_search "$amark" -i -m USER | grep "tenant_session=$cookie" | head -n 1)
	like "$interp" "id=tu-ctl" "ausearch -i resolves the uid"
fi

# pamtester drives the same stack without ssh: open and close succeed.
amark=$(audit_mark)
out=$(pamtester -v "$SSHD_PAM_SERVICE" tu-ctl open_session close_session 2>&1)
ok $? "pamtester open_session close_session through pam_tenant" || diag "$out"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 5 "$amark" "op=tenant-session-end id=$uid .*service=\"$SSHD_PAM_SERVICE\" .*reason=\"logout\""
	ok $? "... and its session end is audited"
fi
ssh_as tu-ctl 'pkill -x sleep'
wait "$SSH_BG_PID" 2>/dev/null

# A user name with a C1 CSI byte (0x9b: "clear screen" follows on an
# 8-bit terminal) must reach the admin's terminal escaped, in the table
# and in the detail view.  (useradd refuses ESC itself.)
evil=$(printf 'tu-c\2332J')
make_user "$evil" --badname
ssh_bg_as "$evil" 'exec sleep 60'
wait_until 10 eval '[ "$($TENANTCTL list | grep -c "^user-$(user_uid "$evil") ")" = 1 ]'
shown=$($TENANTCTL list; $TENANTCTL status "$evil")
is "$(printf '%s' "$shown" | LC_ALL=C grep -c $'\x9b')" "0" "list and status send no raw CSI byte of a user name"
is "$(printf '%s\n' "$shown" | grep -cF 'tu-c\x9b2J')" "2" "... but show it as \\x9b"
kill "$SSH_BG_PID" 2>/dev/null
kill_user_procs "$(user_uid "$evil")"
wait_no_tenants 15
ok $? "nothing left"
like "$($TENANTCTL list)" '^TENANT' "tenantctl list is empty again"

# The command line: no tenant to end, needs root, bad options, version.
out=$($TENANTCTL terminate tu-ctl 2>&1)
is "$?" "3" "terminate of a user without a tenant exits 3"
like "$out" "no live tenant for tu-ctl \\(uid $uid\\)" "... and says so"
for args in list 'terminate tu-ctl'; do
	cmd=${args%% *}
	out=$(setpriv --reuid="$uid" --regid="$uid" --clear-groups -- $TENANTCTL $args 2>&1; echo "rc=$?")
	like "$out" "tenantctl: $cmd needs root.*rc=4" "$cmd as a non-root user: needs root, exit 4"
	unlike "$out" 'Permission denied' "... not an errno text"
done
# status by a user outside any tenant: their own view needs a tenant (e2e 64).
out=$(setpriv --reuid="$uid" --regid="$uid" --clear-groups -- $TENANTCTL status --json 2>&1; echo "rc=$?")
like "$out" "tenantctl: status: this session is not inside a tenant.*rc=4" "status as a non-root user outside a tenant: says why, exit 4"
unlike "$out" 'Permission denied' "... not an errno text"
out=$($TENANTCTL list --bogus 2>&1)
is "$?" "2" "list --bogus exits 2"
like "$out" "list: unknown option '--bogus'" "... naming the bad word"
like "$($TENANTCTL --version)" '^tenantctl \(pam_tenant\) [0-9]+\.[0-9]+' "--version"
done_testing
