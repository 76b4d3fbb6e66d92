#!/bin/bash
# Guest half of tests/vm/selftest-systemd.sh: runs INSIDE a `vm-run --systemd`
# VM (as root, in vmrun-command.service) and checks that the guest is a
# systemd host as on a server: systemd PID 1 on unified cgroup v2, journald,
# D-Bus, logind, the real sshd with Debian's PAM stack (common-session with
# pam_systemd), user slices and session scopes, runtime unit properties that
# reach the cgroup files, terminate-user.  Prints
#   RESULT pass|fail NAME [:: detail]
# lines (selftest-systemd.sh turns them into TAP, in the order of its list);
# everything else is diagnostics.
# Argument: a user name that does not exist on the host.

set -u
U=${1:-vmsd-user}
T0US=${EPOCHREALTIME/./}
ts() {
	local d=$(((${EPOCHREALTIME/./} - T0US) / 10000))
	printf '[%3d.%02ds]' $((d / 100)) $((d % 100))
}
diag() { printf '%s %s\n' "$(ts)" "$*"; }
result() { # result pass|fail NAME [DETAIL]
	printf 'RESULT %s %s' "$1" "$2"
	[ $# -ge 3 ] && printf ' :: %s' "$3"
	printf '\n'
}
judge() { # judge STATUS NAME DETAIL  (STATUS first: expanded before DETAIL)
	if [ "$1" = 0 ]; then result pass "$2" "$3"; else result fail "$2" "$3"; fi
}
one() { tr '\n' ' ' | sed 's/  */ /g; s/ $//'; } # one line, for details
# wait_for TENTHS COMMAND...: poll until COMMAND succeeds
wait_for() {
	local n=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ $i -ge "$n" ] && return 1
		sleep 0.1
	done
}

W=$(mktemp -d)
read -r up _ </proc/uptime
diag "guest checks start at uptime $up s"

# ---- PID 1, cgroups, the command's unit -------------------------------------
exe=$(readlink /proc/1/exe)
comm=$(cat /proc/1/comm)
[ "$comm" = systemd ] && [[ $exe == */lib/systemd/systemd ]]
judge $? pid1-systemd "PID 1: comm=$comm exe=$exe ($(systemctl --version | head -1))"

fstype=$(stat -fc %T /sys/fs/cgroup)
lines=$(wc -l </proc/self/cgroup)
[ "$fstype" = cgroup2fs ] && [ "$lines" = 1 ] && [ ! -e /sys/fs/cgroup/unified ] &&
	[ ! -e /sys/fs/cgroup/systemd ]
judge $? cgroup2-unified "/sys/fs/cgroup is $fstype, /proc/self/cgroup has $lines line(s), controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"

mycg=$(cat /proc/self/cgroup)
[ "$mycg" = 0::/system.slice/vmrun-command.service/command ]
judge $? command-in-unit "the command runs in $mycg"

state=$(systemctl is-system-running 2>&1)
failed=$(systemctl --failed --no-legend --plain --no-pager 2>&1 | awk '{print $1}' | one)
case $state in
running) result pass system-running "systemctl is-system-running: running" ;;
degraded) result pass system-running "degraded, failed units: $failed" ;;
*) result fail system-running "systemctl is-system-running: $state (failed: $failed)" ;;
esac

# ---- journald, D-Bus, logind, sshd -----------------------------------------
tag=vmsd-$$-$RANDOM
logger -t vmsd-selftest "hello $tag"
wait_for 50 eval 'journalctl -q -b -t vmsd-selftest --no-pager 2>/dev/null | grep -q "$tag"'
judge $? journald "logger -> journalctl -t: $(journalctl -q -b -t vmsd-selftest --no-pager 2>&1 | tail -1) (storage: $(ls -d /run/log/journal /var/log/journal/* 2>/dev/null | one))"

names=$(busctl --system --no-legend list 2>&1 | awk '{print $1}')
echo "$names" | grep -qx org.freedesktop.login1 && echo "$names" | grep -qx org.freedesktop.systemd1
judge $? dbus "system bus names include org.freedesktop.login1, org.freedesktop.systemd1 ($(systemctl is-active dbus.service))"

