#!/bin/bash
# tests/demo.sh - what pam_tenant does to a login, side by side with the host.
# Run as root from the repository: sudo tests/demo.sh  (make demo builds first).
# Installs missing Debian packages and builds build/e2e if needed; the demo
# user, sshd on 127.0.0.1, PAM service and config are removed on exit.
# shellcheck disable=SC2317 # bail_out/diag are harness hooks, called indirectly
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
U=demo-tenant
W=38 # width of the left column (the right one gets W-2: 79 characters in all)

. "$ROOT/tests/lib/demo-extra.sh"

# ---- output ------------------------------------------------------------
# side LEFT RIGHT: two texts in aligned columns, cut to fit.
side() {
	L=$1 R=$2 awk -v w="$W" 'BEGIN { n = split(ENVIRON["L"], l, "\n"); m = split(ENVIRON["R"], r, "\n")
		for (i = 1; i <= n || i <= m; i++) printf "  %-" w "s | %s\n", substr(l[i], 1, w), substr(r[i], 1, w - 2) }'
}
section() { printf '\n== %s\n   %s\n' "$1" "$2"; }
# part NAME TEXT: the lines of TEXT between "@@NAME" and the next "@@".
part() { printf '%s\n' "$2" | awk -v n="@@$1" '/^@@/ { on = ($0 == n); next } on'; }
# show NAME TITLE WHY: one section, the tenant's view of NAME next to the host's.
show() {
	section "$2" "$3"
	side "TENANT (ssh $U@127.0.0.1)" "HOST (this shell)"
	side "$(part "$1" "$tn")" "$(part "$1" "$host")"
}

# The views, run in the tenant (over ssh) and on the host alike.
VIEWS=$(cat <<'EOF'
echo @@ns; for n in mnt pid ipc uts; do echo "$n  $(readlink /proc/self/ns/$n)"; done
echo @@ps; ps ax -o pid,user:11,comm | head -n 6; echo "($(ps ax --no-headers | wc -l) processes in all)"
echo @@mnt; for p in /tmp /var/tmp /dev/shm /dev/mqueue /proc; do
  m=$(findmnt -n -M $p -o FSTYPE,SIZE,OPTIONS | tail -n 1 | awk '{ s = ($1 == "tmpfs") ? " " $2 : ""; o = ""
    n = split($3, a, ","); for (i = 1; i <= n; i++) if (a[i] ~ /^no(suid|dev|exec)$/) o = o (o ? "," : "") a[i]
    print $1 s (o ? " " o : "") }')
  printf '%-11s %s\n' $p "${m:-(not a mount)}"; done
echo @@tmp; ls -A /tmp | head -n 3; echo "($(ls -A /tmp | wc -l) in all)"
[ -e /tmp/hello.txt ] && echo "hello.txt: present" || echo "hello.txt: absent"
echo @@cap; sed -n 's/^CapBnd:[[:space:]]*/CapBnd /p' /proc/self/status
echo @@env; echo TENANT_SESSION=; echo "  ${TENANT_SESSION:-(unset)}"
echo @@ipc; echo "key        shmid bytes"
ipcs -m | awk 'NR > 3 && NF { print $1, $2, $5; n++ } END { if (!n) print "(none)" }'
EOF
)

# dropped: the capabilities the tenant's bounding set lacks, decoded.
dropped() {
	local t h d
	t=$(part cap "$tn" | cut -d' ' -f2) h=$(part cap "$host" | cut -d' ' -f2)
	d=$(printf '%016x' $((0x$h & ~0x$t)))
	command -v capsh >/dev/null && d=$(capsh --decode="$d" | sed 's/^.*=//; s/,/ /g')
	printf 'dropped in the tenant: %s\n' "$d" | fold -s -w 76 | indent
}

# logs: pam_tenant's syslog lines since the first login (file, or journald).
logs() {
	if [ -n "${SYSLOG_FILE:-}" ]; then syslog_since "$smark"
	elif command -v journalctl >/dev/null; then journalctl -q --no-pager --since "@$t0"
	fi | sed -n 's/^.*\(pam_tenant[[(]\)/\1/p'
}

# tenant_gone KEEPER NS: no tenant state, the keeper has exited and no live
# process is left in the tenant's PID namespace NS.
tenant_gone() {
	local p
	[ ! -e "/run/pam_tenant/tenants/user-$uid" ] && ! _e2e_alive "$1" || return 1
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "pid:[$2]" ] && _e2e_alive "${p#/proc/}" && return 1
	done
	return 0
}

# login_failed WHAT: show why from sshd's log and syslog, then die.
login_failed() {
	{ say "sshd log:"; tail -n 15 "$SSHD_LOG" | indent; say "syslog:"; logs | tail -n 10 | indent; } >&2
	die "$1"
}

