#!/bin/bash
# F7 (docs/testing.md, "Fault catalogue"): the configuration cannot be
# read: EIO, as from a failing disk, injected by strace into the helper's
# read(2) of tenant.conf or of a drop-in (strace -P: that file only),
# while root's `su - USER` logs in.  (Directory, FIFO and churn: e2e 54;
# EACCES: VM 26.)  Fail closed: the login is refused, the user is told
# the policy has an error, syslog names the file and the errno, audit has
# tenant-deny; with the module's ignore_config_error the login goes on
# unisolated and audited as tenant-degrade.  Root's su works and nothing
# is left.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd su strace
tmpdir_create
start_syslog
start_auditd
make_user tu-eio
U=$(user_uid tu-eio)
tenant_config '[default]' 'isolate = yes' 'on_logout = kill'
mkdir -p "$TENANT_ETC/tenant.d"
printf '[user tu-eio]\nsessions.max = 128\n' >"$TENANT_ETC/tenant.d/10-eio.conf"
chmod 0644 "$TENANT_ETC/tenant.d/10-eio.conf"
su_with_tenant timeout=6
wait_no_tenants 10 || bail_out "a tenant of an earlier test is still running"
fault_baseline
HOST_MNT=$(host_ns mnt)

# su_eio SYSCALL FILE: root's su - tu-eio with SYSCALL failing with EIO on
# FILE (strace -P: that path only), printing the session's mount ns.
su_eio() {
	timeout -k 5 30 strace -f -qq -o /dev/null -P "$2" -e trace="$1" \
	    -e inject="$1":error=EIO "${_E2E_SAN_ENV[@]}" su - tu-eio -c 'readlink /proc/self/ns/mnt' 2>&1
}

like "$(su - tu-eio -c 'cat /proc/1/comm' 2>&1)" '^tenant-init$' "without a fault, tu-eio's su is isolated"
wait_no_tenants 10

for c in "read $TENANT_ETC/tenant.conf" "read $TENANT_ETC/tenant.d/10-eio.conf"; do
	read -r call file <<<"$c"
	what="EIO on $call of $(basename "$file")"
	smark=$(syslog_mark)
	amark=$(audit_mark)
	out=$(su_eio "$call" "$file")
	unlike "$out" "mnt:" "$what: the login is refused (nothing runs)"
	like "$out" 'login refused: the session isolation policy has an error' "... the user is told the policy has an error"
	syslog_wait 5 "$smark" "denied session for tu-eio .*configuration error: .*$(basename "$file"): Input/output error"
	ok $? "... syslog names the file and the error"
	diag "$(syslog_since "$smark" | grep -o 'pam_tenant.*denied.*' | tail -n 1)"
	if [ "${AUDIT_AVAILABLE:-0}" = 1 ]; then
		audit_wait 5 "$amark" "op=tenant-deny id=$U .*Input/output error"
		ok $? "... audited as tenant-deny"
	else
		skip "no kernel audit here" "... audited as tenant-deny"
	fi
	like "$(timeout -k 5 30 strace -f -qq -o /dev/null -P "$file" -e trace="$call" \
	    -e inject="$call":error=EIO "${_E2E_SAN_ENV[@]}" su -c 'echo root-ok' 2>&1)" \
	    '^root-ok$' "... root's su under the same fault works"
	wait_no_tenants 10
	ok $? "... nothing left"
done

# The admin chose availability over isolation for config errors.
sed -i 's#^\(session required .*/pam_tenant\.so.*\)$#\1 ignore_config_error#' /etc/pam.d/su
amark=$(audit_mark)
out=$(su_eio read "$TENANT_ETC/tenant.conf")
is "$out" "$HOST_MNT" "ignore_config_error: EIO on the config lets the login in, unisolated"
if [ "${AUDIT_AVAILABLE:-0}" = 1 ]; then
	audit_wait 5 "$amark" "op=tenant-degrade id=$U .*Input/output error"
	ok $? "... audited as tenant-degrade"
else
	skip "no kernel audit here" "... audited as tenant-degrade"
fi
wait_no_tenants 10
ok $? "... and no tenant was made"

# After: without the fault, the next login is isolated; nothing leaked.
like "$(su - tu-eio -c 'cat /proc/1/comm' 2>&1)" '^tenant-init$' "after: tu-eio's su is isolated again"
wait_no_tenants 10
ok $? "... and nothing is left"
is "$(wc -l </proc/1/mountinfo)" "$_FAULT_MOUNTS" "after: no host mount added"
host_settle fault-baseline after-eio 10
host_compare fault-baseline after-eio "after: mounts, /run/pam_tenant and processes as before"
done_testing
