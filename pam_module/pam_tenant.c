/* pam_tenant.so: the two session hooks.  The module reads PAM items,
 * runs tenant-helper, joins what the helper prepared, and keeps a link to
 * the tenant's keeper until close.  It never parses the config. */
#include <errno.h>
#include <pwd.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "audit.h"
#include "module.h"
#include "state.h"
#include "util.h"

#define DEFAULT_TIMEOUT_MS 10000
#define MIN_HELPER_TIMEOUT_MS 1000

static void
parse_args(pam_handle_t *pamh, int argc, const char **argv, struct module_args *a)
{
	memset(a, 0, sizeof(*a));
	a->timeout_ms = DEFAULT_TIMEOUT_MS;
	for (int i = 0; i < argc; i++) {
		const char *v;

		if (strcmp(argv[i], "debug") == 0) {
			a->debug = true;
		} else if (strcmp(argv[i], "root") == 0) {
			a->root_optin = true;
		} else if (strcmp(argv[i], "ignore_config_error") == 0) {
			a->ignore_config_error = true;
		} else if (strncmp(argv[i], "timeout=", 8) == 0) {
			char *end;
			long s;

			v = argv[i] + 8;
			errno = 0;
			s = strtol(v, &end, 10);
			if (errno || end == v || *end || s < 1 || s > 120)
				pam_syslog(pamh, LOG_ERR,
				    "bad timeout '%s' (1-120 s); using %d s", v,
				    DEFAULT_TIMEOUT_MS / 1000);
			else
				a->timeout_ms = (int)s * 1000;
#ifdef TN_TESTING
		} else if (strncmp(argv[i], "helper=", 7) == 0) {
			a->helper_path = argv[i] + 7;
#endif
		} else {
			pam_syslog(pamh, LOG_ERR, "unknown module argument '%s' ignored",
			    argv[i]);
		}
	}
}

/* What a refused user is told: the class of the reason, never the
 * details (file names, internals), which only syslog and audit get. */
static const char *
reason_for_user(uint32_t reason)
{
	switch ((enum tn_reason)reason) {
	case TN_REASON_ACCOUNT:
		return "your account could not be looked up";
	case TN_REASON_CONFIG:
		return "the session isolation policy has an error";
	case TN_REASON_AUDIT:
		return "the audit system is unavailable";
	case TN_REASON_SESSIONS:
		return "you have too many sessions open";
	case TN_REASON_QUOTAS:
		return "resource limits cannot be applied on this host";
	case TN_REASON_UPGRADE:
		return "your running sessions use an older version of the session "
		       "isolation; log in again once they have ended";
	case TN_REASON_SETUP:
	case TN_REASON_NONE:
		break;
	}
	return "your session could not be isolated";
}

static void
tell_refused(pam_handle_t *pamh, uint32_t reason)
{
	pam_error(pamh, "pam_tenant: login refused: %s (the system log has the details)",
	    reason_for_user(reason));
}

