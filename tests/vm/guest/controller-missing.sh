#!/bin/bash
# Runs inside the cgroup v2 VM booted with cgroup_disable=pids
# (tests/vm/tests/23-controller-missing.sh): F13 of the catalogue.  The
# kernel offers no pids controller, as when it is bound to a cgroup v1
# hierarchy or disabled at boot.  pids.max configured: with cgroup =
# required the login is denied, syslog naming pids.max and why the
# controller is missing, audited, no cgroup of the user left, root's su
# works; with cgroup = optional the login is isolated without limits,
# audited, nothing half-made left; a configuration that asks nothing of
# pids is isolated with its memory.max.
. "$(dirname "$0")/../../lib/tenant.sh"
require_root
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip_all "not a cgroup v2 host"
require_cmd sshd ssh
tmpdir_create
start_syslog
start_auditd
make_user tc-a
A=$(user_uid tc-a)
CG=/sys/fs/cgroup/tenant.slice
ctl=$(cat /sys/fs/cgroup/cgroup.controllers)
ok "$([[ " $ctl " != *" pids "* && " $ctl " == *" memory "* ]]; echo $?)" "booted with cgroup_disable=pids: cgroup v2 offers memory but not pids ($ctl)"
with_pids() { tenant_config '[default]' 'memory.max = 64M' 'pids.max = 64' 'on_logout = kill' "$@"; }
with_pids
tenant_stack "$T/stack"
start_sshd "$T/stack"
su_with_tenant

# ---- cgroup = required: denied ----
mark=$(syslog_mark)
amark=$(audit_mark)
out=$(ssh_as tc-a 'cat /proc/1/comm' 2>&1)
unlike "$out" 'tenant-init' "pids.max configured, cgroup = required: the login is refused ($out)"
syslog_wait 10 "$mark" "denied session for tc-a \\(uid $A\\): .*pids.max.*does not offer the controller"
ok $? "... syslog names pids.max and why the controller is missing" ||
	grep -a pam_tenant "$SYSLOG_FILE" | tail -n 4 | diag
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 10 "$amark" "op=tenant-deny id=$A .*pids.max.*res=failed"
	ok $? "... audited (op=tenant-deny, the reason names pids.max)"
fi
ok "$([ ! -e "$CG/user-$A" ]; echo $?)" "... no cgroup of the user left"
wait_no_tenants 10
ok $? "... no keeper or tenant state left"
is "$(su - -c 'echo root-ok' 2>&1)" "root-ok" "... root's su works"

# ---- cgroup = optional: isolated without limits ----
with_pids 'cgroup = optional'
amark=$(audit_mark)
is "$(ssh_as tc-a 'cat /proc/1/comm' 2>&1)" "tenant-init" "cgroup = optional: isolated without limits"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 10 "$amark" "op=tenant-quota-unavailable id=$A .*pids.max"
	ok $? "... audited (op=tenant-quota-unavailable)"
fi
wait_no_tenants 10
ok "$([ ! -e "$CG/user-$A" ]; echo $?)" "... no half-made cgroup of the user left (memory.max was set before pids.max failed)"

# ---- nothing asked of pids: the limits that can be had ----
tenant_config '[default]' 'memory.max = 64M' 'on_logout = kill'
ssh_bg_as tc-a 'exec sleep 600'
held=$SSH_BG_PID
wait_until 60 test -e "$CG/user-$A/memory.max"
is "$(cat "$CG/user-$A/memory.max" 2>&1)" "67108864" "without pids.max: isolated with memory.max = 64M"
_e2e_stop_pid "$held" 5
wait_no_tenants 10
ok $? "... the tenant ends"
wait_until 10 eval "[ ! -e $CG/user-$A ]"
ok $? "... and its cgroup is gone"
done_testing
