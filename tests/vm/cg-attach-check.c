/* cg_attach() moves the process a pidfd pins, or nothing (run as root in
 * the cgroup v2 VM by tests/vm/guest/cgroup-attach.sh; TAP).
 *
 * A pid is recycled on purpose through /proc/sys/kernel/ns_last_pid, so
 * that "the pinned process exited and another one got its pid" happens
 * every time: before cg_attach is called, and (with the fault point
 * cgroup-attach-before-write sleeping) between its check and its write.
 * A bare write of the recycled pid, as the old code did with getppid() or
 * the SO_PEERCRED pid, is shown to move the wrong process. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup-int.h"
#include "tap.h"

#define TEST_CG "/sys/fs/cgroup/tn-attach-check"

static pid_t
sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

#define RECYCLE_TRIES 5

/* fork a sleeper that gets pid `want` (ns_last_pid = want - 1), or -1 */
static pid_t
sleeper_with_pid(pid_t want)
{
	char text[32];
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	pid_t pid;

	if (fd < 0)
		return -1;
	snprintf(text, sizeof(text), "%d", (int)want - 1);
	if (write(fd, text, strlen(text)) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	pid = sleeper();
	if (pid != want) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

static void
kill_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static bool
in_cgroup(pid_t pid, const char *suffix)
{
	char path[64], text[512];
	FILE *f;
	bool yes = false;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	if (fgets(text, sizeof(text), f)) {
		text[strcspn(text, "\n")] = '\0';
		yes = strlen(text) >= strlen(suffix) &&
		    strcmp(text + strlen(text) - strlen(suffix), suffix) == 0;
	}
	fclose(f);
	return yes;
}

static int
make_leaf(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), TEST_CG "/%s", name);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -1;
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void
set_fault(const char *action)
{
	char path[512];
	FILE *f;

	mkdir(TN_FAULT_DIR, 0755);
	snprintf(path, sizeof(path), "%s/cgroup-attach-before-write", TN_FAULT_DIR);
	if (action == NULL) {
		unlink(path);
		return;
	}
	f = fopen(path, "we");
	if (f) {
		fprintf(f, "%s\n", action);
		fclose(f);
		chmod(path, 0644);
	}
}

int
main(void)
{
	struct tn_err err = {0};
	int leaf, pidfd, r;
	pid_t a, b;

	if (mkdir(TEST_CG, 0755) < 0 && errno != EEXIST) {
		printf("Bail out! mkdir %s: %s\n", TEST_CG, strerror(errno));
		return 1;
	}

	/* 1. A live process is moved, and verified. */
	leaf = make_leaf("live");
	a = sleeper();
	pidfd = pidfd_open(a, 0);
	r = cg_attach(leaf, pidfd, &err);
	IS_INT(r, 0, "a live pinned process is moved");
	OK(in_cgroup(a, "/tn-attach-check/live"), "... and is in the leaf");
	close(pidfd);
	kill_reap(a);
	close(leaf);

	/* 2. An exited process (a zombie still holding its pid): nothing. */
	leaf = make_leaf("zombie");
	a = fork();
	if (a == 0)
		_exit(0);
	pidfd = pidfd_open(a, 0);
	usleep(200000);
	err = (struct tn_err){0};
	IS_INT(cg_attach(leaf, pidfd, &err), -ESRCH, "an exited pinned process is refused");
	printf("# %s\n", err.msg);
	IS_INT(cg_populated(leaf), 0, "... and the leaf stays empty");
	close(pidfd);
	waitpid(a, NULL, 0);
	close(leaf);

	/* 3. Reaped, and its pid recycled before the call. */
	leaf = make_leaf("reused");
	b = -1;
	/* Any other fork in the guest between our ns_last_pid write and our
	 * fork takes the pid: then try with a new one. */
	for (int try = 0; b < 0 && try < RECYCLE_TRIES; try++) {
		if (try > 0)
			close(pidfd);
		a = sleeper();
		pidfd = pidfd_open(a, 0);
		kill_reap(a);
		b = sleeper_with_pid(a);
	}
	if (b < 0) {
		printf("Bail out! could not recycle pid %d through ns_last_pid\n", (int)a);
		return 1;
	}
	err = (struct tn_err){0};
	IS_INT(cg_attach(leaf, pidfd, &err), -ESRCH,
	    "a pinned process whose pid was recycled is refused");
	printf("# %s\n", err.msg);
	OK(!in_cgroup(b, "/tn-attach-check/reused"), "... and the process with its pid stays out");
	{
		/* What a bare pid did (getppid(), SO_PEERCRED): the wrong one. */
		char text[32];
		snprintf(text, sizeof(text), "%d", (int)b);
		cg_write(leaf, "cgroup.procs", text);
		OK(in_cgroup(b, "/tn-attach-check/reused"),
		    "(control: writing the bare recycled pid moves the other process)");
	}
	close(pidfd);
	kill_reap(b);
	close(leaf);

	/* 4. Recycled between cg_attach's check and its write (the fault
	 * point sleeps there): the move happens, is seen, and is undone. */
	leaf = make_leaf("window");
	int pp[2];
	pid_t helper = -1;
	b = -1;
	for (int try = 0; b < 0 && try < RECYCLE_TRIES; try++) {
		if (try > 0) { /* the pid went to another fork: again, anew */
			close(pidfd);
			kill_reap(helper);
			close(pp[0]);
			close(pp[1]);
		}
		if (pipe(pp) < 0)
			return 1;
		helper = fork();
		if (helper == 0) {
			/* A is our child so that we can reap it while the parent
			 * sleeps in cg_attach; then B takes A's pid. */
			pid_t ca = sleeper(), cb;
			struct timespec t = {0, 500 * 1000 * 1000};

			(void)!write(pp[1], &ca, sizeof(ca));
			nanosleep(&t, NULL);
			kill_reap(ca);
			cb = sleeper_with_pid(ca);
			(void)!write(pp[1], &cb, sizeof(cb));
			pause();
			_exit(0);
		}
		if (read(pp[0], &a, sizeof(a)) != sizeof(a))
			return 1;
		pidfd = pidfd_open(a, 0);
		set_fault("sleep 1.5");
		err = (struct tn_err){0};
		r = cg_attach(leaf, pidfd, &err);
		set_fault(NULL);
		if (read(pp[0], &b, sizeof(b)) != sizeof(b))
			return 1;
	}
	if (b < 0) {
		printf("Bail out! could not recycle pid %d in the window\n", (int)a);
		return 1;
	}
	IS_INT(r, -ESRCH, "a pid recycled between check and write: the login fails");
	printf("# %s\n", err.msg);
	OK(strstr(err.msg, "undone") != NULL, "... saying the move was undone");
	OK(!in_cgroup(b, "/tn-attach-check/window"), "... and the other process is back out of the leaf");
	OK(in_cgroup(b, "0::/"), "... in the cgroup the pinned process came from");
	IS_INT(cg_populated(leaf), 0, "... the leaf is empty");
	close(pidfd);
	kill(b, SIGKILL);
	kill_reap(helper);
	close(leaf);

	rmdir(TEST_CG "/live");
	rmdir(TEST_CG "/zombie");
	rmdir(TEST_CG "/reused");
	rmdir(TEST_CG "/window");
	rmdir(TEST_CG);
	return tap_done();
}
