#!/bin/bash
# The layering (tests/tools/check-layers.sh): common/ depends on nothing
# above it, conf/ only on common/.  The tree passes; copies of it with a
# deliberate wrong include or a wrong call fail, so the check can fail.
cd "${TN_SRCDIR:-.}" || exit 2
CHECK=$PWD/tests/tools/check-layers.sh
OBJ=${BUILD_DIR:-build}/test/obj
n=0 failed=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
scratch=$(mktemp -d /tmp/tenant-layers.XXXXXX) || exit 2
trap 'rm -rf -- "$scratch"' EXIT

echo "1..7"
out=$("$CHECK" . 2>&1)
ok $? "includes: common/ and conf/ include nothing from above"
[ -n "$out" ] && printf '# %s\n' "$out"
if [ -d "$OBJ/common" ]; then
	out=$("$CHECK" . "$OBJ" 2>&1)
	ok $? "symbols: common/ and conf/ objects use nothing defined above"
	[ -n "$out" ] && printf '# %s\n' "$out"
else
	n=$((n + 1))
	echo "ok $n - # SKIP $OBJ not built"
fi

# copy: a fresh copy of the C layers in $scratch/t.
copy() {
	rm -rf "${scratch:?}/t" && mkdir "$scratch/t" &&
		cp -a common conf pam_module helper tools systemd "$scratch/t/"
}
# refused WHAT FILE LINE: the checker fails on the copy, naming FILE.
refused() {
	local out rc
	out=$("$CHECK" "$scratch/t" 2>&1)
	rc=$?
	[ "$rc" = 1 ] && [[ $out == *"$2"* ]]
	ok $? "refused: $1"
	printf '# %s\n' "$out"
}
copy && echo '#include "conf.h"' >>"$scratch/t/common/err.h"
refused "common/ including conf/'s conf.h" "common/err.h:"
copy && echo '#include "keeper.h"' >>"$scratch/t/conf/policy.c"
refused "conf/ including helper/'s keeper.h" "conf/policy.c:"
copy && echo '#include "../pam_module/module.h"' >>"$scratch/t/common/uid.c"
refused "common/ including a header by a path into pam_module/" "common/uid.c:"
copy && echo "#include <ctl.h>" >>"$scratch/t/common/state.h"
refused "common/ including tools/'s ctl.h as <ctl.h>" "common/state.h:"

# A call upwards that no include shows (a declaration written by hand).
mkdir -p "$scratch/obj/common" "$scratch/obj/helper"
if echo 'int proc_title_x(void); int f(void) { return proc_title_x(); }' |
	cc -x c -c -o "$scratch/obj/common/f.o" - &&
	echo 'int proc_title_x(void) { return 0; }' |
	cc -x c -c -o "$scratch/obj/helper/g.o" -; then
	out=$("$CHECK" . "$scratch/obj" 2>&1)
	[ $? = 1 ] && [[ $out == *"uses proc_title_x"* ]]
	ok $? "refused: a common/ object calling a function helper/ defines"
	printf '# %s\n' "$out"
else
	n=$((n + 1))
	echo "not ok $n - cc could not build the two objects"
	failed=$((failed + 1))
fi
[ "$failed" = 0 ]
