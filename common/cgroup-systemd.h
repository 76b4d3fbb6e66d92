/* The systemd cgroup backend (docs/architecture.md, "cgroups on a systemd
 * host").  On a host booted with systemd on a unified hierarchy pam_tenant
 * writes nothing under /sys/fs/cgroup: limits become runtime properties of
 * user-UID.slice (scope = user) or of the login's scope (scope = session),
 * logins without a scope of their user get a transient scope in that slice,
 * and each keeper runs in a transient scope of its own in system.slice.
 *
 * Everything that talks to systemd (sd-bus, sd-login) lives in a plugin,
 * tenant-systemd.so, linked against libsystemd and loaded with dlopen()
 * only on systemd hosts: linking libsystemd into tenant-helper costs every
 * exec of it ~1.5 ms (docs/architecture.md), which hosts without systemd
 * must not pay.  This header is the plugin's ABI plus the backend's
 * systemd-free half (cgroup-sd.c: detection, loading, property mapping,
 * reading limits back from the cgroup files). */
#ifndef TENANT_CGROUP_SYSTEMD_H
#define TENANT_CGROUP_SYSTEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "err.h"

#define TN_SD_SYMBOL "tn_sd_ops_v1"
#define TN_SD_ABI 1
#define TN_SD_MAX_PROPS 8

/* One resource property of a unit, all of D-Bus type "t". */
struct tn_sd_prop {
	const char *name; /* MemoryMax, TasksMax, CPUQuotaPerSecUSec, ... */
	uint64_t value;
};

/* Where a process is, by sd-login (from its cgroup; no D-Bus). */
struct tn_sd_place {
	char unit[256];    /* session-2.scope, cron.service, "" if none */
	char slice[256];   /* user-1001.slice, system.slice, "" if none */
	char session[64];  /* logind session id, "" if none */
	char cgroup[512];  /* path below /sys/fs/cgroup, "/user.slice/..." */
	uid_t owner;       /* owner uid of its session or user slice */
	bool has_owner;
};

struct tn_sd_scope {
	const char *name;        /* "pam_tenant-....scope" */
	const char *slice;       /* user-1001.slice, system.slice */
	const char *description;
	pid_t pid;               /* the one process to put in it */
	bool delegate;
	const struct tn_sd_prop *props;
	size_t nprops;
};

struct tn_sd_bus; /* one system bus connection with a deadline */

struct tn_sd_ops {
	unsigned abi; /* TN_SD_ABI */
	/* sd_booted(): 1 when systemd is PID 1. */
	int (*booted)(void);
	int (*where)(pid_t pid, struct tn_sd_place *p, struct tn_err *err);
	/* Connect to the system bus.  Every call on it fails with
	 * ETIMEDOUT once deadline_usec (CLOCK_MONOTONIC) has passed,
	 * including connection setup and authentication. */
	int (*open)(struct tn_sd_bus **out, uint64_t deadline_usec, struct tn_err *err);
	void (*close)(struct tn_sd_bus *b);
	/* SetUnitProperties(unit, runtime = true, props). */
	int (*set_properties)(struct tn_sd_bus *b, const char *unit,
	    const struct tn_sd_prop *props, size_t n, struct tn_err *err);
	/* StartTransientUnit(mode "fail") and wait for its job to be done.
	 * A unit of that name left from before is killed and replaced. */
	int (*start_scope)(struct tn_sd_bus *b, const struct tn_sd_scope *s,
	    struct tn_err *err);
};

/* ---- cgroup-sd.c (libcommon; no libsystemd) ---------------------------- */

/* The cheap pre-check, no plugin: /run/systemd/system/ is a directory (what
 * sd_booted() tests) and /sys/fs/cgroup is cgroup2.  The plugin's booted()
 * confirms it before anything is done. */
bool sd_host(void);

/* dlopen() the plugin once (fixed path, root-owned, not writable by group
 * or others) and return its operations; NULL and err on failure. */
const struct tn_sd_ops *sd_plugin(struct tn_err *err);

/* The configured limits as properties: only the keys the policy sets.
 * io.max has no counterpart here (device paths): an error. */
int sd_props(const struct tn_policy *pol, struct tn_sd_prop out[TN_SD_MAX_PROPS],
    size_t *n, struct tn_err *err);

/* 1 when every limit pol sets reads back as configured from the cgroup
 * files of dir_fd, 0 when one does not (why says which, *prop names its
 * property when prop is not NULL), <0 on error. */
int sd_limits_hold(int dir_fd, const struct tn_policy *pol, char *why, size_t len,
    const char **prop);

/* Does a runtime drop-in 50-<prop>.conf (what SetUnitProperties with
 * runtime = true writes) exist for unit? */
bool sd_runtime_dropin(const char *unit, const char *prop);

/* Open /sys/fs/cgroup/<path> read-only (O_DIRECTORY, no symlinks). */
int sd_cgroup_open(const char *path);

/* The pid a pidfd refers to, or -1 when it has exited (fdinfo "Pid:"). */
pid_t sd_pidfd_pid(int pidfd);

/* Name of the keeper's unit for a tenant key. */
void sd_keeper_unit(char *buf, size_t len, const char *key);

/* SIGKILL every process of the cgroup dir_fd until it is empty (at most
 * wait_ms): signals only, nothing written to the cgroup. */
int sd_kill_cgroup(int dir_fd, int wait_ms);

#endif
