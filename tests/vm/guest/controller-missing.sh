#!/bin/bash
# Runs inside the cgroup v2 VM booted with cgroup_disable=pids
# (tests/vm/tests/23-controller-missing.sh): F13 of the catalogue.  The
# kernel offers no pids controller, as when it is bound to a cgroup v1
# hierarchy or disabled at boot.  pids.max configured: with cgroup =
# required the login is denied, syslog naming pids.max and why the
# controller is missing, audited, root's su works, nothing left; with
# cgroup = optional the login is isolated without limits, audited,
# nothing half-made left; a configuration that asks nothing of pids is
# isolated with its memory.max.
. "$(dirname "$0")/../../lib/tenant.sh"
require_root
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip_all "not a cgroup v2 host"
require_cmd sshd ssh
tmpdir_create
start_syslog
start_auditd
make_user tc-a
ctl=$(cat /sys/fs/cgroup/cgroup.controllers)
ok "$([[ " $ctl " != *" pids "* && " $ctl " == *" memory "* ]]; echo $?)" "booted with cgroup_disable=pids: cgroup v2 offers memory but not pids ($ctl)"
# conf EXTRA...: with pids.max when PIDS=1
PIDS=0
conf() {
	local p=()
	[ "$PIDS" = 1 ] && p=('pids.max = 64')
	tenant_config '[default]' 'memory.max = 64M' "${p[@]}" 'on_logout = kill' "$@"
}
conf
tenant_stack "$T/stack"
start_sshd "$T/stack"
su_with_tenant
FC_USER=tc-a FC_UID=$(user_uid tc-a)
. "$(dirname "$0")/fault-checks.sh"
fc_healthy "without pids.max" no-base
fc_base

PIDS=1
fc_denied "pids.max, cgroup = required" "pids.max.*does not offer the controller"

conf 'cgroup = optional'
amark=$(audit_mark)
out=$(ssh_as tc-a "$FC_VIEW" 2>&1)
is "$(kv pid1 "$out")" "tenant-init" "pids.max, cgroup = optional: isolated without limits"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 10 "$amark" "op=tenant-quota-unavailable id=$FC_UID .*pids.max"
	ok $? "... audited (op=tenant-quota-unavailable)"
fi
fc_no_leftovers "pids.max, cgroup = optional (memory.max was set before pids.max failed)"

PIDS=0
conf
ssh_bg_as tc-a 'exec sleep 600'
held=$SSH_BG_PID
wait_until 60 test -e "$CG/user-$FC_UID/memory.max"
is "$(cat "$CG/user-$FC_UID/memory.max" 2>&1)" "67108864" "without pids.max: isolated with memory.max = 64M"
_e2e_stop_pid "$held" 5
fc_no_leftovers "without pids.max"
done_testing
