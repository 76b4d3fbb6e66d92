#!/bin/bash
# Runs inside `vm-run --systemd` (tests/vm/tests/50-deb.sh): the Debian
# package on a clean Debian 12 system with its real PAM stack and sshd.
# dpkg -i changes nothing in /etc/pam.d (the profile is "Default: no");
# pam-auth-update --enable tenant puts the module after pam_systemd in
# common-session only; an ssh login of a user lands in a tenant, root's
# does not; a reinstall (upgrade path) keeps it enabled; removal is
# refused while a hand-made line names the module; purge leaves
# /etc/pam.d byte-identical to before, and root and users log in.
# The guest's / is an overlay on a tmpfs: dpkg writes there, the host's
# dpkg database and /etc are untouched.  Prints TAP.  Argument: the .deb.
set -u
DEB=${1:?the .deb}
T=$(mktemp -d)
n=0 nfail=0
export DEBIAN_FRONTEND=noninteractive
ok() { # ok STATUS TEXT
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else nfail=$((nfail + 1)); echo "not ok $n - $2"; fi
}
is() { # is GOT WANT TEXT
	[ "$1" = "$2" ]
	ok $? "$3 (got '$1'$([ "$1" = "$2" ] || echo ", want '$2'"))"
}
diag() { echo "# [${SECONDS}s] $*"; }
one() { tr '\n' ' ' | sed 's/  */ /g; s/ $//'; }
# pamdir_sums: every file of /etc/pam.d with its checksum (names too).
pamdir_sums() { (cd /etc/pam.d && find . -xdev | LC_ALL=C sort | while read -r f; do
	if [ -f "$f" ]; then echo "$(sha256sum <"$f" | cut -c1-16) $f"; else echo "$(stat -c %F "$f") $f"; fi
done); }
status() { # a purged package is not in the database at all
	local s
	s=$(dpkg-query -W -f='${db:Status-Status}' libpam-tenant 2>/dev/null)
	echo "${s:-not-installed}"
}
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
MOD=/usr/lib/$MA/security/pam_tenant.so

