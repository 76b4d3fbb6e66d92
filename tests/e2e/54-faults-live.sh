#!/bin/bash
# Faults while logins run (docs/testing.md, "Fault catalogue": F7, F9,
# F10, F11, F25, F27, F31): the config edited, removed and made
# group-writable under a stream of logins (each login isolated or denied
# with a syslog line, never let in unisolated, never hung); the config a
# directory or a FIFO; the config changed between a session's open and
# close; su SIGKILLed between open and close; two logins racing the end of
# their user's tenant; the wall clock jumping while the helper works and
# while the keeper times a silent login.  After each: the user's next
# login is isolated, root's su works, and no keeper, /run/pam_tenant entry
# or host mount is left.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh su date python3
tmpdir_create
start_syslog
start_auditd
make_user tu-live
uid=$(user_uid tu-live)
tenant_config '[default]' 'isolate = yes' 'on_logout = kill'
tenant_stack "$T/stack" timeout=6
start_sshd "$T/stack"
su_with_tenant timeout=6
CONF=$TENANT_ETC/tenant.conf
FAULTS=$E2E_BUILD/faults
wait_no_tenants 10 || bail_out "a tenant of an earlier test is still running"
host_snapshot before
mounts_before=$(wc -l </proc/1/mountinfo)

good_config() {
	tenant_config '[default]' 'isolate = yes' 'on_logout = kill'
}

# after_fault DESC TAG: next logins work, nothing leaked.
after_fault() {
	good_config
	is "$(ssh_as tu-live 'cat /proc/1/comm' 2>&1)" "tenant-init" "$1: the next login of tu-live is isolated"
	is "$(su - -c 'echo root-ok' 2>&1)" "root-ok" "$1: root's su works"
	wait_no_tenants 10
	ok $? "$1: no keeper or tenant state left"
	is "$(wc -l </proc/1/mountinfo)" "$mounts_before" "$1: no host mount added (/proc/1/mountinfo lines)"
	host_settle before "after-$2" 10
	host_compare before "after-$2" "$1: mounts, /run/pam_tenant and processes as before"
}

# ---- F9/F10 during logins: the config edited, removed, group-writable ----
mark=$(syslog_mark)
(
	for i in $(seq 16); do
		t0=$(date +%s%N)
		out=$(SSH_TIMEOUT=20 ssh_as tu-live 'cat /proc/1/comm' 2>/dev/null)
		st=$?
		echo "st=$st ms=$((($(date +%s%N) - t0) / 1000000)) out=$(printf '%s' "$out" | tr '\n' ' ')"
	done >"$T/churn.log"
) &
logins=$!
while _e2e_alive "$logins"; do
	printf '[default]\nisolate = yes\non_logout = kill\ntmp.size = 64M\n' >"$CONF.new"
	chmod 0644 "$CONF.new" && mv -f "$CONF.new" "$CONF" # edited (replaced)
	sleep 0.15
	rm -f "$CONF" # removed
	sleep 0.15
	printf '[default]\nisolate = yes\non_logout = kill\n' >"$CONF" # edited in place
	chmod 0664 "$CONF"                                            # group-writable
	sleep 0.15
	chmod 0644 "$CONF"
	sleep 0.15
done
wait "$logins"
diag <"$T/churn.log"
n_iso=$(grep -c '^st=0 .* out=tenant-init$' "$T/churn.log")
n_denied=$(grep -c '^st=[1-9][0-9]* .* out=pam_tenant: login refused: the session isolation policy has an error' "$T/churn.log")
is "$((n_iso + n_denied))" 16 "config churn: each of 16 logins was isolated or denied, none let in unisolated ($n_iso isolated, $n_denied denied)"
is "$(awk '{ sub("ms=", "", $2); if ($2 + 0 > 8000) print }' "$T/churn.log")" "" \
    "config churn: no login took longer than 8 s"
ok "$([ "$n_iso" -ge 1 ]; echo $?)" "config churn: logins between the changes were isolated"
sleep 0.5 # the last denial's syslog line
n_lines=$(syslog_since "$mark" | grep -cE "denied session for tu-live \\(uid $uid\\): configuration error: .*(tenant.conf: (No such file or directory|writable by group or other)|tenant.conf:[0-9]+)")
is "$n_lines" "$n_denied" "config churn: one syslog line naming the config problem per denied login"
after_fault "config churn" churn

