#!/bin/bash
# tests/tools/mutants.sh [NAME...] - mutations that the unit and module
# tiers must catch (issue 10).  Each mutant is applied with sed to a fresh
# copy of the tree (mktemp -d under /tmp; build/ and .git left out) and
# built there (make test-bins, without the fuzz harnesses); its unit tier
# runs, then, if that passed, its module tier (under
# /tmp/pam_tenant-e2e.lock, held once for all mutants).  A mutant is
# "killed" when a tier fails and "SURVIVED" when both pass.  On demand,
# not part of make check (each mutant is a full build: minutes); see
# docs/testing.md, "Mutants".  Run it as root: without root much of the
# unit tier skips, and a mutant only skipped tests could catch survives.
#
# Exit: 0 every mutant killed, 1 one survived, 2 one could not be
# applied or built (the sed no longer matches the source: update it).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCK=${TN_E2E_LOCK:-/tmp/pam_tenant-e2e.lock}
JOBS=${JOBS:-2}

# mutant NAME FILE SED-SCRIPT WHAT: one mutation of FILE.
NAMES=() FILES=() SCRIPTS=() WHATS=()
mutant() {
	NAMES+=("$1") FILES+=("$2") SCRIPTS+=("$3") WHATS+=("$4")
}
mutant walk-dir-check common/fsutil.c '/if (!S_ISDIR(st->st_mode))/{N;d}' \
	'dir_trusted() no longer asks for a directory'
mutant walk-on-the-way common/fsutil.c '/only directories lead further/,/path);/d' \
	'walk_trusted() no longer checks the directories on the way'
mutant audit-quote common/audit.c "s/ \\&\\& \\*value != '\"'//" \
	'audit text escaping lets " through'
mutant memory-pages common/cgroup-limits.c 's|v / page \* page|v|' \
	'memory limits not rounded to pages on read-back (cgroupfs)'
mutant memory-pages-sd common/cgroup-sd.c 's|v / page \* page|v|' \
	'memory limits not rounded to pages on read-back (systemd backend)'

# One scratch copy per mutant, kept until the end: every mutant is built
# and unit-tested first, then the module tiers run under one hold of the
# lock (other host tiers wait on it).
DIRS=() RESULT=() DETAIL=()
cleanup() {
	local d
	for d in "${DIRS[@]}"; do
		[ -n "$d" ] && rm -rf -- "$d"
	done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for i in "${!NAMES[@]}"; do
	name=${NAMES[i]} file=${FILES[i]} script=${SCRIPTS[i]} what=${WHATS[i]}
	DIRS[i]= RESULT[i]=skipped DETAIL[i]=$what
	if [ $# -gt 0 ] && ! [[ " $* " == *" $name "* ]]; then
		continue
	fi
	d=$(mktemp -d /tmp/tenant-mutant.XXXXXX) || exit 2
	DIRS[i]=$d
	tar -C "$ROOT" -c --exclude=./build --exclude=./.git --exclude=./tests/vm/.cache -f - . |
		tar -C "$d" -x
	sed -i -e "$script" "$d/$file"
	if cmp -s "$ROOT/$file" "$d/$file"; then
		RESULT[i]=NOT-APPLIED DETAIL[i]="$file: the sed script matched nothing"
		continue
	fi
	diff -u "$ROOT/$file" "$d/$file" >"$d/mutant.diff"
	echo "# $name: building in $d" >&2
	if ! make -C "$d" -j"$JOBS" HAVE_FUZZ= test-bins >"$d/build.log" 2>&1; then
		RESULT[i]=NO-BUILD DETAIL[i]="$what (build failed: $d/build.log)"
		tail -n 20 "$d/build.log" >&2
		DIRS[i]= # keep it for reading
		continue
	fi
	echo "# $name: unit tier" >&2
	RESULT[i]=SURVIVED
	if ! (cd "$d" && tests/run.sh unit) >"$d/unit.log" 2>&1; then
		RESULT[i]=killed
		DETAIL[i]="$what: by $(sed -n 's/^# failed: //p' "$d/unit.log")"
	fi
done

# The module tier of every mutant the unit tier left alive.
alive=0
for r in "${RESULT[@]}"; do
	[ "$r" = SURVIVED ] && alive=1
done
exec 9>"$LOCK"
if [ "$alive" = 1 ]; then
	echo "# module tiers: waiting for $LOCK" >&2
	flock 9
fi
for i in "${!NAMES[@]}"; do
	[ "${RESULT[i]}" = SURVIVED ] || continue
	d=${DIRS[i]}
	echo "# ${NAMES[i]}: module tier" >&2
	if ! (cd "$d" && tests/run.sh module) >"$d/module.log" 2>&1; then
		RESULT[i]=killed
		DETAIL[i]="${WHATS[i]}: by $(sed -n 's/^# failed: //p' "$d/module.log")"
	fi
done
flock -u 9

survived=0 broken=0
printf '%-16s %-11s %s\n' MUTANT RESULT DETAIL
for i in "${!NAMES[@]}"; do
	printf '%-16s %-11s %s\n' "${NAMES[i]}" "${RESULT[i]}" "${DETAIL[i]}"
	case ${RESULT[i]} in
	SURVIVED) survived=1 ;;
	NOT-APPLIED | NO-BUILD) broken=1 ;;
	esac
done
[ "$broken" = 1 ] && exit 2
exit "$survived"
