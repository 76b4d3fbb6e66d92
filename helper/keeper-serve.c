/* The keeper's requests: a helper's JOIN, tenantctl's STATUS and
 * TERMINATE, a session's CLOSE, and new connections (the fast join's OPEN
 * is in keeper-open.c).  A handler never removes a connection from the
 * table: it marks it ended, and keeper_loop closes ranks after its pass. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "decide.h"
#include "fault.h"
#include "keeper.h"
#include "util.h"

#define LISTEN_PAUSE_MS 100 /* after running out of fds */

static void
serve_join(struct keeper *k, struct conn *c, const struct tn_msg_join *j, int leader)
{
	struct tn_msg_joined out;
	int fds[TN_NS_COUNT];
	size_t n = 0, open_now = count_sessions(k);
	struct tn_err err = { 0 };

	proto_init(&out, TN_MSG_JOINED);
	if (j->uid != k->spec.uid || tn_sessions_full(open_now, j->sessions_max)) {
		/* A tenant never spans two users, nor outgrows sessions.max. */
		out.status = TN_ST_DENIED;
		if (j->uid != k->spec.uid)
			str_copy(out.msg, sizeof(out.msg),
			    "tenant belongs to another uid");
		else
			snprintf(out.msg, sizeof(out.msg),
			    "too many sessions: %zu open, sessions.max = %u", open_now,
			    (unsigned)j->sessions_max);
		(void)proto_send(c->fd, &out, NULL, 0, NULL);
		close(leader);
		end_session(k, c, "refused");
		return;
	}
	out.status = TN_ST_ISOLATED;
	out.notice = kuser_notice(k);
	out.ns_mask = k->ns_mask;
	for (int b = 0; b < TN_NS_COUNT; b++) {
		out.ns_ino[b] = k->ns_ino[b];
		if (k->ns_mask & (1u << b))
			fds[n++] = k->ns_fd[b];
	}
	FAULT_POINT("keeper-join-before-answer");
	if (proto_send(c->fd, &out, fds, n, &err) < 0) {
		klog(LOG_WARNING, "join: %s", err.msg);
		close(leader);
		end_session(k, c, "join-failed");
		return;
	}
	kuser_notice_given(k, j->flags & TN_JOIN_SILENT);
	keeper_add_session(k, c, leader, j->cookie, j->user, j->service, j->tty, j->rhost,
	    j->on_logout == TN_LOGOUT_KILL ? TN_LOGOUT_KILL : TN_LOGOUT_KEEP,
	    j->flags & TN_JOIN_CGROUP);
}

void
keeper_add_session(struct keeper *k, struct conn *c, int leader, const char *cookie,
    const char *user, const char *service, const char *tty, const char *rhost,
    enum tn_on_logout on_logout, bool with_cgroup)
{
	c->kind = CONN_SESSION;
	c->leader = leader;
	str_copy(c->cookie, sizeof(c->cookie), cookie);
	str_copy(c->user, sizeof(c->user), user);
	str_copy(c->service, sizeof(c->service), service);
	str_copy(c->tty, sizeof(c->tty), tty);
	str_copy(c->rhost, sizeof(c->rhost), rhost);
	c->on_logout = on_logout;
	c->since = time(NULL);
	c->since_ms = keeper_now_ms();
	if (with_cgroup)
		kcg_join(k, c);
	k->sessions_ever++;
	k->kill_on_empty = false;
	klog(LOG_INFO, "session %s joined tenant %s", c->cookie, k->spec.key);
	k->info_stale = true;
}

static void
serve_status(struct keeper *k, struct conn *c)
{
	struct tn_msg_ctl out;
	int n;

	proto_init(&out, TN_MSG_STATUS);
	n = snprintf(out.text, sizeof(out.text), "sessions %zu\nprocesses %ld\n",
	    count_sessions(k), count_processes(k));
	if (n > 0 && (size_t)n < sizeof(out.text)) {
		kcg_events(k);
		kuser_events_text(k, out.text + n, sizeof(out.text) - (size_t)n);
	}
	(void)proto_send(c->fd, &out, NULL, 0, NULL);
	end_session(k, c, "status");
}

