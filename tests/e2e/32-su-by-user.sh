#!/bin/bash
# su by an ordinary user (real uid the caller's, effective uid 0): the
# login lands in the target's tenant, both when it starts the tenant
# (tenant-helper runs) and when the tenant already runs (its keeper joins
# the session), and none of the caller's process state reaches the root
# processes: the keeper and tenant-init have root's limits, nice 0, normal
# scheduling and I/O priority, oom_score_adj 0, cwd /, a sane umask, gid 0.
# Where the host withholds CAP_SYS_RESOURCE (containers), a caller's lowered
# *hard* limits cannot be raised again: then the login is refused, saying so.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd su expect setpriv ionice chrt nice
tmpdir_create
start_syslog
make_user tu-sbu-a
make_user tu-sbu-b
A=$(user_uid tu-sbu-a)
B=$(user_uid tu-sbu-b)
GA=$(id -g tu-sbu-a)
tenant_config '[default]' 'isolate = yes' 'on_logout = keep'
su_with_tenant timeout=20
wait_no_tenants 10

# CAP_SYS_RESOURCE (bit 24) in our bounding set: can root raise hard limits here?
capbnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)
if (((0x$capbnd >> 24) & 1)); then HAVE_SYS_RESOURCE=1; else HAVE_SYS_RESOURCE=0; fi
diag "CAP_SYS_RESOURCE in the bounding set: $HAVE_SYS_RESOURCE"

cat >"$T/su.exp" <<'EOF'
set timeout 40
lassign $argv target pw cmd
spawn su - $target -c $cmd
expect -re {[Pp]assword:}
send -- "$pw\r"
expect eof
catch wait r
puts "rc=[lindex $r 3]"
EOF
# caller.sh ULIMIT_FLAGS TARGET PASSWORD CMD: run by the caller (no PAM, via
# setpriv): lowers everything an ordinary user can lower, then su.
cat >"$T/caller.sh" <<'EOF'
flags=$1
shift
ulimit $flags -n 16 -f 1 -t 1 -u 64 || exit 90
umask 0
cd ~ || exit 91
echo 500 >/proc/self/oom_score_adj || exit 92
exec nice -n 19 ionice -c 3 chrt --idle 0 expect -f "$(dirname "$0")/su.exp" "$@"
EOF
chmod 0644 "$T/su.exp" "$T/caller.sh"
as_caller() { # as_caller ULIMIT_FLAGS CMD: su - tu-sbu-b -c CMD as tu-sbu-a
	HOME=$(user_home tu-sbu-a) setpriv --reuid="$A" --regid="$GA" --init-groups -- \
	    bash "$T/caller.sh" "$1" tu-sbu-b "$(user_password tu-sbu-b)" "$2" 2>&1
}
PROBE_B='echo mnt=$(readlink /proc/self/ns/mnt); echo pid1=$(cat /proc/1/comm); echo cookie=${TENANT_SESSION:-none}'

