#!/bin/bash
# The user's own view (issue 11): `tenantctl status` run by an ordinary
# user inside their tenant asks its keeper over the read-only status
# socket that exists only in that tenant's mount namespace.  Another user
# cannot reach it, nothing but STATUS is served on it (logged), and a
# user hammering or holding it open delays neither their next login
# (the fast join) nor root's tenantctl.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh nsenter setpriv
tmpdir_create
start_syslog
test_bin PEER status-peer
# What the users run inside their tenants (where /tmp is private).
tenant_bin_dir BIN "$TENANTCTL" "$PEER"
UCTL=$BIN/tenantctl
UPEER=$BIN/status-peer
SOCK=/run/pam_tenant/status.sock
make_user tu-own-a
make_user tu-own-b
uida=$(user_uid tu-own-a)
uidb=$(user_uid tu-own-b)
tenant_config '[default]' 'scope = user' 'on_logout = keep'
tenant_stack "$T/stack"
start_sshd "$T/stack"
wait_no_tenants 10
ms() { echo $(($(date +%s%N) / 1000000)); }

ssh_bg_as tu-own-a 'exec sleep 300'
on_exit "ssh_as tu-own-a 'pkill -x sleep; true' >/dev/null 2>&1"
wait_until 10 test -S "/run/pam_tenant/tenants/user-$uida/keeper.sock"
ok $? "tu-own-a has a tenant"
wait_until 10 eval '[ -n "$(pgrep -u tu-own-a -x sleep)" ]'
apid=$(pgrep -u tu-own-a -x sleep | head -n 1)
keeper=$($TENANTCTL status tu-own-a --json | grep -o '"keeper_pid":[0-9]*' | cut -d: -f2)

# The user's status, in words and in JSON.
out=$(ssh_as tu-own-a "$UCTL status; echo rc=\$?" 2>&1)
like "$out" "tenant user-$uida \\(yours\\)" "a user's tenantctl status shows their own tenant"
like "$out" "user +tu-own-a \\(uid $uida\\)" "... with their name and uid"
like "$out" "sessions +2" "... its sessions (the background one and this one)"
like "$out" "session +since [0-9-]+ [0-9:]+ UTC, $SSHD_PAM_SERVICE" "... each with its start and service"
like "$out" "recent OOM kills and refused forks" "... and the recent OOM kills and refused forks"
like "$out" "rc=0" "... exit 0"
unlike "$out" 'Permission denied|needs root' "... no 'Permission denied', no 'needs root'"
js=$(ssh_as tu-own-a "$UCTL status --json")
like "$js" "^\\{\"tenants\":\\[\\{\"tenant\":\"user-$uida\",\"uid\":$uida,\"user\":\"tu-own-a\",\"sessions\":2," \
	"status --json for the user: the same shape as root's"
like "$js" '"events":\[\]' "... with the (empty) list of events"
like "$js" "\"session_list\":\\[\\{\"since\":[0-9]+,\"service\":\"$SSHD_PAM_SERVICE\"\\}," "... and the sessions"
if command -v python3 >/dev/null; then
	printf '%s' "$js" | python3 -c 'import json,sys; json.load(sys.stdin)'
	ok $? "... valid JSON"
fi
out=$(ssh_as tu-own-a "$UCTL status tu-own-a >/dev/null; echo rc=\$?; $UCTL status tu-own-b 2>&1; echo rc=\$?" 2>&1)
like "$out" "^rc=0" "status USER with one's own name works"
like "$out" "you can see only your own tenant.*rc=4" "status of another user: refused, exit 4"

# The socket: root's, 0666, on a read-only mount nobody in the tenant can change.
out=$(ssh_as tu-own-a "stat -c '%a %U %F' $SOCK; rm -f $SOCK; test -S $SOCK && echo still-there" 2>&1)
like "$out" "^666 root socket" "the status socket is root's, mode 0666"
like "$out" "still-there" "... and the user cannot remove it"

# Another user: their own tenant only.
out=$(ssh_as tu-own-b "$UCTL status; $UPEER $SOCK send status" 2>&1)
like "$out" "tenant user-$uidb \\(yours\\)" "another user's status shows their own tenant"
unlike "$out" "user-$uida" "... and nothing of the first user's"
like "$out" "uid $uidb" "... their socket is their own keeper's"
# Outside any tenant (an exempt or degraded login looks like this).
out=$(setpriv --reuid="$uidb" --regid="$uidb" --clear-groups -- $UCTL status 2>&1; echo "rc=$?")
like "$out" "not inside a tenant.*rc=4" "a user outside any tenant is told why, exit 4"
unlike "$out" 'Permission denied' "... not an errno text"
out=$(setpriv --reuid="$uidb" --regid="$uidb" --clear-groups -- $UPEER "/proc/$apid/root$SOCK" send status 2>&1)
like "$out" "cannot connect" "another user cannot reach it through /proc/PID/root"
# Root puts a process of uid B into A's mount namespace: the keeper checks the peer.
mark=$(syslog_mark)
out=$(nsenter -t "$apid" -m -- setpriv --reuid="$uidb" --regid="$uidb" --clear-groups -- $UPEER "$SOCK" send status 2>&1)
like "$out" "closed" "a peer of another uid that reaches the socket gets no answer"
syslog_wait 5 "$mark" "tenant user-$uida: status socket: uid $uidb pid [0-9]+ is not the tenant's user \\(refused\\)"
ok $? "... and is logged"

