#!/bin/bash
# The benchmark driver still works (a few cycles, no timing assertions):
# every scenario of `make bench` once, so the benchmark cannot rot.
. "$(dirname "$0")/../lib/tenant.sh"
. "$(dirname "$0")/../../bench/peers.sh"
require_root
DRIVER=$E2E_ROOT/build/bench/bench-driver
FLOOR_MODULE=$E2E_ROOT/build/bench/pam_bench_floor.so
FLOOR_CHILD=$E2E_ROOT/build/bench/floor-child
for f in "$DRIVER" "$FLOOR_MODULE" "$FLOOR_CHILD"; do
	[ -e "$f" ] || bail_out "${f#"$E2E_ROOT"/} is not built"
done
tmpdir_create
start_syslog
make_user tu-bench
mkdir -p "$T/pam.d"
for s in permit tenant; do
	line="session required pam_permit.so"
	[ $s = tenant ] && line="session required $TENANT_MODULE"
	printf 'auth required pam_permit.so\naccount required pam_permit.so\n%s\n' "$line" >"$T/pam.d/$s"
done
printf 'auth required pam_permit.so\naccount required pam_permit.so\nsession required %s child=%s\n' \
    "$FLOOR_MODULE" "$FLOOR_CHILD" >"$T/pam.d/floor"
printf 'auth required pam_permit.so\naccount required pam_permit.so\nsession required %s child=%s\n' \
    "$FLOOR_MODULE" /bin/false >"$T/pam.d/floor-broken"
peers_prepare "$T/pam.d" || bail_out "cannot set up the pam_namespace peers"
wait_no_tenants 10

out=$("$DRIVER" -c "$T/pam.d" -n 3 permit tu-bench 2>&1)
like "$out" '^cycles=3 failed=0 p50=' "baseline cycles run"
out=$("$DRIVER" -c "$T/pam.d" -n 3 floor tu-bench 2>&1)
like "$out" '^cycles=3 failed=0 p50=' "floor cycles run (fork+exec, namespaces, mounts, setns)"
out=$("$DRIVER" -c "$T/pam.d" -n 3 floor-broken tu-bench 2>&1)
like "$out" '^cycles=3 failed=3 ' "... and a floor program that fails fails every cycle"
for p in $PEERS; do
	peer_use "$p"
	out=$("$DRIVER" -c "$T/pam.d" -n 3 peer tu-bench 2>&1)
	like "$out" '^cycles=3 failed=0 p50=' "peer cycles run: $(peer_label "$p")"
done
is "$(find "$PEER_INST" -mindepth 1 -maxdepth 1 ! -name '*-tu-bench' | wc -l)" 0 \
    "... the tmpdir peer's directories were removed at close"
tenant_config '[default]' 'scope = session' 'on_logout = kill'
out=$("$DRIVER" -c "$T/pam.d" -n 3 tenant tu-bench 2>&1)
like "$out" '^cycles=3 failed=0 p50=' "first-login cycles run"
out=$("$DRIVER" -c "$T/pam.d" -n 3 -k 2 tenant tu-bench 2>&1)
like "$out" 'held=2 .*pss_per_tenant=[0-9]' "two held sessions are two tenants, memory reported"
like "$(printf '%s\n' "$out" | tail -n 1)" '^cycles=3 failed=0' "... and cycles run beside them"
tenant_config '[default]' 'scope = user'
out=$("$DRIVER" -c "$T/pam.d" -n 3 -k 1 -r "$T/times" tenant tu-bench 2>&1)
like "$(printf '%s\n' "$out" | tail -n 1)" '^cycles=3 failed=0' "joining cycles run beside a held session"
is "$(grep -cE '^[0-9]+\.[0-9]{3}$' "$T/times")" 3 "... and -r records each cycle's time"
out=$("$DRIVER" -c "$T/pam.d" -n 4 -j 4 tenant tu-bench 2>&1)
like "$out" '^storm=4 failed=0 ' "a small storm of one user"
wait_no_tenants 15
ok $? "nothing left"
done_testing
