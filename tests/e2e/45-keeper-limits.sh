#!/bin/bash
# The keeper runs on limits of its own, not the login program's (its
# rlimits, cwd, umask and nice); sessions.max refuses the login past it,
# telling the user, syslog and audit; logins that never speak are dropped;
# running out of file descriptors neither kills the keeper nor makes it
# spin; and when it cannot go on at all it still ends the tenant cleanly.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh su prlimit renice python3
tmpdir_create
start_syslog
start_auditd
make_user tu-lim
uid=$(user_uid tu-lim)
dir=/run/pam_tenant/tenants/user-$uid
tenant_config '[default]' 'scope = user' 'on_logout = keep' 'sessions.max = 3'
tenant_stack "$T/stack"
# A login program with odd settings of its own: started outside /, with
# umask 077, then given uneven fd limits, unlimited core dumps and nice 5
# (its session processes inherit all of it, and used to pass it on).
pushd "$T" >/dev/null || bail_out "cd $T"
umask 077
start_sshd "$T/stack"
umask 022
popd >/dev/null || bail_out "cd back"
prlimit --pid "$SSHD_PID" --nofile=256:8192 --core=unlimited:unlimited ||
    bail_out "prlimit on sshd failed"
renice -n 5 -p "$SSHD_PID" >/dev/null || bail_out "renice sshd failed"
su_with_tenant
wait_no_tenants 10

keeper_pid() {
	$TENANTCTL status tu-lim --json 2>/dev/null | grep -o '"keeper_pid":[0-9]*' | cut -d: -f2
}
sessions() {
	$TENANTCTL status tu-lim --json 2>/dev/null | grep -o '"sessions":[0-9]*' | cut -d: -f2
}
# cpu_ticks PID: user + system time of PID, in clock ticks.
cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
# held: start a session that stays open; its ssh pid goes to HELD.
HELD=()
held() {
	ssh_bg_as tu-lim 'exec sleep 600'
	HELD+=("$SSH_BG_PID")
}
# raw_conns N SECS: N silent connections to the keeper's socket; prints how
# many the keeper closed within SECS, and after how long.
raw_conns() {
	python3 - "$dir/keeper.sock" "$1" "$2" <<-'EOF'
	import socket, sys, time
	path, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
	socks = []
	for _ in range(n):
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
	    s.connect(path)
	    socks.append(s)
	t0, closed = time.time(), 0
	for s in socks:
	    s.settimeout(max(0.05, secs - (time.time() - t0)))
	    try:
	        closed += s.recv(16) == b''
	    except OSError:
	        pass
	print(closed, round(time.time() - t0, 1))
	EOF
}

# ---- the keeper's own settings ------------------------------------------
held
wait_until 10 test -S "$dir/keeper.sock"
ok $? "the first login started the tenant"
kp=$(keeper_pid)
ok "$([ -n "$kp" ] && [ -d "/proc/$kp" ]; echo $?)" "found its keeper ($kp)"
init=$(sed -n 's/^init_pid //p' "$dir/info")
like "$(grep 'Max open files' "/proc/$kp/limits")" 'Max open files +4160 +4160 ' \
    "keeper: RLIMIT_NOFILE sized for 1024 connections, soft = hard (not sshd's 256:8192)"
like "$(grep 'Max core file size' "/proc/$kp/limits")" 'Max core file size +0 +0 ' \
    "keeper: no core dumps (sshd had unlimited)"
like "$(grep 'Max core file size' "/proc/$init/limits" 2>/dev/null)" 'Max core file size +0 +0 ' \
    "tenant-init: no core dumps either"
is "$(readlink "/proc/$kp/cwd")" "/" "keeper: cwd is / (sshd ran in $T)"
like "$(grep '^Umask' "/proc/$kp/status")" 'Umask:[[:space:]]+0022' "keeper: umask 022 (sshd had 077)"
is "$(sed 's/^.*) //' "/proc/$kp/stat" | awk '{ print $17 }')" 0 "keeper: nice 0 (sshd had 5)"

