#!/bin/bash
# pam_tenant on a systemd host: boots `vm-run --systemd` once and runs
# tests/vm/guest/systemd.sh there (TAP passes through).
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$HERE/../../.." && pwd)
missing=$("$HERE/../prereq.sh" --systemd)
if [ -n "$missing" ]; then
	if [ "${MUST_WORK:-0}" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - prerequisites (MUST_WORK=1): missing $missing"
		exit 1
	fi
	echo "1..0 # SKIP missing $missing"
	exit 77
fi
exec "$HERE/../vm-run" --systemd --timeout 2700 --smp 2 --mem 2G -- \
    "bash '$ROOT/tests/vm/guest/systemd.sh' '$ROOT'"
