#!/bin/bash
# tests/deb-lint.sh - the Debian package, host side (TAP): debian/changelog
# is at the Makefile's VERSION, `make deb` (dpkg-buildpackage -us -uc -b in
# a copy of the tree, results in build/deb) succeeds, and lintian reports
# no error and no warning (overrides, if ever needed, go with their reason in
# debian/libpam-tenant.lintian-overrides).  Skips (exit 77) without
# dpkg-buildpackage, debhelper or lintian unless MUST_WORK=1.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
missing=
for t in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian; do
	command -v "${t%%:*}" >/dev/null || missing="$missing ${t#*:}"
done
if [ -n "$missing" ]; then
	if [ "${MUST_WORK:-0}" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - prerequisites (MUST_WORK=1): missing$missing"
		exit 1
	fi
	echo "1..0 # SKIP missing$missing"
	exit 77
fi
n=0 nfail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else nfail=$((nfail + 1)); echo "not ok $n - $2"; fi; }

version=$(sed -n 's/^VERSION *:= *//p' Makefile)
got=$(dpkg-parsechangelog -SVersion)
[ "$got" = "$version" ]
ok $? "debian/changelog is at the Makefile's VERSION ($got, $version)"
mkdir -p build
t0=$SECONDS
make deb >build/deb.log 2>&1
rc=$?
[ $rc = 0 ] || tail -n 20 build/deb.log | sed 's/^/#   /'
ok $rc "make deb: dpkg-buildpackage -us -uc -b ($((SECONDS - t0)) s; $(ls build/deb/*.deb 2>/dev/null | xargs -n1 basename | tr '\n' ' '))"
# ---- issue 10: the packaged module trusts root's helper alone ----
# (the test build's helper= hook and "helper of the test's uid" are
# TN_TESTING only: tests/module/test-dlopen.c checks the build tree's.)
so=$(mktemp)
for deb in build/deb/*.deb; do
	dpkg-deb --fsys-tarfile "$deb" 2>/dev/null | tar -xOf - --wildcards '*/security/pam_tenant.so' >"$so" 2>/dev/null
	[ -s "$so" ] && break
done
[ -s "$so" ] && grep -qa 'owned by root, not writable' "$so" &&
	! grep -qa "the test's uid" "$so" && ! grep -qa 'helper=' "$so"
ok $? "the packaged pam_tenant.so trusts a root-owned helper only (no test-build trust path, no helper=)"
rm -f "$so"
# ---- end issue 10 ----
# lintian refuses to run as root only with a warning on stderr.
lintian --fail-on error,warning --display-info --show-overrides build/deb/*.changes >build/lintian.log 2>&1
rc=$?
sed 's/^/#   /' build/lintian.log | grep -v 'running with root privileges'
ok $rc "lintian: no error, no warning ($(grep -c '^[EW]:' build/lintian.log) E/W tags, $(grep -c '^[IPN]:' build/lintian.log) I/P/N, $(grep -c '^O:' build/lintian.log) overridden)"
echo "1..$n"
[ $nfail = 0 ]
