/* proc_reset(): from a process that lowered everything an ordinary user
 * can lower, a child ends up with root's state (procstate.h).  As root it
 * checks every value; as another user it checks that the first step
 * (setgroups) fails and says so. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procstate.h"
#include "tap.h"

/* What the child saw, sent back over a pipe. */
struct seen {
	int rc, err;
	unsigned step;
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	int ngroups, nice, policy, ioprio, oom, persona;
	mode_t umask;
	char cwd[64];
	struct rlimit rl[RLIM_NLIMITS];
};

static int
read_int(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		(void)!read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	return atoi(buf);
}

int
main(void)
{
	struct seen s;
	int pp[2];
	pid_t pid;

	IS_INT(tn_rlimits_count, RLIM_NLIMITS, "the table has every resource limit");
	for (unsigned i = 0; i < tn_rlimits_count; i++)
		if (tn_rlimits[i].soft > tn_rlimits[i].hard ||
		    tn_rlimits[i].at_least > tn_rlimits[i].soft)
			OK(0, tn_rlimits[i].name);
	OK(proc_reset_step_name(proc_reset_steps()) == NULL,
	    "steps are named up to the last");
	IS_STR(proc_reset_step_name(0), "setgroups",
	    "the first step: groups before uids");

	if (pipe(pp) < 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		struct rlimit low = { .rlim_cur = 16, .rlim_max = 16 };
		struct sched_param sp = { 0 };

		memset(&s, 0, sizeof(s));
		/* What an ordinary user can do to a process before su. */
		setrlimit(RLIMIT_NOFILE,
		    &(struct rlimit){ .rlim_cur = 16, .rlim_max = 4096 });
		setrlimit(RLIMIT_CPU,
		    &(struct rlimit){ .rlim_cur = 1, .rlim_max = RLIM_INFINITY });
		setrlimit(RLIMIT_FSIZE,
		    &(struct rlimit){ .rlim_cur = 512, .rlim_max = RLIM_INFINITY });
		setrlimit(RLIMIT_CORE, &low);
		(void)!nice(19);
		sched_setscheduler(0, SCHED_IDLE, &sp);
		syscall(SYS_ioprio_set, 1, 0, 3 << 13); /* idle class */
		{
			int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
			if (fd >= 0) {
				(void)!write(fd, "500", 3);
				close(fd);
			}
		}
		personality(PER_LINUX | ADDR_NO_RANDOMIZE);
		umask(0);
		(void)!chdir("/tmp");

		s.rc = proc_reset(&s.step);
		s.err = errno;
		getresuid(&s.ruid, &s.euid, &s.suid);
		getresgid(&s.rgid, &s.egid, &s.sgid);
		s.ngroups = getgroups(0, NULL);
		errno = 0;
		s.nice = getpriority(PRIO_PROCESS, 0);
		s.policy = sched_getscheduler(0);
		s.ioprio = (int)syscall(SYS_ioprio_get, 1, 0);
		s.oom = read_int("/proc/self/oom_score_adj");
		s.persona = personality(0xffffffff);
		s.umask = umask(0);
		if (getcwd(s.cwd, sizeof(s.cwd)) == NULL)
			s.cwd[0] = '\0';
		for (int r = 0; r < RLIM_NLIMITS; r++)
			getrlimit(r, &s.rl[r]);
		(void)!write(pp[1], &s, sizeof(s));
		_exit(0);
	}
	close(pp[1]);
	if (read(pp[0], &s, sizeof(s)) != sizeof(s)) {
		printf("Bail out! the child reported nothing\n");
		return 1;
	}
	waitpid(pid, NULL, 0);

	if (geteuid() != 0) {
		IS_INT(s.rc, -1, "not root: proc_reset fails");
		IS_STR(proc_reset_step_name(s.step), "setgroups", "... at setgroups");
		return tap_done();
	}
	IS_INT(s.rc, 0, "proc_reset succeeds as root");
	if (s.rc != 0)
		printf("# failed at %s: %s\n", proc_reset_step_name(s.step),
		    strerror(s.err));
	OK(s.ruid == 0 && s.euid == 0 && s.suid == 0, "all uids 0");
	OK(s.rgid == 0 && s.egid == 0 && s.sgid == 0, "all gids 0");
	IS_INT(s.ngroups, 0, "no supplementary groups");
	IS_INT(s.nice, 0, "nice 0");
	IS_INT(s.policy, SCHED_OTHER, "SCHED_OTHER");
	IS_INT(s.ioprio >> 13, 0, "I/O priority class none");
	IS_INT(s.oom, 0, "oom_score_adj 0");
	IS_INT(s.persona & 0xffff, PER_LINUX, "personality PER_LINUX");
	IS_INT(s.persona & ADDR_NO_RANDOMIZE, 0, "... address randomization back on");
	IS_INT(s.umask, TN_RESET_UMASK, "umask 022");
	IS_STR(s.cwd, "/", "cwd /");
	for (unsigned i = 0; i < tn_rlimits_count; i++) {
		const struct tn_rlimit *t = &tn_rlimits[i];
		const struct rlimit *got = &s.rl[t->resource];
		char what[96];

		/* Without CAP_SYS_RESOURCE the hard limit may stay lower. */
		snprintf(what, sizeof(what),
		    "%s soft limit as in the table (or its hard limit)", t->name);
		OK(got->rlim_cur == t->soft ||
		        (got->rlim_cur == got->rlim_max && got->rlim_cur >= t->at_least),
		    what);
	}
	IS_INT(s.rl[RLIMIT_NOFILE].rlim_cur, 1024, "RLIMIT_NOFILE soft 1024, not 16");
	OK(s.rl[RLIMIT_CPU].rlim_cur == RLIM_INFINITY, "no CPU limit");
	OK(s.rl[RLIMIT_FSIZE].rlim_cur == RLIM_INFINITY, "no file size limit");
	return tap_done();
}
