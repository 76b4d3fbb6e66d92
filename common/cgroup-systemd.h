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
#include <sys/stat.h>
#include <sys/types.h>

#include "tn-limits.h"
#include "err.h"

#define TN_SD_SYMBOL "tn_sd_ops_v2"
#define TN_SD_ABI 5
/* 7 scalar properties and 4 IO*Max ones per io.max device. */
#define TN_SD_MAX_PROPS (7 + 4 * TN_IO_MAX_DEVICES)
#define TN_SD_DEV_MAX 32
#define TN_SD_MAX_FILES 64

/* One resource property of a unit: D-Bus type "t", or for IO*Max one
 * (device, value) entry of an "a(st)". */
struct tn_sd_prop {
	const char *name;        /* MemoryMax, TasksMax, CPUQuotaPerSecUSec, ... */
	uint64_t value;          /* UINT64_MAX: infinity (unset, for weights) */
	char dev[TN_SD_DEV_MAX]; /* IO*Max: "/dev/block/MAJ:MIN"; else "" */
};

/* Where a process is, by sd-login (from its cgroup; no D-Bus). */
struct tn_sd_place {
	char unit[256];   /* session-2.scope, cron.service, "" if none */
	char slice[256];  /* user-1001.slice, system.slice, "" if none */
	char session[64]; /* logind session id, "" if none */
	char cgroup[512]; /* path below /sys/fs/cgroup, "/user.slice/..." */
	uid_t owner;      /* owner uid of its session or user slice */
	bool has_owner;
};

struct tn_sd_scope {
	const char *name;  /* "pam_tenant-....scope" */
	const char *slice; /* user-1001.slice, system.slice */
	const char *description;
	pid_t pid;  /* the process to put in it */
	pid_t pid2; /* and a second one, 0 if none */
	const struct tn_sd_prop *props;
	size_t nprops;
};

struct tn_sd_bus; /* one system bus connection with a deadline */
struct tn_sd_job; /* a StartTransientUnit whose job is not waited for yet */

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
	/* start_scope() in two halves, so that other calls can run while
	 * systemd runs the job: scope_begin() sends the call, scope_wait()
	 * (once, for each *out) waits for the job and frees *out.  s must
	 * stay valid until then. */
	int (*scope_begin)(struct tn_sd_bus *b, const struct tn_sd_scope *s,
	    struct tn_sd_job **out, struct tn_err *err);
	int (*scope_wait)(struct tn_sd_bus *b, struct tn_sd_job *j, struct tn_err *err);
	/* The files systemd loaded the unit from: FragmentPath (if any),
	 * then DropInPaths in the order systemd applies them, as
	 * NUL-terminated strings packed into buf; *n of them. */
	int (*unit_files)(struct tn_sd_bus *b, const char *unit, char *buf, size_t len,
	    size_t *n, struct tn_err *err);
};

/* ---- cgroup-sd.c (libcommon; no libsystemd) ---------------------------- */

/* The cheap pre-check, no plugin: /run/systemd/system/ is a directory (what
 * sd_booted() tests) and /sys/fs/cgroup is cgroup2.  The plugin's booted()
 * confirms it before anything is done. */
bool sd_host(void);

/* dlopen() the plugin once (fixed path, root-owned, not writable by group
 * or others) and return its operations; NULL and err on failure. */
const struct tn_sd_ops *sd_plugin(struct tn_err *err);

/* The configured limits as properties: only the keys the policy sets;
 * io.max as IO*Max entries for /dev/block/MAJ:MIN. */
int sd_props(const struct tn_limits *lim, struct tn_sd_prop out[TN_SD_MAX_PROPS],
    size_t *n, struct tn_err *err);

/* 1 when every limit lim sets reads back as configured from the cgroup
 * files of dir_fd, 0 when one does not (why says which, *prop names its
 * property when prop is not NULL), <0 on error. */
int sd_limits_hold(int dir_fd, const struct tn_limits *lim, char *why, size_t len,
    const char **prop);

/* Does the cgroup dir_fd read as property p asks (the file systemd
 * writes it to)?  1 yes, 0 no (why says what it reads), <0 error. */
int sd_prop_holds(int dir_fd, const struct tn_sd_prop *p, char *why, size_t len);
/* All of props: 1, or 0 with why and *prop naming the first that does not. */
int sd_props_hold(int dir_fd, const struct tn_sd_prop *props, size_t n, char *why,
    size_t len, const char **prop);

/* Does a runtime drop-in 50-<prop>.conf (what SetUnitProperties with
 * runtime = true writes) exist for unit? */
bool sd_runtime_dropin(const char *unit, const char *prop);

/* Every property of a unit's files (sd-bounds.c), each value in D-Bus
 * units: what the files other than pam_tenant's own runtime drop-ins
 * assign last (the administrator's value: Debian's TasksMax=33%, an
 * admin's user-.slice.d drop-in), and whether one of ours assigns it. */
