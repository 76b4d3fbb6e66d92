#!/bin/bash
# The fast join: while a user's tenant runs, their next login is served by
# its keeper without running tenant-helper — and still follows the current
# config, the user's current groups, per-service rules and a broken config
# exactly as the helper would (docs/architecture.md, decision 13).
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh su usermod groupadd
tmpdir_create
start_syslog
start_auditd
make_user tu-fast
uid=$(user_uid tu-fast)
groupadd tn-fast-grp 2>/dev/null
on_exit "groupdel tn-fast-grp 2>/dev/null"
tenant_config '[default]' 'scope = user' 'on_logout = keep'
tenant_stack "$T/stack"
start_sshd "$T/stack"
su_with_tenant
wait_no_tenants 10
isnt() { ok "$([ "$1" != "$2" ]; echo $?)" "$3"; }

ssh_bg_as tu-fast 'exec sleep 120'
on_exit "ssh_as tu-fast 'pkill -x sleep; true' >/dev/null 2>&1"
wait_until 10 test -S "/run/pam_tenant/tenants/user-$uid/keeper.sock"
ok $? "the first login started the tenant (through the helper)"
keeper=$($TENANTCTL status tu-fast --json | grep -o '"keeper_pid":[0-9]*' | cut -d: -f2)

# A joining login: the keeper answers, the helper does not run.
mark=$(syslog_mark)
amark=$(audit_mark)
out=$(ssh_as tu-fast 'readlink /proc/self/ns/mnt; echo cookie=$TENANT_SESSION; grep NoNewPrivs /proc/self/status')
cookie=$(printf '%s\n' "$out" | sed -n 's/^cookie=//p')
like "$out" 'cookie=[0-9a-f]{32}' "a joining login gets its own session cookie"
syslog_wait 5 "$mark" "joined by its keeper"
like "$(syslog_since "$mark")" "session of tu-fast \\(uid $uid\\) isolated in tenant user-$uid \\(joined by its keeper\\)" \
    "... and was joined by the keeper"
unlike_helper=$(syslog_since "$mark" | grep -c 'tenant-helper\[')
is "$unlike_helper" 0 "... without a line from tenant-helper"
audit_wait 5 "$amark" "op=tenant-isolate id=$uid tenant_session=$cookie acct=\"tu-fast\""
ok $? "... and the keeper audited the decision with the session cookie"
like "$out" 'NoNewPrivs:[[:space:]]+0' "... with no_new_privs off, as configured"
is "$($TENANTCTL status tu-fast --json | grep -o '"keeper_pid":[0-9]*' | cut -d: -f2)" "$keeper" \
    "... into the same keeper"

# The config changes under a live tenant: the next join follows it.
tenant_config '[default]' 'scope = user' 'on_logout = keep' 'no_new_privs = yes'
out=$(ssh_as tu-fast 'grep NoNewPrivs /proc/self/status')
like "$out" 'NoNewPrivs:[[:space:]]+1' "an edited config applies to the next joining login"

# A [group] rule: the keeper looks the user's groups up afresh.
tenant_config '[default]' 'scope = user' 'on_logout = keep' '[group tn-fast-grp]' 'no_new_privs = yes'
out=$(ssh_as tu-fast 'grep NoNewPrivs /proc/self/status')
like "$out" 'NoNewPrivs:[[:space:]]+0' "a [group] rule for a group the user is not in does not apply"
usermod -aG tn-fast-grp tu-fast
out=$(ssh_as tu-fast 'grep NoNewPrivs /proc/self/status')
like "$out" 'NoNewPrivs:[[:space:]]+1' "... and applies once the user joins that group"
gpasswd -d tu-fast tn-fast-grp >/dev/null

# A per-service exemption: the keeper leaves the decision to the helper.
tenant_config '[default]' 'scope = user' 'on_logout = keep' '[service su]' 'isolate = no'
via_su=$(cd / && su tu-fast -c 'readlink /proc/self/ns/mnt')
is "$via_su" "$(host_ns mnt)" "[service su] isolate = no: su stays on the host while the tenant runs"
out=$(ssh_as tu-fast 'readlink /proc/self/ns/mnt')
isnt "$out" "$(host_ns mnt)" "... while ssh still joins the tenant"

# A broken config: the join is refused with file:line, as by the helper.
tenant_config '[default]' 'scope = user' 'bogus key here'
mark=$(syslog_mark)
ssh_as tu-fast true
isnt $? 0 "a broken config refuses a joining login"
syslog_wait 5 "$mark" 'configuration error: .*tenant.conf:[0-9]+: '
ok $? "... naming file:line"
tenant_config '[default]' 'scope = user' 'on_logout = keep'
ssh_as tu-fast true
ok $? "... and logins work again once it is fixed"

# scope = session for this user now: a new login gets a tenant of its own.
tenant_config '[default]' 'scope = user' 'on_logout = keep' '[user tu-fast]' 'scope = session'
out=$(ssh_as tu-fast 'readlink /proc/self/ns/mnt; pgrep -x sleep || echo no-sleep')
like "$out" 'no-sleep' "scope changed to session: the next login is not joined to the running tenant"

tenant_config '[default]' 'scope = user' 'on_logout = keep'
ssh_as tu-fast 'pkill -x sleep'
wait "$SSH_BG_PID" 2>/dev/null
wait_no_tenants 15
ok $? "all tenants end after the last process"
done_testing
