#!/bin/bash
# scope = user: every concurrent session of one user (two ssh logins, an
# ssh login and an `su -`) shares one tenant.  scope = session: each
# session is a tenant of its own.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh su
tmpdir_create
start_syslog
make_user tu-scope
tenant_config '[default]' 'scope = user' '[user tu-scope-s]' 'scope = session'
make_user tu-scope-s
tenant_stack "$T/stack"
start_sshd "$T/stack"
su_with_tenant
wait_no_tenants 10

# scope = user
ssh_bg_as tu-scope 'echo from-first >/tmp/shared; exec sleep 60'
wait_until 10 ssh_as tu-scope 'test -e /tmp/shared'
ok $? "first session of tu-scope is up"
on_exit "ssh_as tu-scope 'pkill -x sleep; true' >/dev/null 2>&1"
first=$(ssh_as tu-scope 'readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/ipc /proc/self/ns/uts')
second=$(ssh_as tu-scope 'readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/ipc /proc/self/ns/uts; cat /tmp/shared; pgrep -x sleep >/dev/null && echo sees-sleep')
like "$second" "$(printf '%s\n' "$first" | head -n 1 | sed 's/[][]/\\&/g')" "a second ssh session joins the same mount namespace"
like "$second" 'from-first' "... sees the first session's /tmp"
like "$second" 'sees-sleep' "... and its processes"
via_su=$(su - tu-scope -c 'readlink /proc/self/ns/mnt /proc/self/ns/pid; cat /tmp/shared; echo cookie=$TENANT_SESSION')
is "$(printf '%s\n' "$via_su" | head -n 2)" "$(printf '%s\n' "$first" | head -n 2)" "su - tu-scope joins the same tenant (mnt and pid namespaces)"
like "$via_su" 'from-first' "... and sees the same /tmp"
like "$via_su" 'cookie=[0-9a-f]{32}' "... with a session cookie of its own"
is "$($TENANTCTL status tu-scope --json | grep -o '"sessions":[0-9]*')" '"sessions":1' "tenantctl counts the live ssh session (su has ended)"
ssh_as tu-scope 'pkill -x sleep'
wait "$SSH_BG_PID" 2>/dev/null

# scope = session
ssh_bg_as tu-scope-s 'echo mine >/tmp/only-first; exec sleep 60'
wait_until 10 ssh_as tu-scope-s 'pgrep -x sleep >/dev/null || true; true'
sleep 1
on_exit "pkill -u tu-scope-s -x sleep; true"
other=$(ssh_as tu-scope-s 'readlink /proc/self/ns/mnt; ls /tmp; pgrep -x sleep || echo no-sleep')
unlike=$(printf '%s' "$other" | grep -c only-first)
is "$unlike" "0" "scope = session: a second session has its own /tmp"
like "$other" 'no-sleep' "... and its own PID namespace"
n=$(ls /run/pam_tenant/tenants | grep -c '^session-')
ok "$([ "$n" -ge 1 ]; echo $?)" "scope = session tenants are keyed by cookie, not uid ($n live)"
pkill -u tu-scope-s -x sleep
wait "$SSH_BG_PID" 2>/dev/null
wait_no_tenants 15
ok $? "all tenants end after the last process"
done_testing
