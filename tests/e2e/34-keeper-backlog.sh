#!/bin/bash
# A keeper that accepts nothing (stopped) with a full backlog: the next
# login of its user must not hang inside root sshd.  The module's connect
# to the keeper and the helper's are bounded by the module's deadline
# (timeout=4): the login is refused within about that, saying why, and
# leaves no root process behind; once the keeper runs again, logins work.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh perl
tmpdir_create
start_syslog
make_user tu-backlog
uid=$(user_uid tu-backlog)
tenant_config '[default]' 'on_logout = keep'
# make check-asan: the sanitized helper starts slower; give it the same
# share of a longer deadline
tmo=4
[ -z "${TN_SAN_PRELOAD:-}" ] || tmo=8
tenant_stack "$T/stack" timeout=$tmo
start_sshd "$T/stack"
wait_no_tenants 10

ssh_bg_as tu-backlog 'exec sleep 300'
sock=/run/pam_tenant/tenants/user-$uid/keeper.sock
wait_until 15 test -S "$sock"
ok $? "a session holds the tenant"
keeper=$(sed -n 's/^keeper_pid //p' "/run/pam_tenant/tenants/user-$uid/info")
[ -n "$keeper" ] || bail_out "no keeper pid in the tenant's info"

kill -STOP "$keeper"
on_exit "kill -CONT $keeper 2>/dev/null"
perl "$E2E_ROOT/tests/tools/fill-backlog.pl" "$sock" >"$T/filled" &
filler=$!
on_exit "_e2e_stop_pid $filler 3"
wait_until 10 test -s "$T/filled"
n=$(cat "$T/filled")
ok "$([ "${n:-0}" -ge 100 ]; echo $?)" "the stopped keeper's backlog is full after $n connections"

before=$(_e2e_descendants "$SSHD_PID" | wc -l)
mark=$(syslog_mark)
t0=$(date +%s%N)
out=$(SSH_TIMEOUT=30 ssh_as tu-backlog 'echo LOGGED-IN' 2>&1)
rc=$?
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
diag "login returned after $ms ms with status $rc"
ok "$([ "$rc" != 0 ] && [ "$rc" != 124 ]; echo $?)" "the login is refused, not hung (status $rc)"
unlike=$(printf '%s\n' "$out" | grep -c LOGGED-IN)
is "$unlike" 0 "... and runs nothing"
ok "$([ "$ms" -lt $((tmo * 2000)) ]; echo $?)" "... within about the module's $tmo s timeout ($ms ms)"
why="denied session for tu-backlog \\(uid $uid\\): .*keeper of user-$uid accepts no connections"
# make check-asan: under load the sanitized helper can overrun its answer
# margin and be killed at the deadline; the module's own line names the keeper
[ -z "${TN_SAN_PRELOAD:-}" ] || why="session of tu-backlog \\(uid $uid\\): .*keeper of user-$uid accepts no connections"
syslog_wait 5 "$mark" "$why"
ok $? "... and syslog says the keeper accepts no connections" ||
	syslog_since "$mark" | grep -F pam_tenant | tail -n 5 | diag
wait_until 5 eval "[ \$(_e2e_descendants $SSHD_PID | wc -l) -le $before ]"
ok $? "no sshd process of that login is left"
is "$(helper_pids | wc -l)" 0 "no tenant-helper is left"

kill -CONT "$keeper"
_e2e_stop_pid "$filler" 3
out=$(ssh_as tu-backlog 'echo cookie=$TENANT_SESSION')
like "$out" 'cookie=[0-9a-f]{32}' "once the keeper runs again, the next login works"

ssh_as tu-backlog 'pkill -x sleep; true' >/dev/null 2>&1
wait_no_tenants 15
ok $? "nothing is left at the end"
done_testing