/* tenantctl kill / terminate --session: signal, audit, answer; the
 * tenant and its sessions go on (a session whose processes die ends as
 * usual, when its leader goes or its CLOSE comes).  terminate with a
 * grace answers twice: now, and when keeper-stop.c is done. */
static void
serve_signal(struct keeper *k, struct conn *c, const struct tn_msg_signal *q)
{
	struct tn_msg_signal out;
	const struct conn *s = NULL;
	const char *sig = sigabbrev_np((int)q->signo);
	struct ksig_target t = { .whole_tenant = true, .leaf = -1 };
	struct ksig_result res = { 0 };
	bool graceful = (q->flags & TN_SIGNAL_TERMINATE) && q->grace_ms > 0;
	char extra[240], grace[32] = "";
	int r;

	proto_init(&out, TN_MSG_SIGNAL);
	out.signo = q->signo;
	out.grace_ms = q->grace_ms;
	memcpy(out.cookie, q->cookie, sizeof(out.cookie));
	if (q->flags & TN_SIGNAL_SESSION) {
		for (size_t i = 0; i < k->nconns && s == NULL; i++)
			if (k->conns[i].kind == CONN_SESSION && !k->conns[i].dead &&
			    strcmp(k->conns[i].cookie, q->cookie) == 0)
				s = &k->conns[i];
		if (s)
			keeper_session_target(s, &t);
	}
	if ((q->flags & TN_SIGNAL_SESSION) && s == NULL)
		r = -ESRCH;
	else if (graceful)
		r = -kstop_start(k, c, s, q->grace_ms, &res);
	else
		r = keeper_signal(k, &t, (int)q->signo, &res, NULL, NULL);
	if (graceful)
		snprintf(grace, sizeof(grace), " grace_ms=%u", (unsigned)q->grace_ms);
	snprintf(extra, sizeof(extra),
	    "signal=%s%s processes=%u passes=%u%s%s requester_pid=%d%s%s",
	    sig ? "SIG" : "", sig ? sig : "?", res.count, res.passes,
	    res.escaped ? " escaped=yes" : "", grace, (int)c->peer_pid,
	    s == NULL && q->cookie[0] ? " session=" : "", s == NULL ? q->cookie : "");
	keeper_audit(k, q->cookie[0] ? "tenant-session-signal" : "tenant-kill", s,
	    r == -ESRCH && s == NULL ? "no-such-session"
	        : r < 0              ? strerror(-r)
	                             : NULL,
	    extra, r == 0);
	klog(LOG_NOTICE, "tenant %s%s%s: %s (%s, %u ms)", k->spec.key,
	    s ? ", session " : "", s ? s->cookie : "", extra,
	    r < 0 ? strerror(-r) : "done", res.ms);
	out.status = r < 0 ? (uint32_t)-r : 0;
	out.count = res.count;
	out.flags = q->flags | (res.escaped ? TN_SIGNAL_ESCAPED : 0) |
	    (graceful && r == 0 ? 0 : TN_SIGNAL_FINAL);
	snprintf(out.msg, sizeof(out.msg), "%s", r < 0 ? strerror(-r) : "");
	(void)proto_send(c->fd, &out, NULL, 0, NULL);
	end_session(k, c, "signal");
}

