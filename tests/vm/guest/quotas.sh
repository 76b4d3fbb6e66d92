#!/bin/bash
# Runs inside the cgroup v2 VM (tests/vm/tests/20-quotas.sh): real sshd
# logins under per-user limits.  A memory hog is OOM-killed at the user's
# memory.max and nobody else notices; a fork bomb stops at pids.max while
# another user logs in; cpu = 50% gives half a CPU; sessions of one user
# share its limits and its /tmp is charged to it; on_logout = kill ends
# only the closing session's processes; 50 parallel logins make one
# tenant; logins racing a teardown never fail; nothing is left at the end.
. "$(dirname "$0")/../../lib/tenant.sh"
require_root
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip_all "not a cgroup v2 host"
require_cmd sshd ssh perl
tmpdir_create
start_syslog
start_auditd
make_user tq-a
make_user tq-b
make_user tq-c
make_user tq-d
make_user tq-e
A=$(user_uid tq-a)
CG=/sys/fs/cgroup/tenant.slice
tenant_config \
	'[default]' 'on_logout = keep' \
	'[user tq-a]' 'memory.max = 96M' 'memory.swap.max = 0' 'pids.max = 64' 'cpu = 50%' \
	'[user tq-e]' 'io.max = 259:99 rbps=1M'
tenant_stack "$T/stack"
start_sshd "$T/stack" "MaxStartups 200:30:300"
# keep_alive USER: a background session holding the tenant; killed at exit
keep_alive() {
	ssh_bg_as "$1" 'exec sleep 600'
	wait_until 30 test -d "$CG/user-$(user_uid "$1")"
}

# ---- limits are written and read back ----
keep_alive tq-a
is "$(cat $CG/user-$A/memory.max)" "100663296" "memory.max of tq-a is 96M"
is "$(cat $CG/user-$A/pids.max)" "64" "pids.max of tq-a"
is "$(cat $CG/user-$A/cpu.max)" "50000 100000" "cpu = 50% is cpu.max 50000 100000"
is "$(stat -c %U "$CG/user-$A/memory.max")" "root" "limit files stay root-owned"
out=$(ssh_as tq-a "echo max >$CG/user-$A/memory.max" 2>&1)
ok "$([ "$(cat $CG/user-$A/memory.max)" = 100663296 ]; echo $?)" "the user cannot raise their own memory.max ($out)"
like "$(ssh_as tq-a 'cat /proc/self/cgroup')" "^0::/tenant.slice/user-$A/session-[0-9a-f]{32}$" "a session lives in its own leaf below the user's cgroup"

# ---- a memory hog is OOM-killed at memory.max; others unaffected ----
amark=$(audit_mark)
out=$(ssh_as tq-a 'perl -e "\$x = q(x) x (200 * 1024 * 1024); print qq(survived\n)"; echo rc=$?' 2>&1)
like "$out" 'rc=137' "a 200 MiB hog under memory.max = 96M is killed (SIGKILL)"
ok "$(ssh_as tq-a 'pgrep -x sleep >/dev/null'; echo $?)" "tq-a's other session survives"
is "$(ssh_as tq-b 'echo b-ok')" "b-ok" "tq-b is unaffected"
like "$(cat $CG/user-$A/memory.events)" 'oom_kill [1-9]' "memory.events counts the OOM kill"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 10 "$amark" "op=tenant-oom-kill id=$A .*oom_kills=[1-9]"
	ok $? "the OOM kill is audited (op=tenant-oom-kill)"
fi

# ---- a fork bomb stops at pids.max; tq-b still logs in meanwhile ----
amark=$(audit_mark)
mark=$(syslog_mark)
ssh_as tq-a 'perl -e '\''my ($n, $f) = (0, 0); my $end = time + 6;
	while (time < $end) { my $p = fork();
		if (!defined $p) { $f++; select(undef, undef, undef, 0.02); next }
		if ($p == 0) { close STDOUT; sleep 8; exit 0 } $n++ }
	print "forked=$n refused=$f\n"'\'' >/tmp/bomb.out 2>&1 &
	sleep 2; echo started' >/dev/null
