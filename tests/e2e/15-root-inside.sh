#!/bin/bash
# Root inside a tenant (what a set-user-ID root program run in a session
# becomes, made here by build/tests/tenant-root) cannot reach the host's
# kernel knobs: /proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus,
# /proc/fs and all of /sys (cgroups included) are read-only, and so are a
# proc and a sysfs mounted elsewhere on the host; /proc/kcore &
# co., /proc/acpi, /sys/firmware are masked; /run/pam_tenant shows only the
# tenant's own marker; none of it can be unmounted or remounted.  The
# session still works, and its /tmp, /var/tmp, /dev/shm and /run/lock are
# private and share one tmp.size budget.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh findmnt dd
test_bin TENANT_ROOT tenant-root
tmpdir_create
start_syslog

make_user tu-root-a
make_user tu-root-b
uid_a=$(user_uid tu-root-a)
tenant_config '[default]' 'tmp.size = 4M' 'tmp.inodes = 1000'
tenant_stack "$T/stack"
start_sshd "$T/stack"
wait_no_tenants 10
# A chroot's /proc and /sys elsewhere on the host (schroot, sbuild,
# pbuilder make these), mounted before the tenant starts.
kfs=$(mktemp -d /run/pam_tenant-test-kfs.XXXXXX)
on_exit "umount $(_e2e_q "$kfs/proc") $(_e2e_q "$kfs/sys") 2>/dev/null; rmdir $(_e2e_q "$kfs/proc") $(_e2e_q "$kfs/sys") $(_e2e_q "$kfs")"
mkdir "$kfs/proc" "$kfs/sys"
mount -t proc proc "$kfs/proc" && mount -t sysfs sysfs "$kfs/sys" ||
    bail_out "cannot mount a proc and a sysfs at $kfs"
host_snapshot before
core_before=$(cat /proc/sys/kernel/core_pattern)
# if /run/lock were shared with the host, this test must not leave files there
on_exit "rm -f /run/lock/tu-root-a.lock"

ssh_bg_as tu-root-a 'echo lock >/run/lock/tu-root-a.lock; echo ready >/var/tmp/a-ready; exec sleep 300'
wait_until 10 ssh_as tu-root-a 'test -e /var/tmp/a-ready'
ok $? "tu-root-a's long session is up"
on_exit "ssh_as tu-root-a 'pkill -x sleep; true' >/dev/null 2>&1"
pid=$(pgrep -u tu-root-a -x sleep | head -n 1)
[ -n "$pid" ] || bail_out "no session process of tu-root-a"

# root_in CMD: run CMD with /bin/sh as uid 0 inside tu-root-a's tenant.
root_in() {
	"$TENANT_ROOT" "$pid" /bin/sh -c "$1" 2>&1
}

out=$(root_in 'id -u; sed -n "s/^CapEff:[[:space:]]*//p" /proc/self/status; readlink /proc/self/ns/mnt')
is "$(printf '%s\n' "$out" | head -n 2 | tr '\n' ' ')" \
    "0 $(sed -n 's/^CapBnd:[[:space:]]*//p' "/proc/$pid/status") " \
    "tenant-root runs as uid 0 with the session's bounding set as its capabilities"
is "$(printf '%s\n' "$out" | sed -n 3p)" "$(readlink "/proc/$pid/ns/mnt")" "... in the session's mount namespace"

# Kernel knobs: opening for writing is refused (nothing is written even
# where it would succeed), and core_pattern is rewritten with its own value.
for f in /proc/sys/kernel/core_pattern /proc/sysrq-trigger; do
	if [ ! -e "$f" ]; then
		skip "$f does not exist here" "root inside cannot open $f for writing"
		continue
	fi
	out=$(root_in "exec 3>>$f && echo OPENED")
	like "$out" 'Read-only file system' "root inside cannot open $f for writing"
