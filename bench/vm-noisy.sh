#!/bin/bash
# Inside the cgroup v2 VM (bench/run.sh): user quiet's login cycle, idle and
# then while user noisy runs a fork bomb and a memory hog at its limits.
. "$(dirname "$0")/../tests/lib/tenant.sh"
DRIVER=$E2E_ROOT/build/bench/bench-driver
N=${BENCH_VM_N:-40}
tmpdir_create
make_user quiet
make_user noisy
PAMD=$T/pam.d
mkdir -p "$PAMD"
printf 'auth required pam_permit.so\naccount required pam_permit.so\nsession required %s\n' \
    "$TENANT_MODULE" >"$PAMD/tenant"
tenant_config '[default]' 'scope = session' 'on_logout = kill' \
    '[user noisy]' 'scope = user' 'memory.max = 128M' 'memory.swap.max = 0' 'pids.max = 100' 'cpu = 100%'

idle=$("$DRIVER" -c "$PAMD" -n "$N" tenant quiet 2>&1 | tail -n 1)
# noisy: a session that keeps a fork bomb and a memory hog at the limits
sleep 600 | "$DRIVER" -c "$PAMD" -n 0 -k 1 tenant noisy >/dev/null 2>&1 &
on_exit "pkill -x -P $$ sleep; true"
wait_until 30 eval 'ls -d /sys/fs/cgroup/tenant.slice/user-"$(user_uid noisy)"/session-* >/dev/null 2>&1' ||
    { echo "noisy's held session did not start"; exit 1; }
# Start both as noisy and put them into noisy's session cgroup before
# they begin (each sleeps a second first).
leaf=$(ls -d /sys/fs/cgroup/tenant.slice/user-"$(user_uid noisy)"/session-* | head -n 1)
cd /
runuser -u noisy -- perl -e 'sleep 1; while (1) { my $p = fork(); if (defined $p && $p == 0) { sleep 1; exit 0 } select(undef, undef, undef, 0.001) }' >/dev/null 2>&1 &
echo $! >"$leaf/cgroup.procs"
runuser -u noisy -- perl -e 'sleep 1; while (1) { my $x = q(x) x (200 * 1024 * 1024) }' >/dev/null 2>&1 &
echo $! >"$leaf/cgroup.procs"
sleep 4
echo "noisy's cgroup: pids $(cat "$leaf/../pids.current")/$(cat "$leaf/../pids.max"), memory $(cat "$leaf/../memory.current")/$(cat "$leaf/../memory.max"), oom kills $(sed -n 's/^oom_kill //p' "$leaf/../memory.events")"
busy=$("$DRIVER" -c "$PAMD" -n "$N" tenant quiet 2>&1 | tail -n 1)
pkill -u noisy
printf 'idle:  %s\nnoisy: %s\n' "$idle" "$busy"
awk -v a="$(printf '%s' "$busy" | sed -n 's/.*p50=\([0-9.]*\).*/\1/p')" \
    -v b="$(printf '%s' "$idle" | sed -n 's/.*p50=\([0-9.]*\).*/\1/p')" \
    'BEGIN { printf "noisy/idle p50: %.2f (target <= 1.5)\n", a / b }'
