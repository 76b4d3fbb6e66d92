#!/bin/bash
# make bench: what a login costs with pam_tenant, measured side by side in
# one run on this machine (docs/performance.md explains each row).
# Environment: BENCH_N (cycles per scenario, default 200), BENCH_ROUNDS
# (the scenarios take turns in this many rounds, default 5), BENCH_SCALE
# (live-tenant counts, default "1 100 1000"), BENCH_VM=0 (skip the noisy
# neighbour run in the cgroup v2 VM and the systemd-host rows in the
# systemd VM), BENCH_SD_N / BENCH_SD_CALLS / BENCH_SD_ASLR (passed to
# bench/vm-systemd.sh).
. "$(dirname "$0")/../tests/lib/tenant.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"
[ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
DRIVER=$E2E_ROOT/build/bench/bench-driver
FLOOR_MODULE=$E2E_ROOT/build/bench/pam_bench_floor.so
FLOOR_CHILD=$E2E_ROOT/build/bench/floor-child
N=${BENCH_N:-200}
ROUNDS=${BENCH_ROUNDS:-5}
SCALE=${BENCH_SCALE:-1 100 1000}
tmpdir_create
make_user bench-user
PAMD=$T/pam.d
mkdir -p "$PAMD"

service() { # service NAME SESSION_LINE...: a PAM service for pam_start_confdir
	local name=$1
	shift
	{
		echo "auth required pam_permit.so"
		echo "account required pam_permit.so"
		printf '%s\n' "$@"
	} >"$PAMD/$name"
}
service permit "session required pam_permit.so"
service floor "session required $FLOOR_MODULE child=$FLOOR_CHILD"
service tenant "session required $TENANT_MODULE"
# The peers: pam_namespace configurations an admin could choose instead
# (bench/peers.sh), each with pam_limits.
peers_prepare "$PAMD" || exit 1
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
	floor_label="2 floor: exec, 4 ns, 5 mounts, setns, cgroup"
else
	floor_label="2 floor: exec, 4 ns, 5 mounts, setns"
	floor_note="floor: no cgroup mkdir, /sys/fs/cgroup is not cgroup v2 (pam_tenant makes none here either)"
fi

drive() { # drive ARGS...: run the driver, print its result line
	"$DRIVER" -c "$PAMD" "$@" 2>&1 | tail -n 1
}
echo "pam_tenant benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, kernel $(uname -r), N=$N in $ROUNDS rounds"
echo "cgroup: $(stat -fc %T /sys/fs/cgroup) at /sys/fs/cgroup"
echo
# The scenarios take turns, N/ROUNDS cycles each per round, so that a
# machine whose speed drifts during the run slows them all alike.
scenarios="permit floor first join"
for p in $PEERS; do
	scenarios+=" peer-$p"
done
drive -n 20 permit bench-user >/dev/null # warm the page cache
declare -A failed
for s in $scenarios; do
	failed[$s]=0
done
for ((r = 1; r <= ROUNDS; r++)); do
	for s in $scenarios; do
		case $s in
		permit | floor) args=("$s") ;;
		first)
			tenant_config '[default]' 'scope = session' 'on_logout = kill'
			args=(tenant)
			;;
		join)
			tenant_config '[default]' 'scope = user' 'on_logout = keep'
			args=(-k 1 tenant)
			;;
		peer-*)
			peer_use "${s#peer-}"
			args=(peer)
			;;
		esac
		out=$(drive -n "$((N / ROUNDS))" -r "$T/$s.times" "${args[@]}" bench-user)
		failed[$s]=$((failed[$s] + $(field failed "$out")))
		# The tenants a scenario started end in the background: the next
		# one starts when they have, not while keepers tear down.
		wait_no_tenants 30 || echo "bench: tenants of '$s' still ending" >&2
	done
done
declare -A result
for s in $scenarios; do
	result[$s]=$(pooled "$T/$s.times" "${failed[$s]}")
done
printf '%-46s %8s %8s %8s %7s\n' "login cycle (fresh process each), ms" p50 p90 p99 failed
row "1 baseline: pam_permit" "${result[permit]}"
row "$floor_label" "${result[floor]}"
row "3 pam_tenant, first login (new tenant)" "${result[first]}"
row "4 pam_tenant, joining login (live session)" "${result[join]}"
i=5 cheap="" cheap_row=""
for p in $PEERS; do
	row "$i peer: $(peer_label "$p")" "${result[peer-$p]}"
	if [ -z "$cheap" ] || awk -v a="$(field p50 "${result[peer-$p]}")" \
	    -v b="$(field p50 "${result[peer-$cheap]}")" 'BEGIN { exit !(a < b) }'; then
		cheap=$p cheap_row=$i
	fi
	i=$((i + 1))