done
out=$(root_in 'cat /proc/sys/kernel/core_pattern >/proc/sys/kernel/core_pattern && echo WROTE')
unlike=$(printf '%s' "$out" | grep -c WROTE)
is "$unlike" "0" "root inside cannot write kernel.core_pattern ($out)"
is "$(cat /proc/sys/kernel/core_pattern)" "$core_before" "... the host's core_pattern is unchanged"
out=$(root_in 'cg=$(sed -n "s/^0:://p" /proc/self/cgroup)
for base in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	f=$base$cg/cgroup.procs
	[ -e "$f" ] || continue
	if echo $$ >"$f"; then echo "WROTE $f"; else echo "REFUSED $f"; fi
	break
done
f=$(find /sys/fs/cgroup -maxdepth 3 -name cgroup.procs | head -n 1)
exec 3>>"$f" && echo "OPENED $f"')
like "$out" 'REFUSED .*Read-only file system|Read-only file system.*REFUSED' "root inside cannot write its own cgroup.procs"
unlike=$(printf '%s' "$out" | grep -c OPENED)
is "$unlike" "0" "... nor open any cgroup.procs under /sys/fs/cgroup for writing ($out)"

for d in /proc/sys /proc/sysrq-trigger /proc/irq /proc/bus /proc/fs /sys; do
	if [ ! -e "$d" ]; then
		skip "$d does not exist here" "$d is read-only inside"
		continue
	fi
	like "$(root_in "findmnt -no OPTIONS $d | tail -n 1")" '^ro,' "$d is a read-only mount inside"
done
# (mountinfo also lists the mounts the read-only copy covers: test what a
# path reaches; access(W_OK) says EROFS even to root)
out=$(root_in 'awk "\$5 ~ \"^/sys(/|\$)\" { print \$5 }" /proc/self/mountinfo | sort -u |
	while read -r m; do [ -e "$m" ] && [ -w "$m" ] && echo "$m is writable"; done')
is "$out" "" "every mount under /sys is read-only inside (cgroups included)"

# The chroot's copies: read-only too, and their knobs refused.
for d in "$kfs/proc" "$kfs/sys"; do
	like "$(root_in "findmnt -no OPTIONS $d | tail -n 1")" '^ro,' "a $(basename "$d") mounted elsewhere on the host ($d) is read-only inside"
done
out=$(root_in "exec 3>>$kfs/proc/sys/kernel/core_pattern && echo OPENED")
like "$out" 'Read-only file system' "root inside cannot open that proc's sys/kernel/core_pattern for writing"
is "$(findmnt -no OPTIONS "$kfs/proc" | cut -d, -f1)" "rw" "... while the host's own mount stays as it was (rw)"

for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats; do
	if [ ! -e "$f" ]; then
		skip "$f does not exist here" "$f is masked inside"
		continue
	fi
	is "$(root_in "stat -c %t:%T $f; wc -c <$f")" "1:3
0" "$f is masked by /dev/null inside (reads empty)"
done
for d in /proc/acpi /proc/scsi /sys/firmware /sys/devices/virtual/powercap; do
	if [ ! -e "$d" ]; then
		skip "$d does not exist here" "$d is masked inside"
		continue
	fi
	is "$(root_in "stat -f -c %T $d; ls -A $d | wc -l; findmnt -no OPTIONS $d | tail -n 1 | cut -d, -f1")" "tmpfs
0
ro" "$d is masked by an empty read-only tmpfs inside"
done

out=$(root_in 'ls -A /run/pam_tenant; find /run/pam_tenant -type s; cat /run/pam_tenant/tenant')
is "$out" "status.sock
tenant
/run/pam_tenant/status.sock
$uid_a user-$uid_a" "root inside sees no keeper socket in /run/pam_tenant, only the tenant's marker and the user's status socket"
ok "$([ -S "/run/pam_tenant/tenants/user-$uid_a/keeper.sock" ]; echo $?)" "... while the host's keeper socket is there"

# Undoing any of it needs CAP_SYS_ADMIN, which the session never has.
for m in /run/pam_tenant /proc/sys /sys /sys/firmware /proc/timer_list; do
	[ -e "$m" ] || continue
	out=$(root_in "umount $m && echo UNMOUNTED; umount -l $m && echo UNMOUNTED; mount -o remount,bind,rw $m && echo REMOUNTED")
	unlike=$(printf '%s' "$out" | grep -cE 'UNMOUNTED|REMOUNTED')
	is "$unlike" "0" "root inside can neither unmount nor remount $m"
done
is "$(root_in 'ls -A /run/pam_tenant; findmnt -no OPTIONS /proc/sys | cut -d, -f1')" "status.sock
tenant
ro" "... and the masks are still in place"
if ssh_as tu-root-a 'unshare -Urm true' >/dev/null 2>&1; then
	out=$(ssh_as tu-root-a 'unshare -Urm sh -c "umount /run/pam_tenant && echo UNMOUNTED; mount -o remount,rw /proc/sys && echo REMOUNTED; ls -A /run/pam_tenant"' 2>&1)
	unlike=$(printf '%s' "$out" | grep -cE 'UNMOUNTED|REMOUNTED')
	is "$unlike" "0" "in a user namespace of its own the user cannot undo the masks either (locked mounts)"
else
	skip "unprivileged user namespaces are off" "masks are locked in a user namespace"
fi

# The session still works.
out=$(ssh_as tu-root-a 'ls /proc >/dev/null && ps -e >/dev/null && echo hi >/tmp/x && cat /tmp/x && cat /proc/self/comm')
is "$out" "hi
cat" "a session still lists /proc, runs ps and uses /tmp"

# One budget for /tmp, /var/tmp, /dev/shm, /run/lock.
out=$(ssh_as tu-root-a 'for d in /tmp /var/tmp /dev/shm /run/lock; do stat -c "%d $(stat -fc %T $d)" $d; done | sort -u')
like "$out" '^[0-9]+ tmpfs$' "/tmp, /var/tmp, /dev/shm and /run/lock are one tmpfs (device and type: $out)"
out=$(ssh_as tu-root-a 'dd if=/dev/zero of=/tmp/fill bs=1M count=3 2>/dev/null && echo TMP-OK
dd if=/dev/zero of=/dev/shm/fill bs=1M count=3 2>&1 | grep -o "No space left on device" | head -n 1
rm -f /tmp/fill /dev/shm/fill')
is "$out" "TMP-OK
No space left on device" "3 MiB in /tmp then 3 MiB in /dev/shm exceed the one 4 MiB tmp.size budget"
for d in /tmp /var/tmp /dev/shm /run/lock; do
	like "$(ssh_as tu-root-a "stat -c %a $d; findmnt -no OPTIONS $d | tail -n 1")" '^1777
.*nosuid,nodev' "$d is mode 1777, nosuid,nodev"
done

# Private: the host and another user's tenant see none of it.
ok "$([ ! -e /run/lock/tu-root-a.lock ]; echo $?)" "the host's /run/lock does not see the tenant's lock file"
out=$(ssh_as tu-root-b 'ls -A /run/lock /tmp /var/tmp /dev/shm')
unlike=$(printf '%s' "$out" | grep -cE 'tu-root-a.lock|a-ready|^x$')
is "$unlike" "0" "tu-root-b's tenant sees nothing of tu-root-a's /run/lock, /tmp, /var/tmp"
like "$(ssh_as tu-root-a 'cat /run/lock/tu-root-a.lock')" '^lock$' "... while tu-root-a's sessions share theirs"

ssh_as tu-root-a 'pkill -x sleep'
wait "$SSH_BG_PID" 2>/dev/null
wait_no_tenants 15
ok $? "keepers, inits and tenant state are gone after logout"
host_settle before after 30
host_compare before after "host mount table, /run/pam_tenant and processes back to where they were"
done_testing
