#!/bin/bash
# 00-harness: the e2e harness itself works (users, test sshd, ssh, audit,
# syslog, host snapshots), with a PAM stack that does NOT load pam_tenant.
# [both] Needs root; skips (77) otherwise.
set -u
# shellcheck source=tests/lib/e2e.sh
. "$(dirname "$0")/../lib/e2e.sh"

require_root
require_cmd useradd userdel chpasswd ssh ssh-keygen /usr/sbin/sshd ss ps logger busybox
plan_later
tmpdir_create

user=tu-harness
make_user "$user"
uid=$(user_uid "$user")
like "$uid" '^[0-9]+$' "make_user created $user (uid $uid)"
check "authorized_keys is owned by the user, mode 600" \
	test "$(stat -c '%u %a' "$(user_home "$user")/.ssh/authorized_keys")" = "$uid 600"
like "$(awk -F: -v n="$user" '$1 == n { print $2 }' /etc/shadow)" '^\$' \
	"make_user set a password (shadow has a hash)"

pam_stack "$T/pam.harness"
start_sshd "$T/pam.harness"
like "$SSHD_PORT" '^[0-9]+$' "sshd listens on 127.0.0.1:$SSHD_PORT (pid $SSHD_PID, service $SSHD_PAM_SERVICE)"

start_syslog
start_auditd

# This stack loads no pam_tenant: tenant-* processes and /run/pam_tenant
# entries of other uids belong to other tests running on a shared machine.
E2E_PROC_RE=''
E2E_RUN_RE="[/-]$uid([./]|\$)"
host_snapshot before

t0=$(date +%s%N)
got=$(ssh_as "$user" id -u)
st=$?
t1=$(date +%s%N)
ok "$st" "ssh_as runs a command"
is "$got" "$uid" "ssh_as $user id -u is the user's uid"
diag "one ssh login took $(((t1 - t0) / 1000000)) ms"

status=$(ssh_as "$user" cat /proc/self/status)
uid_line=$(printf '%s\n' "$status" | awk '$1 == "Uid:" { print $2, $3, $4, $5 }')
is "$uid_line" "$uid $uid $uid $uid" "/proc/self/status read over ssh: real/effective/saved/fs uid"
like "$(printf '%s\n' "$status" | awk '$1 == "CapBnd:" { print $2 }')" '^[0-9a-f]{16}$' \
	"/proc/self/status over ssh has a CapBnd value"

# shellcheck disable=SC2016 # expanded by the remote shell
got=$(ssh_as "$user" 'printf "%s|" "$USER" "$HOME" "$SHELL"')
is "$got" "$user|$(user_home "$user")|/bin/bash|" "the remote shell parses a command string"

check "the sshd log shows the accepted publickey login" \
	grep -q "Accepted publickey for $user from 127.0.0.1" "$SSHD_LOG"

# audit: a user message written now must be found after the mark
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	mark=$(audit_mark)
	msg="pam_tenant harness $RANDOM-$$"
	check "auditctl -m accepts a user message" auditctl -m "$msg"
	audit_wait 10 "$mark" "$msg" -m USER
	ok $? "audit_search finds the auditctl -m message after the mark"
	audit_search "$mark" -m USER -i | grep -qF "$msg"
	ok $? "audit_search -i (interpreted) shows it too"
	old=$(audit_search "$AUDIT_START" -m USER | grep -cF "$msg")
	is "$old" 1 "the message is recorded exactly once"
else
	skip "kernel without audit" "auditctl -m message found by ausearch"
fi

# syslog: authpriv.notice reaches SYSLOG_FILE
smark=$(syslog_mark)
tag="harness-$RANDOM-$$"
logger -p authpriv.notice "$tag"
syslog_wait 5 "$smark" "$tag"
ok $? "logger -p authpriv.notice lands in $SYSLOG_FILE"
# pam_unix's session messages use pam_syslog too: they must arrive as well
smark=$(syslog_mark)
ssh_as "$user" true
syslog_wait 5 "$smark" "pam_unix\\($SSHD_PAM_SERVICE:session\\): session (opened|closed) for user $user"
ok $? "pam_syslog output of the sshd PAM stack lands in SYSLOG_FILE"

# the host is unchanged by a login/logout
ssh_as "$user" 'sleep 0.2; true'
host_settle before after 5
host_compare before after "host mounts, /run/pam_tenant and processes unchanged after logins"

# ... and a process left behind by a session is noticed
ssh_as "$user" 'setsid -f sleep 120 </dev/null >/dev/null 2>&1'
host_snapshot leak
! host_same before leak
ok $? "host_snapshot notices a process the user left running"
grep -F "$uid sleep" "$T/snap.leak" | diag
kill_user_procs "$uid"
host_settle before after 5
host_compare before after "after kill_user_procs the host matches the first snapshot again"

# background sessions are killed at exit; check they are tracked
ssh_bg_as "$user" sleep 300
wait_until 10 pgrep -u "$uid" -x sleep
ok $? "ssh_bg_as started a long-lived session (pid $SSH_BG_PID)"

# timing: five sequential logins
t0=$(date +%s%N)
for _ in 1 2 3 4 5; do ssh_as "$user" true || break; done
t1=$(date +%s%N)
avg=$(((t1 - t0) / 5000000))
diag "average ssh_as round trip: $avg ms"
# make check-asan: sshd runs with the ASan runtime preloaded (3x the budget)
limit=900
[ -z "${TN_SAN_PRELOAD:-}" ] || limit=2700
check "an ssh login takes well under ${limit} ms (avg ${avg} ms)" test "$avg" -lt "$limit"

done_testing
