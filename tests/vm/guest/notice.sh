#!/bin/bash
# Runs inside the cgroup v2 VM (tests/vm/tests/27-user-notice.sh).  A
# user's tenant has OOM kills and refused forks; their next login is told
# once, in one pam_info line (not with PAM_SILENT, which leaves it for the
# next login), by the fast join and by the helper-served join alike; the
# user's own `tenantctl status` lists the events with their times; what a
# tenant that ended had not told goes to the user's next tenant.
. "$(dirname "$0")/../../lib/tenant.sh"
require_root
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip_all "not a cgroup v2 host"
require_cmd sshd ssh su perl pamtester flock
tmpdir_create
tenant_bin_dir BIN "$TENANTCTL" # what the user runs inside the tenant
UCTL=$BIN/tenantctl
start_syslog
make_user tq-n
N=$(user_uid tq-n)
CG=/sys/fs/cgroup/tenant.slice
tenant_config '[default]' 'on_logout = keep' \
	'[user tq-n]' 'memory.max = 96M' 'memory.swap.max = 0' 'pids.max = 16'
tenant_stack "$T/stack"
start_sshd "$T/stack"
su_with_tenant
LINE='pam_tenant: [0-9]+ process(es)? (was|were) killed for lack of memory and [0-9]+ forks? (was|were) refused since your last login; see `tenantctl status`\.'
HOG='perl -e "\$x = q(x) x (200 * 1024 * 1024)"'
BOMB='perl -e '\''my $f = 0; my $end = time + 3; while (time < $end) { my $p = fork(); if (!defined $p) { $f++; select(undef, undef, undef, 0.01); next } if ($p == 0) { sleep 4; exit 0 } } print "refused=$f\n"'\'''

ssh_bg_as tq-n 'exec sleep 600'
wait_until 30 test -d "$CG/user-$N"
ok $? "tq-n has a tenant with a cgroup"
out=$(su - tq-n -c "$UCTL status" 2>&1)
like "$out" "memory +[0-9.]+[KMG]? of 96.0M" "the user's status shows memory.max"
like "$out" "pids +[0-9]+ of 16, 0 fork\\(s\\) refused" "... pids.max and no refused fork"
unlike "$out" 'pam_tenant:' "a login without OOM kills or refused forks is told nothing"

# One login makes both happen; the keeper sees them (syslog), no login since.
mark=$(syslog_mark)
out=$(ssh_as tq-n "$HOG; echo rc=\$?; $BOMB" 2>&1)
like "$out" 'rc=137' "a hog is OOM-killed at memory.max"
like "$out" 'refused=[1-9]' "a fork loop is refused at pids.max ($(printf '%s' "$out" | grep -o 'refused=[0-9]*'))"
syslog_wait 10 "$mark" "tenant user-$N: [0-9]+ process\\(es\\) killed at memory.max"
ok $? "the keeper saw the OOM kill"
syslog_wait 10 "$mark" "tenant user-$N: fork refused at pids.max"
ok $? "... and the refused forks"
wait_until 15 eval "[ \$(cat $CG/user-$N/pids.current) -lt 4 ]"

# PAM_SILENT: nothing said, and the notice waits for the next login.
out=$(pamtester "$SSHD_PAM_SERVICE" tq-n 'open_session(PAM_SILENT)' close_session 2>&1)
ok $? "pamtester open_session(PAM_SILENT) works" || diag "$out"
unlike "$out" 'pam_tenant:' "... and the module says nothing with PAM_SILENT"
# `ssh host cmd` (no terminal: sshd's PAM_TTY is "ssh") never shows a
# session's messages: the notice waits for a login that shows it (below).
is "$(ssh_as tq-n 'echo in' 2>&1)" "in" "ssh tq-n cmd, without a terminal, logs in (told nothing it could show)"

# The next login (a fast join): one line, pointing to tenantctl status.
# su prints PAM's info messages only for a login shell without -c: the
# commands come on stdin.
mark=$(syslog_mark)
out=$(echo true | su - tq-n 2>&1)
like "$out" "$LINE" "su -: the next login is told, in one line"
like "$out" 'pam_tenant: 1 process was killed for lack of memory and [0-9]+ forks were refused' "... with the counts"
is "$(printf '%s\n' "$out" | grep -c 'pam_tenant:')" 1 "... once"
syslog_wait 5 "$mark" "session of tq-n \\(uid $N\\) isolated in tenant user-$N \\(joined by its keeper\\)"
ok $? "... by the keeper's fast join"
out=$(echo true | su - tq-n 2>&1)
unlike "$out" 'pam_tenant:' "the login after that is told nothing: no repeat"