done
[ -z "${floor_note:-}" ] || echo "$floor_note"
echo
b=$(field p50 "${result[permit]}")
f=$(field p50 "${result[first]}")
first_added=$(awk -v a="$f" -v b="$b" 'BEGIN { printf "%.2f", a - b }')
floor_added=$(awk -v a="$(field p50 "${result[floor]}")" -v b="$b" 'BEGIN { printf "%.2f", a - b }')
echo "ratios of p50:"
printf '  first/baseline %s (target <= 2.0)   join/baseline %s (target <= 1.35)\n' \
    "$(ratio "$f" "$b")" "$(ratio "$(field p50 "${result[join]}")" "$b")"
printf '  first/cheapest peer %s (target <= 0.40; cheapest: row %s, %s)\n' \
    "$(ratio "$f" "$(field p50 "${result[peer-$cheap]}")")" "$cheap_row" "$(peer_label "$cheap")"
printf '  first added/floor added %s (target <= 2.0; added = p50 - baseline p50: first %s ms, floor %s ms)\n' \
    "$(ratio "$first_added" "$floor_added")" "$first_added" "$floor_added"

echo
printf '%-46s %8s %8s %12s\n' "first-login latency with K live tenants" p50 p99 "KiB/tenant"
tenant_config '[default]' 'scope = session' 'on_logout = kill'
one=""
for k in $SCALE; do
	out=$("$DRIVER" -c "$PAMD" -n "$((N / 2))" -k "$k" tenant bench-user 2>&1)
	res=$(printf '%s\n' "$out" | tail -n 1)
	pss=$(field pss_per_tenant "$(printf '%s\n' "$out" | grep held=)")
	[ -n "$one" ] || one=$(field p50 "$res")
	printf '%-46s %8s %8s %12s   (x%s of K=1)\n' "K = $k" "$(field p50 "$res")" \
	    "$(field p99 "$res")" "$pss" "$(ratio "$(field p50 "$res")" "$one")"
	wait_no_tenants 120 || echo "  (tenants still ending)"
done
echo "targets: latency at K=1000 <= 1.1 x K=1; <= 256 KiB PSS per tenant (keeper + init)"

echo
echo "storms (all logins started at once)"
tenant_config '[default]' 'scope = user' 'on_logout = keep'
printf '  100 logins of one user:        %s\n' "$("$DRIVER" -c "$PAMD" -n 100 -j 100 tenant bench-user 2>&1 | tail -n 1)"
for i in $(seq 100); do
	useradd -M -s /usr/sbin/nologin "bench-s$i" 2>/dev/null
done
on_exit 'for s in $(seq 100); do userdel "bench-s$s" 2>/dev/null; done'
printf '  100 logins of 100 users:       %s\n' "$("$DRIVER" -c "$PAMD" -n 100 -j 100 -u bench-s tenant bench-user 2>&1 | tail -n 1)"
wait_no_tenants 60 >/dev/null

if [ "${BENCH_VM:-1}" != 0 ] && [ -z "$("$E2E_ROOT/tests/vm/prereq.sh")" ]; then
	echo
	echo "noisy neighbour (cgroup v2 VM): one user's login cycle while another runs a"
	echo "fork bomb and a memory hog at their limits, against the same on an idle VM"
	"$E2E_ROOT/tests/vm/vm-run" --timeout 900 -- "cd '$E2E_ROOT' && bash bench/vm-noisy.sh" 2>&1 |
		sed 's/^/  /'
fi

if [ "${BENCH_VM:-1}" != 0 ] && [ -z "$("$E2E_ROOT/tests/vm/prereq.sh" --systemd)" ]; then
	echo
	echo "systemd host (systemd VM under TCG): what pam_tenant adds to a login, against"
	echo "what pam_systemd adds (bench/vm-systemd.sh; compare ratios, not times)"
	sd_env=()
	for v in BENCH_SD_N BENCH_SD_CALLS BENCH_SD_ASLR; do
		[ -z "${!v:-}" ] || sd_env+=(-e "$v=${!v}")
	done
	"$E2E_ROOT/tests/vm/vm-run" --systemd --timeout 2400 "${sd_env[@]}" -- \
	    "cd '$E2E_ROOT' && bash bench/vm-systemd.sh" 2>&1 | sed 's/^/  /'
fi
