#!/bin/bash
# TAP self-test of `tests/vm/vm-run --systemd` (two boots, one at a time):
#  1. the guest is a systemd host as on a server (selftest-systemd-guest.sh:
#     systemd PID 1, unified cgroup v2, journald, D-Bus, logind, sshd with
#     Debian's PAM stack, ssh login into user-UID.slice/session-N.scope,
#     set-property on the user's slice, terminate-user, no failed units), and
#     the runner hands back exit status, stdout and stderr as without --systemd;
#  2. a boot that never finishes (a start job that waits forever) ends with
#     125 and the pending job named on stderr.
# Exit 77 with "1..0 # SKIP" when QEMU, the kernel, systemd, dbus,
# libpam-systemd or openssh are missing, unless MUST_WORK=1 (then it fails).
#
#   tests/vm/selftest-systemd.sh       (VERBOSE=1: also the guest diagnostics)

set -u
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
VMRUN=$HERE/vm-run
MUST_WORK=${MUST_WORK:-0}
VERBOSE=${VERBOSE:-0}

missing=$("$HERE/prereq.sh" --systemd)
if [ -n "$missing" ]; then
	if [ "$MUST_WORK" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - prerequisites (MUST_WORK=1): missing $missing"
		exit 1
	fi
	echo "1..0 # SKIP missing $missing"
	exit 77
fi

n=0 nfail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $*"; }
tap() { if [ "$1" = 0 ]; then ok "$2"; else notok "$2"; fi; }
diag() { sed 's/^/# /'; }
show() {
	[ -s "$1" ] || return 0
	echo "# --- $2 ---"
	head -c 6000 "$1" | tr -d '\r' | diag
}
ms() { local s=${EPOCHREALTIME/./}; echo $((s / 1000)); }
secs() { printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10)); }

W=$(mktemp -d "${TMPDIR:-/tmp}/vmsdselftest.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
START=$(ms)
echo "# vm-run --systemd selftest: kernel ${VM_KERNEL:-newest}, $(/lib/systemd/systemd --version | head -1), $(nproc) host CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

# run NAME [vm-run args...]: stdout -> $W/NAME.out, stderr -> $W/NAME.err
# (VM_RUN_DEBUG=1: its timing lines, "vm-run: [ ... ms]", are in there too),
# sets RC and EL (elapsed ms).
run() {
	local name=$1 t0
	shift
	t0=$(ms)
	VM_RUN_DEBUG=1 "$VMRUN" "$@" >"$W/$name.out" 2>"$W/$name.err"
	RC=$?
	EL=$(($(ms) - t0))
	echo "# $name: exit $RC after $(secs $EL) s"
	sed -n 's/^vm-run: \[ *[0-9]* ms\] guest uptime: /# guest uptime (s): /p' "$W/$name.err"
}

# ---- 1: the guest, and the runner's contract under systemd ----------------------
newuser=vmsd$$u
while getent passwd "$newuser" >/dev/null; do newuser=${newuser}x; done
run guest --systemd --timeout 400 -- \
	"bash '$HERE/selftest-systemd-guest.sh' '$newuser'; echo vmsd-stderr-marker >&2; exit 3"
grep -v '^vm-run: \[' "$W/guest.err" >"$W/guest.err.only"
tap $([ "$RC" = 3 ]; echo $?) "exit status propagates from the unit (exit 3 -> $RC)"
tap $([ "$(cat "$W/guest.err.only")" = vmsd-stderr-marker ] && ! grep -q vmsd-stderr-marker "$W/guest.out"; echo $?) \
	"stdout and stderr are the command's, apart"
for name in pid1-systemd cgroup2-unified command-in-unit system-running journald dbus logind \
	sshd-unit ssh-login-scope pam-stack logind-session set-property terminate-user no-failed-units; do
	line=$(grep -m1 "^RESULT [a-z]* $name\( \|$\)" "$W/guest.out")
	detail=${line#*:: }
	[ "$detail" = "$line" ] && detail=
	case $line in
	"RESULT pass "*) ok "$name: $detail" ;;
	"RESULT fail "*) notok "$name: $detail" ;;
	*) notok "$name: no result from the guest" ;;
	esac
done
if getent passwd "$newuser" >/dev/null || grep -q "^$newuser:" /etc/passwd; then
	notok "useradd in the guest left the host's /etc/passwd alone"
else
	ok "useradd in the guest left the host's /etc/passwd alone"
fi
if [ "$VERBOSE" = 1 ] || [ "$nfail" != 0 ]; then
	grep -v '^RESULT' "$W/guest.out" | diag
	show "$W/guest.err.only" "guest stderr"
	[ "$RC" = 3 ] || show "$W/guest.err" "vm-run stderr"
fi

# ---- 2: a stalled boot names the job it waits for ------------------------------------
# systemd-time-wait-sync.service waits (without a timeout) for the clock to be
# synchronized, which nothing does here (timesyncd is masked).
f0=$nfail
VM_RUN_BOOT_TIMEOUT=35 run stall --systemd --timeout 120 \
	--append systemd.wants=systemd-time-wait-sync.service -- 'echo should-not-run'
tap $([ "$RC" = 125 ] && [ ! -s "$W/stall.out" ] && [ "$EL" -lt 80000 ]; echo $?) \
	"a boot that does not finish in VM_RUN_BOOT_TIMEOUT=35 s is stopped: exit $RC in $(secs $EL) s"
job=$(sed -n '/---- systemd jobs the boot was waiting for ----/,/^vm-run: ----/p' "$W/stall.err" |
	grep -m1 'systemd-time-wait-sync.service')
tap $([ -n "$job" ]; echo $?) "... and says which job it waits for: $(echo $job)"
if [ "$VERBOSE" = 1 ] || [ "$nfail" != "$f0" ]; then show "$W/stall.err" "vm-run stderr"; fi

echo "1..$n"
echo "# selftest-systemd: $((n - nfail))/$n passed in $(secs $(($(ms) - START))) s"
[ "$nfail" = 0 ]
