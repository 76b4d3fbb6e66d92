/* What the keeper tells a joining login about its tenant (issue 11): OOM
 * kills and refused forks since the user's previous login, one line
 * through the conversation, to a login that shows it (else the next one
 * is told).  Counts come from the keeper; the words are ours, so nothing
 * a peer sends reaches the user's terminal as text. */
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdio.h>
#include <string.h>

#include "module.h"

static void
phrase(char *buf, size_t len, uint32_t n, const char *one, const char *many)
{
	snprintf(buf, len, "%u %s", (unsigned)n, n == 1 ? one : many);
}

/* sshd sets PAM_TTY to "ssh" until it allocates a terminal, and without
 * one (`ssh host cmd`, scp, sftp) never shows a session's messages; cron
 * shows none either.  Such a login leaves the notice for the next one. */
bool
notice_seen(int flags, const char *tty)
{
	return !(flags & PAM_SILENT) && strcmp(tty, "ssh") != 0 &&
	    strcmp(tty, "cron") != 0;
}

void
tell_notice(pam_handle_t *pamh, bool seen, const struct tn_notice *n)
{
	char oom[80], forks[64];

	if (!seen || (n->oom_kills == 0 && n->forks_refused == 0))
		return;
	phrase(oom, sizeof(oom), n->oom_kills, "process was killed for lack of memory",
	    "processes were killed for lack of memory");
	phrase(forks, sizeof(forks), n->forks_refused, "fork was refused",
	    "forks were refused");
	(void)pam_info(pamh,
	    "pam_tenant: %s%s%s since your last login; see `tenantctl status`.",
	    n->oom_kills ? oom : "", n->oom_kills && n->forks_refused ? " and " : "",
	    n->forks_refused ? forks : "");
}
