#!/bin/bash
# vm-run --systemd: ExecStart of vmrun-command.service (see init-systemd.sh),
# the systemd-mode counterpart of the end of init-stage2.sh.
#
# Waits until the boot is over (`systemctl is-system-running --wait`; while
# it waits, the pending jobs go to ctl/jobs every few seconds, so that vm-run
# can say which job a stalled boot waits for), then runs the command from
# ctl/run.sh in the sub-cgroup "command" of this unit (Delegate=yes) with
# stdout/stderr on ttyS1/ttyS2 through FIFOs and relays, writes its exit
# status to ctl/status, kills the whole sub-cgroup (cgroup.kill), lets the
# relays drain and exits; the unit's SuccessAction powers the VM off.

set -u
V=/run/vmrun
C=$V/ctl
S=$V/sd
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

log() { echo "vm-run systemd-command: $*"; }  # journal + console
uptime_s() { local u _; read -r u _ </proc/uptime; echo "$u"; }
fail() {
	log "$*"
	echo "systemd-command: $*" >"$C/failed"
	exit 1  # FailureAction=poweroff-immediate
}

# ---- cgroups: this script and the relays in "supervisor", the command in
# "command" (a delegated unit's processes must live in leaves) ------------
cg=$(sed -n 's/^0:://p' /proc/self/cgroup)
CG=/sys/fs/cgroup$cg
[ -n "$cg" ] && [ -d "$CG" ] || fail "no cgroup v2 cgroup ($cg)"
mkdir -p "$CG/supervisor" "$CG/command" || fail "mkdir in $CG failed"
echo $$ >"$CG/supervisor/cgroup.procs" || fail "cannot move into $CG/supervisor"
# The delegated controllers for the children (the command may use them).
read -r ctrls <"$CG/cgroup.controllers"
for c in $ctrls; do echo "+$c" >"$CG/cgroup.subtree_control" 2>/dev/null; done

# ---- wait for the boot ---------------------------------------------------
mkfifo "$S/boot" || fail "mkfifo"
exec {bootfd}<>"$S/boot"
{
	state=$(systemctl is-system-running --wait 2>&1)
	echo "$state" >"$S/boot"
} &
waiter=$!
state= to=5
while ! read -r -t $to -u "$bootfd" state; do
	to=10
	# Still booting: tell the host what is pending (shown if it gives up).
	{
		echo "uptime $(uptime_s) s, jobs still queued:"
		systemctl list-jobs --no-pager --full 2>&1
	} >"$C/jobs.tmp" && mv -f "$C/jobs.tmp" "$C/jobs"
done
wait "$waiter"
exec {bootfd}<&-
up=$(uptime_s)
log "system $state after $up s"
case $state in
running) ;;
degraded)
	log "failed units:"
	systemctl --failed --no-legend --no-pager --full 2>&1 | sed 's/^/    /' ;;
*) fail "systemctl is-system-running --wait: '$state'" ;;
esac

# ---- output channels -------------------------------------------------------
stty -F /dev/ttyS1 raw -echo 115200 || fail "stty ttyS1"
stty -F /dev/ttyS2 raw -echo 115200 || fail "stty ttyS2"
mkfifo "$S/out" "$S/err" || fail "mkfifo"
cat "$S/out" >/dev/ttyS1 &
r1=$!
cat "$S/err" >/dev/ttyS2 &
r2=$!

[ -f "$C/run.sh" ] || fail "no run.sh on the ctl share"
cmd=$(<"$C/run.sh")
read -r t1 <"$V/times"
read -r t_exec <"$S/exec-systemd"
echo "$t1 $t_exec boot-done=$up state=$state command=$(uptime_s)" >"$C/times"
echo "$(uptime_s)" >"$C/started"
# Says where a hung command hangs (vm-run prints it at its timeout).
[ -s "$C/snapshot-at" ] && sh "$V/guest-snapshot.sh" "$(<"$C/snapshot-at")" "$C/snapshot" </dev/null >/dev/null 2>&1 &

# The subshell moves itself into the command's cgroup and becomes the
# command: nothing this script prints lands in the command's stderr.
(
	echo "$BASHPID" >"$CG/command/cgroup.procs" || exit 125
	exec env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root USER=root LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8 \
		TERM=dumb VM_RUN=1 VM_RUN_SYSTEMD=1 \
		/bin/bash --noprofile --norc -c "$cmd"
) </dev/null >"$S/out" 2>"$S/err"
rc=$?
echo "$rc $(uptime_s)" >"$C/status"

# ---- nothing of the command may survive it (its daemons hold the FIFOs) ----
echo 1 >"$CG/command/cgroup.kill" 2>/dev/null
i=0
while [ $i -lt 100 ] && ! grep -qx 'populated 0' "$CG/command/cgroup.events"; do
	read -r -t 0.05 <>"$S/boot"
	i=$((i + 1))
done
# Processes the command moved out of its cgroup (systemd-run --scope, ...)
# may still hold the FIFOs open: give the relays 2 s, then kill the holders.
relays_done() { ! kill -0 "$r1" 2>/dev/null && ! kill -0 "$r2" 2>/dev/null; }
for round in 1 2; do
	i=0
	while [ $i -lt 40 ] && ! relays_done; do
		read -r -t 0.05 <>"$S/boot"
		i=$((i + 1))
	done
	relays_done && break
	for fd in $(find /proc/[0-9]*/fd -lname "$S/out" -o -lname "$S/err" 2>/dev/null); do
		p=${fd#/proc/}
		p=${p%%/*}
		[ "$p" = "$r1" ] || [ "$p" = "$r2" ] || [ "$p" = $$ ] || kill -9 "$p" 2>/dev/null
	done
done
relays_done || log "output relays did not finish"
# poweroff-immediate does not sync: --rw shares and the ctl share first.
sync
# tcsetattr(TCSADRAIN): returns once the UARTs handed every byte to QEMU.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
stty -F /dev/ttyS2 raw -echo 2>/dev/null
exit 0
