/* Starting tenant-helper the way a setuid program would want to be
 * started (security catalog R5, R6, #14-#21): a verified binary exec'd by
 * fd, a built environment, integer-free fixed argv, only the socket and
 * /dev/null as fds, default signal state, fully root with root's own
 * process state (procstate.h: the login program may be su run by an
 * ordinary user, whose limits, nice value, umask and directory must not
 * reach root processes), no tty, a hard deadline, and its status read
 * through a pidfd so the host's SIGCHLD handling cannot steal or fake it.
 *
 * The child shares the login program's memory until it execs (CLONE_VM |
 * CLONE_VFORK, as posix_spawn does; posix_spawn itself cannot reset the
 * process state): no page table copy and no copy-on-write faults of a
 * large sshd on every first login.  It runs on a stack of its own with
 * every signal blocked until its handlers are reset, so no handler of the
 * host runs in it, and it writes nothing but that stack. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "module.h"
#include "procstate.h"
#include "util.h"

#ifndef TN_HELPER_PATH
#define TN_HELPER_PATH "/usr/libexec/pam_tenant/tenant-helper"
#endif

void
outcome_close_fds(struct helper_outcome *out)
{
	for (size_t i = 0; i < out->nfds; i++)
		if (out->fds[i] >= 0)
			close(out->fds[i]);
	out->nfds = 0;
}

/* Who may own the helper and the directories to it: root.  The test
 * build alone (TN_TESTING, with helper=PATH) also trusts the euid that
 * runs it, so that tests/module/test-retval.c runs as an ordinary user
 * against helpers it copied; tests/module/test-dlopen.c checks that the
 * release and e2e builds carry no trace of this. */
#ifdef TN_TESTING
#define HELPER_OWNER geteuid()
#define HELPER_OWNER_TEXT "root or (test build) the test's uid"
#else
#define HELPER_OWNER 0
#define HELPER_OWNER_TEXT "root"
#endif

/* O_PATH fd of the helper: regular, root-owned, not writable by others,
 * reached through root-owned directories without following symlinks. */
static int
open_helper(const char *path, char *why, size_t whylen)
{
	struct tn_err err = { 0 };
	uid_t owner = HELPER_OWNER;
	struct stat st;
	int fd;

	if (walk_trusted(path, owner, &fd, &err) < 0) {
		snprintf(why, whylen, "helper %s",
		    err.code == ENOENT ? "not found: " : "");
		snprintf(why + strlen(why), whylen - strlen(why), "%.400s", err.msg);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != owner) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) || !(st.st_mode & S_IXUSR) ||
	    (st.st_mode & (S_ISUID | S_ISGID))) {
		snprintf(why, whylen,
		    "helper %s must be a regular executable owned by " HELPER_OWNER_TEXT
		    ", not writable by group/other, not setuid",
		    path);
		close(fd);
		return -1;
	}
	return fd;
}

/* The test build run by an ordinary user (test-retval): root's process
 * state cannot be had there, and the fake helpers need none of it. */
static bool
unprivileged_test(void)
{
#ifdef TN_TESTING
	return geteuid() != 0;
#else
	return false;
#endif
}

struct child {
	int sock, helper;
};

/* How the child says which step before the exec failed (the helper
 * itself exits 0, 100 or 111; proc_reset's steps are 64 + step). */
#define CHILD_EXIT_FDS 125    /* dup/close_range: its fds 0-4, nothing else */
#define CHILD_EXIT_SETSID 126 /* a session of its own */
#define CHILD_EXIT_EXEC 127   /* execveat of the helper */

static const char *
child_exit_note(int status)
{
	switch (status) {
	case CHILD_EXIT_FDS:
		return " (setting up its fds failed in the module's child: close_range "
		       "needs Linux 5.9, or a seccomp policy refuses it)";
	case CHILD_EXIT_SETSID:
		return " (setsid failed in the module's child)";
	case CHILD_EXIT_EXEC:
		return " (exec failed)";
	default:
		return "";
	}
}

/* In the child, until exec: async-signal-safe calls only, nothing written
 * outside its own stack (it shares the parent's memory). */
