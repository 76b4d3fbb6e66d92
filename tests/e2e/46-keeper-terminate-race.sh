#!/bin/bash
# tenantctl terminate racing logouts and logins must leave the keeper
# whole: it ends the tenant cleanly every time (no stale socket, info or
# marker; tenant-end audited as "terminated") and the next login works.
# First exactly the bad case — TERMINATE and several CLOSEs in one poll()
# round, TERMINATE on the last slot — then a loop of real races.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh python3
tmpdir_create
start_syslog
start_auditd
make_user tu-race
uid=$(user_uid tu-race)
dir=/run/pam_tenant/tenants/user-$uid
tenant_config '[default]' 'scope = user' 'on_logout = keep'
tenant_stack "$T/stack"
start_sshd "$T/stack"
wait_no_tenants 10

keeper_pid() {
	$TENANTCTL status tu-race --json 2>/dev/null | grep -o '"keeper_pid":[0-9]*' | cut -d: -f2
}
sessions() {
	$TENANTCTL status tu-race --json 2>/dev/null | grep -o '"sessions":[0-9]*' | cut -d: -f2
}
HELD=()
held() {
	ssh_bg_as tu-race 'exec sleep 600'
	HELD+=("$SSH_BG_PID")
}

# ---- TERMINATE and five logouts in one round ----------------------------
for _ in 1 2 3 4 5 6; do held; done
wait_until 15 eval '[ "$(sessions)" = 6 ]'
ok $? "six sessions open"
kp=$(keeper_pid)
# A tenantctl-like client: connects (the keeper accepts it onto the last
# slot), waits for $T/go, then sends TERMINATE.
rm -f "$T/go"
python3 - "$dir/keeper.sock" "$T/go" <<-'EOF' &
import os, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
# struct tn_msg_ctl: header (magic, version 1, type 7 = TERMINATE, size), then zeros
s.send(struct.pack('<IHHII', 0x544e4e54, 1, 7, 1076, 0) + bytes(1076 - 16))
time.sleep(3)
EOF
client=$!
sleep 0.5 # accepted by now
amark=$(audit_mark)
mark=$(syslog_mark)
kill -STOP "$kp"
for i in 1 2 3 4 5; do _e2e_stop_pid "${HELD[$i]}" 3; done
sleep 2 # their CLOSEs and leader exits are queued at the stopped keeper
touch "$T/go"
sleep 0.5
kill -CONT "$kp"
wait "$client"
wait_until 10 eval '[ ! -e "$dir" ] && [ ! -d "/proc/$kp" ]'
ok $? "the keeper ended the tenant and exited"
ok "$(no_tenants; echo $?)" "... leaving no socket, info or marker behind"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 5 "$amark" "op=tenant-end id=$uid .*reason=\"terminated\""
	ok $? "... tenant-end is audited as terminated"
	is "$(audit_search "$amark" | grep -c "op=tenant-session-end id=$uid ")" 6 \
	    "... and each of the six sessions ended exactly once"
else
	skip "kernel has no audit" "tenant-end audited"
	skip "kernel has no audit" "each session ended once"
fi
is "$(syslog_since "$mark" | grep -c "session [0-9a-f]* of uid $uid ended")" 6 \
    "syslog: six session ends, no more"
out=$(ssh_as tu-race 'echo LOGGED-IN' 2>&1)
like "$out" 'LOGGED-IN' "the next login starts a fresh tenant"
_e2e_stop_pid "${HELD[0]}" 3

# ---- real races: terminate against logouts and logins, in a loop --------
mark=$(syslog_mark)
bad=0
for round in 1 2 3 4 5 6 7 8; do
	HELD=()
	for _ in 1 2 3 4; do held; done
	wait_until 15 eval '[ "$(sessions)" = 4 ]' || { bad=$((bad + 1)); diag "round $round: sessions $(sessions)"; }
	kp=$(keeper_pid)
	jobs=() # (a bare wait would wait for syslogd and sshd too)
	for p in "${HELD[@]}"; do
		_e2e_stop_pid "$p" 3 &
		jobs+=($!)
	done
	ssh_as tu-race true >/dev/null 2>&1 &
	jobs+=($!)
	sleep 0.0$((RANDOM % 10))
	$TENANTCTL terminate tu-race >/dev/null 2>&1
	ssh_as tu-race true >/dev/null 2>&1 &
	jobs+=($!)
	wait "${jobs[@]}"
	for p in "${HELD[@]}"; do wait "$p" 2>/dev/null; done
	if ! wait_no_tenants 15; then
		bad=$((bad + 1))
		diag "round $round: state left: $(ls -A /run/pam_tenant/tenants 2>&1 | tr '\n' ' ')"
	fi
	[ -n "$kp" ] && [ -d "/proc/$kp" ] && ! grep -q '^State:.*Z' "/proc/$kp/status" 2>/dev/null &&
	    { bad=$((bad + 1)); diag "round $round: keeper $kp still running"; }
done
is "$bad" 0 "8 rounds of terminate racing logouts and logins: every tenant ended cleanly"
stale=$(syslog_since "$mark" | grep -c 'removed stale state')
is "$stale" 0 "... no keeper ever died leaving stale state"

# ---- SIGTERM to the keeper: the same clean end ---------------------------
HELD=()
held
wait_until 15 eval '[ "$(sessions)" = 1 ]'
kp=$(keeper_pid)
amark=$(audit_mark)
kill -TERM "$kp"
wait_until 10 eval '[ ! -e "$dir" ] && [ ! -d "/proc/$kp" ]'
ok $? "SIGTERM: the keeper ends the tenant and exits"
ok "$(no_tenants; echo $?)" "... leaving nothing behind"
wait_until 5 eval '! pgrep -u tu-race -x sleep >/dev/null'
ok $? "... and the session's processes are gone"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 5 "$amark" "op=tenant-end id=$uid .*reason=\"keeper-signalled\""
	ok $? "... tenant-end is audited"
fi
done_testing
