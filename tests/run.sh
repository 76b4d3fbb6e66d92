#!/bin/bash
# tests/run.sh - run one test tier (or all) and summarise the TAP it prints.
#
#   tests/run.sh all|unit|module|fuzz|e2e|vm [NAME_FILTER]
#
#   unit    build/tests/test-*   for each tests/unit/test-*.c
#   module  build/tests/NAME     for each tests/module/NAME.c
#   fuzz    tests/fuzz/run.sh    each libFuzzer harness for a few seconds
#   e2e     bash tests/e2e/*.sh  (sort order; root; each self-skips with exit 77)
#   vm      tests/vm/run-tier.sh if present
#   all     unit module fuzz e2e vm
#   asan    unit module e2e      (make check-asan: the sanitizer build)
#
# NAME_FILTER (optional) is an extended regex; only tests whose name
# (e.g. "e2e/00-harness") matches it are run.
#
# Each test's output is shown live, prefixed with its name. Counting:
# "ok" lines pass, "not ok" lines fail, "ok ... # SKIP" lines are skipped,
# "not ok ... # TODO" lines are skipped; a whole test that exits 77 or
# prints "1..0 # SKIP" counts as one skip (one failure when MUST_WORK=1);
# a non-zero exit (not 77) with no "not ok", a missing plan, a plan that
# does not match the number of results, "Bail out!" or a timeout count as
# one failure. The last line is "N passed, N failed, N skipped"; the exit
# status is 0 only when nothing failed.
#
# Environment: TEST_TIMEOUT (seconds per test, default 600; the whole vm
# tier: VM_TIER_TIMEOUT, default 2400), MUST_WORK=1,
# BUILD_DIR (default build), TN_SAN_LOG_DIR (below).

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
BUILD_DIR=${BUILD_DIR:-build}
TEST_TIMEOUT=${TEST_TIMEOUT:-600}
MUST_WORK=${MUST_WORK:-0}
FILTER=${2:-}

PASSED=0
FAILED=0
SKIPPED=0
FAILED_NAMES=()
WORK=$(mktemp -d /tmp/tenant-run.XXXXXX) || exit 2
trap 'rm -rf -- "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

usage() {
	echo "usage: $0 all|unit|module|fuzz|e2e|vm [NAME_FILTER]" >&2
	exit 2
}

# note MSG: a runner message (never mistaken for a TAP result line).
note() {
	printf '# %s\n' "$*"
}

# fail_test NAME WHY: count one failure for NAME.
fail_test() {
	FAILED=$((FAILED + 1))
	FAILED_NAMES+=("$1")
	note "$1: FAILED: $2"
}

# run_test NAME CMD...: run CMD with a timeout, stream and count its TAP.
run_test() {
	local name=$1 out=$WORK/out rc t0 t1 tailpid pid
	local n_ok n_notok n_skip n_todo plan plan_n results whole_skip=0 bad=0
	shift
	if [ -n "$FILTER" ] && ! [[ $name =~ $FILTER ]]; then
		return 0
	fi
	: >"$out"
	t0=$(date +%s%N)
	# Output goes to a file, not a pipe: a leaked background process that
	# keeps the test's stdout open cannot hang the runner.
	timeout -k 10 "$TEST_TIMEOUT" "$@" </dev/null >"$out" 2>&1 &
	pid=$!
	tail -s 0.05 -n +1 -f --pid="$pid" -- "$out" 2>/dev/null | sed -u "s|^|$name: |" &
	tailpid=$!
	wait "$pid"
	rc=$?
	wait "$tailpid" 2>/dev/null
	t1=$(date +%s%N)

	n_ok=$(grep -cE '^ok([[:space:]]|$)' "$out")
	n_notok=$(grep -cE '^not ok([[:space:]]|$)' "$out")
	n_skip=$(grep -E '^ok([[:space:]]|$)' "$out" | grep -ciE '#[[:space:]]*skip')
	n_todo=$(grep -E '^not ok([[:space:]]|$)' "$out" | grep -ciE '#[[:space:]]*todo')
	plan=$(grep -E '^1\.\.[0-9]+' "$out" | tail -n 1)
	plan_n=$(printf '%s' "$plan" | sed -n 's/^1\.\.\([0-9]*\).*/\1/p')
	results=$((n_ok + n_notok))

	if [ "$rc" = 77 ] || { [ "$plan_n" = 0 ] && [ "$results" = 0 ]; }; then
		whole_skip=1
	fi
	PASSED=$((PASSED + n_ok - n_skip))
	SKIPPED=$((SKIPPED + n_skip + n_todo))
	FAILED=$((FAILED + n_notok - n_todo))
	[ $((n_notok - n_todo)) -gt 0 ] && FAILED_NAMES+=("$name")

	if [ "$whole_skip" = 1 ]; then
		if [ "$MUST_WORK" = 1 ]; then
			fail_test "$name" "skipped, but MUST_WORK=1 (${plan:-exit 77})"
		else
			SKIPPED=$((SKIPPED + 1))
		fi
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		fail_test "$name" "timed out after ${TEST_TIMEOUT}s (exit $rc)"
		bad=1
	elif grep -qE '^Bail out!' "$out"; then
		fail_test "$name" "$(grep -m1 -E '^Bail out!' "$out")"
		bad=1
	elif [ "$rc" != 0 ] && [ $((n_notok - n_todo)) = 0 ]; then
		fail_test "$name" "exit status $rc without a failing result"
		bad=1
	fi
	if [ "$whole_skip" = 0 ] && [ "$bad" = 0 ]; then
		if [ -z "$plan_n" ]; then
			fail_test "$name" "no TAP plan (1..N) printed"
		elif [ "$plan_n" != "$results" ]; then
			fail_test "$name" "plan 1..$plan_n but $results results"
		fi
	fi
	if [ "$whole_skip" = 1 ]; then
		note "$name: exit $rc, skipped as a whole ($(grep -m1 -E '^1\.\.0' "$out" || echo "exit 77")), $(((t1 - t0) / 1000000)) ms"
	else
		note "$name: exit $rc, $((n_ok - n_skip)) ok, $((n_notok - n_todo)) not ok, $((n_skip + n_todo)) skipped, $(((t1 - t0) / 1000000)) ms"
	fi
	san_check "$name"
}