b=$(ssh_as tq-b 'echo b-during-bomb; id -u')
like "$b" 'b-during-bomb' "tq-b logs in and runs commands while tq-a's fork bomb runs"
sleep 6
bomb=$(ssh_as tq-a 'cat /tmp/bomb.out')
like "$bomb" 'refused=[1-9]' "the fork bomb is refused at pids.max ($bomb)"
forked=$(printf '%s' "$bomb" | sed -n 's/.*forked=\([0-9]*\).*/\1/p')
ok "$([ -n "$forked" ] && [ "$forked" -lt 64 ]; echo $?)" "... it never had more than pids.max processes"
syslog_since_mark "$mark" "tenant user-$A: fork refused at pids.max"
ok $? "syslog says forks were refused at pids.max"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 10 "$amark" "op=tenant-pids-max id=$A "
	ok $? "the refused forks are audited (op=tenant-pids-max)"
	n=$(audit_search "$amark" | grep -c "op=tenant-pids-max id=$A ")
	ok "$([ "$n" -ge 1 ] && [ "$n" -le 10 ]; echo $?)" \
	    "... in at most one record a second, not one per refusal ($n records for $forked forks, refused=${bomb##*refused=})"
fi
wait_until 15 eval "[ \$(cat $CG/user-$A/pids.current) -lt 10 ]"

# ---- cpu = 50% ----
cpu=$(ssh_as tq-a 'perl -e "my \$e = time + 5; 1 while time < \$e; my @t = times; printf qq(%.2f\n), \$t[0] + \$t[1]"')
diag "busy loop for 5 s used $cpu s of CPU"
ok "$(awk -v c="$cpu" 'BEGIN { exit !(c >= 2.0 && c <= 3.0) }'; echo $?)" "cpu = 50%: 5 s of busy loop get 50% +- 10% of a CPU ($cpu s)"

# ---- two sessions share the user's limits; /tmp is charged to the user ----
before=$(sed -n 's/^oom_kill //p' $CG/user-$A/memory.events)
ssh_bg_as tq-a 'exec perl -e "\$x = q(x) x (64 * 1024 * 1024); sleep 30"'
hog1=$SSH_BG_PID
sleep 3
ssh_as tq-a 'perl -e "\$x = q(x) x (64 * 1024 * 1024); sleep 2"' >/dev/null 2>&1
after=$(sed -n 's/^oom_kill //p' $CG/user-$A/memory.events)
ok "$([ "$after" -gt "$before" ]; echo $?)" "two sessions of 64 MiB each under one 96M limit: the sum is capped (OOM kills $before -> $after)"
kill "$hog1" 2>/dev/null
ssh_as tq-a 'pkill -x perl; true'
mem0=$(cat $CG/user-$A/memory.current)
ssh_as tq-a 'dd if=/dev/zero of=/tmp/charged bs=1M count=40 2>/dev/null'
mem1=$(cat $CG/user-$A/memory.current)
ok "$([ $((mem1 - mem0)) -ge $((35 * 1024 * 1024)) ]; echo $?)" "40 MiB written to the private /tmp are charged to the user ($mem0 -> $mem1 bytes)"
ssh_as tq-a 'rm -f /tmp/charged'

# ---- on_logout = kill ends the closing session only; keep stays limited ----
ssh_bg_as tq-c 'nohup sleep 400 >/dev/null 2>&1 & exec sleep 600'
wait_until 30 eval 'pgrep -u tq-c -x sleep >/dev/null'
tenant_config \
	'[default]' 'on_logout = keep' \
	'[user tq-a]' 'memory.max = 96M' 'memory.swap.max = 0' 'pids.max = 64' 'cpu = 50%' \
	'[user tq-c]' 'on_logout = kill'
ssh_as tq-c 'nohup sleep 401 >/dev/null 2>&1 & true'
wait_until 10 eval '! pgrep -u tq-c -f "^sleep 401" >/dev/null'
ok $? "on_logout = kill: the closing session's nohup sleep is killed"
ok "$(pgrep -u tq-c -f '^sleep 400' >/dev/null; echo $?)" "... the other session's nohup sleep is untouched"
tenant_config '[default]' 'on_logout = keep' '[user tq-a]' 'memory.max = 96M' 'pids.max = 64'
ssh_as tq-a 'nohup sleep 402 >/dev/null 2>&1 & true'
sleep 1
kept=$(pgrep -u tq-a -f '^sleep 402' | head -n 1)
like "$(cat /proc/$kept/cgroup 2>/dev/null)" "^0::/tenant.slice/user-$A/session-" "on_logout = keep: the survivor stays in its session cgroup, under the user's limits"

