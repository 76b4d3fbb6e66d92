/* Return codes of pam_open_session/pam_close_session for every way the
 * helper can fail, with private service files (pam_start_confdir) and the
 * test build of the module, which alone accepts helper=PATH.  Each PAM
 * cycle runs in a fresh child: a process that joined a tenant is spent
 * (DESIGN §3.1).  Runs as root or as an ordinary user: the fake helpers
 * are copied into a directory of the test's own, which the test build of
 * the module (and only it: tests/module/test-dlopen.c) trusts as it
 * trusts root's; tests/run.sh runs it both ways when root. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

/* make check-asan tests its own module (the fake helpers stay ordinary
 * programs: a crash is what some of them are for). */
#ifndef TN_TEST_TEST_SO
#define TN_TEST_TEST_SO "build/test/pam_tenant.so"
#endif
#ifdef TN_TEST_SAN
#include <sanitizer/lsan_interface.h>
#endif

static char confdir[PATH_MAX], builddir[PATH_MAX],
    helperdir[] = "/tmp/tenant-retval-h.XXXXXX";

/* What the login program may have done to its process before PAM runs
 * (fault F20): the module must still see its helper's result and status. */
static enum host_state {
	HOST_PLAIN,
	HOST_SIGCHLD_IGNORED, /* children reaped by the kernel */
	HOST_SIGCHLD_REAPER,  /* a handler that reaps every child */
	HOST_NO_STDIO,        /* fds 0-2 closed */
	HOST_THREAD,          /* a second thread */
	HOST__COUNT
} host_state;

static const char *const host_state_name[] = { "", "SIGCHLD ignored",
	"a SIGCHLD handler reaping every child", "fds 0-2 closed",
	"a second thread running" };

static void
reap_all(int sig)
{
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void *
idle(void *unused)
{
	(void)unused;
	for (;;)
		pause();
	return NULL;
}

static void
set_host_state(void)
{
	struct sigaction sa = { .sa_handler = reap_all };
	pthread_t t;

	switch (host_state) {
	case HOST_SIGCHLD_IGNORED:
		signal(SIGCHLD, SIG_IGN);
		break;
	case HOST_SIGCHLD_REAPER:
		sigaction(SIGCHLD, &sa, NULL);
		break;
	case HOST_NO_STDIO:
		close(0);
		close(1);
		close(2);
		break;
	case HOST_THREAD:
		if (pthread_create(&t, NULL, idle, NULL) != 0)
			_exit(98);
		break;
	case HOST_PLAIN:
	case HOST__COUNT:
		break;
	}
}

static void
remove_helpers(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", helperdir);
	(void)!system(cmd);
}

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)msg;
	(void)data;
	*resp = calloc((size_t)n, sizeof(**resp));
	return *resp ? PAM_SUCCESS : PAM_BUF_ERR;
}

static void
write_service(const char *name, const char *module_args, const char *after)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", confdir, name);
	f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fprintf(f, "session required %s/" TN_TEST_TEST_SO " %s\n%s", builddir,
	    module_args, after ? after : "");
	fclose(f);
}

/* Open then close in a child; returns open's code (close's in *close_rc). */
static int
cycle(const char *service, const char *user, int *close_rc, double *secs)
{
	struct pam_conv c = { conv, NULL };
	struct timespec t0, t1;
	int pipefd[2], codes[2] = { -1, -1 }, status;
	pid_t pid;

	if (pipe(pipefd) < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid == 0) {
		pam_handle_t *pamh = NULL;

		close(pipefd[0]);
		set_host_state();
		if (pam_start_confdir(service, user, &c, confdir, &pamh) != PAM_SUCCESS)
			_exit(99);
		codes[0] = pam_open_session(pamh, 0);
		codes[1] = pam_close_session(pamh, 0);
		pam_end(pamh, codes[0]);
		(void)!write(pipefd[1], codes, sizeof(codes));
#ifdef TN_TEST_SAN
		/* after pam_end the module holds nothing (_exit skips LSan) */
		__lsan_do_leak_check();
#endif
		_exit(0);
	}
	close(pipefd[1]);
	(void)!read(pipefd[0], codes, sizeof(codes));
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (secs)
		*secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (close_rc)
		*close_rc = codes[1];
	return codes[0];
}

