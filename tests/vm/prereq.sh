#!/bin/bash
# Prints what the VM tier is missing on this host (empty output: nothing),
# as a space-separated list of package/file names.  Used by selftest.sh and
# run-tier.sh to decide whether to skip.
#   Packages: qemu-system-x86 linux-image-amd64 busybox-static cpio xz-utils kmod
#   With --systemd (what `vm-run --systemd` and selftest-systemd.sh use in the
#   guest, i.e. on the host): systemd dbus libpam-systemd openssh-server
#   openssh-client iproute2
set -u
sd=0
[ "${1:-}" = --systemd ] && sd=1
shopt -s nullglob
missing=()
command -v "${QEMU:-qemu-system-x86_64}" >/dev/null || missing+=("qemu-system-x86_64(qemu-system-x86)")
case ${VM_KERNEL:-} in
'') k=(/boot/vmlinuz-*)
    kernel=$([ ${#k[@]} -gt 0 ] && printf '%s\n' "${k[@]}" | sort -V | tail -n 1) ;;
/*) kernel=$VM_KERNEL ;;
*) kernel=/boot/vmlinuz-$VM_KERNEL ;;
esac
if [ -z "$kernel" ] || [ ! -r "$kernel" ]; then
	missing+=("kernel${VM_KERNEL:+ $VM_KERNEL}(linux-image-amd64)")
elif [ ! -d "/lib/modules/${kernel##*/vmlinuz-}" ]; then
	missing+=("/lib/modules/${kernel##*/vmlinuz-}(linux-image-amd64)")
fi
[ -x "${VM_RUN_BUSYBOX:-/bin/busybox}" ] || missing+=("busybox(busybox-static)")
command -v cpio >/dev/null || missing+=(cpio)
command -v xz >/dev/null || missing+=("xz(xz-utils)")
command -v modprobe >/dev/null || missing+=("modprobe(kmod)")
command -v perl >/dev/null || missing+=(perl)
if [ $sd = 1 ]; then
	[ -x /lib/systemd/systemd ] || missing+=("/lib/systemd/systemd(systemd)")
	command -v loginctl >/dev/null && command -v busctl >/dev/null || missing+=("loginctl(systemd)")
	command -v dbus-daemon >/dev/null || missing+=("dbus-daemon(dbus)")
	k=(/lib/*/security/pam_systemd.so /usr/lib/*/security/pam_systemd.so)
	[ ${#k[@]} -gt 0 ] || missing+=("pam_systemd.so(libpam-systemd)")
	[ -x /usr/sbin/sshd ] || missing+=("sshd(openssh-server)")
	command -v ssh >/dev/null && command -v ssh-keygen >/dev/null || missing+=("ssh(openssh-client)")
	command -v ss >/dev/null || missing+=("ss(iproute2)")
fi
echo "${missing[*]}"
