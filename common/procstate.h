/* The process state every root process of pam_tenant starts from.
 *
 * tenant-helper, the keepers and tenant-init are root processes, but they
 * are forked from the login program, which may be su(1) run by an ordinary
 * user: real uid the caller's, effective uid 0, and the caller's resource
 * limits, nice value, scheduling policy, I/O priority, oom_score_adj,
 * personality, umask and current directory.  None of that may reach a
 * process that serves other users' logins (a 1-second RLIMIT_CPU would kill
 * another user's keeper).  So the module's child resets all of it between
 * fork and exec, and the helper asserts it again when it starts; both use
 * proc_reset() and the one table in procstate.c, so they cannot drift.
 *
 * proc_reset() is async-signal-safe (plain system calls, no allocation, no
 * locale, no stdio): it runs in the child of fork() inside the login
 * program.  Signal dispositions, the signal mask and the alarm are the
 * caller's business (spawn.c resets them before calling this). */
#ifndef TENANT_PROCSTATE_H
#define TENANT_PROCSTATE_H

#include <sys/resource.h>

/* One rlimit of the table. */
struct tn_rlimit {
	int resource;
	rlim_t soft, hard;
	rlim_t at_least;  /* without CAP_SYS_RESOURCE: the least soft limit accepted */
	const char *name; /* "RLIMIT_NOFILE" */
};

extern const struct tn_rlimit tn_rlimits[];
extern const unsigned tn_rlimits_count;

/* The values proc_reset() sets (besides the rlimits). */
#define TN_RESET_UMASK 022
#define TN_RESET_TIMERSLACK_NS 50000 /* the kernel's default for init */

/* Make this process fully root (uids, gids, no supplementary groups) and
 * give it the state above.  Returns 0, or -1 with *step set to the index
 * of the step that failed (proc_reset_step_name() names it) and errno
 * set.  Stops at the first failure. */
int proc_reset(unsigned *step);

/* "setresuid", "RLIMIT_CPU", "oom_score_adj", ...; NULL when out of range. */
const char *proc_reset_step_name(unsigned step);
unsigned proc_reset_steps(void);

/* Exit statuses of the module's child when proc_reset() fails there:
 * TN_RESET_EXIT_BASE + step (tenant-helper(8) lists them). */
#define TN_RESET_EXIT_BASE 64

#endif
