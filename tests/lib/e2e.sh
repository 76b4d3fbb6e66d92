# shellcheck shell=bash
# tests/lib/e2e.sh - helpers for the root end-to-end tests (tests/e2e/*.sh).
#
# Source it first thing:   . "$(dirname "$0")/../lib/e2e.sh"
# Works under `set -u`. Assertions return their result (0 = pass), so a test
# that uses `set -e` must not let a failing assertion end it: prefer no -e.
# Never set your own EXIT/INT/TERM trap: push cleanups with on_exit instead.
# Infrastructure helpers (make_user, start_sshd, ...) print "Bail out!" and
# exit 1 when they cannot set up; the runner counts that as a failure.
#
# Everything a test creates (users, sshd, auditd, syslogd, /etc/pam.d file,
# /dev/log, $T) is registered for removal on exit, also on failure/INT/TERM.

if [ -n "${_E2E_LIB_LOADED:-}" ]; then
	return 0
fi
_E2E_LIB_LOADED=1

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_BUILD=${E2E_BUILD:-$E2E_ROOT/build/e2e}
export E2E_ROOT E2E_BUILD
export LC_ALL=C
_E2E_MAIN_PID=$BASHPID
_E2E_RUN_ID=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
_E2E_N=0
_E2E_FAILED=0
_E2E_CLEANUPS=()
_E2E_CLEANING=0
_E2E_USERS=()
declare -A _E2E_UID=()
_E2E_SSHD_PIDS=()
_E2E_SSHD_N=0
SSH_BG_PIDS=()
AUDIT_AVAILABLE=${AUDIT_AVAILABLE:-0}

# ---------------------------------------------------------------- TAP ----

# _e2e_where: "file line N" of the test line that called the assertion.
_e2e_where() {
	local i=1
	while [ "$i" -lt "${#BASH_SOURCE[@]}" ] &&
	    [ "${BASH_SOURCE[$i]}" = "${BASH_SOURCE[0]}" ]; do
		i=$((i + 1))
	done
	printf '%s line %s' "${BASH_SOURCE[$i]:-?}" "${BASH_LINENO[$((i - 1))]:-?}"
}

# diag [MSG...]: print MSG (or stdin when no args) as TAP "# " comment lines.
diag() {
	if [ "$#" -eq 0 ]; then
		sed 's/^/# /'
	else
		printf '%s\n' "$*" | sed 's/^/# /'
	fi
}

# plan_later: declare that the plan is printed at the end by done_testing.
plan_later() { :; }

# ok STATUS DESC: "ok" when STATUS is 0 (e.g. `ok $? "x works"`), else "not ok".
ok() {
	local st=$1 desc=${2:-}
	_E2E_N=$((_E2E_N + 1))
	if [ "$st" = 0 ]; then
		printf 'ok %d - %s\n' "$_E2E_N" "$desc"
		return 0
	fi
	_E2E_FAILED=$((_E2E_FAILED + 1))
	printf 'not ok %d - %s\n' "$_E2E_N" "$desc"
	diag "  at $(_e2e_where) (status $st)"
	return 1
}

# check DESC CMD [ARGS...]: run CMD (in a subshell); ok if it exits 0, else not ok + its output.
check() {
	local desc=$1 out st
	shift
	out=$("$@" 2>&1)
	st=$?
	if [ "$st" = 0 ]; then
		ok 0 "$desc"
		return 0
	fi
	ok "$st" "$desc"
	diag "  command: $*"
	[ -n "$out" ] && printf '%s\n' "$out" | tail -n 20 | sed 's/^/  > /' | diag
	return 1
}

# is GOT WANT DESC: ok if the two strings are equal, else show both.
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "${3:-}"
		return 0
	fi
	ok 1 "${3:-}"
	diag "  got:  '$1'"
	diag "  want: '$2'"
	return 1
}

# like GOT REGEX DESC: ok if GOT matches the extended REGEX (bash =~).
like() {
	if [[ $1 =~ $2 ]]; then
		ok 0 "${3:-}"
		return 0
	fi
	ok 1 "${3:-}"
	diag "  got:  '$1'"
	diag "  want match: /$2/"
	return 1
}

# unlike GOT REGEX DESC: ok if GOT does not match the extended REGEX.
unlike() {
	if ! [[ $1 =~ $2 ]]; then
		ok 0 "${3:-}"
		return 0
	fi
	ok 1 "${3:-}"
	diag "  got:  '$1'"
	diag "  want no match: /$2/"
	return 1
}

# skip WHY [DESC]: emit one skipped assertion ("ok N - DESC # SKIP WHY").
skip() {
	_E2E_N=$((_E2E_N + 1))
	printf 'ok %d - %s # SKIP %s\n' "$_E2E_N" "${2:-skipped}" "$1"
}

# skip_all WHY: print "1..0 # SKIP WHY" and exit 77 (cleanups still run).
skip_all() {
	printf '1..0 # SKIP %s\n' "$*"
	exit 77
}

# bail_out WHY: harness could not set up: print "Bail out! WHY" and exit 1.
bail_out() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}