static int
exec_helper(void *arg)
{
	const struct child *c = arg;
	int sock = c->sock, helper = c->helper;
	static char arg0[] = "tenant-helper", arg1[] = "open";
	static char path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin", lang[] = "LANG=C";
	static char *const argv[] = { arg0, arg1, NULL };
	static char *const envp[] = { path, lang, NULL };
	sigset_t all;
	struct rlimit nofile;
	unsigned step;
	int null;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	alarm(0);
	/* A user may lower the soft RLIMIT_NOFILE before su: up to the hard
	 * limit, so that the fds below can move (proc_reset sets root's). */
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &nofile);
	}
	/* Move both fds out of the way, then into place: 3 and 4.  Before
	 * proc_reset lowers RLIMIT_NOFILE: with the caller's fds above that
	 * limit still open, its own open() would fail (EMFILE). */
	sock = fcntl(sock, F_DUPFD_CLOEXEC, 10);
	helper = fcntl(helper, F_DUPFD_CLOEXEC, 10);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (sock < 0 || helper < 0 || null < 0 || dup2(null, 0) < 0 ||
	    dup2(null, 1) < 0 || dup2(null, 2) < 0 || dup2(sock, 3) < 0 ||
	    dup3(helper, 4, O_CLOEXEC) < 0 || close_range(5, ~0U, 0) < 0)
		_exit(CHILD_EXIT_FDS);
	if (!unprivileged_test() && proc_reset(&step) < 0)
		_exit(TN_RESET_EXIT_BASE + (int)step);
	if (setsid() < 0)
		_exit(CHILD_EXIT_SETSID);
	execveat(4, "", argv, envp, AT_EMPTY_PATH);
	_exit(CHILD_EXIT_EXEC);
}

/* Put back the login program's SIGCHLD disposition, and undo what the
 * default one did meanwhile to a child of its own that exited: one it
 * ignores (SIG_IGN, SA_NOCLDWAIT) is reaped, as the kernel would have;
 * for one it catches, its handler gets the SIGCHLD it missed. */
static void
sigchld_restore(const struct sigaction *saved)
{
	siginfo_t si;

	sigaction(SIGCHLD, saved, NULL);
	if (saved->sa_handler == SIG_IGN || (saved->sa_flags & SA_NOCLDWAIT)) {
		do
			memset(&si, 0, sizeof(si));
		while (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) == 0 && si.si_pid != 0);
	} else if (saved->sa_handler != SIG_DFL) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid != 0)
			raise(SIGCHLD);
	}
}

/* AddressSanitizer keeps the poison of the child's frames in the shadow
 * it shares with the parent: the sanitizer build forks instead. */
#if defined(__SANITIZE_ADDRESS__)
#define TN_SPAWN_FORK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TN_SPAWN_FORK 1
#endif
#endif

#define CHILD_STACK (64 * 1024)

/* Start exec_helper() in a child; its pidfd in *pidfd.  Returns the pid
 * or -1 with errno set and *call naming the system call that failed. */
static pid_t
spawn_child(struct child *c, int *pidfd, const char **call)
{
#ifdef TN_SPAWN_FORK
	pid_t pid = fork();

	*call = "fork";
	if (pid == 0)
		_exit(exec_helper(c));
	if (pid < 0)
		return -1;
	*call = "pidfd_open";
	*pidfd = pidfd_open(pid, 0);
	if (*pidfd < 0) {
		int e = errno;

		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = e;
		return -1;
	}
	return pid;
#else
	sigset_t all, old;
	void *stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	pid_t pid;
	int e;

	*call = "mmap";
	if (stack == MAP_FAILED)
		return -1;
	*call = "clone";
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* Returns once the child has exec'd or exited. */
	pid = clone(exec_helper, (char *)stack + CHILD_STACK,
	    CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, c, pidfd);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	munmap(stack, CHILD_STACK);
	errno = e;
	return pid;
#endif
}

/* Read POLICY and RESULT until the helper closes its end or exits. */
static void
collect(int sock, int pidfd, const struct timespec *deadline, const char *cookie,
    struct helper_outcome *out)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN } };
		long left = ms_left(deadline);
		union tn_msg m;
		int fds[TN_MAX_FDS];
		size_t nfds = 0;
		struct tn_err err = { 0 };
		int r;

		if (left <= 0)
			return;
		r = poll(p, 2, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		if (!(p[0].revents & (POLLIN | POLLHUP)))
			return; /* helper exited and nothing is left to read */
		r = proto_recv(sock, (1u << TN_MSG_POLICY) | (1u << TN_MSG_RESULT), &m,
		    fds, &nfds, &err);
		if (r == -EPIPE || r == -ECONNRESET)
			return; /* it went away (before reading the request): its status says why */
		if (r < 0 || strcmp(m.result.cookie, cookie) != 0) {
			snprintf(out->why, sizeof(out->why),
			    "bad reply from helper: %.400s",
			    r < 0 ? err.msg : "wrong session cookie");
			for (size_t i = 0; i < nfds; i++)
				close(fds[i]);
			outcome_close_fds(out);
			out->have_result = false;
			return;
		}
		if (m.result.flags & TN_RES_ON_ERROR_ALLOW)
			out->on_error_allow = true;
		if (m.hdr.type == TN_MSG_RESULT) {
			if (out->have_result) { /* a second result is garbage */
				for (size_t i = 0; i < nfds; i++)
					close(fds[i]);
				outcome_close_fds(out);
				out->have_result = false;
				snprintf(out->why, sizeof(out->why),
				    "bad reply from helper: two results");
				return;
			}
			out->res = m.result;
			memcpy(out->fds, fds, nfds * sizeof(int));
			out->nfds = nfds;
			out->have_result = true;
		}
	}
}

