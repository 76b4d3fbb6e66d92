#!/bin/bash
# Runs inside `vm-run --systemd` (tests/vm/tests/40-systemd.sh): pam_tenant
# on a systemd host with Debian's real PAM stack (common-session with
# pam_systemd, then `session required pam_tenant.so`) and the real sshd.
# Checks that sessions stay in logind's scopes, limits are properties of
# user-UID.slice that the cgroup files agree with (and hold: OOM kill of a
# hog only, fork flood held, after daemon-reload too), nothing is created
# at the top of /sys/fs/cgroup, the tenant survives terminate-session of
# its first login and ends with terminate-user, logins without a session
# scope (su - from a root session, a pamtester "cron" login) get one, and
# D-Bus stopped means the configured failure policy while root logs in.
# Prints TAP.  Argument: the source tree (built: build/e2e).
set -u
ROOT=${1:?source tree}
E2E=$ROOT/build/e2e
MOD=$E2E/pam_tenant.so
ETC=$E2E/etc
T=$(mktemp -d)
n=0 nfail=0
T0US=${EPOCHREALTIME/./}
ts() { local d=$(((${EPOCHREALTIME/./} - T0US) / 10000)); printf '%d.%02ds' $((d / 100)) $((d % 100)); }
ok() { # ok STATUS TEXT
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else nfail=$((nfail + 1)); echo "not ok $n - $2"; fi
}
is() { # is GOT WANT TEXT
	[ "$1" = "$2" ]
	ok $? "$3 (got '$1'$([ "$1" = "$2" ] || echo ", want '$2'"))"
}
diag() { echo "# [$(ts)] $*"; }
wait_for() { # wait_for TENTHS COMMAND...
	local i=0 max=$1
	shift
	until "$@"; do
		i=$((i + 1))
		[ $i -ge "$max" ] && return 1
		sleep 0.1
	done
}
one() { tr '\n' ' ' | sed 's/  */ /g; s/ $//'; }
jmark() { journalctl -q -n 0 --show-cursor --no-pager 2>/dev/null | sed -n 's/^-- cursor: //p'; }
jsince() { journalctl -q --no-pager --after-cursor="$1" 2>/dev/null; }
# tenant_gone UID: neither the tenant's state nor its keeper's scope is left
# fault NAME [ACTION]: set (or with no ACTION clear) a fault point of the
# e2e build (common/fault.h); the guest's writes stay in its overlay.
fault() {
	if [ -n "${2:-}" ]; then
		install -d -m 0755 "$E2E/faults"
		printf '%s\n' "$2" >"$E2E/faults/$1"
		chmod 0644 "$E2E/faults/$1"
	else
		rm -f "$E2E/faults/$1"
	fi
}
tenant_gone() {
	[ ! -e "/run/pam_tenant/tenants/user-$1" ] &&
		[ -z "$(systemctl list-units --all --no-legend --plain "pam_tenant-user-$1.scope" 2>/dev/null)" ]
}

diag "systemd $(systemctl --version | head -1), cgroup $(stat -fc %T /sys/fs/cgroup)"
[ -x "$E2E/tenant-helper" ] && [ -f "$E2E/tenant-systemd.so" ] || { echo "1..0 # SKIP not built"; exit 77; }
top_before=$(ls /sys/fs/cgroup | one)

# ---- users, keys, config, PAM stacks ----------------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$T/key"
mkuser() {
	useradd -m -s /bin/bash "$1" || return 1
	install -d -m 700 -o "$1" -g "$1" "/home/$1/.ssh"
	install -m 600 -o "$1" -g "$1" "$T/key.pub" "/home/$1/.ssh/authorized_keys"
}
for u in sdt-a sdt-b sdt-c sdt-d sdt-s sdt-k sdt-m sdt-e sdt-u sdt-v sdt-w sdt-i sdt-r sdt-j sdt-n sdt-q sdt-x sdt-l; do mkuser $u; done
install -d -m 700 /root/.ssh
install -m 600 "$T/key.pub" /root/.ssh/authorized_keys
A=$(id -u sdt-a) B=$(id -u sdt-b) SU=$(id -u sdt-s) K=$(id -u sdt-k) M=$(id -u sdt-m)
E=$(id -u sdt-e) U=$(id -u sdt-u) V=$(id -u sdt-v)
W=$(id -u sdt-w) I=$(id -u sdt-i) R=$(id -u sdt-r) J=$(id -u sdt-j) NU=$(id -u sdt-n) Q=$(id -u sdt-q)
X=$(id -u sdt-x) L=$(id -u sdt-l)
# A block device for io.max (no disk in the VM): a loop device.
modprobe loop 2>/dev/null
truncate -s 64M "$T/disk"
LOOP=$(losetup -f --show "$T/disk" 2>/dev/null)
LOOPMM=$(stat -c '%t %T' "$LOOP" 2>/dev/null | { read -r a b && printf '%d:%d' 0x$a 0x$b; })
diag "loop device $LOOP ($LOOPMM)"
mkdir -p "$ETC" && chmod 0755 "$ETC"
cat >"$ETC/tenant.conf" <<'EOF'
[default]
on_logout = keep
[user sdt-a]
memory.max = 96M
memory.swap.max = 0
pids.max = 48
cpu = 50%
[user sdt-c]
memory.max = 200M
[user sdt-d]
memory.max = 200M
on_error = allow
[user sdt-s]
scope = session
memory.max = 64M
pids.max = 40
[user sdt-k]
on_logout = kill
[user sdt-m]
memory.max = 128M
pids.max = 64
[user sdt-w]
cpu.weight = idle
[user sdt-i]
memory.max = 96M
cpu.weight = 50
[user sdt-r]
memory.max = 96M
pids.max = 64
[user sdt-j]
memory.max = 96M
[user sdt-x]
memory.max = 96M
on_logout = kill
[user sdt-l]
memory.max = 96M
on_logout = kill
# as the shipped tenant.conf: systemd's user manager is left out
[service systemd-user]
isolate = no
EOF
# sdt-e's section, rewritten in 5c to see a changed and a removed key
conf_e() { # conf_e LINES...
	sed -i '/^# sdt-e$/,$d' "$ETC/tenant.conf"
	{ echo '# sdt-e'; echo '[user sdt-e]'; printf '%s\n' "$@"; } >>"$ETC/tenant.conf"
}
conf_e 'memory.max = 96M' 'pids.max = 100000' "io.max = $LOOPMM rbps=1M wiops=100"
chmod 0644 "$ETC/tenant.conf"
# timeout=30: under TCG on a loaded host a first login's helper (two
# StartTransientUnit jobs) can take longer than the default 10 s.
echo "session required $MOD timeout=30" >>/etc/pam.d/sshd
echo "session required $MOD timeout=30" >>/etc/pam.d/su
# A "cron" login: no pam_systemd; pam_exec reports where the login process
# ended up (it runs as a child of pamtester, inside the tenant).
cat >/etc/pam.d/sdt-cron <<EOF
auth     required pam_permit.so
account  required pam_permit.so
session  required $MOD
session  required pam_exec.so /usr/local/sbin/sdt-cron-report
EOF
printf '#!/bin/sh\ncat /proc/self/cgroup >/run/sdt-cron.out\nreadlink /proc/self/ns/mnt >>/run/sdt-cron.out\n' >/usr/local/sbin/sdt-cron-report
chmod 0755 /usr/local/sbin/sdt-cron-report
# A login with a short deadline, for a keeper that stalls (5b2).
printf 'auth required pam_permit.so\naccount required pam_permit.so\nsession required %s timeout=3\n' "$MOD" >/etc/pam.d/sdt-stall

