#!/bin/bash
# su: root's `su - user` is isolated like any login; root itself never is;
# inside a tenant, su to yourself just works and su to anyone else is
# denied with a clear message, a syslog line and an audit record; root's
# working directory follows into the tenant only as a real directory.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd su expect
tmpdir_create
start_syslog
start_auditd
make_user tu-su-a
make_user tu-su-b
tenant_config '[default]' 'isolate = yes'
tenant_stack "$T/stack"
start_sshd "$T/stack"
su_with_tenant
wait_no_tenants 10

out=$(su - tu-su-a -c 'readlink /proc/self/ns/mnt; cat /proc/1/comm; echo cookie=$TENANT_SESSION')
ok "$([ "$(printf '%s\n' "$out" | head -n 1)" != "$(host_ns mnt)" ]; echo $?)" "root's su - tu-su-a lands in a fresh mount namespace"
like "$out" 'tenant-init' "... whose PID 1 is the tenant's init"
like "$out" 'cookie=[0-9a-f]{32}' "... with TENANT_SESSION set"
out=$(su - -c 'readlink /proc/self/ns/mnt; echo cookie=${TENANT_SESSION:-none}')
is "$out" "$(host_ns mnt)
cookie=none" "root's su - (to root) is never isolated"

pw_a=$(user_password tu-su-a)
pw_b=$(user_password tu-su-b)
su_expect() { # su_expect TARGET PASSWORD CMD: the expect script for an su inside a session
	printf '%s' "spawn su $1 -c {$3}; expect -re {[Pp]assword:}; send {$2}; send \"\\r\"; expect eof; catch wait r; puts \"rc=[lindex \$r 3]\""
}
self=$(ssh_as tu-su-a "readlink /proc/self/ns/mnt; expect -c '$(su_expect tu-su-a "$pw_a" 'readlink /proc/self/ns/mnt; echo SELF-$((40+2))')'")
first=$(printf '%s\n' "$self" | head -n 1)
like "$self" 'SELF-42' "su to yourself inside your tenant works"
is "$(printf '%s\n' "$self" | grep -c "^$(printf '%s' "$first" | sed 's/[][]/\\&/g')")" "2" "... and stays in the same tenant"
like "$self" 'rc=0' "... su exits 0"

mark=$(syslog_mark)
amark=$(audit_mark)
other=$(ssh_as tu-su-a "expect -c '$(su_expect tu-su-b "$pw_b" 'echo RAN-$((6*7))')'")
unlike=$(printf '%s' "$other" | grep -c RAN-42)
is "$unlike" "0" "su to another user from inside a tenant runs nothing"
like "$other" 'cannot open a session for another user' "... the user is told why"
like "$other" 'rc=1' "... su fails"
syslog_wait 5 "$mark" "pam_tenant\\(su:session\\): denied session for tu-su-b: login as uid $(user_uid tu-su-b) from inside the tenant of uid $(user_uid tu-su-a)"
ok $? "syslog names both uids and the reason"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 5 "$amark" "op=tenant-deny id=$(user_uid tu-su-b) .*acct=\"tu-su-b\".*reason=\"login as uid $(user_uid tu-su-b) from inside the tenant of uid $(user_uid tu-su-a)"
	ok $? "an audit record of the denial (op=tenant-deny, numeric uid)"
else
	skip "kernel has no audit" "audit record of the denial"
fi
# Root's su keeps its working directory, in the tenant too, but never by
# a symbolic link: the user owns the tenant's /tmp and has made the path
# of root's directory a link to /etc there.
cwdir=$(mktemp -d /tmp/pam_tenant-cwd.XXXXXX)
chmod 0755 "$cwdir"
on_exit "rmdir $(_e2e_q "$cwdir")"
ssh_bg_as tu-su-a "ln -s /etc $cwdir && echo \$\$ >/tmp/holder.pid && exec sleep 60"
wait_until 15 ssh_as tu-su-a "test -L $cwdir"
ok $? "tu-su-a has made $cwdir a link to /etc in their tenant"
is "$(cd "$cwdir" && su tu-su-a -c 'pwd -P')" "/" \
    "root's su from that directory: the session starts in /, not in the link's target"
ssh_as tu-su-a 'kill $(cat /tmp/holder.pid)'
wait_no_tenants 15
ok $? "nothing is left after the su sessions"
done_testing
