/* pam_bench_floor.so: the floor row of `make bench`, the least a first
 * login into a new tenant must cost, run by bench-driver in the same
 * PAM cycle as every other row (so floor - baseline is that work alone).
 *
 *   session required pam_bench_floor.so child=/path/to/floor-child
 *
 * open: one cgroup mkdir where pam_tenant would make one (a cgroup v2
 * /sys/fs/cgroup; on a v1 or hybrid host pam_tenant makes none, nor does
 * this); fork and exec the static floor-child with a socket as fd 3 and
 * /dev/null as stdio, which clones init into the namespaces and mounts
 * (floor-child.c); wait for it and for init's ready; then, as pam_tenant
 * does in the login process (pam_module/join.c), open the way back and
 * setns into init's namespaces, mount last.
 * close: setns back, close the link (init exits: the tenant ends, nobody
 * waits for it) and rmdir the cgroup.
 * Not here: resolving the user, config, state files, checks, policy
 * (bounding set, no_new_privs): none of it is forced by the isolation. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#define DATA_NAME "pam_bench_floor"
#define NS_COUNT 4

/* Join order as pam_tenant's: mount last (after it /proc is init's). */
static const struct {
	const char *name;
	int flag;
} kinds[NS_COUNT] = {
	{ "pid", CLONE_NEWPID },
	{ "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS },
	{ "mnt", CLONE_NEWNS },
};

struct floor {
	pid_t opener;
	int link;
	int host_ns[NS_COUNT];
	char cgroup[64]; /* empty: none made */
};

static void
floor_end(pam_handle_t *pamh, void *data, int status)
{
	struct floor *f = data;

	(void)pamh;
	(void)status;
	if (f->opener == getpid()) {
		for (int i = NS_COUNT; i-- > 0;)
			if (f->host_ns[i] >= 0)
				(void)setns(f->host_ns[i], kinds[i].flag);
		if (f->cgroup[0])
			(void)rmdir(f->cgroup);
	}
	for (int i = 0; i < NS_COUNT; i++)
		if (f->host_ns[i] >= 0)
			close(f->host_ns[i]);
	if (f->link >= 0)
		close(f->link); /* init reads EOF and exits */
	free(f);
}

/* Fork and exec the static child; returns its pid, -1 on error. */
static pid_t
spawn(const char *path, int sock)
{
	static char name[] = "floor-child";
	char *const argv[] = { name, NULL };
	char *const envp[] = { NULL };
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(null, 2) < 0 || dup2(sock, 3) < 0)
			_exit(126);
		execve(path, argv, envp);
		_exit(127);
	}
	return pid;
}

/* Init's pid ('P') and its ready ('R'), in either order. */
static pid_t
await_init(pam_handle_t *pamh, int link)
{
	pid_t init = 0;
	bool ready = false;

	while (init == 0 || !ready) {
		struct pollfd p = { .fd = link, .events = POLLIN };
		char msg[160];
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0) {
			pam_syslog(pamh, LOG_ERR, "floor-child did not report");
			return -1;
		}
		n = recv(link, msg, sizeof(msg) - 1, 0);
		if (n <= 0) {
			pam_syslog(pamh, LOG_ERR, "floor-child ended without init");
			return -1;
		}
		msg[n] = '\0';
		if (msg[0] == 'P' && n == 1 + (ssize_t)sizeof(pid_t))
			memcpy(&init, msg + 1, sizeof(pid_t));
		else if (msg[0] == 'R')
			ready = true;
		else {
			pam_syslog(pamh, LOG_ERR, "floor-child: %s", msg + 1);
			return -1;
		}
	}
	return init;
}

static int
join(pam_handle_t *pamh, struct floor *f, pid_t init)
{
	int ns[NS_COUNT];
	int r = 0;

	for (int i = 0; i < NS_COUNT; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)init, kinds[i].name);
		ns[i] = open(path, O_RDONLY | O_CLOEXEC);
		snprintf(path, sizeof(path), "/proc/self/ns/%s", kinds[i].name);
		f->host_ns[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (ns[i] < 0 || f->host_ns[i] < 0) {
			pam_syslog(pamh, LOG_ERR, "open %s namespace: %m", kinds[i].name);
			r = -1;
		}
	}
	for (int i = 0; i < NS_COUNT && r == 0; i++)
		if (setns(ns[i], kinds[i].flag) < 0) {
			pam_syslog(pamh, LOG_ERR, "setns %s: %m", kinds[i].name);
			r = -1;
		}
	for (int i = 0; i < NS_COUNT; i++)
		if (ns[i] >= 0)
			close(ns[i]);
	return r;
}

/* One cgroup where pam_tenant would make one: cgroup v2 only. */
static int
make_cgroup(pam_handle_t *pamh, struct floor *f)
{
	struct statfs sf;

	if (statfs("/sys/fs/cgroup", &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
		return 0;
	snprintf(f->cgroup, sizeof(f->cgroup), "/sys/fs/cgroup/pam-bench-floor.%d",
	    (int)getpid());
	if (mkdir(f->cgroup, 0755) < 0) {
		pam_syslog(pamh, LOG_ERR, "mkdir %s: %m", f->cgroup);
		f->cgroup[0] = '\0';
		return -1;
	}
	return 0;
}

PAM_EXTERN int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const char *child = NULL;
	struct floor *f;
	int sp[2], st;
	pid_t pid, init;

	(void)flags;
	for (int i = 0; i < argc; i++)
		if (strncmp(argv[i], "child=", 6) == 0)
			child = argv[i] + 6;
	if (child == NULL) {
		pam_syslog(pamh, LOG_ERR, "no child= argument");
		return PAM_SESSION_ERR;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return PAM_BUF_ERR;
	f->opener = getpid();
	f->link = -1;
	for (int i = 0; i < NS_COUNT; i++)
		f->host_ns[i] = -1;
	if (pam_set_data(pamh, DATA_NAME, f, floor_end) != PAM_SUCCESS) {
		free(f);
		return PAM_BUF_ERR;
	}
	if (make_cgroup(pamh, f) < 0)
		return PAM_SESSION_ERR;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return PAM_SESSION_ERR;
	f->link = sp[0];
	pid = spawn(child, sp[1]);
	close(sp[1]);
	if (pid < 0)
		return PAM_SESSION_ERR;
	init = await_init(pamh, f->link);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return PAM_SESSION_ERR;
	if (init <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		pam_syslog(pamh, LOG_ERR, "floor-child failed (status %#x)", st);
		return PAM_SESSION_ERR;
	}
	return join(pamh, f, init) < 0 ? PAM_SESSION_ERR : PAM_SUCCESS;
}

PAM_EXTERN int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags;
	(void)argc;
	(void)argv;
	/* floor_end, run by pam_set_data's replacement, does the work */
	return pam_set_data(pamh, DATA_NAME, NULL, NULL) == PAM_SUCCESS ? PAM_SUCCESS
	                                                                : PAM_SESSION_ERR;
}