SSHO=(-i "$T/key" -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o KexAlgorithms=curve25519-sha256
	-o ConnectTimeout=60)
ssh_as() { local u=$1; shift; timeout 300 ssh "${SSHO[@]}" "$u@127.0.0.1" "$@"; }
# held USER NAME: a login that stays (prints "pid sid cgroup mntns cookie" to $T/NAME)
held() {
	mkfifo "$T/$2.fifo"
	timeout 3000 ssh "${SSHO[@]}" -n "$1@127.0.0.1" \
		'echo "$$ $XDG_SESSION_ID $(sed -n "s/^0:://p" /proc/self/cgroup) $(readlink /proc/self/ns/mnt) ${TENANT_SESSION:-}"; exec sleep 1000' \
		>"$T/$2.fifo" 2>"$T/$2.err" &
	eval "HELD_$2=$!"
	local line=
	read -r -t 120 line <"$T/$2.fifo"
	echo "$line" >"$T/$2"
	diag "held $2: $line $(head -c 300 "$T/$2.err" | one)"
}
field() { awk -v f="$2" '{print $f}' "$T/$1"; }
# Is held login NAME still there?  Its shell's pid is the tenant's (its
# own PID namespace), so ask its session scope, which the host sees.
alive() { [ -n "$(cat "/sys/fs/cgroup$(field "$1" 3)/cgroup.procs" 2>/dev/null)" ]; }

# ---- 1. a login stays in logind's session scope, the tenant outside -------------
held sdt-a a1
pid1=$(field a1 1) sid1=$(field a1 2) cg1=$(field a1 3) ns1=$(field a1 4)
[[ $cg1 == "/user.slice/user-$A.slice/session-$sid1.scope" ]]
ok $? "a login stays in logind's session-$sid1.scope under user-$A.slice ($cg1)"
st=$(loginctl show-session "$sid1" -p State --value 2>&1) svc=$(loginctl show-session "$sid1" -p Service --value 2>&1)
loginctl list-sessions --no-legend | awk -v s="$sid1" -v u=sdt-a '$1 == s && $3 == u {f = 1} END {exit !f}' &&
	[ "$st" = active ] && [ "$svc" = sshd ]
ok $? "logind lists session $sid1 of sdt-a: State=$st Service=$svc"
[ "$ns1" != "$(readlink /proc/self/ns/mnt)" ] && [ -n "$ns1" ]
ok $? "the session is isolated (mount namespace $ns1)"
kp=$(sed -n 's/^keeper_pid //p' /run/pam_tenant/tenants/user-$A/info 2>/dev/null)
ip=$(sed -n 's/^init_pid //p' /run/pam_tenant/tenants/user-$A/info 2>/dev/null)
kcg=$(sed -n 's/^0:://p' /proc/$kp/cgroup 2>/dev/null) icg=$(sed -n 's/^0:://p' /proc/$ip/cgroup 2>/dev/null)
is "$kcg $icg" "/system.slice/pam_tenant-user-$A.scope /system.slice/pam_tenant-user-$A.scope" \
	"keeper and tenant-init run in pam_tenant-user-$A.scope in system.slice"
is "$(systemctl show pam_tenant-user-$A.scope -p ActiveState -p OOMPolicy | sort | one)" "ActiveState=active OOMPolicy=continue" \
	"the tenant's scope is active with OOMPolicy=continue"
grep -q "^unit pam_tenant-user-$A.scope" /run/pam_tenant/tenants/user-$A/info
ok $? "the tenant's info names its unit"

# ---- 2. limits are properties of user-UID.slice; the files agree ------------------
S=/sys/fs/cgroup/user.slice/user-$A.slice
is "$(systemctl show user-$A.slice -p MemoryMax -p MemorySwapMax -p TasksMax -p CPUQuotaPerSecUSec | sort | one)" \
	"CPUQuotaPerSecUSec=500ms MemoryMax=100663296 MemorySwapMax=0 TasksMax=48" "systemctl show user-$A.slice reports the limits"
is "$(cat $S/memory.max $S/memory.swap.max $S/pids.max $S/cpu.max | one)" "100663296 0 48 50000 100000" \
	"the slice's cgroup files agree"
ls /run/systemd/system.control/user-$A.slice.d/ 2>/dev/null | grep -q '^50-MemoryMax.conf$'
ok $? "they are runtime drop-ins (/run/systemd/system.control/user-$A.slice.d: $(ls /run/systemd/system.control/user-$A.slice.d 2>/dev/null | one))"
is "$(systemctl show user-$B.slice -p MemoryMax --value)" "infinity" "a user without limits keeps systemd's defaults"

# ---- 3. a second login joins; no bus call; the tenant is shared --------------------
mark=$(jmark)
held sdt-a a2
sid2=$(field a2 2) ns2=$(field a2 4)
is "$ns2 $(field a2 3)" "$ns1 /user.slice/user-$A.slice/session-$sid2.scope" "a second login joins the tenant from its own session scope"
wait_for 50 eval 'jsince "$mark" | grep -q "(uid $A) isolated in tenant user-$A (joined by its keeper)"'
ok $? "the limits being in place, the keeper took it without the helper, i.e. without any D-Bus call"
st=$("$E2E/tenantctl" status sdt-a 2>&1)
[[ $st == *"unit pam_tenant-user-$A.scope"* ]] && [[ $st == *"slice_cgroup /user.slice/user-$A.slice"* ]] &&
	[[ $st == *"memory "*" of 96.0M"* ]] && [[ $st == *"pids "*" of 48,"* ]]
ok $? "tenantctl status shows the unit, the slice and usage against the limits ($(echo "$st" | grep -E 'unit|slice|memory|pids' | one))"
ls=$("$E2E/tenantctl" list --json 2>&1)
[[ $ls == *'"unit":"pam_tenant-user-'$A'.scope"'* ]] && [[ $ls == *'"quotas":"systemd"'* ]]
ok $? "tenantctl list --json names the unit and the backend ($(echo "$ls" | head -c 300))"

# ---- 4. limits hold: OOM kill of a hog only; fork flood held -----------------------
out=$(ssh_as sdt-a 'perl -e "\$x = q(x) x (200 * 1024 * 1024); print qq(survived\n)"; echo rc=$?' 2>&1)
[[ $out == *rc=137* ]]
ok $? "a 200 MiB hog under memory.max = 96M is killed ($(echo "$out" | one))"
alive a1 && alive a2 && kill -0 "$kp" && kill -0 "$ip"
ok $? "the other sessions, the keeper and tenant-init survive the OOM kill"
grep -q 'oom_kill [1-9]' $S/memory.events
ok $? "the slice's memory.events counts it ($(grep oom_kill $S/memory.events | one))"
wait_for 100 eval 'jsince "$mark" | grep -q "tenant user-$A: .* killed at memory.max"'
ok $? "the keeper logs/audits the OOM kill"
bomb='perl -e '\''my ($n, $f) = (0, 0); my $end = time + 5;
	while (time < $end) { my $p = fork();
		if (!defined $p) { $f++; select(undef, undef, undef, 0.02); next }
		if ($p == 0) { sleep 7; exit 0 } $n++ }
	print "forked=$n refused=$f\n"'\'''
