/* pam_tenant.so internals.  Everything here runs inside the login
 * program (sshd, su, login, cron): no exit, no printing, no global state,
 * every fd O_CLOEXEC, and nothing the module opened survives into the
 * user's session (style rules R1, R11; security catalog R6, R15). */
#ifndef TENANT_MODULE_H
#define TENANT_MODULE_H

#include <security/pam_modules.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"
#include "proto.h"

#define TN_DATA_NAME "pam_tenant:session"

struct module_args {
	bool debug;
	bool root_optin;          /* "root": isolate uid 0 too */
	bool ignore_config_error; /* a broken config lets logins through, audited */
	int timeout_ms;           /* "timeout=SECONDS": helper deadline */
	const char *helper_path;  /* TN_TESTING builds only: "helper=PATH" */
};

/* What the helper said, and how it ended. */
struct helper_outcome {
	bool on_error_allow; /* from POLICY or RESULT */
	bool have_result;
	struct tn_msg_result res;
	int fds[TN_MAX_FDS];
	size_t nfds;
	char why[512];     /* when !have_result: what went wrong */
	struct tn_err err; /* ask_keeper: why the keeper did not serve */
};

int run_helper(pam_handle_t *pamh, const struct module_args *args,
    const struct tn_msg_open *req, struct helper_outcome *out);
void outcome_close_fds(struct helper_outcome *out);

/* The fast join: ASK_JOINED when the user's running keeper isolated this
 * session (out as from the helper); otherwise the helper must run, and
 * out->err may say why.  ASK_ABANDONED: the request went out but no
 * usable answer came back in time, so the keeper may have started a
 * session with this cookie (it ends when it finds our end closed): the
 * helper must get a fresh cookie. */
enum ask_result {
	ASK_JOINED,
	ASK_NOT_SENT,  /* no keeper, or it could not be reached in time */
	ASK_DECLINED,  /* the keeper answered ASK_HELPER: nothing happened */
	ASK_ABANDONED, /* sent, no usable answer: the cookie may be in use */
};
enum ask_result ask_keeper(const struct tn_msg_open *req, int timeout_ms,
    struct helper_outcome *out);

/* The session as kept in PAM data between open and close. */
struct tn_session {
	pid_t opener;
	int link; /* to the keeper: CLOSE goes here, its closing ends the session */
	int host_ns[TN_NS_COUNT];
	unsigned joined;
	char cookie[TN_COOKIE_HEX + 1];
};

/* notice.c: one pam_info line about OOM kills and refused forks since the
 * user's last login, when there were some and the user sees it: not with
 * PAM_SILENT or from a login program that drops session messages (the
 * notice then waits for the next login). */
bool notice_seen(int flags, const char *tty);
void tell_notice(pam_handle_t *pamh, bool seen, const struct tn_notice *n);

/* Enter the tenant in this process: namespaces, bounding set, NNP. */
int join_tenant(const struct tn_msg_result *res, int *fds, size_t nfds,
    struct tn_session *s, char *why, size_t whylen);
/* Put this process back into the namespaces it came from. */
void leave_tenant(struct tn_session *s);
void session_close_fds(struct tn_session *s);

#endif
