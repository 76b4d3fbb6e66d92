#!/bin/bash
# make soak (issue 10): SOAK_CYCLES (default 10000) PAM open/close cycles
# of bench-driver (a fresh login process per cycle) over four users, in
# three phases run with parallel logins:
#   steady     held sessions keep each user's keeper alive; login programs
#              and session leaders are SIGKILLed at random; the keepers'
#              fd counts at the phase's end must not exceed its start
#   chaos      as steady, and keepers and tenant-inits are SIGKILLed too
#   terminate  `tenantctl terminate USER` at random while logins run
# then a clean round (every login must work).  Before and after: host
# mounts (/proc/1/mountinfo), cgroup directories below every cgroup2
# root's tenant.slice, leftover tenant-keeper/tenant-init processes,
# /run/pam_tenant entries and audit records (opens vs session ends, in
# the phases that kill no keeper).  Any difference is a leak: not ok,
# exit 1.  Not part of `make check`.
# Environment: SOAK_CYCLES, SOAK_SLEEP (seconds a session leader lives,
# default 0.15), SOAK_KILL_EVERY (seconds between kills, default 0.05),
# SOAK_USER_PREFIX (users PREFIX1..PREFIX4, default soak-u).
. "$(dirname "$0")/../lib/tenant.sh"
require_root
DRIVER=$E2E_ROOT/build/bench/bench-driver
[ -x "$DRIVER" ] || bail_out "build/bench/bench-driver is not built (make test-bins)"
[ -x "$TENANTCTL" ] || bail_out "build/e2e/tenantctl is not built (make test-bins)"
CYCLES=${SOAK_CYCLES:-10000}
LEADER_SECS=${SOAK_SLEEP:-0.15}
KILL_EVERY=${SOAK_KILL_EVERY:-0.05}
PREFIX=${SOAK_USER_PREFIX:-soak-u} # the VM sees the host's users: its own prefix
USERS=("${PREFIX}1" "${PREFIX}2" "${PREFIX}3" "${PREFIX}4")
[ "$CYCLES" -ge 100 ] || bail_out "SOAK_CYCLES must be at least 100"
tmpdir_create
start_syslog
start_auditd
for u in "${USERS[@]}"; do
	make_user "$u"
done
# an interrupted soak stops what it started in the background (by pid:
# the killer, the drivers, the holders) before the users go
BG_PIDS="" HOLDER_PIDS=""
# shellcheck disable=SC2317 # run by on_exit
soak_stop() {
	touch "$T/stop"
	# shellcheck disable=SC2086 # lists of pids
	[ -z "$BG_PIDS$HOLDER_PIDS" ] || kill -TERM $BG_PIDS $HOLDER_PIDS 2>/dev/null
	# only these: a bare wait would wait for syslogd, stopped later
	# shellcheck disable=SC2086
	[ -z "$BG_PIDS$HOLDER_PIDS" ] || wait $BG_PIDS $HOLDER_PIDS 2>/dev/null
	return 0
}
on_exit soak_stop
mkdir -p "$T/pam.d"
printf 'auth required pam_permit.so\naccount required pam_permit.so\nsession required %s\n' \
    "$TENANT_MODULE" >"$T/pam.d/soak"
tenant_config '[default]' 'scope = user' 'on_logout = keep'
wait_no_tenants 10 || diag "tenants from before the soak are still live"

# ------------------------------------------------------------ figures ----

