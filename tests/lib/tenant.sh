# shellcheck shell=bash
# tests/lib/tenant.sh - pam_tenant specifics for the e2e tests, on top of
# e2e.sh.  Tests use the build/e2e variant: same code as the release, with
# the helper and tenant.conf paths compiled to point into the build tree.
. "$(dirname "${BASH_SOURCE[0]}")/e2e.sh"

TENANT_ETC=$E2E_BUILD/etc
TENANTCTL=$E2E_BUILD/tenantctl

# The PAM stacks load the module from /run/pam_tenant-e2e: a tree under
# /tmp (where CI may clone) is invisible inside a tenant, whose /tmp is
# private, and su run inside a tenant must still find the module.
_tenant_module_copy() {
	local dir=/run/pam_tenant-e2e.$$
	install -d -m 0755 "$dir" && install -m 0644 "$E2E_BUILD/pam_tenant.so" "$dir/" ||
	    bail_out "cannot copy the module to $dir"
	on_exit "rm -rf '$dir'"
	TENANT_MODULE=$dir/pam_tenant.so
}
_tenant_module_copy

# tenant_config LINE...: write build/e2e/etc/tenant.conf (root 0644); removed at exit.
tenant_config() {
	mkdir -p "$TENANT_ETC"
	chmod 0755 "$TENANT_ETC"
	printf '%s\n' "$@" >"$TENANT_ETC/tenant.conf"
	chmod 0644 "$TENANT_ETC/tenant.conf"
	if [ -z "${_TENANT_CONF_CLEANUP:-}" ]; then
		_TENANT_CONF_CLEANUP=1
		on_exit "rm -rf '$TENANT_ETC'"
	fi
}

# tenant_stack FILE [MODULE_ARGS...]: an sshd PAM stack ending with pam_tenant.
tenant_stack() {
	local f=$1
	shift
	pam_stack "$f" "session required $TENANT_MODULE $*"
}

# su_with_tenant [MODULE_ARGS...]: add pam_tenant to /etc/pam.d/su and su-l (restored at exit).
su_with_tenant() {
	local f
	for f in su; do # su-l includes su
		[ -f "/etc/pam.d/$f" ] || continue
		# In the VM /etc is the host's as it was at boot: a line a host
		# e2e run had added for its length names a module not here.
		[ "${VM_RUN:-0}" = 1 ] &&
		    sed -i '\#^session required /run/pam_tenant-e2e\.[0-9]*/pam_tenant\.so#d' "/etc/pam.d/$f"
		cp -p "/etc/pam.d/$f" "$T/pam.d-$f.orig"
		on_exit "cp -p '$T/pam.d-$f.orig' '/etc/pam.d/$f'"
		printf 'session required %s %s\n' "$TENANT_MODULE" "$*" >>"/etc/pam.d/$f"
	done
}

# make check-asan: root's su gets the ASan runtime preloaded like the test
# sshd (root running su is no secure-exec, so LD_PRELOAD is honoured).  su
# run by a user ignores it: there the runtime arrives with the module,
# whose exported defaults allow that (tests/lib/sanitizer-defaults.c).
if [ "${#_E2E_SAN_ENV[@]}" -gt 0 ]; then
	su() { "${_E2E_SAN_ENV[@]}" su "$@"; }
fi

# su_bg ARGS...: su in the background; SU_BG_PID is su's own pid.  Not
# `su ... &`: with the function above that forks a bash which forks su,
# and a signal sent to $! never reaches su (env execs su in place).
su_bg() {
	"${_E2E_SAN_ENV[@]}" su "$@" &
	SU_BG_PID=$!
}

# test_bin VAR NAME: set VAR to build/tests/NAME; bail out unless it is built.
test_bin() {
	printf -v "$1" '%s' "$E2E_ROOT/build/tests/$2"
	[ -e "${!1}" ] || bail_out "build/tests/$2 is not built (make test-bins)"
}

# host_ns NS: this (host) process's namespace link, e.g. "mnt:[4026531841]".
host_ns() {
	readlink "/proc/self/ns/$1"
}

# no_tenants: true when no tenant state and no keeper/init process is left.
no_tenants() {
	[ -z "$(ls -A /run/pam_tenant/tenants 2>/dev/null)" ] &&
	    ! pgrep -r RSDT -x tenant-keeper >/dev/null # zombies wait for a slow init
}

# wait_no_tenants [TIMEOUT]: wait until no_tenants holds.
wait_no_tenants() {
	wait_until "${1:-10}" no_tenants
}

# kv KEY TEXT: the value of "KEY=value" lines in TEXT.
kv() {
	printf '%s\n' "$2" | sed -n "s/^$1=//p" | head -n 1
}

# A session probe: prints KEY=value lines about the process that runs it.
PROBE='echo "uid=$(id -u)"
for n in mnt pid ipc uts net; do echo "ns_$n=$(readlink /proc/self/ns/$n)"; done
echo "capbnd=$(sed -n "s/^CapBnd:[[:space:]]*//p" /proc/self/status)"
echo "nnp=$(sed -n "s/^NoNewPrivs:[[:space:]]*//p" /proc/self/status)"
echo "pid1=$(cat /proc/1/comm)"
echo "nprocs=$(ls -d /proc/[0-9]* | wc -l)"
echo "cookie=${TENANT_SESSION:-}"
echo "mnt_tmp=$(findmnt -no FSTYPE,OPTIONS /tmp | tail -n 1)"
echo "mnt_vartmp=$(findmnt -no FSTYPE,OPTIONS /var/tmp | tail -n 1)"
echo "mnt_shm=$(findmnt -no FSTYPE,OPTIONS /dev/shm | tail -n 1)"
echo "mnt_mqueue=$(findmnt -no FSTYPE /dev/mqueue | tail -n 1)"
echo "mnt_proc=$(findmnt -no FSTYPE,OPTIONS /proc | tail -n 1)"'

# helper_pids: pids of running tenant-helper processes (exec'd by fd, their
# comm is the fd number: match the command line "tenant-helper open"; one
# pgrep, not a process per pid: under TCG that would take seconds).
helper_pids() {
	pgrep -fx 'tenant-helper open'
	return 0
}

# ---- after a fault (e2e 52, 56, 57; 54 has its own, through sshd and su) ----
# fault_baseline: record the host (snapshot "fault-baseline", mountinfo
# lines) as after_fault must find it again; call once before the faults.
fault_baseline() {
	host_snapshot fault-baseline
	_FAULT_MOUNTS=$(wc -l </proc/1/mountinfo)
}

# after_fault DESC TAG USER DRIVE: after a fault, the next login of USER
# is isolated and root's works (exempt), each one pam-fault-driver cycle
# run as `DRIVE USER`; no keeper, tenant state or host mount is left, and
# the host is as fault_baseline saw it (snapshot "after-TAG").
after_fault() {
	local desc=$1 tag=$2 user=$3 drive=$4
	like "$("$drive" "$user")" '^open=0 close=0 mnt=other fd_delta=0$' \
	    "$desc: the next login of $user is isolated"
	like "$("$drive" root)" '^open=0 close=0 mnt=same fd_delta=0$' "$desc: root's login works (exempt)"
	wait_no_tenants 10
	ok $? "$desc: no keeper or tenant state left"
	is "$(wc -l </proc/1/mountinfo)" "${_FAULT_MOUNTS:?fault_baseline not called}" \
	    "$desc: no host mount added (/proc/1/mountinfo lines)"
	host_settle fault-baseline "after-$tag" 10
	host_compare fault-baseline "after-$tag" "$desc: mounts, /run/pam_tenant and processes as before"
}
