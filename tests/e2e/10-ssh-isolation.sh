#!/bin/bash
# A real ssh login lands in an isolated tenant: fresh mount/PID/IPC/UTS
# namespaces, private /tmp, /var/tmp, /dev/shm, /dev/mqueue and /proc, the
# configured bounding set and no_new_privs, TENANT_SESSION, and two users
# never share anything.  After logout the host is as it was.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh ipcmk ipcs findmnt
tmpdir_create
start_syslog

make_user tu-iso-a
make_user tu-iso-b
tenant_config \
	'[default]' \
	'tmp.size = 64M' \
	'tmp.inodes = 1000' \
	'[user tu-iso-b]' \
	'no_new_privs = yes' \
	'caps.keep = cap_chown cap_setgid cap_setuid'
tenant_stack "$T/stack"
start_sshd "$T/stack"
wait_no_tenants 10
host_snapshot before

mark=$(syslog_mark)
a=$(ssh_as tu-iso-a "$PROBE")
is "$(kv uid "$a")" "$(user_uid tu-iso-a)" "ssh login as tu-iso-a works"
for ns in mnt pid ipc uts; do
	got=$(kv "ns_$ns" "$a")
	ok "$([ -n "$got" ] && [ "$got" != "$(host_ns $ns)" ]; echo $?)" "fresh $ns namespace ($got vs host $(host_ns $ns))"
done
is "$(kv ns_net "$a")" "$(host_ns net)" "network namespace shared unless configured"
is "$(kv pid1 "$a")" "tenant-init" "PID 1 in the session is the tenant's init"
ok "$([ "$(kv nprocs "$a")" -le 6 ]; echo $?)" "the session sees only its own processes ($(kv nprocs "$a") in /proc)"
for d in tmp vartmp shm; do
	like "$(kv "mnt_$d" "$a")" '^tmpfs .*nosuid.*nodev.*size=65536k.*nr_inodes=1000' "$d is a private tmpfs with nosuid,nodev,size,nr_inodes"
done
is "$(kv mnt_mqueue "$a")" "mqueue" "/dev/mqueue is a fresh mqueue"
like "$(kv mnt_proc "$a")" '^proc .*nosuid.*nodev.*noexec' "/proc is a fresh proc (nosuid,nodev,noexec)"
like "$(kv cookie "$a")" '^[0-9a-f]{32}$' "TENANT_SESSION is a 128-bit cookie"
capa=$(kv capbnd "$a")
ok "$(( (0x$capa >> 21) & 1 ))" "default bounding set drops cap_sys_admin (CapBnd $capa)"
ok "$(( (0x$capa >> 2) & 1 ))" "default bounding set drops cap_dac_read_search (open_by_handle_at)"
ok "$(( ((0x$capa >> 1) & 1) == 0 ))" "default bounding set keeps cap_dac_override"
ok "$(( ((0x$capa >> 13) & 1) == 0 ))" "default bounding set keeps cap_net_raw (ping)"
ok "$(( ((0x$capa >> 7) & 1) == 0 ))" "default bounding set keeps cap_setuid (su, passwd)"
is "$(kv nnp "$a")" "0" "no_new_privs off by default"
syslog_wait 5 "$mark" "pam_tenant\\(sshd-tenant-test[-0-9]*:session\\): session of tu-iso-a \\(uid $(user_uid tu-iso-a)\\) isolated" ||
    diag "$(syslog_since "$mark")"
ok $? "syslog says the session was isolated"

# Files, POSIX shm, SysV IPC and processes stay inside one user's tenant.
ssh_bg_as tu-iso-a 'echo secret >/tmp/a-file; echo shm >/dev/shm/a-shm; ipcmk -M 4096 >/dev/null; ipcmk -Q >/dev/null; echo ready >/var/tmp/a-ready; exec sleep 60'
wait_until 10 ssh_as tu-iso-a 'test -e /var/tmp/a-ready'
ok $? "tu-iso-a's long session is up"
on_exit "ssh_as tu-iso-a 'pkill -x sleep; true' >/dev/null 2>&1"
a=$(ssh_as tu-iso-a "$PROBE")
b=$(ssh_as tu-iso-b "$PROBE")
is "$(kv capbnd "$b")" "00000000000000c1" "caps.keep for tu-iso-b: only chown, setgid, setuid remain"
is "$(kv nnp "$b")" "1" "no_new_privs = yes for tu-iso-b"
for ns in mnt pid ipc uts; do
	ok "$([ "$(kv "ns_$ns" "$a")" != "$(kv "ns_$ns" "$b")" ]; echo $?)" "two live users never share a $ns namespace"
done
inside_a=$(ssh_as tu-iso-a 'ls /tmp /dev/shm; ipcs -m | grep -c "^0x"; ipcs -q | grep -c "^0x"; pgrep -x sleep')
like "$inside_a" 'a-file' "a second session of tu-iso-a sees its /tmp file"
inside_b=$(ssh_as tu-iso-b 'ls -A /tmp /dev/shm /var/tmp; echo shm=$(ipcs -m | grep -c "^0x") q=$(ipcs -q | grep -c "^0x"); echo sleeps=$(pgrep -c -x sleep)')
unlike=$(printf '%s' "$inside_b" | grep -cE 'a-file|a-shm|a-ready')
is "$unlike" "0" "tu-iso-b sees none of tu-iso-a's files in /tmp, /var/tmp, /dev/shm"
like "$inside_b" 'shm=0 q=0' "tu-iso-b sees none of tu-iso-a's SysV shm or message queues"
like "$inside_b" 'sleeps=0' "tu-iso-b cannot see tu-iso-a's processes"
ok "$([ ! -e /tmp/a-file ] && [ ! -e /dev/shm/a-shm ] && [ ! -e /var/tmp/a-ready ]; echo $?)" "the host sees none of them either"
host_ipc=$(ipcs -m | awk -v u="tu-iso-a" '$3 == u' | wc -l)
is "$host_ipc" "0" "the host has no SysV segment of tu-iso-a"
ssh_as tu-iso-a 'pkill -x sleep'
wait "$SSH_BG_PID" 2>/dev/null

# Logout: everything the tenant made is gone and the host is as it was.
wait_no_tenants 15
ok $? "keepers, inits and tenant state are gone after logout"
# A killed tenant-init lingers until the login program's zombie child in
# its PID namespace is reaped by the host's PID 1 (slow on some machines).
host_settle before after 30
host_compare before after "host mount table, /run/pam_tenant and processes back to where they were"
done_testing