sessions=$(loginctl list-sessions --no-legend 2>&1)
lrc=$?
[ $lrc = 0 ] && [ -z "$sessions" ]
judge $? logind "loginctl list-sessions: exit $lrc, '$sessions' (no session yet)"

sshd_state=$(systemctl is-active ssh.service)
listen=$(ss -Hltn 'sport = :22' 2>/dev/null | awk '{print $4}' | one)
[ "$sshd_state" = active ] && [ "$listen" = 127.0.0.1:22 ]
judge $? sshd-unit "ssh.service $sshd_state, listening on $listen"

# ---- a user logs in over ssh with a key ---------------------------------------
useradd -m -s /bin/bash "$U" 2>"$W/useradd.err"
uid=$(id -u "$U" 2>/dev/null)
K=$W/key
ssh-keygen -q -t ed25519 -N '' -f "$K"
install -d -m 700 -o "$U" -g "$U" "/home/$U/.ssh"
install -m 600 -o "$U" -g "$U" "$K.pub" "/home/$U/.ssh/authorized_keys"
SSH=(ssh -i "$K" -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o KexAlgorithms=curve25519-sha256
	-o ConnectTimeout=60 "$U@127.0.0.1")
diag "ssh login 1 ($U, uid $uid)"
t0=${EPOCHREALTIME/./}
out=$(timeout 90 "${SSH[@]}" -n 'id -un; cat /proc/self/cgroup; echo "sid=$XDG_SESSION_ID"; echo "rt=$XDG_RUNTIME_DIR"' 2>"$W/ssh1.err")
src=$?
t1=$(((${EPOCHREALTIME/./} - t0) / 1000))
diag "ssh login 1: exit $src in $t1 ms"
echo "$out" | sed 's/^/    /'
cg1=$(echo "$out" | sed -n 's/^0:://p')
sid1=$(echo "$out" | sed -n 's/^sid=//p')
[ $src = 0 ] && [ "$(echo "$out" | head -1)" = "$U" ] &&
	[[ $cg1 =~ ^/user\.slice/user-$uid\.slice/session-[0-9]+\.scope$ ]] &&
	[ "$cg1" = "/user.slice/user-$uid.slice/session-$sid1.scope" ]
judge $? ssh-login-scope "ssh -i key $U@127.0.0.1 (exit $src, $t1 ms): /proc/self/cgroup 0::$cg1, XDG_SESSION_ID=$sid1 $(head -c 300 "$W/ssh1.err" | one)"

if [ $src != 0 ]; then
	# The guest reads the host's /etc/pam.d live: a host e2e test that put a
	# module under the host's /run (the guest's /run is its own) into the
	# stack breaks every login here ("Module is unknown").
	for f in /etc/pam.d/sshd /etc/pam.d/common-*; do
		grep -Eo '[^[:space:]]*/[^[:space:]]*\.so' "$f" 2>/dev/null | while read -r m; do
			[ -e "$m" ] || diag "PAM: $f names $m, which does not exist in the guest"
		done
	done
	journalctl -q -b -u ssh.service --no-pager 2>/dev/null | tail -n 8 | sed 's/^/    sshd: /'
fi

# pam_systemd in Debian's stack did it (not some other path to a scope).
grep -Eq '^[^#]*session.*pam_systemd\.so' /etc/pam.d/common-session &&
	grep -Eq '^@include[[:space:]]+common-session' /etc/pam.d/sshd
judge $? pam-stack "/etc/pam.d/sshd includes common-session with pam_systemd: $(grep -E '^[^#]*pam_systemd' /etc/pam.d/common-session | one)"

# A session held open: listed and active in logind, in the user's slice.
diag "ssh login 2 (held)"
mkfifo "$W/held"
timeout 120 "${SSH[@]}" -n 'echo "held sid=$XDG_SESSION_ID cg=$(cat /proc/self/cgroup)"; exec sleep 300' \
	>"$W/held" 2>"$W/ssh2.err" &
