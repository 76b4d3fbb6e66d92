#!/bin/bash
# F23 (docs/testing.md, "Fault catalogue"): the NSS backend is slow or
# down.  A real glibc NSS module (build/tests/libnss_tnslow.so.2, added
# after "files" on the passwd line of /etc/nsswitch.conf for the length
# of the test) knows the user tu-nss, answers the login program at once,
# and is slow or failing for tenant-helper only, as sssd or nslcd can be
# between the login program's lookup and the helper's.  A slow answer
# within the deadline gives an isolated login; past the deadline the
# login is refused at the deadline, not later; a backend that is down,
# busy or has lost the user refuses the login (never "unknown user, so
# no rules apply"), and says why.  Users in the local files and root are
# not affected.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
test_bin DRIVER pam-fault-driver
test_bin NSS_SO libnss_tnslow.so.2
LIBDIR=/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
CONTROL=/run/pam_tenant-e2e-nss-tnslow # compiled into the NSS module
[ -d "$LIBDIR" ] || bail_out "no $LIBDIR"
[ -e "$LIBDIR/libnss_tnslow.so.2" ] && bail_out "$LIBDIR/libnss_tnslow.so.2 exists: left by an earlier run?"
getent passwd tu-nss >/dev/null && bail_out "a user tu-nss exists already"
tmpdir_create
start_syslog
start_auditd
make_user tu-nss-files
tenant_config '[default]' 'isolate = yes' 'scope = user' 'on_logout = kill'
install -d -m 0755 "$T/pam.d"
printf 'session required %s timeout=6\nsession optional pam_permit.so\n' "$TENANT_MODULE" >"$T/pam.d/tenant-nss"
cp "$T/pam.d/tenant-nss" "$T/pam.d/other"
[ -d /run/pam_tenant ] || install -d -m 0700 /run/pam_tenant
wait_no_tenants 10 || bail_out "a tenant of an earlier test is still running"

# The backend, in place until the test ends (however it ends).
cp -p /etc/nsswitch.conf "$T/nsswitch.conf.orig"
on_exit "cp -p '$T/nsswitch.conf.orig' /etc/nsswitch.conf; rm -f '$LIBDIR/libnss_tnslow.so.2' '$CONTROL'"
install -m 0644 "$NSS_SO" "$LIBDIR/libnss_tnslow.so.2"
sed -i 's/^\(passwd:.*\)$/\1 tnslow/' /etc/nsswitch.conf
backend() { # backend DELAY_MS MODE
	printf '%s %s\n' "$1" "$2" >"$CONTROL.new" && mv -f "$CONTROL.new" "$CONTROL"
}
backend 0 ok
is "$(getent passwd tu-nss)" "tu-nss::64990:64990::/:/bin/sh" "the NSS backend knows tu-nss"
fault_baseline
OK_ISOLATED='^open=0 close=0 mnt=other fd_delta=0$'
REFUSED='^open=[1-9][0-9]* close=-1 mnt=same fd_delta=0$'

# drive USER: one PAM cycle; its output in OUT, its time in MS, the
# messages to the user in $T/msgs (emptied first).
drive() {
	local t0
	: >"$T/msgs"
	t0=$(date +%s%N)
	OUT=$(timeout -k 5 30 "$DRIVER" -c "$T/pam.d" -m "$T/msgs" tenant-nss "$1" 2>&1)
	MS=$((($(date +%s%N) - t0) / 1000000))
	printf '%s\n' "$OUT"
}

drive tu-nss >/dev/null
like "$OUT" "$OK_ISOLATED" "backend answers at once: tu-nss's login is isolated"
wait_no_tenants 10

backend 1500 ok
drive tu-nss >/dev/null
like "$OUT" "$OK_ISOLATED" "backend answers the helper in 1.5 s: the login is isolated"
ok "$([ "$MS" -ge 1500 ]; echo $?)" "... after the backend's delay ($MS ms)"
wait_no_tenants 10

