#!/bin/bash
# F18 (docs/testing.md, "Fault catalogue"): memory allocation fails in the
# login program.  build/tests/pam-fault-driver -A N makes the Nth
# allocation during pam_open_session fail with ENOMEM (only that one), -B N
# the same during pam_close_session; each sweep tries every N from 1 until
# the call makes fewer allocations than N.  That covers the module's own
# allocations and those of what it calls in the login program (libpam,
# NSS, syslog, libaudit).  Every run: the login program does not crash or
# hang, the login is isolated or refused and never let in unisolated, no fd
# is leaked, and the tenant ends with its session (or, where libpam failed
# the close before the module ran, once the login program has exited).
# glibc's NSS does not survive its own allocations failing, so a user
# lookup fails as a whole instead (the driver says how).  The helper, the keeper
# and tenant-init are separate programs and allocate normally.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
test_bin DRIVER pam-fault-driver
tmpdir_create
start_syslog
make_user tu-alloc
make_user tu-alloc2
tenant_config '[default]' 'isolate = yes' 'on_logout = kill'
install -d -m 0755 "$T/pam.d"
# pam_permit: root, exempt, gets PAM_IGNORE from pam_tenant, and a stack
# where every module ignores the call fails
printf 'session required %s\nsession optional pam_permit.so\n' "$TENANT_MODULE" >"$T/pam.d/tenant-alloc"
cp "$T/pam.d/tenant-alloc" "$T/pam.d/other"
[ -d /run/pam_tenant ] || install -d -m 0700 /run/pam_tenant
wait_no_tenants 10 || bail_out "a tenant of an earlier test is still running"
fault_baseline

# drive [DRIVER_OPTS...] USER: one PAM cycle, bounded (the module's deadline is 10 s).
drive() {
	local user=${*: -1}
	timeout -k 5 30 "$DRIVER" -c "$T/pam.d" "${@:1:$#-1}" tenant-alloc "$user" 2>&1
}

# sweep DESC OPT USER [held]: one cycle per N with OPT N until the call
# made fewer than N allocations (at most 3000); one result per property
# over all runs.  "held": another session holds the tenant, which lives on.
sweep() {
	local desc=$1 opt=$2 user=$3 held=${4:-} n out first allocs=0 isolated=0 refused=0
	local crashed= open_leak= fd_leak= left=
	for ((n = 1; n <= 3000; n++)); do
		out=$(drive "$opt" "$n" "$user")
		first=$(head -n 1 <<<"$out")
		if ! [[ $(tail -n 1 <<<"$out") =~ ^allocs=([0-9]+)\ injected=([01])$ ]]; then
			crashed+=" $n"
			diag "$desc, allocation $n: $out"
			wait_no_tenants 10
			continue
		fi
		[ "${BASH_REMATCH[2]}" = 1 ] || { allocs=${BASH_REMATCH[1]}; break; }
		# A refused login may still be in the tenant's mount namespace:
		# libpam's own audit record after the module's success failed.
		case $first in
		"open=0 close="*" mnt=other "*) isolated=$((isolated + 1)) ;;
		"open="[1-9]*" close=-1 "*) refused=$((refused + 1)) ;;
		*)
			open_leak+=" $n"
			diag "$desc, allocation $n: $first" ;;
		esac
		[[ $first == *" fd_delta=0" ]] || { fd_leak+=" $n"; diag "$desc, allocation $n: $first"; }
		[ -n "$held" ] || wait_no_tenants 10 || { left+=" $n"; kill_user_procs "$(user_uid "$user")"; }
	done
	diag "$desc: $allocs allocations; with one of them failed: $isolated isolated, $refused refused"
	ok "$([ "$allocs" -gt 0 ] && [ "$n" -le 3000 ]; echo $?)" \
	    "$desc: the sweep reached a run with nothing to fail ($allocs allocations)"
	is "${crashed# }" "" "$desc: the login program ran each cycle to its end (no crash, no hang)"
	is "${open_leak# }" "" "$desc: each login was isolated or refused, never let in unisolated"
	is "${fd_leak# }" "" "$desc: no fd leaked in the login program"
	[ -n "$held" ] || is "${left# }" "" "$desc: each tenant ended with its session"
	SWEPT_ISOLATED=$isolated SWEPT_REFUSED=$refused
}

like "$(drive tu-alloc)" '^open=0 close=0 mnt=other fd_delta=0$' "without a fault, tu-alloc's login is isolated"
wait_no_tenants 10

# A first login: the module asks the helper, which starts the tenant.
sweep "first login, open" -A tu-alloc
ok "$([ "$SWEPT_REFUSED" -gt 0 ]; echo $?)" "first login, open: some failures refuse the login ($SWEPT_REFUSED)"

# Closing the session of a first login (the tenant ends with it).
sweep "first login, close" -B tu-alloc

# A joining login: tu-alloc2 holds a session, so the module joins the
# running tenant through its keeper.
# (below /run: the held login is in the tenant, whose /tmp is its own)
release=/run/pam_tenant-e2e53.$$.release
on_exit "rm -f $release"
drive -w "$release" tu-alloc2 >"$T/held.out" &
held=$!
on_exit "touch $release; _e2e_stop_pid $held 5"
wait_until 10 grep -q '^opened' "$T/held.out"
ok $? "tu-alloc2 holds a session"
sweep "joining login, open" -A tu-alloc2 held
touch "$release"
wait_until 15 eval "! _e2e_alive $held"
like "$(cat "$T/held.out")" 'open=0 close=0 mnt=other fd_delta=0' "tu-alloc2's held session closes cleanly"
wait_no_tenants 10
ok $? "... and its tenant ends with it"

# A login program that opens a session again on the handle it closed one
# on: the second is isolated too (it once returned PAM_IGNORE, taking the
# first session's PAM data for a second pam_tenant line).
out=$(drive -R tu-alloc)
like "$(grep '^reopen=' <<<"$out")" '^reopen=0 reclose=0 mnt=other$' \
    "a session opened again on the same PAM handle after its close is isolated too"
wait_no_tenants 10

after_fault "allocation failures" alloc tu-alloc drive
done_testing