# ---- main --------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "run me as root: sudo tests/demo.sh"
demo_trusted "$ROOT"
demo_install_deps
demo_build "$ROOT"
. "$ROOT/tests/lib/tenant.sh"
demo_trusted "$E2E_BUILD/tenant-helper"
[ -e "$TENANT_ETC" ] && die "$TENANT_ETC exists: an e2e test is running, or a leftover (remove it)"
bail_out() { die "$*"; }
# harness chatter stays quiet; error details (sshd log, failed cleanups) go to stderr
diag() { local m; m=${*:-$(cat)}; case $m in *cleanup\ failed* | *'  > '*) printf 'demo: %s\n' "$m" >&2 ;; esac; }
had_devlog=$(ls /dev/log 2>/dev/null) uid=
on_exit cleanup_report
export E2E_SSHD_SERVICE=sshd-tenant-demo
tmpdir_create
on_exit reap_T
# busybox syslogd unless /dev/log is served; a daemon whose file is unknown is
# no reason to stop (logs then asks journald)
syslog_served && bail_out() { return 1; }
start_syslog >/dev/null
bail_out() { die "$*"; }
tenant_config '[default]' 'tmp.size = 256M' 'tmp.inodes = 10k' 'on_logout = keep'
tenant_stack "$T/stack"
# make_user removes the user on exit, but only once useradd is done: cover the gap
[ -z "$(user_uid "$U")" ] || die "user $U exists (a leftover? userdel -r -f $U)"
on_exit "_e2e_user_cleanup $U"
make_user "$U"
start_sshd "$T/stack"
uid=$(user_uid "$U")

say "pam_tenant demo: user $U (uid $uid), sshd on 127.0.0.1:$SSHD_PORT," \
	"PAM service $SSHD_PAM_SERVICE, config ${TENANT_ETC#"$ROOT"/}/tenant.conf:"
indent <"$TENANT_ETC/tenant.conf"
mounts_before=$(wc -l </proc/self/mountinfo) smark=$(syslog_mark) t0=$(date +%s)
tn=$(ssh_as "$U" "echo hi >/tmp/hello.txt; ipcmk -M 4096 >/dev/null; $VIEWS") || login_failed "ssh login as $U failed"
host=$(bash -c "$VIEWS")

show ns "Namespaces" "The login gets fresh mount, PID, IPC and UTS namespaces (network is shared)."
show ps "Processes (ps ax)" "PID 1 in the tenant is tenant-init; only the session's processes are visible."
show mnt "Mounts (findmnt)" "Private tmpfs for /tmp, /var/tmp, /dev/shm (256M each), own mqueue and /proc."
show tmp "ls /tmp after the login ran: echo hi >/tmp/hello.txt" "The file lands in the tenant's private /tmp; the host never sees it."
show cap "Capability bounding set" "Dangerous capabilities are out of reach, even through setuid programs."
dropped
show env "Session cookie" "Each session gets a TENANT_SESSION cookie, also found in the audit records."
show ipc "SysV shared memory (ipcs -m) after: ipcmk -M 4096" "The segment lives in the tenant's IPC namespace only."

section "Admin view" "A second login stays open (sleep 300) while we ask tenantctl."
ssh_bg_as "$U" 'exec sleep 300'
wait_until 15 pgrep -u "$U" -x sleep || login_failed "the background login did not start"
say '$ tenantctl list'; "$TENANTCTL" list | indent
st=$("$TENANTCTL" status "$U") || die "tenantctl status $U failed"
say "\$ tenantctl status $U"; indent <<<"$st"
keeper=$(sed -n 's/^ *keeper pid //p' <<<"$st") ns=$(sed -n 's/^ *ns_pid //p' <<<"$st")
if [ -z "$keeper" ] || [ -z "$ns" ]; then die "no keeper pid or ns_pid in tenantctl status"; fi
say "\$ tenantctl explain $U   (the policy and where each value comes from)"; "$TENANTCTL" explain "$U" | indent

section "Logout" "The session's last process ends (kill sleep): the session and the tenant end."
kill "$(pgrep -u "$U" -x sleep)"
wait "$SSH_BG_PID" 2>/dev/null
wait_until 15 tenant_gone "$keeper" "$ns" || die "the tenant of $U is still alive after logout"
say '$ tenantctl list'; "$TENANTCTL" list | indent
say "The tenant is gone: no state in /run/pam_tenant, keeper (pid $keeper) exited," \
	"no process left in pid:[$ns]."
# shellcheck disable=SC2016 # expanded by eval on each poll
wait_until 10 eval '[ "$(wc -l </proc/self/mountinfo)" = "$mounts_before" ]' ||
	die "host mount table: $mounts_before lines before, $(wc -l </proc/self/mountinfo) after"
say "Host mount table: $mounts_before lines before the logins, $(wc -l </proc/self/mountinfo) after: unchanged."

src=${SYSLOG_FILE:-journald}
[[ $src == "$T"/* ]] && src="the demo's own busybox syslogd"
section "Syslog" "What pam_tenant logged for these sessions ($src)."
l=$(logs)
printf '%s\n' "${l:-(nothing found)}" | indent