# ---- sessions.max -------------------------------------------------------
held
held
wait_until 10 eval '[ "$(sessions)" = 3 ]'
ok $? "three sessions open: sessions.max = 3 reached"
mark=$(syslog_mark)
amark=$(audit_mark)
out=$(ssh_as tu-lim 'echo LOGGED-IN' 2>&1)
st=$?
ok "$([ $st != 0 ] && ! [[ $out =~ LOGGED-IN ]]; echo $?)" "the fourth login is refused"
like "$out" 'pam_tenant: login refused: too many sessions: 3 open, sessions.max = 3' \
    "... and the user is told why"
syslog_wait 5 "$mark" "denied session for tu-lim \\(uid $uid\\): too many sessions: 3 open, sessions.max = 3"
ok $? "... syslog says why"
like "$(syslog_since "$mark")" 'goes through the helper: deny: sessions.max = 3 reached' \
    "... the keeper left the refusal to the helper (fast join)"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 5 "$amark" "op=tenant-deny id=$uid .*reason=\"too many sessions: 3 open, sessions.max = 3\""
	ok $? "... and so does an audit record"
else
	skip "kernel has no audit" "tenant-deny audited"
fi
is "$(sessions)" 3 "... and the tenant still has its three sessions"

# Quotas on a host that cannot apply them (cgroup = optional): the keeper
# does not join such a login itself, the helper sends JOIN.  (On a cgroup
# v2 host the keeper joins it after all: the refusal is the same.)
tenant_config '[default]' 'scope = user' 'on_logout = keep' 'sessions.max = 3' \
    'pids.max = 10000' 'cgroup = optional'
mark=$(syslog_mark)
out=$(ssh_as tu-lim 'echo LOGGED-IN' 2>&1)
like "$out" 'pam_tenant: login refused: too many sessions: 3 open, sessions.max = 3' \
    "helper path (JOIN): the fourth login is refused the same way"
syslog_wait 5 "$mark" "denied session for tu-lim \\(uid $uid\\): too many sessions"
ok $? "... with a syslog line"

# su: refused too, and the message reaches su's user; a [service su]
# section can give su a higher ceiling.
tenant_config '[default]' 'scope = user' 'on_logout = keep' 'sessions.max = 3'
out=$(cd / && su tu-lim -c 'echo SU-IN' 2>&1)
like "$out" 'pam_tenant: login refused: too many sessions: 3 open, sessions.max = 3' "su past sessions.max: refused with the reason"
tenant_config '[default]' 'scope = user' 'on_logout = keep' 'sessions.max = 3' '[service su]' 'sessions.max = 4'
out=$(cd / && su tu-lim -c 'echo SU-IN' 2>&1)
like "$out" 'SU-IN' "[service su] sessions.max = 4: su gets in"
tenant_config '[default]' 'scope = user' 'on_logout = keep' 'sessions.max = 3'

_e2e_stop_pid "${HELD[2]}" 3
wait_until 10 eval '[ "$(sessions)" = 2 ]'
ok $? "one session logged out"
out=$(ssh_as tu-lim 'echo LOGGED-IN' 2>&1)
like "$out" 'LOGGED-IN' "... and a new login gets in again"

# ---- connections that never speak ---------------------------------------
# 40 silent connections: the keeper takes 32 at a time and drops each after
# 5 s; meanwhile it goes on serving its sessions.
python3 -c 1 2>/dev/null # (warm the interpreter: timing below)
raw_conns 40 20 >"$T/raw.out" 2>&1 &
raw=$!
sleep 1
mark=$(syslog_mark)
t0=$(cpu_ticks "$kp")
_e2e_stop_pid "${HELD[1]}" 3
syslog_wait 3 "$mark" "session [0-9a-f]{32} of uid $uid ended \\(logout\\)"
ok $? "a logout during the flood of silent connections is served at once"
wait "$raw"
read -r closed secs <"$T/raw.out"
is "$closed" 40 "the keeper dropped all 40 silent connections (after ${secs:-?} s)"
ok "$([ "$(cpu_ticks "$kp")" -lt $((t0 + 50)) ]; echo $?)" "... without burning CPU"
out=$(ssh_as tu-lim 'echo LOGGED-IN' 2>&1)
like "$out" 'LOGGED-IN' "... and logins work afterwards"