/* Names go to syslog; keep them on one printable line (dst may be src). */
static void
printable(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < size; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

static const char *
item(pam_handle_t *pamh, int type)
{
	const void *v = NULL;

	return pam_get_item(pamh, type, &v) == PAM_SUCCESS && v ? v : "";
}

/* Record a decision the module made itself (the helper could not). */
static void
module_audit(pam_handle_t *pamh, const struct tn_msg_open *req, const char *op,
    const char *why, bool ok)
{
	struct tn_audit a;
	struct tn_err err = { 0 };
	struct tn_audit_event ev = { .op = op,
		.user = req->user,
		.uid = req->uid,
		.cookie = req->cookie,
		.service = req->service,
		.tty = req->tty,
		.rhost = req->rhost,
		.reason = why,
		.success = ok };

	if (audit_begin(&a, &err) < 0 || audit_event(&a, &ev, &err) < 0)
		pam_syslog(pamh, LOG_ERR, "audit: %s", err.msg);
	audit_end(&a);
}

static void
cleanup_session(pam_handle_t *pamh, void *data, int error_status)
{
	struct tn_session *s = data;

	(void)pamh;
	(void)error_status;
	session_close_fds(s);
	free(s);
}

/* su from inside a tenant: the same user stays where they are; anyone
 * else is refused, so a tenant never spans two users (DESIGN §7).  Inside
 * a tenant, /run/pam_tenant is the tenant's read-only marker mount, which
 * nobody in it can remove; anything that is neither that nor the host's
 * state directory is refused, root included. */
static int
check_nested(pam_handle_t *pamh, const struct tn_msg_open *req, const char *name)
{
	struct tn_err err = { 0 };
	char why[600];
	uid_t owner;
	int r = state_tenant_marker(&owner, &err);

	if (r == 0)
		return PAM_SUCCESS;
	if (r < 0) {
		snprintf(why, sizeof(why),
		    "cannot tell whether the caller is inside a tenant: %s", err.msg);
		pam_syslog(pamh, LOG_ERR, "denied session for %s: %s", name, why);
		module_audit(pamh, req, "tenant-deny", why, false);
		tell_refused(pamh, TN_REASON_SETUP);
		return PAM_SESSION_ERR;
	}
	if (owner == req->uid) {
		pam_syslog(pamh, LOG_INFO, "%s (uid %u) is already inside their tenant",
		    name, (unsigned)req->uid);
		return PAM_IGNORE;
	}
	snprintf(why, sizeof(why),
	    "login as uid %u from inside the tenant of uid %u: a tenant never spans two users",
	    (unsigned)req->uid, (unsigned)owner);
	pam_syslog(pamh, LOG_ERR, "denied session for %s: %s", name, why);
	module_audit(pamh, req, "tenant-deny", why, false);
	pam_error(pamh,
	    "pam_tenant: you cannot open a session for another user from inside your own");
	return PAM_PERM_DENIED;
}

/* The helper gave no usable answer: on_error decides, if it was known. */
static int
helper_failed(pam_handle_t *pamh, const struct tn_msg_open *req, const char *name,
    const struct helper_outcome *o)
{
	if (o->on_error_allow) {
		pam_syslog(pamh, LOG_WARNING,
		    "session of %s (uid %u) NOT isolated: %s; on_error = allow", name,
		    (unsigned)req->uid, o->why);
		module_audit(pamh, req, "tenant-degrade", o->why, false);
		return PAM_SUCCESS;
	}
	pam_syslog(pamh, LOG_ERR, "denied session for %s (uid %u): %s", name,
	    (unsigned)req->uid, o->why);
	module_audit(pamh, req, "tenant-deny", o->why, false);
	tell_refused(pamh, TN_REASON_SETUP);
	return PAM_SESSION_ERR;
}

/* A failure after the helper said "isolated": its audit record stands, so
 * ours says the login was refused after all. */
static int
refuse_joined(pam_handle_t *pamh, const struct tn_msg_open *req, const char *name,
    const char *why)
{
	pam_syslog(pamh, LOG_ERR, "denied session for %s (uid %u): %s", name,
	    (unsigned)req->uid, why);
	module_audit(pamh, req, "tenant-deny", why, false);
	tell_refused(pamh, TN_REASON_SETUP);
	return PAM_SESSION_ERR;
}

/* setns(mnt) moves us to the root of the tenant's mount namespace: from a
 * chroot that would be an escape.  mountinfo shows paths relative to our
 * root and hides mounts outside it, so in a chroot into a directory no
 * mount sits at "/" with its whole file system ("root" field "/"). */
static bool
chrooted(void)
{
	char line[4096], root[2048], point[2048];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (f == NULL)
		return true; /* cannot tell: assume the worst */
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*d %*d %*s %2047s %2047s", root, point) == 2 &&
		    strcmp(point, "/") == 0 && strcmp(root, "/") == 0;
	fclose(f);
	return !found;
}

static int
enter(pam_handle_t *pamh, const struct tn_msg_open *req, const char *name,
    struct helper_outcome *o)
{
	struct tn_session *s;
	char env[sizeof("TENANT_SESSION=") + TN_COOKIE_HEX];
	char why[256] = "";

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		outcome_close_fds(o);
		snprintf(o->why, sizeof(o->why), "out of memory");
		return helper_failed(pamh, req, name, o);
	}
	s->opener = getpid();
	s->link = -1;
	for (int i = 0; i < TN_NS_COUNT; i++)
		s->host_ns[i] = -1;
	memcpy(s->cookie, req->cookie, sizeof(s->cookie));
	if (join_tenant(&o->res, o->fds, o->nfds, s, why, sizeof(why)) < 0) {
		/* Namespaces are undone; a half-dropped bounding set is not,
		 * so this process stays refused even with on_error = allow. */
		leave_tenant(s);
		session_close_fds(s);
		free(s);
		outcome_close_fds(o);
		return refuse_joined(pamh, req, name, why);
	}
	outcome_close_fds(o);
	snprintf(env, sizeof(env), "TENANT_SESSION=%s", req->cookie);
	if (pam_putenv(pamh, env) != PAM_SUCCESS ||
	    pam_set_data(pamh, TN_DATA_NAME, s, cleanup_session) != PAM_SUCCESS) {
		leave_tenant(s);
		session_close_fds(s); /* the keeper sees the link close: session over */
		free(s);
		return refuse_joined(pamh, req, name,
		    "cannot record the session in PAM data");
	}
	pam_syslog(pamh, LOG_INFO, "session of %s (uid %u) %s, TENANT_SESSION=%s", name,
	    (unsigned)req->uid, o->res.msg, req->cookie);
	return PAM_SUCCESS;
}