out=$(ssh_as sdt-a "$bomb" 2>&1)
forked=$(echo "$out" | sed -n 's/.*forked=\([0-9]*\).*/\1/p')
[[ $out == *refused=[1-9]* ]] && [ -n "$forked" ] && [ "$forked" -lt 48 ]
ok $? "a fork flood is held at TasksMax=48 ($out)"
wait_for 100 eval 'jsince "$mark" | grep -q "tenant user-$A: fork refused at pids.max"'
ok $? "the keeper logs/audits the refused forks"

# ---- 5. daemon-reload keeps them --------------------------------------------------
systemctl daemon-reload
is "$(cat $S/memory.max $S/pids.max $S/cpu.max | one) $(systemctl show user-$A.slice -p MemoryMax --value)" \
	"100663296 48 50000 100000 100663296" "after daemon-reload the limits are unchanged"
out=$(ssh_as sdt-a 'perl -e "\$x = q(x) x (200 * 1024 * 1024); print qq(survived\n)"; echo rc=$?' 2>&1)
[[ $out == *rc=137* ]]
ok $? "... and still hold (the hog is killed again)"

# ---- 5b. an admin drop-in that overrides a value is detected at the next login ------
mkdir -p /etc/systemd/system/user-.slice.d
printf '[Slice]\nMemoryMax=100M\n' >/etc/systemd/system/user-.slice.d/99-admin.conf
systemctl daemon-reload
mark=$(jmark)
out=$(ssh_as sdt-a 'echo LOGIN-OK' 2>&1)
[[ $out != *LOGIN-OK* ]] &&
	wait_for 50 eval 'jsince "$mark" | grep -q "MemoryMax=104857600 from /etc/systemd/system/user-.slice.d/99-admin.conf:2 overrides pam_tenant.s 100663296"'
ok $? "a looser 99- admin drop-in overriding MemoryMax is detected at the next login (cgroup = required: refused; $(jsince "$mark" | grep -m1 -o 'user-[0-9]*.slice: MemoryMax.*' | head -c 200))"
# A first login is refused only after its keeper was forked and the
# keeper's scope asked for (docs/architecture.md, decision 31): the keeper
# gives up, and neither its state nor its scope is left.
mark=$(jmark)
out=$(ssh_as sdt-j 'echo LOGIN-OK' 2>&1)
[[ $out != *LOGIN-OK* ]] && jsince "$mark" | grep -q "user-$J.slice: MemoryMax=104857600 from /etc/systemd/system/user-.slice.d/99-admin.conf:2 overrides"
ok $? "the same refuses a first login (sdt-j: $(echo "$out" | one | head -c 150))"
wait_for 100 tenant_gone $J
ok $? "... and its keeper left neither state nor pam_tenant-user-$J.scope ($(ls /run/pam_tenant/tenants 2>&1 | one); $(systemctl list-units --all --no-legend --plain 'pam_tenant-*' 2>&1 | one))"
jsince "$mark" | grep -q "tenant user-$J started"
ok $((!$?)) "... and it never reported its tenant started"
rm /etc/systemd/system/user-.slice.d/99-admin.conf
systemctl daemon-reload
is "$(cat $S/memory.max)" "100663296" "... and pam_tenant's value is back once it is removed"

# ---- 5b2. a first login whose keeper fails or stalls before tenant-init -------------
# A first login whose keeper fails before tenant-init (no IPC namespace
# left): the helper has forked it and goes on placing the login, then
# hears why from it; no scope was asked for, nothing is left.
old_ipc=$(cat /proc/sys/user/max_ipc_namespaces)
mark=$(jmark)
echo 0 >/proc/sys/user/max_ipc_namespaces
out=$(ssh_as sdt-n 'echo LOGIN-OK' 2>&1)
echo "$old_ipc" >/proc/sys/user/max_ipc_namespaces
[[ $out != *LOGIN-OK* ]] && jsince "$mark" | grep -q "tenant setup failed: clone namespaces: .*user.max_ipc_namespaces"
ok $? "a first login whose keeper fails before tenant-init is refused with the keeper's reason (sdt-n: $(jsince "$mark" | grep -m1 -o 'tenant setup failed.*' | head -c 200))"
wait_for 100 tenant_gone $NU
ok $? "... and left neither state nor pam_tenant-user-$NU.scope ($(ls /run/pam_tenant/tenants 2>&1 | one))"
out=$(ssh_as sdt-n 'echo LOGIN-OK; readlink /proc/self/ns/ipc' 2>&1)
[[ $out == *LOGIN-OK* ]] && [[ $out != *"$(readlink /proc/self/ns/ipc)"* ]]
ok $? "... and with the limit back, sdt-n logs in isolated ($(echo "$out" | one))"
# A keeper that stalls before tenant-init (a fault point) past the
# login's 3 s deadline: the login is refused at the deadline; the keeper,
# once it wakes, finds the helper gone, removes its state and exits, and
# no scope was asked for.
fault keeper-before-init 'sleep 6'
mark=$(jmark)
pamtester sdt-stall sdt-q open_session >"$T/stall.out" 2>&1
src=$?
fault keeper-before-init
[ $src != 0 ] && jsince "$mark" | grep -q "keeper did not start in time"
ok $? "a first login whose keeper stalls before tenant-init is refused at its deadline ($(jsince "$mark" | grep -m1 -o 'sdt-q.*keeper did not start.*' | head -c 200))"
wait_for 200 eval 'jsince "$mark" | grep -q "fault injection: keeper-before-init" && tenant_gone $Q'
ok $? "... and the keeper, once awake, removes its state; no scope was made ($(ls /run/pam_tenant/tenants 2>&1 | one))"
jsince "$mark" | grep -q "tenant user-$Q started"
ok $((!$?)) "... and its tenant never reported started"
# A keeper killed before tenant-init (the same fault point): the helper
# reads no pid, asks for no scope and refuses the login; the dead
# keeper's state is left, and the user's next login removes it and
# starts the tenant the other way round (the login placed first).
fault keeper-before-init kill
mark=$(jmark)
out=$(ssh_as sdt-x 'echo LOGIN-OK' 2>&1)
fault keeper-before-init
[[ $out != *LOGIN-OK* ]] && jsince "$mark" | grep -q "sdt-x.*keeper died during setup"
ok $? "a first login whose keeper is killed before tenant-init is refused ($(jsince "$mark" | grep -m1 -o 'sdt-x.*keeper died.*' | head -c 200))"
[ -z "$(systemctl list-units --all --no-legend --plain "pam_tenant-user-$X.scope")" ] &&
	! jsince "$mark" | grep -q "tenant user-$X started"
ok $? "... no scope was asked for and no tenant started (state left: $(ls /run/pam_tenant/tenants 2>&1 | one))"
mark=$(jmark)
out=$(ssh_as sdt-x 'echo LOGIN-OK; readlink /proc/self/ns/mnt; cat /sys/fs/cgroup/user.slice/user-$(id -u).slice/memory.max' 2>&1)
[[ $out == *LOGIN-OK* ]] && [[ $out != *"$(readlink /proc/self/ns/mnt)"* ]] && [[ $out == *100663296* ]]
ok $? "... the next login is isolated with its limit ($(echo "$out" | one))"
jsince "$mark" | grep -q "removed stale state of tenant user-$X"
ok $? "... after removing the dead keeper's state"
wait_for 100 tenant_gone $X
ok $? "... and at its logout (on_logout = kill) neither state nor scope is left ($(ls /run/pam_tenant/tenants 2>&1 | one))"

