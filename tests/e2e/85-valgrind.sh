#!/bin/bash
# memcheck over tenant-helper, a keeper's lifetime and tenantctl: no
# errors, no definite leaks.  The test build's module runs the helper
# through build/tests/valgrind-helper (helper=PATH: TN_TESTING builds
# only), which runs build/e2e/tenant-helper under valgrind; its forks, the
# keeper and tenant-init, stay under it.  Each process logs to
# VG_LOG_DIR/vg.PID, and an error or a definite leak also makes it exit 99
# (--error-exitcode), which the module sees as a failed helper.
#
# Debian 12's valgrind (3.19) answers ENOSYS for pidfd_open and the mount
# API (fsopen, open_tree, mount_setattr, move_mount), without which no
# tenant can start: there the isolated login and the keeper's lifetime are
# skipped (each assertion says why), and memcheck covers the helper's
# exempt and degraded paths and tenantctl against a live tenant.  The
# sanitizer build covers the keeper's lifetime (make check-asan).
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd valgrind perl sshd ssh
test_bin VG_WRAPPER valgrind-helper
[ -f "$E2E_ROOT/build/test/pam_tenant.so" ] || bail_out "build/test/pam_tenant.so is not built"
# the directory valgrind-helper was built with (Makefile VG_LOG_DIR)
VG_LOGS=$(strings "$VG_WRAPPER" | sed -n 's|^--log-file=\(/.*\)/vg\.%p$|\1|p' | head -n 1)
[ -n "$VG_LOGS" ] || bail_out "no --log-file= in $VG_WRAPPER"
tmpdir_create
start_syslog
start_auditd
make_user tu-vg
uid=$(user_uid tu-vg)

rm -rf -- "$VG_LOGS"
install -d -m 0700 "$VG_LOGS"
on_exit "rm -rf -- $(_e2e_q "$VG_LOGS")"
VG_MODULE=$(dirname "$TENANT_MODULE")/pam_tenant-test.so
install -m 0644 "$E2E_ROOT/build/test/pam_tenant.so" "$VG_MODULE"

# vg_logs_clean WHAT [MIN]: at least MIN (1) memcheck logs, each clean: a
# process that ended says "ERROR SUMMARY: 0 errors" (definite leaks count
# as errors here); one killed (tenant-init) printed no error stack.  The
# logs are removed afterwards.
vg_logs_clean() {
	local f n=0 bad=0
	for f in "$VG_LOGS"/vg.*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		if grep -q 'ERROR SUMMARY:' "$f"; then
			grep -q 'ERROR SUMMARY: 0 errors' "$f" && continue
		elif ! grep -qE '^==[0-9]+== +(at|by) 0x' "$f"; then
			continue
		fi
		bad=$((bad + 1))
		diag "memcheck: $f:"
		grep -vE '^--[0-9]+-- ' "$f" | tail -n 60 | diag
	done
	ok "$([ "$n" -ge "${2:-1}" ] && [ "$bad" = 0 ]; echo $?)" \
	    "$1: memcheck found no error and no definite leak ($n process(es), $bad not clean)"
	rm -f -- "$VG_LOGS"/vg.*
}

# vg_ctl ARGS...: tenantctl ARGS under memcheck; its log must be clean.
vg_ctl() {
	valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
	    --errors-for-leak-kinds=definite --track-origins=yes \
	    --log-file="$VG_LOGS/vg.%p" "$TENANTCTL" "$@"
}

# Does this valgrind know the system calls a tenant's start needs?
# (ENOSYS is 38; the bogus arguments fail natively with EBADF or EFAULT.)
vg_syscalls=$(valgrind -q --log-file=/dev/null perl -e '
	my %n = (pidfd_open => 434, pidfd_send_signal => 424, open_tree => 428,
	    move_mount => 429, fsopen => 430, fsconfig => 431, fsmount => 432,
	    mount_setattr => 442);
	for my $k (sort keys %n) { $! = 0; syscall($n{$k}, -1, 0, 0, 0, 0);
	    print "$k " if $! + 0 == 38 }')
vg_version=$(valgrind --version)
[ -z "$vg_syscalls" ] || diag "$vg_version answers ENOSYS for: $vg_syscalls"

pam_stack "$T/stack" "session required $VG_MODULE helper=$VG_WRAPPER timeout=60 ignore_config_error"
start_sshd "$T/stack"
wait_no_tenants 10

# 1. An exempt login: config, policy, identity and the reply.
tenant_config '[default]' 'isolate = no'
out=$(SSH_TIMEOUT=90 ssh_as tu-vg 'readlink /proc/self/ns/mnt')
is "$out" "$(host_ns mnt)" "isolate = no: the login runs on the host (helper under memcheck)"
vg_logs_clean "exempt login"

# 2. A broken config with ignore_config_error: the degraded path, audited.
tenant_config '[default]' 'isolate = maybe'
out=$(SSH_TIMEOUT=90 ssh_as tu-vg 'echo in')
is "$out" "in" "a config error with ignore_config_error lets the login in (helper under memcheck)"
vg_logs_clean "degraded login"

# 3. An isolated login: the helper starts the keeper and tenant-init, a
# second login joins, both end, the tenant ends.
tenant_config '[default]' 'isolate = yes' 'on_logout = kill'
if [ -z "$vg_syscalls" ]; then
	out=$(SSH_TIMEOUT=120 ssh_as tu-vg 'cat /proc/1/comm; echo cookie=$TENANT_SESSION')
	like "$out" 'tenant-init' "an isolated login with helper, keeper and init under memcheck"
	out=$(SSH_TIMEOUT=120 ssh_as tu-vg 'cat /proc/1/comm')
	like "$out" 'tenant-init' "... a second login joins through the keeper under memcheck"
	wait_no_tenants 60
	ok $? "... and the tenant ends"
	vg_logs_clean "helper, keeper and tenant-init lifetime" 3
else
	why="$vg_version answers ENOSYS for $vg_syscalls"
	skip "$why" "an isolated login with helper, keeper and init under memcheck"
	skip "$why" "... a second login joins through the keeper under memcheck"
	skip "$why" "... and the tenant ends"
	skip "$why" "helper, keeper and tenant-init lifetime: no error, no definite leak"
	rm -f -- "$VG_LOGS"/vg.*
fi

# 4. tenantctl against a live tenant started by the ordinary helper.
tenant_config '[default]' 'isolate = yes' 'on_logout = keep' '[user tu-vg]' 'tmp.size = 64M'
tenant_stack "$T/stack-plain"
start_sshd "$T/stack-plain"
ssh_bg_as tu-vg 'exec sleep 120'
wait_until 15 test -S "/run/pam_tenant/tenants/user-$uid/keeper.sock"
ok $? "a tenant of tu-vg runs (ordinary helper)"
out=$(vg_ctl check 2>&1)
ok $? "tenantctl check under memcheck"
out=$(vg_ctl explain tu-vg --service "$SSHD_PAM_SERVICE" 2>&1)
like "$out" 'tmp.size += 64M' "tenantctl explain under memcheck"
out=$(vg_ctl list 2>&1)
like "$out" 'tu-vg' "tenantctl list under memcheck"
out=$(vg_ctl status tu-vg --json 2>&1)
like "$out" '"sessions":1' "tenantctl status --json under memcheck"
vg_ctl terminate tu-vg >/dev/null 2>&1
ok $? "tenantctl terminate under memcheck"
wait_no_tenants 15
ok $? "... and the tenant ends"
vg_logs_clean "tenantctl check, explain, list, status, terminate" 5
done_testing
