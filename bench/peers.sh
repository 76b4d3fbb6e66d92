# shellcheck shell=bash
# bench/peers.sh: the pam_namespace configurations an admin could set up
# instead of pam_tenant (namespace.conf(5) of Debian 12's Linux-PAM
# 1.5.2), each run as "pam_namespace + pam_limits": /tmp and /var/tmp
# polyinstantiated per user,
#   tmpfs          on a tmpfs, Debian's namespace.init run per directory
#   tmpfs-noinit   the same without the init script (flag noinit)
#   user           an on-disk instance directory per user, with the script
#   user-noinit    the same without it
#   tmpdir-noinit  a fresh on-disk directory per session, removed at close
#                  (pam_namespace's unmount_on_close: without it Debian
#                  12's pam_namespace leaves every session's directory)
# Used by bench/run.sh and tests/e2e/70-bench-smoke.sh (after
# tests/lib/e2e.sh: on_exit).  peers_prepare once, then peer_use NAME
# before the cycles of NAME; everything is put back on exit.

# shellcheck disable=SC2034 # read by the scripts that source this
PEERS="tmpfs tmpfs-noinit user user-noinit tmpdir-noinit"
# The instance parent: root-owned, mode 000, as pam_namespace requires;
# on disk (the root file system), as an admin would put it.
PEER_INST=/var/lib/pam_tenant-bench-inst

peer_label() { # peer_label NAME: how the table names it
	case $1 in
	tmpfs) echo "pam_namespace tmpfs + pam_limits" ;;
	tmpfs-noinit) echo "pam_namespace tmpfs noinit + limits" ;;
	user) echo "pam_namespace user (disk) + limits" ;;
	user-noinit) echo "pam_namespace user noinit + limits" ;;
	tmpdir-noinit) echo "pam_namespace tmpdir noinit + limits" ;;
	esac
}

peers_prepare() { # peers_prepare PAMD: PAMD/peer is the service to run
	PEER_PAMD=$1
	cp -p /etc/security/namespace.conf "$T/namespace.conf.orig" || return 1
	on_exit "cp -p '$T/namespace.conf.orig' /etc/security/namespace.conf"
	on_exit "rm -rf '$PEER_INST'" # ours: its name, and only benches use it
	mkdir -p "$PEER_INST" && chown root:root "$PEER_INST" && chmod 000 "$PEER_INST"
}

peer_use() { # peer_use NAME: namespace.conf and PEER_PAMD/peer for NAME
	local method prefix dir args=""
	case $1 in
	tmpfs) method="tmpfs:mntopts=size=1G,nosuid,nodev" ;;
	tmpfs-noinit) method="tmpfs:mntopts=size=1G,nosuid,nodev:noinit" ;;
	user) method=user ;;
	user-noinit) method="user:noinit" ;;
	tmpdir-noinit) method="tmpdir:noinit" args=" unmount_on_close" ;;
	*) return 1 ;;
	esac
	printf '%s\n' "auth required pam_permit.so" "account required pam_permit.so" \
	    "session required pam_namespace.so$args" "session required pam_limits.so" \
	    >"$PEER_PAMD/peer"
	{
		for dir in /tmp /var/tmp; do
			prefix=$PEER_INST/$(printf '%s' "${dir#/}" | tr / -)-
			printf '%-9s %s  %s  root\n' "$dir" "$prefix" "$method"
		done
	} >/etc/security/namespace.conf
}