int
run_helper(pam_handle_t *pamh, const struct module_args *args,
    const struct tn_msg_open *req, struct helper_outcome *out)
{
	const char *path = args->helper_path ? args->helper_path : TN_HELPER_PATH;
	_cleanup_close_ int helper = -1, sock = -1, pidfd = -1;
	struct sigaction dfl = { .sa_handler = SIG_DFL }, saved;
	struct child child;
	struct timespec deadline;
	struct tn_msg_open stamped;
	struct tn_err err = { 0 };
	siginfo_t info;
	int sp[2];
	pid_t pid;
	const char *call = "clone";

	(void)pamh;
	memset(out, 0, sizeof(*out));
	helper = open_helper(path, out->why, sizeof(out->why));
	if (helper < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		snprintf(out->why, sizeof(out->why), "socketpair: %s", strerror(errno));
		return -1;
	}
	sock = sp[0];
	child = (struct child){ .sock = sp[1], .helper = helper };
	/* The host may ignore or reap SIGCHLD; we need our child's status. */
	sigaction(SIGCHLD, &dfl, &saved);
	pid = spawn_child(&child, &pidfd, &call);
	close(sp[1]);
	if (pid < 0) {
		snprintf(out->why, sizeof(out->why), "start the helper: %s: %s", call,
		    strerror(errno));
		sigchld_restore(&saved);
		return -1;
	}
	deadline_in(&deadline, args->timeout_ms);
	stamped = *req;
	stamped.sent_ms = monotonic_ms32();
	if (proto_send(sock, &stamped, NULL, 0, &err) < 0) {
		/* Gone already (the child returns only after exec or exit):
		 * its status says why. */
		if (err.code != EPIPE && err.code != ECONNRESET)
			snprintf(out->why, sizeof(out->why), "send request: %.400s",
			    err.msg);
	} else {
		collect(sock, pidfd, &deadline, req->cookie, out);
	}

	/* Wait for its exit within what is left of the deadline. */
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	long left = ms_left(&deadline);
	if (poll(&p, 1, left > 0 ? (int)left : 0) <= 0) {
		(void)pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
		snprintf(out->why, sizeof(out->why),
		    "helper did not finish within %d s and was killed",
		    args->timeout_ms / 1000);
		outcome_close_fds(out);
		out->have_result = false;
	}
	memset(&info, 0, sizeof(info));
	while (waitid(P_PIDFD, pidfd, &info, WEXITED) < 0 && errno == EINTR)
		;
	sigchld_restore(&saved);
	if (info.si_code == CLD_EXITED && info.si_status == 0) {
		if (out->have_result)
			return 0;
		if (!out->why[0])
			snprintf(out->why, sizeof(out->why),
			    "helper exited without a result");
		return -1;
	}
	if (out->have_result || !out->why[0]) {
		const char *step = info.si_status >= TN_RESET_EXIT_BASE
		    ? proc_reset_step_name(
		          (unsigned)(info.si_status - TN_RESET_EXIT_BASE))
		    : NULL;

		if (info.si_code == CLD_EXITED && step &&
		    strncmp(step, "RLIMIT_", 7) == 0)
			snprintf(out->why, sizeof(out->why),
			    "cannot give the helper root's resource limits: the caller's hard %s is too low"
			    " and the login program may not raise it (no CAP_SYS_RESOURCE)",
			    step);
		else if (info.si_code == CLD_EXITED && step)
			snprintf(out->why, sizeof(out->why),
			    "cannot give the helper root's process state: %s failed in the module's child"
			    " (is the login program running as root?)",
			    step);
		else if (info.si_code == CLD_EXITED)
			snprintf(out->why, sizeof(out->why),
			    "helper exited with status %d%s", info.si_status,
			    child_exit_note(info.si_status));
		else if (info.si_pid == 0)
			snprintf(out->why, sizeof(out->why), "helper status unknown");
		else
			snprintf(out->why, sizeof(out->why), "helper killed by signal %d",
			    info.si_status);
	}
	outcome_close_fds(out);
	out->have_result = false;
	return -1;
}
