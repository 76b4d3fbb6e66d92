/* The open side of a session: validate the request, load the config,
 * resolve the user's policy, join (or start) the user's tenant, and send
 * the module a verified plan with the namespace fds.  Every decision is
 * audited here; the module only relays failures it sees itself. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "cgroup.h"
#include "cgroup-systemd.h"
#include "decide.h"
#include "fault.h"
#include "fsutil.h"
#include "helper.h"
#include "identity.h"
#include "util.h"

#define REPLY_TIMEOUT_MS 5000
/* Kept back from the module's deadline for our own answer to reach it. */
#define ANSWER_MARGIN_MS 250

const struct tn_conf_opts helper_conf_opts = { .trusted_owner = 0,
	.main_path = TN_CONF_PATH,
	.dropin_dir = TN_CONF_DIR };

struct open_ctx {
	int fd; /* to the module */
	struct tn_msg_open req;
	struct tn_user user;
	struct tn_policy pol;
	bool policy_known;
	struct tn_audit audit;
	bool audit_broken;
	char audit_why[256];
	bool use_cgroup; /* cgroup v2 is usable here (cgroupfs backend) */
	bool use_sd;     /* systemd host: the systemd backend (sd-open.c) */
	bool sd_placed;  /* the login is in a unit of its user's slice */
	bool cg_flat;    /* lxcfs's view: tenant-init in the user cgroup
			  * (cg_leaf >= 0: drop_cgroup clears it) */
	struct sd_session sds;
	int cg_user, cg_leaf;     /* -1 when the session has no cgroup */
	struct timespec deadline; /* the module kills us at its deadline */
};

/* Milliseconds left for a step that must end before our deadline (at
 * least 1: a step that may not wait tries once). */
static int
left_ms(const struct open_ctx *c, int at_most)
{
	long left = ms_left(&c->deadline);

	return left < 1 ? 1 : left > at_most ? at_most : (int)left;
}

static void
audit_decision(struct open_ctx *c, const char *op, const char *reason, bool ok)
{
	struct tn_audit_event ev = {
		.op = op,
		.user = c->user.name ? c->user.name : c->req.user,
		.uid = c->req.uid,
		.cookie = c->req.cookie,
		.service = c->req.service,
		.tty = c->req.tty,
		.rhost = c->req.rhost,
		.reason = reason,
		.success = ok,
	};
	struct tn_err err = { 0 };

	if (audit_event(&c->audit, &ev, &err) < 0)
		syslog(LOG_ERR, "audit: %s", err.msg);
}

static int
reply(struct open_ctx *c, enum tn_status status, unsigned flags, enum tn_reason reason,
    const char *msg, const int *fds, size_t nfds, const struct tn_msg_joined *j)
{
	struct tn_msg_result r;
	struct tn_err err = { 0 };

	result_init(&r, c->req.cookie, status, msg, c->policy_known ? &c->pol : NULL);
	r.flags |= flags;
	r.reason = reason;
	if (j) {
		result_isolated(&r, &c->pol, j->ns_mask, j->ns_ino);
		r.notice = j->notice; /* the keeper's word for the user */
	}
	if (proto_send(c->fd, &r, fds, nfds, &err) < 0) {
		syslog(LOG_ERR, "reply to module: %s", err.msg);
		return HELPER_EXIT_SYSTEM;
	}
	return HELPER_EXIT_OK;
}

/* Tell the module the outcome of a login that is not isolated, and audit
 * it (an exemption is not audited: nothing was decided against anyone). */
static int
answer_not_isolated(struct open_ctx *c, const struct tn_decision *d)
{
	char msg[700];

	switch (d->verdict) {
	case TN_VERDICT_EXEMPT:
		return reply(c, TN_ST_EXEMPT, 0, TN_REASON_NONE, d->why, NULL, 0, NULL);
	case TN_VERDICT_DEGRADE:
		audit_decision(c, "tenant-degrade", d->why, false);
		snprintf(msg, sizeof(msg), "%s; %s: session not isolated", d->why,
		    c->policy_known ? "on_error = allow" : "ignore_config_error");
		return reply(c, TN_ST_DEGRADED, 0, d->reason, msg, NULL, 0, NULL);
	case TN_VERDICT_DENY:
		/* A refusal by policy (tell_user) names a reason the user may read. */
		audit_decision(c, "tenant-deny", d->why, false);
		return reply(c, TN_ST_DENIED, d->tell_user ? TN_RES_TELL_USER : 0,
		    d->reason, d->why, NULL, 0, NULL);
	case TN_VERDICT_ISOLATE:
		break;
	}
	return HELPER_EXIT_SYSTEM;
}