backend 20000 ok
smark=$(syslog_mark)
drive tu-nss >/dev/null
like "$OUT" "$REFUSED" "backend answers the helper in 20 s: the login is refused"
ok "$([ "$MS" -ge 5000 ] && [ "$MS" -le 8000 ]; echo $?)" "... at the 6 s deadline, not after the backend ($MS ms)"
like "$(cat "$T/msgs")" 'pam_tenant: login refused' "... the user is told"
syslog_wait 5 "$smark" 'pam_tenant.*denied session for tu-nss.*helper did not finish within 6 s and was killed'
r=$?
diag "20 s: $(syslog_since "$smark" | grep -o 'pam_tenant.*' | tail -n 2)"
ok "$r" "... syslog says the helper ran out of time"
wait_until 5 eval '[ -z "$(helper_pids)" ]'
ok $? "... and no helper is left waiting on the backend"

declare -A SAYS=([unavail]='the user database is unavailable'
	[tryagain]='looking up uid 64990: Resource temporarily unavailable'
	[notfound]='no such user: uid 64990')
for mode in unavail tryagain notfound; do
	backend 0 "$mode"
	smark=$(syslog_mark)
	amark=$(audit_mark)
	drive tu-nss >/dev/null
	like "$OUT" "$REFUSED" "backend $mode for the helper: the login is refused, not let through"
	ok "$([ "$MS" -le 3000 ]; echo $?)" "... at once ($MS ms)"
	like "$(cat "$T/msgs")" 'your account could not be looked up' "... the user is told why"
	syslog_wait 5 "$smark" "pam_tenant.*denied session for tu-nss.*${SAYS[$mode]}"
	ok $? "... syslog says why: ${SAYS[$mode]}"
	diag "$mode: $(syslog_since "$smark" | grep -o 'pam_tenant.*denied.*' | tail -n 1)"
	if [ "${AUDIT_AVAILABLE:-0}" = 1 ]; then
		audit_wait 5 "$amark" 'op=tenant-deny .*acct="tu-nss"'
		ok $? "... audited as tenant-deny"
	else
		skip "no kernel audit here" "... audited as tenant-deny"
	fi
	like "$(drive tu-nss-files)" "$OK_ISOLATED" "... while a user of the local files is isolated"
	like "$(drive root)" '^open=0 close=0 mnt=same fd_delta=0$' "... and root's login works"
	wait_no_tenants 10
	ok $? "... nothing left"
done

# A group backend down: getgrouplist() just leaves its groups out, so
# the [group] sections that depend on it must not quietly stop applying.
# Here [default] exempts everyone and [group tu-nss-grp] (a group only
# the backend knows, with the local user tu-nss-files in it) isolates.
sed -i 's/^\(group:.*\)$/\1 tnslow/' /etc/nsswitch.conf
tenant_config '[default]' 'isolate = no' 'scope = user' 'on_logout = kill' \
    '[group tu-nss-grp]' 'isolate = yes'
backend 0 ok
like "$(id -nG tu-nss-files)" 'tu-nss-grp' "the group backend puts tu-nss-files in tu-nss-grp"
drive tu-nss-files >/dev/null
like "$OUT" "$OK_ISOLATED" "group backend up: [group tu-nss-grp] isolates tu-nss-files"
wait_no_tenants 10
backend 0 unavail
smark=$(syslog_mark)
drive tu-nss-files >/dev/null
like "$OUT" "$REFUSED" "group backend down for the helper: refused, not let in by [default] isolate = no"
syslog_wait 5 "$smark" "pam_tenant.*denied session for tu-nss-files.*looking up group 'tu-nss-grp': the group database is unavailable"
ok $? "... syslog names the group and the database"
like "$(drive root)" '^open=0 close=0 mnt=same fd_delta=0$' "... and root's login works"
wait_no_tenants 10
backend 0 ok
tenant_config '[default]' 'isolate = yes' 'scope = user' 'on_logout = kill'

# After: the backend answers again; the next login works, nothing leaked.
backend 0 ok
after_fault "NSS backend slow or down" nss tu-nss drive
done_testing
