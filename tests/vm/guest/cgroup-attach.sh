#!/bin/bash
# Runs inside the cgroup v2 VM (tests/vm/tests/30-cgroup-attach.sh).
# The login process enters its session cgroup by the pidfd that pins it,
# never by a bare pid: cg_attach() itself against recycled pids
# (build/tests/cg-attach-check); the helper and the keeper when the login
# process dies between the pin and the move (fault point
# cgroup-attach-before-write): the login fails, nothing else (PID 1 above
# all) lands in the user's cgroup, the leaf goes; and a keeper that answers
# a fast join too late: the helper's session gets a cgroup leaf of its own
# (before: EEXIST on the same cookie's leaf), the abandoned one goes.
. "$(dirname "$0")/../../lib/tenant.sh"
require_root
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip_all "not a cgroup v2 host"
require_cmd sshd ssh
[ -x "$E2E_ROOT/build/tests/cg-attach-check" ] || bail_out "build/tests/cg-attach-check not built"
tmpdir_create
start_syslog
start_auditd
make_user tc-a
make_user tc-b
A=$(user_uid tc-a)
B=$(user_uid tc-b)
CG=/sys/fs/cgroup/tenant.slice
FAULTS=$E2E_BUILD/faults
tenant_config '[default]' 'on_logout = keep'
tenant_stack "$T/stack" timeout=10
start_sshd "$T/stack"
install -d -m 0755 "$FAULTS"
on_exit "rm -rf '$FAULTS'"
fault() { # fault NAME [ACTION]: set (or with no ACTION clear) a fault point
	if [ -n "${2:-}" ]; then
		printf '%s\n' "$2" >"$FAULTS/$1"
		chmod 0644 "$FAULTS/$1"
	else
		rm -f "$FAULTS/$1"
	fi
}
pid1_cg=$(cat /proc/1/cgroup)

# ---- 1. cg_attach() itself (its TAP lines, prefixed) ----
while IFS= read -r line; do
	case $line in
	"ok "*) ok 0 "cg_attach: ${line#ok * - }" ;;
	"not ok "*) ok 1 "cg_attach: ${line#not ok * - }" ;;
	"Bail out!"*) ok 1 "cg_attach: $line" ;;
	"#"*) diag "${line#\# }" ;;
	esac
done < <("$E2E_ROOT/build/tests/cg-attach-check" 2>&1)

# kill_when_waiting COMM: once a COMM process sleeps in the fault point,
# SIGKILL the login process it is about to move (the helper's parent; for
# the keeper, the newest sshd session process), and print its pid.
newest_session() {
	_e2e_ps | awk -v p="$SSHD_PID" '$2 == p { print $6, $1 }' | sort -n | tail -n 1 | cut -d' ' -f2
}

# ---- 2. the helper: its parent dies between the pin and the move ----
mark=$(syslog_mark)
amark=$(audit_mark)
fault cgroup-attach-before-write 'sleep 6'
ssh_as tc-a 'echo LOGGED-IN' >"$T/a.out" 2>&1 &
client=$!
wait_until 60 syslog_since_mark "$mark" 'fault injection: cgroup-attach-before-write'
ok $? "the helper waits at the fault point"
helper=$(helper_pids | head -n 1)
leader=$(awk '/^PPid:/ { print $2 }' "/proc/$helper/status" 2>/dev/null)
diag "helper $helper, its parent (the login process) $leader"
ok "$([ -n "$leader" ] && [ "$leader" -gt 1 ]; echo $?)" "... its parent is the login process"
[ -n "$leader" ] && [ "$leader" -gt 1 ] && kill -KILL "$leader"
fault cgroup-attach-before-write
wait "$client"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 15 "$amark" "op=tenant-deny id=$A .*reason=\"the login process (\\(pid $leader\\) )?exited (before|while)"
	ok $? "the helper refuses (audited): the login process exited before/while it was moved"
else
	skip "no audit in this kernel" "the helper's refusal is audited"
fi
is "$(cat /proc/1/cgroup)" "$pid1_cg" "PID 1 stays in its cgroup ($pid1_cg)"
ok "$(! grep -qx 1 $CG/user-$A/*/cgroup.procs 2>/dev/null; echo $?)" "... and is in no leaf of the user"
wait_until 15 eval "[ -z \"\$(ls -d $CG/user-$A/session-* 2>/dev/null)\" ]"
ok $? "the session's leaf is removed"
like "$(ssh_as tc-a 'cat /proc/self/cgroup')" "^0::/tenant.slice/user-$A/session-[0-9a-f]{32}$" \
    "the next login of that user works, in its own leaf"

# ---- 3. the keeper's fast join: the login process dies likewise ----
ssh_bg_as tc-b 'exec sleep 300'
wait_until 60 test -S "/run/pam_tenant/tenants/user-$B/keeper.sock"
ok $? "a session holds tc-b's tenant"
keeper=$(sed -n 's/^keeper_pid //p' "/run/pam_tenant/tenants/user-$B/info")
sleep 1
mark=$(syslog_mark)
fault cgroup-attach-before-write 'sleep 3'
ssh_as tc-b 'echo LOGGED-IN' >"$T/b.out" 2>&1 &
client=$!
wait_until 60 syslog_since_mark "$mark" 'fault injection: cgroup-attach-before-write'
ok $? "the keeper waits at the fault point"
leader=$(newest_session)
diag "killing the login process $leader"
[ -n "$leader" ] && kill -KILL "$leader"
fault cgroup-attach-before-write
wait "$client"
sleep 4
is "$(cat /proc/1/cgroup)" "$pid1_cg" "PID 1 stays in its cgroup"
n=$(cat $CG/user-$B/session-*/cgroup.procs 2>/dev/null | grep -cx "$leader")
is "$n" 0 "the dead login's pid is in no leaf of the user"
is "$(sed -n 's/^keeper_pid //p' "/run/pam_tenant/tenants/user-$B/info")" "$keeper" "the keeper lives on"
wait_until 15 eval "[ \$(ls -d $CG/user-$B/session-* 2>/dev/null | wc -l) -eq 1 ]"
ok $? "only the held session's leaf is left"

# ---- 4. a fast join answered too late: a leaf of its own ----
mark=$(syslog_mark)
fault keeper-open-before-answer 'sleep 6'
out=$(ssh_as tc-b 'echo cookie=$TENANT_SESSION; cat /proc/self/cgroup')
rc=$?
fault keeper-open-before-answer
is "$rc" 0 "a fast join answered after half the deadline: the login works (helper, new cookie)"
cookie=$(printf '%s\n' "$out" | sed -n 's/^cookie=//p')
like "$out" "0::/tenant.slice/user-$B/session-$cookie" "... in the leaf of its own cookie"
abandoned=$(syslog_since "$mark" | sed -n 's/.*; session \([0-9a-f]\{32\}\) abandoned.*/\1/p' | head -n 1)
ok "$([ -n "$abandoned" ] && [ "$abandoned" != "$cookie" ]; echo $?)" "... not the abandoned one ($abandoned)"
wait_until 20 eval "[ ! -d $CG/user-$B/session-$abandoned ]"
ok $? "the abandoned session's leaf is removed"

ssh_as tc-b 'pkill -x sleep; true' >/dev/null 2>&1
wait_no_tenants 30
ok $? "all tenants end"
done_testing
