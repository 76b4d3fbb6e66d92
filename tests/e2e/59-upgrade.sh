#!/bin/bash
# F30 (docs/testing.md, "Fault catalogue"): pam_tenant upgraded while
# tenants run.  Two builds of this tree, installed in turn into one place
# (build/upgrade, each file renamed into place as dpkg does): "old" is
# this build, "new" stands in for the next release, whose protocol
# version is one more (TN_PROTO_VERSION_SKEW).  A tenant started by the
# old build keeps its sessions, and its old sessions close cleanly; the
# new build refuses that user's new logins with a reason (user, syslog,
# audit) until the tenant ends, serves every other user, and its
# tenantctl shows and terminates the old tenant.  A module and a helper
# of different builds (dpkg between two files) refuse the login, clearly.
. "$(dirname "$0")/../lib/tenant.sh"
require_root
test_bin DRIVER pam-fault-driver
for v in old new; do
	for f in pam_tenant.so tenant-helper tenantctl; do
		[ -e "$E2E_ROOT/build/upgrade-$v/$f" ] ||
		    bail_out "build/upgrade-$v/$f is not built (make test-bins)"
	done
done
tmpdir_create
start_syslog
start_auditd
make_user tu-upg-a
make_user tu-upg-b

UPG=$E2E_ROOT/build/upgrade # the compiled-in helper and config place
MODDIR=/run/pam_tenant-e2e59.$$ # the module: outside /tmp (see tenant.sh)
[ -e "$UPG" ] && bail_out "$UPG exists: left by an earlier run?"
install -d -m 0755 "$UPG" "$UPG/etc" "$MODDIR"
on_exit "rm -rf '$UPG' '$MODDIR'"
printf '%s\n' '[default]' 'isolate = yes' 'scope = user' 'on_logout = kill' >"$UPG/etc/tenant.conf"
chmod 0644 "$UPG/etc/tenant.conf"
CTL=$UPG/tenantctl
install -d -m 0755 "$T/pam.d"
printf 'session required %s timeout=6\nsession optional pam_permit.so\n' \
    "$MODDIR/pam_tenant.so" >"$T/pam.d/tenant-upg"
cp "$T/pam.d/tenant-upg" "$T/pam.d/other"
[ -d /run/pam_tenant ] || install -d -m 0700 /run/pam_tenant
wait_no_tenants 10 || bail_out "a tenant of an earlier test is still running"
fault_baseline
OK_ISOLATED='^open=0 close=0 mnt=other fd_delta=0$'
# This build's protocol version, and the next release's.
OLD=$(sed -n 's/^#define TN_PROTO_VERSION (\([0-9]*\) + TN_PROTO_VERSION_SKEW)$/\1/p' "$E2E_ROOT/common/proto.h")
[ -n "$OLD" ] || bail_out "cannot read TN_PROTO_VERSION from common/proto.h"
NEW=$((OLD + 1))

# put BUILD FILE...: install build/upgrade-BUILD's files, each renamed into place.
put() {
	local b=$1 f dir mode
	shift
	for f in "$@"; do
		dir=$UPG mode=0755
		[ "$f" = pam_tenant.so ] && dir=$MODDIR mode=0644
		install -m "$mode" "$E2E_ROOT/build/upgrade-$b/$f" "$dir/.$f.new" &&
		    mv -f "$dir/.$f.new" "$dir/$f" || bail_out "cannot install $b's $f"
	done
}
install_build() { put "$1" pam_tenant.so tenant-helper tenantctl; }

# drive USER: one PAM cycle (messages to the user appended to $T/msgs).
drive() {
	timeout -k 5 30 "$DRIVER" -c "$T/pam.d" -m "$T/msgs" tenant-upg "$1" 2>&1
}

# hold USER: a session of USER held open by the installed build until
# release is called; HOLD_PID, output in $T/hold.out.
RELEASE=/run/pam_tenant-e2e59.$$.release
on_exit "rm -f '$RELEASE'"
hold() {
	rm -f "$RELEASE" "$T/hold.out"
	"$DRIVER" -c "$T/pam.d" -w "$RELEASE" tenant-upg "$1" >"$T/hold.out" 2>&1 &
	HOLD_PID=$!
	on_exit "touch '$RELEASE'; _e2e_stop_pid $HOLD_PID 5"
	wait_until 20 grep -q '^opened' "$T/hold.out"
}
release() {
	touch "$RELEASE"
	wait_until 10 eval "! _e2e_alive $HOLD_PID"
	wait "$HOLD_PID"
}

# refused OUTPUT DESC: a drive's OUTPUT is a clean refusal (the login
# program left in the host's namespaces, no fd leaked).
refused() {
	like "$1" '^open=[1-9][0-9]* close=-1 mnt=same fd_delta=0$' "$2"
}

# 1. The old build: a tenant for A, held open; A's second login joins it.
install_build old
hold tu-upg-a
ok $? "old build: a session of tu-upg-a is held open"
like "$(drive tu-upg-a)" "$OK_ISOLATED" "old build: a second login of tu-upg-a joins its tenant"
old_keeper=$(pgrep -u 0 -x tenant-keeper | head -n 1)

