/* tenant-helper internals.  The helper is root from start to exit,
 * single-threaded, non-dumpable and has no tty (security catalog R7). */
#ifndef TENANT_HELPER_H
#define TENANT_HELPER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <syslog.h>

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
	char cgroup_root[TN_CGROUP_ROOT_MAX]; /* "" when no cgroups */
};

/* Where the helper and the keeper read the config (open.c). */
extern const struct tn_conf_opts helper_conf_opts;

/* open.c: the whole pam_open_session side, talking to the module on fd. */
int helper_open(int fd);

/* keeper.c: start a detached keeper for spec; returns once it listens. */
int keeper_spawn(const struct tenant_spec *spec, struct tn_err *err);

/* tenant_init.c: body of the tenant's PID 1 (runs in the new namespaces).
 * Sets up mounts, reports on chan, then reaps orphans forever. */
int tenant_init_main(void *arg);

struct init_args {
	int chan;
	unsigned namespaces;
	uint64_t tmp_size, tmp_inodes;
	uid_t uid;             /* the tenant's owner and key, for the */
	char key[TN_KEY_MAX];  /* marker over /run/pam_tenant */
};

/* mounts.c: the tenant's mount table, built by fds. */
int mounts_setup(const struct init_args *a, int *proc_fd, struct tn_err *err);

/* main.c: rename this process in ps (overwrites the argv area). */
void proc_title(const char *title);

/* Namespace file names in TN_NS_* bit order. */
extern const char *const ns_names[TN_NS_COUNT];

#endif