held=$!
exec {hfd}<"$W/held"
hline=
read -r -t 90 -u $hfd hline
diag "ssh login 2: $hline"
sid2=$(echo "$hline" | sed -n 's/.*sid=\([0-9]*\).*/\1/p')
ls_sessions=$(loginctl list-sessions --no-legend 2>&1)
echo "$ls_sessions" | sed 's/^/    loginctl: /'
s_state=$(loginctl show-session "$sid2" -p State --value 2>&1)
s_service=$(loginctl show-session "$sid2" -p Service --value 2>&1)
s_scope=$(loginctl show-session "$sid2" -p Scope --value 2>&1)
u_state=$(loginctl show-user "$U" -p State --value 2>&1)
[ -n "$sid2" ] && echo "$ls_sessions" | awk -v s="$sid2" -v u="$U" '$1 == s && $3 == u { f = 1 } END { exit !f }' &&
	[ "$s_state" = active ] && [ "$s_service" = sshd ] && [ "$s_scope" = "session-$sid2.scope" ] &&
	[ "$u_state" = active ] && [[ $hline == *"cg=0::/user.slice/user-$uid.slice/session-$sid2.scope" ]]
judge $? logind-session "held session $sid2: listed, State=$s_state Service=$s_service Scope=$s_scope; user State=$u_state"

# ---- runtime properties of the user's slice reach the cgroup files ------------
S=/sys/fs/cgroup/user.slice/user-$uid.slice
systemctl set-property --runtime "user-$uid.slice" MemoryMax=64M TasksMax=32 2>"$W/setprop.err"
sprc=$?
mm=$(cat "$S/memory.max" 2>&1)
pm=$(cat "$S/pids.max" 2>&1)
shown=$(systemctl show "user-$uid.slice" -p MemoryMax -p TasksMax 2>&1 | one)
[ $sprc = 0 ] && [ "$mm" = 67108864 ] && [ "$pm" = 32 ] && [ "$shown" = "MemoryMax=67108864 TasksMax=32" ]
judge $? set-property "set-property --runtime user-$uid.slice MemoryMax=64M TasksMax=32 (exit $sprc): memory.max=$mm pids.max=$pm; show: $shown $(head -c 200 "$W/setprop.err" | one)"

# ---- terminate-user ends every process of the user ----------------------------
diag "processes of $U before terminate-user: $(pgrep -u "$uid" | wc -l)"
loginctl terminate-user "$U" 2>"$W/term.err"
trc=$?
t0=${EPOCHREALTIME/./}
wait_for 150 eval '! pgrep -u "$uid" >/dev/null'
gone=$?
tms=$(((${EPOCHREALTIME/./} - t0) / 1000))
wait "$held" 2>/dev/null
hrc=$?
exec {hfd}<&-
wait_for 100 eval '[ -z "$(loginctl list-sessions --no-legend 2>/dev/null | awk -v u="$U" "\$3 == u")" ]'
nsess=$(loginctl list-sessions --no-legend 2>/dev/null | awk -v u="$U" '$3 == u' | wc -l)
[ $trc = 0 ] && [ $gone = 0 ] && [ "$nsess" = 0 ]
judge $? terminate-user "loginctl terminate-user $U (exit $trc): no process of uid $uid after $tms ms: $([ $gone = 0 ] && echo yes || pgrep -a -u "$uid" | one); sessions left: $nsess; held ssh exited $hrc $(head -c 200 "$W/term.err" | one)"

# ---- nothing failed ----------------------------------------------------------------
# The user's manager and slice stop after terminate-user: let that settle.
wait_for 100 eval '! systemctl -q is-active "user@$uid.service" && [ -z "$(systemctl list-jobs --no-legend 2>/dev/null)" ]'
failed=$(systemctl --failed --no-legend --plain --no-pager 2>&1 | awk '{print $1}' | one)
state=$(systemctl is-system-running 2>&1)
[ -z "$failed" ] && [ "$state" = running ]
judge $? no-failed-units "at the end: is-system-running=$state, failed units: '${failed}'"
if [ -n "$failed" ] || [ "$state" != running ]; then
	for u in $failed; do
		systemctl status --no-pager -n 10 "$u" 2>&1 | sed 's/^/    /'
	done
fi

read -r up _ </proc/uptime
diag "guest checks done at uptime $up s"
rm -rf "$W"
exit 0
