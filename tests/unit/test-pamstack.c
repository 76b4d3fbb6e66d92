/* The PAM stack reader behind `tenantctl check --pam` against the
 * fixture tree tests/fixtures/pam.d: includes, substacks, bracketed
 * controls, "-session", comments, continuations, a self-include; and
 * which earlier line can make Linux-PAM skip pam_tenant, against
 * tests/fixtures/pam-skip.d.  Run from the top of the source tree (or
 * set TN_SRCDIR). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pamstack.h"
#include "tap.h"

static struct pam_stack st;

static int
load_from(int dir, int dist, const char *service)
{
	struct pam_dirs dirs = { dir, dist, "DIST" };
	struct tn_err err = { 0 };

	return pamstack_session(&dirs, service, &st, &err);
}

static int
load(int dir, const char *service)
{
	return load_from(dir, -1, service);
}

static const struct pam_session_line *
line_of(const char *module)
{
	int i = pamstack_find(&st, module);

	return i < 0 ? NULL : &st.lines[i];
}

/* The line that can skip pam_tenant in service, as "file:line how", or
 * "none". */
static const char *
skipper(int dir, const char *service)
{
	static char buf[128];
	const char *how = "";
	int t, i;

	if (load(dir, service) < 0 || (t = pamstack_find(&st, "pam_tenant.so")) < 0)
		return "no pam_tenant";
	i = pamstack_skipper(&st, t, &how);
	if (i < 0)
		return "none";
	snprintf(buf, sizeof(buf), "%s:%u %s", st.lines[i].file, st.lines[i].line, how);
	return buf;
}

/* The distribution's directory (/usr/lib/pam.d) behind the admin's. */
static void
check_dist(const char *src, int dir)
{
	const struct pam_session_line *t;
	char path[1024];
	int dist;

	snprintf(path, sizeof(path), "%s/tests/fixtures/pam-dist.d", src ? src : ".");
	dist = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	OK(dist >= 0, "tests/fixtures/pam-dist.d opened");
	if (dist < 0)
		return;
	IS_INT(load_from(dir, dist, "vendor-login"), 0,
	    "a service only in the distribution's directory is found");
	t = line_of("pam_tenant.so");
	OK(t && strcmp(t->file, "DIST/vendor-login") == 0 && t->line == 2,
	    "... its lines named by that directory");
	t = line_of("pam_systemd.so");
	OK(t && strcmp(t->file, "common-session") == 0,
	    "... its include found in the admin's directory first");
	IS_INT(load_from(dir, dist, "sshd"), 0, "sshd: read");
	t = line_of("pam_tenant.so");
	OK(t && strcmp(t->file, "sshd") == 0,
	    "... the admin's file hides the distribution's of the same name");
	OK(load(dir, "vendor-login") < 0, "without it, that service is not found");
	close(dist);
}

static void
check_skips(const char *src)
{
	char path[1024];
	int dir;

	snprintf(path, sizeof(path), "%s/tests/fixtures/pam-skip.d", src ? src : ".");
	dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	OK(dir >= 0, "tests/fixtures/pam-skip.d opened");
	if (dir < 0)
		return;
	IS_STR(skipper(dir, "sshd"), "none",
	    "Debian's common-session: [default=1] jumps over pam_deny, not pam_tenant");
	IS_STR(skipper(dir, "jump"), "jump:2 jump", "a [success=1] jump over pam_tenant");
	IS_STR(skipper(dir, "sufficient"), "sufficient:1 done",
	    "'sufficient' before pam_tenant can end the stack");
	IS_STR(skipper(dir, "done-in-substack"), "none",
	    "done and jumps inside a substack stay in it");
	IS_STR(skipper(dir, "over-substack"), "over-substack:2 jump",
	    "a substack counts as one module: [default=2] reaches pam_tenant");
	IS_STR(skipper(dir, "short-jump"), "none",
	    "... [default=1] jumps over the substack only");
	IS_STR(skipper(dir, "in-substack"), "in-substack:2 done",
	    "pam_tenant in a substack: 'sufficient' around it ends both");
	OK(st.nframes == 2 && st.lines[1].frame == 1 && st.parent[1] == 0,
	    "... the substack is frame 1, inside frame 0");
	close(dir);
}

