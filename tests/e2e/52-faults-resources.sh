#!/bin/bash
# Resource faults in the login program and on the host (docs/testing.md,
# "Fault catalogue": F15, F17, F18, and F3/F4/F6 at each protocol step):
# /run/pam_tenant full (ENOSPC), out of inodes and read-only, the login program out of
# fds, and unable to fork; the helper and a new keeper SIGKILLed or hung
# at the fault points.  Each one
# denies the login (or, with fds to spare, isolates it) without a hang,
# an fd leak in the login program or any state left behind, and afterwards
# the user's next login is isolated, root's works, and the host has no
# extra keeper, /run/pam_tenant entry or mount.
#
# The login program is build/tests/pam-fault-driver (one pam_open_session
# / pam_close_session cycle, fds counted before and after).  A full /run is
# a small tmpfs over /run/pam_tenant in a private mount namespace of the
# driver (the helper and keeper it starts inherit it); the host's
# /run/pam_tenant is never touched.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd unshare strace
test_bin DRIVER pam-fault-driver
tmpdir_create
start_syslog
start_auditd
make_user tu-res
uid=$(user_uid tu-res)
tenant_config '[default]' 'isolate = yes'
install -d -m 0755 "$T/pam.d"
# pam_permit: root, exempt, gets PAM_IGNORE from pam_tenant, and a stack
# where every module ignores the call fails
printf 'session required %s\nsession optional pam_permit.so\n' "$TENANT_MODULE" >"$T/pam.d/tenant-fault"
cp "$T/pam.d/tenant-fault" "$T/pam.d/other"
printf 'session required %s timeout=3\nsession optional pam_permit.so\n' "$TENANT_MODULE" >"$T/pam.d/tenant-fault-t3"
[ -d /run/pam_tenant ] || install -d -m 0700 /run/pam_tenant
wait_no_tenants 10 || bail_out "a tenant of an earlier test is still running"

# drive [DRIVER_OPTS...] USER: one PAM cycle, bounded (the module's deadline is 10 s).
drive() {
	local user=${*: -1}
	timeout -k 5 30 prlimit --nofile="${NOFILE:-64}:" "$DRIVER" -c "$T/pam.d" "${@:1:$#-1}" tenant-fault "$user" 2>&1
}
OK_ISOLATED='^open=0 close=0 mnt=other fd_delta=0$'
OK_DENIED='^open=[1-9][0-9]* close=-1 mnt=same fd_delta=0$'

fault_baseline

# denied_with DESC OUT SYSLOG_REGEX MARK AMARK: a clean denial, syslog and audit say why.
denied_with() {
	like "$2" "$OK_DENIED" "$1: login denied, no fd leaked in the login program"
	syslog_wait 5 "$4" "$3"
	ok $? "$1: syslog says why" || syslog_since "$4" | grep pam_tenant | diag
	if [ "$AUDIT_AVAILABLE" = 1 ]; then
		audit_wait 5 "$5" "op=tenant-deny id=$uid .*res=failed"
		ok $? "$1: audited as tenant-deny"
	fi
}

# in_small_run TMPFS_OPTS FILL: run the driver for tu-res in a private
# mount namespace whose /run/pam_tenant is a fresh tmpfs (TMPFS_OPTS),
# filled by the shell code FILL; then print what is left in it.
in_small_run() {
	timeout -k 5 40 unshare -m --propagation private bash -c '
		mount -t tmpfs -o "mode=0700,$1" pam_tenant-fault /run/pam_tenant || exit 99
		cd /run/pam_tenant || exit 99
		eval "$2" >/dev/null 2>&1
		"$3" -c "$4" tenant-fault tu-res 2>&1
		echo "left: $(find . -mindepth 1 ! -name "fill*" -printf "%y:%p " | sort)"
		cd / && umount /run/pam_tenant' _ "$1" "$2" "$DRIVER" "$T/pam.d"
}

# ---- F15: /run/pam_tenant full, and out of inodes ----
# Full (no block left, inodes left): the tenant's directory and socket
# need inodes only, so the login is isolated; the keeper's info record
# (written to .info.tmp, then renamed) cannot be written, which it logs,
# and no half-written record is left.
mark=$(syslog_mark)
out=$(in_small_run size=64k 'dd if=/dev/zero of=fill bs=4k')
diag "run full: $out"
like "$(head -n 1 <<<"$out")" "$OK_ISOLATED" "/run full (ENOSPC): the login is isolated (the tenant needs inodes, not blocks)"
syslog_wait 5 "$mark" "user-$uid: info: write .info.tmp: No space left on device"
ok $? "/run full: the keeper says it cannot write its info record"
like "$(tail -n 1 <<<"$out")" '^left: (d:./locks f:./locks/[0-9]+.lock d:./tenants ?)?$' \
    "/run full: no half-written record left (.info.tmp, info, tenant dir)"
after_fault "/run full" enospc tu-res drive

# Out of inodes: the first mkdir fails; denied, nothing left.
mark=$(syslog_mark)
amark=$(audit_mark)
out=$(in_small_run nr_inodes=8 'for i in 1 2 3 4 5 6 7 8; do : >fill$i || break; done')
diag "run out of inodes: $out"
denied_with "/run out of inodes" "$(head -n 1 <<<"$out")" \
    "denied session for tu-res \\(uid $uid\\): .*No space left on device" "$mark" "$amark"
like "$(tail -n 1 <<<"$out")" '^left: (d:./locks ?|d:./locks f:./locks/[0-9]+.lock ?)?$' \
    "/run out of inodes: nothing half-made left"
after_fault "/run out of inodes" inodes tu-res drive

