#!/bin/bash
# Inside `vm-run --systemd` (bench/run.sh): what pam_tenant adds to a login
# on a systemd host, against what pam_systemd itself adds.  Real PAM stacks
# (pam_start_confdir), real users, limits configured, so that the systemd
# backend does its D-Bus work; every pam_systemd login is a real logind
# session (the driver's cycle process is its leader).  Under TCG absolute
# times mean little: compare the rows, which take turns in rounds.
# Environment: BENCH_SD_N (rounds, one login of each scenario per round;
# default 30), BENCH_SD_CALLS (logins per scenario in the D-Bus count, 4),
# BENCH_SD_AB (an A/B in one boot: a directory with another build's
# pam_tenant.so, tenant-helper and tenant-systemd.so, made with this tree's
# e2e paths, docs/performance.md; rows B3 and B4 are 3 and 4 with those
# bind-mounted over this build's), BENCH_SD_ASLR (both, the default: every
# round also runs each scenario with the guest's address-space
# randomisation off, rows n1-n5; on: only rows 1-5).  Why: TCG translates
# guest code per virtual address, so a fresh exec with ASLR translates all
# of its libraries' code again (the helper's exec: 51 ms with it, 17 ms
# without, in the same VM; 2.4 ms on the build host either way).  That
# cost is the emulator's, and it falls mostly on pam_tenant, whose helper
# is exec'd per first login (docs/performance.md).
. "$(dirname "$0")/../tests/lib/tenant.sh"
. "$(dirname "$0")/lib.sh"
DRIVER=$E2E_ROOT/build/bench/bench-driver
N=${BENCH_SD_N:-30}
CALLS=${BENCH_SD_CALLS:-4}
[ -d /run/systemd/system ] || { echo "not a systemd host"; exit 1; }
tmpdir_create
# The guest's /etc is the live host's under an overlay: a useradd on the
# host can show its lock file here for a moment, so try again.
add_user() {
	local _
	for _ in 1 2 3 4 5; do
		if useradd -m -s /bin/bash "$1" 2>"$T/useradd.err"; then
			on_exit "userdel -r -f '$1' 2>/dev/null"
			return 0
		fi
		sleep 1
	done
	echo "useradd $1: $(cat "$T/useradd.err")"
	exit 1
}
add_user bsd-first  # scope = session: every login makes a tenant
add_user bsd-ufirst # scope = user, on_logout = kill: every login makes one too
add_user bsd-join   # scope = user: logins join the held session's tenant
PAMD=$T/pam.d
mkdir -p "$PAMD"
service() { # service NAME SESSION_LINE...
	local name=$1
	shift
	printf 'auth required pam_permit.so\naccount required pam_permit.so\n' >"$PAMD/$name"
	printf '%s\n' "$@" >>"$PAMD/$name"
}
# pam_systemd as in Debian's common-session, then pam_tenant last.
service permit "session required pam_permit.so"
service systemd "session optional pam_systemd.so"
service tenant "session optional pam_systemd.so" "session required $TENANT_MODULE"
tenant_config '[default]' 'memory.max = 256M' 'pids.max = 256' \
    '[user bsd-first]' 'scope = session' 'on_logout = kill' \
    '[user bsd-ufirst]' 'scope = user' 'on_logout = kill' \
    '[user bsd-join]' 'scope = user' 'on_logout = keep'

# Held for the whole run: one pam_systemd session of each user (so that
# user@UID.service runs and no cycle pays for starting it) and bsd-join's
# tenant.  They end when the FIFO's writer (fd 7) closes.
mkfifo "$T/hold"
hold() { # hold SERVICE USER
	"$DRIVER" -c "$PAMD" -n 0 -k 1 "$1" "$2" <"$T/hold" >"$T/hold.$2.$1" 2>&1 &
	HOLDERS="${HOLDERS:-} $!"
}
hold systemd bsd-first
hold systemd bsd-ufirst
hold tenant bsd-join
exec 7>"$T/hold"
on_exit "exec 7>&-; wait $HOLDERS"
for f in "$T"/hold.*; do
	wait_until 180 grep -q '^held=1' "$f" || { echo "held session $f failed: $(cat "$f")"; exit 1; }
