#!/bin/bash
# vm-run --systemd: writes the guest's systemd configuration under DESTDIR
# (DESTDIR/etc/...), at cache build time on the host, so that the guest's
# PID 1 copies one prepared tree instead of forking once per mask.  The
# guest's init-systemd.sh copies DESTDIR/etc over its /etc (the tmpfs upper
# layer of the overlay: the host's /etc is never touched) and execs systemd.
#
#   tests/vm/systemd-config.sh DESTDIR
#
# What the guest boots (systemd.unit=vmrun.target on the kernel command line):
#   vmrun.target          sysinit.target + journald, dbus, systemd-logind,
#                         systemd-user-sessions, ssh (sshd on 127.0.0.1:22)
#   vmrun-command.service systemd-command.sh: waits for `systemctl
#                         is-system-running --wait`, runs the command, and
#                         the VM powers off when the unit ends.
set -eu
D=$1/etc
E=$D/systemd/system
mkdir -p "$E/ssh.service.d" "$D/systemd/system-generators" \
	"$D/systemd/journald.conf.d" "$D/ssh/sshd_config.d"

# Units that are slow under TCG, pointless in a throwaway VM, or harmful:
#  - systemd-tmpfiles-setup: "D /tmp" would empty /tmp, and --rw shares
#    under /tmp are the HOST's directories (/run/lock, /run/utmp, ... come
#    from init-stage2.sh instead);
#  - units with ConditionNeedsUpdate=/etc (true on this overlay): sysusers
#    would add users to the guest's passwd, ldconfig rewrites its cache;
#  - udev (coldplug alone costs ~1.5 s; nothing here needs device units),
#    static device nodes (devtmpfs has the nodes of loaded drivers), module
#    loading and extra mounts (modprobe over 9p), clock/seed/pstore/TPM
#    services, the host's enabled timesyncd and pstore, firstboot, apparmor,
#    utmp boot records.
masks=(
	systemd-tmpfiles-setup.service systemd-tmpfiles-clean.timer
	systemd-tmpfiles-setup-dev.service kmod-static-nodes.service
	systemd-sysusers.service ldconfig.service systemd-hwdb-update.service
	systemd-journal-catalog-update.service systemd-update-done.service
	systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service
	systemd-udevd-control.socket systemd-udevd-kernel.socket
	systemd-modules-load.service modprobe@drm.service
	dev-hugepages.mount sys-kernel-debug.mount sys-kernel-tracing.mount
	sys-kernel-config.mount sys-fs-fuse-connections.mount
	proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount systemd-binfmt.service
	systemd-remount-fs.service systemd-random-seed.service systemd-pstore.service
	systemd-timesyncd.service apparmor.service systemd-firstboot.service
	systemd-machine-id-commit.service systemd-repart.service
	systemd-pcrphase.service systemd-pcrphase-sysinit.service
	systemd-journal-flush.service systemd-ask-password-console.path
	systemd-ask-password-wall.path systemd-update-utmp.service
	systemd-update-utmp-runlevel.service e2scrub_reap.service
)
for u in "${masks[@]}"; do ln -sfn /dev/null "$E/$u"; done

# Generators read the host's fstab, crypttab, init scripts, gettys: mask all
# but the debug generator (systemd.mask=/systemd.wants= on the command line).
shopt -s nullglob
for g in /lib/systemd/system-generators/* /usr/lib/systemd/system-generators/* \
	/etc/systemd/system-generators/*; do
	n=${g##*/}
	[ "$n" = systemd-debug-generator ] || ln -sfn /dev/null "$D/systemd/system-generators/$n"
done

cat >"$D/systemd/journald.conf.d/zz-vmrun.conf" <<'EOF'
[Journal]
Storage=volatile
RuntimeMaxUse=32M
ForwardToConsole=no
EOF

# sshd: the guest's own host key (made at cache build time when ssh-keygen
# is there, else by ExecStartPre below), loopback only, no `sshd -t` first.
cat >"$D/ssh/sshd_config.d/00-vmrun.conf" <<'EOF'
HostKey /etc/ssh/vmrun_host_ed25519_key
ListenAddress 127.0.0.1
EOF
if command -v ssh-keygen >/dev/null; then
	ssh-keygen -q -t ed25519 -N "" -C vmrun -f "$D/ssh/vmrun_host_ed25519_key"
fi
cat >"$E/ssh.service.d/vmrun.conf" <<'EOF'
[Unit]
ConditionPathExists=
[Service]
ExecStartPre=
ExecStartPre=/bin/sh -c 'test -s /etc/ssh/vmrun_host_ed25519_key || exec /usr/bin/ssh-keygen -q -t ed25519 -N "" -C vmrun -f /etc/ssh/vmrun_host_ed25519_key'
EOF

cat >"$E/vmrun.target" <<'EOF'
[Unit]
Description=vm-run command target
Documentation=file:/run/vmrun/systemd-command.sh
Requires=sysinit.target
After=sysinit.target
Wants=dbus.service systemd-logind.service systemd-user-sessions.service ssh.service
Wants=vmrun-command.service
AllowIsolate=yes
EOF

# The command's unit.  No default dependencies: it starts at once and waits
# for the boot itself (reporting pending jobs to the host meanwhile).
# Delegate=yes: systemd-command.sh puts itself and the command into
# sub-cgroups of its own (the command's is killed as a whole at the end).
# OOMPolicy=continue: an OOM kill in the command must not stop the unit.
# Success/FailureAction: the VM powers off when the unit ends, whatever way.
cat >"$E/vmrun-command.service" <<'EOF'
[Unit]
Description=vm-run command
Documentation=file:/run/vmrun/systemd-command.sh
DefaultDependencies=no
SuccessAction=poweroff-immediate
FailureAction=poweroff-immediate
[Service]
Type=exec
ExecStart=/bin/bash --noprofile --norc /run/vmrun/systemd-command.sh
StandardInput=null
StandardOutput=journal+console
StandardError=inherit
IgnoreSIGPIPE=no
OOMPolicy=continue
TasksMax=infinity
Delegate=yes
EOF