# proc_sane WHAT PID: root's process state, not the caller's
proc_sane() {
	local what=$1 pid=$2 lim st
	lim=$(cat "/proc/$pid/limits")
	like "$lim" 'Max cpu time +unlimited +unlimited' "$what: no CPU time limit"
	like "$lim" 'Max file size +unlimited +unlimited' "$what: no file size limit"
	like "$lim" 'Max open files +[0-9]{4,} +[0-9]{4,}' "$what: open files in the thousands, not 16"
	unlike=$(printf '%s\n' "$lim" | awk '$0 ~ /^Max processes/ && $3 == 64' | wc -l)
	is "$unlike" 0 "$what: not the caller's 64 processes"
	is "$(readlink "/proc/$pid/cwd")" / "$what: cwd is /"
	st=$(cat "/proc/$pid/stat")
	st=${st##*) }
	is "$(echo "$st" | awk '{ print $17 }')" 0 "$what: nice 0"
	is "$(echo "$st" | awk '{ print $39 }')" 0 "$what: scheduling policy SCHED_OTHER"
	like "$(ionice -p "$pid")" '^none' "$what: default I/O priority"
	is "$(cat "/proc/$pid/oom_score_adj")" 0 "$what: oom_score_adj 0"
	like "$(sed -n 's/^Umask:[[:space:]]*//p' "/proc/$pid/status")" '^00[27][27]$' "$what: umask 022 or 077, not 0"
	like "$(grep -E '^(Gid|Groups):' "/proc/$pid/status" | tr '\t\n' '  ' | tr -s ' ')" '^Gid: 0 0 0 0 Groups: ?$' "$what: gid 0, no supplementary groups"
}

# a tenant of B: a fresh mount namespace, tenant-init as PID 1, a cookie
in_tenant() {
	local out=$1 what=$2
	[ "${3:-}" = running ] || like "$out" 'rc=0' "$what: su exits 0"
	like "$out" 'pid1=tenant-init' "$what: PID 1 is the tenant's init"
	like "$out" 'cookie=[0-9a-f]{32}' "$what: TENANT_SESSION is set"
	mnt=$(printf '%s\n' "$out" | sed -n 's/^mnt=//p' | tr -d '\r')
	ok "$([ -n "$mnt" ] && [ "$mnt" != "$(host_ns mnt)" ]; echo $?)" \
	    "$what: a mount namespace other than the host's ($mnt)"
}

if [ "$HAVE_SYS_RESOURCE" = 1 ]; then
	FLAGS= # soft and hard: root can raise both again
else
	FLAGS=-S # soft only: a hard limit cannot be raised here (checked below)
fi

# 1. B's tenant does not run: the helper starts it.  The session stays
# open (sleep) while the keeper and init are inspected and B joins again.
mark=$(syslog_mark)
as_caller "$FLAGS" "$PROBE_B; sleep 12" >"$T/su1.out" &
su1=$!
on_exit "_e2e_stop_pid $su1 3"
wait_until 30 grep -q '^cookie=' "$T/su1.out"
out=$(cat "$T/su1.out")
diag "$out"
in_tenant "$out" "ulimit $FLAGS -n 16 -f 1 -t 1 -u 64, umask 0, nice 19, idle I/O and CPU, oom 500: su - to a new tenant" running
ok "$(syslog_since "$mark" | grep -q 'joined by its keeper'; [ $? = 1 ]; echo $?)" "... started by tenant-helper"
info=/run/pam_tenant/tenants/user-$B/info
wait_until 5 test -s "$info"
keeper=$(sed -n 's/^keeper_pid //p' "$info")
init=$(sed -n 's/^init_pid //p' "$info")
if [ -n "$keeper" ] && [ -n "$init" ]; then
	proc_sane keeper "$keeper"
	proc_sane tenant-init "$init"
else
	ok 1 "the tenant's info names its keeper and init"
fi

# 2. B's tenant runs: its keeper takes the session (the fast join).
mark=$(syslog_mark)
out=$(as_caller "$FLAGS" "$PROBE_B")
in_tenant "$out" "the same caller's su - to the running tenant"
syslog_wait 5 "$mark" "session of tu-sbu-b \\(uid $B\\) isolated in tenant user-$B \\(joined by its keeper\\)"
ok $? "... joined by its keeper"
is "$(sed -n 's/^keeper_pid //p' "$info" 2>/dev/null)" "${keeper:-none}" "... the same keeper"
[ -n "$keeper" ] && proc_sane "keeper after the fast join" "$keeper"
wait_until 30 grep -q '^rc=' "$T/su1.out"
like "$(cat "$T/su1.out")" 'rc=0' "the first su exits 0 after its command"

# 3. Hard limits: restored where root may raise them, else a clear refusal.
if [ "$HAVE_SYS_RESOURCE" = 0 ]; then
	kill_user_procs "$B"
	wait_no_tenants 15
	mark=$(syslog_mark)
	out=$(as_caller "" "$PROBE_B")
	like "$out" 'rc=1' "hard limits lowered and no CAP_SYS_RESOURCE: su is refused"
	unlike=$(printf '%s\n' "$out" | grep -c '^pid1=')
	is "$unlike" 0 "... and runs nothing"
	syslog_wait 5 "$mark" "denied session for tu-sbu-b \\(uid $B\\): cannot give the helper root's resource limits: the caller's hard RLIMIT_[A-Z]+ is too low"
	ok $? "... syslog says which limit and why"
	ok "$(no_tenants; echo $?)" "... and no tenant was started"
else
	skip "CAP_SYS_RESOURCE present: hard limits were restored above" "refusal without CAP_SYS_RESOURCE"
	skip "CAP_SYS_RESOURCE present" "... runs nothing"
	skip "CAP_SYS_RESOURCE present" "... syslog"
	skip "CAP_SYS_RESOURCE present" "... no tenant"
fi
is "$(helper_pids | wc -l)" 0 "no tenant-helper is left running"

kill_user_procs "$B"
wait_no_tenants 15
ok $? "nothing is left at the end"
done_testing