# ---- a limit that cannot be applied is a failure ----
tenant_config '[default]' 'on_logout = keep' '[user tq-e]' 'io.max = 259:99 rbps=1M'
mark=$(syslog_mark)
out=$(ssh_as tq-e 'echo LOGGED-IN' 2>&1)
ok "$([[ ! $out =~ LOGGED-IN ]]; echo $?)" "an io.max that cannot be written (no such device) denies the login"
syslog_wait 5 "$mark" "denied session for tq-e .*io.max"
ok $? "... and syslog names io.max"

# ---- 50 parallel logins of one user: one tenant, zero failures ----
keep_alive tq-d
D=$(user_uid tq-d)
# 50 helpers queue on tq-d's lock; under TCG that can take longer than the
# module's default 10 s deadline, which is about latency, not this test.
tenant_stack "$T/stack" timeout=60
cp "$T/stack" "/etc/pam.d/$SSHD_PAM_SERVICE"
pids=()
mark=$(syslog_mark)
# 50 key exchanges at once take a while under TCG: generous client timeouts
for i in $(seq 50); do
	E2E_CONNECT_TIMEOUT=240 SSH_TIMEOUT=300 \
	    ssh_as tq-d 'readlink /proc/self/ns/mnt' >"$T/storm.$i" 2>&1 &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
is "$fails" "0" "50 parallel logins of one user: zero failures" ||
    cat "$T"/storm.* | sort | uniq -c | diag
is "$(cat "$T"/storm.* | sort -u | wc -l)" "1" "... all in one mount namespace"
fast=$(syslog_since "$mark" | grep -c "tq-d .*(joined by its keeper)")
ok "$([ "$fast" -ge 1 ]; echo $?)" "... $fast of them joined by the keeper (limits applied, no helper)"
is "$(ls -d $CG/user-$D 2>/dev/null | wc -l)" "1" "... one tenant cgroup"
wait_until 20 eval "[ \$(ls -d $CG/user-$D/session-* | wc -l) -eq 1 ]"
ok $? "... whose session leaves go away with their sessions"

# ---- logins racing the teardown of the user's last session ----
# The keeper holds the uid lock until the user's cgroup is killed and
# removed: a login in that gap must neither lose its leaf nor be killed
# with the old tenant, so each one checks it still sits in its own leaf.
pkill -u tq-d -x sleep
D=$(user_uid tq-d)
fails=0 misplaced=0
in_leaf='sleep 0.3; cat /proc/self/cgroup'
leaf_re="^0::/tenant.slice/user-$D/session-[0-9a-f]{32}\$"
for i in $(seq 20); do
	ssh_as tq-d "$in_leaf" >"$T/race.$i.a" 2>&1 || fails=$((fails + 1))
	ssh_as tq-d "$in_leaf" >"$T/race.$i.b" 2>&1 &
	sleep 0.$((RANDOM % 5))
	ssh_as tq-d "$in_leaf" >"$T/race.$i.c" 2>&1 || fails=$((fails + 1))
	wait $! || fails=$((fails + 1))
	for f in "$T/race.$i".?; do
		grep -Eq "$leaf_re" "$f" || { misplaced=$((misplaced + 1)); sed 's/^/  > /' "$f" | diag; }
	done
done
is "$fails" "0" "60 logins racing teardowns of the same user: none failed"
is "$misplaced" "0" "... and each one's process stayed in its own session leaf"

# ---- the end ----
for u in tq-a tq-b tq-c tq-d; do pkill -u "$u" -x sleep; done
wait_no_tenants 30
ok $? "all tenants end"
wait_until 10 eval "[ -z \"\$(ls -d $CG/user-* 2>/dev/null)\" ]"
ok $? "no tenant cgroup remains ($(ls $CG | grep user- | tr '\n' ' '))"
done_testing