done

args_of() { # the driver arguments of a scenario
	case $1 in
	permit) echo "permit bsd-first" ;;
	systemd) echo "systemd bsd-first" ;;
	first) echo "tenant bsd-first" ;;
	ufirst) echo "tenant bsd-ufirst" ;;
	join) echo "tenant bsd-join" ;;
	bfirst) echo "tenant bsd-first" ;;
	bufirst) echo "tenant bsd-ufirst" ;;
	n*) args_of "${1#n}" ;;
	esac
}
SCEN="permit systemd first ufirst join"
AB=${BENCH_SD_AB:-}
[ -z "$AB" ] || SCEN="$SCEN bfirst bufirst"
ASLR=${BENCH_SD_ASLR:-both}
case $ASLR in both | on) ;; *) echo "BENCH_SD_ASLR=$ASLR: both or on" >&2; exit 1 ;; esac
RANDOMIZE=$(sysctl -n kernel.randomize_va_space)
on_exit "sysctl -qw kernel.randomize_va_space=$RANDOMIZE"
[ "$ASLR" = on ] || SCEN="$SCEN npermit nsystemd nfirst nufirst njoin"
ab() { # ab on|off: the other build's files over this one's
	local f dst
	for f in pam_tenant.so tenant-helper tenant-systemd.so; do
		dst=$E2E_BUILD/$f
		[ $f = pam_tenant.so ] && dst=$TENANT_MODULE
		if [ "$1" = on ]; then mount --bind "$AB/$f" "$dst"; else umount "$dst"; fi
	done
}
drive() { # drive SCENARIO DRIVER-ARGS...
	local s=$1
	shift
	[ "${s:0:1}" = b ] && ab on
	[ "${s:0:1}" = n ] && sysctl -qw kernel.randomize_va_space=0
	# shellcheck disable=SC2046
	"$DRIVER" -c "$PAMD" "$@" $(args_of "$s")
	[ "${s:0:1}" = b ] && ab off
	[ "${s:0:1}" = n ] && sysctl -qw kernel.randomize_va_space="$RANDOMIZE"
	return 0
}
for s in $SCEN; do # warm-up, not timed
	drive "$s" -n 2 >/dev/null 2>&1
