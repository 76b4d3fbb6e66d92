#!/bin/bash
# Guest half of tests/vm/selftest.sh: runs INSIDE the VM (as root, via
# tests/vm/vm-run) and checks the environment the runner promises.  Prints
#   RESULT pass|fail|skip NAME [:: detail]
# lines that selftest.sh turns into TAP; everything else is diagnostics.
# Argument: a user name that must not exist on the host (useradd check).

set -u
NEWUSER=${1:-vmst-user}
T0US=${EPOCHREALTIME/./}
ts() {
	local d=$(((${EPOCHREALTIME/./} - T0US) / 10000))
	printf '[%3d.%02ds]' $((d / 100)) $((d % 100))
}
diag() { printf '%s %s\n' "$(ts)" "$*"; }
result() { # result pass|fail|skip NAME [DETAIL]
	printf 'RESULT %s %s' "$1" "$2"
	[ $# -ge 3 ] && printf ' :: %s' "$3"
	printf '\n'
}
judge() { # judge STATUS NAME DETAIL   (STATUS: $? of the condition, first so that
	# it is expanded before any command substitution in DETAIL)
	if [ "$1" = 0 ]; then result pass "$2" "$3"; else result fail "$2" "$3"; fi
}

# Wait (up to $2 tenths of a second) until something accepts on 127.0.0.1:$1.
wait_port() {
	local i=0
	while [ $i -lt "$2" ]; do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

W=$(mktemp -d)
# ---- cgroup v2 ---------------------------------------------------------
fstype=$(stat -fc %T /sys/fs/cgroup)
[ "$fstype" = cgroup2fs ]
judge $? cgroup2-mounted "stat -fc %T /sys/fs/cgroup = $fstype"

read -r sub </sys/fs/cgroup/cgroup.subtree_control
missing=
for c in memory cpu pids io; do
	case " $sub " in *" $c "*) ;; *) missing="$missing $c" ;; esac
done
[ -z "$missing" ]
judge $? cgroup-subtree-control "root subtree_control: $sub"

CG=/sys/fs/cgroup/vmselftest
mkdir "$CG" && echo 50M >"$CG/memory.max" && echo 20 >"$CG/pids.max"
echo 0 >"$CG/memory.swap.max" 2>/dev/null
diag "created $CG: memory.max=$(cat "$CG/memory.max") pids.max=$(cat "$CG/pids.max") controllers='$(cat "$CG/cgroup.controllers")'"