# Read-only /run (a rescue boot): the state directory is there but
# nothing can be made in it; denied, and root (exempt) logs in.  /run is
# read-only in a private mount namespace of the driver only.
in_ro_run() { # in_ro_run USER: one cycle of USER with /run read-only
	timeout -k 5 40 unshare -m --propagation private bash -c '
		mount --bind /run /run && mount -o remount,bind,ro /run || exit 99
		"$1" -c "$2" tenant-fault "$3" 2>&1' _ "$DRIVER" "$T/pam.d" "$1"
}
mark=$(syslog_mark)
amark=$(audit_mark)
out=$(in_ro_run tu-res)
diag "run read-only: $out"
denied_with "/run read-only" "$out" \
    "denied session for tu-res \\(uid $uid\\): .*Read-only file system" "$mark" "$amark"
like "$(in_ro_run root)" '^open=0 close=0 mnt=same fd_delta=0$' "/run read-only: root's login works (exempt)"
after_fault "/run read-only" rofs tu-res drive

# ---- F17: the login program out of file descriptors ----
# Under a soft `ulimit -n 64`, with FREE fds left: denied (cleanly) or isolated,
# never a hang, a crash, or an fd the cycle did not give back.
first_ok=
bad=
for free in 0 1 2 3 4 5 6 8 12 16; do
	out=$(drive -F "$free" tu-res)
	if [[ $out =~ $OK_ISOLATED ]]; then
		[ -n "$first_ok" ] || first_ok=$free
	elif ! [[ $out =~ $OK_DENIED ]]; then
		bad="$bad [$free free: $out]"
	fi
	wait_no_tenants 10 || bad="$bad [$free free: tenant left]"
done
is "$bad" "" "fd exhaustion: every cycle with 0..16 free fds was denied or isolated, without an fd leak"
ok "$([ -n "$first_ok" ] && [ "$first_ok" -gt 0 ]; echo $?)" \
    "fd exhaustion: denied with no fd free, isolated with enough (from ${first_ok:-never} free)"
mark=$(syslog_mark)
amark=$(audit_mark)
# (no audit record: with no fd free the audit socket cannot be opened)
AUDIT_AVAILABLE=0 denied_with "no fd free" "$(drive -F 0 tu-res)" \
    "pam_tenant\\(tenant-fault:session\\): (unknown user tu-res|denied session for tu-res.*Too many open files)" "$mark" "$amark"
# A login program whose free fds are all above 1024 (the limit the
# module's child sets for the helper): the child must compact its fds
# before it lowers the limit (it once failed, blaming oom_score_adj).
like "$(NOFILE=4096 drive -F 16 tu-res)" "$OK_ISOLATED" "only fds above 1024 free: still isolated"
after_fault "fd exhaustion" fds tu-res drive

# ---- F18: the login program cannot fork (pid exhaustion) ----
# fork/clone failing with EAGAIN, as when the pid space or a pids limit
# is exhausted; strace fails only the driver's own calls.
mark=$(syslog_mark)
amark=$(audit_mark)
out=$(timeout -k 5 30 strace -qq -o /dev/null -e trace=clone,clone3,fork,vfork \
    -e inject=clone,clone3,fork,vfork:error=EAGAIN \
    "$DRIVER" -c "$T/pam.d" tenant-fault tu-res 2>&1)
denied_with "fork fails (EAGAIN)" "$out" \
    "denied session for tu-res \\(uid $uid\\): .*(Resource temporarily unavailable|fork)" "$mark" "$amark"
after_fault "fork fails" fork tu-res drive

# RLIMIT_NPROC of the login program: the module's child takes root's own
# limits (unlimited NPROC) before it execs the helper, so the keeper and
# tenant-init start even under NPROC = 1.
like "$(drive -N 1 tu-res)" "$OK_ISOLATED" "RLIMIT_NPROC = 1 in the login program: still isolated"
after_fault "RLIMIT_NPROC = 1" nproc tu-res drive

# ---- F3/F4/F6 at each protocol step: the helper or the new keeper SIGKILLed or hung ----
# Fault points (common/fault.h): after the helper read the request, before
# it sends the result (the keeper already serves the session), and in the
# keeper before it answers its first login (the JOIN its helper sent
# with it, served before the keeper reports ready).  The module's deadline is 3 s.
FAULTS=$E2E_BUILD/faults
install -d -m 0755 "$FAULTS"
on_exit "rm -rf '$FAULTS'"
for point in helper-after-request helper-before-result keeper-join-before-answer; do
	for action in kill stop; do
		what="$point: $action"
		echo "$action" >"$FAULTS/$point"
		chmod 0644 "$FAULTS/$point"
		mark=$(syslog_mark)
		amark=$(audit_mark)
		t0=$(date +%s%N)
		out=$(timeout -k 5 30 "$DRIVER" -c "$T/pam.d" tenant-fault-t3 tu-res 2>&1)
		ms=$((($(date +%s%N) - t0) / 1000000))
		rm -f "$FAULTS/$point"
		case $point:$action in
		helper-*:kill) re="helper killed by signal 9" ;;
		helper-*:stop) re="helper did not finish within 3 s and was killed" ;;
		keeper-*:kill) re="tenant setup failed: keeper died during setup" ;;
		keeper-*:stop) re="keeper did not start in time" ;;
		esac
		denied_with "$what" "$out" "denied session for tu-res \\(uid $uid\\): .*$re" "$mark" "$amark"
		ok "$([ "$ms" -le 4000 ]; echo $?)" "$what: within the deadline + 1 s ($ms ms)"
		# a keeper stopped in the fault point is ours to end
		for k in $(pgrep -x -r T tenant-keeper); do
			[ "$(_e2e_start_ticks "$k")" -ge "$_E2E_START_TICKS" ] && kill -KILL "$k"
		done
		after_fault "$what" "$point-$action" tu-res drive
	done
done

done_testing
