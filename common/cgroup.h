/* The one interface to cgroups.  Today's backend is cgroupfs (a unified v2
 * hierarchy that pam_tenant owns a subtree of); a systemd backend (limits
 * on user-UID.slice over sd-bus) can replace the functions below without
 * touching the helper, the keeper or tenantctl.
 *
 * Layout: /sys/fs/cgroup/<root>/user-<uid>/session-<cookie>.  Limits live
 * on user-<uid> (all sessions of a user share them); processes live only
 * in the session leaves; keepers and tenant-init stay outside.  With
 * lxcfs's view of /proc (CG_CREATE_FLAT) tenant-init lives in user-<uid>
 * itself, which then enables no controllers for the leaves. */
#ifndef TENANT_CGROUP_H
#define TENANT_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tn-limits.h"
#include "err.h"

#define TN_CGROUP_MOUNT "/sys/fs/cgroup"

struct tn_cgroup_probe {
	bool usable;           /* unified v2 at /sys/fs/cgroup with controllers */
	char controllers[256]; /* from cgroup.controllers, when usable */
	char why[256];         /* when not usable: a sentence for admins */
};

void cgroup_probe(struct tn_cgroup_probe *p);

enum cg_open_mode {
	CG_OPEN,        /* it must exist */
	CG_CREATE,      /* make it, controllers enabled down to the leaves */
	CG_CREATE_FLAT, /* the same, but none for the leaves of user-<uid> */
};

/* Open (or create) the tenant's cgroup <root>/user-<uid>.  Returns an
 * O_DIRECTORY fd. */
int cg_user_open(const char *root, uid_t uid, enum cg_open_mode mode, struct tn_err *err);

/* Disable every controller in user_fd's cgroup.subtree_control, so that
 * a process may live there (no internal processes): CG_CREATE_FLAT's
 * layout for a cgroup made before. */
int cg_flatten(int user_fd, struct tn_err *err);

/* Write every limit in lim to the user cgroup (unset ones back to "max"),
 * reading each back; a mismatch is an error naming the file. */
int cg_apply_limits(int user_fd, const struct tn_limits *lim, struct tn_err *err);

/* session-<cookie> below the user cgroup. */
int cg_session_create(int user_fd, const char *cookie, struct tn_err *err);
int cg_session_open(int user_fd, const char *cookie);

/* The process's cgroup v2 path (the "0::/x/y" line of /proc/PID/cgroup);
 * with unified_only, -ENOTSUP unless the unified hierarchy is its only one. */
int cg_proc_path(pid_t pid, bool unified_only, char *path, size_t len);

/* Move the process pidfd refers to into the cgroup and check that it
 * arrived and that it is still that process (not exited, so its pid was
 * not recycled meanwhile); if it exited, a move that happened is undone
 * and -ESRCH returned. */
int cg_attach(int dir_fd, int pidfd, struct tn_err *err);

/* cgroup.kill (Linux 5.14+): every process below dir_fd, race-free. */
int cg_kill(int dir_fd, struct tn_err *err);

/* 1 if any process lives at or below dir_fd, 0 if none, <0 on error. */
int cg_populated(int dir_fd);

/* Call fn(user_fd, name, leaf_fd, data) for each session-* leaf; fn
 * returns false to stop.  Returns false if the directory cannot be read. */
typedef bool (*cg_leaf_fn)(int user_fd, const char *name, int leaf_fd, void *data);
bool cg_each_session(int user_fd, cg_leaf_fn fn, void *data);

/* rmdir parent_fd/name, retrying briefly while dying processes linger. */
int cg_remove(int parent_fd, const char *name);

/* Remove every session-* leaf that is empty (with all: every leaf, waiting
 * out dying processes), then the user cgroup if nothing is left in it.
 * Call with the per-uid lock held. */
void cg_remove_empty(const char *root, uid_t uid, bool all);

struct tn_cg_usage {
	bool has_memory; /* the memory controller's files are there */
	uint64_t memory_current, memory_peak, memory_max;
	uint64_t pids_current, pids_max;
	uint64_t cpu_usec;
	uint64_t oom_kills;   /* memory.events oom_kill */
	uint64_t pids_denied; /* pids.events max */
};

/* Read what is there (missing files leave 0; limits "max" = TN_UNLIMITED). */
void cg_usage(int dir_fd, struct tn_cg_usage *u);
/* Only the counters that events are about: OOM kills, refused forks. */
void cg_event_counts(int dir_fd, uint64_t *oom_kills, uint64_t *pids_denied);

#endif
