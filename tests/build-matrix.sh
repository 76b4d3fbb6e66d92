#!/bin/bash
# tests/build-matrix.sh clang|arm64|all - build pam_tenant with another
# compiler, warning-free (-Werror), each in a copy of the tree under
# build/matrix/NAME so the normal build/ is left alone.
#
#   clang   clang, every binary (release, e2e, test, the test programs),
#           then the unit tier run against that build
#   arm64   aarch64-linux-gnu-gcc (gcc-aarch64-linux-gnu), every binary;
#           links against the :arm64 -dev packages (libpam0g-dev:arm64
#           libcap-dev:arm64 libaudit-dev:arm64 libsystemd-dev:arm64 after
#           `dpkg --add-architecture arm64`); checks the ELF machine
#
# Flags are Debian's (dpkg-buildflags, hardening=+all, for the target
# architecture) when dpkg-buildflags is there, so this is what a Debian
# builder of that architecture would see.  A missing compiler or library
# skips that build (exit 77) unless MUST_WORK=1, then it fails.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
MUST_WORK=${MUST_WORK:-0}
JOBS=${JOBS:-2}
rc_all=0

note() { printf '# build-matrix: %s\n' "$*"; }

# prepare NAME: a fresh copy of the tree in build/matrix/NAME (printed).
prepare() {
	local dir=build/matrix/$1
	rm -rf "$dir" && mkdir -p "$dir" || return 1
	tar -c --exclude=./build --exclude=./.git --exclude=./tests/vm/.cache -f - . | tar -x -C "$dir" || return 1
	echo "$dir"
}

# flags ARCH: CPPFLAGS= CFLAGS= LDFLAGS= as Debian sets them for ARCH.
flags() {
	command -v dpkg-buildflags >/dev/null || return 0
	local v
	for v in CPPFLAGS CFLAGS LDFLAGS; do
		printf '%s=%s\n' "$v" "$(DEB_HOST_ARCH=$1 DEB_BUILD_MAINT_OPTIONS=hardening=+all \
			dpkg-buildflags --get "$v" 2>/dev/null)"
	done
}

# missing_libs TRIPLET: the link libraries not installed for TRIPLET.
missing_libs() {
	local l out=()
	for l in pam cap audit systemd; do
		[ -e "/usr/lib/$1/lib$l.so" ] || out+=("lib$l.so")
	done
	echo "${out[*]}"
}

# result NAME STATUS TEXT: 0 ok, 77 skip (a failure with MUST_WORK=1), else failed.
result() {
	case $2 in
	0) note "$1: ok - $3" ;;
	77) if [ "$MUST_WORK" = 1 ]; then
		note "$1: FAILED - skipped, but MUST_WORK=1: $3"
		rc_all=1
	else
		note "$1: skipped - $3"
		[ "$rc_all" = 0 ] && rc_all=77
	fi ;;
	*) note "$1: FAILED - $3"
	   rc_all=1 ;;
	esac
}

# build NAME ARCH CC AR: make every binary in a copy with -Werror.
build() {
	local name=$1 arch=$2 cc=$3 ar=$4 dir log t0 args=()
	dir=$(prepare "$name") || { result "$name" 1 "could not copy the tree"; return 1; }
	log=$ROOT/build/matrix/$name.log
	mapfile -t args < <(flags "$arch")
	t0=$SECONDS
	note "$name: $cc, make in $dir (log: build/matrix/$name.log)"
	if ! make -C "$dir" -j"$JOBS" V=1 CC="$cc" AR="$ar" EXTRA_CFLAGS=-Werror "${args[@]}" \
		all test-bins >"$log" 2>&1; then
		tail -n 25 "$log" | sed 's/^/#   /'
		return 1
	fi
	# No warning may hide behind a flag that is not -Werror'd.
	if grep -E 'warning:' "$log" | sed 's/^/#   /' | grep .; then
		return 1
	fi
	note "$name: built in $((SECONDS - t0)) s"
}

do_clang() {
	command -v clang >/dev/null || { result clang 77 "no clang (package clang)"; return; }
	build clang amd64 clang ar 2>&1 || { result clang 1 "the build failed"; return; }
	local dir=build/matrix/clang
	if ! (cd "$dir" && tests/run.sh unit >"$ROOT/build/matrix/clang-unit.log" 2>&1); then
		tail -n 5 "$ROOT/build/matrix/clang-unit.log" | sed 's/^/#   /'
		result clang 1 "the unit tier failed on the clang build"
		return
	fi
	result clang 0 "$(clang --version | head -1); unit tier: $(tail -n 1 "$ROOT/build/matrix/clang-unit.log")"
}

do_arm64() {
	local cc=aarch64-linux-gnu-gcc m missing
	command -v "$cc" >/dev/null || { result arm64 77 "no $cc (package gcc-aarch64-linux-gnu)"; return; }
	missing=$(missing_libs aarch64-linux-gnu)
	if [ -n "$missing" ]; then
		result arm64 77 "no arm64 $missing (dpkg --add-architecture arm64; apt-get install libpam0g-dev:arm64 libcap-dev:arm64 libaudit-dev:arm64 libsystemd-dev:arm64)"
		return
	fi
	build arm64 arm64 "$cc" aarch64-linux-gnu-ar 2>&1 || { result arm64 1 "the build failed"; return; }
	local f bad=
	for f in pam_tenant.so tenant-helper tenantctl tenant-systemd.so; do
		m=$(LC_ALL=C readelf -h "build/matrix/arm64/build/release/$f" 2>/dev/null | sed -n 's/^ *Machine: *//p')
		[ "$m" = AArch64 ] || bad="$bad $f:${m:-unreadable}"
	done
	if [ -n "$bad" ]; then
		result arm64 1 "not AArch64:$bad"
		return
	fi
	result arm64 0 "$($cc --version | head -1); build/release/* are AArch64"
}

case ${1:-all} in
clang) do_clang ;;
arm64) do_arm64 ;;
all) do_clang; do_arm64 ;;
*) echo "usage: $0 clang|arm64|all" >&2; exit 2 ;;
esac
exit $rc_all
