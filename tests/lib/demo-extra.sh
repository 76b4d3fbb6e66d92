# shellcheck shell=bash
# tests/lib/demo-extra.sh - setup helpers for tests/demo.sh: Debian packages,
# the build/e2e build, and the path-trust check the module makes.  Needs
# nothing installed beyond a base system; sourced before e2e.sh.

# Packages the demo (and building it) needs; busybox only if /dev/log is unserved.
DEMO_PKGS="openssh-server openssh-client libpam0g-dev libcap-dev libaudit-dev
           build-essential procps util-linux iproute2 libcap2-bin"

die() { printf '\ndemo: ERROR: %s\n' "$*" >&2; exit 1; }
say() { printf '%s\n' "$@"; }
indent() { sed 's/^/  /'; }
# run CMD...: run quietly; on failure show the end of its output and die.
run() { local o; o=$("$@" 2>&1) || { printf '%s\n' "$o" | tail -n 15 >&2; die "failed: $*"; }; }
# syslog_served: something reads /dev/log (else the harness starts busybox syslogd).
syslog_served() { logger --socket-errors=on -u /dev/log -p user.debug "pam_tenant demo" 2>/dev/null; }

# demo_install_deps: apt-get install whatever of $DEMO_PKGS is missing (update first).
demo_install_deps() {
	local p missing=()
	syslog_served || DEMO_PKGS="$DEMO_PKGS busybox"
	for p in $DEMO_PKGS; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
	done
	[ "${#missing[@]}" = 0 ] && return 0
	say "Installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	run apt-get update -q
	run apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# demo_build ROOT: build the e2e variant in ROOT if a part is missing (make demo
# has built it already; the demo does not second-guess make about staleness).
demo_build() {
	local bins=(build/e2e/pam_tenant.so build/e2e/tenant-helper build/e2e/tenantctl) f
	for f in "${bins[@]}"; do
		[ -e "$1/$f" ] && continue
		say "Building ${bins[*]}"
		run make --no-print-directory -C "$1" "${bins[@]}"
		return
	done
}

# demo_trusted DIR: die unless, as the module demands of its helper and config,
# every directory from / to DIR is root-owned, no symlink, and not writable by
# group/other unless sticky.
demo_trusted() {
	local p=/ c u m parts
	IFS=/ read -ra parts <<<"${1#/}"
	for c in "" "${parts[@]}"; do
		p=${p%/}/$c
		if [ -L "$p" ] || ! read -r u m <<<"$(stat -c '%u %a' -- "$p" 2>/dev/null)" || [ "$u" != 0 ] ||
		    { [ $((8#$m & 8#022)) != 0 ] && [ $((8#$m & 8#1000)) = 0 ]; }; then
			die "$p: a symlink, not root-owned or writable by others; pam_tenant refuses a
  helper or config below it. Clone into a root-owned directory (e.g. /opt) with umask 022."
		fi
	done
}
