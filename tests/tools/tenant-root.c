/* tenant-root PID CMD [ARG...]: run CMD as uid 0 inside the tenant of the
 * session process PID, with that process's bounding set.  That is what a
 * set-user-ID root program started in the session becomes: exec as uid 0
 * gives permitted = effective = the bounding set.  A test tool for the
 * root e2e tier; it trusts its caller (root) and its argv.
 *
 * It enters the process's ipc, uts, net, pid and mount namespaces (all
 * opened before any setns), drops every capability the process's
 * CapBnd lacks, clears the inheritable and ambient sets, forks (so the
 * child is in the PID namespace) and execs CMD.  Exit status: CMD's, or
 * 125 when it could not be set up, 126 when CMD could not be run. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("tenant-root: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(125);
}

/* The hex value of "Key:" in /proc/PID/status. */
static uint64_t
status_hex(const char *pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	f = fopen(path, "re");
	if (f == NULL)
		die("%s: %m", path);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			char *end;
			uint64_t v;

			errno = 0;
			v = strtoull(line + klen + 1, &end, 16);
			if (errno || end == line + klen + 1)
				die("%s: bad %s line", path, key);
			fclose(f);
			return v;
		}
	}
	die("%s: no %s line", path, key);
}

int
main(int argc, char **argv)
{
	static const char *const names[] = {"ipc", "uts", "net", "pid", "mnt"};
	static char path_env[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	static char home_env[] = "HOME=/root", lc_env[] = "LC_ALL=C";
	char *const envp[] = {path_env, home_env, lc_env, NULL};
	int fds[sizeof(names) / sizeof(names[0])];
	uint64_t bnd;
	cap_t caps;
	pid_t child;
	int st;

	if (argc < 3 || strspn(argv[1], "0123456789") != strlen(argv[1]))
		die("usage: tenant-root PID CMD [ARG...]");
	if (geteuid() != 0)
		die("must run as root");
	bnd = status_hex(argv[1], "CapBnd");
	if (status_hex(argv[1], "NoNewPrivs") != 0)
		die("process %s has no_new_privs: a set-user-ID program would not become root there", argv[1]);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%s/ns/%s", argv[1], names[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			die("%s: %m", path);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (setns(fds[i], 0) < 0)
			die("setns %s: %m", names[i]);
	if (chdir("/") < 0)
		die("chdir /: %m");
	for (int c = 0; c < 64 && prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
		if (!(bnd & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			die("drop bounding cap %d: %m", c);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		die("clear ambient: %m");
	caps = cap_get_proc();
	if (caps == NULL || cap_clear_flag(caps, CAP_INHERITABLE) < 0 ||
	    cap_set_proc(caps) < 0)
		die("clear inheritable: %m");
	cap_free(caps);
	child = fork();
	if (child < 0)
		die("fork: %m");
	if (child == 0) {
		execvpe(argv[2], argv + 2, envp);
		fprintf(stderr, "tenant-root: %s: %m\n", argv[2]);
		_exit(126);
	}
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %m");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