# ---- 5c. the unit's own files are outer bounds; removed keys; io.max ----------------
SE=/sys/fs/cgroup/user.slice/user-$E.slice
t33=$(systemctl show user-$B.slice -p TasksMax --value)
mkdir -p /etc/systemd/system/user-$E.slice.d
printf '[Slice]\nMemoryMax=80M\n' >/etc/systemd/system/user-$E.slice.d/20-admin.conf
systemctl daemon-reload
mark=$(jmark)
held sdt-e e1
is "$(systemctl show user-$E.slice -p MemoryMax -p TasksMax | sort | one) $(cat $SE/memory.max $SE/pids.max | one)" \
	"MemoryMax=83886080 TasksMax=$t33 83886080 $t33" \
	"outer bounds: an admin's 20- drop-in (MemoryMax=80M < 96M) and Debian's TasksMax=33% (< 100000) stay in force"
wait_for 50 eval 'jsince "$mark" | grep -q "MemoryMax=83886080 (configured 100663296) bounded by /etc/systemd/system/user-$E.slice.d/20-admin.conf:2"' &&
	jsince "$mark" | grep -q "TasksMax=$t33 (configured 100000) bounded by /usr/lib/systemd/system/user-.slice.d/10-defaults.conf:"
ok $? "... logged and audited with file:line ($(jsince "$mark" | grep -m1 -o 'systemd: MemoryMax.*' | head -c 250))"
is "$(systemctl show user-$E.slice -p IOReadBandwidthMax -p IOWriteIOPSMax | sort | one)" \
	"IOReadBandwidthMax=/dev/block/$LOOPMM 1048576 IOWriteIOPSMax=/dev/block/$LOOPMM 100" \
	"io.max = $LOOPMM rbps=1M wiops=100 becomes IOReadBandwidthMax/IOWriteIOPSMax of the slice"
grep -qx "$LOOPMM rbps=1048576 wbps=max riops=max wiops=100" $SE/io.max
ok $? "... and the slice's io.max agrees ($(one <$SE/io.max))"
mark=$(jmark)
is "$(ssh_as sdt-e 'echo in' 2>&1)" "in" "a second login of a bounded user works"
wait_for 50 eval 'jsince "$mark" | grep -q "(uid $E) isolated in tenant user-$E (joined by its keeper)"'
ok $? "... served by the keeper without the helper (what is in force is on record: no D-Bus call)"
# A new tenant on the same slice relies on the same record (9c counts its
# calls): the admin's bound it noted then is audited again.
"$E2E/tenantctl" terminate sdt-e >/dev/null 2>&1
wait_for 100 eval '[ ! -e /run/pam_tenant/tenants/user-$E ]'
mark=$(jmark)
held sdt-e e2
wait_for 50 eval 'jsince "$mark" | grep -q "MemoryMax=83886080 (configured 100663296) bounded by /etc/systemd/system/user-$E.slice.d/20-admin.conf:2"' &&
	[ "$(cat $SE/memory.max)" = 83886080 ]
ok $? "a new tenant of that user (its slice's limits on record) audits the admin's bound again ($(jsince "$mark" | grep -m1 -o 'systemd: MemoryMax.*' | head -c 200))"
printf '[Slice]\nMemoryMax=64M\n' >/etc/systemd/system/user-$E.slice.d/99-admin.conf
systemctl daemon-reload
mark=$(jmark)
out=$(ssh_as sdt-e 'echo LOGIN-OK' 2>&1)
[[ $out == *LOGIN-OK* ]] && [ "$(cat $SE/memory.max)" = 67108864 ] &&
	wait_for 50 eval 'jsince "$mark" | grep -q "MemoryMax=67108864 (configured 100663296) overridden (stricter) by a later drop-in, /etc/systemd/system/user-$E.slice.d/99-admin.conf:2"'
ok $? "a stricter 99- override is in force, the login goes on, and it is audited ($(echo "$out" | one); $(jsince "$mark" | grep -m1 -o 'systemd: MemoryMax.*' | head -c 200))"
rm -f /etc/systemd/system/user-$E.slice.d/*.conf
systemctl daemon-reload
ssh_as sdt-e true >/dev/null 2>&1
is "$(cat $SE/memory.max) $(systemctl show user-$E.slice -p MemoryMax --value)" "100663296 100663296" \
	"admin files removed: the next login puts the configured 96M in force"
conf_e 'memory.max = 96M' 'pids.max = 30'
sleep 0.2
ssh_as sdt-e true >/dev/null 2>&1
is "$(cat $SE/pids.max) $(systemctl show user-$E.slice -p TasksMax --value) [$(systemctl show user-$E.slice -p IOReadBandwidthMax --value)]" \
	"30 30 []" "a changed key and a removed io.max take effect at the next login while the tenant runs"
! grep -q "^$LOOPMM .*rbps=1048576" $SE/io.max
ok $? "... the device's io.max is back to max ($(one <$SE/io.max))"
conf_e 'memory.max = 96M'
sleep 0.2
ssh_as sdt-e true >/dev/null 2>&1
is "$(cat $SE/pids.max) $(systemctl show user-$E.slice -p TasksMax --value)" "$t33 $t33" \
	"pids.max removed from the config: TasksMax is Debian's 33% again at the next login, no reboot"
kill "$HELD_e1" "$HELD_e2" 2>/dev/null

# ---- 5d. cpu.weight = idle: CPUWeight=idle (0 on D-Bus), cgroup cpu.idle --------
SW=/sys/fs/cgroup/user.slice/user-$W.slice
out=$(ssh_as sdt-w 'echo LOGIN-OK' 2>&1)
is "$(echo "$out" | one) $(systemctl show user-$W.slice -p CPUWeight --value) $(cat $SW/cpu.idle 2>&1)" \
	"LOGIN-OK idle 1" "cpu.weight = idle becomes CPUWeight=idle of the slice, read back as cpu.idle = 1"
# An admin's CPUWeight=idle is an outer bound like any other value
# (systemd 252 parses it as weight 0: stricter than every weight).
SI=/sys/fs/cgroup/user.slice/user-$I.slice
mkdir -p /etc/systemd/system/user-$I.slice.d
printf '[Slice]\nCPUWeight=idle\n' >/etc/systemd/system/user-$I.slice.d/20-idle.conf
systemctl daemon-reload
mark=$(jmark)
out=$(ssh_as sdt-i 'echo LOGIN-OK' 2>&1)
[[ $out == *LOGIN-OK* ]] && [ "$(cat $SI/cpu.idle $SI/memory.max | one)" = "1 100663296" ] &&
	wait_for 50 eval 'jsince "$mark" | grep -q "CPUWeight=0 (configured 50) bounded by /etc/systemd/system/user-$I.slice.d/20-idle.conf:2"'
ok $? "an admin drop-in CPUWeight=idle stays in force over cpu.weight = 50, the login goes on, audited ($(echo "$out" | one); cpu.idle $(cat $SI/cpu.idle); $(jsince "$mark" | grep -m1 -o 'systemd: CPUWeight.*' | head -c 200))"
rm -rf /etc/systemd/system/user-$I.slice.d
systemctl daemon-reload

# ---- 5e. systemctl set-property --runtime by an admin is not taken for ours ---------
# It writes the very file pam_tenant's SetUnitProperties writes
# (system.control/user-UID.slice.d/50-MemoryMax.conf); only pam_tenant's
# record of the files it wrote tells them apart.
SR=/sys/fs/cgroup/user.slice/user-$R.slice
systemctl set-property --runtime user-$R.slice MemoryMax=64M
mark=$(jmark)
out=$(ssh_as sdt-r 'echo LOGIN-OK' 2>&1)
[[ $out == *LOGIN-OK* ]] && [ "$(cat $SR/memory.max $SR/pids.max | one)" = "67108864 64" ] &&
	wait_for 50 eval 'jsince "$mark" | grep -q "MemoryMax=67108864 (configured 100663296) kept, set by systemctl set-property --runtime"'
ok $? "an admin's stricter set-property --runtime MemoryMax=64M before the first login stays in force, audited ($(echo "$out" | one); memory.max $(cat $SR/memory.max); $(jsince "$mark" | grep -m1 -o 'systemd: MemoryMax.*' | head -c 200))"
wait_for 100 eval '[ ! -e /run/pam_tenant/tenants/user-$R ]'
ssh_as sdt-r true >/dev/null 2>&1
is "$(cat $SR/memory.max) $(systemctl show user-$R.slice -p MemoryMax --value)" "67108864 67108864" \
	"... also at the next first login (still the admin's, not pam_tenant's)"
systemctl set-property --runtime user-$R.slice MemoryMax=300M
wait_for 100 eval '[ ! -e /run/pam_tenant/tenants/user-$R ]'
mark=$(jmark)
ssh_as sdt-r true >/dev/null 2>&1
[ "$(cat $SR/memory.max)" = 100663296 ] &&
	wait_for 50 eval 'jsince "$mark" | grep -q "MemoryMax=314572800 (configured 100663296) set by systemctl set-property --runtime (not by pam_tenant) is looser: replaced"'
ok $? "a looser admin runtime value (300M) is replaced by the configured 96M at the next login, audited (memory.max $(cat $SR/memory.max); $(jsince "$mark" | grep -m1 -o 'systemd: MemoryMax.*' | head -c 200))"
conf_r() { sed -i "/^\[user sdt-r\]\$/,/^pids.max/ s/^memory.max = .*/memory.max = $1/" "$ETC/tenant.conf"; }
conf_r 200M
sleep 0.2
wait_for 100 eval '[ ! -e /run/pam_tenant/tenants/user-$R ]'
ssh_as sdt-r true >/dev/null 2>&1
is "$(cat $SR/memory.max)" "209715200" "... after which the file is pam_tenant's own: a looser configured value takes effect"
conf_r 96M

