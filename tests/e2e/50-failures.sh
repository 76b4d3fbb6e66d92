#!/bin/bash
# Failures deny the login with one clear syslog line and an audit record,
# never hang sshd, and never lock out root: a broken config (file:line in
# the message), an insecure config, a missing helper, a setup failure under
# on_error = deny and = allow, quotas that cannot be applied.  (Crashing,
# hanging and garbage-talking helpers: tests/module/test-retval.c.)
. "$(dirname "$0")/../lib/tenant.sh"
require_root
require_cmd sshd ssh su
tmpdir_create
start_syslog
start_auditd
make_user tu-fail
uid=$(user_uid tu-fail)
tenant_stack "$T/stack"
start_sshd "$T/stack"
su_with_tenant
wait_no_tenants 10

# says_why DESC MARK SYSLOG_REGEX AMARK AUDIT_REGEX: syslog since MARK and
# audit since AMARK have the line and the record of DESC's outcome
says_why() {
	syslog_wait 5 "$2" "$3"
	ok $? "$1: ... syslog says why" || syslog_since "$2" | grep pam_tenant | diag
	if [ "$AUDIT_AVAILABLE" = 1 ]; then
		audit_wait 5 "$4" "$5"
		ok $? "$1: ... and so does an audit record"
	fi
}
# login_denied DESC SYSLOG_REGEX [AUDIT_REGEX] [USER_REGEX]: ssh fails fast, syslog and
# audit say why, and the user is told the reason class without the details
login_denied() {
	local desc=$1 re=$2 are=${3:-op=tenant-deny id=$uid } user_re=${4:-} mark amark t0 out st
	mark=$(syslog_mark)
	amark=$(audit_mark)
	t0=$SECONDS
	out=$(ssh_as tu-fail 'echo LOGGED-IN' 2>&1)
	st=$?
	ok "$([ $st != 0 ] && ! [[ $out =~ LOGGED-IN ]]; echo $?)" "$desc: login denied"
	ok "$([ $((SECONDS - t0)) -lt 10 ]; echo $?)" "$desc: ... promptly ($((SECONDS - t0)) s)"
	if [ -n "$user_re" ]; then
		like "$out" "$user_re" "$desc: ... the user is told the reason class"
		ok "$([[ $out =~ /etc/|tenant.conf|/run/ ]] && echo 1 || echo 0)" \
		    "$desc: ... and no file names or internals"
	fi
	says_why "$desc" "$mark" "$re" "$amark" "$are"
}
# let_in DESC SYSLOG_REGEX AUDIT_REGEX: ssh gets in, not isolated, and
# syslog and audit say why
let_in() {
	local mark amark
	mark=$(syslog_mark)
	amark=$(audit_mark)
	is "$(ssh_as tu-fail 'readlink /proc/self/ns/mnt')" "$(host_ns mnt)" "$1: the login goes on, not isolated"
	says_why "$1" "$mark" "$2" "$amark" "$3"
}
root_still_works() {
	is "$(su - -c 'echo root-ok' 2>&1)" "root-ok" "$1: root can still log in"
}

tenant_config '[default]' 'isolate = yes' 'frobnicate = 3'
login_denied "broken config" "denied session for tu-fail \\(uid $uid\\): configuration error: .*/etc/tenant.conf:3: unknown key 'frobnicate'" "" \
    'pam_tenant: login refused: the session isolation policy has an error \(the system log has the details\)'
root_still_works "broken config"

tenant_config '[default]' 'isolate = yes'
chmod 0666 "$TENANT_ETC/tenant.conf"
login_denied "world-writable config" "tenant.conf: writable by group or other"
chmod 0644 "$TENANT_ETC/tenant.conf"

# ignore_config_error: a broken config lets the login through, audited.
tenant_stack "$T/stack-ignore" ignore_config_error
cp "$T/stack-ignore" "/etc/pam.d/$SSHD_PAM_SERVICE"
tenant_config '[default]' 'isolate = yes' 'frobnicate = 3'
amark=$(audit_mark)
is "$(ssh_as tu-fail 'readlink /proc/self/ns/mnt')" "$(host_ns mnt)" "ignore_config_error: broken config lets the login in, not isolated"
if [ "$AUDIT_AVAILABLE" = 1 ]; then
	audit_wait 5 "$amark" "op=tenant-degrade id=$uid .*configuration error"
	ok $? "... and audits it as degraded"