diag "$(basename "$DEB"), systemd $(systemctl --version | head -1 | cut -d' ' -f2), $(dpkg-query -W -f='${Version}' libpam-runtime) libpam-runtime"
# The guest's /etc/pam.d is the host's, live (tests/vm/README.md, pitfall
# 8): a host test running meanwhile adds and removes files there.  Give
# the guest a copy of its own (rm + cp on the overlay: an opaque upper
# directory), and drop pam_tenant lines a host test may have left.
cp -a /etc/pam.d "$T/pam.d" && rm -rf /etc/pam.d && cp -a "$T/pam.d" /etc/pam.d
for f in $(grep -lsE '^[[:space:]]*[^#[:space:]].*pam_tenant' /etc/pam.d/*); do
	diag "the host's $f names pam_tenant (a host test running?): removed in the guest's copy"
	sed -i '/^[[:space:]]*[^#[:space:]].*pam_tenant/d' "$f"
done
# The man-db trigger rebuilds its index: a minute under TCG, and not what
# is tested here.
rm -f /var/lib/man-db/auto-update

# ---- users and keys ------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$T/key"
useradd -m -s /bin/bash debt-a
install -d -m 700 -o debt-a -g debt-a /home/debt-a/.ssh
install -m 600 -o debt-a -g debt-a "$T/key.pub" /home/debt-a/.ssh/authorized_keys
install -d -m 700 /root/.ssh
install -m 600 "$T/key.pub" /root/.ssh/authorized_keys
SSHO=(-i "$T/key" -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o KexAlgorithms=curve25519-sha256
	-o ConnectTimeout=60)
ssh_as() { local u=$1; shift; timeout 120 ssh "${SSHO[@]}" "$u@127.0.0.1" "$@" 2>&1; }
# What a login reports: its mount namespace, TENANT_SESSION, whether the
# host's marker file is visible in its /tmp.
PROBE='echo "LOGIN mnt=$(readlink /proc/self/ns/mnt) ts=${TENANT_SESSION:-none} marker=$(test -e /tmp/debt-marker && echo seen || echo absent)"'
touch /tmp/debt-marker
HOSTNS=$(readlink /proc/self/ns/mnt)
login_line() { # the probe's line, or what ssh said instead
	local out t0=$SECONDS
	out=$(ssh_as "$1" "$PROBE")
	echo "$out" | grep '^LOGIN' || echo "no login after $((SECONDS - t0)) s: $(echo "$out" | one | head -c 300)"
}
host_view="LOGIN mnt=$HOSTNS ts=none marker=seen"
pamdir_sums >"$T/pam.before"

# ---- 1. install: nothing changes in /etc/pam.d ----------------------------------
dpkg -i "$DEB" >"$T/install.log" 2>&1
ok $? "dpkg -i $(basename "$DEB") ($(tail -1 "$T/install.log"))"
is "$(status)" installed "the package is installed"
[ -f "$MOD" ] && [ -x /usr/libexec/pam_tenant/tenant-helper ] && [ -f /usr/libexec/pam_tenant/tenant-systemd.so ] &&
	[ -x /usr/sbin/tenantctl ] && [ -f /usr/share/pam-configs/tenant ] && [ -d /etc/security/tenant.d ]
ok $? "module in $MOD, helper and backend in /usr/libexec/pam_tenant, tenantctl, profile, tenant.d"
is "$(dpkg-query -W -f='${Conffiles}' libpam-tenant | awk 'NF {print $1}' | one)" /etc/security/tenant.conf \
	"/etc/security/tenant.conf is a conffile"
is "$(tenantctl --version 2>&1 | head -1 | grep -o '[0-9][0-9.]*' | head -1)" "$(dpkg-query -W -f='${Version}' libpam-tenant)" \
	"tenantctl --version matches the package version"
tenantctl check >"$T/check.out" 2>&1
ok $? "tenantctl check accepts the shipped configuration ($(head -c 200 "$T/check.out" | one))"
pamdir_sums >"$T/pam.installed"
cmp -s "$T/pam.before" "$T/pam.installed"
ok $? "installing alone leaves /etc/pam.d unchanged (Default: no) $(diff "$T/pam.before" "$T/pam.installed" | one)"

# ---- 2. pam-auth-update --enable tenant ------------------------------------------
pam-auth-update --enable tenant >"$T/pau.log" 2>&1
ok $? "pam-auth-update --enable tenant ($(head -c 200 "$T/pau.log" | one))"
cs_mods=$(grep -vE '^[[:space:]]*(#|$)' /etc/pam.d/common-session | awk '{print $3}' | one)
[[ $cs_mods == *"pam_systemd.so pam_tenant.so" ]]
ok $? "common-session: 'session required pam_tenant.so' is the last line, after pam_systemd ($cs_mods)"
grep -qE '^session[[:space:]]+required[[:space:]]+pam_tenant\.so[[:space:]]*$' /etc/pam.d/common-session
ok $? "... with control 'required' ($(grep pam_tenant /etc/pam.d/common-session | one))"
! grep -q pam_tenant /etc/pam.d/common-session-noninteractive
ok $? "common-session-noninteractive is left alone (Session-Interactive-Only: cron, systemd --user)"
changed=$(diff "$T/pam.before" <(pamdir_sums) | sed -n 's/^> [^ ]* \.\///p' | one)
is "$changed" "common-session" "no other file in /etc/pam.d changed"

# ---- 3. logins ---------------------------------------------------------------------
line=$(login_line debt-a)
[[ $line == "LOGIN mnt="* ]] && [[ $line != *"mnt=$HOSTNS "* ]] && [[ $line == *" marker=absent" ]] && [[ $line != *"ts=none"* ]]
ok $? "a user's ssh login is in a tenant: own mount namespace, private /tmp, TENANT_SESSION set ($line)"
# A tenant ends with its last process: hold a login open to look at it.
timeout 300 ssh "${SSHO[@]}" -n debt-a@127.0.0.1 'echo held; exec sleep 30' >"$T/held.out" 2>&1 &
held=$!
for _ in $(seq 600); do grep -q held "$T/held.out" && break; sleep 0.1; done
tenantctl list >"$T/list.out" 2>&1
grep -q debt-a "$T/list.out"
ok $? "tenantctl list shows the user's tenant while a login is open ($(head -3 "$T/list.out" | one))"
wait "$held" # the login ends by itself, as a logout would
t0=$SECONDS
line=$(login_line root)
is "$line" "$host_view" "root's ssh login works and is not isolated ($((SECONDS - t0)) s)"
[ "$line" = "$host_view" ] || journalctl -q --no-pager -n 40 2>&1 | sed 's/^/# journal: /' 
out=$(timeout 120 su - debt-a -c "$PROBE" 2>&1 | grep '^LOGIN')
[[ $out == *" marker=absent" ]] && [[ $out != *"ts=none"* ]]
ok $? "su - debt-a from root goes through common-session too: isolated ($out)"
journalctl -q --no-pager >"$T/journal.all" 2>&1
grep "(uid $(id -u debt-a)) isolated in tenant" "$T/journal.all" >"$T/journal.out"
ok $? "the journal has the module's line ($(tail -1 "$T/journal.out" | head -c 200))"

# ---- 4. a reinstall (the upgrade path) keeps it enabled ---------------------------
dpkg -i "$DEB" >"$T/reinstall.log" 2>&1
ok $? "dpkg -i again (prerm upgrade, postinst configure)"
grep -q pam_tenant /etc/pam.d/common-session
ok $? "... the profile stays enabled"

# ---- 5. removal refused while a hand-made line names the module -------------------
cp -p /etc/pam.d/sshd "$T/sshd.saved"
echo "session required pam_tenant.so" >>/etc/pam.d/sshd
dpkg -r libpam-tenant >"$T/refused.log" 2>&1
rc=$?
[ $rc != 0 ] && grep -q '/etc/pam.d/sshd' "$T/refused.log"
ok $? "dpkg -r fails while /etc/pam.d/sshd names pam_tenant, naming the file (rc $rc: $(grep -m1 refusing "$T/refused.log"))"
is "$(status) $(test -f "$MOD" && echo module-present)" "installed module-present" "... the package stays installed"
grep -q pam_tenant /etc/pam.d/common-session
ok $? "... and the profile stays enabled"
cp -p "$T/sshd.saved" /etc/pam.d/sshd

# ---- 6. purge: /etc/pam.d as before; everyone logs in -----------------------------
dpkg --purge libpam-tenant >"$T/purge.log" 2>&1
ok $? "dpkg --purge libpam-tenant ($(tail -1 "$T/purge.log"))"
is "$(status)" "not-installed" "the package is gone"
[ ! -e "$MOD" ] && [ ! -e /etc/security/tenant.conf ] && [ ! -e /etc/security/tenant.d ] &&
	[ ! -e /usr/share/pam-configs/tenant ] && [ ! -e /usr/libexec/pam_tenant ] && [ ! -e /usr/sbin/tenantctl ]
ok $? "its files, conffile and directories are gone"
pamdir_sums >"$T/pam.after"
cmp -s "$T/pam.before" "$T/pam.after"
ok $? "/etc/pam.d is byte-identical to before the install $(diff "$T/pam.before" "$T/pam.after" | one)"
! grep -rqsE '^[[:space:]]*[^#[:space:]].*pam_tenant' /etc/pam.d /etc/pam.conf
ok $? "no line of the PAM configuration names pam_tenant"
is "$(login_line root)" "$host_view" "root logs in over ssh"
is "$(login_line debt-a)" "$host_view" "the user logs in over ssh, not isolated"
out=$(timeout 120 su - debt-a -c 'echo su-ok' 2>&1)
is "$out" su-ok "su - debt-a works"

echo "1..$n"
rm -rf "$T" /tmp/debt-marker
[ $nfail = 0 ]