# ---- F7: the config replaced by a directory or a FIFO (no hang) ----
for kind in directory fifo; do
	rm -rf "$CONF"
	if [ "$kind" = directory ]; then mkdir -m 0755 "$CONF"; else mkfifo -m 0644 "$CONF"; fi
	mark=$(syslog_mark)
	amark=$(audit_mark)
	t0=$SECONDS
	out=$(ssh_as tu-live 'echo LOGGED-IN' 2>&1)
	ok "$([[ ! $out =~ LOGGED-IN ]] && [ $((SECONDS - t0)) -lt 8 ]; echo $?)" \
	    "config is a $kind: login denied in $((SECONDS - t0)) s"
	like "$out" 'login refused: the session isolation policy has an error' "config is a $kind: the user is told the policy has an error"
	syslog_wait 5 "$mark" "denied session for tu-live \\(uid $uid\\): configuration error: .*tenant.conf"
	ok $? "config is a $kind: syslog names the config" || syslog_since "$mark" | grep pam_tenant | diag
	if [ "$AUDIT_AVAILABLE" = 1 ]; then
		audit_wait 5 "$amark" "op=tenant-deny id=$uid .*configuration error"
		ok $? "config is a $kind: audited as tenant-deny"
	fi
	rm -rf "$CONF"
	after_fault "config is a $kind" "conf-$kind"
done

# ---- F11: the config changes between a session's open and close ----
tenant_config '[default]' 'isolate = yes' 'on_logout = kill' 'tmp.size = 32M'
mark=$(syslog_mark)
ssh_bg_as tu-live 'sleep 2; findmnt -no SIZE /tmp' >"$T/midsession.out"
bg=$SSH_BG_PID
wait_until 10 eval 'pgrep -u tu-live -x sleep >/dev/null'
rm -f "$CONF" # then the session closes under no config at all
wait "$bg"
ok $? "config removed during a session: the session ran to its end"
syslog_wait 5 "$mark" "session [0-9a-f]{32} of uid $uid ended \\(logout\\)"
ok $? "... and closed as a normal logout"
wait_no_tenants 10
ok $? "... its tenant ended (what open set up was undone)"
after_fault "config removed mid-session" midsession

# ---- F27: su SIGKILLed between open and close ----
amark=$(audit_mark)
su_bg - tu-live -c 'exec sleep 600' </dev/null >/dev/null 2>&1
supid=$SU_BG_PID
on_exit "kill -KILL $supid 2>/dev/null; true"
wait_until 10 eval 'pgrep -u tu-live -x sleep >/dev/null'
ok $? "su - tu-live: the session is open"
# The pid killed must be su itself, the sleep's parent: a wrapper's pid
# (the asan tier's su function once) leaves su and the session running.
sleeper=$(pgrep -u tu-live -x sleep | head -n 1)
is "$(ps -o ppid= -p "${sleeper:-0}" | tr -d ' ')" "$supid" \
    "... and the pid to be killed is su itself, the session's leader ($(ps -o comm= -p "$supid"))"
kill -KILL "$supid"
wait "$supid" 2>/dev/null
wait_no_tenants 5
ok $? "su SIGKILLed: the keeper ends the session and the tenant within 5 s"
# (the killed sleep may stay a zombie for a moment: host init reaps it)
wait_until 3 eval '! pgrep -r RSDT -u tu-live -x sleep >/dev/null'
ok $? "... and the session's processes are gone"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	# su's copy of the link and su itself go at once: either is noticed first
	audit_wait 5 "$amark" "op=tenant-session-end id=$uid .*reason=\"(leader-exited|hangup)\""
	ok $? "... audited as tenant-session-end reason=leader-exited or hangup"
fi
after_fault "su SIGKILLed" sukill

# ---- F25: two logins racing the end of their user's tenant ----
# The only session ends (on_logout = kill ends the tenant with it) just as
# two new logins arrive: each must be isolated, in whichever tenant.
bad=0
for round in 1 2 3 4 5 6; do
	ssh_bg_as tu-live 'sleep 1'
	last=$SSH_BG_PID
	wait_until 10 eval 'pgrep -u tu-live -x sleep >/dev/null'
	sleep "0.$((7 + round % 4))"
	ssh_as tu-live 'cat /proc/1/comm' >"$T/race.a" 2>&1 &
	a=$!
	ssh_as tu-live 'cat /proc/1/comm' >"$T/race.b" 2>&1 &
	b=$!
	wait "$a" "$b" "$last"
	for f in "$T/race.a" "$T/race.b"; do
		if [ "$(cat "$f")" != tenant-init ]; then
			bad=$((bad + 1))
			diag "round $round: $(cat "$f")"
		fi
	done
	wait_no_tenants 10 || { bad=$((bad + 1)); diag "round $round: tenant left"; }