# ---- 5f. an admin drop-in added while the tenant runs: the next join is the helper's --
# The keeper serves joins without D-Bus, so it cannot ask systemd for the
# unit's files; it compares a stamp of their directories (stat, readdir)
# with the one the helper recorded.
SJ=/sys/fs/cgroup/user.slice/user-$J.slice
held sdt-j j1
mark=$(jmark)
is "$(ssh_as sdt-j 'echo in' 2>&1) $(cat $SJ/memory.max)" "in 100663296" "sdt-j's tenant runs with memory.max = 96M"
wait_for 50 eval 'jsince "$mark" | grep -q "(uid $J) isolated in tenant user-$J (joined by its keeper)"'
ok $? "... and its joins are the keeper's"
mkdir -p /etc/systemd/system/user-$J.slice.d
printf '[Slice]\nMemoryMax=64M\n' >/etc/systemd/system/user-$J.slice.d/20-admin.conf
systemctl daemon-reload
mark=$(jmark)
out=$(ssh_as sdt-j 'readlink /proc/self/ns/mnt' 2>&1)
[ "$out" = "$(field j1 4)" ] && [ "$(cat $SJ/memory.max)" = 67108864 ] &&
	wait_for 50 eval 'jsince "$mark" | grep -q "MemoryMax=67108864 (configured 100663296) bounded by /etc/systemd/system/user-$J.slice.d/20-admin.conf:2"' &&
	! jsince "$mark" | grep -q "(uid $J) isolated in tenant user-$J (joined by its keeper)"
ok $? "a 20- drop-in added (and loaded) while the tenant runs: the next join goes to the helper, which puts the admin's 64M in force ($(cat $SJ/memory.max); $(jsince "$mark" | grep -m1 -o 'systemd: MemoryMax.*' | head -c 200))"
mark=$(jmark)
is "$(ssh_as sdt-j 'echo in' 2>&1)" "in" "the join after that"
wait_for 50 eval 'jsince "$mark" | grep -q "(uid $J) isolated in tenant user-$J (joined by its keeper)"'
ok $? "... is the keeper's again (the helper recorded the new stamp)"
printf '[Slice]\nMemoryMax=48M\n' >>/etc/systemd/system/user-$J.slice.d/20-admin.conf
systemctl daemon-reload
ssh_as sdt-j true >/dev/null 2>&1
is "$(cat $SJ/memory.max)" "50331648" "a drop-in edited in place (no new file in the directory) is noticed too"
rm -rf /etc/systemd/system/user-$J.slice.d
systemctl daemon-reload
kill "$HELD_j1" 2>/dev/null

# ---- 6. nothing at the top of /sys/fs/cgroup that systemd did not make ------------
top_now=$(ls /sys/fs/cgroup | one)
# every directory there is the ControlGroup of a unit systemd knows
bad=$(for d in /sys/fs/cgroup/*/; do d=${d%/}; d=${d##*/}
	[ "$(systemctl show "$d" -p ControlGroup --value 2>/dev/null)" = "/$d" ] || echo "$d"; done | one)
dirs=$(for d in /sys/fs/cgroup/*/; do d=${d%/}; echo "${d##*/}"; done | one)
[ ! -e /sys/fs/cgroup/tenant.slice ] && [ -z "$bad" ]
ok $? "no directory at the top of /sys/fs/cgroup that systemd did not create (not a unit's: ${bad:-none}; there: $dirs)"

# ---- 7. terminate-session of the first login ---------------------------------------
loginctl terminate-session "$sid1"
wait_for 300 eval '! alive a1'
alive a2 && kill -0 "$kp" && kill -0 "$ip" && [ -d /run/pam_tenant/tenants/user-$A ]
ok $? "terminate-session of the first login leaves the second session and the tenant alive"
is "$(ssh_as sdt-a 'readlink /proc/self/ns/mnt')" "$ns1" "a new login still joins the same tenant"

# ---- 7b. tenantctl terminate --session and kill (the keeper, by session scope) -----
held sdt-a a3
out=$("$E2E/tenantctl" terminate sdt-a --session "$(field a3 5)" 2>&1)
wait_for 300 eval '! alive a3'
alive a2 && kill -0 "$kp" && kill -0 "$ip"
ok $? "tenantctl terminate --session ends that login's processes; a2 and the tenant live ($(echo "$out" | one))"
out=$("$E2E/tenantctl" kill sdt-a --signal WINCH 2>&1)
[[ $out =~ sent\ SIGWINCH\ to\ [1-9] ]] && sleep 0.5 && alive a2 && kill -0 "$kp"
ok $? "tenantctl kill --signal WINCH reaches the tenant's processes, which go on ($(echo "$out" | one))"

