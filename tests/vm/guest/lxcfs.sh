#!/bin/bash
# Runs inside the cgroup v2 VM (tests/vm/tests/25-lxcfs.sh): proc.lxcfs
# with the real lxcfs daemon (Debian's package, /dev/fuse from the fuse
# module), real sshd logins.  yes: lxcfs's files over the tenant's /proc,
# read-only, the tenant's own uptime; yes without lxcfs (not running, a
# tmpfs impostor, a daemon killed with SIGKILL whose mount answers
# ENOTCONN) is a setup failure decided by on_error (deny, or an
# unisolated session with on_error = allow), audited; auto and no log in
# with the host's figures in every case; tenantctl check warns about yes
# without lxcfs.  lxcfs takes its figures from the cgroup of the reader's
# PID 1, tenant-init, which runs outside the tenant's cgroup: memory.max
# = 64M showing in free is a TODO until it does (tenant.conf(5)).
. "$(dirname "$0")/../../lib/tenant.sh"
require_root
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip_all "not a cgroup v2 host"
require_cmd sshd ssh free
LXCFS_DIR=/var/lib/lxcfs
# todo_is GOT WANT DESC REASON: a known gap (TAP "# TODO"), never a failure
todo_is() {
	_E2E_N=$((_E2E_N + 1))
	if [ "$1" = "$2" ]; then
		printf 'ok %d - %s # TODO %s\n' "$_E2E_N" "$3" "$4"
	else
		printf 'not ok %d - %s # TODO %s\n' "$_E2E_N" "$3" "$4"
		diag "  got: '$1', want: '$2'"
	fi
}
if ! command -v lxcfs >/dev/null || ! modprobe fuse 2>/dev/null || [ ! -c /dev/fuse ]; then
	why="lxcfs (Debian package lxcfs) or /dev/fuse (module fuse) missing"
	[ "${MUST_WORK:-0}" = 1 ] && bail_out "MUST_WORK=1: $why"
	skip_all "$why"
fi
tmpdir_create
start_syslog
start_auditd
for u in tl-a tl-n tl-y1 tl-y2 tl-y3 tl-y4 tl-y5 tl-k1 tl-k2 tl-k3 tl-k4; do make_user "$u"; done
mkdir -p "$LXCFS_DIR"
on_exit "umount -l '$LXCFS_DIR' 2>/dev/null; true"
HOST_MEM=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
HOST_CPUS=$(grep -c ^processor /proc/cpuinfo)
diag "guest: MemTotal $HOST_MEM kB, $HOST_CPUS CPUs"
conf() { # conf EXTRA_LINES...: every user limited; tl-n no, tl-a and tl-y* yes
	tenant_config '[default]' 'memory.max = 64M' 'cpu = 50%' \
	    '[user tl-n]' 'proc.lxcfs = no' '[user tl-a]' 'proc.lxcfs = yes' \
	    '[user tl-y1]' 'proc.lxcfs = yes' '[user tl-y2]' 'proc.lxcfs = yes' \
	    '[user tl-y3]' 'proc.lxcfs = yes' '[user tl-y4]' 'proc.lxcfs = yes' \
	    '[user tl-y5]' 'proc.lxcfs = yes' 'on_error = allow' "$@"
}
conf
tenant_stack "$T/stack"
start_sshd "$T/stack"
# what a session sees: MemTotal (kB), free's total (bytes), CPUs, the
# file system under /proc/meminfo, uptime (s) and its mount namespace
VIEW='echo "mem=$(awk "/^MemTotal:/ { print \$2 }" /proc/meminfo)"
echo "free=$(free -b | awk "/^Mem:/ { print \$2 }")"
echo "cpus=$(grep -c ^processor /proc/cpuinfo)"
echo "fs=$(stat -fc %T /proc/meminfo)"
echo "mnt=$(findmnt -no FSTYPE,OPTIONS /proc/meminfo | tail -n 1)"
echo "up=$(cut -d. -f1 /proc/uptime)"
echo "ns=$(readlink /proc/self/ns/mnt)"'
HOST_NS=$(host_ns mnt)

# ---- lxcfs not running: yes is denied (on_error), auto logs in ----
out=$("$TENANTCTL" check 2>&1)
like "$out" "proc.lxcfs = yes.*lxcfs is not mounted" "tenantctl check warns: proc.lxcfs = yes without lxcfs mounted"
amark=$(audit_mark)
mark=$(syslog_mark)
out=$(ssh_as tl-y1 "$VIEW" 2>&1)
unlike "$out" '^mem=' "proc.lxcfs = yes, lxcfs not running: the login is denied (on_error = deny)"
syslog_wait 5 "$mark" "denied session for tl-y1 .*proc.lxcfs = yes, but lxcfs is unavailable"
ok $? "... syslog gives the reason"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 10 "$amark" "op=tenant-deny id=$(user_uid tl-y1) .*proc.lxcfs = yes"
	ok $? "... audited (op=tenant-deny, reason names proc.lxcfs)"
fi
out=$(ssh_as tl-k1 "$VIEW" 2>&1)
is "$(kv mem "$out")" "$HOST_MEM" "auto, lxcfs not running: logs in with the host's MemTotal"

# ---- an impostor (a tmpfs with a meminfo file) is not lxcfs ----
mount -t tmpfs -o mode=0755 impostor "$LXCFS_DIR"
mkdir "$LXCFS_DIR/proc"
for f in meminfo cpuinfo stat uptime loadavg swaps diskstats; do echo 'MemTotal: 1 kB' >"$LXCFS_DIR/proc/$f"; done
out=$(ssh_as tl-k2 "$VIEW" 2>&1)
is "$(kv mem "$out")" "$HOST_MEM" "auto, a tmpfs at $LXCFS_DIR: not used (host's MemTotal)"
mark=$(syslog_mark)
out=$(ssh_as tl-y2 "$VIEW" 2>&1)
unlike "$out" '^mem=' "yes, a tmpfs at $LXCFS_DIR: denied"
syslog_wait 5 "$mark" "denied session for tl-y2 .*not a FUSE mount"
ok $? "... because it is not a FUSE mount"
umount "$LXCFS_DIR"