struct tn_sd_slot {
	struct tn_sd_prop prop; /* name, dev; value: the admin's, if admin */
	bool admin;             /* a file that is not ours assigns it */
	bool after_ours;        /* ... and sorts after 50-<Key>.conf: it overrides ours */
	bool runtime;           /* ... and it is a 50-<Key>.conf pam_tenant did
	                         * not write (systemctl set-property --runtime) */
	bool ours;              /* one of our runtime drop-ins assigns it */
	uint64_t ours_value;
	char where[300]; /* file:line of the admin's assignment */
};

struct tn_sd_bounds {
	struct tn_sd_slot slot[TN_SD_MAX_PROPS + 16];
	size_t n;
};

/* The runtime drop-ins pam_tenant itself wrote for a unit, by path,
 * inode and mtime (systemd replaces a drop-in by a new file each time):
 * systemctl set-property --runtime writes the same 50-<Key>.conf, and
 * only this tells the two apart. */
#define TN_SD_MAX_OWNED 16
struct tn_sd_owned {
	struct {
		char path[200];
		uint64_t ino;
		int64_t sec, nsec;
	} f[TN_SD_MAX_OWNED];
	size_t n;
	bool known; /* a record exists (without one no 50- file is ours) */
};

/* Read files (FragmentPath, then DropInPaths, as systemd applies them)
 * of unit; ours are the 50-*.conf in its system.control/transient
 * drop-in directories (with owned: only those owned lists; the others
 * are the admin's, slot.runtime).  A value that cannot be evaluated is
 * an error naming file:line. */
int sd_unit_bounds(const char *unit, const char *const *files, size_t nfiles,
    struct tn_sd_bounds *b, struct tn_err *err);
int sd_unit_bounds_owned(const char *unit, const char *const *files, size_t nfiles,
    const struct tn_sd_owned *owned, struct tn_sd_bounds *b, struct tn_err *err);
/* Is the file st at path one pam_tenant wrote? */
bool sd_owned_has(const struct tn_sd_owned *o, const char *path, const struct stat *st);
/* The record after a SetUnitProperties that sent sent[]: each runtime
 * drop-in of unit that was just written or that old lists unchanged. */
void sd_owned_collect(const char *unit, const struct tn_sd_owned *old,
    const struct tn_sd_prop *sent, size_t nsent, struct tn_sd_owned *out);
/* The key a property is written as in unit files (CPUQuotaPerSecUSec:
 * CPUQuota), which also names its runtime drop-in, 50-<key>.conf. */
const char *sd_prop_file_key(const char *prop);
/* The property name (a static string) for a name read back, or NULL. */
const char *sd_prop_name(const char *name);
bool sd_prop_is_io(const char *prop);
/* Does unit have a runtime drop-in 50-<Key>.conf for any key we set? */
bool sd_has_runtime_dropins(const char *unit);
/* What systemd scales percentages against (physical_memory(),
 * system_tasks_max()). */
uint64_t sd_physical_memory(void);
uint64_t sd_system_tasks_max(void);

/* sd-expect.c: what the helper last put in force on a unit (want: the
 * configured values, expect: min(configured, admin's) and resets), so
 * that the keeper's fast join can check the cgroup files without D-Bus.
 * load: 1 when want is exactly what was saved (then expect is filled),
 * -ENOENT when there is no record, 0 when the configuration asks
 * something else (or the record cannot be read). */
int sd_expect_save(const char *unit, const struct tn_sd_prop *want, size_t nwant,
    const struct tn_sd_prop *expect, size_t nexpect, uint64_t stamp, const char *note,
    struct tn_err *err);
int sd_expect_load(const char *unit, const struct tn_sd_prop *want, size_t nwant,
    struct tn_sd_prop *expect, size_t max, size_t *nexpect, uint64_t *stamp, char *note,
    size_t nlen);
/* Are want's limits in force on unit as the helper last put them: its
 * record for this very configuration, the drop-in directories unchanged
 * since (stamp), the cgroup files under cg_dir reading as expected?  1:
 * yes, and note is what was noted then; 0: no (err says why); -ENOENT:
 * no record.  Stat, readdir and cgroup reads only: no D-Bus. */
int sd_expect_in_force(const char *unit, int cg_dir, const struct tn_sd_prop *want,
    size_t nwant, char *note, size_t nlen, struct tn_err *err);
void sd_expect_forget(const char *unit);
/* The record of what pam_tenant wrote, /run/pam_tenant/limits/<unit>.owned
 * (kept when the expectation is forgotten). */
void sd_owned_load(const char *unit, struct tn_sd_owned *o);
int sd_owned_save(const char *unit, const struct tn_sd_owned *o, struct tn_err *err);

/* sd-dropins.c: a stamp (never 0) of the drop-in directories systemd
 * searches for unit (by stat and readdir only, system.control left
 * out).  loaded: the files systemd loaded the unit from; *unsettled is
 * set when a drop-in there is not one of them (no daemon-reload yet). */
uint64_t sd_dropin_stamp(const char *unit, const char *const *loaded, size_t nloaded,
    bool *unsettled);

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