# 2. The upgrade.  A's new login meets the old keeper: refused, with why.
install_build new
: >"$T/msgs"
smark=$(syslog_mark)
amark=$(audit_mark)
t0=$(date +%s%N)
out=$(drive tu-upg-a)
ms=$((($(date +%s%N) - t0) / 1000000))
refused "$out" "new build: tu-upg-a's login, whose tenant the old build runs, is refused"
ok "$([ "$ms" -lt 6000 ]; echo $?)" "... at once, not at the deadline ($ms ms)"
like "$(cat "$T/msgs")" 'older version of the session isolation; log in again once they have ended' \
    "... the user is told why, in their words"
syslog_wait 5 "$smark" "was started by another pam_tenant build.*protocol version $OLD, this build $NEW.*tenantctl terminate"
ok $? "... syslog names the version skew and the way out"
syslog_wait 5 "$smark" "tenant .*: refused a request: the peer speaks protocol version $NEW, this build $OLD"
ok $? "... the old keeper says what it refused"
if [ "${AUDIT_AVAILABLE:-0}" = 1 ]; then
	audit_wait 5 "$amark" 'op=tenant-deny.*another pam_tenant build'
	ok $? "... audited as tenant-deny with the reason"
else
	skip "no kernel audit here" "... audited as tenant-deny with the reason"
fi
like "$(cat "$T/hold.out")" '^opened' "... the old session is untouched"
ok "$(kill -0 "$old_keeper" 2>/dev/null; echo $?)" "... and so is its keeper (pid $old_keeper)"

# 3. Everyone else is served by the new build.
like "$(drive tu-upg-b)" "$OK_ISOLATED" "new build: tu-upg-b's first login is isolated"
like "$(drive root)" '^open=0 close=0 mnt=same fd_delta=0$' "new build: root's login works (exempt)"

# 4. The new tenantctl sees the old tenant for what it is.
st=$("$CTL" status tu-upg-a 2>&1)
is "$?" 0 "new tenantctl: status of the old tenant exits 0"
like "$st" "keeper +of another build: the peer speaks protocol version $OLD, this build $NEW" \
    "... and says its keeper is of another build"
like "$("$CTL" status tu-upg-a --json)" "\"other_build\":\"the peer speaks protocol version $OLD" \
    "... also in JSON"
out=$("$CTL" kill tu-upg-a --signal CONT 2>&1)
is "$?" 1 "new tenantctl: kill cannot reach the old keeper (exit 1)"
like "$out" "keeper is of another build .*'tenantctl terminate USER'" "... and says what can"

# The package's postinst says so on upgrade (pam-auth-update is not what
# is tested here: a no-op stands in for it), and not on a first install.
install -d -m 0755 "$T/bin"
ln -s "$CTL" "$T/bin/tenantctl"
printf '#!/bin/sh\nexit 0\n' >"$T/bin/pam-auth-update"
chmod 0755 "$T/bin/pam-auth-update"
out=$(PATH=$T/bin:$PATH sh "$E2E_ROOT/debian/postinst" configure 0.9 2>&1)
is "$?" 0 "postinst of an upgrade exits 0"
like "$out" "^libpam-tenant: 1 running tenant\(s\) use the previous version's protocol" \
    "... and says one tenant runs the old build"
like "$(PATH=$T/bin:$PATH sh "$E2E_ROOT/debian/postinst" configure 2>&1)" '^$' \
    "... a first install says nothing"

# 5. The old session ends under the new build: cleanly, tenant and all.
release
like "$(cat "$T/hold.out")" 'open=0 close=0 mnt=other fd_delta=0' "old session closes cleanly after the upgrade"
wait_no_tenants 10
ok $? "... and the old tenant ends with it (on_logout = kill)"
like "$(PATH=$T/bin:$PATH sh "$E2E_ROOT/debian/postinst" configure 0.9 2>&1)" '^$' \
    "postinst of an upgrade with no old tenant says nothing"
like "$(drive tu-upg-a)" "$OK_ISOLATED" "new build: tu-upg-a's next login is isolated"

# 6. Or the admin ends the old tenant: the new tenantctl terminates it.
install_build old
hold tu-upg-a
ok $? "old build again: a session of tu-upg-a is held open"
install_build new
smark=$(syslog_mark)
out=$("$CTL" terminate tu-upg-a 2>&1)
is "$?" 0 "new tenantctl: terminate of the old tenant exits 0"
like "$out" 'its keeper is of another build: .*sent SIGTERM' "... and says how it was ended"
wait_no_tenants 10
ok $? "... the old tenant ends"
syslog_wait 5 "$smark" 'tenant .*: signal 15 from pid [0-9]+: ending the tenant'
ok $? "... the old keeper logs who ended it"
release
like "$(drive tu-upg-a)" "$OK_ISOLATED" "new build: tu-upg-a's next login is isolated"

# 7. Mid-upgrade: the new module with the old helper (and the reverse).
put old tenant-helper
smark=$(syslog_mark)
refused "$(drive tu-upg-b)" "new module, old helper: refused"
syslog_wait 5 "$smark" "protocol version $OLD, this build $NEW"
ok $? "... syslog names both versions"
install_build new
put old pam_tenant.so
smark=$(syslog_mark)
refused "$(drive tu-upg-b)" "old module, new helper: refused"
syslog_wait 5 "$smark" "protocol version $NEW, this build $OLD"
ok $? "... syslog names both versions"
like "$(drive root)" '^open=0 close=0 mnt=same fd_delta=0$' "... root's login works meanwhile"

# After: the new build in place, the next logins work, nothing leaked.
install_build new
after_fault "upgrade" upgrade tu-upg-a drive
done_testing
