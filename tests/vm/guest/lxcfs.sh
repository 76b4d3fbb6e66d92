#!/bin/bash
# Runs inside the cgroup v2 VM (tests/vm/tests/25-lxcfs.sh): proc.lxcfs
# with the real lxcfs daemon (Debian's package, /dev/fuse from the fuse
# module), real sshd logins.  yes: lxcfs's files over the tenant's /proc,
# read-only, the tenant's own uptime; yes without lxcfs (not running, a
# tmpfs impostor, a daemon killed with SIGKILL whose mount answers
# ENOTCONN) is a setup failure decided by on_error (deny, or an
# unisolated session with on_error = allow), audited; auto and no log in
# with the host's figures; tenantctl check warns about yes without lxcfs.
# lxcfs takes its figures from the cgroup of the reader's PID 1: with
# lxcfs running, tenant-init lives in the user's cgroup (scope = user),
# so free and /proc/meminfo show memory.max and the tenant's usage, and
# /proc/cpuinfo cpu.max's CPUs; the session leaves then have no
# controllers, and a hog's OOM kill spares tenant-init.
. "$(dirname "$0")/../../lib/tenant.sh"
require_root
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip_all "not a cgroup v2 host"
require_cmd sshd ssh free
LXCFS_DIR=/var/lib/lxcfs
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
ok $? "... syslog gives the reason" || tail -n 15 "$SYSLOG_FILE" | diag
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
A=$(user_uid tl-a)
CGA=/sys/fs/cgroup/tenant.slice/user-$A
ssh_bg_as tl-a 'exec sleep 600'
wait_until 30 test -d "$CGA"
guest_up=$(cut -d. -f1 /proc/uptime)
out=$(ssh_as tl-a "$VIEW" 2>&1)
diag "tl-a sees: $(printf '%s' "$out" | tr '\n' ' ')"
pidns=$(ssh_as tl-a 'readlink /proc/self/ns/pid')
init=
for p in $(pgrep -f '^tenant-init'); do
	[ "$(readlink "/proc/$p/ns/pid")" = "$pidns" ] && init=$p
done
like "$(kv mnt "$out")" '^fuse\.lxcfs ro,nosuid,nodev,noexec' "yes: /proc/meminfo is lxcfs's, read-only, nosuid, nodev, noexec"
ok "$([ "$(kv up "$out")" -lt "$guest_up" ]; echo $?)" "... /proc/uptime is the tenant's ($(kv up "$out") s), not the guest's ($guest_up s)"
is "$(kv free "$out")" "67108864" "memory.max = 64M: free -b shows a total of 67108864"
is "$(kv mem "$out")" "65536" "... /proc/meminfo MemTotal 65536 kB"
is "$(kv cpus "$out")" "1" "cpu = 50%: /proc/cpuinfo lists 1 CPU (the guest has $HOST_CPUS)"
is "$(cat /proc/$init/cgroup 2>/dev/null)" "0::/tenant.slice/user-$A" "tenant-init lives in the user's cgroup (lxcfs reads the cgroup of the reader's PID 1)"
is "$(cat /proc/$init/oom_score_adj 2>/dev/null)" "-1000" "... exempt from the OOM killer (oom_score_adj -1000)"
like "$(ssh_as tl-a 'cat /proc/self/cgroup')" "^0::/tenant.slice/user-$A/session-[0-9a-f]{32}$" "the session lives in a leaf below it"
is "$(cat "$CGA/cgroup.subtree_control")" "" "... and the user's cgroup enables no controllers for its leaves (no internal processes)"
# the tenant's usage, not tenant-init's: 24 MiB on its /tmp (tmpfs,
# charged to the writer's cgroup, a leaf below the user's)
out=$(ssh_as tl-a 'head -c 25165824 /dev/zero >/tmp/fill && sync
awk "/^MemFree:/ { print \"memfree=\" \$2 }" /proc/meminfo; rm -f /tmp/fill' 2>&1)
memfree=$(kv memfree "$out")
ok "$([ -n "$memfree" ] && [ "$memfree" -le $((65536 - 24576)) ]; echo $?)" "24 MiB on the tenant's /tmp: MemFree ${memfree:-?} kB <= 40960 kB (the user's memory.current, not init's)"
out=$(ssh_as tl-a 'perl -e "\$x = q(x) x (200 * 1024 * 1024); print qq(survived\n)"; echo rc=$?' 2>&1)
like "$out" 'rc=137' "a 200 MiB hog under memory.max = 64M is OOM-killed"
ok "$(kill -0 "$init" 2>/dev/null; echo $?)" "... tenant-init survives it"
is "$(ssh_as tl-a 'echo still-in')" "still-in" "... and tl-a still logs in, into the same tenant"
out2=$(ssh_as tl-a 'umount /proc/meminfo 2>&1; cat /proc/meminfo | head -n 1')
like "$out2" 'must be superuser' "the user cannot unmount it"
like "$(printf '%s\n' "$out2" | tail -n 1)" '^MemTotal: +65536 kB$' "... it still shows lxcfs's meminfo"
out=$(ssh_as tl-n "$VIEW" 2>&1)
is "$(kv mem "$out")" "$HOST_MEM" "proc.lxcfs = no: the host's MemTotal despite memory.max = 64M"
is "$(kv fs "$out")" "proc" "... /proc/meminfo is the tenant's proc"
leaf=$(ssh_as tl-n 'cat /proc/self/cgroup' | sed 's/^0:://')
ok "$(test -f "/sys/fs/cgroup$leaf/memory.current"; echo $?)" "... its session leaf keeps per-session accounting (memory.current)"
out=$(ssh_as tl-k4 "$VIEW" 2>&1)
is "$(kv fs "$out")" "fuseblk" "auto with lxcfs running: lxcfs's meminfo"
is "$(kv mem "$out")" "65536" "... MemTotal is memory.max"
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
ok $? "all tenants end" || { tail -n 30 "$SYSLOG_FILE"; ps -eo pid,user,cgroup:60,args; } | diag
wait_until 10 sh -c '! ls -d /sys/fs/cgroup/tenant.slice/user-* 2>/dev/null'
ok $? "... and no user cgroup is left (tenant-init's included)"
done_testing
