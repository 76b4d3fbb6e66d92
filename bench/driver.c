/* bench-driver: the PAM cycle a login program runs, timed.
 *
 *   bench-driver [options] SERVICE USER
 *     -n N         cycles (default 100)
 *     -c DIR       PAM service directory (pam_start_confdir)
 *     -j N         run N cycles at once (a storm); prints sessions/s
 *     -k K         hold K sessions of USER open for the whole run (with
 *                  scope = session: K live tenants); prints their memory;
 *                  with -n 0, hold them until standard input closes
 *     -u PREFIX    with -j: user PREFIX1..PREFIXN instead of USER
 *     -r FILE      append each cycle's time (ms, one per line) to FILE
 *     -s SECS      the user's command is "sleep SECS", not true (make soak:
 *                  a session leader that lives long enough to be killed)
 *
 * One cycle, in a fresh process as sshd forks one per connection:
 * pam_start -> pam_open_session -> fork, setgid/initgroups/setuid to the
 * user, exec /bin/true -> wait -> pam_close_session -> pam_end.  The
 * cycle's time is measured from the fork of that process to its exit.
 * Output: one line "cycles=N failed=F p50=.. p90=.. p99=.. mean=.. ms". */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *confdir;
static const char *sleep_secs; /* -s: the user's command sleeps */

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)msg;
	(void)data;
	*resp = calloc((size_t)n, sizeof(**resp));
	return *resp ? PAM_SUCCESS : PAM_BUF_ERR;
}

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The user's command, as a login program runs it after open_session. */
static int
run_as_user(const struct passwd *pw)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgid(pw->pw_gid) < 0 || initgroups(pw->pw_name, pw->pw_gid) < 0 ||
		    setuid(pw->pw_uid) < 0)
			_exit(126);
		if (sleep_secs)
			execl("/bin/sleep", "sleep", sleep_secs, (char *)NULL);
		else
			execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* One PAM session in this process; hold_fd >= 0: stay open until it closes. */
static int
session(const char *service, const char *user, int hold_fd)
{
	struct pam_conv c = { conv, NULL };
	pam_handle_t *pamh = NULL;
	struct passwd *pw = getpwnam(user);
	int r;

	if (pw == NULL)
		return 2;
	r = confdir ? pam_start_confdir(service, user, &c, confdir, &pamh)
	            : pam_start(service, user, &c, &pamh);
	if (r != PAM_SUCCESS)
		return 3;
	r = pam_open_session(pamh, 0);
	if (r != PAM_SUCCESS) {
		pam_end(pamh, r);
		return 4;
	}
	if (hold_fd >= 0) {
		char b;
		(void)!write(hold_fd, "x", 1);
		while (read(hold_fd, &b, 1) < 0 && errno == EINTR)
			;
	} else if (run_as_user(pw) < 0) {
		r = 5;
	}
	pam_close_session(pamh, 0);
	pam_end(pamh, PAM_SUCCESS);
	return r == PAM_SUCCESS ? 0 : r;
}

struct holder {
	pid_t pid;
	int fd; /* closing it ends the held session */
};

static int
hold_one(const char *service, const char *user, struct holder *h)
{
	int sp[2];
	char b;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	h->pid = fork();
	if (h->pid == 0) {
		close(sp[0]);
		_exit(session(service, user, sp[1]));
	}
	close(sp[1]);
	h->fd = sp[0];
	return h->pid > 0 && read(h->fd, &b, 1) == 1 ? 0 : -1;
}

/* Sum of Pss (KiB) of every process whose comm is a or b. */
static double
pss_kib(const char *a, const char *b)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	double sum = 0;

	while (d && (de = readdir(d)) != NULL) {
		char path[300], line[256];
		FILE *f;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		line[0] = '\0';
		(void)!fgets(line, sizeof(line), f);
		fclose(f);
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, a) != 0 && strcmp(line, b) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/smaps_rollup", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "Pss:", 4) == 0)
				sum += strtod(line + 4, NULL);
		fclose(f);
	}
	if (d)
		closedir(d);
	return sum;
}

static pid_t
start_cycle(const char *service, const char *user)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(session(service, user, -1));
	return pid;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double
pct(const double *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);
	return n ? v[i] : 0;
}

