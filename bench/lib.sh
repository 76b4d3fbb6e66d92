# shellcheck shell=bash
# bench/lib.sh: result-line helpers shared by bench/run.sh and the in-VM
# benches (bench/vm-*.sh).  A result line is bench-driver's
# "cycles=N failed=F p50=.. p90=.. p99=.. ms".

field() { # field NAME LINE: the value of NAME=... in LINE
	printf '%s\n' "$2" | sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p"
}
ratio() { # ratio A B: A / B with two decimals, "-" when B is not positive
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
}
pooled() { # pooled FILE FAILED: percentiles of the cycle times in FILE
	sort -n "$1" | awk -v failed="$2" '{ v[NR] = $1 }
	    function p(q) { return v[int(q * (NR - 1) + 0.5) + 1] }
	    END { printf "cycles=%d failed=%d p50=%.2f p90=%.2f p99=%.2f ms\n", NR, failed, p(0.5), p(0.9), p(0.99) }'
}
row() { # row LABEL RESULT_LINE
	printf '%-46s %8s %8s %8s %7s\n' "$1" "$(field p50 "$2")" "$(field p90 "$2")" \
	    "$(field p99 "$2")" "$(field failed "$2")"
}
