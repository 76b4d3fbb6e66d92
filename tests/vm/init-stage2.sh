#!/run/vmrun/bin/sh
# vm-run guest init, stage 2: PID 1 in the real root (overlay on host /), run
# by busybox sh from /run/vmrun/bin after switch_root.
#
# Sets up the pseudo file systems, cgroup2 with every controller enabled in
# the root subtree_control, loopback, then runs the command from
# /run/vmrun/ctl/run.sh with stdout/stderr on ttyS1/ttyS2 (through FIFOs and
# relays), writes its exit status to the ctl share, kills whatever the command
# left behind and powers off.
#
# With "vmrun.mode=systemd" on the kernel command line (vm-run --systemd) it
# only does the parts systemd does not do itself (hostname, loopback, fresh
# /var/log, /run directories) and hands over to init-systemd.sh, which
# configures the host's systemd and execs it as PID 1.

PATH=/run/vmrun/bin
export PATH
V=/run/vmrun
C=$V/ctl

read -r t_s2 _ </proc/uptime

log() { echo "vm-run stage2: $*" >&2; }

finish() {
	# No process of the command may survive it (daemons keep the FIFOs open).
	i=0
	while [ $i -lt 50 ]; do
		n=0
		for d in /proc/[0-9]*; do
			p=${d#/proc/}
			case " 1 $r1 $r2 " in *" $p "*) continue ;; esac
			# Kernel threads and zombies have no exe link.
			[ -e "$d/exe" ] || continue
			kill -9 "$p" 2>/dev/null && n=$((n + 1))
		done
		[ $n -eq 0 ] && break
		i=$((i + 1))
	done
	# The relays end at EOF on their FIFOs; give them up to 5 s.
	i=0
	while [ $i -lt 100 ]; do
		a=0
		[ -n "$r1" ] && [ -e "/proc/$r1/exe" ] && a=1
		[ -n "$r2" ] && [ -e "/proc/$r2/exe" ] && a=1
		[ $a -eq 0 ] && break
		sleep 0.05
		i=$((i + 1))
	done
	[ $a -eq 0 ] || log "output relays did not finish"
	# tcsetattr(TCSADRAIN): returns once the UARTs handed every byte to QEMU.
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	stty -F /dev/ttyS2 raw -echo 2>/dev/null
	sync
	poweroff -f
	# Not reached; if it were, PID 1 exiting panics and panic=-1 reboots,
	# which -no-reboot turns into QEMU exiting.
	exit 1
}

fail() {
	log "$*"
	echo "stage2: $*" >"$C/failed" 2>/dev/null
	finish
}

read -r cmdline </proc/cmdline
mode=plain
case " $cmdline " in *" vmrun.mode=systemd "*) mode=systemd ;; esac

if [ $mode = plain ]; then
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -a -T "$V/fstab" || fail "mounting pseudo file systems (fstab) failed"
grep -q '^cgroup2 /sys/fs/cgroup cgroup2 ' /proc/mounts || fail "cgroup2 not mounted"

ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
ln -sf /proc/kcore /dev/core

# Enable every available controller for the children of the root cgroup.
read -r ctrls </sys/fs/cgroup/cgroup.controllers
s=
for c in $ctrls; do s="$s +$c"; done
if ! echo "$s" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
	for c in $ctrls; do
		echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control || log "cannot enable controller $c"
	done
fi
fi # plain

echo vmrun >/proc/sys/kernel/hostname
echo "127.0.1.1	vmrun" >>/etc/hosts
ip link set lo up || fail "ip link set lo up failed"

# Fresh, empty logs: the host's are not the guest's (ausearch, lastlog, ...
# must only see what happens in the VM), and QEMU's readonly=on 9p export
# rejects any open with O_APPEND or O_TRUNC, even a read-only one, which
# overlayfs passes to the lower layer without copying up: auditd's
# open("audit.log", O_RDONLY|O_APPEND) failed with EROFS.  Rotated,
# compressed and large files under /var/log are deleted, the others are
# truncated (copy-up keeps owner and mode; ": >" is a shell builtin, so this
# costs two finds and one rm).
find /var/log -type f \( -size +1024k -o -name '*.gz' -o -name '*.xz' -o -name '*.zst' \
	-o -name '*.bz2' -o -name '*.[0-9]' -o -name '*.old' \) -exec rm -f {} + 2>/dev/null
# (busybox 1.35 find ignores "-exec ... +" inside "\( ... -o ... \)": 2 passes)
find /var/log -type f >"$V/logs" 2>/dev/null
while read -r f; do : >"$f"; done <"$V/logs"

mkdir -p /run/lock /run/sshd /run/user
chmod 1777 /run/lock
: >/run/utmp

# systemd mode: init-systemd.sh execs systemd (it returns only on failure).
[ $mode = systemd ] && . "$V/init-systemd.sh"

# Output channels: the command writes into FIFOs (so it sees pipes, not a
# tty); relays copy them to the raw UARTs ttyS1 (stdout) and ttyS2 (stderr).
stty -F /dev/ttyS1 raw -echo 115200 || fail "stty ttyS1"
stty -F /dev/ttyS2 raw -echo 115200 || fail "stty ttyS2"
mkfifo "$V/out" "$V/err" || fail "mkfifo"
cat "$V/out" >/dev/ttyS1 &
r1=$!
cat "$V/err" >/dev/ttyS2 &
r2=$!

[ -f "$C/run.sh" ] || fail "no run.sh on the ctl share"
cmd=$(cat "$C/run.sh")
read -r up _ </proc/uptime
read -r t1 <"$V/times"
echo "$t1 stage2=$t_s2 command=$up" >"$C/times"
echo "$up" >"$C/started"
# Says where a hung command hangs (vm-run prints it at its timeout).
[ -s "$C/snapshot-at" ] && sh "$V/guest-snapshot.sh" "$(cat "$C/snapshot-at")" "$C/snapshot" </dev/null >/dev/null 2>&1 &

# The subshell applies the redirections, so nothing PID 1 prints (such as
# "Killed" for a command killed by a signal) ends up in the command's stderr.
(
	exec env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root USER=root LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8 \
		TERM=dumb VM_RUN=1 \
		/bin/bash --noprofile --norc -c "$cmd"
) </dev/null >"$V/out" 2>"$V/err"
rc=$?
read -r up _ </proc/uptime
echo "$rc $up" >"$C/status"
finish
