# vm-run guest init, systemd mode (vm-run --systemd): sourced by
# init-stage2.sh (busybox sh, PID 1, in the overlay root) once the common
# setup is done.  Installs the configuration systemd-config.sh prepared at
# cache build time (units, masks, journald and sshd settings: see there)
# and execs the host's systemd as PID 1, which boots vmrun.target and runs
# the command through vmrun-command.service (systemd-command.sh).
#
# Everything written here goes to the tmpfs upper layer of the overlay.
# Uses $V, fail and t_s2 from init-stage2.sh; forks as little as possible
# (each fork of PID 1 costs ~5-25 ms under TCG).

# systemd believes it runs in a container if /.dockerenv exists (the host
# image has one), and then ignores the kernel command line: it would boot
# the host's default target and never run the command.  The rm leaves an
# overlay whiteout; the host's file stays.
rm -f /.dockerenv /run/.containerenv
cp -a "$V/systemd-etc/etc/." /etc/ || fail "systemd mode: cannot install $V/systemd-etc/etc"
# Our own identity: the host's /etc/hostname and machine id are not ours.
echo vmrun >/etc/hostname
read -r uuid </proc/sys/kernel/random/uuid
echo "${uuid//-/}" >/etc/machine-id
mkdir -p "$V/sd"
read -r up _ </proc/uptime
echo "stage2=$t_s2 systemd=$up" >"$V/sd/exec-systemd"

# systemd as PID 1 (exec keeps the pid), with a clean environment; no colour
# codes in console.log.
exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SYSTEMD_COLORS=0 \
	/lib/systemd/systemd
fail "systemd mode: exec /lib/systemd/systemd failed"