void
on_conn_readable(struct keeper *k, struct conn *c)
{
	union tn_msg m;
	int fds[TN_MAX_FDS];
	size_t nfds = 0;
	struct tn_err err = { 0 };
	unsigned allowed = c->kind == CONN_PENDING
	    ? (1u << TN_MSG_OPEN) | (1u << TN_MSG_JOIN) | (1u << TN_MSG_TERMINATE) |
	        (1u << TN_MSG_STATUS) | (1u << TN_MSG_SIGNAL)
	    : (1u << TN_MSG_CLOSE);
	int r = proto_recv(c->fd, allowed, &m, fds, &nfds, &err);

	if (r == -EPROTO && c->kind == CONN_PENDING) {
		/* A login or tenantctl of another build: say which version we
		 * speak, so that it can say why (see docs/architecture.md,
		 * "Upgrades").  This tenant ends as usual. */
		(void)proto_send_version(c->fd);
		klog(LOG_WARNING,
		    "tenant %s: refused a request: %s; the tenant takes new sessions "
		    "from that build once it ends",
		    k->spec.key, err.msg);
		end_session(k, c, "protocol-version");
		return;
	}
	if (r < 0) {
		if (r != -EPIPE)
			klog(LOG_WARNING, "%s: %s", k->spec.key, err.msg);
		end_session(k, c, r == -EPIPE ? "hangup" : "protocol-error");
		return;
	}
	switch ((enum tn_msg_type)m.hdr.type) {
	case TN_MSG_JOIN:
		serve_join(k, c, &m.join, fds[0]);
		return;
	case TN_MSG_OPEN:
		serve_open(k, c, &m.open);
		return;
	case TN_MSG_STATUS:
		serve_status(k, c);
		return;
	case TN_MSG_SIGNAL:
		serve_signal(k, c, &m.signal);
		return;
	case TN_MSG_TERMINATE:
		/* Every session ends after this pass (keeper_loop). */
		drop_conn(c);
		k->terminate = "terminated";
		return;
	case TN_MSG_CLOSE:
		end_session(k, c,
		    strcmp(m.ctl.cookie, c->cookie) == 0 ? "logout"
		                                         : "logout-bad-cookie");
		return;
	case TN_MSG_VERSION:
	case TN_MSG_POLICY:
	case TN_MSG_RESULT:
	case TN_MSG_JOINED:
	case TN_MSG_INIT:
	default:
		end_session(k, c, "protocol-error");
		return;
	}
}

int64_t
keeper_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Out of file descriptors (EMFILE, or ENFILE host-wide): the queued
 * connection would keep the listening socket readable and poll() would
 * spin.  Give up the reserve fd to take that one connection and close it
 * (the login sees its keeper hang up and is refused by the helper), and
 * stop listening for a moment in any case. */
static void
shed_connection(struct keeper *k, int why)
{
	int fd;

	k->listen_paused_until = keeper_now_ms() + LISTEN_PAUSE_MS;
	if (k->reserve_fd >= 0) {
		close(k->reserve_fd);
		k->reserve_fd = -1;
		fd = accept4(k->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
	}
	k->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	klog(LOG_WARNING, "tenant %s: out of file descriptors (%s): a login was refused",
	    k->spec.key, strerror(why));
}

static struct conn *
add_conn(struct keeper *k, int fd, pid_t peer)
{
	struct conn *c = &k->conns[k->nconns++];

	*c = (struct conn){ .kind = CONN_PENDING,
		.fd = fd,
		.leader = -1,
		.peer_pid = peer,
		.cg_leaf = -1,
		.cg_pids_events = -1,
		.slot_fd = -1,
		.slot_leader = -1,
		.slot_events = -1,
		.since = time(NULL),
		.since_ms = keeper_now_ms() };
	return c;
}

void
accept_conn(struct keeper *k)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(k->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE)
			shed_connection(k, errno);
		return;
	}
	/* The socket sits in a root-only directory; check anyway. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0 ||
	    k->nconns >= MAX_CONNS) {
		close(fd);
		return;
	}
	add_conn(k, fd, cred.pid);
}

/* The first login's JOIN comes on our end of a socketpair from the
 * helper that started us: with the cgroupfs backend it is there before we
 * run, on systemd while systemd runs our scope's job.  Served while that
 * helper still waits for the job, rather than after a connect once we
 * listen (docs/architecture.md, decisions 30 and 31).  Returns the
 * connection while the JOIN is still to come, else NULL. */
struct conn *
serve_first_join(struct keeper *k, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct ucred cred = { 0 }; /* of socketpair()'s caller: the helper */
	socklen_t len = sizeof(cred);
	struct conn *c;

	(void)getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
	c = add_conn(k, fd, cred.pid);
	if (poll(&p, 1, 0) != 1)
		return c;
	on_conn_readable(k, c);
	return NULL;
}
