#!/bin/bash
# The Debian package on a clean systemd host: builds build/deb/*.deb if it
# is missing or older than the tree (make deb), boots `vm-run --systemd`
# once and runs tests/vm/guest/deb.sh there (TAP passes through).
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$HERE/../../.." && pwd)
skip() { # skip WHY: a missing prerequisite (a failure when MUST_WORK=1)
	if [ "${MUST_WORK:-0}" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - prerequisites (MUST_WORK=1): $1"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 77
}
missing=$("$HERE/../prereq.sh" --systemd)
[ -z "$missing" ] || skip "missing $missing"
version=$(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")
arch=$(dpkg --print-architecture 2>/dev/null)
deb=$ROOT/build/deb/libpam-tenant_${version}_$arch.deb
# What goes into the package (tests/ does not).
if [ ! -f "$deb" ] || [ -n "$(cd "$ROOT" && find common conf pam_module helper tools systemd man docs debian \
	Makefile README.md SECURITY.md -newer "$deb" -print -quit)" ]; then
	command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
		skip "no $deb and no dpkg-buildpackage/debhelper to build it (dpkg-dev debhelper)"
	echo "# building $(basename "$deb") (make deb)"
	if ! make -C "$ROOT" deb >"$ROOT/build/deb-build.log" 2>&1; then
		echo "1..1"
		echo "not ok 1 - make deb failed (build/deb-build.log: $(tail -3 "$ROOT/build/deb-build.log" | tr '\n' ' '))"
		exit 1
	fi
fi
exec nice -n 10 "$HERE/../vm-run" --systemd --timeout 1800 --smp 2 --mem 2G -- \
    "bash '$ROOT/tests/vm/guest/deb.sh' '$deb'"