# ---- the real lxcfs ----
lxcfs --enable-cfs "$LXCFS_DIR" >"$T/lxcfs.log" 2>&1 &
LXCFS_PID=$!
on_exit "kill -9 $LXCFS_PID 2>/dev/null; true"
wait_until 20 grep -q " $LXCFS_DIR .* fuse.lxcfs " /proc/self/mountinfo
ok $? "lxcfs runs and is mounted at $LXCFS_DIR" || sed 's/^/  > /' "$T/lxcfs.log" | diag
out=$("$TENANTCTL" check 2>&1)
unlike "$out" "proc.lxcfs" "tenantctl check: no lxcfs warning while it is mounted"
ssh_bg_as tl-a 'exec sleep 600'
wait_until 30 test -d "/sys/fs/cgroup/tenant.slice/user-$(user_uid tl-a)"
guest_up=$(cut -d. -f1 /proc/uptime)
out=$(ssh_as tl-a "$VIEW" 2>&1)
diag "tl-a sees: $(printf '%s' "$out" | tr '\n' ' ')"
init=$(pgrep -f '^tenant-init' | head -n 1)
diag "tenant-init (pid $init) runs in $(cat /proc/$init/cgroup 2>/dev/null), the session in $(ssh_as tl-a 'cat /proc/self/cgroup')"
like "$(kv mnt "$out")" '^fuse\.lxcfs ro,nosuid,nodev,noexec' "yes: /proc/meminfo is lxcfs's, read-only, nosuid, nodev, noexec"
ok "$([ "$(kv up "$out")" -lt "$guest_up" ]; echo $?)" "... /proc/uptime is the tenant's ($(kv up "$out") s), not the guest's ($guest_up s)"
gap="lxcfs reads tenant-init's cgroup, outside the tenant's"
todo_is "$(kv free "$out")" "67108864" "memory.max = 64M: free -b shows a total of 67108864" "$gap"
todo_is "$(kv mem "$out")" "65536" "... /proc/meminfo MemTotal 65536 kB" "$gap"
todo_is "$(kv cpus "$out")" "1" "cpu = 50%: /proc/cpuinfo lists 1 CPU (the guest has $HOST_CPUS)" "$gap"
out2=$(ssh_as tl-a 'umount /proc/meminfo 2>&1; cat /proc/meminfo | head -n 1')
like "$out2" 'must be superuser' "the user cannot unmount it"
is "$(printf '%s\n' "$out2" | tail -n 1)" "$(head -n 1 "$LXCFS_DIR/proc/meminfo")" "... it still shows lxcfs's meminfo"
out=$(ssh_as tl-n "$VIEW" 2>&1)
is "$(kv mem "$out")" "$HOST_MEM" "proc.lxcfs = no: the host's MemTotal despite memory.max = 64M"
is "$(kv fs "$out")" "proc" "... /proc/meminfo is the tenant's proc"
out=$(ssh_as tl-k4 "$VIEW" 2>&1)
is "$(kv fs "$out")" "proc" "auto with lxcfs running: binds nothing while tenant-init is outside the tenant's cgroup"
is "$(kv mem "$out")" "$HOST_MEM" "... the host's MemTotal"
out=$(ssh_as tl-y3 "$VIEW" 2>&1)
is "$(kv fs "$out")" "fuseblk" "another proc.lxcfs = yes tenant with lxcfs running: lxcfs's meminfo"

# ---- lxcfs killed: its mount stays, dead (ENOTCONN) ----
kill -9 "$LXCFS_PID"
wait "$LXCFS_PID" 2>/dev/null
err=$(cat "$LXCFS_DIR/proc/meminfo" 2>&1)
like "$err" "Transport endpoint is not connected" "lxcfs SIGKILLed: its mount answers ENOTCONN"
out=$(ssh_as tl-k3 "$VIEW" 2>&1)
is "$(kv mem "$out")" "$HOST_MEM" "auto, lxcfs dead: logs in, host's MemTotal"
is "$(kv fs "$out")" "proc" "... over the tenant's own proc"
amark=$(audit_mark)
out=$(ssh_as tl-y4 "$VIEW" 2>&1)
unlike "$out" '^mem=' "yes, lxcfs dead: denied"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 10 "$amark" "op=tenant-deny id=$(user_uid tl-y4) .*proc.lxcfs = yes.*not connected"
	ok $? "... audited with the reason (ENOTCONN)"
fi
amark=$(audit_mark)
out=$(ssh_as tl-y5 "$VIEW" 2>&1)
is "$(kv ns "$out")" "$HOST_NS" "yes + on_error = allow, lxcfs dead: the login goes on unisolated"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 10 "$amark" "op=tenant-degrade id=$(user_uid tl-y5) .*proc.lxcfs = yes"
	ok $? "... audited (op=tenant-degrade)"
fi
err=$(ssh_as tl-a 'cat /proc/meminfo 2>&1 | head -n 1')
like "$err" "Transport endpoint is not connected" "a tenant started before lxcfs died reads ENOTCONN from /proc/meminfo (documented)"
is "$(ssh_as tl-a 'echo still-in')" "still-in" "... and its user still logs in"

# ---- the end ----
for u in tl-a tl-n tl-k1 tl-k2 tl-k3 tl-k4 tl-y3; do pkill -u "$u" -x sleep; done
wait_no_tenants 30
ok $? "all tenants end"
done_testing