int
main(void)
{
	const char *src = getenv("TN_SRCDIR");
	const struct pam_session_line *t;
	char path[1024];
	int dir;

	snprintf(path, sizeof(path), "%s/tests/fixtures/pam.d", src ? src : ".");
	dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		tap_skip_all("tests/fixtures/pam.d not found (run from the source tree)");

	IS_INT(load(dir, "sshd"), 0, "sshd: read");
	IS_INT((int)st.n, 7, "sshd: loginuid, the 5 lines of common-session, pam_tenant");
	t = line_of("pam_tenant.so");
	OK(t && strcmp(t->file, "sshd") == 0 && t->line == 5,
	    "sshd: pam_tenant at sshd:5");
	OK(t && strcmp(t->control, "required") == 0 && !t->dash, "... required, no dash");
	OK(pamstack_find(&st, "pam_systemd.so") < pamstack_find(&st, "pam_tenant.so"),
	    "... after pam_systemd (from @include common-session)");
	t = line_of("pam_systemd.so");
	OK(t && strcmp(t->file, "common-session") == 0 && t->line == 6,
	    "... pam_systemd found at common-session:6");
	OK(st.missing[0] == '\0', "... every include read");

	IS_INT(load(dir, "login"), 0, "login: read");
	t = line_of("pam_tenant.so");
	OK(t != NULL, "login: pam_tenant through 'session include', given by full path");
	OK(t && strcmp(t->control, "[success=ok default=ignore]") == 0,
	    "... its bracketed control as one token");
	OK(t && strcmp(t->file, "common-tenant") == 0 && t->line == 2,
	    "... at common-tenant:2");

	IS_INT(load(dir, "su"), 0, "su: read");
	OK(pamstack_find(&st, "pam_tenant.so") >= 0 &&
	        pamstack_find(&st, "pam_tenant.so") <
	            pamstack_find(&st, "pam_systemd.so"),
	    "su: pam_tenant before pam_systemd, in stack order");

	IS_INT(load(dir, "su-l"), 0, "su-l: read");
	t = line_of("pam_tenant.so");
	OK(t && strcmp(t->file, "su") == 0,
	    "su-l: pam_tenant through 'session include su'");
	OK(pamstack_find(&st, "pam_keyinit.so") == 0, "... after su-l's own line");

	IS_INT(load(dir, "cron"), 0, "cron: read");
	OK(line_of("pam_tenant.so") == NULL,
	    "cron: a commented pam_tenant line does not count");
	OK(line_of("pam_unix.so") != NULL, "... the included fragment's lines do");
	OK(line_of("pam_env.so") != NULL, "... as do its own");
	for (size_t i = 0; i < st.n; i++)
		if (strcmp(st.lines[i].module, "pam_unix.so") == 0)
			OK(strcmp(st.lines[i].file, "common-session-noninteractive") == 0,
			    "... pam_unix's session line from the noninteractive fragment");

	IS_INT(load(dir, "xrdp-sesman"), 0, "xrdp-sesman: read");
	t = line_of("pam_tenant.so");
	OK(t && t->dash && t->line == 4,
	    "xrdp-sesman: the '-session' line, not the commented one");
	OK(t && strcmp(t->control, "required") == 0, "... with its control");

	IS_INT(load(dir, "sudo-i"), 0, "sudo-i: read");
	t = line_of("pam_tenant.so");
	OK(t && t->line == 4,
	    "sudo-i: a line continued with '\\' is one line, numbered by its start");
	OK(line_of("pam_namespace.so") != NULL, "... pam_namespace seen");

	IS_INT(load(dir, "loop"), 0, "loop: a service that includes itself");
	OK(st.n == PAMSTACK_MAX_DEPTH, "... read to the depth bound, no further");
	OK(st.too_deep[0] != '\0', "... and says so");

	IS_INT(load(dir, "passwd"), 0, "passwd: read");
	IS_INT((int)st.n, 0, "passwd: no session lines");

	OK(load(dir, "no-such-service") < 0, "a missing service file is an error");
	OK(load(dir, "..") < 0, "'..' is no service");
	check_dist(src, dir);
	close(dir);
	check_skips(src);
	return tap_done();
}
