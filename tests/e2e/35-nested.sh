#!/bin/bash
# A nested login from inside a tenant never yields a shell of another user
# (root above all) in that user's mount namespace: `su -` to root and to
# another user are denied, su to yourself stays where it is.  This holds
# with and without a PID namespace, and after the keeper was SIGKILLed
# (its state left behind, then replaced by a new tenant's) while the old
# session's processes live on.  Root inside a tenant is made by
# build/tests/tenant-root; pam_rootok lets it su without a password.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd su expect sshd ssh
test_bin TENANT_ROOT tenant-root
grep -q '^auth[[:space:]]*sufficient[[:space:]]*pam_rootok.so' /etc/pam.d/su ||
    skip_all "/etc/pam.d/su has no 'auth sufficient pam_rootok.so'"
tmpdir_create
start_syslog
make_user tu-nest-a
make_user tu-nest-b
uid_a=$(user_uid tu-nest-a)
uid_b=$(user_uid tu-nest-b)
pw_b=$(user_password tu-nest-b)
tenant_stack "$T/stack"
start_sshd "$T/stack"
su_with_tenant
wait_no_tenants 10

# session_pid: the host pid of tu-nest-a's newest `sleep` (a session process).
session_pid() {
	pgrep -n -u tu-nest-a -x sleep
}
# root_in PID CMD: run CMD with /bin/sh as uid 0 inside PID's tenant.
root_in() {
	timeout -k 5 30 "$TENANT_ROOT" "$1" /bin/sh -c "$2" 2>&1
}
# keeper_of UID: the pid of the keeper of user-UID, from its info file.
keeper_of() {
	sed -n 's/^keeper_pid //p' "/run/pam_tenant/tenants/user-$1/info" 2>/dev/null
}
# nested_checks PID WHAT: the three su cases from inside PID's tenant.
nested_checks() {
	local p=$1 what=$2 out mark
	mark=$(syslog_mark)
	out=$(root_in "$p" 'su - -c "echo ROOT-\$((6*7))"; echo rc=$?')
	unlike=$(printf '%s' "$out" | grep -c ROOT-42)
	is "$unlike" "0" "$what: su - to root from root inside runs nothing ($out)"
	like "$out" 'rc=1' "$what: ... su fails"
	syslog_wait 5 "$mark" "pam_tenant\\(su-l:session\\): denied session for root: login as uid 0 from inside the tenant of uid $uid_a"
	ok $? "$what: ... syslog names root and the tenant's uid"
	out=$(root_in "$p" 'su - tu-nest-b -c "echo B-\$((6*7))"; echo rc=$?')
	unlike=$(printf '%s' "$out" | grep -c B-42)
	is "$unlike" "0" "$what: su - to another user from root inside runs nothing ($out)"
	out=$(root_in "$p" 'readlink /proc/self/ns/mnt; su tu-nest-a -c "id -u; readlink /proc/self/ns/mnt"; echo rc=$?')
	is "$(printf '%s\n' "$out" | sed -n 2p)" "$uid_a" "$what: su to the tenant's own user works"
	is "$(printf '%s\n' "$out" | sed -n 3p)" "$(printf '%s\n' "$out" | sed -n 1p)" "$what: ... and stays in the same mount namespace"
}
su_expect() { # su_expect TARGET PASSWORD CMD: the expect script for an su inside a session
	printf '%s' "spawn su $1 -c {$3}; expect -re {[Pp]assword:}; send {$2}; send \"\\r\"; expect eof; catch wait r; puts \"rc=[lindex \$r 3]\""
}

# ---- with a PID namespace (the default) ----
tenant_config '[default]' 'isolate = yes'
ssh_bg_as tu-nest-a 'exec sleep 300'
bg1=$SSH_BG_PID
wait_until 10 eval '[ -n "$(session_pid)" ]'
ok $? "tu-nest-a's long session is up"
on_exit "kill_user_procs $uid_a"
p=$(session_pid)
nested_checks "$p" "pid ns"
out=$(ssh_as tu-nest-a "expect -c '$(su_expect tu-nest-b "$pw_b" 'echo RAN-$((6*7))')'")
unlike=$(printf '%s' "$out" | grep -c RAN-42)
is "$unlike" "0" "pid ns: su to another user with its password from inside runs nothing"

keeper=$(keeper_of "$uid_a")
[ -n "$keeper" ] || bail_out "no keeper_pid in tu-nest-a's info"
kill -KILL "$keeper"
wait_until 10 eval '[ -z "$(session_pid)" ]'
ok $? "SIGKILL of the keeper ends the tenant's PID namespace"
ok "$([ -d "/run/pam_tenant/tenants/user-$uid_a" ]; echo $?)" "... and leaves its state behind"
wait "$bg1" 2>/dev/null
ssh_bg_as tu-nest-a 'exec sleep 300'
wait_until 10 eval '[ -n "$(session_pid)" ]'
ok $? "a new login after the unclean end starts a new tenant"
nested_checks "$(session_pid)" "pid ns, after a SIGKILLed keeper"
ssh_as tu-nest-a 'pkill -x sleep' >/dev/null 2>&1
# (end it for sure: part two needs a new tenant with other namespaces)
wait_no_tenants 5 || $TENANTCTL terminate tu-nest-a >/dev/null 2>&1
wait_no_tenants 15
ok $? "the tenant ends" ||
    diag "$(ls -l /run/pam_tenant/tenants/*; ps -eo pid,ppid,stat,user,comm,args | grep -E 'tenant|sleep|tu-nest' | grep -v grep)"

# ---- without a PID namespace: processes outlive their keeper ----
tenant_config '[default]' 'isolate = yes' 'namespaces = mount ipc uts'
ssh_bg_as tu-nest-a 'exec sleep 300'
wait_until 10 eval '[ -n "$(session_pid)" ]'
ok $? "no pid ns: tu-nest-a's long session is up"
old=$(session_pid)
is "$(readlink "/proc/$old/ns/pid")" "$(host_ns pid)" "no pid ns: the session shares the host's PID namespace"
nested_checks "$old" "no pid ns"
keeper=$(keeper_of "$uid_a")
[ -n "$keeper" ] || bail_out "no keeper_pid in tu-nest-a's info"
kill -KILL "$keeper"
wait_until 10 eval "! _e2e_alive $keeper"
ok "$(kill -0 "$old" 2>/dev/null; echo $?)" "no pid ns: the session outlives its SIGKILLed keeper"
nested_checks "$old" "no pid ns, keeper SIGKILLed"
# A new login replaces the stale state with a new tenant's.
out=$(ssh_as tu-nest-a 'readlink /proc/self/ns/mnt')
ok "$([ -n "$out" ] && [ "$out" != "$(readlink "/proc/$old/ns/mnt")" ]; echo $?)" "no pid ns: a new login gets a new tenant"
nested_checks "$old" "no pid ns, old session after a new tenant started"
kill_user_procs "$uid_a"
wait_no_tenants 15
ok $? "nothing is left"
done_testing
