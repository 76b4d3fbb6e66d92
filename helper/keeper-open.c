/* The fast join.  A login of a user whose tenant is already running asks
 * the tenant's keeper directly (OPEN on a fresh connection) instead of
 * starting tenant-helper: an exec costs more than everything else a
 * joining login does.  The keeper serves only the plain case: the current
 * config (parsed again whenever its stamp changes), the user's groups
 * looked up afresh, the one decision (decide.h) saying "isolate" with
 * nothing to note, scope = user, and the limits applied and read back
 * under the uid lock.  Anything else (a config error, an exemption,
 * another scope, a quota failure, a busy lock, sessions.max reached) is
 * answered ASK_HELPER: the helper owns every refusal and its audit record
 * (docs/architecture.md, decisions 13 and 18). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "cgroup-systemd.h"
#include "decide.h"
#include "fault.h"
#include "identity.h"
#include "keeper.h"
#include "util.h"

/* The user's policy for this service under the current config: NULL, or
 * what failed (config, or the user's groups: *user_error). */
static const char *
resolve(struct keeper *k, const struct tn_msg_open *req, struct tn_policy *pol,
    const char **user_error, struct tn_err *err)
{
	struct tn_conf_stamp now;
	struct tn_user u = { 0 };
	bool groups;

	conf_stamp(&helper_conf_opts, &now);
	if (k->conf == NULL || !conf_stamp_same(&k->conf_stamp, &now)) {
		struct tn_diag diag = { 0 };

		conf_free(k->conf);
		k->conf = NULL;
		if (conf_load(&helper_conf_opts, &k->conf, &diag) < 0)
			return "configuration error";
		k->conf_stamp = now;
	}
	/* Without [group] sections the groups cannot matter, and the
	 * name is the one this tenant was made for: no NSS call at all. */
	groups = conf_uses_groups(k->conf);
	if (groups &&
	    (identity_by_uid(req->uid, &u, err) < 0 ||
	        confirm_groups(k->conf, &u, err) < 0)) {
		identity_free(&u);
		*user_error = err->msg;
		return NULL;
	}
	struct tn_identity id = { .uid = k->spec.uid,
		.user = groups ? u.name : k->spec.user,
		.groups = (const char *const *)u.groups,
		.ngroups = u.ngroups,
		.service = req->service };
	conf_resolve(k->conf, &id, pol);
	identity_free(&u);
	return NULL;
}

/* May the keeper serve this login itself, before any side effect?  Only
 * when the one decision (decide.h) says "isolate" with nothing to note,
 * and the login is like the one the tenant was made for. */
static int
served_here(struct keeper *k, const struct tn_msg_open *req, struct tn_policy *pol,
    const struct tn_cgroup_probe *cg, struct tn_err *err)
{
	struct tn_login_facts f = { .uid = req->uid,
		.root_optin = req->flags & TN_REQ_ROOT_OPTIN,
		.ignore_config_error = req->flags & TN_REQ_IGNORE_CONFIG_ERROR,
		.pol = pol,
		.audit_error =
		    k->audit.fd < 0 && !k->audit.disabled ? "audit unavailable" : NULL,
		.quota_error = k->spec.sd || cg->usable ? NULL : cg->why,
		.sessions_open = count_sessions(k) };
	struct tn_decision d;

	f.config_error = resolve(k, req, pol, &f.user_error, err);
	d = tn_decide(&f);
	if (d.verdict != TN_VERDICT_ISOLATE || d.quotas_skipped)
		return err_set(err, EPERM, "%s: %s", tn_verdict_name(d.verdict), d.why);
	if (pol->scope != TN_SCOPE_USER)
		return err_set(err, EPERM, "scope = session: a tenant of its own");
	if (k->spec.sd)
		return k->spec.sd_slice_cg[0]
		    ? 0
		    : err_set(err, EPERM, "the tenant has no user slice to check");
	if (cg->usable && strcmp(pol->cgroup_root, k->spec.cgroup_root) != 0)
		return err_set(err, EPERM, "cgroup setup differs from the tenant's");
	return 0;
}

/* The session's cgroup leaf with the user's limits applied and read back,
 * and the login process moved into it: what the helper does, under the
 * same lock, which we only try (the lock holder may be waiting for us). */
static int
join_cgroup(struct keeper *k, const struct tn_msg_open *req, const struct tn_policy *pol,
    int leader, struct tn_err *err)
{
	_cleanup_close_ int lock = -1, user = -1, leaf = -1;
	char name[64];

	lock = state_lock_uid(&k->st, req->uid, true, err);
	if (lock < 0)
		return -1;
	user = cg_user_open(pol->cgroup_root, req->uid,
	    k->spec.cg_flat ? CG_CREATE_FLAT : CG_CREATE, err);
	if (user < 0 || cg_apply_limits(user, &pol->limits, err) < 0)
		return -1;
	leaf = cg_session_create(user, req->cookie, err);
	if (leaf < 0)
		return -1;
	if (cg_attach(leaf, leader, err) < 0) {
		snprintf(name, sizeof(name), "session-%s", req->cookie);
		(void)cg_remove(user, name);
		return -1;
	}
	return 0;
}

