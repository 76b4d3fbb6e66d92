# shellcheck shell=bash
# Sourced by the VM fault tests (ns-limits.sh, apparmor.sh) after
# tests/lib/tenant.sh, start_sshd and su_with_tenant: one login of user
# $FC_USER (uid $FC_UID) per check, the outcome the failure policy asks
# for, and nothing of the tenant left behind.  The caller sets conf (a
# function writing tenant.conf from its arguments) and $FC_VIEW's output
# must have mnt= and pid1= lines.  fc_base takes the host snapshot every
# later check compares against.
CG=/sys/fs/cgroup/tenant.slice
FC_HOST_MNT=$(host_ns mnt)
FC_VIEW='echo "mnt=$(readlink /proc/self/ns/mnt)"; echo "pid1=$(cat /proc/1/comm)"'

fc_base() { host_snapshot base; }

# fc_no_leftovers LABEL: no keeper, init, state, cgroup or mount of the tenant.
fc_no_leftovers() {
	wait_no_tenants 10
	ok $? "$1: no keeper or /run/pam_tenant state left"
	! pgrep -x tenant-init >/dev/null
	ok $? "$1: no tenant-init left"
	wait_until 10 eval "[ ! -e $CG/user-$FC_UID ]"
	ok $? "$1: no cgroup of the user left"
	host_settle base now 5
	host_compare base now "$1: host mounts, /run/pam_tenant and processes as before"
}

# fc_healthy LABEL [no-base]: the login is isolated, root's su works, nothing left.
fc_healthy() {
	local out mnt
	conf
	out=$(ssh_as "$FC_USER" "$FC_VIEW" 2>&1)
	is "$(kv pid1 "$out")" "tenant-init" "$1: the login is isolated" || diag "$out"
	mnt=$(kv mnt "$out")
	[ -n "$mnt" ] && [ "$mnt" != "$FC_HOST_MNT" ]
	ok $? "$1: ... in a mount namespace of its own"
	is "$(su root -c 'echo root-ok' 2>&1)" "root-ok" "$1: root's su works"
	if [ -n "${2:-}" ]; then # no snapshot yet: wait for the end only
		wait_no_tenants 10 && wait_until 10 eval "[ ! -e $CG/user-$FC_UID ]"
		ok $? "$1: the tenant ends"
	else
		fc_no_leftovers "$1"
	fi
}

# fc_denied LABEL REGEX: refused, one syslog line with REGEX, audited,
# root's su works, nothing left.
fc_denied() {
	local mark amark out
	conf
	mark=$(syslog_mark)
	amark=$(audit_mark)
	out=$(ssh_as "$FC_USER" "$FC_VIEW" 2>&1)
	unlike "$out" 'pid1=' "$1: the login is refused" || diag "$out"
	syslog_wait 10 "$mark" "denied session for $FC_USER \\(uid $FC_UID\\): .*$2"
	ok $? "$1: syslog names the cause" ||
	    diag "$(syslog_since "$mark" | grep -a pam_tenant | tail -n 5)"
	is "$(syslog_since "$mark" | grep -ac "denied session for $FC_USER ")" 1 "$1: ... in one line"
	diag "$(syslog_since "$mark" | grep -a -m1 -o "denied session for $FC_USER .*")"
	if [ "$AUDIT_AVAILABLE" = 1 ]; then
		audit_wait 10 "$amark" "op=tenant-deny id=$FC_UID .*res=failed"
		ok $? "$1: audited (op=tenant-deny)"
	fi
	FC_AMARK=$amark
	is "$(su root -c 'echo root-ok' 2>&1)" "root-ok" "$1: root's su works"
	fc_no_leftovers "$1"
}

# fc_degraded LABEL: on_error = allow: in, unisolated, audited, nothing left.
fc_degraded() {
	local amark out
	conf 'on_error = allow'
	amark=$(audit_mark)
	out=$(ssh_as "$FC_USER" "$FC_VIEW" 2>&1)
	is "$(kv mnt "$out")" "$FC_HOST_MNT" "$1, on_error = allow: the login goes on unisolated" ||
	    diag "$out"
	if [ "$AUDIT_AVAILABLE" = 1 ]; then
		audit_wait 10 "$amark" "op=tenant-degrade id=$FC_UID "
		ok $? "$1, on_error = allow: audited (op=tenant-degrade)"
	fi
	fc_no_leftovers "$1, on_error = allow"
	conf
}
