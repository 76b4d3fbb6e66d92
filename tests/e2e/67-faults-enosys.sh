#!/bin/bash
# F24 (docs/testing.md, "Fault catalogue"; security catalogue #69, rule
# R18): kernel features absent.  Root's `su - USER` runs under a seccomp
# filter (build/tests/enosys-shim) that makes one system call fail with
# ENOSYS, as an older kernel or a container's policy would; the filter
# is inherited by the module, the helper, the keeper and tenant-init.
# Each call has one expected outcome, so that a change is seen:
#   isolated  the session's view is the same as without the filter
#             (namespaces, tenant-init, bounding set, no_new_privs, the
#             private mounts), and its logout leaves nothing;
#   refused   nothing runs as the user, the user is told, and syslog
#             names the call and its ENOSYS ("Function not implemented"),
#             or where no errno can travel (the module's child before
#             the exec) the step and the call.
# Every case: no hang, root's su works under the same filter, and nothing
# is left behind.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd su
test_bin SHIM enosys-shim
tmpdir_create
start_syslog
make_user tu-nosys
tenant_config '[default]' 'isolate = yes' 'on_logout = kill'
su_with_tenant timeout=6
wait_no_tenants 10 || bail_out "a tenant of an earlier test is still running"
fault_baseline

# The lines of the probe that must not change with a fallback.
VIEW='^(uid|capbnd|nnp|pid1|mnt_tmp|mnt_vartmp|mnt_shm|mnt_mqueue|mnt_proc)='
view() { grep -E "$VIEW" <<<"$1"; }
base=$(su - tu-nosys -c "$PROBE" 2>&1)
like "$base" 'pid1=tenant-init' "without a filter, tu-nosys's su is isolated"
wait_no_tenants 10
ok $? "... and its logout leaves no tenant"
base_view=$(view "$base")

# A call, what a login does without it, and what syslog says then.
ENOSYS='Function not implemented'
CASES=(
	"openat2 refused openat2: $ENOSYS"
	"close_range refused setting up its fds failed in the module's child: close_range"
	"pidfd_open refused pidfd_open: $ENOSYS"
	"pidfd_send_signal refused pidfd_send_signal: $ENOSYS"
	"clone3 isolated"
	"open_tree refused open_tree: $ENOSYS"
	"move_mount refused move_mount: $ENOSYS"
	"fsopen refused fsopen: $ENOSYS"
	"fsconfig refused fsconfig: $ENOSYS"
	"fsmount refused fsmount: $ENOSYS"
	"mount_setattr refused mount_setattr: $ENOSYS"
)
for c in "${CASES[@]}"; do
	read -r call want says <<<"$c"
	like "$("$SHIM" "$call" su -c 'echo root-ok' 2>&1)" '^root-ok$' "$call: root's su works without it"
	smark=$(syslog_mark)
	t0=$(date +%s%N)
	out=$("$SHIM" "$call" su - tu-nosys -c "$PROBE" 2>&1)
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	ok "$([ "$ms" -lt 8000 ]; echo $?)" "$call: the login ends within its deadline + 2 s ($ms ms)"
	if [ "$want" = isolated ]; then
		is "$rc" 0 "$call: without it, tu-nosys's su is isolated"
		is "$(view "$out")" "$base_view" "... with the same view as with it"
		unlike "$(grep '^ns_mnt=' <<<"$out")" "$(host_ns mnt)" "... in a mount namespace of its own"
	else
		ok "$([ "$rc" != 0 ]; echo $?)" "$call: without it, tu-nosys's su is refused (rc $rc)"
		unlike "$out" '^uid=' "... and runs nothing"
		like "$out" 'pam_tenant: login refused' "... the user is told"
		syslog_wait 5 "$smark" "pam_tenant.*$says"
		r=$?
		diag "$call: $(syslog_since "$smark" | grep -o 'pam_tenant.*' | tail -n 1)"
		ok "$r" "... syslog says why: $says"
	fi
	wait_no_tenants 10
	ok $? "$call: no keeper or tenant state left"
	ok "$(! pgrep -u tu-nosys >/dev/null; echo $?)" "... no process of tu-nosys left"
	is "$(wc -l </proc/1/mountinfo)" "$_FAULT_MOUNTS" "... no host mount added"
done

# After: without a filter, the next login is isolated as before.
like "$(view "$(su - tu-nosys -c "$PROBE" 2>&1)")" "$(head -n 1 <<<"$base_view")" \
    "after all: tu-nosys's su works"
wait_no_tenants 10
ok $? "... and nothing is left"
host_settle fault-baseline after-enosys 10
host_compare fault-baseline after-enosys "after all: mounts, /run/pam_tenant and processes as before"
done_testing