/* systemd backend: read only.  The login must already sit in a unit of
 * its user's slice (logind's session scope) and the slice's cgroup files
 * must read as the helper last put them in force for this very
 * configuration (min(configured, the admin's), sd-expect.c); else the
 * helper does what needs D-Bus. */
static int
sd_join_check(struct keeper *k, const struct tn_policy *pol, int leader,
    struct tn_err *err)
{
	pid_t pid = sd_pidfd_pid(leader);
	struct tn_sd_prop props[TN_SD_MAX_PROPS];
	char cg[512], unit[64], note[1024];
	size_t n = 0, len = strlen(k->spec.sd_slice_cg);
	int r;

	if (pid <= 0 || cg_proc_path(pid, true, cg, sizeof(cg)) < 0 ||
	    strncmp(cg, k->spec.sd_slice_cg, len) != 0 || cg[len] != '/')
		return err_set(err, EPERM,
		    "the login is not in a unit of the user's slice");
	if (sd_props(&pol->limits, props, &n, err) < 0)
		return -1;
	snprintf(unit, sizeof(unit), "user-%u.slice", (unsigned)k->spec.uid);
	r = sd_expect_in_force(unit, k->cg_user, props, n, note, sizeof(note), err);
	if (r == -ENOENT && n == 0)
		return 0; /* no limits, now or before */
	return r == 1 ? 0 : -1;
}

/* pol NULL: not resolved (the answer is ASK_HELPER). */
static void
answer(struct keeper *k, struct conn *c, const struct tn_msg_open *req,
    const struct tn_policy *pol, enum tn_status status, const char *msg)
{
	struct tn_msg_result r;
	int fds[TN_NS_COUNT];
	size_t n = 0;

	result_init(&r, req->cookie, status, msg, pol);
	if (status == TN_ST_ISOLATED) {
		result_isolated(&r, pol, k->ns_mask, k->ns_ino);
		r.notice = kuser_notice(k);
		kuser_notice_given(k, req->flags & TN_REQ_SILENT);
		r.flags |= TN_RES_LINK_IS_SOCKET;
		for (int b = 0; b < TN_NS_COUNT; b++)
			if (k->ns_mask & (1u << b))
				fds[n++] = k->ns_fd[b];
	}
	(void)proto_send(c->fd, &r, fds, n, NULL);
}

void
serve_open(struct keeper *k, struct conn *c, const struct tn_msg_open *req)
{
	struct tn_policy pol;
	struct tn_cgroup_probe cg;
	struct tn_err err = { 0 };
	struct pollfd p = { .fd = c->fd, .events = POLLRDHUP };
	bool with_cgroup;
	char msg[128];
	int leader;

	if (req->uid != k->spec.uid) {
		err_set(&err, EPERM, "tenant belongs to another uid");
		goto ask_helper;
	}
	cgroup_probe(&cg);
	/* Anything but a plain "isolate" goes to the helper, which owns
	 * every refusal and its audit record. */
	if (served_here(k, req, &pol, &cg, &err) < 0)
		goto ask_helper;
	/* The login process is the peer that connected; it waits for our
	 * answer, so its pid cannot have been reused unless the link broke. */
	leader = pidfd_open(c->peer_pid, 0);
	if (leader < 0 || poll(&p, 1, 0) != 0) {
		if (leader >= 0)
			close(leader);
		err_set(&err, ESRCH, "the login process went away");
		goto ask_helper;
	}
	with_cgroup = cg.usable;
	if (k->spec.sd ? sd_join_check(k, &pol, leader, &err) < 0
	               : with_cgroup && join_cgroup(k, req, &pol, leader, &err) < 0) {
		close(leader);
		goto ask_helper;
	}
	keeper_add_session(k, c, leader, req->cookie, req->user, req->service, req->tty,
	    req->rhost, pol.on_logout, with_cgroup);
	keeper_audit(k, "tenant-isolate", c, NULL, NULL, true);
	snprintf(msg, sizeof(msg), "isolated in tenant %s (joined by its keeper)",
	    k->spec.key);
	FAULT_POINT("keeper-open-before-answer");
	answer(k, c, req, &pol, TN_ST_ISOLATED, msg);
	return;

ask_helper:
	klog(LOG_DEBUG, "%s: session %s goes through the helper: %s", k->spec.key,
	    req->cookie, err.msg);
	answer(k, c, req, NULL, TN_ST_ASK_HELPER, err.msg);
	drop_conn(c);
}
