/* proc_reset(): see procstate.h.  Async-signal-safe: every step is one
 * system call; the set-id calls are made with syscall() because glibc's
 * wrappers would try to signal other threads (there are none in the child
 * of fork(), but the wrapper's machinery is not async-signal-safe). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procstate.h"
#include "util.h"

#define MiB (1024 * 1024)

/* Every resource limit Linux has, set to what the kernel gives the first
 * process at boot (include/asm-generic/resource.h, INIT_RLIMITS), except
 * where a comment says otherwise.  These are root processes: no user's
 * limit is theirs, and what they need beyond this they set themselves
 * (the keeper raises its RLIMIT_NOFILE soft limit up to the hard one).
 *
 * Raising a hard limit needs CAP_SYS_RESOURCE, which some hosts withhold
 * from everything (containers).  There the hard limit stays where the
 * caller left it and the soft limit goes as close to the table as it
 * allows; if that is below the last column ("at least"), proc_reset()
 * fails and the login is refused: a root process serving every login of
 * a tenant must not run with a caller's 1-second CPU limit or 16 files.
 * "At least" is the value itself where the kernel would kill or starve
 * the process (CPU, FSIZE: SIGXCPU/SIGXFSZ; memory; files) and 0 where
 * the kernel does not apply the limit to uid 0 (NPROC), ignores it (RSS,
 * LOCKS), or our processes never use it (MEMLOCK, MSGQUEUE, RT, NICE;
 * SIGPENDING: they send no queued signals, and SIGKILL never queues). */
const struct tn_rlimit tn_rlimits[] = {
	{ RLIMIT_CPU, RLIM_INFINITY, RLIM_INFINITY, RLIM_INFINITY, "RLIMIT_CPU" },
	{ RLIMIT_FSIZE, RLIM_INFINITY, RLIM_INFINITY, RLIM_INFINITY, "RLIMIT_FSIZE" },
	{ RLIMIT_DATA, RLIM_INFINITY, RLIM_INFINITY, RLIM_INFINITY, "RLIMIT_DATA" },
	{ RLIMIT_STACK, 8 * MiB, RLIM_INFINITY, 8 * MiB, "RLIMIT_STACK" },
	/* No core dumps (the helper is non-dumpable anyway); the hard limit
	 * stays open as at boot. */
	{ RLIMIT_CORE, 0, RLIM_INFINITY, 0, "RLIMIT_CORE" },
	{ RLIMIT_RSS, RLIM_INFINITY, RLIM_INFINITY, 0, "RLIMIT_RSS" },
	/* Boot sets this from the RAM size (max_threads / 2), and the kernel
	 * never applies it to uid 0; infinity says so. */
	{ RLIMIT_NPROC, RLIM_INFINITY, RLIM_INFINITY, 0, "RLIMIT_NPROC" },
	/* 1024 keeps select() safe.  The hard limit is systemd's default
	 * for services rather than the boot value (4096): a keeper holds a
	 * few fds per session and raises its own soft limit as it needs.
	 * Above fs.nr_open (default 1048576) the kernel says EPERM, and the
	 * fallback below keeps the current hard limit. */
	{ RLIMIT_NOFILE, 1024, 524288, 1024, "RLIMIT_NOFILE" },
	{ RLIMIT_MEMLOCK, 8 * MiB, 8 * MiB, 0, "RLIMIT_MEMLOCK" },
	{ RLIMIT_AS, RLIM_INFINITY, RLIM_INFINITY, RLIM_INFINITY, "RLIMIT_AS" },
	{ RLIMIT_LOCKS, RLIM_INFINITY, RLIM_INFINITY, 0, "RLIMIT_LOCKS" },
	/* Boot sets this from the RAM size too. */
	{ RLIMIT_SIGPENDING, RLIM_INFINITY, RLIM_INFINITY, 0, "RLIMIT_SIGPENDING" },
	{ RLIMIT_MSGQUEUE, 819200, 819200, 0, "RLIMIT_MSGQUEUE" },
	{ RLIMIT_NICE, 0, 0, 0, "RLIMIT_NICE" },
	{ RLIMIT_RTPRIO, 0, 0, 0, "RLIMIT_RTPRIO" },
	{ RLIMIT_RTTIME, RLIM_INFINITY, RLIM_INFINITY, 0, "RLIMIT_RTTIME" },
};
const unsigned tn_rlimits_count = N_ELEMENTS(tn_rlimits);
_Static_assert(N_ELEMENTS(tn_rlimits) == RLIM_NLIMITS, "one entry per rlimit");

