/* tenant-helper internals.  The helper is root from start to exit,
 * single-threaded, non-dumpable and has no tty (security catalog R7). */
#ifndef TENANT_HELPER_H
#define TENANT_HELPER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <syslog.h>
#include <time.h>

#include "conf.h"
#include "err.h"
#include "proto.h"
#include "state.h"

/* Exit statuses (tenant-helper(8)). */
#define HELPER_EXIT_OK 0
#define HELPER_EXIT_USAGE 100
#define HELPER_EXIT_SYSTEM 111

/* What a new tenant is built from (fixed when its keeper starts). */
struct tenant_spec {
	char key[TN_KEY_MAX];
	uid_t uid;
	char user[257];
	unsigned namespaces; /* TN_NS_* */
	uint64_t tmp_size, tmp_inodes;
	enum tn_proc_lxcfs proc_lxcfs;        /* auto only with cg_flat */
	char cgroup_root[TN_CGROUP_ROOT_MAX]; /* "" when no cgroups */
	/* lxcfs's view: tenant-init joins user-<uid> (CG_CREATE_FLAT) */
	bool cg_flat;
	/* systemd backend: the keeper gets a scope of its own; the user's
	 * slice's cgroup, read-only ("" when the first login has none),
	 * comes on the go pipe (struct keeper_go). */
	bool sd;
	char sd_slice_cg[512];
};

/* Where the helper and the keeper read the config (open.c). */
extern const struct tn_conf_opts helper_conf_opts;

struct tn_user;
/* open.c: identity_confirm_group() for every [group] section of conf, so
 * that a group backend that is down refuses the login instead of
 * quietly leaving its sections out. */
int confirm_groups(const struct tn_conf *conf, const struct tn_user *u,
    struct tn_err *err);

/* open.c: the whole pam_open_session side, talking to the module on fd. */
int helper_open(int fd);

/* result.c: the RESULT for the module.  pol NULL when not known. */
void result_init(struct tn_msg_result *r, const char *cookie, enum tn_status status,
    const char *msg, const struct tn_policy *pol);
void result_isolated(struct tn_msg_result *r, const struct tn_policy *pol,
    unsigned ns_mask, const uint64_t ns_ino[TN_NS_COUNT]);

/* sd-open.c: the systemd backend's helper side (cgroup-systemd.h). */
struct sd_session {
	char unit[256];     /* the login's unit, in user-UID.slice */
	char unit_cg[512];  /* its cgroup path */
	char slice_cg[512]; /* user-UID.slice's cgroup path */
	char note[1024];    /* limits the unit's own files bound (audited) */
};
/* On a systemd host, load the plugin in a thread (sd_helper_preload)
 * and wait for it (sd_helper_preloaded) before anything forks. */
void sd_helper_preload(void);
void sd_helper_preloaded(void);
/* Bus calls must end by what is left of the module's timeout. */
void sd_helper_begin(uint32_t timeout_ms);
void sd_helper_end(void);
/* Connect to the bus now (sd-bus sends its authentication at once), so
 * that the exchange overlaps the keeper's set-up; errors recur at use. */
void sd_helper_connect(void);
int sd_session_setup(const struct tn_policy *pol, uid_t uid, const char *cookie,
    pid_t login, struct sd_session *out, struct tn_err *err);
/* Put the keeper (our unreaped child) and tenant-init (its unreaped
 * child) into pam_tenant-<key>.scope: _begin() sends the call, _end()
 * waits for systemd's job (once after each successful _begin()). */
int sd_keeper_scope_begin(pid_t keeper, pid_t init, const char *key, uid_t uid,
    struct tn_err *err);
int sd_keeper_scope_end(struct tn_err *err);

/* What the helper writes on a systemd keeper's go pipe once the keeper's
 * scope is in place: go on ('G'), and the user's slice cgroup ("" when
 * the login has no quotas). */
struct keeper_go {
	char go;
	char slice_cg[512];
};

/* keeper-setup.c: a detached keeper for spec being started. */
struct keeper_start {
	pid_t pid;
	int rd, go, link; /* its ready and go pipes, our end of its socketpair */
	bool joined;      /* the first login's JOIN is sent */
	int scope;        /* systemd: 1 its scope's job runs, -1 failed (scope_err) */
	struct tn_err scope_err;
	struct timespec deadline;
};
/* Fork the keeper, with first (and the leader's pidfd) as its first
 * login's JOIN if it is known yet; on systemd, also ask for its scope. */
int keeper_fork(const struct tenant_spec *spec, const struct tn_msg_join *first,
    int leader, int timeout_ms, struct keeper_start *ks, struct tn_err *err);
/* Send first if keeper_fork() did not, wait for the scope's job, and
 * return once the keeper listens, with the socket its answer comes on
 * (the session's link); or -1. */
int keeper_finish(struct keeper_start *ks, const struct tn_msg_join *first, int leader,
    const char *slice_cg, struct tn_err *err);
/* After keeper_fork(): the keeper gives up, leaving nothing behind. */
void keeper_abandon(struct keeper_start *ks);
/* keeper_fork() and keeper_finish() in one. */
int keeper_spawn(const struct tenant_spec *spec, const struct tn_msg_join *first,
    int leader, const char *slice_cg, int timeout_ms, struct tn_err *err);

/* lsm-hint.c: an EACCES/EPERM gets the security label this process runs
 * under appended to its message (nothing when unconfined). */
void lsm_hint(struct tn_err *err);
/* The same for a message without an errno (size: msg's buffer). */
void lsm_hint_text(char *msg, size_t size);

/* tenant_init.c: body of the tenant's PID 1 (runs in the new namespaces).
 * Sets up mounts, reports on chan, then reaps orphans forever. */
int tenant_init_main(void *arg);

struct init_args {
	int chan;
	unsigned namespaces;
	uint64_t tmp_size, tmp_inodes;
	enum tn_proc_lxcfs proc_lxcfs;
	uid_t uid;            /* the tenant's owner and key, for the */
	char key[TN_KEY_MAX]; /* marker over /run/pam_tenant */
};

/* mounts.c: the tenant's mount table, built by fds.  *user_fd: the
 * listening status socket for the tenant's user, for the keeper. */
int mounts_setup(const struct init_args *a, int *proc_fd, int *user_fd,
    struct tn_err *err);

/* mounts-lxcfs.c: proc.lxcfs, lxcfs's files over the tenant's /proc
 * (proc_fd).  auto without a usable lxcfs does nothing; yes fails. */
int mounts_lxcfs(const struct init_args *a, int proc_fd, struct tn_err *err);
/* Does mountinfo list a fuse.lxcfs mount at TN_LXCFS_DIR?  A hint only,
 * which asks the FUSE daemon nothing (it may hang); tenant-init checks
 * the mount itself before it binds anything. */
bool lxcfs_mounted(void);

/* proc-title.c: rename this process in ps (overwrites the argv area,
 * which main() hands over first: the strings are contiguous). */
void proc_title_init(int argc, char **argv);
void proc_title(const char *title);
/* tenant-init runs on a stack of its own: the main thread's stack it
 * inherited (the helper's and keeper's frames) is dead weight in every
 * tenant.  Give those pages back, keeping the start-up block (argv, the
 * environment, auxv) that ps and libc still read. */
void proc_release_main_stack(void);

#endif
