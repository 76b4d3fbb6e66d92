/* pam-fault-driver: one PAM session cycle of a login program, run under a
 * resource fault (e2e 52-faults-resources; catalogue F15, F17, F18).
 *
 *   pam-fault-driver [-A N | -B N] [-c DIR] [-F FREE] [-I] [-K MS] [-m FILE]
 *                    [-N NPROC] [-R] [-S] [-w FILE] SERVICE USER
 *     -A N      the Nth memory allocation (malloc, calloc, realloc) made
 *               during pam_open_session fails with ENOMEM, only that one
 *     -B N      the same during pam_close_session
 *     -c DIR    PAM service directory (pam_start_confdir)
 *     -I        ignore SIGCHLD (SIG_IGN: the kernel reaps our children)
 *     -K MS     just before pam_open_session, fork a child of our own that
 *               exits after MS ms; "child=zombie|gone|running" says after
 *               the open whether it waits to be reaped (with -S also
 *               "sigchld=N", the SIGCHLDs our handler saw)
 *     -F FREE   after pam_start, open /dev/null until EMFILE, then give
 *               back FREE fds: pam_open_session runs with only FREE free
 *     -N NPROC  RLIMIT_NPROC (soft and hard) before pam_open_session
 *     -R        after the close, open and close again on the same handle
 *               (a login program that reuses it); one more line
 *               "reopen=N reclose=N mnt=same|other" (mnt after the reopen)
 *     -S        catch SIGHUP, SIGTERM, SIGCHLD, SIGWINCH and SIGUSR1 with
 *               a handler that only counts them, without SA_RESTART (a
 *               login program's handlers: every blocking call in the
 *               modules may see EINTR); "signals=N" is printed too
 *     -w FILE   after a successful open, print "opened open_ms=N" (how
 *               long pam_open_session took) and wait until FILE exists
 *               (so a test can look at, or kill, the live session)
 *     -m FILE   append the modules' messages to the user (pam_error,
 *               pam_info) to FILE, one per line
 *
 * Prints one line: "open=N close=N mnt=same|other fd_delta=N"; open and
 * close are PAM return codes (close is -1 when open failed), mnt says
 * whether the driver itself ended up in another mount namespace after
 * the open (the module joins the tenant in the login program) and
 * fd_delta is the driver's fd count after pam_end minus before pam_start
 * (the filler fds closed): anything but 0 is a leak.  With -A or -B a
 * second line "allocs=N injected=0|1" counts the allocations made in that
 * call and says whether the Nth failed (0: the call made fewer).  Exit 0
 * whenever the cycle ran to its end, whatever PAM said. */
#include <errno.h>
#include <dirent.h>
#include <dlfcn.h>
#include <pwd.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t caught, caught_chld;

static void
count_signal(int sig)
{
	caught++;
	if (sig == SIGCHLD)
		caught_chld++;
}

static void
catch_signals(void)
{
	static const int sigs[] = { SIGHUP, SIGTERM, SIGCHLD, SIGWINCH, SIGUSR1 };
	struct sigaction sa = { .sa_handler = count_signal }; /* no SA_RESTART */

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* -A, -B: this program's malloc, calloc and realloc stand in for glibc's
 * (an executable's definitions win for every library, which is how glibc
 * lets a program replace its allocator) and pass each call on to glibc's
 * own, except the one to fail.  free and the aligned allocators stay
 * glibc's: they share its heap.
 * glibc's NSS does not survive its own allocations failing (a NULL
 * dereference in nss_database.c, or an assertion), so inside a user
 * lookup nothing fails; the lookup itself counts as one allocation and
 * fails with ENOMEM, as glibc reports a lookup out of memory. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static int alloc_armed, alloc_injected, in_lookup;
static long alloc_fail_at, alloc_calls;

static int
alloc_fails(void)
{
	if (!alloc_armed || in_lookup || ++alloc_calls != alloc_fail_at)
		return 0;
	alloc_injected = 1;
	errno = ENOMEM;
	return 1;
}

typedef int (*getpwnam_r_fn)(const char *, struct passwd *, char *, size_t,
    struct passwd **);
typedef int (*getpwuid_r_fn)(uid_t, struct passwd *, char *, size_t, struct passwd **);
static getpwnam_r_fn real_getpwnam_r;
static getpwuid_r_fn real_getpwuid_r;

int
getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len,
    struct passwd **res)
{
	int r;

	if (alloc_fails()) {
		*res = NULL;
		return ENOMEM;
	}
	in_lookup++;
	r = real_getpwnam_r(name, pw, buf, len, res);
	in_lookup--;
	return r;
}

int
getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len, struct passwd **res)
{
	int r;

	if (alloc_fails()) {
		*res = NULL;
		return ENOMEM;
	}
	in_lookup++;
	r = real_getpwuid_r(uid, pw, buf, len, res);
	in_lookup--;
	return r;
}

void *
malloc(size_t n)
{
	return alloc_fails() ? NULL : __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	return alloc_fails() ? NULL : __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : __libc_realloc(p, n);
}

static FILE *messages; /* -m */

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)data;
	for (int i = 0; i < n && messages; i++)
		if (msg[i]->msg_style == PAM_ERROR_MSG || msg[i]->msg_style == PAM_TEXT_INFO)
			fprintf(messages, "%s\n", msg[i]->msg);
	*resp = calloc((size_t)n, sizeof(**resp));
	return *resp ? PAM_SUCCESS : PAM_BUF_ERR;
}

/* This process's fd directory on the host's /proc, opened at the start:
 * a login left in the tenant's mount namespace sees the tenant's /proc,
 * where this process (of the host's PID namespace) has no entry. */
static int fd_dir = -1;