# ---- 7c. usage of a unit systemd removed before the keeper read it ---------------
# The keeper is stopped while terminate-session removes a session's
# scope, so its session-end record can only carry the last snapshot
# (taken at the join), marked with usage_age_ms.
held sdt-a a4
cg4=$(field a4 3) ck4=$(field a4 5)
umark=$(jmark)
kill -STOP "$kp"
loginctl terminate-session "$(field a4 2)"
wait_for 300 eval '[ ! -d "/sys/fs/cgroup$cg4" ]'
gone=$?
kill -CONT "$kp"
wait_for 100 eval 'jsince "$umark" | grep -Eq "session $ck4 of uid $A ended \([a-z-]*\) cpu_usec=[1-9][0-9]* .*usage_age_ms=[0-9]+"'
ok $? "a session whose scope systemd removed before the keeper could read it ends with the last snapshot and its age (scope gone while stopped: $gone; $(jsince "$umark" | grep -m1 -o "session $ck4 of uid $A ended.*" | head -c 250))"
alive a2 && kill -0 "$kp" && kill -0 "$ip"
ok $? "... the other session and the tenant go on"

# ---- 8. su - from a root session, and a cron-like login, get a scope ------------
out=$(ssh_as root "su - sdt-b -c 'sed -n s/^0:://p /proc/self/cgroup; readlink /proc/self/ns/mnt'" 2>&1)
scg=$(echo "$out" | head -1)
[[ $scg =~ ^/user\.slice/user-$B\.slice/pam_tenant-session-[0-9a-f]{32}\.scope$ ]] &&
	[ "$(echo "$out" | sed -n 2p)" != "$(readlink /proc/self/ns/mnt)" ]
ok $? "su - from a root session runs isolated in a scope of the user's slice ($(echo "$out" | one))"
rm -f /run/sdt-cron.out
pamtester sdt-cron sdt-b open_session >"$T/pamtester.out" 2>&1
prc=$?
ccg=$(head -1 /run/sdt-cron.out 2>/dev/null)
[ $prc = 0 ] && [ "$(sed -n 2p /run/sdt-cron.out)" != "$(readlink /proc/self/ns/mnt)" ] && [[ $ccg =~ ^0::/user\.slice/user-$B\.slice/pam_tenant-session-[0-9a-f]{32}\.scope$ ]]
ok $? "a cron-like login (pamtester, no pam_systemd) gets a scope in user-$B.slice ($prc: $ccg $(one <"$T/pamtester.out"))"

# ---- 8b. scope = session: limits on the session's own scope ------------------------
held sdt-s s1
ssid=$(field s1 2) scg=$(field s1 3)
is "$scg $(systemctl show session-$ssid.scope -p MemoryMax -p TasksMax | sort | one)" \
	"/user.slice/user-$SU.slice/session-$ssid.scope MemoryMax=67108864 TasksMax=40" "scope = session: the limits are properties of session-$ssid.scope"
is "$(cat /sys/fs/cgroup$scg/memory.max /sys/fs/cgroup$scg/pids.max | one) $(systemctl show user-$SU.slice -p MemoryMax --value)" \
	"67108864 40 infinity" "... its cgroup files agree; the user's slice is left alone"
key=$(ls /run/pam_tenant/tenants | grep '^session-' | head -1)
kps=$(sed -n 's/^keeper_pid //p' /run/pam_tenant/tenants/$key/info 2>/dev/null)
is "$(sed -n 's/^0:://p' /proc/$kps/cgroup 2>/dev/null)" "/system.slice/pam_tenant-$key.scope" "... and its tenant's keeper has a scope of its own"
kill "$HELD_s1" 2>/dev/null

# ---- 8c. on_logout = kill: the session's processes end with it -----------------------
out=$(ssh_as sdt-k 'nohup sleep 500 >/dev/null 2>&1 & echo bg=$!' 2>&1)
wait_for 100 eval '! pgrep -u $K >/dev/null && [ ! -e /run/pam_tenant/tenants/user-$K ]'
ok $? "on_logout = kill: a background process is killed at logout and the tenant ends ($(pgrep -a -u $K | one))"

# ---- 8d. tenantctl check knows what cannot work here -------------------------------
printf '[default]\nio.max = 8:0 rbps=1M\ncgroup.root = tenants\nproc.lxcfs = yes\n' >"$T/io.conf"
out=$("$E2E/tenantctl" check "$T/io.conf" 2>&1)
rc=$?
[ $rc = 0 ] && [[ $out == *"warning: $T/io.conf:3: cgroup.root is ignored on this systemd host"* ]] &&
	[[ $out != *io.max* ]]
ok $? "tenantctl check: io.max works here, cgroup.root is ignored (a warning with file:line; exit $rc: $(echo "$out" | one))"
[[ $out == *"warning: $T/io.conf:4: proc.lxcfs = yes shows the tenant's uptime only on this systemd host"* ]]
ok $? "... proc.lxcfs = yes shows the host's memory here: a warning with file:line"
mv "$E2E/tenant-systemd.so" "$E2E/tenant-systemd.so.off"
out=$("$E2E/tenantctl" check "$T/io.conf" 2>&1)
rc=$?
mv "$E2E/tenant-systemd.so.off" "$E2E/tenant-systemd.so"
[ $rc = 1 ] && [[ $out == *"the systemd backend cannot be loaded"* ]]
ok $? "tenantctl check: without tenant-systemd.so no login can work here, an error (exit $rc: $(echo "$out" | one))"

# ---- 8e. logind down: a login pam_systemd could not register gets a scope --------
# (masked, so that D-Bus does not start it again meanwhile; sdt-l has
# never logged in, so neither has it a slice yet)
systemctl mask --runtime --now systemd-logind.service >/dev/null 2>&1
is "$(systemctl is-active systemd-logind.service)" "inactive" "logind stopped"
mark=$(jmark)
out=$(ssh_as sdt-l 'echo LOGIN-OK; sed -n s/^0:://p /proc/self/cgroup; readlink /proc/self/ns/mnt; cat /sys/fs/cgroup/user.slice/user-$(id -u).slice/memory.max' 2>&1)
[[ $out == *LOGIN-OK* ]] && [[ $(echo "$out" | sed -n 2p) =~ ^/user\.slice/user-$L\.slice/pam_tenant-session-[0-9a-f]{32}\.scope$ ]] &&
	[ "$(echo "$out" | sed -n 3p)" != "$(readlink /proc/self/ns/mnt)" ] && [ "$(echo "$out" | sed -n 4p)" = 100663296 ]
ok $? "logind down: an ssh login (pam_systemd failed, optional) runs isolated in a scope of a new user-$L.slice with its limit ($(echo "$out" | one))"
is "$(ssh_as root 'echo root-in' 2>&1)" "root-in" "... root still logs in"
wait_for 100 tenant_gone $L
ok $? "... and at its logout (on_logout = kill) neither state nor scope is left ($(ls /run/pam_tenant/tenants 2>&1 | one))"
systemctl unmask --runtime systemd-logind.service >/dev/null 2>&1
systemctl start systemd-logind.service
wait_for 100 eval 'loginctl list-sessions >/dev/null 2>&1'
ok $? "logind back"
out=$(ssh_as sdt-l 'echo LOGIN-OK; sed -n s/^0:://p /proc/self/cgroup; readlink /proc/self/ns/mnt' 2>&1)
[[ $out == *LOGIN-OK* ]] && [[ $(echo "$out" | sed -n 2p) =~ ^/user\.slice/user-$L\.slice/session-[0-9]+\.scope$ ]] &&
	[ "$(echo "$out" | sed -n 3p)" != "$(readlink /proc/self/ns/mnt)" ]