int
main(int argc, char **argv)
{
	int n = 100, jobs = 1, hold = 0, opt, failed = 0, done = 0;
	const char *prefix = NULL, *raw = NULL;
	double *t, t0, sum = 0;
	struct holder *holders = NULL;

	while ((opt = getopt(argc, argv, "n:c:j:k:r:s:u:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'c')
			confdir = optarg;
		else if (opt == 'j')
			jobs = atoi(optarg);
		else if (opt == 'k')
			hold = atoi(optarg);
		else if (opt == 'u')
			prefix = optarg;
		else if (opt == 'r')
			raw = optarg;
		else if (opt == 's')
			sleep_secs = optarg;
		else
			return 2;
	}
	if (argc - optind != 2 || n < 0 || (n == 0 && hold == 0) || jobs < 1 ||
	    hold < 0) {
		fprintf(stderr,
		    "usage: bench-driver [-n N] [-c DIR] [-j N] [-k K] [-r FILE] [-s SECS] [-u PREFIX] SERVICE USER\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (hold) {
		double h0 = now_ms();
		holders = calloc((size_t)hold, sizeof(*holders));
		for (int i = 0; i < hold; i++)
			if (hold_one(argv[optind], argv[optind + 1], &holders[i]) < 0) {
				fprintf(stderr, "bench-driver: held session %d failed\n",
				    i + 1);
				return 1;
			}
		printf("held=%d open_time=%.1f ms pss_per_tenant=%.1f KiB\n", hold,
		    now_ms() - h0, pss_kib("tenant-keeper", "tenant-init") / hold);
		fflush(stdout);
	}
	if (n == 0) { /* only hold: until our standard input closes */
		char b;
		while (read(0, &b, 1) > 0 || errno == EINTR)
			;
		for (int i = 0; i < hold; i++)
			close(holders[i].fd);
		for (int i = 0; i < hold; i++)
			waitpid(holders[i].pid, NULL, 0);
		return 0;
	}
	t = calloc((size_t)n, sizeof(*t));
	if (jobs > 1) {
		/* A storm: n cycles, jobs at a time, all started together. */
		pid_t *pids = calloc((size_t)jobs, sizeof(*pids));
		char name[64];
		t0 = now_ms();
		for (int i = 0; i < jobs && i < n; i++) {
			if (prefix)
				snprintf(name, sizeof(name), "%s%d", prefix, i + 1);
			pids[i] =
			    start_cycle(argv[optind], prefix ? name : argv[optind + 1]);
		}
		int why[8] = { 0 };
		for (int i = 0; i < jobs && i < n; i++) {
			int st;
			waitpid(pids[i], &st, 0);
			if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
				failed++;
				why[WIFEXITED(st) && WEXITSTATUS(st) < 8 ? WEXITSTATUS(st)
				                                         : 0]++;
			}
			done++;
		}
		t[0] = now_ms() - t0;
		printf("storm=%d failed=%d wall=%.1f ms rate=%.1f sessions/s", done,
		    failed, t[0], done / (t[0] / 1e3));
		if (failed) /* 2 no such user, 3 pam_start, 4 open_session, 5 the command */
			printf(
			    " (failures: user %d, start %d, open %d, command %d, other %d)",
			    why[2], why[3], why[4], why[5],
			    why[0] + why[1] + why[6] + why[7]);
		printf("\n");
	} else {
		for (int i = 0; i < n; i++) {
			int st;
			t0 = now_ms();
			pid_t pid = start_cycle(argv[optind], argv[optind + 1]);
			waitpid(pid, &st, 0);
			t[i] = now_ms() - t0;
			sum += t[i];
			failed += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
		if (raw) { /* every cycle's time, for runs pooled by bench/run.sh */
			FILE *f = fopen(raw, "a");
			for (int i = 0; f && i < n; i++)
				fprintf(f, "%.3f\n", t[i]);
			if (f)
				fclose(f);
		}
		qsort(t, (size_t)n, sizeof(*t), cmp);
		printf("cycles=%d failed=%d p50=%.2f p90=%.2f p99=%.2f mean=%.2f ms\n", n,
		    failed, pct(t, n, 0.5), pct(t, n, 0.9), pct(t, n, 0.99), sum / n);
	}
	for (int i = 0; i < hold; i++)
		close(holders[i].fd);
	for (int i = 0; i < hold; i++)
		waitpid(holders[i].pid, NULL, 0);
	return failed ? 1 : 0;
}
