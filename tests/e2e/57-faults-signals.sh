#!/bin/bash
# F19 (docs/testing.md, "Fault catalogue"; security catalogue #20): a
# login program whose own handlers catch SIGHUP, SIGTERM, SIGCHLD,
# SIGWINCH and SIGUSR1 (no SA_RESTART, so every blocking call of the
# module may return EINTR) is flooded with them while the module waits:
# for the helper of a first login (held 2 s at helper-after-request) and
# for the keeper of a joining login (held 2 s at keeper-open-before-answer).
# The login must come out isolated (or cleanly refused), never let in
# unisolated, within its deadline; nothing leaks.  A child of the login
# program's own that exits meanwhile is reaped or signalled as the
# program's own SIGCHLD disposition says.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh
test_bin DRIVER pam-fault-driver
tmpdir_create
start_syslog
start_auditd
make_user tu-sig
tenant_config '[default]' 'isolate = yes' 'scope = user' 'on_logout = kill'
install -d -m 0755 "$T/pam.d"
printf 'session required %s timeout=6\nsession optional pam_permit.so\n' "$TENANT_MODULE" >"$T/pam.d/tenant-sig"
cp "$T/pam.d/tenant-sig" "$T/pam.d/other"
[ -d /run/pam_tenant ] || install -d -m 0700 /run/pam_tenant
FAULTS=$E2E_BUILD/faults
install -d -m 0755 "$FAULTS"
on_exit "rm -rf '$FAULTS'"
wait_no_tenants 10 || bail_out "a tenant of an earlier test is still running"
fault_baseline
OK_ISOLATED='^open=0 close=0 mnt=other fd_delta=0$'

# drive USER: one PAM cycle, bounded (the module's deadline is 6 s).
drive() {
	timeout -k 5 30 "$DRIVER" -c "$T/pam.d" tenant-sig "$1" 2>&1
}

# flooded POINT OUT: run the driver with a 2 s hold at POINT while it is
# sent a signal every 10 ms (at most 30 s); its output in OUT, the time
# in FLOOD_MS.  The driver itself is signalled (no timeout(1) between).
flooded() {
	local point=$1 out=$2 pid t0 sig
	echo "sleep 2" >"$FAULTS/$point"
	chmod 0644 "$FAULTS/$point"
	t0=$(date +%s%N)
	"$DRIVER" -S -c "$T/pam.d" tenant-sig tu-sig >"$out" 2>&1 &
	pid=$!
	while _e2e_alive "$pid"; do
		if [ $((($(date +%s%N) - t0) / 1000000)) -gt 30000 ]; then
			kill -KILL "$pid"
			break
		fi
		for sig in HUP TERM CHLD WINCH USR1; do
			kill -"$sig" "$pid" 2>/dev/null
		done
		sleep 0.01
	done
	wait "$pid"
	FLOOD_MS=$((($(date +%s%N) - t0) / 1000000))
	rm -f "$FAULTS/$point"
}

# 1. A first login: the module waits for the helper.
flooded helper-after-request "$T/first.out"
like "$(head -n 1 "$T/first.out")" "$OK_ISOLATED" "first login flooded with signals while the helper works: isolated"
sent=$(sed -n 's/^signals=//p' "$T/first.out")
ok "$([ "${sent:-0}" -gt 0 ]; echo $?)" "... the login program's handlers ran (${sent:-0} signals)"
ok "$([ "$FLOOD_MS" -le 7000 ]; echo $?)" "... within the deadline + 1 s ($FLOOD_MS ms)"
wait_no_tenants 10
ok $? "... and its tenant ended with it"

# 2. A joining login: the module asks the live tenant's keeper directly.
# (the holder waits inside the tenant, where /tmp is private: /run it sees)
release=/run/pam_tenant-e2e57.$$.release
on_exit "rm -f '$release'"
"$DRIVER" -c "$T/pam.d" -w "$release" tenant-sig tu-sig >"$T/hold.out" 2>&1 &
holder=$!
on_exit "touch '$release'; _e2e_stop_pid $holder 5"
wait_until 20 grep -q '^opened' "$T/hold.out"
ok $? "a first session of tu-sig is held open"
flooded keeper-open-before-answer "$T/join.out"
like "$(head -n 1 "$T/join.out")" "$OK_ISOLATED" "joining login flooded with signals while the keeper answers: isolated"
sent=$(sed -n 's/^signals=//p' "$T/join.out")
ok "$([ "${sent:-0}" -gt 0 ]; echo $?)" "... the login program's handlers ran (${sent:-0} signals)"
ok "$([ "$FLOOD_MS" -le 7000 ]; echo $?)" "... within the deadline + 1 s ($FLOOD_MS ms)"
touch "$release"
wait_until 10 eval "! _e2e_alive $holder"
wait "$holder"
like "$(cat "$T/hold.out")" 'open=0 close=0 mnt=other fd_delta=0' "the held session closes cleanly"

# 3. A child of the login program's own exits while the module waits for
# the helper (held 1 s), the module's SIGCHLD disposition in place: a
# program that ignores SIGCHLD must not be left with a zombie, and one
# that catches it must still see it.
wait_no_tenants 10
echo "sleep 1" >"$FAULTS/helper-after-request"
chmod 0644 "$FAULTS/helper-after-request"
out=$(timeout -k 5 30 "$DRIVER" -I -K 300 -c "$T/pam.d" tenant-sig tu-sig 2>&1)
like "$(grep '^open=' <<<"$out")" "$OK_ISOLATED" "SIGCHLD ignored, a child of its own exits meanwhile: isolated"
like "$out" 'child=gone' "... and that child was reaped, as SIG_IGN promises (no zombie)"
wait_no_tenants 10
out=$(timeout -k 5 30 "$DRIVER" -S -K 300 -c "$T/pam.d" tenant-sig tu-sig 2>&1)
like "$(grep '^open=' <<<"$out")" "$OK_ISOLATED" "SIGCHLD caught, a child of its own exits meanwhile: isolated"
like "$out" 'sigchld=[1-9]' "... and its handler saw that child's SIGCHLD"
like "$out" 'child=zombie' "... which is left for the program to reap"
rm -f "$FAULTS/helper-after-request"
wait_no_tenants 10

# After: the next login works, root's works, nothing leaked.
after_fault "signal floods" floods tu-sig drive
done_testing
