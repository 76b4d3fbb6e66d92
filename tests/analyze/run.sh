#!/bin/bash
# tests/analyze/run.sh - make analyze: cppcheck and clang's static
# analyzer over the C sources; any finding not in tests/analyze/suppressions
# fails.  Each file is analyzed with the test build's defines (so the
# TN_TESTING and fault-injection code is covered too).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 2
SUPP=tests/analyze/suppressions
VERSION=${VERSION:-0.0}
DEFS=(-D_GNU_SOURCE -DTN_VERSION="\"$VERSION\"" -DTN_TESTING=1 -DTN_FAULT_DIR='"/nonexistent"' -Icommon -Iconf)
DIRS=(common conf pam_module helper tools systemd)
failed=0

# suppressed TOOL FILE: the CHECKs listed for TOOL and FILE
suppressed() {
	awk -v t="$1" -v f="$2" '$1 == t && $3 == f { print $2 }' "$SUPP"
}

echo "== cppcheck"
cpp_supp=$(mktemp)
trap 'rm -f "$cpp_supp"' EXIT
awk '$1 == "cppcheck" { print $2 ":" $3 }' "$SUPP" >"$cpp_supp"
if ! cppcheck --quiet --enable=warning,portability,performance --error-exitcode=1 \
	--suppressions-list="$cpp_supp" --template='{file}:{line}: {severity}: {message} [{id}]' \
	"${DEFS[@]}" "${DIRS[@]}"; then
	failed=1
fi

echo "== clang --analyze"
for f in $(find "${DIRS[@]}" -name '*.c' | LC_ALL=C sort); do
	off=()
	for c in $(suppressed clang "$f"); do
		off+=(-Xclang -analyzer-disable-checker="$c")
	done
	out=$(clang --analyze -std=gnu11 "${DEFS[@]}" "${off[@]}" -o /dev/null "$f" 2>&1)
	if [ -n "$out" ]; then
		printf '%s\n' "$out"
		failed=1
	fi
done
if [ "$failed" = 0 ]; then
	echo "analyze: no findings"
fi
exit "$failed"
