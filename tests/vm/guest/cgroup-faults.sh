#!/bin/bash
# Runs inside the cgroup v2 VM (tests/vm/tests/22-cgroup-faults.sh): the
# cgroup faults of the catalogue (docs/testing.md, F12 and F14).  With
# limits configured and `cgroup = required` (the default) each fault
# denies the login with the reason in syslog and audit and leaves no
# cgroup of the user behind; with `cgroup = optional` the login is
# isolated without limits and audited as tenant-quota-unavailable.
# After each, the next login is isolated with its limits and root's works.
#   - cgroup creation refused (cgroup.max.descendants = 0 on tenant.slice:
#     the kernel's EAGAIN, as when a descendant limit is reached);
#   - a process left in tenant.slice itself (the no-internal-process rule:
#     enabling the controllers for the users below it is EBUSY);
#   - cgroupfs read-only;
#   - F6: the helper OOM-killed (memory.max on the login program's cgroup).
. "$(dirname "$0")/../../lib/tenant.sh"
require_root
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip_all "not a cgroup v2 host"
require_cmd sshd ssh mount
tmpdir_create
start_syslog
start_auditd
make_user tf-a
A=$(user_uid tf-a)
CG=/sys/fs/cgroup/tenant.slice
required() { tenant_config '[default]' 'memory.max = 64M' 'pids.max = 64' 'on_logout = kill'; }
optional() { tenant_config '[default]' 'memory.max = 64M' 'pids.max = 64' 'on_logout = kill' 'cgroup = optional'; }
required
tenant_stack "$T/stack"
start_sshd "$T/stack"
su_with_tenant

# healthy LABEL: the next login is isolated under its limits, root's works, nothing left.
healthy() {
	local held
	required
	is "$(ssh_as tf-a 'cat /proc/1/comm' 2>&1)" "tenant-init" "$1: the next login is isolated"
	ssh_bg_as tf-a 'exec sleep 600'
	held=$SSH_BG_PID
	wait_until 60 test -e "$CG/user-$A/memory.max"
	is "$(cat "$CG/user-$A/memory.max" 2>&1)" "67108864" "$1: ... with memory.max = 64M" ||
		{ diag "$(ls -la "$CG" 2>&1; grep -a pam_tenant "$SYSLOG_FILE" | tail -n 6)"; diag "bg alive: $(_e2e_alive "$held" && echo yes)"; }
	_e2e_stop_pid "$held" 5
	is "$(su - -c 'echo root-ok' 2>&1)" "root-ok" "$1: root's su works"
	wait_no_tenants 10
	ok $? "$1: no keeper or tenant state left"
	wait_until 10 eval "[ ! -e $CG/user-$A ]"
	ok $? "$1: the user's cgroup is gone"
}

# denied LABEL REGEX: a login refused, syslog and audit say why, no cgroup of the user made.
denied() {
	local mark amark out
	mark=$(syslog_mark)
	amark=$(audit_mark)
	out=$(ssh_as tf-a 'cat /proc/1/comm' 2>&1)
	unlike "$out" 'tenant-init|^systemd|^init' "$1: the login is refused ($out)"
	syslog_wait 10 "$mark" "denied session for tf-a \\(uid $A\\): .*$2"
	ok $? "$1: syslog says why"
	if [ "$AUDIT_AVAILABLE" = 1 ]; then
		audit_wait 10 "$amark" "op=tenant-(deny|quota-unavailable) id=$A .*res=failed"
		ok $? "$1: audited"
	fi
	ok "$([ ! -e "$CG/user-$A" ]; echo $?)" "$1: no cgroup of the user left"
	wait_no_tenants 10
	ok $? "$1: no keeper or tenant state left"
}

# degraded LABEL: cgroup = optional: isolated without limits, audited.
degraded() {
	local amark out
	optional
	amark=$(audit_mark)
	out=$(ssh_as tf-a 'cat /proc/1/comm' 2>&1)
	is "$out" "tenant-init" "$1, cgroup = optional: isolated without limits"
	if [ "$AUDIT_AVAILABLE" = 1 ]; then
		audit_wait 10 "$amark" "op=tenant-quota-unavailable id=$A "
		ok $? "$1, cgroup = optional: audited as tenant-quota-unavailable"
	fi
	wait_no_tenants 10
	ok "$([ ! -e "$CG/user-$A" ]; echo $?)" "$1, cgroup = optional: no half-made cgroup of the user left"
	required
}

