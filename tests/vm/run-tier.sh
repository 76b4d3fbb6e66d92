#!/bin/bash
# The "vm" test tier (called by tests/run.sh): runs tests/vm/selftest.sh,
# tests/vm/selftest-systemd.sh (vm-run --systemd) and then every
# tests/vm/tests/*.sh (sort order), each a TAP script that uses
# tests/vm/vm-run, one after the other (never two VMs at once).  Their
# results are merged into one flat TAP stream: renumbered, prefixed with the
# script's name, one plan at the end.  Comments and other lines pass through.
#
# Exit 77 with "1..0 # SKIP" when QEMU, the kernel or another host package is
# missing, unless MUST_WORK=1 (then it fails).  A script that skips as a whole
# (exit 77 or "1..0") becomes one "ok ... # SKIP" line (a failure when
# MUST_WORK=1); one that exits non-zero without a failing result, or whose
# plan does not match its results, becomes one "not ok" line.
#
# Environment: VM_TIER_FILTER (extended regex on the script name, e.g.
# "selftest|quota"), VM_SELFTEST=0 (leave both runner self-tests out), and
# everything vm-run and the scripts read (VM_KERNEL, MUST_WORK, ...).

set -u
shopt -s nullglob
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
MUST_WORK=${MUST_WORK:-0}
export MUST_WORK

missing=$("$HERE/prereq.sh")
if [ -n "$missing" ]; then
	if [ "$MUST_WORK" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - vm tier prerequisites (MUST_WORK=1): missing $missing"
		exit 1
	fi
	echo "1..0 # SKIP missing $missing"
	exit 77
fi

scripts=()
[ "${VM_SELFTEST:-1}" = 0 ] || scripts+=("$HERE/selftest.sh" "$HERE/selftest-systemd.sh")
scripts+=("$HERE"/tests/*.sh)

N=0 NFAIL=0
emit() { # emit ok|not-ok TEXT   ("not ok ... # TODO" is no failure)
	N=$((N + 1))
	if [ "$1" = ok ]; then
		echo "ok $N - $2"
	else
		[[ $2 =~ \#[[:space:]]*[Tt][Oo][Dd][Oo] ]] || NFAIL=$((NFAIL + 1))
		echo "not ok $N - $2"
	fi
}

for s in ${scripts[@]+"${scripts[@]}"}; do
	name=${s#"$HERE"/}
	name=${name%.sh}
	if [ -n "${VM_TIER_FILTER:-}" ] && ! [[ $name =~ $VM_TIER_FILTER ]]; then
		continue
	fi
	echo "# ---- vm/$name"
	out=$(mktemp) || exit 1
	t0=$SECONDS
	# Results are renumbered as they arrive (a pipe into this loop).
	results=0 fails=0 plan= skipline=
	while IFS= read -r line; do
		case $line in
		"ok "* | "not ok "*)
			results=$((results + 1))
			st=ok
			if [ "${line#not ok}" != "$line" ]; then
				st=not-ok
				line=${line#not }
				[[ $line =~ \#[[:space:]]*[Tt][Oo][Dd][Oo] ]] || fails=$((fails + 1))
			fi
			# "ok 12 - text" / "ok 12 text" / "ok" -> text
			text=${line#ok}
			text=${text# }
			[[ $text =~ ^[0-9]+\ ?(.*)$ ]] && text=${BASH_REMATCH[1]}
			text=${text#- }
			emit "$st" "$name: $text"
			;;
		1..*)
			plan=${line#1..}
			plan=${plan%% *}
			[[ $line =~ ^1\.\.0\ *#\ *[Ss][Kk][Ii][Pp]\ *(.*)$ ]] && skipline=${BASH_REMATCH[1]}
			echo "# $name: plan $line"
			;;
		"Bail out!"*)
			echo "# $name: $line"
			emit not-ok "$name: $line"
			fails=$((fails + 1))
			;;
		*) printf '%s\n' "$line" ;;
		esac
	done < <(bash "$s" </dev/null 2>&1; echo "__VMTIER_RC__ $?" >"$out")
	read -r _ rc <"$out" 2>/dev/null || rc=255
	rm -f "$out"
	el=$((SECONDS - t0))
	if [ "$rc" = 77 ] || { [ "$plan" = 0 ] && [ "$results" = 0 ]; }; then
		if [ "$MUST_WORK" = 1 ]; then
			emit not-ok "$name: skipped as a whole, but MUST_WORK=1 (${skipline:-exit $rc})"
		else
			emit ok "$name # SKIP ${skipline:-exit $rc}"
		fi
	elif [ -z "$plan" ]; then
		emit not-ok "$name: no plan printed (exit $rc)"
	elif [ "$plan" != "$results" ]; then
		emit not-ok "$name: plan 1..$plan but $results results (exit $rc)"
	elif [ "$rc" != 0 ] && [ "$fails" = 0 ]; then
		emit not-ok "$name: exit status $rc without a failing result"
	fi
	echo "# vm/$name: exit $rc, $results results, $fails failed, ${el} s"
done

echo "1..$N"
[ "$NFAIL" = 0 ]