done
# Each cycle starts once the previous one's session, tenant and scopes are
# gone (logind, PID 1 and the keeper finish them after the driver returns):
# a login's cost alone, not overlapped with the teardown of the one before.
JOIN_UID=$(id -u bsd-join)
settled() {
	local s=(/sys/fs/cgroup/user.slice/user-*.slice/session-*.scope)
	local u=(/sys/fs/cgroup/system.slice/pam_tenant-*.scope)
	local t=(/run/pam_tenant/tenants/*)
	[ ${#s[@]} = 3 ] && [ "${u[*]}" = "/sys/fs/cgroup/system.slice/pam_tenant-user-$JOIN_UID.scope" ] &&
	    [ "${t[*]}" = "/run/pam_tenant/tenants/user-$JOIN_UID" ]
}
shopt -s nullglob
declare -A failed
for s in $SCEN; do failed[$s]=0; done
unsettled=0
# Round r is one login of each scenario, back to back: on a host whose load
# drifts, the rows of one round see about the same machine.
for ((r = 1; r <= N; r++)); do
	for s in $SCEN; do
		wait_until 30 settled || unsettled=$((unsettled + 1))
		rm -f "$T/cycle"
		out=$(drive "$s" -n 1 -r "$T/cycle" 2>&1 | tail -n 1)
		failed[$s]=$((failed[$s] + $(field failed "$out")))
		cat "$T/cycle" >>"$T/$s.times"
		echo "$r $s $(cat "$T/cycle")" >>"$T/rounds"
	done
done
shopt -u nullglob
echo "systemd $(systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p') as PID 1, $(nproc) vCPUs (TCG), N=$N rounds of one login each; limits: memory.max = 256M, pids.max = 256"
[ "$unsettled" = 0 ] || echo "($unsettled cycles started before the previous one had settled, after 30 s)"
declare -A res p50
for s in $SCEN; do
	res[$s]=$(pooled "$T/$s.times" "${failed[$s]}")
	p50[$s]=$(field p50 "${res[$s]}")
done
srow() { # srow LABEL SCENARIO
	printf '%-56s %8s %8s %8s %7s\n' "$1" "${p50[$2]}" "$(field p90 "${res[$2]}")" \
	    "$(field p99 "${res[$2]}")" "${failed[$2]}"
}
# Added costs are differences of p50s; the ratios also per round.
added() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
spread() { # spread P SCENARIO: median and quartiles over the rounds of (S - Psystemd) / (Psystemd - Ppermit)
	awk -v p="$1" -v s="$2" '{ v[$1, $2] = $3; n = $1 > n ? $1 : n }
	    END { for (r = 1; r <= n; r++) { d = v[r, p "systemd"] - v[r, p "permit"]
	            if (d > 0) print (v[r, s] - v[r, p "systemd"]) / d } }' "$T/rounds" | sort -g |
	    awk '{ x[NR] = $1 } function q(p) { return x[int(p * (NR - 1) + 0.5) + 1] }
	        END { printf "%.2f, quartiles %.2f-%.2f, %d rounds", q(0.5), q(0.25), q(0.75), NR }'
}
report() { # report P: the table and ratios of the rows named P<scenario>
	local p=$1 s a rt sd_add added_rows="$1first $1ufirst $1join"

	printf '%-56s %8s %8s %8s %7s\n' "login cycle (fresh process each), ms" p50 p90 p99 failed
	srow "${p}1 pam_permit only" "${p}permit"
	srow "${p}2 pam_systemd (the user has a session already)" "${p}systemd"
	srow "${p}3 pam_systemd + pam_tenant, first login, scope=session" "${p}first"
	srow "${p}4 pam_systemd + pam_tenant, first login, scope=user" "${p}ufirst"
	srow "${p}5 pam_systemd + pam_tenant, joining login" "${p}join"
	if [ -z "$p" ] && [ -n "$AB" ]; then
		srow "B3 as 3 with $AB" bfirst
		srow "B4 as 4 with $AB" bufirst
		added_rows="$added_rows bfirst bufirst"
	fi
	echo
	sd_add=$(added "${p50[${p}systemd]}" "${p50[${p}permit]}")
	printf 'added to a login (p50), ms: pam_systemd %s' "$sd_add"
	for s in $added_rows; do printf ', %s %s' "$s" "$(added "${p50[$s]}" "${p50[${p}systemd]}")"; done
	echo
	for s in $added_rows; do
		a=$(added "${p50[$s]}" "${p50[${p}systemd]}")
		rt=$(ratio "$a" "$sd_add")
		printf '  pam_tenant %-8s / pam_systemd: %s (per round: median %s)  target < 1: %s\n' "$s" "$rt" \
		    "$(spread "$p" "$s")" "$(awk -v x="$rt" 'BEGIN { print (x != "-" && x < 1) ? "met" : "missed" }')"
	done
}
exec_ms() { # exec_ms RANDOMIZE PROGRAM...: ms per run of PROGRAM from this shell
	local t0 t1 i
	sysctl -qw kernel.randomize_va_space="$1"
	shift
	t0=$(date +%s%N)
	for ((i = 0; i < 30; i++)); do "$@" >/dev/null 2>&1; done
	t1=$(date +%s%N)
	sysctl -qw kernel.randomize_va_space="$RANDOMIZE"
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 30 / 1e6 }'
}
echo "with the guest's address-space randomisation (kernel.randomize_va_space=$RANDOMIZE, as shipped):"
report ""
if [ "$ASLR" = both ]; then
	echo
	printf 'one exec from a shell loop, ms (30 runs), with / without the randomisation: tenant-helper (usage) %s / %s, /bin/true %s / %s\n' \
	    "$(exec_ms 2 "$E2E_BUILD/tenant-helper")" "$(exec_ms 0 "$E2E_BUILD/tenant-helper")" \
	    "$(exec_ms 2 /bin/true)" "$(exec_ms 0 /bin/true)"
	echo "rows n1-n5, the same rounds with kernel.randomize_va_space=0 (no TCG translation of each exec again):"
	report n
fi

# ---- D-Bus calls per login, counted with busctl monitor (not timed) -------
# pam_tenant's calls are those to org.freedesktop.systemd1 from any
# connection but logind's (pam_systemd itself talks to login1 only, and
# logind makes the session's scope).
LOGIND=$(busctl status org.freedesktop.login1 2>/dev/null | sed -n 's/^UniqueName=//p')
count_calls() { # count_calls SCENARIO: prints "TENANT_CALLS LOGIN1_CALLS LOGIND_CALLS MEMBERS"
	local mon calls sd ours l1 ld what
	busctl monitor --json=short >"$T/mon" 2>"$T/mon.err" &
	mon=$!
	wait_until 30 grep -q Monitoring "$T/mon.err"
	# shellcheck disable=SC2046
	"$DRIVER" -c "$PAMD" -n "$CALLS" $(args_of "$1") >/dev/null 2>&1
	sleep 1
	kill "$mon" # TERM: a background job ignores SIGINT
	wait "$mon"
	calls=$(grep '"type":"method_call"' "$T/mon")
	sd=$(printf '%s\n' "$calls" | grep '"destination":"org.freedesktop.systemd1"')
	ours=$(printf '%s\n' "$sd" | grep -v "\"sender\":\"$LOGIND\"" | grep -c .)
	l1=$(printf '%s\n' "$calls" | grep '"destination":"org.freedesktop.login1"' | grep -c .)
	ld=$(printf '%s\n' "$sd" | grep -c "\"sender\":\"$LOGIND\"")
	what=$(printf '%s\n' "$sd" | grep -v "\"sender\":\"$LOGIND\"" |
	    sed -n 's/.*"member":"\([A-Za-z]*\)".*"data":\["\([^"]*\)".*/\1(\2)/p' |
	    sed 's/[0-9a-f]\{32\}/*/; s/-c\{0,1\}[0-9]\{1,\}\./-N./g' | sort | uniq -c | awk '{ printf "%s %s; ", $1, $2 }')
	echo "$ours $l1 $ld ${what:-none}"
}
echo
echo "D-Bus method calls in $CALLS logins (busctl monitor):"
printf '  %-8s %22s %20s %22s  %s\n' scenario "pam_tenant->systemd1" "->login1 (pam_systemd)" "logind->systemd1" "pam_tenant's calls"
for s in systemd first ufirst join; do
	read -r ours l1 ld what < <(count_calls $s)
	printf '  %-8s %22s %20s %22s  %s\n' "$s" "$ours" "$l1" "$ld" "$what"
	[ "$s" = join ] && join_calls=$ours
done
printf 'a joining login makes no D-Bus call with the limits in place: %s\n' \
    "$([ "$join_calls" = 0 ] && echo met || echo "missed ($join_calls calls)")"

# ---- nothing left behind -------------------------------------------------------
exec 7>&-
# shellcheck disable=SC2086
wait $HOLDERS
wait_until 60 eval '[ -z "$(loginctl list-sessions --no-legend | grep " bsd-")" ]' &&
    wait_until 60 eval '[ -z "$(systemctl list-units --all --no-legend "pam_tenant-*")" ]' &&
    wait_until 60 eval '[ -z "$(systemctl list-jobs --no-legend)" ]'
left=$(loginctl list-sessions --no-legend | grep -c " bsd-")
units=$(systemctl list-units --all --no-legend --plain 'pam_tenant-*' | awk '{ print $1 }' | tr '\n' ' ')
fail=$(systemctl --failed --no-legend --plain | awk '{ print $1 }' | tr '\n' ' ')
echo "after the run: $left sessions of the bench users, pam_tenant units: ${units:-none}, failed units: ${fail:-none}"