static void
expect_helper(const char *fake, int want, const char *what)
{
	char args[PATH_MAX + 128];
	int close_rc;

	snprintf(args, sizeof(args), "helper=%s/fake-helper-%s timeout=2", helperdir,
	    fake);
	write_service("fake", args, NULL);
	IS_INT(cycle("fake", "nobody", &close_rc, NULL), want, what);
	/* libpam itself decides close's code after a failed open; what
	 * matters is that our close ran and returned. */
	OK(close_rc != -1, "close after that returns (no crash, no hang)");
}

int
main(void)
{
	char args[PATH_MAX + 64], tmpl[] = "/tmp/tenant-retval.XXXXXX";
	double secs;
	int close_rc;

	if (geteuid() != 0 && access("/run/pam_tenant", X_OK) < 0 && errno == EACCES) {
		/* The module refuses every login it cannot tell is not inside
		 * a tenant (fail closed): nothing here could pass. */
		tap_skip_all("this uid cannot search /run/pam_tenant (tests/run.sh "
		             "hides it in a mount namespace)");
		return 77;
	}
	if (getcwd(builddir, sizeof(builddir)) == NULL || mkdtemp(tmpl) == NULL ||
	    mkdtemp(helperdir) == NULL)
		return 1;
	atexit(remove_helpers);
	snprintf(confdir, sizeof(confdir), "%s", tmpl);
	/* The helpers as the test's uid owns them: root's when root. */
	snprintf(args, sizeof(args), "cp %s/build/tests/fake-helper-* %s/", builddir,
	    helperdir);
	if (system(args) != 0) {
		printf("Bail out! %s failed\n", args);
		return 1;
	}
	printf("# euid %u, helpers in %s\n", (unsigned)geteuid(), helperdir);

	/* Missing helper: fail closed for users, never for root. */
	write_service("missing", "helper=/nonexistent/tenant-helper",
	    "session required pam_permit.so\n");
	IS_INT(cycle("missing", "nobody", NULL, NULL), PAM_SESSION_ERR,
	    "missing helper denies a user");
	IS_INT(cycle("missing", "root", NULL, NULL), PAM_SUCCESS,
	    "missing helper never locks out root (exempt before the helper runs)");

	expect_helper("crash", PAM_SESSION_ERR, "crashing helper denies");
	expect_helper("exit1", PAM_SESSION_ERR, "helper exiting 1 denies");
	expect_helper("silent", PAM_SESSION_ERR,
	    "helper exiting 0 without a result denies");
	expect_helper("garbage", PAM_SESSION_ERR, "garbage reply denies");
	expect_helper("huge", PAM_SESSION_ERR, "oversized reply denies");
	expect_helper("wrong-cookie", PAM_SESSION_ERR,
	    "reply for another session denies");
	expect_helper("isolated-no-fds", PAM_SESSION_ERR,
	    "'isolated' without namespace fds denies");
	expect_helper("exempt-then-fail", PAM_SESSION_ERR,
	    "a result followed by exit 3 denies");
	expect_helper("allow-then-crash", PAM_SUCCESS,
	    "on_error = allow (sent before the crash) lets the session through");

	/* A hanging helper is killed at the deadline; sshd never hangs. */
	snprintf(args, sizeof(args), "helper=%s/fake-helper-hang timeout=2", helperdir);
	write_service("hang", args, NULL);
	IS_INT(cycle("hang", "nobody", NULL, &secs), PAM_SESSION_ERR,
	    "hanging helper denies");
	OK(secs >= 1.5 && secs < 5.0, "... after the 2 s deadline, not later");
	printf("# hanging helper returned after %.2f s\n", secs);

	/* Exempt users: the module returns PAM_IGNORE, the stack decides. */
	snprintf(args, sizeof(args), "helper=%s/fake-helper-exempt", helperdir);
	write_service("exempt", args, "session required pam_permit.so\n");
	IS_INT(cycle("exempt", "nobody", &close_rc, NULL), PAM_SUCCESS,
	    "exempt user: PAM_IGNORE, stack succeeds");
	write_service("exempt-alone", args, NULL);
	OK(cycle("exempt-alone", "nobody", NULL, NULL) != PAM_SUCCESS,
	    "exempt user alone in a stack: the module did not claim success");

	/* A helper that is not what it should be is never executed. */
	{
		char dir[] = "/tmp/tenant-helpers.XXXXXX", bin[PATH_MAX],
		     cmd[2 * PATH_MAX + 64];
		const struct {
			const char *setup, *what;
		} bad[] = {
			{ "cp %s/fake-helper-exempt %s/h && chmod 0777 %s/h",
			    "world-writable helper is refused" },
			{ "cp %s/fake-helper-exempt %s/real && chmod 755 %s/real && ln -s real %s/h",
			    "helper reached through a symlink is refused" },
			{ "printf '#!/bin/sh\\nexit 0\\n' > %s/h && chmod 0755 %s/h",
			    "a script in the helper's place is refused" },
			{ "cp %s/fake-helper-exempt %s/h && chmod 4755 %s/h",
			    "setuid helper is refused" },
		};
		if (mkdtemp(dir) != NULL) {
			for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
				const char *a = i == 2 ? dir : helperdir;
				snprintf(cmd, sizeof(cmd), "rm -f %s/h %s/real; ", dir,
				    dir);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
				snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
				    bad[i].setup, a, dir, dir, dir);
#pragma GCC diagnostic pop
				if (system(cmd) != 0)
					printf("# setup failed: %s\n", cmd);
				snprintf(bin, sizeof(bin), "helper=%s/h", dir);
				write_service("trust", bin,
				    "session required pam_permit.so\n");
				IS_INT(cycle("trust", "nobody", NULL, NULL),
				    PAM_SESSION_ERR, bad[i].what);
			}
			snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
			(void)!system(cmd);
		}
	}

	/* The login program's own process state does not change the outcome. */
	for (host_state = HOST_SIGCHLD_IGNORED; host_state < HOST__COUNT; host_state++) {
		char what[128];

		snprintf(args, sizeof(args), "helper=%s/fake-helper-exempt", helperdir);
		write_service("exempt", args, "session required pam_permit.so\n");
		snprintf(what, sizeof(what), "%s: an exempt user's session opens",
		    host_state_name[host_state]);
		IS_INT(cycle("exempt", "nobody", NULL, NULL), PAM_SUCCESS, what);
		snprintf(what, sizeof(what), "%s: a helper exiting 1 denies",
		    host_state_name[host_state]);
		expect_helper("exit1", PAM_SESSION_ERR, what);
	}
	host_state = HOST_PLAIN;

	/* Unknown user and close without open. */
	write_service("plain", "helper=/nonexistent", NULL);
	IS_INT(cycle("plain", "no-such-user-tenant-test", NULL, NULL), PAM_USER_UNKNOWN,
	    "unknown user");
	{
		struct pam_conv c = { conv, NULL };
		pam_handle_t *pamh = NULL;
		if (pam_start_confdir("plain", "nobody", &c, confdir, &pamh) ==
		    PAM_SUCCESS) {
			IS_INT(pam_close_session(pamh, 0), PAM_SUCCESS,
			    "close without open is a no-op");
			IS_INT(pam_close_session(pamh, 0), PAM_SUCCESS,
			    "... and so is a second one");
			pam_end(pamh, PAM_SUCCESS);
		}
	}

	static const char *const files[] = { "missing", "fake", "hang", "exempt",
		"exempt-alone", "plain", "trust" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[PATH_MAX + 64];
		snprintf(path, sizeof(path), "%s/%s", confdir, files[i]);
		unlink(path);
	}
	rmdir(confdir);
	return tap_done();
}
