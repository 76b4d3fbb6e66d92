#!/bin/bash
# F29 (docs/testing.md, "Fault catalogue"; security catalogue #61): a user
# deleted while their session runs, and their uid given to a new account.
# The session's end needs no lookup of the user (the keeper has the uid
# and the cookie from the open): the tenant ends cleanly and is audited.
# The new account with the same uid then gets a fresh tenant (another
# keeper, an empty private /tmp), nothing of the old one.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh userdel
tmpdir_create
start_syslog
start_auditd
make_user tu-gone
uid=$(user_uid tu-gone)
on_exit "rm -rf -- $(_e2e_q "$(user_home tu-gone)")" # userdel below keeps it
tenant_config '[default]' 'isolate = yes' 'on_logout = kill'
tenant_stack "$T/stack"
start_sshd "$T/stack"
su_with_tenant
wait_no_tenants 10 || bail_out "a tenant of an earlier test is still running"
host_snapshot before
info=/run/pam_tenant/tenants/user-$uid/info

# 1. A session of tu-gone leaves a file in its private /tmp.
ssh_bg_as tu-gone 'echo left-behind >/tmp/tu-gone-file && exec sleep 600'
held=$SSH_BG_PID
wait_until 20 grep -q '^keeper_pid ' "$info"
ok $? "tu-gone's session runs in a tenant"
old_keeper=$(sed -n 's/^keeper_pid //p' "$info" 2>/dev/null)

# 2. userdel while it runs: the session goes on.
out=$(userdel -f tu-gone 2>&1)
ok $? "userdel -f tu-gone while the session runs${out:+ ($out)}"
is "$(user_uid tu-gone)" "" "... the name no longer resolves"
sleep 1
_e2e_alive "$held"
ok $? "... and the session goes on"

# 3. Its end: a clean teardown, audited, without a lookup of the user.
amark=$(audit_mark)
smark=$(syslog_mark)
_e2e_stop_pid "$held" 5
wait_no_tenants 10
ok $? "the deleted user's logout ends the tenant within 10 s"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 5 "$amark" "op=tenant-end id=$uid .*res=success"
	ok $? "... audited as tenant-end id=$uid res=success"
else
	skip "no kernel audit here" "tenant-end audited"
fi
bad=$(syslog_since_mark "$smark" | grep -E 'pam_tenant.*(unknown user|No such user|error)' | head -n 3)
is "$bad" "" "... and no lookup error in syslog"
host_settle before after-gone 10
host_compare before after-gone "... nothing left: mounts, /run/pam_tenant, processes"

# 4. The uid goes to a new account: a fresh tenant, nothing inherited.
make_user tu-reuse -u "$uid"
is "$(user_uid tu-reuse)" "$uid" "tu-reuse has tu-gone's old uid $uid"
out=$(ssh_as tu-reuse 'cat /proc/1/comm; echo tmp=$(ls -A /tmp | tr "\n" " ")' 2>&1)
like "$out" '^tenant-init' "tu-reuse's login is isolated"
like "$out" 'tmp= *$' "... in an empty private /tmp (no tu-gone-file)"
ssh_bg_as tu-reuse 'exec sleep 600'
held=$SSH_BG_PID
wait_until 20 grep -q '^keeper_pid ' "$info"
new_keeper=$(sed -n 's/^keeper_pid //p' "$info" 2>/dev/null)
[ -n "$new_keeper" ] && [ "$new_keeper" != "$old_keeper" ]
ok $? "... served by a new keeper ($old_keeper, then ${new_keeper:-none})"
_e2e_stop_pid "$held" 5
wait_no_tenants 10
ok $? "tu-reuse's logout ends its tenant"
is "$(su - -c 'echo root-ok' 2>&1)" "root-ok" "root's su works"
host_settle before after-reuse 10
host_compare before after-reuse "nothing left: mounts, /run/pam_tenant, processes"
done_testing
