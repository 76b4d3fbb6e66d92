#!/bin/bash
# Audit faults (docs/testing.md, "Fault catalogue": F21): audit disabled
# in the kernel (auditctl -e 0), and the audit daemon stopped with its
# kernel backlog full.  Either way a login is isolated within its deadline
# and says so in syslog; pam_tenant waits for no audit answer (the kernel's
# own hold on a sender is bounded by backlog_wait_time, below).  After each:
# the next login of the user and of root works, nothing is left.
# The login program is build/tests/pam-fault-driver with a stack of
# pam_tenant alone (no pam_loginuid, whose kernel record would wait on a
# full backlog whatever pam_tenant does).  Needs an audit daemon this
# test starts itself: it stops it, and never touches one it did not start.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd auditctl auditd
test_bin DRIVER pam-fault-driver
tmpdir_create
start_syslog
before=$(_e2e_audit_pid)
start_auditd
[ "$AUDIT_AVAILABLE" = 1 ] || skip_all "no kernel audit here"
[ "${before:-0}" = 0 ] || skip_all "an audit daemon this test did not start runs (pid $before)"
auditd_pid=$(_e2e_audit_pid)
make_user tu-aud
uid=$(user_uid tu-aud)
tenant_config '[default]' 'isolate = yes'
install -d -m 0755 "$T/pam.d"
printf 'session required %s timeout=4\nsession optional pam_permit.so\n' "$TENANT_MODULE" >"$T/pam.d/tenant-fault"
cp "$T/pam.d/tenant-fault" "$T/pam.d/other"
wait_no_tenants 10 || bail_out "a tenant of an earlier test is still running"

drive() {
	timeout -k 5 30 "$DRIVER" -c "$T/pam.d" tenant-fault "$1" 2>&1
}
OK_ISOLATED='^open=0 close=0 mnt=other fd_delta=0$'
fault_baseline

# timed_login DESC: one cycle of tu-aud; isolated, within the 4 s deadline + 1 s, logged.
timed_login() {
	local t0 ms out mark
	mark=$(syslog_mark)
	t0=$(date +%s%N)
	out=$(drive tu-aud)
	ms=$((($(date +%s%N) - t0) / 1000000))
	like "$out" "$OK_ISOLATED" "$1: the login is isolated"
	ok "$([ "$ms" -le 5000 ]; echo $?)" "$1: ... within the deadline + 1 s ($ms ms)"
	syslog_wait 5 "$mark" "session of tu-aud \\(uid $uid\\) isolated in tenant user-$uid"
	ok $? "$1: ... and syslog says so"
}

# ---- audit disabled in the kernel ----
prev_enabled=$(auditctl -s | awk '$1 == "enabled" { print $2 }')
[ "$prev_enabled" != 2 ] || skip_all "audit configuration is locked (enabled 2)"
on_exit "auditctl -e $prev_enabled >/dev/null"
auditctl -e 0 >/dev/null
timed_login "auditctl -e 0"
auditctl -e 1 >/dev/null
after_fault "audit disabled" disabled tu-aud drive

# ---- the audit daemon stopped, its backlog full ----
prev_limit=$(auditctl -s | awk '$1 == "backlog_limit" { print $2 }')
prev_wait=$(auditctl -s | awk '$1 == "backlog_wait_time" { print $2 }')
on_exit "auditctl -b $prev_limit --backlog_wait_time $prev_wait >/dev/null"
on_exit "kill -CONT $auditd_pid 2>/dev/null; true"
# The kernel holds whoever sends an audit message while the backlog is
# over its limit, in an uninterruptible sleep, until kauditd drains it or
# backlog_wait_time (jiffies) runs out: libpam, pam_loginuid and our
# helper alike, and no deadline can cut that short.  When kauditd stops
# draining, that is the whole wait (a CI run with 60000, 240 s at HZ=250,
# held a login 28 s, until auditd went on; other runs took 1.7 s).
# So the wait is kept short, 100 jiffies (0.1-1 s): what is tested is that
# the login copes with audit sends that stall, not a kernel wait longer
# than its deadline.
auditctl -b 8 --backlog_wait_time 100 >/dev/null
kill -STOP "$auditd_pid"
# fill_backlog N: N AUDIT_USER messages straight over netlink, no ACK
# wanted (auditctl -m forks a process per message: far too slow).
fill_backlog() {
	perl -e '
		socket(my $s, 16, 3, 9) or die "netlink: $!\n"; # PF_NETLINK, SOCK_RAW, NETLINK_AUDIT
		my $dst = pack("S S L L", 16, 0, 0, 0);
		for my $i (1 .. $ARGV[0]) {
			my $p = "e2e-fill-backlog\0";
			send($s, pack("L S S L L", 16 + length($p), 1005, 1, $i, 0) . $p, 0, $dst) or last;
		}' "$1"
}
lost0=$(auditctl -s | awk '$1 == "lost" { print $2 }')
# ~470 fill auditd's socket buffer and the backlog; each one past that
# is dropped (slowly: ~60 ms each here), so send only a few more
fill_backlog 520
lost1=$(auditctl -s | awk '$1 == "lost" { print $2 }')
ok "$([ "$lost1" -gt "$lost0" ]; echo $?)" "the backlog is full: the kernel drops records (lost $lost0 -> $lost1)"
timed_login "auditd stopped, backlog full"
# As under sshd with pam_loginuid: the login program has a login uid,
# which the keeper drops (a kernel AUDIT_LOGIN record, which may wait on
# a full backlog).
# (auditd is still stopped: the backlog stays full)
t0=$(date +%s%N)
out=$(timeout -k 5 30 bash -c 'echo "$1" >/proc/self/loginuid && exec "$2" -c "$3" tenant-fault tu-aud' _ "$uid" "$DRIVER" "$T/pam.d" 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
like "$out" "$OK_ISOLATED" "backlog full, login program with a login uid: the login is isolated"
ok "$([ "$ms" -le 5000 ]; echo $?)" "... within the deadline + 1 s ($ms ms)"
kill -CONT "$auditd_pid"
auditctl -b "$prev_limit" --backlog_wait_time "$prev_wait" >/dev/null
after_fault "auditd stopped, backlog full" backlog tu-aud drive

done_testing
