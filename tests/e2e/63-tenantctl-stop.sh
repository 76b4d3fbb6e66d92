#!/bin/bash
# tenantctl kill -s KILL and terminate --session against processes that
# try to outlive them (issue 11 follow-up): a process forking in a loop
# (children made after a scan saw it) is ended by the keeper's repeated
# SIGKILL passes; terminate sends SIGTERM first, a process trapping it
# runs its trap, one ignoring it gets SIGKILL when the grace runs out,
# and the keeper serves another login during that grace.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh ps
tmpdir_create
start_syslog
start_auditd
make_user tu-stop
uid=$(user_uid tu-stop)
home=$(user_home tu-stop)
NL=$'\n'
ms() { echo $(($(date +%s%N) / 1000000)); }
# The user's processes on the host (all of them are the tenant's).
nprocs() { ps -u "$uid" -o pid= | wc -l; }

# What the sessions run (inside a tenant /tmp is private: below /run).
cat >"$T/chain.sh" <<'SH'
#!/bin/bash
# A chain: each process forks the next and exits at once, so a single
# scan-then-signal pass finds a pid that is already gone.
go() { while :; do (go) & exit 0; done; }
go &
touch "$HOME/chain-started"
exec sleep 300
SH
cat >"$T/forkloop.sh" <<'SH'
#!/bin/bash
# A session that forks all the time (its children stay in its tree).
echo "$TENANT_SESSION" >"$HOME/cookie-loop"
while :; do sleep 0.3 & sleep 0.01; done
SH
cat >"$T/stoppable.sh" <<'SH'
#!/bin/bash
# $1 = yes: also a child that ignores SIGTERM (kept across its exec).
# Output goes to a file: sshd's session process is in the session too and
# gets the same SIGTERM (as with logind's terminate-session), so bash's
# "Terminated" on the closed channel would SIGPIPE it before its trap.
exec >>"$HOME/stoppable.out" 2>&1
trap 'echo trapped >"$HOME/term-trap"; exit 0' TERM
echo "$TENANT_SESSION" >"$HOME/cookie-stop" # the trap is set from here on
if [ "$1" = yes ]; then
	(trap '' TERM; exec sleep 300) &
	sleep 0.2 # for its trap '' TERM to be in place
	echo "$!" >"$HOME/ignorer-started"
fi
while :; do sleep 0.1; done
SH
chmod 0755 "$T/chain.sh" "$T/forkloop.sh" "$T/stoppable.sh"
tenant_bin_dir BIN "$T/chain.sh" "$T/forkloop.sh" "$T/stoppable.sh"

tenant_config '[default]' 'on_logout = keep'
tenant_stack "$T/stack"
start_sshd "$T/stack"
wait_no_tenants 10

# ---- kill -s KILL: a fork chain in the tenant -----------------------------
ssh_bg_as tu-stop "$BIN/chain.sh"
wait_until 30 test -e "$home/chain-started"
ok $? "the fork chain runs"
sleep 0.5
out=$($TENANTCTL kill tu-stop --signal KILL 2>&1)
is "$?" "0" "kill --signal KILL exits 0 (no process left behind)" || diag "$out"
like "$out" "sent SIGKILL to [1-9][0-9]* process\\(es\\) of user-$uid" "... and says how many"
unlike "$out" "some may be left" "... no warning that some escaped"
wait_until 5 eval '[ "$(nprocs)" = 0 ]'
ok $? "the chain is gone: no process of the user left" || diag "$(ps -u "$uid" -o pid,ppid,stat,args)"
wait_no_tenants 15
ok $? "... and the tenant ended"

# ---- terminate --session --grace 0: a forking session ---------------------
ssh_bg_as tu-stop "$BIN/forkloop.sh"
pid_loop=$SSH_BG_PID
wait_until 30 test -s "$home/cookie-loop"
ok $? "the forking session runs"
cookie=$(cat "$home/cookie-loop")
sleep 0.5
out=$($TENANTCTL terminate tu-stop --session "$cookie" --grace 0 2>&1)
is "$?" "0" "terminate --session --grace 0 exits 0" || diag "$out"
like "$out" "sent SIGKILL to [1-9][0-9]* process\\(es\\) of session $cookie" "... SIGKILL at once"
wait_until 5 eval '! _e2e_alive '"$pid_loop"
ok $? "the session ended"
wait_until 5 eval '[ "$(nprocs)" = 0 ]'
ok $? "none of its processes is left" || diag "$(ps -u "$uid" -o pid,ppid,stat,args)"
wait_no_tenants 15

