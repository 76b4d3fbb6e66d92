#!/bin/bash
# On a kernel without audit support (simulated: a seccomp filter on the test
# sshd makes audit_open() fail with EPROTONOSUPPORT, as such a kernel does),
# logins go on, isolated, with syslog lines and no audit records.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh
test_bin NOAUDIT sshd-noaudit
tmpdir_create
start_syslog
start_auditd
make_user tu-noaudit
uid=$(user_uid tu-noaudit)
tenant_config '[default]' 'isolate = yes'
tenant_stack "$T/stack"
E2E_SSHD_BIN=$NOAUDIT start_sshd "$T/stack"
like "$(grep '^Seccomp:' /proc/$SSHD_PID/status)" 'Seccomp:[[:space:]]+2' "the test sshd runs under the no-audit filter"
wait_no_tenants 10

mark=$(syslog_mark)
amark=$(audit_mark)
out=$(ssh_as tu-noaudit 'cat /proc/1/comm; echo cookie=$TENANT_SESSION')
like "$out" 'tenant-init' "without kernel audit the login goes on, isolated"
cookie=$(kv cookie "$out")
syslog_wait 5 "$mark" "session of tu-noaudit \\(uid $uid\\) isolated in tenant user-$uid, TENANT_SESSION=$cookie"
ok $? "... and syslog records it"
wait_no_tenants 10
ok $? "... and the tenant ends normally"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	# the real kernel has audit: prove the records were not written
	sleep 1
	n=$(audit_search "$amark" 2>/dev/null | grep -c "tenant_session=$cookie")
	is "$n" "0" "no audit record was written for the session (audit_open saw no kernel support)"
else
	skip "kernel has no audit at all" "no audit record written"
fi
done_testing