enum {
	STEP_SETGROUPS,
	STEP_SETRESGID,
	STEP_SETRESUID,
	STEP_RLIMIT0, /* one step per tn_rlimits entry */
	STEP_NICE = STEP_RLIMIT0 + RLIM_NLIMITS,
	STEP_SCHED,
	STEP_AFFINITY,
	STEP_IOPRIO,
	STEP_OOM,
	STEP_PERSONALITY,
	STEP_MEMPOLICY,
	STEP_TIMERSLACK,
	STEP_CHDIR,
	STEP__COUNT
};

static const char *const step_names[] = {
	[STEP_SETGROUPS] = "setgroups",
	[STEP_SETRESGID] = "setresgid",
	[STEP_SETRESUID] = "setresuid",
	[STEP_NICE] = "setpriority",
	[STEP_SCHED] = "sched_setscheduler",
	[STEP_AFFINITY] = "sched_setaffinity",
	[STEP_IOPRIO] = "ioprio_set",
	[STEP_OOM] = "oom_score_adj",
	[STEP_PERSONALITY] = "personality",
	[STEP_MEMPOLICY] = "set_mempolicy",
	[STEP_TIMERSLACK] = "timerslack",
	[STEP_CHDIR] = "chdir /",
};

/* ioprio_set(2) has no glibc wrapper; these are its uapi values. */
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_NONE 0 /* "derived from the nice value" */
#define MPOL_DEFAULT 0

const char *
proc_reset_step_name(unsigned step)
{
	if (step >= STEP__COUNT)
		return NULL;
	if (step >= STEP_RLIMIT0 && step < STEP_RLIMIT0 + tn_rlimits_count)
		return tn_rlimits[step - STEP_RLIMIT0].name;
	return step_names[step];
}

unsigned
proc_reset_steps(void)
{
	return STEP__COUNT;
}

static int
write_oom_score_adj(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int saved;

	if (fd < 0)
		return -1;
	do
		n = write(fd, "0", 1);
	while (n < 0 && errno == EINTR);
	saved = errno;
	close(fd);
	errno = saved;
	return n == 1 ? 0 : -1;
}

/* The table's values; without CAP_SYS_RESOURCE as close as allowed. */
static int
reset_rlimit(const struct tn_rlimit *t)
{
	struct rlimit rl = { .rlim_cur = t->soft, .rlim_max = t->hard }, cur;

	if (setrlimit(t->resource, &rl) == 0)
		return 0;
	if (errno != EPERM || getrlimit(t->resource, &cur) < 0)
		return -1;
	rl.rlim_max = cur.rlim_max; /* below the table: cannot raise it */
	rl.rlim_cur = t->soft < cur.rlim_max ? t->soft : cur.rlim_max;
	if (rl.rlim_cur < t->at_least) {
		errno = EPERM;
		return -1;
	}
	return setrlimit(t->resource, &rl);
}

int
proc_reset(unsigned *step)
{
	static const struct sched_param other = { .sched_priority = 0 };
	cpu_set_t all;

#define STEP(n, call)              \
	do {                       \
		*step = (n);       \
		if ((call) < 0)    \
			return -1; \
	} while (0)

	/* Groups before uids (R12); with euid 0 all three are allowed. */
	STEP(STEP_SETGROUPS, syscall(SYS_setgroups, 0, NULL));
	STEP(STEP_SETRESGID, syscall(SYS_setresgid, 0, 0, 0));
	STEP(STEP_SETRESUID, syscall(SYS_setresuid, 0, 0, 0));
	for (unsigned i = 0; i < tn_rlimits_count; i++)
		STEP(STEP_RLIMIT0 + i, reset_rlimit(&tn_rlimits[i]));
	STEP(STEP_NICE, setpriority(PRIO_PROCESS, 0, 0));
	/* SCHED_OTHER without SCHED_RESET_ON_FORK; this also clears it. */
	STEP(STEP_SCHED, sched_setscheduler(0, SCHED_OTHER, &other));
	/* Every CPU; the kernel intersects the mask with the cpuset's. */
	memset(&all, 0xff, sizeof(all));
	STEP(STEP_AFFINITY, sched_setaffinity(0, sizeof(all), &all));
	STEP(STEP_IOPRIO,
	    syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_NONE << 13));
	STEP(STEP_OOM, write_oom_score_adj());
	STEP(STEP_PERSONALITY, personality(PER_LINUX));
	/* Kernels without NUMA have no memory policy to reset. */
	*step = STEP_MEMPOLICY;
	if (syscall(SYS_set_mempolicy, MPOL_DEFAULT, NULL, 0) < 0 && errno != ENOSYS)
		return -1;
	STEP(STEP_TIMERSLACK, prctl(PR_SET_TIMERSLACK, TN_RESET_TIMERSLACK_NS, 0, 0, 0));
	umask(TN_RESET_UMASK);
	STEP(STEP_CHDIR, chdir("/"));
#undef STEP
	*step = STEP__COUNT;
	return 0;
}
