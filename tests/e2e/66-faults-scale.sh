#!/bin/bash
# F26 (docs/testing.md, "Fault catalogue"): 1000 concurrent sessions, the
# catalogue's module-level case.  1000 login programs (pam-fault-driver:
# real libpam, the module's default deadline) start at once, each opens a
# session and waits on one barrier, then all close at once: (a) over 4
# users, 250 each; (b) all 1000 in one user's tenant (sessions.max =
# 1000, near the keeper's 1024 connections).  Every session must be
# isolated and close cleanly; while they are open no host mount is added
# and no helper is left; audit has one start and one end per session;
# afterwards nothing is left.  Open latencies are printed (diag), not
# asserted: docs/testing.md records them.  The sanitizer tier runs a
# fifth of it (200 sessions): the same paths, at its slower pace.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
test_bin DRIVER pam-fault-driver
tmpdir_create
start_syslog
start_auditd
USERS=(tu-many-a tu-many-b tu-many-c tu-many-d)
for u in "${USERS[@]}"; do make_user "$u"; done
tenant_config '[default]' 'isolate = yes' 'scope = user' 'on_logout = kill' 'sessions.max = 1000'
install -d -m 0755 "$T/pam.d" "$T/out"
printf 'session required %s\nsession optional pam_permit.so\n' "$TENANT_MODULE" >"$T/pam.d/tenant-many"
cp "$T/pam.d/tenant-many" "$T/pam.d/other"
[ -d /run/pam_tenant ] || install -d -m 0700 /run/pam_tenant
wait_no_tenants 10 || bail_out "a tenant of an earlier test is still running"
fault_baseline
RELEASE=/run/pam_tenant-e2e66.$$.release
on_exit "rm -f '$RELEASE'"
DRIVERS=()
on_exit 'touch "$RELEASE"; for p in "${DRIVERS[@]}"; do _e2e_stop_pid "$p" 5; done'

# drive_one USER: one PAM cycle (for after_fault).
drive_one() {
	timeout -k 5 30 "$DRIVER" -c "$T/pam.d" tenant-many "$1" 2>&1
}

# settled: how many drivers have opened (or given up).
settled() {
	grep -lE '^(opened|open=)' "$T"/out/* 2>/dev/null | wc -l
}

# storm TAG USER:N...: start N drivers per USER at once, all held on the
# barrier; check the open sessions, then release them and check the end.
storm() {
	local tag=$1 spec u n i total=0 ms
	shift
	rm -f "$RELEASE" "$T"/out/*
	DRIVERS=()
	amark=$(audit_mark)
	for spec in "$@"; do
		u=${spec%%:*} n=${spec#*:}
		total=$((total + n))
		for ((i = 0; i < n; i++)); do
			"$DRIVER" -c "$T/pam.d" -w "$RELEASE" tenant-many "$u" >"$T/out/$u.$i" 2>&1 &
			DRIVERS+=($!)
		done
	done
	wait_until 300 eval '[ "$(settled)" -ge '"$total"' ]'
	is "$(grep -l '^opened' "$T"/out/* | wc -l)" "$total" "$tag: $total sessions open at once"
	ms=$(sed -n 's/^opened open_ms=//p' "$T"/out/* | sort -n)
	diag "$tag: open latency (ms): p50 $(sed -n "$((total / 2))p" <<<"$ms")," \
	    "p90 $(sed -n "$((total * 9 / 10))p" <<<"$ms"), p99 $(sed -n "$((total * 99 / 100))p" <<<"$ms")," \
	    "max $(tail -n 1 <<<"$ms")"
	is "$(wc -l </proc/1/mountinfo)" "$_FAULT_MOUNTS" "$tag: no host mount added while they are open"
	is "$(pgrep -c -x tenant-keeper)" "$#" "$tag: one keeper per user"
	is "$(helper_pids | wc -l)" 0 "$tag: no helper left running"
	is "$("$TENANTCTL" list --json | grep -o '"sessions":[0-9]*' | awk -F: '{ s += $2 } END { print s }')" \
	    "$total" "$tag: tenantctl list counts $total sessions"
	for k in $(pgrep -x tenant-keeper); do
		diag "$tag: keeper $k holds $(ls /proc/"$k"/fd | wc -l) fds"
	done
	touch "$RELEASE"
	wait_until 300 eval '[ "$(grep -l "^open=" "$T"/out/* | wc -l)" -ge '"$total"' ]'
	is "$(grep -lx 'open=0 close=0 mnt=other fd_delta=0' "$T"/out/* | wc -l)" "$total" \
	    "$tag: all $total close cleanly (open=0 close=0 mnt=other fd_delta=0)"
	for p in "${DRIVERS[@]}"; do wait "$p"; done
	DRIVERS=()
	wait_no_tenants 60
	ok $? "$tag: every tenant ended with its last session"
	if [ "${AUDIT_AVAILABLE:-0}" = 1 ]; then
		wait_until 30 eval '[ "$(audit_search "$amark" | grep -c "op=tenant-session-end\b")" -ge '"$total"' ]'
		ev=$(audit_search "$amark")
		is "$(grep -c 'op=tenant-isolate\b' <<<"$ev")" "$total" "$tag: audit: $total session starts"
		is "$(grep -c 'op=tenant-session-end\b' <<<"$ev")" "$total" "$tag: audit: $total session ends"
	else
		skip "no kernel audit here" "$tag: audit: $total session starts"
		skip "no kernel audit here" "$tag: audit: $total session ends"
	fi
}

N=1000
[ "${#_E2E_SAN_ENV[@]}" -gt 0 ] && N=200
storm "4 users x $((N / 4))" tu-many-a:$((N / 4)) tu-many-b:$((N / 4)) tu-many-c:$((N / 4)) tu-many-d:$((N / 4))
storm "1 user x $N" tu-many-a:$N

after_fault "$N sessions" scale tu-many-a drive_one
done_testing
