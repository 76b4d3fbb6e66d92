# shellcheck shell=bash
# tests/lib/demo-extra.sh - plumbing for tests/demo.sh: Debian packages, the
# build/e2e build, the path-trust check the module makes (these need nothing
# beyond a base system: sourced before e2e.sh), and teardown checks.

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

# ---- teardown (after e2e.sh is sourced; uses $U, $uid, $had_devlog) ----

# reap_T: stop any process we started whose command line names $T (an sshd or
# syslogd interrupted before the harness registered its cleanup), by pid.
reap_T() {
	local p
	for p in /proc/[0-9]*; do
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF "$T/" || continue
		grep -q '^Name:.*syslogd' "$p/status" 2>/dev/null && [ -z "$had_devlog" ] && rm -f /dev/log
		_e2e_stop_pid "${p#/proc/}" 3
	done
}

# cleanup_report: runs last at exit; checks that nothing of the demo is left.
cleanup_report() {
	local l
	# after an interrupted session the keeper ends the tenant within seconds
	[ -z "${uid:-}" ] || wait_until 10 test ! -e "/run/pam_tenant/tenants/user-$uid"
	l=$([ -n "$(user_uid "$U")" ] && echo "user $U"
		ls -d "${SSHD_PAM_SERVICE:+/etc/pam.d/$SSHD_PAM_SERVICE}" "$TENANT_ETC" "${T:-}" \
			"${uid:+/run/pam_tenant/tenants/user-$uid}" 2>/dev/null
		[ -n "${SSHD_PID:-}" ] && _e2e_alive "$SSHD_PID" && echo "sshd pid $SSHD_PID"
		[ -z "$had_devlog" ] && [ -e /dev/log ] && echo "/dev/log (our syslogd)")
	if [ -z "$l" ]; then
		say "" "Cleaned up: no demo user, sshd, PAM service, tenant, config or temp dir is left." >&3
		return 0
	fi
	printf '\ndemo: ERROR: left behind:\n%s\n' "$l" >&3
	[ "${out:-/dev/null}" = /dev/null ] || rm -f -- "$out" # the harness's temp file: we exit first
	exit 1
}