# done_testing: print the plan "1..N"; exit 1 if any assertion failed, else 0.
done_testing() {
	printf '1..%d\n' "$_E2E_N"
	[ "$_E2E_FAILED" -eq 0 ] && exit 0
	diag "$_E2E_FAILED of $_E2E_N assertions failed"
	exit 1
}

# require_root: skip the whole test unless running as uid 0.
require_root() {
	[ "$(id -u)" = 0 ] || skip_all "needs root (uid is $(id -u))"
}

# require_cmd CMD...: skip the whole test unless every CMD is in PATH.
require_cmd() {
	local c missing=
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
	done
	[ -z "$missing" ] || skip_all "missing command(s):$missing"
}

# ------------------------------------------------------------ cleanup ----

# on_exit SHELL_CODE: push SHELL_CODE; run LIFO at exit (also on INT/TERM).
on_exit() {
	_E2E_CLEANUPS+=("$1")
}

# _e2e_run_cleanups: EXIT trap: run all cleanups in reverse, report failures.
_e2e_run_cleanups() {
	local rc=$? _e2e_ci code out
	[ "$BASHPID" = "$_E2E_MAIN_PID" ] || return "$rc"
	[ "$_E2E_CLEANING" = 0 ] || return "$rc"
	_E2E_CLEANING=1
	trap '' INT TERM HUP
	out=$(mktemp /tmp/e2e-cleanup.XXXXXX) || out=/dev/null
	exec 3>&1 # cleanups may report through fd 3
	# (a cleanup's own loop variables must not clobber this one)
	for ((_e2e_ci = ${#_E2E_CLEANUPS[@]} - 1; _e2e_ci >= 0; _e2e_ci--)); do
		code=${_E2E_CLEANUPS[$_e2e_ci]}
		if ! eval "$code" >"$out" 2>&1 </dev/null; then
			diag "cleanup failed: $code"
			[ -s "$out" ] && sed 's/^/  > /' "$out" | diag
		fi
	done
	[ "$out" = /dev/null ] || rm -f -- "$out"
	_E2E_CLEANUPS=()
	exit "$rc"
}
trap _e2e_run_cleanups EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# _e2e_q STRING: STRING quoted for reuse as shell input (for on_exit code).
_e2e_q() { printf '%q' "$1"; }

# _e2e_alive PID: true if PID exists and is not a zombie.
_e2e_alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# _e2e_stop_pid PID [SECS]: TERM PID, KILL it after SECS (3), reap if our child.
_e2e_stop_pid() {
	local pid=$1 secs=${2:-3}
	_e2e_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	if ! wait_until "$secs" eval "! _e2e_alive $pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait_until 3 eval "! _e2e_alive $pid" || return 1
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# _e2e_ps: "pid ppid ruid euid state start_ticks comm" for every process, read from /proc.
# (Not ps: procps 4.0.2 prints uids >= 2^31 as negative numbers.)
_e2e_ps() {
	local d _st
	for d in /proc/[0-9]*; do
		# one read per file; a process may vanish at any point
		{ read -r _st <"$d/stat" && _e2e_ps_status "$d/status"; } 2>/dev/null || continue
	done
}

# _e2e_ps_status FILE: print one _e2e_ps line from a /proc/PID/status FILE and $_st.
_e2e_ps_status() {
	local k v rest pid="" ppid="" ruid="" euid="" state="" name="" start
	while IFS=$'\t' read -r k v rest; do
		case $k in
		Name:) name=$v ;;
		State:) state=${v%% *} ;;
		Pid:) pid=$v ;;
		PPid:) ppid=$v ;;
		Uid:) ruid=$v euid=${rest%%$'\t'*}; break ;;
		esac
	done <"$1"
	start=${_st##*) }
	read -r _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ start _ <<<"$start"
	[ -n "$pid" ] && printf '%s %s %s %s %s %s %s\n' "$pid" "$ppid" "$ruid" "$euid" "$state" "$start" "$name"
}

# _e2e_descendants PID...: print the PIDs of all descendants of the PIDs.
_e2e_descendants() {
	_e2e_ps | awk -v roots="$*" '
		BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) in_set[r[i]] = 1 }
		{ parent[$1] = $2 }
		END {
			do {
				changed = 0
				for (p in parent)
					if (!(p in in_set) && (parent[p] in in_set)) {
						in_set[p] = 1; changed = 1; print p
					}
			} while (changed)
		}'
}