done
is "$bad" 0 "6 rounds of two logins racing the end of the tenant: all 12 isolated, every tenant ended"
after_fault "logins racing the tenant's end" endrace

# ---- F31: the wall clock jumps while the helper works ----
# Deadlines are CLOCK_MONOTONIC: a jump of an hour forward while the
# helper is held up (fault point: 2 s) neither kills it early nor makes
# the module wait longer; the clock is put back right after.
install -d -m 0755 "$FAULTS"
on_exit "rm -rf '$FAULTS'"
echo 'sleep 2' >"$FAULTS/helper-after-request"
on_exit "[ ! -e '$T/clock-ahead' ] || date -s '-1 hour' >/dev/null"
mark=$(syslog_mark)
t0=$SECONDS
ssh_as tu-live 'cat /proc/1/comm' >"$T/clock.out" 2>&1 &
login=$!
syslog_wait 5 "$mark" "fault injection: helper-after-request: sleep 2"
touch "$T/clock-ahead"
date -s '+1 hour' >/dev/null
sleep 0.5
date -s '-1 hour' >/dev/null && rm -f "$T/clock-ahead"
wait "$login"
is "$(cat "$T/clock.out")" "tenant-init" "clock +1 h during the helper's work: the login is isolated (no premature deadline)"
ok "$([ $((SECONDS - t0)) -lt 6 ]; echo $?)" "... in $((SECONDS - t0)) s (deadline 6 s)"
rm -f "$FAULTS/helper-after-request"
after_fault "clock jump" clock

# The keeper's own timers run on CLOCK_MONOTONIC too: a connection that
# never speaks is dropped after 5 s, not at once when the wall clock
# jumps an hour ahead (it once was: time(NULL)).
ssh_bg_as tu-live 'exec sleep 60'
hold=$SSH_BG_PID
sock=/run/pam_tenant/tenants/user-$uid/keeper.sock
wait_until 10 test -S "$sock"
# In the background: connect to the keeper, say nothing, and print after
# how many seconds it dropped the connection.
silent_conn() {
	python3 - "$sock" >"$T/pending.out" 2>&1 <<-'EOF' &
		import socket, sys, time
		s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
		s.connect(sys.argv[1])
		t0 = time.monotonic()
		s.settimeout(15)
		try:
		    r = s.recv(16)
		except OSError:
		    r = None
		print(round(time.monotonic() - t0, 1), "closed" if r == b"" else "not-closed")
	EOF
	py=$!
}
silent_conn
sleep 1
touch "$T/clock-ahead"
date -s '+1 hour' >/dev/null
sleep 1.5
date -s '-1 hour' >/dev/null && rm -f "$T/clock-ahead"
wait "$py"
read -r secs how <"$T/pending.out"
ok "$([ "$how" = closed ] && [ "${secs%.*}" -ge 4 ] && [ "${secs%.*}" -le 7 ]; echo $?)" \
    "clock +1 h: a silent connection to the keeper is dropped after 5 s, not at the jump (after ${secs:-?} s, $how)"

# And backward: a timer on the wall clock would wait an hour longer.  The
# clock stays an hour behind until the connection is dropped (at most 15 s).
silent_conn
sleep 1
on_exit "[ ! -e '$T/clock-behind' ] || date -s '+1 hour' >/dev/null"
touch "$T/clock-behind"
date -s '-1 hour' >/dev/null
wait "$py"
date -s '+1 hour' >/dev/null && rm -f "$T/clock-behind"
read -r secs how <"$T/pending.out"
ok "$([ "$how" = closed ] && [ "${secs%.*}" -ge 4 ] && [ "${secs%.*}" -le 7 ]; echo $?)" \
    "clock -1 h: a silent connection to the keeper is still dropped after 5 s (after ${secs:-?} s, $how)"
_e2e_stop_pid "$hold" 3
after_fault "clock jump at the keeper" clock-keeper

done_testing