# ---- terminate: SIGTERM, a trap runs, everything exits before the grace ----
ssh_bg_as tu-stop "$BIN/stoppable.sh no"
pid_s=$SSH_BG_PID
wait_until 30 test -s "$home/cookie-stop"
ok $? "a session trapping SIGTERM runs"
cookie=$(cat "$home/cookie-stop")
t0=$(ms)
out=$($TENANTCTL terminate tu-stop --session "$cookie" --grace 10 2>&1)
rc=$?
t1=$(ms)
is "$rc" "0" "terminate --session --grace 10 exits 0" || diag "$out"
like "$out" "sent SIGTERM to [1-9][0-9]* process\\(es\\) of session $cookie" "... SIGTERM first"
like "$out" "all processes exited after SIGTERM" "... which was enough"
[ $((t1 - t0)) -lt 5000 ]
ok $? "... tenantctl returned when they were gone ($((t1 - t0)) ms), not after the grace"
wait_until 3 test -s "$home/term-trap"
ok $? "... and the session's SIGTERM trap ran" || diag "$(cat "$home/stoppable.out")"
wait_until 5 eval '! _e2e_alive '"$pid_s"
ok $? "the session ended"
wait_no_tenants 15
rm -f "$home/term-trap" "$home/cookie-stop" "$home/stoppable.out"

# ---- terminate: one child ignores SIGTERM, SIGKILL after the grace ---------
tenant_config '[default]' 'on_logout = keep'
ssh_bg_as tu-stop "$BIN/stoppable.sh yes"
pid_s=$SSH_BG_PID
wait_until 30 test -s "$home/ignorer-started"
ok $? "a session with a child ignoring SIGTERM runs"
cookie=$(cat "$home/cookie-stop")
amark=$(audit_mark)
t0=$(ms)
$TENANTCTL terminate tu-stop --session "$cookie" --grace 3 >"$T/term.out" 2>&1 &
term_pid=$!
on_exit "kill $term_pid 2>/dev/null || :"
wait_until 5 grep -q "sent SIGTERM" "$T/term.out"
ok $? "terminate --grace 3: SIGTERM sent, tenantctl waits"
# During the grace the keeper serves: a second login into the same tenant.
t_login=$(ms)
lout=$(ssh_as tu-stop 'echo in-$TENANT_SESSION' 2>&1)
t_login=$(($(ms) - t_login))
like "$lout" "^in-[0-9a-f]{32}$" "a second login during the grace works ($t_login ms)"
[ "$t_login" -lt 2500 ]
ok $? "... and is not held up by the grace"
_e2e_alive "$term_pid"
ok $? "... while terminate still waits out the grace"
like "$($TENANTCTL status tu-stop)" "processes +[1-9]" "... the tenant still holds the ignorer"
wait "$term_pid"
rc=$?
t1=$(ms)
out=$(cat "$T/term.out")
is "$rc" "0" "terminate exits 0 once the ignorer is SIGKILLed" || diag "$out"
like "$out" "sent SIGKILL to 1 process\\(es\\) left after the grace" "... one process was left after the grace"
[ $((t1 - t0)) -ge 2900 ] && [ $((t1 - t0)) -lt 8000 ]
ok $? "... after the grace ($((t1 - t0)) ms)"
test -s "$home/term-trap"
ok $? "... after the trapping shell's trap ran" || diag "$(cat "$home/stoppable.out")"
wait_until 5 eval '! _e2e_alive '"$pid_s"
ok $? "the session ended"
wait_until 5 eval '[ "$(nprocs)" = 0 ]'
ok $? "nothing of it is left" || diag "$(ps -u "$uid" -o pid,ppid,stat,args)"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 5 "$amark" "type=USER .*op=tenant-session-signal id=$uid .*signal=SIGTERM processes=[1-9][0-9]* passes=1 grace_ms=3000"
	ok $? "the SIGTERM is audited with its grace"
	audit_wait 5 "$amark" "type=USER .*op=tenant-session-signal id=$uid .*signal=SIGKILL processes=1 grace_ms=3000 sigterm_processes=[1-9][0-9]* left=0 session=$cookie"
	ok $? "the SIGKILL after the grace is audited"
fi

# ---- usage ----------------------------------------------------------------
out=$($TENANTCTL terminate tu-stop --grace 3 2>&1)
is "$?" "2" "--grace without --session: exit 2"
like "$out" "--grace needs --session" "... saying so"
out=$($TENANTCTL terminate tu-stop --session 00 --grace -1 2>&1)
is "$?" "2" "a bad grace: exit 2"
out=$($TENANTCTL terminate tu-stop --session 00 --grace 3601 2>&1)
is "$?" "2" "a grace above an hour: exit 2"
done_testing