# mounts: /proc/1/mountinfo without the IDs (they change on every mount)
mounts() {
	awk '{ $1 = ""; $2 = ""; $3 = ""; sub(/^ +/, ""); print }' /proc/1/mountinfo | sort
}
# cgroups: directories below tenant.slice of every cgroup2 mount
cgroups() {
	local m
	awk '$9 == "cgroup2" { print $5 }' /proc/1/mountinfo | sort -u | while read -r m; do
		[ -d "$m/tenant.slice" ] && find "$m/tenant.slice" -mindepth 1 -type d
	done | sort
}
# procs: "pid comm ppid" of every live process, from /proc/PID/stat (the
# comms we look for have no spaces; cat goes on past vanished pids)
procs() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk '$3 != "Z" { gsub(/[()]/, "", $2); print $1, $2, $4 }'
}
tenant_procs() { # pids of tenant-keeper/tenant-init not running before the soak
	procs | awk -v old=" $OLD_TENANT_PIDS " '($2 == "tenant-keeper" || $2 == "tenant-init") &&
	    !index(old, " " $1 " ") { print $1 }'
}
keeper_fds() { # "pid fdcount" of every live keeper we started
	local p
	for p in $(procs | awk -v old=" $OLD_TENANT_PIDS " '$2 == "tenant-keeper" &&
	    !index(old, " " $1 " ") { print $1 }'); do
		printf '%s %s\n' "$p" "$(find "/proc/$p/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
	done | sort
}
audit_count() { # audit_count MARK OP: records op=OP since MARK
	[ "$AUDIT_AVAILABLE" = 1 ] || { echo 0; return; }
	{ audit_search "$1" -m USER || :; } | grep -c "op=$2 "
}
OLD_TENANT_PIDS=$(procs | awk '$2 == "tenant-keeper" || $2 == "tenant-init" { printf "%s ", $1 }')
mounts >"$T/mounts.before"
cgroups >"$T/cgroups.before"
_e2e_run_state >"$T/run.before"
diag "before: $(wc -l <"$T/mounts.before") mounts, $(wc -l <"$T/cgroups.before") tenant cgroups," \
    "$(wc -l <"$T/run.before") /run/pam_tenant entries, audit: $([ "$AUDIT_AVAILABLE" = 1 ] && echo on || echo off)"

# ------------------------------------------------------------- driving ----

DONE=0 FAILED=0
# tally FILE: add the cycles and failures of the driver result lines in FILE
tally() {
	local c f
	read -r c f < <(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "=")
		if (kv[1] == "cycles" || kv[1] == "storm") c += kv[2]; if (kv[1] == "failed") f += kv[2] } }
		END { print c + 0, f + 0 }' "$1")
	DONE=$((DONE + c)) PHASE_DONE=$((PHASE_DONE + c)) FAILED=$((FAILED + f)) PHASE_FAILED=$((PHASE_FAILED + f))
}