/* A step failed after the verdict was "isolate": on_error decides. */
static int
fail(struct open_ctx *c, const char *why)
{
	struct tn_decision d = { .verdict =
		                     tn_on_failure(c->policy_known ? &c->pol : NULL),
		.reason = TN_REASON_SETUP };

	str_copy(d.why, sizeof(d.why), why);
	return answer_not_isolated(c, &d);
}

static int
send_policy(struct open_ctx *c)
{
	struct tn_msg_result r;

	proto_init(&r, TN_MSG_POLICY);
	memcpy(r.cookie, c->req.cookie, sizeof(r.cookie));
	if (c->pol.on_error == TN_ONERR_ALLOW)
		r.flags |= TN_RES_ON_ERROR_ALLOW;
	return proto_send(c->fd, &r, NULL, 0, NULL);
}

/* A keeper that died without cleaning up leaves its directory behind;
 * remove it before starting afresh.  (Which tenant a process is in is
 * told by the marker over /run/pam_tenant inside the tenant itself, which
 * lives exactly as long as the tenant's mount namespace.) */
static void
remove_stale(const struct tn_state *st, const char *key)
{
	struct stat sb;

	if (fstatat(st->tenants, key, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	state_remove_tenant(st, key, -1);
	syslog(LOG_NOTICE, "removed stale state of tenant %s", key);
}

static int
wait_readable(int fd, int ms)
{
	struct timespec deadline;

	deadline_in(&deadline, ms);
	return wait_readable_by(fd, &deadline);
}

/* Check that each fd is the namespace the keeper says it is. */
static int
verify_ns_fds(const struct tn_msg_joined *j, const int *fds, struct tn_err *err)
{
	size_t n = 0;

	for (int i = 0; i < TN_NS_COUNT; i++) {
		struct stat st;

		if (!(j->ns_mask & (1u << i)))
			continue;
		if (fstat(fds[n], &st) < 0 || st.st_ino != j->ns_ino[i])
			return err_set(err, EBADMSG, "%s namespace fd does not match",
			    tn_ns_kinds[i].proc);
		n++;
	}
	return 0;
}

/* The module is our parent and the session leader: pin it by pidfd and
 * make sure the pid still named our parent after pinning.  Everything
 * later (the keeper's watch, the cgroup move) uses this pidfd, never a
 * fresh getppid(): once the parent is gone, that is PID 1 or a subreaper. */
static int
pin_leader(struct tn_err *err)
{
	_cleanup_close_ int leader = -1;
	pid_t parent = getppid();

	if (parent <= 1)
		return err_set(err, EPERM,
		    "the login program runs inside another PID namespace (parent pid %d)",
		    (int)parent);
	leader = pidfd_open(parent, 0);
	if (leader < 0)
		return err_set(err, errno, "pin session leader: pidfd_open: %m");
	if (getppid() != parent)
		return err_set(err, ESRCH,
		    "pin session leader: the login process is gone");
	return steal_fd(&leader);
}

/* proc.lxcfs.  lxcfs answers with the limits and usage of the cgroup of
 * the reader's PID 1, i.e. tenant-init's.  So a tenant with lxcfs's view
 * has tenant-init in user-<uid> itself (CG_CREATE_FLAT): possible on
 * cgroupfs with scope = user only (with scope = session several tenants
 * share user-<uid>; on a systemd host init has a scope of its own, issue
 * 8).  auto wants it when lxcfs is mounted; yes always, and without that
 * layout binds what lxcfs can show (the tenant's own uptime). */
static bool
lxcfs_wanted(const struct open_ctx *c)
{
	if (c->use_sd || !c->use_cgroup || c->pol.scope != TN_SCOPE_USER ||
	    !(c->pol.namespaces & TN_NS_PID))
		return false;
	return c->pol.proc_lxcfs == TN_LXCFS_YES ||
	    (c->pol.proc_lxcfs == TN_LXCFS_AUTO && lxcfs_mounted());
}

static enum tn_proc_lxcfs
lxcfs_mode(const struct open_ctx *c)
{
	if (c->pol.proc_lxcfs == TN_LXCFS_AUTO && !c->cg_flat)
		return TN_LXCFS_NO;
	return c->pol.proc_lxcfs;
}

/* Quotas could not be set up: 0 to go on without them (audited), or -1. */
static int
quota_failure(struct open_ctx *c, const struct tn_err *err)
{
	if (!tn_quota_failure_tolerated(&c->pol))
		return -1;
	audit_decision(c, "tenant-quota-unavailable", err->msg, false);
	syslog(LOG_WARNING, "%s; session without quotas", err->msg);
	return 0;
}

/* Undo setup_cgroup() after a failure (under the uid lock): our leaf, and
 * the user's cgroup too if no other session has one. */
static void
drop_cgroup(struct open_ctx *c)
{
	char name[64];

	if (c->cg_leaf >= 0) {
		close(c->cg_leaf);
		c->cg_leaf = -1;
		snprintf(name, sizeof(name), "session-%s", c->req.cookie);
		(void)cg_remove(c->cg_user, name);
	}
	if (c->cg_user >= 0) {
		close(c->cg_user);
		c->cg_user = -1;
		cg_remove_empty(c->pol.cgroup_root, c->req.uid, false);
	}
	c->cg_flat = false;
}

/* The user's cgroup with its limits applied and read back, and a leaf
 * for this session.  With cgroup = optional a failure is audited and the
 * session goes on without (returns 0, no leaf); else -1 and why. */
static int
setup_cgroup(struct open_ctx *c, int leader, struct tn_err *err)
{
	if (c->use_sd) {
		/* Never a fallback to cgroupfs: without systemd's help this
		 * session has no quotas, and the policy decides. */
		/* The pinned leader, never a fresh getppid() (PID 1 or a
		 * subreaper once the login program is gone): systemd must not
		 * be asked to move anything else. */
		pid_t login = sd_pidfd_pid(leader);

		if (login <= 1)
			return err_set(err, ESRCH, "the login process is gone");
		if (sd_session_setup(&c->pol, c->req.uid, c->req.cookie, login, &c->sds,
		        err) == 0) {
			c->sd_placed = true;
			/* The unit's own files hold some limits below the
			 * configured ones: in force, and on record. */
			if (c->sds.note[0]) {
				audit_decision(c, "tenant-quota-bounded", c->sds.note,
				    true);
				syslog(LOG_NOTICE, "systemd: %s", c->sds.note);
			}
			return 0;
		}
		err_wrap(err, "systemd");
		return quota_failure(c, err);
	}
	if (!c->use_cgroup)
		return 0;
	c->cg_flat = lxcfs_wanted(c);
	c->cg_user = cg_user_open(c->pol.cgroup_root, c->req.uid,
	    c->cg_flat ? CG_CREATE_FLAT : CG_CREATE, err);
	if (c->cg_user >= 0 && cg_apply_limits(c->cg_user, &c->pol.limits, err) == 0)
		c->cg_leaf = cg_session_create(c->cg_user, c->req.cookie, err);
	if (c->cg_leaf >= 0)
		return 0;
	err_wrap(err, "cgroup %s/user-%u", c->pol.cgroup_root, (unsigned)c->req.uid);
	drop_cgroup(c); /* also when going on without: nothing half-made left */
	return quota_failure(c, err);
}

static void
join_msg(const struct open_ctx *c, struct tn_msg_join *j)
{
	proto_init(j, TN_MSG_JOIN);
	j->uid = c->req.uid;
	j->on_logout = c->pol.on_logout;
	j->flags = (c->cg_leaf >= 0 || c->sd_placed ? TN_JOIN_CGROUP : 0) |
	    (c->req.flags & TN_REQ_SILENT ? TN_JOIN_SILENT : 0);
	j->sessions_max = c->pol.sessions_max;
	memcpy(j->cookie, c->req.cookie, sizeof(j->cookie));
	memcpy(j->user, c->req.user, sizeof(j->user));
	memcpy(j->service, c->req.service, sizeof(j->service));
	memcpy(j->tty, c->req.tty, sizeof(j->tty));
	memcpy(j->rhost, c->req.rhost, sizeof(j->rhost));
}

static void
keeper_spec(const struct open_ctx *c, const char *key, struct tenant_spec *spec)
{
	*spec = (struct tenant_spec){ .uid = c->req.uid,
		.namespaces = c->pol.namespaces,
		.tmp_size = c->pol.tmp_size,
		.tmp_inodes = c->pol.tmp_inodes };
	if (c->cg_leaf >= 0)
		str_copy(spec->cgroup_root, sizeof(spec->cgroup_root),
		    c->pol.cgroup_root);
	spec->proc_lxcfs = lxcfs_mode(c);
	spec->cg_flat = c->cg_flat;
	spec->sd = c->use_sd;
	str_copy(spec->key, sizeof(spec->key), key);
	str_copy(spec->user, sizeof(spec->user), c->user.name);
}

static const char *
slice_cg(const struct open_ctx *c)
{
	return c->sd_placed ? c->sds.slice_cg : "";
}

/* A first login on a systemd host: the keeper starts and systemd runs its
 * scope's job while the login is placed and its limits are checked
 * (docs/architecture.md, decision 31).  The link, or -1. */
static int
first_login_sd(struct open_ctx *c, const char *key, int leader, struct tn_err *err)
{
	struct keeper_start ks;
	struct tenant_spec spec;
	struct tn_msg_join j;
	int link;

	keeper_spec(c, key, &spec);
	if (keeper_fork(&spec, NULL, leader, left_ms(c, INT_MAX), &ks, err) < 0)
		return -1;
	if (setup_cgroup(c, leader, err) < 0) {
		keeper_abandon(&ks);
		return -1;
	}
	join_msg(c, &j);
	link = keeper_finish(&ks, &j, leader, slice_cg(c), err);
	return link < 0 ? -1 : link;
}

/* The session's cgroup set up, and its JOIN answered by the tenant's
 * keeper, started for it if there is none.  The link, or negative. */
static int
join_keeper(struct open_ctx *c, const struct tn_state *st, const char *key, int leader,
    struct tn_err *err)
{
	struct tenant_spec spec;
	struct tn_msg_join j;
	struct stat sb;
	int conn;

	if (c->use_sd && fstatat(st->tenants, key, &sb, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT) /* no keeper, not even a dead one's state */
		return first_login_sd(c, key, leader, err);
	if (setup_cgroup(c, leader, err) < 0)
		return -1;
	join_msg(c, &j);
	conn = state_connect_keeper(key, left_ms(c, REPLY_TIMEOUT_MS), err);
	if (conn == -ENOENT || conn == -ECONNREFUSED) {
		keeper_spec(c, key, &spec);
		remove_stale(st, key);
		/* The new keeper takes the JOIN with it: no connect, and its
		 * answer is ready once it listens. */
		conn = keeper_spawn(&spec, &j, leader, slice_cg(c), left_ms(c, INT_MAX),
		    err);
		return conn < 0 ? -1 : conn;
	}
	if (conn >= 0 && proto_send(conn, &j, &leader, 1, err) < 0) {
		close(conn);
		return -1;
	}
	return conn;
}

static int
join_tenant(struct open_ctx *c, const struct tn_state *st, const char *key, int leader,
    struct tn_msg_joined *out, int *fds, size_t *nfds, int *link, struct tn_err *err)
{
	_cleanup_close_ int conn = join_keeper(c, st, key, leader, err);
	union tn_msg m;
	int r;

	if (conn < 0)
		return conn;
	r = wait_readable(conn, left_ms(c, REPLY_TIMEOUT_MS));
	if (r < 0)
		return err_set(err, -r, "keeper did not answer: %s", strerror(-r));
	r = proto_recv(conn, 1u << TN_MSG_JOINED, &m, fds, nfds, err);
	if (r == -EPROTO) /* started by another build: see isolate() */
		return err_wrap(err, "tenant %s was started by another pam_tenant build",
		    key);
	if (r < 0)
		return r == -EPIPE ? err_set(err, EPIPE, "keeper closed the link") : r;
	/* The keeper refuses only by policy (sessions.max, another uid). */
	if (m.joined.status != TN_ST_ISOLATED)
		return err_set(err, EUSERS, "%s", m.joined.msg);
	if (verify_ns_fds(&m.joined, fds, err) < 0) {
		for (size_t i = 0; i < *nfds; i++)
			close(fds[i]);
		return -1;
	}
	*out = m.joined;
	*link = steal_fd(&conn);
	return 0;
}

static int
isolate(struct open_ctx *c)
{
	struct tn_state st;
	struct tn_err err = { 0 };
	struct tn_msg_joined j;
	char key[TN_KEY_MAX], msg[512];
	_cleanup_close_ int leader = -1;
	int fds[TN_MAX_FDS], link = -1, lock, r;
	size_t nfds = 0;

	if (state_open(&st, true, &err) < 0)
		return fail(c, err.msg);
	tenant_key(key, sizeof(key), c->pol.scope == TN_SCOPE_SESSION, c->req.uid,
	    c->req.cookie);
	lock = state_lock_uid(&st, c->req.uid, false, &err);
	if (lock < 0) {
		state_close(&st);
		return fail(c, err.msg);
	}
	leader = pin_leader(&err);
	r = leader < 0 ? -1
	               : join_tenant(c, &st, key, leader, &j, fds, &nfds, &link, &err);
	/* Last step: the login process enters the session's cgroup (the
	 * helper and keeper stay outside the limits). */
	if (r == 0 && c->cg_leaf >= 0 && cg_attach(c->cg_leaf, leader, &err) < 0) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		close(link);
		r = -1;
	}
	if (r < 0)
		drop_cgroup(c);
	close(lock);
	state_close(&st);
	if (r == -EPROTO) { /* it takes this build's logins once it ends */
		struct tn_decision d = { .verdict = tn_on_failure(&c->pol),
			.reason = TN_REASON_UPGRADE };

		snprintf(d.why, sizeof(d.why),
		    "%s; it ends at its last logout, or with 'tenantctl terminate'",
		    err.msg);
		return answer_not_isolated(c, &d);
	}
	if (r == -EUSERS) { /* the keeper refused: sessions.max */
		struct tn_decision d = { .verdict = TN_VERDICT_DENY,
			.tell_user = true,
			.reason = TN_REASON_SESSIONS };

		str_copy(d.why, sizeof(d.why), err.msg);
		return answer_not_isolated(c, &d);
	}
	if (r < 0)
		return fail(c, err.msg);
	if (c->cg_user >= 0)
		close(c->cg_user);
	if (c->cg_leaf >= 0)
		close(c->cg_leaf);
	fds[nfds++] = link;
	snprintf(msg, sizeof(msg), "isolated in tenant %s", key);
	audit_decision(c, "tenant-isolate", NULL, true);
	FAULT_POINT("helper-before-result");
	r = reply(c, TN_ST_ISOLATED, 0, TN_REASON_NONE, msg, fds, nfds, &j);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	return r;
}

/* What is left of the module's deadline for our answer: its timeout
 * less the answer's margin, counted from when it sent the request (an
 * older module does not say when: then from now). */
static int
helper_budget_ms(const struct tn_msg_open *req)
{
	uint32_t spent = req->sent_ms ? monotonic_ms32() - req->sent_ms : 0;

	if (req->timeout_ms <= ANSWER_MARGIN_MS ||
	    spent >= req->timeout_ms - ANSWER_MARGIN_MS)
		return 1;
	return (int)(req->timeout_ms - ANSWER_MARGIN_MS - spent);
}

static int
read_request(struct open_ctx *c)
{
	union tn_msg m;
	int fds[TN_MAX_FDS];
	size_t nfds;
	struct tn_err err = { 0 };

	if (wait_readable(c->fd, REPLY_TIMEOUT_MS) < 0 ||
	    proto_recv(c->fd, 1u << TN_MSG_OPEN, &m, fds, &nfds, &err) < 0) {
		syslog(LOG_ERR, "bad request from module: %s",
		    err.msg[0] ? err.msg : "timeout");
		if (err.code == EPROTO) /* a module of another build */
			(void)proto_send_version(c->fd);
		return -1;
	}
	c->req = m.open;
	return 0;
}

/* Parse the config and resolve the user's policy.  Returns NULL, or what
 * is wrong (in buf): the config (config error), or the user's groups,
 * needed only for [group] sections (*user_error). */
static const char *
load_policy(struct open_ctx *c, const char **user_error, char *buf, size_t size)
{
	struct tn_conf *conf = NULL;
	struct tn_diag diag = { 0 };
	struct tn_err err = { 0 };

	conf_defaults(&c->pol);
	if (conf_load(&helper_conf_opts, &conf, &diag) < 0) {
		snprintf(buf, size, "%s%s", diag.stored ? diag.msg[0] : "unreadable",
		    diag.count > 1 ? " (and more: run 'tenantctl check')" : "");
		/* root refused a file: most likely a security module */
		if (strstr(buf, strerror(EACCES)) != NULL)
			lsm_hint_text(buf, size);
		return buf;
	}
	if (conf_uses_groups(conf) &&
	    (identity_add_groups(&c->user, &err) < 0 ||
	        confirm_groups(conf, &c->user, &err) < 0)) {
		conf_free(conf);
		str_copy(buf, size, err.msg);
		*user_error = buf;
		return NULL;
	}
	struct tn_identity id = { .uid = c->user.uid,
		.user = c->user.name,
		.groups = (const char *const *)c->user.groups,
		.ngroups = c->user.ngroups,
		.service = c->req.service };
	conf_resolve(conf, &id, &c->pol);
	c->policy_known = true;
	/* origin pointers die with conf: keep only what fail() prints */
	for (int k = 0; k < TN_KEY__COUNT; k++)
		c->pol.origin[k].file = NULL;
	conf_free(conf);
	return NULL;
}

int
confirm_groups(const struct tn_conf *conf, const struct tn_user *u, struct tn_err *err)
{
	unsigned i = 0;
	const char *g;

	while ((g = conf_next_group(conf, &i)) != NULL)
		if (identity_confirm_group(u, g, err) < 0)
			return -1;
	return 0;
}

int
helper_open(int fd)
{
	struct open_ctx c = { .fd = fd, .cg_user = -1, .cg_leaf = -1 };
	struct tn_err err = { 0 };
	struct tn_cgroup_probe cg;
	struct tn_login_facts facts;
	struct tn_decision d;
	char user_why[256], conf_why[600], audit_why[256];
	int r;

	sd_helper_preload();
	if (read_request(&c) < 0) {
		sd_helper_preloaded();
		return HELPER_EXIT_USAGE;
	}
	FAULT_POINT("helper-after-request");
	/* The module's deadline, as it was when it sent the request: counted
	 * from the send, so our own start (slow under load or a sanitizer)
	 * does not eat the margin. */
	deadline_in(&c.deadline, helper_budget_ms(&c.req));
	facts = (struct tn_login_facts){ .uid = c.req.uid,
		.root_optin = c.req.flags & TN_REQ_ROOT_OPTIN,
		.ignore_config_error = c.req.flags & TN_REQ_IGNORE_CONFIG_ERROR };
	if (audit_begin(&c.audit, &err) < 0) {
		str_copy(audit_why, sizeof(audit_why), err.msg);
		facts.audit_error = audit_why;
	}
	if (identity_name_by_uid(c.req.uid, &c.user, &err) < 0) {
		str_copy(user_why, sizeof(user_why), err.msg);
		facts.user_error = user_why;
	} else {
		facts.config_error =
		    load_policy(&c, &facts.user_error, conf_why, sizeof(conf_why));
	}
	if (c.policy_known) {
		facts.pol = &c.pol;
		if (send_policy(&c) < 0) {
			r = HELPER_EXIT_SYSTEM;
			goto out;
		}
	}
	cgroup_probe(&cg);
	c.use_sd = sd_host();
	c.use_cgroup = cg.usable && !c.use_sd;
	if (!c.use_sd && !cg.usable)
		facts.quota_error = cg.why;
	d = tn_decide(&facts);
	sd_helper_preloaded();
	if (d.verdict != TN_VERDICT_ISOLATE) {
		r = answer_not_isolated(&c, &d);
		goto out;
	}
	if (d.quotas_skipped) {
		audit_decision(&c, "tenant-quota-unavailable", d.why, false);
		syslog(LOG_WARNING, "%s; cgroup = optional: session without quotas",
		    d.why);
	}
	if (c.use_sd)
		sd_helper_begin(c.req.timeout_ms);
	r = isolate(&c);
out:
	sd_helper_end();
	audit_end(&c.audit);
	identity_free(&c.user);
	return r;
}
