#!/bin/bash
# Logout: on_logout = keep leaves nohup'd work running inside the tenant
# until it ends; kill ends the tenant with its last session; a session
# whose sshd process is SIGKILLed (close never comes) is cleaned up by the
# keeper within 5 s; tenantctl terminate ends a tenant.  Each session end
# is audited with the session's cookie.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh nohup
tmpdir_create
start_syslog
start_auditd
make_user tu-out
uid=$(user_uid tu-out)
tenant_stack "$T/stack"
start_sshd "$T/stack"
wait_no_tenants 10

# keep (the default)
tenant_config '[default]' 'on_logout = keep'
amark=$(audit_mark)
out=$(ssh_as tu-out 'nohup sleep 4 >/dev/null 2>&1 & echo cookie=$TENANT_SESSION; readlink /proc/self/ns/mnt')
cookie=$(kv cookie "$out")
tenant_mnt=$(printf '%s\n' "$out" | tail -n 1)
sleep 1
pid=$(pgrep -u tu-out -x sleep | head -n 1)
ok "$([ -n "$pid" ]; echo $?)" "keep: nohup sleep survives logout"
is "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" "$tenant_mnt" "... still inside the tenant's mount namespace"
ok "$([ -d /run/pam_tenant/tenants/user-$uid ]; echo $?)" "... and the tenant lives on"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 5 "$amark" "op=tenant-session-end id=$uid tenant_session=$cookie .*reason=\"logout\""
	ok $? "session end is audited with the session's cookie"
else
	skip "kernel has no audit" "session end audited"
fi
wait_no_tenants 10
ok $? "the tenant ends once its last process has exited"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 5 "$amark" "op=tenant-end id=$uid .*reason=\"last-process-exited\""
	ok $? "tenant end is audited"
fi

# kill
tenant_config '[default]' 'on_logout = kill'
ssh_as tu-out 'nohup sleep 60 >/dev/null 2>&1 & true'
wait_until 5 eval '! pgrep -u tu-out -x sleep >/dev/null'
ok $? "kill: nohup sleep is killed when the last session closes"
wait_no_tenants 10
ok $? "... and the tenant is gone"

# close never comes: SIGKILL the sshd session process
tenant_config '[default]' 'on_logout = kill'
amark=$(audit_mark)
ssh_bg_as tu-out 'exec sleep 60'
wait_until 10 eval 'pgrep -u tu-out -x sleep >/dev/null'
priv=$(pgrep -f "^sshd-tenant-test[-0-9]*: tu-out \[priv\]" | head -n 1)
ok "$([ -n "$priv" ]; echo $?)" "found the privileged sshd session process ($priv)"
kill -KILL "$priv"
start=$(date +%s.%N)
wait_no_tenants 5
ok $? "the keeper cleans up within 5 s of sshd's SIGKILL"
diag "cleaned up after $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo '?') s"
ok "$(pgrep -u tu-out -x sleep >/dev/null; [ $? = 1 ]; echo $?)" "... and the session's processes are gone"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 5 "$amark" "op=tenant-session-end id=$uid .*reason=\"leader-exited\""
	ok $? "the abnormal end is audited (reason leader-exited)"
fi
wait "$SSH_BG_PID" 2>/dev/null

# tenantctl terminate
tenant_config '[default]' 'on_logout = keep'
ssh_as tu-out 'nohup sleep 60 >/dev/null 2>&1 & true'
wait_until 5 eval 'pgrep -u tu-out -x sleep >/dev/null'
like "$($TENANTCTL list)" "user-$uid +$uid +tu-out +0 +1 " "tenantctl list shows the lingering tenant (0 sessions, 1 process)"
like "$($TENANTCTL terminate tu-out)" "terminating user-$uid" "tenantctl terminate tu-out"
wait_no_tenants 5
ok $? "... ends the tenant and its processes"
ok "$(pgrep -u tu-out -x sleep >/dev/null; [ $? = 1 ]; echo $?)" "... nohup sleep is gone"
done_testing