# Fork loop: the perl process (1 task) forks sleepers until fork() fails.
# perl rather than bash: bash retries a failed fork with back-off for seconds.
out=$(sh -c 'echo $$ >'"$CG"'/cgroup.procs && exec perl -e '\''
	my $n = 0;
	for my $i (1 .. 100) {
		my $p = fork();
		if (!defined $p) { print "fork #$i failed: $!\n"; last }
		if ($p == 0) { close STDOUT; close STDERR; sleep 60; exit 0 }
		$n++;
	}
	open(my $f, "<", "'"$CG"'/pids.current"); my $cur = <$f>; chomp $cur;
	print "children=$n pids.current=$cur\n";
'\'' 2>&1')
diag "fork loop: $(echo $out)"
cur=$(echo "$out" | sed -n 's/.*pids.current=\([0-9]*\).*/\1/p')
kids=$(echo "$out" | sed -n 's/.*children=\([0-9]*\).*/\1/p')
pmax=$(awk '$1 == "max" { print $2 }' "$CG/pids.events")
[ "$kids" = 19 ] && [ "$cur" = 20 ] && [ "${pmax:-0}" -ge 1 ]
judge $? cgroup-pids-max "fork loop stopped: children=$kids pids.current=$cur pids.events max=$pmax"
echo 1 >"$CG/cgroup.kill"
i=0
while [ "$(cat "$CG/pids.current")" != 0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

# Memory hog: 200 MiB in a 50 MiB cgroup must be OOM-killed.
(sh -c 'echo $$ >'"$CG"'/cgroup.procs && exec perl -e '\''my $x = "x" x (200 * 1024 * 1024); print length($x), "\n"'\''' >/dev/null 2>&1; exit $?) 2>/dev/null
hog=$?
oomk=$(awk '$1 == "oom_kill" { print $2 }' "$CG/memory.events")
diag "memory hog exit status $hog; memory.events: $(tr '\n' ' ' <"$CG/memory.events")"
dmesg 2>/dev/null | grep -m1 'Memory cgroup out of memory' | sed 's/^/    kernel: /'
[ "$hog" = 137 ] && [ "${oomk:-0}" -ge 1 ]
judge $? cgroup-memory-oom "hog exit=$hog oom_kill=$oomk"
rmdir "$CG" 2>/dev/null

# ---- loopback ------------------------------------------------------------
ip -4 addr show lo | grep -q 'inet 127\.0\.0\.1/8'
judge $? loopback-addr "ip addr show lo has 127.0.0.1/8"

# A one-shot listener that says when it listens; bash's /dev/tcp connects.
perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 7777, Listen => 1, ReuseAddr => 1) or die "listen: $!";
	open(my $r, ">", $ARGV[0]); close $r;
	my $c = $s->accept or die "accept: $!";
	$c->autoflush(1);
	print $c "hello-from-listener\n";
	my $l = <$c>; print $l;' "$W/listening" >"$W/listener.out" 2>&1 &
lpid=$!
i=0
while [ ! -e "$W/listening" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
got=
if exec 3<>/dev/tcp/127.0.0.1/7777; then
	read -r -t 5 got <&3
	echo "ping-from-client" >&3
	exec 3>&-
fi
wait $lpid
[ "$got" = hello-from-listener ] && grep -q ping-from-client "$W/listener.out"
judge $? loopback-tcp "client got '$got', listener got '$(cat "$W/listener.out")'"

# ---- useradd stays in the guest -----------------------------------------
useradd -m "$NEWUSER" 2>"$W/useradd.err" && id "$NEWUSER" >/dev/null
judge $? useradd-guest "useradd $NEWUSER: $(id "$NEWUSER" 2>&1) $(cat "$W/useradd.err")"

# ---- sshd on 127.0.0.1 ----------------------------------------------------
if [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null && command -v ssh-keygen >/dev/null; then
	diag "ssh: keys"
	S=$W/ssh
	mkdir -m 700 "$S"
	ssh-keygen -q -t ed25519 -N '' -f "$S/hostkey" && ssh-keygen -q -t ed25519 -N '' -f "$S/userkey"
	useradd -m -s /bin/bash vmst-ssh
	install -d -m 700 -o vmst-ssh -g vmst-ssh ~vmst-ssh/.ssh
	install -m 600 -o vmst-ssh -g vmst-ssh "$S/userkey.pub" ~vmst-ssh/.ssh/authorized_keys
	cat >"$S/sshd_config" <<-EOF
		Port 2222
		ListenAddress 127.0.0.1
		HostKey $S/hostkey
		PidFile $S/sshd.pid
		UsePAM yes
		PubkeyAuthentication yes
		AuthorizedKeysFile .ssh/authorized_keys
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin no
		LogLevel VERBOSE
	EOF
	diag "ssh: start sshd"
	/usr/sbin/sshd -f "$S/sshd_config" -E "$S/sshd.log"
	if wait_port 2222 100; then
		diag "ssh: login"
		who=$(timeout 60 ssh -n -i "$S/userkey" -p 2222 -o BatchMode=yes \
			-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
			-o KexAlgorithms=curve25519-sha256 vmst-ssh@127.0.0.1 'id -un; cat /proc/self/loginuid' 2>"$W/ssh.err")
		diag "ssh: done"
		grep -E 'Accepted|error|fatal' "$S/sshd.log" | head -5 | sed 's/^/    sshd: /'
		[ "$(echo "$who" | head -1)" = vmst-ssh ]
		judge $? sshd-login "ssh said: $(echo $who) $(head -c 300 "$W/ssh.err")"
	else
		head -20 "$S/sshd.log" | sed 's/^/    sshd: /'
		result fail sshd-login "sshd did not listen on 127.0.0.1:2222"
	fi
else
	result skip sshd-login "openssh-server/openssh-client not installed"
fi

# ---- auditd ----------------------------------------------------------------
if [ -x /sbin/auditd ] && command -v auditctl >/dev/null && command -v ausearch >/dev/null; then
	diag "audit: before: $(auditctl -s 2>&1 | grep -E '^(enabled|pid)' | tr '\n' ' ')"
	/sbin/auditd 2>"$W/auditd.err"
	i=0
	while ! auditctl -s 2>/dev/null | grep -q '^enabled 1' && [ $i -lt 30 ]; do sleep 0.2; i=$((i + 1)); done
	diag "audit: after: $(auditctl -s 2>&1 | grep -E '^(enabled|pid)' | tr '\n' ' ')"
	tag="hello-vm-selftest-$$"
	auditctl -m "$tag"
	# Wait for auditd to write the record (cheap grep), then ask ausearch.
	i=0
	while ! grep -q "text=$tag" /var/log/audit/audit.log 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	rec=$(ausearch -m USER 2>/dev/null | grep "text=$tag" | head -1)
	[ -n "$rec" ] && echo "    $rec"
	[ -n "$rec" ]
	judge $? auditd-message "auditctl -m $tag found by ausearch: $([ -n "$rec" ] && echo yes || echo no) $(head -c 200 "$W/auditd.err")"
else
	result skip auditd-message "auditd not installed"
fi
diag "guest checks done"
