#!/bin/bash
# tests/fuzz/run.sh [--seconds N] [--runs N] [HARNESS...] - run libFuzzer
# harnesses (build/fuzz/fuzz-*) one after the other, each for N seconds
# (default FUZZ_CHECK_SECONDS or 5) or until it made --runs executions,
# whichever comes first, and print TAP: one result per harness.
#
# Each run first replays the committed corpus tests/fuzz/corpus/HARNESS
# (seeds and every input that once found a bug), then mutates; what it
# finds new goes to build/fuzz/corpus/HARNESS, a crash or failed
# property to build/fuzz/artifacts/HARNESS-crash-* (reproduce with
# build/fuzz/HARNESS FILE).  Without clang's fuzzer runtime the whole
# run is skipped ("1..0 # SKIP"); tests/run.sh turns that into a
# failure when MUST_WORK=1.  FUZZ_NICE (default 10) is the nice value.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 2
BUILD_DIR=${BUILD_DIR:-build}
SECONDS_EACH=${FUZZ_CHECK_SECONDS:-5}
RUNS=-1
while [ $# -ge 2 ]; do
	case $1 in
	--seconds) SECONDS_EACH=$2 ;;
	--runs) RUNS=$2 ;;
	*) break ;;
	esac
	shift 2
done
harnesses=("$@")
if [ "${#harnesses[@]}" = 0 ]; then
	for src in tests/fuzz/fuzz-*.c; do
		harnesses+=("$(basename "$src" .c)")
	done
fi

runtime_present() {
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' |
		"${FUZZ_CC:-clang}" -fsanitize=fuzzer -x c - -o /dev/null >/dev/null 2>&1
}

missing=0
for h in "${harnesses[@]}"; do
	[ -x "$BUILD_DIR/fuzz/$h" ] || missing=1
done
if [ "$missing" = 1 ] && ! runtime_present; then
	echo "1..0 # SKIP clang's libFuzzer runtime is not installed (apt-get install clang libclang-rt-14-dev)"
	exit 0
fi

n=0
failed=0
for h in "${harnesses[@]}"; do
	n=$((n + 1))
	bin=$BUILD_DIR/fuzz/$h
	work=$BUILD_DIR/fuzz/corpus/$h
	seeds=tests/fuzz/corpus/$h
	log=$BUILD_DIR/fuzz/$h.log
	if [ ! -x "$bin" ]; then
		echo "not ok $n - $h: $bin not built (make check-fuzz builds it)"
		failed=1
		continue
	fi
	mkdir -p "$work" "$BUILD_DIR/fuzz/artifacts"
	dict=()
	case $h in # the config's vocabulary helps the config harnesses along
	fuzz-conf-* | fuzz-values) dict=(-dict=tests/fuzz/conf.dict) ;;
	esac
	# -timeout: one input may take at most 10 s; -rss_limit_mb the default.
	t0=$(date +%s)
	nice -n "${FUZZ_NICE:-10}" "$bin" -max_total_time="$SECONDS_EACH" -runs="$RUNS" -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$BUILD_DIR/fuzz/artifacts/$h-" \
		"${dict[@]}" "$work" "$seeds" >"$log" 2>&1
	rc=$?
	t1=$(date +%s)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	if [ "$rc" = 0 ] && [ -n "$runs" ]; then
		echo "ok $n - $h: ${runs} executions in $((t1 - t0)) s (${secs}/s), no crash"
	else
		echo "not ok $n - $h: exit $rc; libFuzzer's report:"
		grep -E 'ERROR|property failed|SUMMARY|Test unit written|==[0-9]+==' "$log" |
			head -n 20 | sed 's/^/#   /'
		failed=1
	fi
done
echo "1..$n"
exit "$failed"
