/* The PAM stack reader behind `tenantctl check --pam` against the
 * fixture tree tests/fixtures/pam.d: includes, substacks, bracketed
 * controls, "-session", comments, continuations, a self-include.  Run
 * from the top of the source tree (or set TN_SRCDIR). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pamstack.h"
#include "tap.h"

static struct pam_stack st;

static int
load(int dir, const char *service)
{
	struct tn_err err = { 0 };

	return pamstack_session(dir, service, &st, &err);
}

static const struct pam_session_line *
line_of(const char *module)
{
	int i = pamstack_find(&st, module);

	return i < 0 ? NULL : &st.lines[i];
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
	close(dir);
	return tap_done();
}
