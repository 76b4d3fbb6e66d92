#!/bin/bash
# Runs inside the cgroup v2 VM (tests/vm/tests/24-ns-limits.sh): the
# catalogue's F16 (docs/testing.md), the kernel's global limits on
# namespaces and mounts.  Each is lowered to what is in use now, so the
# kernel refuses the next one with ENOSPC:
#   - user.max_{mnt,pid,ipc,uts}_namespaces: the keeper's clone of
#     tenant-init fails; one mount namespace more: tenant-init's first
#     detached mount (an anonymous mount namespace) fails;
#   - fs.mount-max (per mount namespace): tenant-init's first mount in
#     the tenant's copy of the host's table fails.
# For each: with on_error = deny (the default) the login is refused, with
# one syslog line naming the sysctl and an audit record; root's su works;
# nothing is left (mounts, /run/pam_tenant, keeper or init, the user's
# cgroup); with on_error = allow the login goes on unisolated, audited as
# tenant-degrade (checked for the mount namespace limit and
# fs.mount-max).  Then the limit is restored and the next login is
# isolated.  These limits are global: only in a VM of our own.
. "$(dirname "$0")/../../lib/tenant.sh"
require_root
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip_all "not a cgroup v2 host"
[ "${VM_RUN:-0}" = 1 ] || skip_all "changes global kernel limits: runs only in the VM"
require_cmd sshd ssh unshare mount
tmpdir_create
start_syslog
start_auditd
make_user tn-a
conf() { tenant_config '[default]' 'memory.max = 64M' 'on_logout = kill' "$@"; }
conf
tenant_stack "$T/stack"
start_sshd "$T/stack"
su_with_tenant
FC_USER=tn-a FC_UID=$(user_uid tn-a)
. "$(dirname "$0")/fault-checks.sh"

# kernel_count SYSCTL PROBE...: the kernel's count behind a
# user.max_*_namespaces (not shown anywhere, and not what /proc/*/ns
# shows: the kernel's own and detached mounts' namespaces differ): the
# limit at which PROBE first succeeds, less one.  Leaves the limit there.
kernel_count() {
	local f=$1 l
	shift
	for l in $(seq 0 64); do
		echo "$l" >"$f"
		if "$@" >/dev/null 2>&1; then
			echo $((l - 1))
			return 0
		fi
	done
	echo 64
}

# A first login makes tenant.slice; then the host as it should stay.
fc_healthy "before any fault" no-base
fc_base

# ---- user.max_<kind>_namespaces at the count in use: clone fails ----
for kind in mnt pid ipc uts; do
	f=/proc/sys/user/max_${kind}_namespaces
	orig=$(cat "$f")
	on_exit "echo $orig >$f"
	case $kind in
	mnt) probe=(unshare --mount true) ;;
	pid) probe=(unshare --pid --fork true) ;;
	ipc) probe=(unshare --ipc true) ;;
	uts) probe=(unshare --uts true) ;;
	esac
	n=$(kernel_count "$f" "${probe[@]}")
	echo "$n" >"$f"
	err=$("${probe[@]}" 2>&1)
	like "$err" 'No space left on device' "user.max_${kind}_namespaces = $n (the kernel's count): unshare(1) is refused"
	fc_denied "user.max_${kind}_namespaces = $n" \
	    "clone namespaces: No space left on device \\(system limit on namespaces reached: user\\.max_${kind}_namespaces\\)"
	# The same decision follows each refused clone: under on_error =
	# allow once (the mount kind) is enough, and keeps the test's time.
	[ "$kind" = mnt ] && fc_degraded "user.max_${kind}_namespaces = $n"
	if [ "$kind" = mnt ]; then
		# One more: the tenant's own is made, and then tenant-init's
		# first detached mount (fsmount makes an anonymous mount
		# namespace, charged the same) is refused.
		echo $((n + 1)) >"$f"
		fc_denied "user.max_mnt_namespaces = $((n + 1))" \
		    "mount the tmp tmpfs: fsmount: No space left on device \\(system limit on namespaces reached: user\\.max_mnt_namespaces"
	fi
	echo "$orig" >"$f"
	fc_healthy "user.max_${kind}_namespaces restored"
done

# ---- fs.mount-max: the tenant's copy of the table is full ----
f=/proc/sys/fs/mount-max
orig=$(cat "$f")
n=$(wc -l </proc/self/mountinfo)
echo "$n" >"$f"
on_exit "echo $orig >$f"
err=$(unshare --mount sh -c 'mount -t tmpfs none /mnt' 2>&1)
like "$err" 'No space left on device' "fs.mount-max = $n (the mounts in use): a new mount is refused"
fc_denied "fs.mount-max = $n" \
    "move_mount: No space left on device \\(system limit on mounts reached: fs\\.mount-max\\)"
fc_degraded "fs.mount-max = $n"
echo "$orig" >"$f"
fc_healthy "fs.mount-max restored"
done_testing
