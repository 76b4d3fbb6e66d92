#!/bin/bash
# A keeper that answers a fast join too late (fault injection: it sleeps
# before answering): the module gives up at half its deadline and asks
# tenant-helper under a new session cookie, so the login works; the session
# the keeper made for the abandoned cookie ends by hangup and is audited as
# such.  Also: fault injection exists in the e2e build and not in release.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh nm strings
tmpdir_create
start_syslog
start_auditd
make_user tu-slowk
uid=$(user_uid tu-slowk)
tenant_config '[default]' 'on_logout = keep'
tenant_stack "$T/stack" timeout=6
start_sshd "$T/stack"
wait_no_tenants 10
FAULTS=$E2E_BUILD/faults

# Fault injection: compiled into the e2e build, absent from the release.
rel=$E2E_ROOT/build/release
if [ -x "$rel/tenant-helper" ] && [ -f "$rel/pam_tenant.so" ]; then
	is "$(strings "$rel/tenant-helper" "$rel/pam_tenant.so" "$rel/tenantctl" | grep -c 'before-answer\|/faults\|fault_point')" 0 \
	    "release binaries contain no fault point names or fault directory"
	is "$(nm "$rel/tenant-helper" "$rel/tenantctl" 2>/dev/null | grep -c fault_point)" 0 \
	    "... and no fault_point symbol"
else
	skip "build/release not built" "release binaries contain no fault points"
	skip "build/release not built" "... and no fault_point symbol"
fi
ok "$([ "$(strings "$E2E_BUILD/tenant-helper" | grep -c keeper-open-before-answer)" -ge 1 ]; echo $?)" \
    "the e2e build has them (so the check above can see them)"

ssh_bg_as tu-slowk 'exec sleep 300'
wait_until 15 test -S "/run/pam_tenant/tenants/user-$uid/keeper.sock"
ok $? "a session holds the tenant"
tenant_mnt=$(ssh_as tu-slowk 'readlink /proc/self/ns/mnt')

install -d -m 0755 "$FAULTS"
on_exit "rm -rf '$FAULTS'"
printf 'sleep 4\n' >"$FAULTS/keeper-open-before-answer"
chmod 0644 "$FAULTS/keeper-open-before-answer"

mark=$(syslog_mark)
amark=$(audit_mark)
out=$(ssh_as tu-slowk 'echo cookie=$TENANT_SESSION; echo mnt=$(readlink /proc/self/ns/mnt)')
rc=$?
rm -f "$FAULTS/keeper-open-before-answer"
is "$rc" 0 "a login whose keeper answers after half the deadline still works"
cookie=$(printf '%s\n' "$out" | sed -n 's/^cookie=//p')
like "$cookie" '^[0-9a-f]{32}$' "... with a session cookie"
is "$(printf '%s\n' "$out" | sed -n 's/^mnt=//p')" "$tenant_mnt" "... in the running tenant"
syslog_wait 5 "$mark" "fault injection: keeper-open-before-answer: sleep 4"
ok $? "the fault was injected in the keeper"
line=$(syslog_since "$mark" | grep -m1 'no usable answer from the keeper')
like "$line" "session of tu-slowk \\(uid $uid\\): no usable answer from the keeper \\(.*\\); session [0-9a-f]{32} abandoned, asking tenant-helper under a new cookie" \
    "the module says it abandoned the keeper's answer"
abandoned=$(printf '%s\n' "$line" | sed -n 's/.*; session \([0-9a-f]\{32\}\) abandoned.*/\1/p')
ok "$([ -n "$abandoned" ] && [ "$abandoned" != "$cookie" ]; echo $?)" \
    "the helper's session has a cookie of its own ($cookie, not $abandoned)"
syslog_wait 10 "$mark" "session $abandoned of uid $uid ended \\(hangup\\)"
ok $? "the keeper ends the abandoned session by hangup"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 10 "$amark" "op=tenant-session-end id=$uid tenant_session=$abandoned .*reason=\"hangup\""
	ok $? "... and audits it as such (tenant-session-end, reason hangup)"
	audit_wait 10 "$amark" "op=tenant-isolate id=$uid tenant_session=$cookie "
	ok $? "the helper's session is audited under its own cookie"
else
	skip "kernel has no audit" "abandoned session audited"
	skip "kernel has no audit" "helper's session audited"
fi

mark=$(syslog_mark)
out=$(ssh_as tu-slowk 'echo cookie=$TENANT_SESSION')
like "$out" 'cookie=[0-9a-f]{32}' "without the fault the next login works"
syslog_wait 5 "$mark" "joined by its keeper"
ok $? "... through the fast join again"

ssh_as tu-slowk 'pkill -x sleep; true' >/dev/null 2>&1
wait_no_tenants 15
ok $? "nothing is left at the end"
done_testing