PAM_EXTERN int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct module_args args;
	struct tn_msg_open req;
	struct helper_outcome o;
	const struct passwd *pw;
	const char *user = NULL;
	struct timespec deadline;
	char name[64];
	int r;

	const void *done = NULL;

	parse_args(pamh, argc, argv, &args);
	/* A session of ours still open in this process: the line is there
	 * twice.  One closed on this handle before is no reason to skip. */
	if (pam_get_data(pamh, TN_DATA_NAME, &done) == PAM_SUCCESS && done &&
	    ((const struct tn_session *)done)->opener == getpid() &&
	    ((const struct tn_session *)done)->link >= 0) {
		pam_syslog(pamh, LOG_WARNING,
		    "pam_tenant is listed twice in this stack; the second line does nothing");
		return PAM_IGNORE;
	}
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL || !*user)
		return PAM_USER_UNKNOWN;
	printable(name, sizeof(name), user);
	pw = pam_modutil_getpwnam(pamh, user);
	if (pw == NULL) {
		pam_syslog(pamh, LOG_ERR, "unknown user %s", name);
		return PAM_USER_UNKNOWN;
	}
	proto_init(&req, TN_MSG_OPEN);
	req.uid = pw->pw_uid;
	if (str_copy(req.user, sizeof(req.user), user) < 0) {
		pam_syslog(pamh, LOG_ERR, "user name too long");
		return PAM_USER_UNKNOWN;
	}
	str_copy(req.service, sizeof(req.service), item(pamh, PAM_SERVICE));
	str_copy(req.tty, sizeof(req.tty), item(pamh, PAM_TTY));
	str_copy(req.rhost, sizeof(req.rhost), item(pamh, PAM_RHOST));
	if (cookie_new(req.cookie) < 0) {
		pam_syslog(pamh, LOG_ERR, "no randomness for the session cookie");
		return PAM_SESSION_ERR;
	}
	r = check_nested(pamh, &req, name);
	if (r != PAM_SUCCESS)
		return r;
	if (pw->pw_uid == 0 && !args.root_optin) {
		if (args.debug)
			pam_syslog(pamh, LOG_DEBUG, "root is not isolated");
		return PAM_IGNORE;
	}
	if (chrooted()) {
		const char *why =
		    "the login program runs in a chroot; joining a tenant would leave it";

		pam_syslog(pamh, LOG_ERR, "denied session for %s (uid %u): %s", name,
		    (unsigned)req.uid, why);
		module_audit(pamh, &req, "tenant-deny", why, false);
		return PAM_SESSION_ERR;
	}
	req.flags = (args.root_optin ? TN_REQ_ROOT_OPTIN : 0) |
	    (args.ignore_config_error ? TN_REQ_IGNORE_CONFIG_ERROR : 0) |
	    (args.debug ? TN_REQ_DEBUG : 0) |
	    (notice_seen(flags, req.tty) ? 0 : TN_REQ_SILENT);

	/* A live tenant's keeper can take the session without the helper,
	 * which gets what is left of the deadline if it must run after all. */
	deadline_in(&deadline, args.timeout_ms);
	req.timeout_ms = (uint32_t)args.timeout_ms / 2;
	r = ask_keeper(&req, args.timeout_ms / 2, &o);
	if (r != ASK_JOINED) {
		long left = ms_left(&deadline);

		if (r == ASK_ABANDONED) {
			/* The keeper may have made a session (and a cgroup leaf)
			 * of this cookie; it ends that one when it sees our end
			 * closed ("hangup").  The helper's session is another. */
			pam_syslog(pamh, LOG_WARNING,
			    "session of %s (uid %u): no usable answer from the keeper (%s); "
			    "session %s abandoned, asking tenant-helper under a new cookie",
			    name, (unsigned)req.uid, o.err.msg, req.cookie);
			if (cookie_new(req.cookie) < 0) {
				pam_syslog(pamh, LOG_ERR,
				    "no randomness for the session cookie");
				return PAM_SESSION_ERR;
			}
		} else if (r == ASK_NOT_SENT && o.err.code == EAGAIN) {
			pam_syslog(pamh, LOG_WARNING, "session of %s (uid %u): %s", name,
			    (unsigned)req.uid, o.err.msg);
		}
		args.timeout_ms =
		    left > MIN_HELPER_TIMEOUT_MS ? (int)left : MIN_HELPER_TIMEOUT_MS;
		req.timeout_ms = (uint32_t)args.timeout_ms;
		r = run_helper(pamh, &args, &req, &o);
		/* Its words carry names from NSS and bytes of the config. */
		printable(o.why, sizeof(o.why), o.why);
		if (r < 0)
			return helper_failed(pamh, &req, name, &o);
	}
	printable(o.res.msg, sizeof(o.res.msg), o.res.msg);
	switch ((enum tn_status)o.res.status) {
	case TN_ST_ISOLATED: {
		struct tn_notice notice = o.res.notice;

		r = enter(pamh, &req, name, &o);
		if (r == PAM_SUCCESS)
			tell_notice(pamh, !(req.flags & TN_REQ_SILENT), &notice);
		return r;
	}
	case TN_ST_EXEMPT:
		if (args.debug)
			pam_syslog(pamh, LOG_DEBUG, "%s not isolated: %s", name,
			    o.res.msg);
		return PAM_IGNORE;
	case TN_ST_DEGRADED:
		pam_syslog(pamh, LOG_WARNING, "session of %s (uid %u) NOT isolated: %s",
		    name, (unsigned)req.uid, o.res.msg);
		return PAM_SUCCESS;
	case TN_ST_DENIED:
	case TN_ST_ASK_HELPER: /* the keeper's word, never the helper's */
	default:
		pam_syslog(pamh, LOG_ERR, "denied session for %s (uid %u): %s", name,
		    (unsigned)req.uid, o.res.msg);
		if (o.res.status == TN_ST_DENIED && (o.res.flags & TN_RES_TELL_USER))
			pam_error(pamh, "pam_tenant: login refused: %s", o.res.msg);
		else
			tell_refused(pamh,
			    o.res.status == TN_ST_DENIED ? o.res.reason : 0);
		return PAM_SESSION_ERR;
	}
}

PAM_EXTERN int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *data = NULL;
	struct tn_session *s;
	struct tn_msg_ctl m;

	(void)flags;
	(void)argc;
	(void)argv;
	if (pam_get_data(pamh, TN_DATA_NAME, &data) != PAM_SUCCESS || data == NULL)
		return PAM_SUCCESS; /* nothing opened here: idempotent no-op */
	s = (struct tn_session *)(uintptr_t)data; /* ours: we stored it */
	if (s->opener != getpid() || s->link < 0)
		return PAM_SUCCESS; /* a forked copy, or already closed */
	/* Tell the keeper and go: never wait for the tenant here (DESIGN §3.1). */
	proto_init(&m, TN_MSG_CLOSE);
	memcpy(m.cookie, s->cookie, sizeof(m.cookie));
	(void)send(s->link, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL);
	leave_tenant(s);
	session_close_fds(s);
	return PAM_SUCCESS;
}