fi
cp "$T/stack" "/etc/pam.d/$SSHD_PAM_SERVICE"
tenant_config '[default]' 'isolate = yes'

# Missing helper.
mv "$E2E_BUILD/tenant-helper" "$T/helper.away"
on_exit "[ -e '$T/helper.away' ] && mv '$T/helper.away' '$E2E_BUILD/tenant-helper'; true"
login_denied "missing helper" "denied session for tu-fail \\(uid $uid\\): helper not found: .*tenant-helper" "" \
    'pam_tenant: login refused: your session could not be isolated \(the system log has the details\)'
root_still_works "missing helper"
# An admin who stacked the module `optional` chose to let logins in when
# it fails: the session opens, not isolated, and the refusal is still
# logged and audited.
pam_stack "$T/stack-optional" "session optional $TENANT_MODULE"
cp "$T/stack-optional" "/etc/pam.d/$SSHD_PAM_SERVICE"
let_in "missing helper, module stacked optional" \
    "denied session for tu-fail \\(uid $uid\\): helper not found" "op=tenant-deny id=$uid "
cp "$T/stack" "/etc/pam.d/$SSHD_PAM_SERVICE"
mv "$T/helper.away" "$E2E_BUILD/tenant-helper"

# A setup failure: the state directory is not root-only.  (Run alone on a
# fresh machine no login has made it yet: every one above was refused.)
[ -d /run/pam_tenant ] || install -d -m 0700 /run/pam_tenant
chmod 0755 /run/pam_tenant
on_exit "chmod 0700 /run/pam_tenant"
login_denied "state dir not 0700 (on_error = deny)" "denied session for tu-fail \\(uid $uid\\): .*/run/pam_tenant: must be a directory owned by root with mode 0700"
tenant_config '[default]' 'on_error = allow'
let_in "on_error = allow" \
    "session of tu-fail \\(uid $uid\\) NOT isolated: .*on_error = allow" "op=tenant-degrade id=$uid "
chmod 0700 /run/pam_tenant

# Quotas that cannot be applied (this host: no usable cgroup v2).
if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
	tenant_config '[default]' 'memory.max = 1G' 'cgroup = required'
	login_denied "quotas without cgroup v2 (cgroup = required)" "quotas are configured but cannot be applied: /sys/fs/cgroup is not cgroup v2" "" \
	    'pam_tenant: login refused: resource limits cannot be applied on this host'
	tenant_config '[default]' 'memory.max = 1G' 'cgroup = optional'
	amark=$(audit_mark)
	out=$(ssh_as tu-fail 'readlink /proc/self/ns/mnt')
	ok "$([ -n "$out" ] && [ "$out" != "$(host_ns mnt)" ]; echo $?)" "cgroup = optional: isolated without quotas"
	if [ "$AUDIT_AVAILABLE" = 1 ]; then
		audit_wait 5 "$amark" "op=tenant-quota-unavailable id=$uid "
		ok $? "... and audited"
	fi
else
	skip "this host has cgroup v2 (covered by the VM tier)" "quotas without cgroup v2"
fi

# A login program inside a chroot: joining a tenant would take it to the
# real root, so the module refuses (pamtester in a private mount namespace,
# chrooted into a directory that mirrors /).
tenant_config '[default]' 'isolate = yes'
mark=$(syslog_mark)
jail=$T/jail
out=$(unshare -m --propagation private bash -c '
	for d in /*; do
		n=${d#/}
		case $n in tmp|lost+found) continue ;; esac
		if [ -L "$d" ]; then ln -s "$(readlink "$d")" "'"$jail"'/$n"
		elif [ -d "$d" ]; then mkdir -p "'"$jail"'/$n" && mount --rbind "$d" "'"$jail"'/$n"; fi
	done
	chroot "'"$jail"'" pamtester "'"$SSHD_PAM_SERVICE"'" tu-fail open_session' 2>&1)
ok "$([[ ! $out =~ successfully ]]; echo $?)" "a chrooted login program is refused"
syslog_wait 5 "$mark" "denied session for tu-fail \\(uid $uid\\): the login program runs in a chroot"
ok $? "... with the reason in syslog"

is "$(ssh_as tu-fail 'cat /proc/1/comm')" "tenant-init" "after all that, a normal login is isolated again"
wait_no_tenants 15
ok $? "no tenant is left behind"
done_testing