ok $? "... and sdt-l's next login is in logind's session scope again, isolated ($(echo "$out" | one))"
wait_for 100 tenant_gone $L

# ---- 9. terminate-user ends everything of the user ---------------------------------
tmark=$(jmark)
loginctl terminate-user sdt-a
t0=${EPOCHREALTIME/./}
wait_for 150 eval '! pgrep -u $A >/dev/null && [ ! -e /run/pam_tenant/tenants/user-$A ] && ! kill -0 $kp 2>/dev/null && ! kill -0 $ip 2>/dev/null'
rc=$?
ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
ok $rc "terminate-user ends every process of sdt-a, the keeper, tenant-init and the state in $ms ms ($(pgrep -a -u $A | one))"
wait_for 100 eval '[ "$(systemctl show pam_tenant-user-$A.scope -p ActiveState --value)" = inactive ]'
ok $? "the tenant's scope is gone ($(systemctl show pam_tenant-user-$A.scope -p ActiveState -p LoadState | one))"
# (journald may still be reading the keeper's last lines: at load 9-10
# this check once read the journal before they were in it)
wait_for 100 eval 'jsince "$tmark" | grep -Eq "tenant user-$A ended \("'
ends=$(jsince "$tmark" | grep -E "session [0-9a-f]{32} of uid $A ended \(" | one)
[ "$(echo "$ends" | grep -Eo "ended \([a-z-]*\) cpu_usec=[1-9][0-9]* memory_peak=[1-9]" | wc -l)" -ge 1 ] &&
	jsince "$tmark" | grep -Eq "tenant user-$A ended \([a-z-]*\) cpu_usec=[1-9][0-9]* memory_peak=[1-9]"
ok $? "session-end and tenant-end records keep their usage although systemd removed the units ($(echo "$ends" | head -c 300))"
wait "$HELD_a1" "$HELD_a2" 2>/dev/null

# ---- 9b. KillUserProcesses=yes ends what a session left behind, and the tenant -----
ssh_as sdt-b 'nohup sleep 500 >/dev/null 2>&1 &' >/dev/null 2>&1
sleep 2
pgrep -u $B -x sleep >/dev/null && [ -d /run/pam_tenant/tenants/user-$B ]
ok $? "KillUserProcesses=no (Debian's default), on_logout = keep: a background process and its tenant outlive the logout"
pkill -9 -u $B -x sleep
wait_for 100 eval '[ ! -e /run/pam_tenant/tenants/user-$B ]'
ok $? "... and the tenant ends when its last process does"
mkdir -p /etc/systemd/logind.conf.d
printf '[Login]\nKillUserProcesses=yes\n' >/etc/systemd/logind.conf.d/90-sdt.conf
systemctl restart systemd-logind
ssh_as sdt-b 'nohup sleep 500 >/dev/null 2>&1 &' >/dev/null 2>&1
wait_for 100 eval '! pgrep -u $B -x sleep >/dev/null && [ ! -e /run/pam_tenant/tenants/user-$B ]'
ok $? "KillUserProcesses=yes: the background process is killed at logout and the tenant ends ($(pgrep -a -u $B | one))"
rm /etc/systemd/logind.conf.d/90-sdt.conf
systemctl restart systemd-logind