# Read-only: nothing but STATUS, whoever asks.
sleep 1.1 # refusals are logged at most once a second
for type in terminate close join open init; do
	mark=$(syslog_mark)
	out=$(ssh_as tu-own-a "$UPEER $SOCK send $type" 2>&1)
	like "$out" "^closed" "a user connection sending ${type^^} gets no answer"
	syslog_wait 5 "$mark" "tenant user-$uida: status socket: uid $uida pid [0-9]+: .*unexpected message type .*\\(refused\\)"
	ok $? "... and the refusal is logged"
	sleep 1.1 # refusals are logged at most once a second
done
out=$(nsenter -t "$apid" -m -- $UPEER "$SOCK" send terminate 2>&1)
like "$out" "^closed" "TERMINATE from root on the status socket: refused too"

# An fd sent along: the keeper never opens it.  Here it is a file on a
# FUSE mount the user made in a user namespace of their own, whose server
# never answers the flush a close by another process sends: a keeper that
# closed it would hang until the user's server let go.
sleep 1.1 # refusals are logged at most once a second
mark=$(syslog_mark)
ssh_bg_as tu-own-a "$UPEER $SOCK fuse-fd 12 >/tmp/fuse-fd.out 2>&1"
fuse_pid=$SSH_BG_PID
if wait_until 10 eval "ssh_as tu-own-a 'grep -qE \"^(status|closed|timeout|cannot)\" /tmp/fuse-fd.out'"; then
	out=$(ssh_as tu-own-a 'cat /tmp/fuse-fd.out')
	if [[ $out == "cannot make a user namespace"* ]]; then
		skip "$out" "STATUS with an fd on the user's own FUSE mount"
	else
		like "$out" "^closed" "STATUS with an fd on the user's own FUSE mount: no answer"
		syslog_wait 5 "$mark" "tenant user-$uida: status socket: uid $uida pid [0-9]+: fds sent \\(dropped unopened\\) \\(refused\\)"
		ok $? "... the refusal is logged, the fd dropped unopened"
		out=$(SSH_TIMEOUT=10 ssh_as tu-own-a "$UPEER $SOCK send status" 2>&1)
		like "$out" "^status" "... and the keeper answers the next STATUS while the FUSE server still holds out"
		unlike "$(ssh_as tu-own-a 'cat /tmp/fuse-fd.out')" "flush from pid" "... no flush ever reached the user's server"
	fi
else
	ok 1 "STATUS with an fd on the user's own FUSE mount: no outcome in 10 s"
fi
wait "$fuse_pid" 2>/dev/null
sleep 0.5
is "$($TENANTCTL status tu-own-a --json | grep -o '"keeper_pid":[0-9]*' | cut -d: -f2)" "$keeper" \
	"the tenant and its keeper live on"
like "$($TENANTCTL status tu-own-a)" "sessions +1" "... with its session"

# Hammering, then also holding the socket: the user's next login is
# still a fast join, root's tenantctl still answers, promptly.
t0=$(ms)
ssh_as tu-own-a true
base=$(($(ms) - t0))
# login_and_status WHAT: time a login of tu-own-a and root's status now.
login_and_status() {
	local mark took out
	mark=$(syslog_mark)
	t0=$(ms)
	ssh_as tu-own-a true
	took=$(($(ms) - t0))
	diag "login: ${base} ms idle, ${took} ms with the status socket $1"
	ok "$([ "$took" -lt $((base + 1500)) ]; echo $?)" "a login while the socket is $1 is not delayed (${took} ms, idle ${base} ms)"
	syslog_wait 5 "$mark" "session of tu-own-a \\(uid $uida\\) isolated in tenant user-$uida \\(joined by its keeper\\)"
	ok $? "... and is still a fast join"
	t0=$(ms)
	out=$($TENANTCTL status tu-own-a --json)
	took=$(($(ms) - t0))
	ok "$([ "$took" -lt 1500 ]; echo $?)" "root's tenantctl status answers meanwhile (${took} ms)"
	like "$out" '"processes":[0-9]+' "... with the keeper's own figures"
}
ssh_bg_as tu-own-a "$UPEER $SOCK hammer 12 >/tmp/hammer.out"
hammer_pid=$SSH_BG_PID
sleep 2
login_and_status hammered
mark=$(syslog_mark)
ssh_bg_as tu-own-a "$UPEER $SOCK hold 40 8 >/dev/null; true"
hold_pid=$SSH_BG_PID
sleep 2
login_and_status "hammered and held"
syslog_wait 5 "$mark" "tenant user-$uida: status socket: uid $uida pid [0-9]+ sent no request in 1000 ms"
ok $? "held connections are dropped after the timeout, logged"
wait "$hammer_pid" "$hold_pid" 2>/dev/null
out=$(ssh_as tu-own-a 'cat /tmp/hammer.out')
diag "hammer (12 s): $out"
n=$(printf '%s' "$out" | sed -n 's/^answers \([0-9]*\) of.*/\1/p')
ok "$([ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" -le $((12 * 50 + 10)) ]; echo $?)" "the hammering user got answers, at most ~50 a second ($n in 12 s)"

ssh_as tu-own-a 'pkill -x sleep'
ssh_as tu-own-b 'true'
wait_no_tenants 15
ok $? "nothing left"
done_testing
