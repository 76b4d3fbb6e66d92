#!/bin/bash
# Runs inside the cgroup v2 VM (tests/vm/tests/26-apparmor.sh): the
# catalogue's F32 (docs/testing.md), a Linux security module refusing
# what the tenant's setup needs.  Debian's kernel boots with AppArmor;
# apparmor_parser (Debian package apparmor) loads an enforcing profile
# that attaches to the e2e build's tenant-helper, and with it to the
# keeper and tenant-init it forks (no exec):
#   - no mount rule: tenant-init's first mount (making / rslave) gets
#     EACCES from AppArmor;
#   - everything allowed but reading tenant.conf: the helper's config
#     load gets EACCES.
# For each: the login is refused with the cause in one syslog line
# (the denied step and the profile it ran under) and an
# audit record, the kernel's own AppArmor DENIED record is there, root's
# su works, nothing is left; with on_error = allow the mount case lets
# the login in unisolated, audited.  The profile removed, the next login
# is isolated.
. "$(dirname "$0")/../../lib/tenant.sh"
require_root
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip_all "not a cgroup v2 host"
[ "${VM_RUN:-0}" = 1 ] || skip_all "loads AppArmor policy into the kernel: runs only in the VM"
if ! command -v apparmor_parser >/dev/null ||
    [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] ||
    [ ! -d /sys/kernel/security/apparmor ]; then
	why="AppArmor not usable here (apparmor_parser from Debian's apparmor, the LSM enabled, securityfs)"
	[ "${MUST_WORK:-0}" = 1 ] && bail_out "MUST_WORK=1: $why"
	skip_all "$why"
fi
require_cmd sshd ssh
tmpdir_create
start_syslog
start_auditd
make_user tn-b
conf() { tenant_config '[default]' 'memory.max = 64M' 'on_logout = kill' "$@"; }
conf
tenant_stack "$T/stack"
start_sshd "$T/stack"
su_with_tenant
FC_USER=tn-b FC_UID=$(user_uid tn-b)
. "$(dirname "$0")/fault-checks.sh"
PROFILE=pam-tenant-test-helper
HELPER=$E2E_BUILD/tenant-helper

# profile RULE...: load an enforcing profile for the helper with RULEs
# (unloaded at exit).  Only helpers exec'd from now on run under it.
profile() {
	{
		printf 'profile %s "%s" {\n' "$PROFILE" "$HELPER"
		printf '  %s\n' "$@"
		printf '}\n'
	} >"$T/profile"
	apparmor_parser -r "$T/profile" 2>&1
}
on_exit "apparmor_parser -R '$T/profile' 2>/dev/null; true"
unload() { apparmor_parser -R "$T/profile" 2>&1; }
ALL='capability, network, signal, ptrace, unix, umount, pivot_root,'

# kernel_denied OPERATION: AppArmor's own record of refusing OPERATION to
# our profile, in the audit log or (no auditd listening) the kernel's.
kernel_denied() {
	local re="apparmor=\"DENIED\" operation=\"$1\" .*profile=\"$PROFILE\""
	# The profile is new in this boot: any such record is from this test.
	# shellcheck disable=SC2016 # expanded by eval, on each poll
	wait_until 10 eval '{ cat /var/log/audit/audit.log; dmesg; } 2>/dev/null | grep -qaE -- "$re"'
	ok $? "... the kernel's record: AppArmor DENIED $1 for $PROFILE" ||
	    diag "$({ cat /var/log/audit/audit.log; dmesg; } 2>&1 | grep -a -i 'apparmor=' | tail -n 5)"
}

fc_healthy "before any profile" no-base
fc_base

# ---- no mount rule: tenant-init's mounts are refused ----
# shellcheck disable=SC2086 # one rule per word group
out=$(profile $ALL 'file,')
ok $? "profile $PROFILE without mount rules loaded" || diag "$out"
like "$(cat /sys/kernel/security/apparmor/profiles)" "$PROFILE \\(enforce\\)" "... in enforce mode"
fc_denied "AppArmor denies mount" \
    "make / rslave: Permission denied \\(refused under the security label $PROFILE \\(enforce\\)"
kernel_denied mount
fc_degraded "AppArmor denies mount"
out=$(unload)
ok $? "profile removed" || diag "$out"
fc_healthy "after the profile is removed"

# ---- tenant.conf unreadable for the helper ----
# shellcheck disable=SC2086
out=$(profile $ALL 'mount,' 'file,' "deny $TENANT_ETC/tenant.conf r,")
ok $? "profile $PROFILE denying tenant.conf loaded" || diag "$out"
fc_denied "AppArmor denies reading tenant.conf" \
    "configuration error: .*tenant\\.conf: Permission denied \\(refused under the security label $PROFILE \\(enforce\\)"
out=$(unload)
ok $? "profile removed" || diag "$out"
fc_healthy "after the second profile is removed"
done_testing