# ---- 9c. D-Bus calls, counted with busctl monitor -----------------------------
# pam_tenant's calls are the method calls made by connections other than
# logind's and PID 1's (its own bookkeeping with the bus daemon) that never
# talk to login1 (pam_systemd's connections only do; logind makes the
# session scopes).  A first login must show up there (the helper's
# StartTransientUnit), or the method proves nothing.
mon_start() {
	LOGIND=$(busctl status org.freedesktop.login1 2>/dev/null | sed -n 's/^UniqueName=//p')
	PID1=$(busctl status org.freedesktop.systemd1 2>/dev/null | sed -n 's/^UniqueName=//p')
	busctl monitor --json=short >"$T/mon" 2>"$T/mon.err" &
	MON=$!
	wait_for 300 grep -q Monitoring "$T/mon.err"
}
mon_stop() { sleep 1; kill "$MON"; wait "$MON" 2>/dev/null; } # TERM: background jobs ignore SIGINT
# The method calls of connections other than logind's and pam_systemd's,
# one per line: MEMBER(first string argument) -> destination.
foreign_calls() {
	awk -v ld="$LOGIND" -v p1="$PID1" '/"type":"method_call"/ {
		s = d = m = a = ""
		if (match($0, /"sender":"[^"]*"/)) s = substr($0, RSTART + 10, RLENGTH - 11)
		if (match($0, /"destination":"[^"]*"/)) d = substr($0, RSTART + 15, RLENGTH - 16)
		if (match($0, /"member":"[^"]*"/)) m = substr($0, RSTART + 10, RLENGTH - 11)
		if (match($0, /"data":\["[^"]*"/)) a = substr($0, RSTART + 9, RLENGTH - 10)
		if (s == ld || s == p1) next
		if (d == "org.freedesktop.login1") l1[s] = 1
		c[++n] = s; t[n] = m "(" a ") -> " d }
	    END { for (i = 1; i <= n; i++) if (!(c[i] in l1)) print t[i] }' "$T/mon"
}
mon_start
held sdt-m m1
mon_stop
fc=$(foreign_calls)
echo "$fc" | grep -q "^StartTransientUnit(pam_tenant-user-$M.scope) -> org.freedesktop.systemd1$" &&
	echo "$fc" | grep -q "^SetUnitProperties(user-$M.slice) -> org.freedesktop.systemd1$"
ok $? "busctl monitor sees a first login's calls from pam_tenant's own connection ($(echo "$fc" | sort | uniq -c | one))"
is "$(cat /sys/fs/cgroup/user.slice/user-$M.slice/memory.max /sys/fs/cgroup/user.slice/user-$M.slice/pids.max | one)" \
	"134217728 64" "... and the limits are in place (user-$M.slice)"
mark=$(jmark)
mon_start
held sdt-m m2
mon_stop
fc=$(foreign_calls)
sdc=$(grep '"type":"method_call"' "$T/mon" | grep '"destination":"org.freedesktop.systemd1"' | grep -vc "\"sender\":\"$LOGIND\"")
[ "$(field m2 4)" = "$(field m1 4)" ] && [ -z "$fc" ] && [ "$sdc" = 0 ] &&
	wait_for 50 eval 'jsince "$mark" | grep -q "(uid $M) isolated in tenant user-$M (joined by its keeper)"'
ok $? "a joining login with the limits in place makes no D-Bus call: no call to systemd1 but logind's, no connection but pam_systemd's, logind's and PID 1's (systemd1 calls: $sdc; others: $(echo "$fc" | one))"
loginctl terminate-user sdt-m
wait_for 150 eval '! pgrep -u $M >/dev/null && [ ! -e /run/pam_tenant/tenants/user-$M ] && [ "$(systemctl show pam_tenant-user-$M.scope -p ActiveState --value)" = inactive ]'
ok $? "terminate-user ends sdt-m's tenant ($(pgrep -a -u $M | one))"
wait "$HELD_m1" "$HELD_m2" 2>/dev/null
mon_start
out=$(ssh_as sdt-m 'readlink /proc/self/ns/mnt' 2>&1)
mon_stop
# (user@UID.service starts again: its manager's own bus calls go to
# org.freedesktop.DBus, not to systemd1)
# (the slice's limits, its drop-in directories and the configuration are
# as the last helper recorded them: not even the unit's files are asked for)
fc=$(foreign_calls | grep 'org.freedesktop.systemd1$')
[ "$(echo "$fc" | grep -c .)" = 1 ] &&
	echo "$fc" | grep -q "^StartTransientUnit(pam_tenant-user-$M.scope) -> org.freedesktop.systemd1$" &&
	[[ $out == *mnt:* ]] && [[ $out != *"$(readlink /proc/self/ns/mnt)"* ]]
ok $? "the next first login (a new tenant, the slice's limits still in place) makes one call, the keeper's scope: no SetUnitProperties, no property read ($(echo "$fc" | one); login: $(echo "$out" | one))"
wait_for 100 eval '[ ! -e /run/pam_tenant/tenants/user-$M ] && [ "$(systemctl show pam_tenant-user-$M.scope -p ActiveState --value)" = inactive ]'
ok $? "... and that tenant ends with its login ($(ls /run/pam_tenant/tenants | one))"

# ---- 9d. systemd's user manager with pam_tenant in common-session-noninteractive ----
# (as a pam-auth-update profile puts it): user@UID.service opens a session
# of PAM service systemd-user.  Exempt (the shipped config), it runs and
# stays outside the tenant; isolated, it cannot start.
echo "session required $MOD timeout=30" >>/etc/pam.d/common-session-noninteractive
out=$(ssh_as sdt-u 'echo LOGIN-OK; readlink /proc/self/ns/mnt' 2>&1)
wait_for 1500 eval '[ "$(systemctl show user@$U.service -p ActiveState --value)" = active ]'
st=$?
um=$(systemctl show user@$U.service -p MainPID --value)
[ $st = 0 ] && [[ $out == *LOGIN-OK* ]] && [[ $out != *"$(readlink /proc/self/ns/mnt)"* ]] &&
	[ "$(readlink /proc/$um/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ]
ok $? "[service systemd-user] isolate = no: user@$U.service is active, outside the tenant, the login isolated ($(systemctl show user@$U.service -p ActiveState -p Result | one); $(echo "$out" | one))"
is "$(XDG_RUNTIME_DIR=/run/user/$U runuser -u sdt-u -- systemctl --user is-system-running 2>&1)" "running" \
	"... and its manager answers systemctl --user"
out=$(ssh_as sdt-u 'systemctl --user is-system-running' 2>&1 | one)
[[ $out == *"No data available"* ]]
ok $? "... from inside the tenant systemctl --user refuses the manager whose PID it cannot see (pam_tenant(8), systemd issue 11300: $out)"
diag "busctl --user status from inside the tenant: $(ssh_as sdt-u 'busctl --user status 2>&1 | head -n 3' 2>&1 | one)"
sed -i '/^\[service systemd-user\]$/,/^isolate = no$/d' "$ETC/tenant.conf"
out=$("$E2E/tenantctl" check 2>&1)
[[ $out == *"warning: the systemd-user PAM stack runs pam_tenant and the configuration isolates it"* ]]
ok $? "tenantctl check warns when the systemd-user stack runs pam_tenant without the exemption ($(echo "$out" | grep -m1 -o 'warning: the systemd-user.*' | head -c 120))"
ssh_as sdt-v true >/dev/null 2>&1
wait_for 1500 eval '[ "$(systemctl show user@$V.service -p Result --value)" = exit-code ]'
ok $? "without it, user@$V.service fails ($(systemctl show user@$V.service -p ActiveState -p Result -p ExecMainStatus | one)): why it is exempt"
printf '[service systemd-user]\nisolate = no\n' >>"$ETC/tenant.conf"
sed -i '\|pam_tenant|d' /etc/pam.d/common-session-noninteractive
systemctl reset-failed "user@$V.service" 2>/dev/null
loginctl terminate-user sdt-u sdt-v 2>/dev/null

# ---- 10. no failed units -----------------------------------------------------------------
wait_for 150 eval '[ -z "$(systemctl list-jobs --no-legend 2>/dev/null)" ]'
failed=$(systemctl --failed --no-legend --plain --no-pager | awk '{print $1}' | one)
is "$failed" "" "no failed units"

# ---- 11. D-Bus stopped: the configured failure policy; root logs in --------------
systemctl stop dbus.socket dbus.service
mark=$(jmark)
out=$(ssh_as sdt-c 'echo LOGIN-OK' 2>&1)
[[ $out != *LOGIN-OK* ]] && [[ $out == *"login refused"* ]]
ok $? "D-Bus down, cgroup = required with a limit, on_error = deny: the login is refused ($(echo "$out" | one))"
C=$(id -u sdt-c)
wait_for 100 eval '[ ! -e /run/pam_tenant/tenants/user-$C ]'
ok $? "... and the keeper started for it (a first login) left no state ($(ls /run/pam_tenant/tenants 2>&1 | one))"
out=$(ssh_as sdt-d 'echo LOGIN-OK; readlink /proc/self/ns/mnt' 2>&1)
[[ $out == *LOGIN-OK* ]] && [[ $out == *"$(readlink /proc/self/ns/mnt)"* ]]
ok $? "... on_error = allow: the login goes on, not isolated ($(echo "$out" | one))"
jsince "$mark" | grep -q 'system bus'
ok $? "the failure names the bus ($(jsince "$mark" | grep -m1 -o 'systemd: .*' | head -c 200))"
is "$(ssh_as root 'echo root-in' 2>&1)" "root-in" "root still logs in"
systemctl start dbus.socket dbus.service
wait_for 100 eval 'busctl --system list >/dev/null 2>&1'
ok $? "D-Bus back"
out=$(ssh_as sdt-c 'echo LOGIN-OK; readlink /proc/self/ns/mnt' 2>&1)
[[ $out == *LOGIN-OK* ]] && [[ $out != *"$(readlink /proc/self/ns/mnt)"* ]]
ok $? "with D-Bus back, the refused user logs in isolated ($(echo "$out" | tail -1))"
wait_for 150 eval '[ -z "$(systemctl list-jobs --no-legend 2>/dev/null)" ] && [ -z "$(pgrep -u sdt-c)" ]'
failed=$(systemctl --failed --no-legend --plain --no-pager | awk '{print $1}' | one)
is "$failed" "" "no failed units at the end"

if [ $nfail != 0 ]; then # what pam_tenant logged, for the failures above
	journalctl -q --no-pager -o short-monotonic 2>/dev/null | grep -E 'pam_tenant|tenant-|\(systemd\)|su\[|sshd\[' |
		grep -vE 'Accepted|session (opened|closed) for' | tail -150 | sed 's/^/# journal: /'
fi
echo "1..$n"
losetup -d "$LOOP" 2>/dev/null
rm -rf "$T"
[ $nfail = 0 ]