# ---- sanitizer reports (make check-asan) ----------------------------
# The asan build writes ASan/UBSan/LSan reports to files in
# $TN_SAN_LOG_DIR (compiled in; the test sshd's ASAN_OPTIONS say the
# same).  Any report found after a test fails that test; it is shown and
# kept in $BUILD_DIR/san-reports.
SAN_DIR=${TN_SAN_LOG_DIR:-}
SAN_STACK_WARNING='^==[0-9]+==WARNING: ASan is ignoring requested __asan_handle_no_return: stack type: default top: 0x[0-9a-f]+; bottom 0x[0-9a-f]+; size: 0x[0-9a-f]+ \([0-9]+\)$|^False positive error reports may follow$|^For details see https://github.com/google/sanitizers/issues/189$'

san_setup() {
	[ -n "$SAN_DIR" ] || return 0
	# 1777: sshd's unprivileged children report there too
	mkdir -p -- "$SAN_DIR" "$BUILD_DIR/san-reports" && chmod 1777 "$SAN_DIR" ||
		note "cannot create $SAN_DIR: a report would abort its program instead"
	san_check "before the first test"
}

# san_check NAME: fail NAME for each report that appeared; move it away.
san_check() {
	local f n=0
	[ -n "$SAN_DIR" ] || return 0
	for f in "$SAN_DIR"/*; do
		[ -f "$f" ] || continue
		# an empty file is a test sshd's stderr with nothing in it
		[ -s "$f" ] || { rm -f -- "$f"; continue; }
		# tenant-init runs on a stack of its own (clone): when it exits
		# by itself, ASan warns that it cannot unpoison the stack it
		# believes in (sanitizers#189).  A warning, not a finding; a
		# file with anything more still fails.
		if ! grep -qvE "$SAN_STACK_WARNING" -- "$f"; then
			note "$1: ASan's stack-switch warning ($(basename "$f")), not a finding"
			rm -f -- "$f"
			continue
		fi
		n=$((n + 1))
		note "$1: sanitizer report $(basename "$f"):"
		head -n 60 -- "$f" | sed 's/^/#   /'
		mv -f -- "$f" "$BUILD_DIR/san-reports/$(date +%s)-$(basename "$f")" 2>/dev/null || rm -f -- "$f"
	done
	[ "$n" = 0 ] || fail_test "$1" "$n sanitizer report(s) (kept in $BUILD_DIR/san-reports)"
}

# missing NAME WHY: a test source exists but its binary does not.
missing() {
	if [ -n "$FILTER" ] && ! [[ $1 =~ $FILTER ]]; then
		return 0
	fi
	fail_test "$1" "$2"
}

tier_unit() {
	local src base bin
	for src in tests/unit/test-*.c; do
		[ -e "$src" ] || continue
		base=$(basename "$src" .c)
		bin=$BUILD_DIR/tests/$base
		if [ -x "$bin" ]; then
			run_test "unit/$base" "$bin"
		else
			missing "unit/$base" "$bin not built (run make)"
		fi
	done
	# ---- shell unit tests (tests/unit/test-*.sh: no root, no build) ----
	for src in tests/unit/test-*.sh; do
		[ -e "$src" ] || continue
		run_test "unit/$(basename "$src" .sh)" bash "$src"
	done
}

tier_module() {
	local src base bin
	for src in tests/module/*.c; do
		[ -e "$src" ] || continue
		base=$(basename "$src" .c)
		bin=$BUILD_DIR/tests/$base
		if [ -x "$bin" ]; then
			run_test "module/$base" "$bin"
		else
			missing "module/$base" "$bin not built (run make)"
		fi
	done
	# ---- issue 10: the module's return codes as an ordinary user ----
	# Root runs test-retval above; here it runs again as uid 65534 so that
	# the test build's "helper of the test's own uid" path is exercised.
	# The host's /run/pam_tenant (0700 once a helper made it) is hidden
	# by an empty tmpfs in a mount namespace of this test's own: uid 65534
	# cannot search it, and the module refuses a login when it cannot
	# tell whether the caller is inside a tenant (fail closed).
	if [ "$(id -u)" = 0 ] && [ "$TIER" != asan ] && [ -x "$BUILD_DIR/tests/test-retval" ]; then
		if ! command -v setpriv >/dev/null; then
			run_test "module/test-retval-rootless" echo "1..0 # SKIP setpriv not installed"
		elif ! setpriv --reuid=65534 --regid=65534 --clear-groups \
			test -x "$BUILD_DIR/tests/test-retval"; then
			run_test "module/test-retval-rootless" \
				echo "1..0 # SKIP uid 65534 cannot reach $ROOT (clone below /tmp)"
		else
			run_test "module/test-retval-rootless" unshare --mount --propagation private \
				sh -c '[ ! -d /run/pam_tenant ] || mount -t tmpfs -o mode=0755,size=64k \
				    tenant-retval /run/pam_tenant || exit 1
				exec setpriv --reuid=65534 --regid=65534 --clear-groups "$0"' \
				"$BUILD_DIR/tests/test-retval"
		fi
	fi
	# ---- end issue 10 ----
}

# ---- fuzz tier (tests/fuzz) ----
# Each harness for FUZZ_CHECK_SECONDS (default 5) after replaying its
# committed corpus; skipped as a whole without clang's fuzzer runtime.
tier_fuzz() {
	local src base
	for src in tests/fuzz/fuzz-*.c; do
		[ -e "$src" ] || continue
		base=$(basename "$src" .c)
		run_test "fuzz/$base" bash tests/fuzz/run.sh "$base"
	done
}
# ---- end fuzz tier ----

tier_e2e() {
	local t list=()
	mapfile -t list < <(printf '%s\n' tests/e2e/*.sh | LC_ALL=C sort)
	for t in "${list[@]}"; do
		[ -e "$t" ] || continue
		# the asan tier: valgrind cannot run the sanitizer build, the
		# upgrade test installs builds of its own (not sanitized), and
		# LeakSanitizer refuses to run under strace (config-eio)
		[ "$TIER" = asan ] && [[ $t == *-valgrind.sh || $t == *-upgrade.sh ||
		    $t == *-config-eio.sh ]] && continue
		run_test "e2e/$(basename "$t" .sh)" bash "$t"
	done
}

tier_vm() {
	if [ -e tests/vm/run-tier.sh ]; then
		# one "test" that boots several VMs: it gets its own budget
		TEST_TIMEOUT=${VM_TIER_TIMEOUT:-2400} run_test "vm/run-tier" bash tests/vm/run-tier.sh
	else
		# Not a test that skipped: there is no VM tier yet (MUST_WORK does not apply).
		note "vm: tests/vm/run-tier.sh not present, skipped"
		SKIPPED=$((SKIPPED + 1))
	fi
}

TIER=${1:-}
san_setup
case ${1:-} in
unit) tier_unit ;;
module) tier_module ;;
fuzz) tier_fuzz ;;
e2e) tier_e2e ;;
vm) tier_vm ;;
all)
	tier_unit
	tier_module
	tier_fuzz
	tier_e2e
	tier_vm
	;;
asan)
	tier_unit
	tier_module
	tier_e2e
	# a keeper of the last test may still be ending
	[ -z "$SAN_DIR" ] || sleep 3
	san_check "asan/after-the-last-test"
	# leave no state behind (a new machine has none); empty by now
	[ -z "$SAN_DIR" ] || rmdir -- "$SAN_DIR" 2>/dev/null
	;;
*) usage ;;
esac

if [ "${#FAILED_NAMES[@]}" -gt 0 ]; then
	note "failed: $(printf '%s\n' "${FAILED_NAMES[@]}" | awk '!seen[$0]++' | tr '\n' ' ')"
fi
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
