#!/bin/sh
# guest-snapshot.sh AT OUT: run in the background by the guest's init
# (busybox sh) or systemd-command.sh before the command starts.  Once the
# guest's uptime reaches AT seconds (vm-run sets AT shortly before its hard
# timeout), writes what every process is doing to OUT on the ctl share, so
# that a command that hung says where: vm-run prints OUT when it times out.
# Only reads /proc and the kernel log; changes nothing.

at=$1 out=$2
[ -n "$at" ] && [ -n "$out" ] || exit 2

while :; do
	read -r up _ </proc/uptime
	[ "${up%.*}" -ge "$at" ] && break
	sleep 1
done

{
	read -r load </proc/loadavg
	echo "uptime ${up} s, load ${load}"
	grep -E '^(MemTotal|MemAvailable):' /proc/meminfo | tr -s ' ' | tr '\n' ' '
	echo
	echo "  PID  PPID S WCHAN                    COMMAND"
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		# Kernel threads have an empty cmdline: only user processes count.
		cmd=$(tr '\0\n' '  ' <"$d/cmdline" 2>/dev/null | cut -c1-150)
		[ -n "$cmd" ] || continue
		# stat: "pid (comm) S ppid ..."; comm may hold spaces, so cut after ")".
		st=$(cat "$d/stat" 2>/dev/null) || continue
		# shellcheck disable=SC2086 # split into the fields on purpose
		set -- ${st##*) }
		wchan=$(cat "$d/wchan" 2>/dev/null)
		printf '%5s %5s %s %-24s %s\n' "$p" "$2" "$1" "${wchan:--}" "$cmd"
		# A task in uninterruptible sleep: where in the kernel.
		if [ "$1" = D ] && [ -r "$d/stack" ]; then
			sed 's/^/                              /' "$d/stack" 2>/dev/null
		fi
	done
	echo "last kernel messages:"
	dmesg 2>/dev/null | tail -n 15
} >"$out.tmp" 2>&1
mv -f "$out.tmp" "$out"