healthy "before any fault"
[ -d "$CG" ] || bail_out "$CG was not made by the first login"

# ---- F14: cgroup creation refused (a descendant limit) ----
echo 0 >"$CG/cgroup.max.descendants"
on_exit "echo max >$CG/cgroup.max.descendants 2>/dev/null"
denied "tenant.slice full (cgroup.max.descendants = 0)" "(Resource temporarily unavailable|cgroup)"
degraded "tenant.slice full"
echo max >"$CG/cgroup.max.descendants"
healthy "after tenant.slice full"

# ---- F14: a process in tenant.slice itself (EBUSY on subtree_control) ----
# tenant.slice is empty now: remove it, make it anew with a process inside.
wait_until 10 rmdir "$CG"
ok $? "tenant.slice removed while empty"
mkdir "$CG"
sleep 600 &
squatter=$!
on_exit "kill $squatter 2>/dev/null; true"
echo "$squatter" >"$CG/cgroup.procs"
is "$(cat "$CG/cgroup.procs")" "$squatter" "a process sits in tenant.slice itself"
denied "a process in tenant.slice (no internal processes)" "(Device or resource busy|cgroup)"
echo "$squatter" >/sys/fs/cgroup/cgroup.procs
kill "$squatter"
wait "$squatter" 2>/dev/null
healthy "after the process left tenant.slice"

# ---- F12: cgroupfs read-only ----
mount -o remount,ro /sys/fs/cgroup
on_exit "mount -o remount,rw /sys/fs/cgroup 2>/dev/null"
denied "cgroupfs read-only" "(Read-only file system|cgroup)"
degraded "cgroupfs read-only"
mount -o remount,rw /sys/fs/cgroup
healthy "after cgroupfs is writable again"

# ---- F6: the helper OOM-killed ----
# The login program runs in a cgroup of its own with memory.max = 48M
# (as a login service's own limit would); the helper, its child, grows by
# 512 MiB at a fault point and the kernel's OOM killer ends it.  Before
# the request is answered and after the tenant was built (the keeper is
# the helper's fork, outside the user's cgroup).
DRIVER=$E2E_ROOT/build/tests/pam-fault-driver
FAULTS=$E2E_BUILD/faults
LOGINCG=/sys/fs/cgroup/e2e-login-oom
install -d -m 0755 "$FAULTS"
on_exit "rm -rf '$FAULTS'"
mkdir "$LOGINCG"
on_exit "rmdir $LOGINCG 2>/dev/null"
echo 48M >"$LOGINCG/memory.max"
[ -e "$LOGINCG/memory.swap.max" ] && echo 0 >"$LOGINCG/memory.swap.max"
install -d -m 0755 "$T/pam.d"
printf 'session required %s timeout=10\nsession optional pam_permit.so\n' "$TENANT_MODULE" >"$T/pam.d/tenant-oom"
cp "$T/pam.d/tenant-oom" "$T/pam.d/other"
oom_kills() { sed -n 's/^oom_kill //p' "$LOGINCG/memory.events"; }
for point in helper-after-request helper-before-result; do
	required
	printf 'alloc 512\n' >"$FAULTS/$point"
	chmod 0644 "$FAULTS/$point"
	before=$(oom_kills)
	mark=$(syslog_mark)
	# shellcheck disable=SC2016 # expanded by that bash
	out=$(bash -c 'echo $$ >"$0/cgroup.procs" && exec "$1" -c "$2" tenant-oom tf-a' \
	    "$LOGINCG" "$DRIVER" "$T/pam.d" 2>&1)
	rm -f "$FAULTS/$point"
	like "$out" '^open=[1-9][0-9]* close=-1 mnt=same fd_delta=0$' \
	    "F6 helper OOM-killed at $point: the login is refused, the login program unharmed"
	ok "$([ "$(oom_kills)" -gt "$before" ]; echo $?)" "... by the kernel's OOM killer (oom_kill $before -> $(oom_kills))"
	syslog_wait 10 "$mark" "denied session for tf-a \\(uid $A\\): helper killed by signal 9"
	ok $? "... syslog says the helper was killed"
	wait_no_tenants 10
	ok $? "... no keeper or tenant state left"
	wait_until 10 eval "[ ! -e $CG/user-$A ]"
	ok $? "... no cgroup of the user left"
	wait_until 10 eval '[ -z "$(cat $LOGINCG/cgroup.procs)" ]'
	ok $? "... nothing left in the login's cgroup"
	healthy "after the helper's OOM kill at $point"
done
done_testing