# The user's own status lists the events with their times.
out=$(su - tq-n -c "$UCTL status" 2>&1)
like "$out" "[0-9-]+ [0-9:]+ UTC  1 process\\(es\\) killed at memory.max" "status lists the OOM kill with its time"
like "$out" "[0-9-]+ [0-9:]+ UTC  [1-9][0-9]* fork\\(s\\) refused at pids.max" "... and the refused forks, one entry for the burst"
is "$(printf '%s\n' "$out" | grep -c 'refused at pids.max')" 1 "... (one line)"
like "$out" "memory .* 1 OOM kill\\(s\\) since the tenant started" "... and the counts"
like "$out" "pids .* [1-9][0-9]* fork\\(s\\) refused since the tenant started" "... of both"
js=$(su - tq-n -c "$UCTL status --json" 2>&1)
like "$js" '"events":\[\{"time":[0-9]+,"last":[0-9]+,"kind":"oom-kill","count":1\},\{"time":[0-9]+,"last":[0-9]+,"kind":"fork-refused","count":[1-9][0-9]*\}\]' \
	"status --json: the events as objects"
like "$($TENANTCTL status tq-n)" "UTC  1 process\\(es\\) killed at memory.max" "root's status shows them too"

# More refused forks; the next login goes through the helper (the keeper
# finds the uid lock busy and declines): it is told too.
su - tq-n -c "$BOMB" >/dev/null 2>&1
wait_until 15 eval "[ \$(cat $CG/user-$N/pids.current) -lt 4 ]"
LOCK=/run/pam_tenant/locks/$N.lock
# Hold the uid lock until the keeper has declined (however slow the VM).
flock "$LOCK" sh -c "while [ ! -e $T/release ]; do sleep 0.1; done" &
lock_pid=$!
on_exit "touch $T/release"
wait_until 10 eval "! flock -n '$LOCK' true"
mark=$(syslog_mark)
echo true | su - tq-n >"$T/su.out" 2>&1 &
su_pid=$!
syslog_wait 20 "$mark" "user-$N: session [0-9a-f]+ goes through the helper: " ||
	diag "the keeper did not decline: $(syslog_since "$mark")"
touch "$T/release"
wait "$lock_pid" "$su_pid"
out=$(cat "$T/su.out")
like "$out" 'pam_tenant: [0-9]+ forks? (was|were) refused since your last login; see `tenantctl status`\.' \
	"a helper-served join is told too ($(printf '%s' "$out" | grep 'pam_tenant:'))"
unlike "$out" 'killed for lack of memory' "... only what is new since the last login"
unlike "$(syslog_since "$mark")" "isolated in tenant user-$N \\(joined by its keeper\\)" "... (it was not a fast join)"

# A tenant that ends with something untold: the ending keeper keeps the
# counts in notices/<uid>, the user's next tenant tells them and removes it.
su - tq-n -c "$BOMB" >/dev/null 2>&1
wait_until 15 eval "[ \$(cat $CG/user-$N/pids.current) -lt 4 ]"
kill "$SSH_BG_PID" 2>/dev/null
kill_user_procs "$N"
wait_no_tenants 20
ok $? "the tenant ended with refused forks untold"
REC=/run/pam_tenant/notices/$N
like "$(cat "$REC" 2>&1)" '^0 [1-9][0-9]*$' "the ending keeper kept the untold counts in notices/<uid>"
is "$(stat -c '%U %a' "$REC" /run/pam_tenant/notices 2>&1 | tr '\n' ' ')" "root 600 root 700 " "... root's, in root's 0700 directory"
out=$(echo true | su - tq-n 2>&1)
like "$out" 'pam_tenant: [0-9]+ forks? (was|were) refused since your last login' \
	"the first login of the user's next tenant is told ($(printf '%s' "$out" | grep 'pam_tenant:'))"
ok "$([ ! -e "$REC" ]; echo $?)" "... and the record is gone"
out=$(echo true | su - tq-n 2>&1)
unlike "$out" 'pam_tenant:' "... no repeat"

kill_user_procs "$N"
wait_no_tenants 20
ok $? "nothing left"
ok "$([ ! -e "$REC" ]; echo $?)" "a tenant that ends with nothing untold leaves no record"
done_testing