# ---- out of file descriptors ---------------------------------------------
# (The two fast joins also make the keeper parse the new config, so what
# follows needs no transient fds beyond a connection and its pidfd.)
tenant_config '[default]' 'scope = user' 'on_logout = keep' 'sessions.max = 20'
held
held
wait_until 10 eval '[ "$(sessions)" = 3 ]'
ok $? "three sessions again"
# Exactly the fds it has: the next accept() fails with EMFILE.
nfd=$(ls "/proc/$kp/fd" | wc -l)
prlimit --pid "$kp" --nofile="$nfd:$nfd"
mark=$(syslog_mark)
amark=$(audit_mark)
ssh_as tu-lim 'echo LOGGED-IN' >"$T/emfile.out" 2>&1 &
login=$!
sleep 1
t0=$(cpu_ticks "$kp")
sleep 2
t1=$(cpu_ticks "$kp")
ok "$([ $((t1 - t0)) -lt 20 ]; echo $?)" "at its fd limit the keeper does not spin ($((t1 - t0)) ticks in 2 s)"
wait "$login"
unlike_in=$(grep -c LOGGED-IN "$T/emfile.out")
is "$unlike_in" 0 "... the login that does not fit is refused"
syslog_wait 5 "$mark" "tenant user-$uid: out of file descriptors"
ok $? "... and the keeper says so"
t0=$(cpu_ticks "$kp")
sleep 2
t1=$(cpu_ticks "$kp")
ok "$([ $((t1 - t0)) -lt 20 ]; echo $?)" "... nor afterwards ($((t1 - t0)) ticks in 2 s)"
ok "$([ -d "/proc/$kp" ] && [ -S "$dir/keeper.sock" ]; echo $?)" "the keeper lives on"
is "$(sessions)" 3 "... with its sessions"
_e2e_stop_pid "${HELD[3]}" 3
_e2e_stop_pid "${HELD[4]}" 3
wait_until 10 eval '[ "$(sessions)" = 1 ]'
ok $? "two sessions logged out"
out=$(ssh_as tu-lim 'echo LOGGED-IN' 2>&1)
like "$out" 'LOGGED-IN' "... and with their fds back, the keeper serves logins again"

# A keeper that cannot poll any more (its limit below the fds it watches)
# gives up, but ends the tenant: no socket or info left, init and
# the user's processes gone, tenant-end audited.
prlimit --pid "$kp" --nofile=3:3
$TENANTCTL status tu-lim >/dev/null 2>&1 # wakes it up
wait_until 15 eval '[ ! -e "$dir" ] && [ ! -d "/proc/$kp" ]'
ok $? "a keeper that cannot go on ends the tenant and exits"
ok "$([ -z "$(ls -A /run/pam_tenant/tenants 2>/dev/null)" ]; echo $?)" "... and leaves no tenant state behind"
wait_until 5 eval '! [ -d "/proc/$init" ] || grep -q "^State:.*Z" "/proc/$init/status"'
ok $? "... tenant-init is gone"
wait_until 5 eval '! pgrep -u tu-lim -x sleep >/dev/null'
ok $? "... and so are the user's processes"
syslog_wait 5 "$mark" "tenant user-$uid: keeper gives up: poll-failed"
ok $? "... syslog says why"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 5 "$amark" "op=tenant-end id=$uid .*reason=\"poll-failed"
	ok $? "... and tenant-end is audited"
fi
out=$(ssh_as tu-lim 'echo LOGGED-IN' 2>&1)
like "$out" 'LOGGED-IN' "the next login starts a fresh tenant"
for p in "${HELD[@]}"; do _e2e_stop_pid "$p" 3; done
wait_no_tenants 15
ok $? "all tenants end"
done_testing
