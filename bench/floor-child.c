/* floor-child: the static program the floor module (bench/floor.c) execs,
 * standing in for tenant-helper with nothing but the unavoidable work of
 * a first login: clone a tenant init into the namespaces pam_tenant's
 * default uses (mount, PID, IPC, UTS: conf/policy.c) and, in it, the
 * mounts tenant-init makes there (helper/mounts.c): "/" rslave, a private
 * tmpfs on /tmp, /var/tmp and /dev/shm, a fresh mqueue and proc.  The
 * session's socket is fd 3; this process sends init's pid ('P') and
 * exits, init sends 'R' when its mounts are in place ('E' and why when
 * not) and lives until the session closes its end.  Built -static: an
 * exec without the dynamic loader's work, the cheapest exec there is. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINK 3

static char init_stack[64 * 1024]; /* without CLONE_VM init has its own copy */

static int
fail(const char *what)
{
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "E%s: %s", what, strerror(errno));

	(void)!send(LINK, msg, (size_t)n, MSG_NOSIGNAL);
	return 1;
}

static int
init_main(void *arg)
{
	static const char *const tmp[] = { "/tmp", "/var/tmp", "/dev/shm" };
	char c;
	ssize_t n;

	(void)arg;
	/* Before any other mount: nothing of ours may propagate to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return fail("make / rslave");
	for (size_t i = 0; i < sizeof(tmp) / sizeof(tmp[0]); i++)
		if (mount("floor", tmp[i], "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") <
		    0)
			return fail(tmp[i]);
	if (mount("floor", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	        NULL) < 0)
		return fail("/dev/mqueue");
	if (mount("floor", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return fail("/proc");
	if (send(LINK, "R", 1, MSG_NOSIGNAL) != 1)
		return 1;
	/* The tenant lives until the session closes the link. */
	while ((n = read(LINK, &c, 1)) != 0)
		if (n < 0 && errno != EINTR)
			break;
	return 0;
}

int
main(void)
{
	char msg[1 + sizeof(pid_t)] = "P";
	pid_t pid = clone(init_main, init_stack + sizeof(init_stack),
	    CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD, NULL);

	if (pid < 0)
		return fail("clone");
	memcpy(msg + 1, &pid, sizeof(pid));
	return send(LINK, msg, sizeof(msg), MSG_NOSIGNAL) == (ssize_t)sizeof(msg) ? 0 : 1;
}
