#!/bin/sh
# vm-run guest init, stage 1: PID 1 in the initramfs (busybox sh).
#
# Loads the virtio/9p/overlay modules, builds the new root
#   /newroot = overlay(lower = host / over 9p read-only, upper = tmpfs)
# mounts the guest's own proc/sys/dev and the vm-run shares inside it, and
# switch_root's into it, where init-stage2.sh continues as PID 1.
#
# Everything here is a busybox applet from /bin of the initramfs.

PATH=/bin
export PATH

die() {
	echo "vm-run stage1: $*" >/dev/console 2>/dev/null || echo "vm-run stage1: $*"
	# If the ctl share is up, tell the host why we died.
	[ -d /newroot/run/vmrun/ctl ] && echo "stage1: $*" >/newroot/run/vmrun/ctl/failed 2>/dev/null
	/bin/poweroff -f
	exit 1
}

mount -t proc proc /proc || die "mount /proc"
mount -t sysfs sysfs /sys || die "mount /sys"
mount -t devtmpfs devtmpfs /dev || die "mount /dev"
read -r t_init _ </proc/uptime

# Modules, in dependency order (written by vm-run when it built the cpio).
while read -r m; do
	[ -n "$m" ] || continue
	insmod "/modules/$m" 2>/dev/null || {
		# Already built in (or loaded) is fine; anything else is fatal later.
		n=${m%.ko}
		[ -d "/sys/module/$(echo "$n" | tr - _)" ] || die "insmod $m failed"
	}
done </modules/order

read -r t_mod _ </proc/uptime

mkdir -p /lower /rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro,cache=loose \
	hostroot /lower || die "mount 9p hostroot"
# Upper layer: default tmpfs size = half the guest RAM.
mount -t tmpfs -o mode=0755 rw /rw || die "mount tmpfs /rw"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work,redirect_dir=on,index=off,xino=off \
	overlay /newroot || die "mount overlay"

# The guest's own pseudo file systems, mounted BEFORE switch_root: the 9p view
# of the host's /proc, /sys, /dev must never be what the guest sees there.
mount -t proc proc /newroot/proc || die "mount /newroot/proc"
mount -t sysfs sysfs /newroot/sys || die "mount /newroot/sys"
mount -t devtmpfs devtmpfs /newroot/dev || die "mount /newroot/dev"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run || die "mount /newroot/run"

mkdir -p /newroot/run/vmrun/ctl
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none \
	vmrunctl /newroot/run/vmrun/ctl || die "mount 9p ctl share"

# Busybox and stage 2 live in the new root's /run (tmpfs) from now on.
cp -a /bin /newroot/run/vmrun/bin || die "copy busybox"
# (init-systemd.sh, systemd-command.sh, systemd-etc/: vm-run --systemd only)
cp -a /init-stage2.sh /fstab /init-systemd.sh /systemd-command.sh /guest-snapshot.sh /systemd-etc /newroot/run/vmrun/ ||
	die "copy stage 2"
# Boot timings (guest uptime), reported by vm-run with VM_RUN_DEBUG=1.
echo "init=$t_init modules-loaded=$t_mod" >/newroot/run/vmrun/times

# --rw shares: lines "TAG PATH" (PATH may contain spaces, not newlines).
if [ -f /newroot/run/vmrun/ctl/shares ]; then
	while read -r tag path; do
		[ -n "$tag" ] || continue
		mkdir -p "/newroot$path" 2>/dev/null
		mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=mmap \
			"$tag" "/newroot$path" || die "mount --rw share $path"
	done </newroot/run/vmrun/ctl/shares
fi

# Drop the raw views: overlayfs keeps its own private clones of the layers.
umount -l /lower
umount -l /rw
umount /sys
umount /dev
umount /proc
exec /bin/switch_root /newroot /run/vmrun/bin/sh /run/vmrun/init-stage2.sh
die "switch_root failed"
