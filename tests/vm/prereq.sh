#!/bin/bash
# Prints what the VM tier is missing on this host (empty output: nothing),
# as a space-separated list of package/file names.  Used by selftest.sh and
# run-tier.sh to decide whether to skip.
#   Packages: qemu-system-x86 linux-image-amd64 busybox-static cpio xz-utils kmod
set -u
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
echo "${missing[*]}"