# wait_until TIMEOUT_S CMD [ARGS...]: poll CMD every 0.1 s; 0 once it succeeds, 1 on timeout.
wait_until() {
	local _wu_t=$1 _wu_frac=000000000 _wu_end _wu_now
	shift
	case $_wu_t in *.*) _wu_frac=${_wu_t#*.}000000000 _wu_frac=${_wu_frac:0:9} _wu_t=${_wu_t%%.*} ;; esac
	_wu_end=$(($(date +%s%N) + ${_wu_t:-0} * 1000000000 + 10#$_wu_frac))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		_wu_now=$(date +%s%N)
		[ "$_wu_now" -lt "$_wu_end" ] || return 1
		sleep 0.1
	done
}

# tmpdir_create: set $T to a fresh mktemp -d (mode 0755), removed on exit (kept if E2E_KEEP_T=1).
tmpdir_create() {
	T=$(mktemp -d /tmp/pam_tenant-e2e.XXXXXX) || bail_out "mktemp -d failed"
	chmod 0755 "$T"
	export T
	on_exit "_e2e_rm_T $(_e2e_q "$T")"
}

# tenant_bin_dir VAR FILE...: copy FILEs (programs a user runs inside a
# tenant) to a fresh directory below /run and set VAR to it; removed on
# exit.  Inside a tenant /tmp, /var/tmp and /dev/shm are private: a tree
# checked out below them (as CI's clone may be) is not there.
tenant_bin_dir() {
	local _tbd_var=$1 _tbd_dir
	shift
	_tbd_dir=$(mktemp -d /run/pam_tenant-test.XXXXXX) || bail_out "mktemp -d /run failed"
	on_exit "rm -rf --one-file-system -- $(_e2e_q "$_tbd_dir")"
	chmod 0755 "$_tbd_dir"
	cp -- "$@" "$_tbd_dir/" || bail_out "copy to $_tbd_dir failed"
	printf -v "$_tbd_var" '%s' "$_tbd_dir"
}

# _e2e_rm_T DIR: remove the test directory, unless E2E_KEEP_T=1 (debugging).
_e2e_rm_T() {
	if [ "${E2E_KEEP_T:-0}" = 1 ]; then
		diag "E2E_KEEP_T=1: keeping $1" >&3
		return 0
	fi
	rm -rf --one-file-system -- "$1"
}

# _e2e_need_T: create $T unless a test already did.
_e2e_need_T() {
	if [ -z "${T:-}" ] || [ ! -d "$T" ]; then
		tmpdir_create
	fi
}

# --------------------------------------------------------------- users ----

# user_password NAME: the deterministic per-run password make_user set for NAME.
user_password() {
	printf 'pw-%s-%s\n' "$1" "$_E2E_RUN_ID"
}

# user_uid NAME: the numeric uid of NAME from /etc/passwd (no NSS, no numeric-name ambiguity).
user_uid() {
	awk -F: -v n="$1" '$1 == n { print $3; exit }' /etc/passwd
}

# user_home NAME: the home directory of NAME from /etc/passwd.
user_home() {
	awk -F: -v n="$1" '$1 == n { print $6; exit }' /etc/passwd
}

# user_key NAME: path of the private ssh key make_user generated for NAME.
user_key() {
	printf '%s/keys/%s\n' "${T:-}" "$1"
}

# make_user NAME [USERADD_ARGS...]: useradd -m (bash), ssh key, password; removed on exit.
make_user() {
	local name=$1 uid gid home out
	shift
	_e2e_need_T
	[ -n "$(user_uid "$name")" ] &&
		bail_out "make_user: user '$name' already exists (leftover? userdel -r -f -- '$name')"
	# registered first: an interrupt right after useradd must not leak it
	on_exit "[ -z \"\$(user_uid $(_e2e_q "$name"))\" ] || _e2e_user_cleanup $(_e2e_q "$name")"
	out=$(useradd -m -s /bin/bash "$@" -- "$name" 2>&1) ||
		bail_out "make_user: useradd $* -- '$name' failed: $out"
	uid=$(user_uid "$name")
	gid=$(awk -F: -v n="$name" '$1 == n { print $4; exit }' /etc/passwd)
	home=$(user_home "$name")
	if [ -z "$uid" ] || [ ! -d "$home" ]; then
		bail_out "make_user: '$name' has no uid/home"
	fi
	_E2E_USERS+=("$name")
	_E2E_UID[$name]=$uid
	install -d -m 0700 "$T/keys"
	rm -f -- "$T/keys/$name" "$T/keys/$name.pub"
	ssh-keygen -q -t ed25519 -N '' -C "e2e-$name" -f "$T/keys/$name" </dev/null ||
		bail_out "make_user: ssh-keygen failed"
	install -d -m 0700 -- "$home/.ssh"
	install -m 0600 -- "$T/keys/$name.pub" "$home/.ssh/authorized_keys"
	chown -- "+$uid:+$gid" "$home/.ssh" "$home/.ssh/authorized_keys" ||
		bail_out "make_user: chown of ~/.ssh failed"
	printf '%s:%s\n' "$name" "$(user_password "$name")" | chpasswd ||
		bail_out "make_user: chpasswd failed"
}

# kill_user_procs UID: SIGKILL every process whose real or effective uid is UID (by PID) until none is left.
kill_user_procs() {
	local uid=$1 i pids
	for ((i = 0; i < 50; i++)); do
		pids=$(_e2e_ps | awk -v u="$uid" '($3 == u || $4 == u) && $5 != "Z" && $5 != "X" { print $1 }')
		[ -z "$pids" ] && return 0
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null
		sleep 0.1
	done
	return 1
}

# _e2e_user_cleanup NAME: kill NAME's processes, then userdel -r -f (never across mounts).
_e2e_user_cleanup() {
	local name=$1 uid home st=0 out
	uid=$(user_uid "$name")
	[ -n "$uid" ] || return 0
	home=$(user_home "$name")
	kill_user_procs "$uid" || { echo "processes of uid $uid survive SIGKILL"; st=1; }
	if [ -n "$home" ] && awk -v h="$home" '$5 == h || index($5, h "/") == 1 { f = 1 } END { exit !f }' \
	    /proc/self/mountinfo; then
		echo "mounts under $home: not removing it (userdel without -r)"
		userdel -f -- "$name" || st=1
		return 1
	fi
	out=$(userdel -r -f -- "$name" 2>&1) || st=$?
	# a missing mail spool is not worth a diagnostic
	out=$(printf '%s\n' "$out" | grep -v 'mail spool .* not found' | grep .)
	[ -n "$out" ] && echo "$out"
	[ -z "$(user_uid "$name")" ] || return 1
	[ "$st" = 0 ] || [ "$st" = 12 ] || return 1 # 12: home already gone
	return 0
}

# ---------------------------------------------------------------- sshd ----

# pam_stack FILE [SESSION_LINES...]: write a Debian-like sshd PAM stack (no
# pam_systemd, no motd) to FILE, then append the given session lines.
pam_stack() {
	local f=$1 l
	shift
	{
		echo '@include common-auth'
		echo 'account  required pam_nologin.so'
		echo 'account  required pam_unix.so'
		echo 'session  required pam_loginuid.so'
		echo 'session  required pam_unix.so'
		echo 'session  required pam_limits.so'
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$f"
}

# _e2e_pam_service_pick: a free /etc/pam.d name (sshd-tenant-test, or -2.. if another live test holds it).
_e2e_pam_service_pick() {
	local base=${E2E_SSHD_SERVICE:-sshd-tenant-test} n name owner
	for n in "" -2 -3 -4 -5 -6 -7 -8 -9; do
		name=$base$n
		[ -e "/etc/pam.d/$name" ] || { echo "$name"; return 0; }
		owner=$(sed -n 's/^# e2e-owner pid \([0-9]*\) .*/\1/p' "/etc/pam.d/$name" | head -n 1)
		# stale file from a test that died: take it over
		if [ -n "$owner" ] && [ "$owner" != "$$" ] && ! _e2e_alive "$owner"; then
			echo "$name"
			return 0
		fi
	done
	return 1
}

# _e2e_port_free PORT: true if nothing listens on 127.0.0.1:PORT.
_e2e_port_free() {
	[ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# start_sshd PAM_STACK_FILE [SSHD_CONFIG_LINES...]: test sshd on 127.0.0.1; exports SSHD_PORT, SSHD_PID, SSHD_LOG, SSHD_PAM_SERVICE, SSHD_CONFIG. E2E_SSHD_BIN: what the service-named link runs (default /usr/sbin/sshd).
# Extra config lines come first (first value wins in sshd_config); a "Match"
# line and everything after it goes last.
start_sshd() {
	local stack=$1 dir svc port pid l pre=() post=() inmatch=0
	shift
	[ -r "$stack" ] || bail_out "start_sshd: cannot read PAM stack '$stack'"
	_e2e_need_T
	for l in "$@"; do
		case $l in [Mm]atch\ *) inmatch=1 ;; esac
		if [ "$inmatch" = 1 ]; then post+=("$l"); else pre+=("$l"); fi
	done
	[ -d /run/sshd ] || install -d -m 0755 /run/sshd
	_E2E_SSHD_N=$((_E2E_SSHD_N + 1))
	dir=$T/sshd.$_E2E_SSHD_N
	install -d -m 0700 "$dir" "$dir/bin"
	ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519" </dev/null ||
		bail_out "start_sshd: host key generation failed"

	svc=$(_e2e_pam_service_pick) || bail_out "start_sshd: no free /etc/pam.d/sshd-tenant-test* name"
	{
		printf '# e2e-owner pid %s %s\n' "$$" "$dir"
		cat -- "$stack"
	} >"$dir/pam.$svc"
	install -m 0644 "$dir/pam.$svc" "/etc/pam.d/$svc" || bail_out "start_sshd: cannot install /etc/pam.d/$svc"
	on_exit "rm -f -- $(_e2e_q "/etc/pam.d/$svc")"
	# OpenSSH 9.2 uses basename(argv[0]) as the PAM service name
	ln -s "${E2E_SSHD_BIN:-/usr/sbin/sshd}" "$dir/bin/$svc"

	for _ in {1..20}; do
		port=$((22220 + RANDOM % 1000))
		_e2e_port_free "$port" || continue
		{
			for l in "${pre[@]}"; do printf '%s\n' "$l"; done
			cat <<-EOF
			Port $port
			ListenAddress 127.0.0.1
			HostKey $dir/host_ed25519
			PidFile $dir/sshd.pid
			UsePAM yes
			PasswordAuthentication no
			KbdInteractiveAuthentication no
			PubkeyAuthentication yes
			AuthorizedKeysFile .ssh/authorized_keys
			PermitRootLogin prohibit-password
			StrictModes no
			MaxStartups 200:30:300
			MaxSessions 50
			LogLevel VERBOSE
			Subsystem sftp internal-sftp
			AcceptEnv none
			UseDNS no
			PrintMotd no
			PrintLastLog no
			EOF
			for l in "${post[@]}"; do printf '%s\n' "$l"; done
		} >"$dir/sshd_config"
		: >"$dir/sshd.log"
		"${_E2E_SAN_ENV[@]}" "$dir/bin/$svc" -D -e -E "$dir/sshd.log" -f "$dir/sshd_config" </dev/null >/dev/null 2>>"$_E2E_SAN_ERR" &
		pid=$!
		if wait_until 10 eval "grep -q 'Server listening on 127.0.0.1 port $port' $(_e2e_q "$dir/sshd.log") || ! _e2e_alive $pid"; then
			if _e2e_alive "$pid" && ! _e2e_port_free "$port"; then
				_E2E_SSHD_PIDS+=("$pid")
				on_exit "_e2e_sshd_stop $pid"
				SSHD_PORT=$port SSHD_PID=$pid SSHD_LOG=$dir/sshd.log
				SSHD_PAM_SERVICE=$svc SSHD_CONFIG=$dir/sshd_config
				export SSHD_PORT SSHD_PID SSHD_LOG SSHD_PAM_SERVICE SSHD_CONFIG
				return 0
			fi
		fi
		_e2e_stop_pid "$pid" 2
		grep -qiE 'address already in use|cannot bind' "$dir/sshd.log" && continue
		diag "sshd log:" && sed 's/^/  > /' "$dir/sshd.log" | diag
		bail_out "start_sshd: sshd did not start"
	done
	bail_out "start_sshd: no free port found"
}

# make check-asan (TN_SAN_PRELOAD, TN_SAN_LOG_DIR): the test sshd runs
# with the ASan runtime preloaded, so the module it loads is checked with
# heap interception; reports go where tests/run.sh reads them; sshd's own
# leaks are not ours to check.
# sshd logs to its -E file; its stderr gets only what GCC's UBSan writes
# there when it was loaded with the module (it ignores log_path then).
_E2E_SAN_ENV=()
_E2E_SAN_ERR=/dev/null
if [ -n "${TN_SAN_PRELOAD:-}" ]; then
	_E2E_SAN_ERR=${TN_SAN_LOG_DIR:-/run/pam_tenant-asan}/sshd-stderr.$$
	_E2E_SAN_ENV=(env "LD_PRELOAD=$TN_SAN_PRELOAD"
		"ASAN_OPTIONS=log_path=${TN_SAN_LOG_DIR:-/run/pam_tenant-asan}/report:detect_leaks=0"
		"UBSAN_OPTIONS=log_path=${TN_SAN_LOG_DIR:-/run/pam_tenant-asan}/report:print_stacktrace=1:halt_on_error=1")
fi

# _e2e_sshd_stop PID: stop a test sshd and every session process below it.
_e2e_sshd_stop() {
	local pid=$1 kids k
	kids=$(_e2e_descendants "$pid")
	_e2e_stop_pid "$pid" 3 || return 1
	for k in $kids; do
		_e2e_alive "$k" && kill -TERM "$k" 2>/dev/null
	done
	for k in $kids; do
		wait_until 3 eval "! _e2e_alive $k" || kill -KILL "$k" 2>/dev/null
	done
	return 0
}

# _e2e_ssh_argv USER: the ssh client argv (array _E2E_SSH) for USER, plus $E2E_SSH_OPTS.
# curve25519 key exchange: the default sntrup761 hybrid costs ~100 ms a login here.
_e2e_ssh_argv() {
	local key
	key=$(user_key "$1")
	[ -n "${SSHD_PORT:-}" ] || bail_out "ssh_as: start_sshd first"
	[ -r "$key" ] || bail_out "ssh_as: no key for '$1' (make_user first)"
	_E2E_SSH=(ssh -F /dev/null -i "$key" -p "$SSHD_PORT"
		-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
		-o LogLevel=ERROR -o ConnectTimeout=${E2E_CONNECT_TIMEOUT:-10} -o IdentitiesOnly=yes
		-o IdentityAgent=none -o PreferredAuthentications=publickey
		-o GSSAPIAuthentication=no -o KexAlgorithms=curve25519-sha256)
	# shellcheck disable=SC2206 # E2E_SSH_OPTS is deliberately word-split
	_E2E_SSH+=(${E2E_SSH_OPTS:-})
}

# ssh_as USER CMD...: run CMD (joined by spaces, parsed by the remote shell) as USER over the test sshd; bounded by timeout ${SSH_TIMEOUT:-60}.
ssh_as() {
	local user=$1
	shift
	_e2e_ssh_argv "$user"
	timeout -k 5 "${SSH_TIMEOUT:-60}" "${_E2E_SSH[@]}" -l "$user" 127.0.0.1 -- "$@"
}

# ssh_tty_as USER CMD...: like ssh_as but with a forced pty (-tt).
ssh_tty_as() {
	local user=$1
	shift
	_e2e_ssh_argv "$user"
	timeout -k 5 "${SSH_TIMEOUT:-60}" "${_E2E_SSH[@]}" -tt -l "$user" 127.0.0.1 -- "$@"
}

# ssh_bg_as USER CMD...: start ssh_as in the background (stdin /dev/null, bounded by ${SSH_BG_TIMEOUT:-600}); sets SSH_BG_PID; killed at exit. Do not call it in $(...).
ssh_bg_as() {
	local user=$1
	shift
	_e2e_ssh_argv "$user"
	timeout -k 5 "${SSH_BG_TIMEOUT:-600}" "${_E2E_SSH[@]}" -n -l "$user" 127.0.0.1 -- "$@" </dev/null &
	SSH_BG_PID=$!
	SSH_BG_PIDS+=("$SSH_BG_PID")
	on_exit "_e2e_stop_pid $SSH_BG_PID 3"
}

# ----------------------------------------------------------------- audit ----

# _e2e_audit_pid: the pid of the audit daemon registered with the kernel (0 if none).
_e2e_audit_pid() {
	auditctl -s 2>/dev/null | awk '$1 == "pid" { print $2; f = 1 } END { if (!f) print 0 }'
}

# start_auditd: start auditd if the kernel has audit and none runs; auditctl -e 1; exports AUDIT_AVAILABLE=1/0.
start_auditd() {
	local prev pid
	AUDIT_AVAILABLE=0
	export AUDIT_AVAILABLE
	if ! command -v auditctl >/dev/null || ! command -v auditd >/dev/null; then
		diag "audit: auditctl/auditd not installed"
		return 0
	fi
	if ! auditctl -s >/dev/null 2>&1; then
		diag "audit: kernel audit not available here (auditctl -s fails)"
		return 0
	fi
	prev=$(auditctl -s | awk '$1 == "enabled" { print $2 }')
	pid=$(_e2e_audit_pid)
	if [ -n "$pid" ] && [ "$pid" != 0 ] && _e2e_alive "$pid"; then
		diag "audit: using the audit daemon already running (pid $pid)"
	else
		auditd >/dev/null 2>&1 </dev/null || bail_out "start_auditd: auditd failed to start"
		# shellcheck disable=SC2016 # expanded by eval, on each poll
		wait_until 5 eval '[ "$(_e2e_audit_pid)" != 0 ]' ||
			bail_out "start_auditd: auditd did not register with the kernel"
		pid=$(_e2e_audit_pid)
		on_exit "_e2e_auditd_stop $pid $(_e2e_q "$prev")"
	fi
	if [ "$prev" != 2 ]; then
		auditctl -e 1 >/dev/null || bail_out "start_auditd: auditctl -e 1 failed"
	fi
	AUDIT_AVAILABLE=1
	AUDIT_START=$(audit_mark)
	export AUDIT_START
}

# _e2e_auditd_stop PID PREV_ENABLED: stop the auditd we started; restore the enabled flag.
_e2e_auditd_stop() {
	_e2e_stop_pid "$1" 10 || return 1
	if [ "$2" = 0 ] || [ "$2" = 1 ]; then
		auditctl -e "$2" >/dev/null || return 1
	fi
}

# _e2e_ts EPOCH: EPOCH (seconds) as the two "-ts DATE TIME" words ausearch expects (LC_ALL=C).
_e2e_ts() {
	date -d "@${1%%.*}" '+%x %H:%M:%S'
}

# _e2e_audit_find EPOCH TOKEN: print the first raw USER record since EPOCH whose text is TOKEN.
_e2e_audit_find() {
	# shellcheck disable=SC2046 # _e2e_ts prints two words on purpose
	ausearch --input-logs -ts $(_e2e_ts "$1") -m USER --raw 2>/dev/null |
		grep -F -m 1 "text=$2 "
}

# audit_mark: print a mark "EPOCH:SERIAL" taken from a marker record written now; events after it have a larger serial.
# (The kernel stamps records with a coarse clock that can lag `date` by a
# tick, so a plain time would misorder events; serials are exact. No sleep.)
# Without audit it prints the time "EPOCH.ms".
audit_mark() {
	local tok t0 line
	if [ "${AUDIT_AVAILABLE:-0}" != 1 ]; then
		date +%s.%3N
		return 0
	fi
	tok="e2e-mark-$$-$RANDOM$RANDOM"
	t0=$(($(date +%s) - 1))
	auditctl -m "$tok" >/dev/null 2>&1 || { date +%s.%3N; return 0; }
	if ! wait_until 5 _e2e_audit_find "$t0" "$tok"; then
		echo "audit_mark: marker record not found in the audit log" >&2
		date +%s.%3N
		return 1
	fi
	line=$(_e2e_audit_find "$t0" "$tok")
	printf '%s\n' "$line" | sed -n 's/.*msg=audit(\([0-9]*\.[0-9]*:[0-9]*\)).*/\1/p'
}

# audit_search MARK [AUSEARCH_ARGS...]: raw events after MARK (from audit_mark); add -i to interpret. Exit 1 if none.
audit_search() {
	local mark=$1 interp=0 a args=() raw
	shift
	for a in "$@"; do
		case $a in -i | --interpret) interp=1 ;; -r | --raw) ;; *) args+=("$a") ;; esac
	done
	# -ts has one-second resolution; the exact cut is done below by serial
	# (mark "EPOCH:SERIAL") or, for a plain time mark, by time.
	# --input-logs: without it ausearch reads stdin whenever stdin is a pipe.
	# shellcheck disable=SC2046 # _e2e_ts prints two words on purpose
	raw=$(ausearch --input-logs -ts $(_e2e_ts "$((${mark%%[.:]*} - 1))") "${args[@]}" --raw 2>/dev/null |
		awk -v m="$mark" '
		BEGIN { ms = (index(m, ":") > 0); split(m, mp, ":") }
		match($0, /audit\([0-9]+\.[0-9]+:[0-9]+\)/) {
			split(substr($0, RSTART + 6, RLENGTH - 7), ev, ":")
			if (ms ? (ev[2] + 0 > mp[2] + 0) : (ev[1] + 0 >= m + 0)) print
		}')
	[ -n "$raw" ] || return 1
	if [ "$interp" = 1 ]; then
		printf '%s\n' "$raw" | ausearch -i 2>/dev/null
	else
		printf '%s\n' "$raw"
	fi
}

# audit_wait TIMEOUT MARK REGEX [AUSEARCH_ARGS...]: wait until a raw event after MARK matches REGEX (grep -E).
audit_wait() {
	local _aw_t=$1 _aw_mark=$2 _aw_re=$3
	shift 3
	local _aw_args=("$@")
	# shellcheck disable=SC2016 # expanded by eval, on each poll
	wait_until "$_aw_t" eval 'audit_search "$_aw_mark" "${_aw_args[@]}" | grep -qE -- "$_aw_re"'
}

# ---------------------------------------------------------------- syslog ----

# start_syslog: make sure /dev/log is served (busybox syslogd -n -O $T/syslog.log if none); exports SYSLOG_FILE.
start_syslog() {
	local pid lpid ino
	_e2e_need_T
	if [ -S /dev/log ] && logger --socket-errors=on -u /dev/log -p user.debug "e2e syslog probe" 2>/dev/null; then
		# a datagram socket: not "listening" for ss -l, so use -a
		lpid=$(ss -Hxap 2>/dev/null | awk '$5 == "/dev/log"' |
			sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
		SYSLOG_FILE=
		if [ -n "$lpid" ] && [ -r "/proc/$lpid/cmdline" ]; then
			SYSLOG_FILE=$(tr '\0' '\n' <"/proc/$lpid/cmdline" | sed -n '/^-O$/{n;p;q}')
			[ -z "$SYSLOG_FILE" ] && SYSLOG_FILE=$(tr '\0' '\n' <"/proc/$lpid/cmdline" | sed -n 's/^-O//p' | head -n 1)
		fi
		if [ -z "$SYSLOG_FILE" ]; then
			for SYSLOG_FILE in /var/log/auth.log /var/log/syslog /var/log/messages ""; do
				[ -f "$SYSLOG_FILE" ] && break
			done
		fi
		diag "syslog: /dev/log already served (pid ${lpid:-?}); assertions read '${SYSLOG_FILE:-?}'"
		[ -n "$SYSLOG_FILE" ] || bail_out "start_syslog: cannot tell where the running syslog daemon writes"
		export SYSLOG_FILE
		return 0
	fi
	if [ -e /dev/log ] || [ -L /dev/log ]; then
		[ -S /dev/log ] || bail_out "start_syslog: /dev/log exists and is not a socket"
		diag "syslog: removing stale /dev/log (nobody listens)"
		rm -f /dev/log
	fi
	SYSLOG_FILE=$T/syslog.log
	: >"$SYSLOG_FILE"
	busybox syslogd -n -O "$SYSLOG_FILE" </dev/null >/dev/null 2>&1 &
	pid=$!
	wait_until 5 test -S /dev/log || bail_out "start_syslog: busybox syslogd did not create /dev/log"
	ino=$(stat -c %i /dev/log)
	on_exit "_e2e_syslog_stop $pid $ino"
	wait_until 5 grep -q 'syslogd started' "$SYSLOG_FILE"
	export SYSLOG_FILE
}

# _e2e_syslog_stop PID INODE: stop our syslogd; remove /dev/log if it is still the one it made.
_e2e_syslog_stop() {
	_e2e_stop_pid "$1" 3 || return 1
	if [ -S /dev/log ] && [ "$(stat -c %i /dev/log)" = "$2" ]; then
		rm -f /dev/log
	fi
	return 0
}

# syslog_mark: print the current line count of $SYSLOG_FILE (a mark for syslog_since).
syslog_mark() {
	if [ -f "${SYSLOG_FILE:-}" ]; then
		wc -l <"$SYSLOG_FILE" | tr -d ' '
	else
		echo 0
	fi
}

# syslog_since MARK: print the lines of $SYSLOG_FILE after MARK.
syslog_since() {
	tail -n "+$(($1 + 1))" -- "$SYSLOG_FILE" 2>/dev/null
}

# syslog_since_mark MARK REGEX: true if a line after MARK matches REGEX (grep -E).
syslog_since_mark() {
	syslog_since "$1" | grep -qE -- "$2"
}

# syslog_wait TIMEOUT MARK REGEX: wait until a line after MARK matches REGEX.
syslog_wait() {
	wait_until "$1" syslog_since_mark "$2" "$3"
}

# ---------------------------------------------------------- host state ----

# _e2e_start_ticks PID: start time of PID in clock ticks since boot (/proc/PID/stat field 22).
_e2e_start_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}
_E2E_START_TICKS=$(_e2e_start_ticks "$$")

# _e2e_host_procs: "uid comm" lines (sorted) of processes a test may leak.
# Scope: processes of this test's users, processes below this test's sshd
# instances, and processes started after the test began whose comm matches
# $E2E_PROC_RE (default ^tenant; empty: none). E2E_SNAPSHOT_ALL_PROCS=1 widens the last
# part to every process started after the test began outside the test's own
# shell (noisy on a shared machine). Kernel threads and zombies never count.
_e2e_host_procs() {
	local uids="" u desc ours
	for u in "${_E2E_USERS[@]}"; do uids="$uids ${_E2E_UID[$u]}"; done
	desc=" ${_E2E_SSHD_PIDS[*]} $(_e2e_descendants "${_E2E_SSHD_PIDS[@]}" | tr '\n' ' ') "
	ours=" $$ $(_e2e_descendants "$$" | tr '\n' ' ') "
	_e2e_ps | awk -v uids=" $uids " -v desc="$desc" \
	    -v ours="$ours" -v all="${E2E_SNAPSHOT_ALL_PROCS:-0}" -v re="${E2E_PROC_RE-^tenant}" \
	    -v t0="$_E2E_START_TICKS" '
		{
			pid = $1; ppid = $2; uid = $3; st = $5; start = $6
			comm = $0; sub(/^[0-9]+ [0-9]+ [0-9]+ [0-9]+ [^ ]+ [0-9]+ /, "", comm)
			if (pid == 2 || ppid == 2 || st == "Z" || st == "X") next    # kernel threads, zombies
			if (index(desc, " " pid " ") || index(uids, " " uid " ") || index(uids, " " $4 " ")) {
				print uid, comm; next
			}
			if (start + 0 < t0 + 0) next                      # older than the test
			if (all == 1) { if (!index(ours, " " pid " ")) print uid, comm; next }
			if (re != "" && comm ~ re) print uid, comm
		}' | sort
}

# _e2e_run_state: what pam_tenant keeps in /run beyond what persists by
# design: the skeleton (the directories, root 0700) and the per-uid lock
# files (root 0600, never removed: unlinking a flock file races its users)
# are left out while they look as they must, so a machine where logins
# happened before the test compares equal to a fresh one.
_e2e_run_state() {
	[ -e /run/pam_tenant ] || return 0
	find /run/pam_tenant \( -type f -printf '%y %m %u %g %s %p\n' \) \
	    -o -printf '%y %m %u %g - %p\n' 2>/dev/null | sort |
		awk '$1 == "d" && $2 == "700" && $3 == "root" && $4 == "root" &&
		     $6 ~ /^\/run\/pam_tenant(\/(tenants|locks))?$/ { next }
		     $1 == "f" && $2 == "600" && $3 == "root" && $4 == "root" && $5 == 0 &&
		     $6 ~ /^\/run\/pam_tenant\/locks\/[0-9]+\.lock$/ { next }
		     { print }'
}

# host_snapshot NAME: save mounts (no IDs), /run/pam_tenant tree (paths matching $E2E_RUN_RE if set) and scoped processes to $T/snap.NAME.
host_snapshot() {
	_e2e_need_T
	{
		echo "== mounts (root mountpoint options optional-fields - fstype source)"
		awk '{ $1 = ""; $2 = ""; $3 = ""; n = 0
			for (i = 1; i <= NF; i++) if ($i == "-") n = i
			if (n) NF = n + 2
			sub(/^ +/, ""); print }' /proc/self/mountinfo
		echo "== /run/pam_tenant (type mode owner group [size] path)"
		_e2e_run_state | awk -v re="${E2E_RUN_RE:-}" 're == "" || $6 ~ re'
		echo "== processes (uid comm)"
		_e2e_host_procs
	} >"$T/snap.$1"
}

# host_same A B: silent predicate: true if snapshots A and B are equal.
host_same() {
	cmp -s "$T/snap.$1" "$T/snap.$2"
}

# host_settle A B [TIMEOUT_S]: re-take snapshot B until it equals A (default 5 s); 0 if equal.
host_settle() {
	local end=$((SECONDS + ${3:-5}))
	while :; do
		host_snapshot "$2"
		host_same "$1" "$2" && return 0
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# host_compare A B DESC: ok if snapshots A and B are equal, else not ok with the diff.
host_compare() {
	local d
	if d=$(diff -u "$T/snap.$1" "$T/snap.$2"); then
		ok 0 "$3"
		return 0
	fi
	ok 1 "$3"
	printf '%s\n' "$d" | sed 's/^/  /' | diag
	return 1
}