static int
count_fds(void)
{
	int dfd = fcntl(fd_dir, F_DUPFD_CLOEXEC, 0);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	rewinddir(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 2; /* fd_dir and the directory's own fd */
}

static void
mnt_ns(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/ns/mnt", buf, len - 1);

	buf[n < 0 ? 0 : n] = '\0';
}

int
main(int argc, char **argv)
{
	const struct pam_conv pc = { conv, NULL };
	const char *confdir = NULL, *wait_file = NULL;
	char ns_before[64], ns_after[64];
	int opt, free_fds = -1, nproc = -1, fds_before, r, c = -1, nfill = 0;
	int signals = 0, fail_in_open = 0, fail_in_close = 0, ignore_chld = 0, child_ms = -1;
	int reopen = 0;
	pid_t child = -1;
	static int fill[65536];
	pam_handle_t *h = NULL;
	struct timespec t0, t1;

	while ((opt = getopt(argc, argv, "A:B:c:F:IK:m:N:RSw:")) != -1) {
		if (opt == 'm' && (messages = fopen(optarg, "ae")) == NULL)
			return 2;
		if (opt == 'A' || opt == 'B') {
			alloc_fail_at = atol(optarg);
			fail_in_open = opt == 'A';
			fail_in_close = opt == 'B';
		} else if (opt == 'm')
			setvbuf(messages, NULL, _IONBF, 0);
		else if (opt == 'c')
			confdir = optarg;
		else if (opt == 'I')
			ignore_chld = 1;
		else if (opt == 'K')
			child_ms = atoi(optarg);
		else if (opt == 'F')
			free_fds = atoi(optarg);
		else if (opt == 'N')
			nproc = atoi(optarg);
		else if (opt == 'S')
			signals = 1;
		else if (opt == 'R')
			reopen = 1;
		else if (opt == 'w')
			wait_file = optarg;
		else
			return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr,
		    "usage: pam-fault-driver [-A N | -B N] [-c DIR] [-F FREE] [-I] [-K MS] "
		    "[-m FILE] [-N NPROC] [-R] [-S] [-w FILE] SERVICE USER\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	if (signals)
		catch_signals(); /* from the start: the flood may begin at once */
	if (ignore_chld)
		signal(SIGCHLD, SIG_IGN);
	/* The syslog socket the modules log through stays open for good:
	 * open it now, so it is not counted as a leak. */
	openlog("pam-fault-driver", LOG_NDELAY, LOG_AUTHPRIV);
	real_getpwnam_r = (getpwnam_r_fn)dlsym(RTLD_NEXT, "getpwnam_r");
	real_getpwuid_r = (getpwuid_r_fn)dlsym(RTLD_NEXT, "getpwuid_r");
	if (real_getpwnam_r == NULL || real_getpwuid_r == NULL ||
	    (fd_dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "pam-fault-driver: set-up failed\n");
		return 1;
	}
	mnt_ns(ns_before, sizeof(ns_before));
	fds_before = count_fds();
	r = pam_start_confdir(argv[optind], argv[optind + 1], &pc, confdir, &h);
	if (r != PAM_SUCCESS) {
		fprintf(stderr, "pam-fault-driver: pam_start: %d\n", r);
		return 1;
	}
	if (free_fds >= 0) {
		int fd;
		while (nfill < (int)(sizeof(fill) / sizeof(fill[0])) &&
		    (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
			fill[nfill++] = fd;
		for (int i = 0; i < free_fds && nfill > 0; i++)
			close(fill[--nfill]);
	}
	if (nproc >= 0) {
		struct rlimit rl = { (rlim_t)nproc, (rlim_t)nproc };
		if (setrlimit(RLIMIT_NPROC, &rl) < 0) {
			perror("pam-fault-driver: setrlimit");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (child_ms >= 0 && (child = fork()) == 0) {
		usleep((useconds_t)child_ms * 1000);
		_exit(0);
	}
	alloc_armed = fail_in_open;
	r = pam_open_session(h, 0);
	alloc_armed = 0;
	if (child > 0) {
		pid_t w;

		for (;;) { /* an open faster than the child: wait for its exit */
			siginfo_t si = { 0 };

			if (waitid(P_PID, (id_t)child, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
			    si.si_pid != 0)
				break;
			usleep(10000);
		}
		w = waitpid(child, NULL, WNOHANG);
		printf("child=%s\n", w == child ? "zombie" : w == 0 ? "running" : "gone");
		if (signals)
			printf("sigchld=%d\n", (int)caught_chld);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	mnt_ns(ns_after, sizeof(ns_after));
	if (r == PAM_SUCCESS && wait_file != NULL) {
		printf("opened open_ms=%.1f\n", (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		        (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
		while (access(wait_file, F_OK) != 0)
			usleep(50000);
	}
	if (r == PAM_SUCCESS) {
		alloc_armed = fail_in_close;
		c = pam_close_session(h, 0);
		alloc_armed = 0;
	}
	if (r == PAM_SUCCESS && reopen) {
		char ns_again[64];
		int r2 = pam_open_session(h, 0), c2 = -1;

		mnt_ns(ns_again, sizeof(ns_again));
		if (r2 == PAM_SUCCESS)
			c2 = pam_close_session(h, 0);
		printf("reopen=%d reclose=%d mnt=%s\n", r2, c2,
		    strcmp(ns_before, ns_again) ? "other" : "same");
	}
	pam_end(h, r);
	while (nfill > 0)
		close(fill[--nfill]);
	printf("open=%d close=%d mnt=%s fd_delta=%d\n", r, c,
	    strcmp(ns_before, ns_after) ? "other" : "same", count_fds() - fds_before);
	if (signals)
		printf("signals=%d\n", (int)caught);
	if (fail_in_open || fail_in_close)
		printf("allocs=%ld injected=%d\n", alloc_calls, alloc_injected);
	return 0;
}