# drive PHASE CYCLES: half the cycles one login at a time per user (four
# drivers side by side), half in storms of four parallel logins (one per
# user); waits for all of them
drive() {
	local phase=$1 n=$2 per storms i u pids=()
	per=$((n / 2 / ${#USERS[@]}))
	storms=$(((n - per * ${#USERS[@]} + ${#USERS[@]} - 1) / ${#USERS[@]}))
	for u in "${USERS[@]}"; do
		"$DRIVER" -c "$T/pam.d" -s "$LEADER_SECS" -n "$per" soak "$u" >"$T/$phase.$u.out" 2>&1 &
		pids+=($!)
	done
	(
		for ((i = 0; i < storms; i++)); do
			"$DRIVER" -c "$T/pam.d" -s "$LEADER_SECS" -j "${#USERS[@]}" -n "${#USERS[@]}" \
			    -u "$PREFIX" soak "${USERS[0]}" 2>&1 | tail -n 1
		done
	) >"$T/$phase.storm.out" &
	pids+=($!)
	BG_PIDS="$BG_PIDS ${pids[*]}"
	wait "${pids[@]}"
	for u in "${USERS[@]}" storm; do
		tally "$T/$phase.$u.out"
	done
}

# killer CLASSES...: until $T/stop exists, SIGKILL (by pid) a random
# process of a random class every KILL_EVERY s; prints "class count" lines.
#   login   a cycle's login process (bench-driver child of bench-driver)
#   leader  a session leader (sleep run by a login process)
#   keeper  a tenant-keeper we started     init  a tenant-init we started
#   term    not a kill: tenantctl terminate of a random user
killer() {
	local -A n=()
	local c v
	while [ ! -e "$T/stop" ]; do
		sleep "$KILL_EVERY"
		c=${*:$((RANDOM % $# + 1)):1}
		if [ "$c" = term ]; then
			"$TENANTCTL" terminate "${USERS[$((RANDOM % ${#USERS[@]}))]}" >/dev/null 2>&1 &&
			    n[$c]=$((${n[$c]:-0} + 1))
			continue
		fi
		# one pass over /proc picks the victim: a login process lives
		# only a few hundred ms, no time for more processes in between
		v=$(procs | awk -v c="$c" -v hold=" $HOLDER_PIDS " -v old=" $OLD_TENANT_PIDS " \
		    -v seed="$RANDOM" '
			{ comm[$1] = $2; ppid[$1] = $3 }
			END {
				srand(seed)
				for (p in comm) {
					pc = comm[ppid[p]]
					if ((c == "login" && comm[p] == "bench-driver" && pc == "bench-driver" &&
					     !index(hold, " " ppid[p] " ")) ||
					    (c == "leader" && comm[p] == "sleep" && pc == "bench-driver") ||
					    (comm[p] == "tenant-" c && !index(old, " " p " ")))
						v[++n] = p
				}
				if (n) print v[int(rand() * n) + 1]
			}')
		[ -n "$v" ] && kill -KILL "$v" 2>/dev/null && n[$c]=$((${n[$c]:-0} + 1))
	done
	for c in "$@"; do
		echo "$c ${n[$c]:-0}"
	done
}

# hold: one held session per user (bench-driver -k 1 -n 0), so each user's
# keeper lives through the phase; HOLDER_PIDS, closed by unhold
hold() {
	local u
	for u in "${USERS[@]}"; do
		mkfifo "$T/hold.$u"
		"$DRIVER" -c "$T/pam.d" -k 1 -n 0 soak "$u" <"$T/hold.$u" >"$T/hold.$u.out" 2>&1 &
		HOLDER_PIDS="$HOLDER_PIDS $!"
		exec {fd}>"$T/hold.$u"
		HOLD_FDS="${HOLD_FDS:-} $fd"
		on_exit "exec $fd>&-"
		wait_until 10 grep -q '^held=1' "$T/hold.$u.out" || diag "held session of $u did not open: $(cat "$T/hold.$u.out")"
	done
}
unhold() {
	local fd
	for fd in $HOLD_FDS; do
		exec {fd}>&-
	done
	HOLD_FDS=""
	# shellcheck disable=SC2086 # a list of pids
	wait $HOLDER_PIDS
	HOLDER_PIDS=""
	rm -f "$T"/hold.*
}

# tenants_end PHASE: ok when every tenant ends within 30 s; if not, say
# what is left and whether it ends within a further 60 s
tenants_end() {
	local t0=$SECONDS
	if wait_no_tenants 30; then
		ok 0 "$1: every tenant ends"
		return
	fi
	ok 1 "$1: every tenant ends within 30 s"
	diag "left: $(find /run/pam_tenant/tenants -mindepth 1 -maxdepth 1 -printf '%f ')"
	procs | awk '$2 ~ /^tenant-/' | diag
	if wait_no_tenants 60; then
		diag "... they ended after $((SECONDS - t0)) s"
	else
		diag "... still there after $((SECONDS - t0)) s"
	fi
}

# phase NAME CYCLES KILLS...: run the cycles with a killer of KILLS beside them
phase() {
	local name=$1 cycles=$2 kpid t0=$SECONDS
	shift 2
	PHASE_DONE=0 PHASE_FAILED=0
	rm -f "$T/stop"
	killer "$@" >"$T/$name.kills" &
	kpid=$!
	BG_PIDS="$BG_PIDS $kpid"
	drive "$name" "$cycles"
	touch "$T/stop"
	wait "$kpid"
	BG_PIDS=""
	PHASE_KILLS=$(tr '\n' ' ' <"$T/$name.kills")
	diag "$name: $PHASE_DONE cycles ($PHASE_FAILED failed, as killed ones do) in $((SECONDS - t0)) s; $PHASE_KILLS"
}

# ------------------------------------------------------------- phases ----

steady_n=$((CYCLES * 4 / 10)) chaos_n=$((CYCLES * 3 / 10))
term_n=$((CYCLES - steady_n - chaos_n - ${#USERS[@]} * 6))

# steady: the keepers must not grow fds; opens and ends balance
amark=$(audit_mark)
hold
"$DRIVER" -c "$T/pam.d" -j 4 -n 4 -u "$PREFIX" soak "${USERS[0]}" >/dev/null 2>&1 # warm: every keeper serves once
keeper_fds >"$T/fds.start"
phase steady "$steady_n" login leader
keeper_fds >"$T/fds.end"
is "$(wc -l <"$T/fds.start")" "${#USERS[@]}" "steady: one keeper per user at the start: $(tr '\n' ' ' <"$T/fds.start")"
grown=$(join "$T/fds.start" "$T/fds.end" | awk '$3 > $2 { print $1 ": " $2 " -> " $3 }')
lost=$(join -v 1 "$T/fds.start" "$T/fds.end")
is "$grown$lost" "" "steady: no keeper's fd count grew, none died (pid fds start -> end: $(join "$T/fds.start" "$T/fds.end" | tr '\n' ' '))"
unhold
tenants_end steady
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	opens=$(audit_count "$amark" tenant-isolate) ends=$(audit_count "$amark" tenant-session-end)
	is "$ends" "$opens" "steady: audit: $opens sessions opened (op=tenant-isolate), $ends ended (op=tenant-session-end)"
fi
ok "$([ "$PHASE_DONE" -ge "$steady_n" ]; echo $?)" "steady: $PHASE_DONE cycles run"

# chaos: keepers and tenant-inits die too (their sessions' end records
# die with them: audit figures only reported)
amark=$(audit_mark)
hold
phase chaos "$chaos_n" login leader keeper init
CHAOS_DONE=$PHASE_DONE
unhold
# a keeper killed by SIGKILL cannot remove its tenant's directory: the
# next login's helper does (docs/architecture.md, "One way to end")
# shellcheck disable=SC2317 # called through wait_until
no_tenant_procs() { [ -z "$(tenant_procs)" ]; }
ok "$(wait_until 30 no_tenant_procs; echo $?)" "chaos: every keeper and init ends"
diag "chaos: $(find /run/pam_tenant/tenants -mindepth 1 -maxdepth 1 | wc -l) tenant directories of SIGKILLed keepers wait for the next login"
PHASE_DONE=0
for u in "${USERS[@]}"; do
	"$DRIVER" -c "$T/pam.d" -n 1 soak "$u" >"$T/chaos.next.$u.out" 2>&1
	tally "$T/chaos.next.$u.out"
done
tenants_end "chaos (after one more login per user)"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	diag "chaos: audit: $(audit_count "$amark" tenant-isolate) opened, $(audit_count "$amark" tenant-session-end) ended (keepers killed: their ends are lost by design)"
fi
ok "$([ "$CHAOS_DONE" -ge "$chaos_n" ]; echo $?)" "chaos: $CHAOS_DONE cycles run"

# terminate: tenantctl terminate beside parallel logins
amark=$(audit_mark)
phase terminate "$term_n" term
tenants_end terminate
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	opens=$(audit_count "$amark" tenant-isolate) ends=$(audit_count "$amark" tenant-session-end)
	is "$ends" "$opens" "terminate: audit: $opens sessions opened, $ends ended"
fi
ok "$([ "$PHASE_DONE" -ge "$term_n" ]; echo $?)" "terminate: $PHASE_DONE cycles run"

# clean: after all that, every login works
PHASE_DONE=0 PHASE_FAILED=0
for u in "${USERS[@]}"; do
	"$DRIVER" -c "$T/pam.d" -n 5 soak "$u" >"$T/clean.$u.out" 2>&1
	tally "$T/clean.$u.out"
done
is "$PHASE_FAILED" 0 "clean: $PHASE_DONE logins after the soak, none failed"
wait_no_tenants 30

# ------------------------------------------------------------ compare ----

diag "total: $DONE cycles, $FAILED failed (killed or terminated)"
ok "$([ "$DONE" -ge "$CYCLES" ]; echo $?)" "at least SOAK_CYCLES=$CYCLES cycles ran ($DONE)"
mounts >"$T/mounts.after"
cgroups >"$T/cgroups.after"
_e2e_run_state >"$T/run.after"
left=$(tenant_procs | tr '\n' ' ')
for f in mounts cgroups run; do
	d=$(diff "$T/$f.before" "$T/$f.after")
	is "$d" "" "no $f leaked ($(wc -l <"$T/$f.before") before, $(wc -l <"$T/$f.after") after)"
done
is "$left" "" "no tenant-keeper or tenant-init left"
for p in $left; do # a leak: end it (by pid), it was reported above
	kill -KILL "$p" 2>/dev/null
done
done_testing
