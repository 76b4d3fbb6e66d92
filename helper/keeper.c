/* The keeper: one detached root process per tenant, outside the tenant's
 * namespaces.  It owns tenant-init (and so the namespaces), hands the
 * namespace fds to every joining session, notices when a session ends —
 * by CLOSE, by its link closing, or by the death of the process that
 * opened it (pidfd) — applies on_logout, and tears the tenant down when
 * nothing is left.  It never blocks on anything a user controls. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "fault.h"
#include "fsutil.h"
#include "keeper.h"
#include "util.h"

#define LINGER_POLL_MS 1000
#define LOCK_RETRY_MS 50

const char *const ns_names[TN_NS_COUNT] = {"mnt", "pid", "ipc", "uts", "net"};

void
klog(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
}

void
keeper_audit(struct keeper *k, const char *op, const struct conn *c,
    const char *reason, const char *extra, bool ok)
{
	struct tn_audit_event ev = {
		.op = op,
		.user = k->spec.user,
		.uid = k->spec.uid,
		.cookie = c ? c->cookie : NULL,
		.service = c ? c->service : NULL,
		.tty = c ? c->tty : NULL,
		.rhost = c ? c->rhost : NULL,
		.reason = reason,
		.extra = extra,
		.success = ok,
	};
	struct tn_err err = {0};

	if (audit_event(&k->audit, &ev, &err) < 0)
		klog(LOG_ERR, "audit: %s", err.msg);
}

/* ---- state files ------------------------------------------------------ */

static size_t
count_sessions(const struct keeper *k)
{
	size_t n = 0;

	for (size_t i = 0; i < k->nconns; i++)
		n += k->conns[i].kind == CONN_SESSION;
	return n;
}

/* Is /proc/<name> (in the tenant's procfs) a zombie?  Zombies of login
 * programs are reaped by their parent outside the tenant; they hold no
 * resources and must not keep a tenant alive. */
static bool
is_zombie(int proc_fd, const char *name)
{
	char path[32], buf[512], *paren;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/stat", name);
	fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* gone already */
	n = read_full(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren == NULL || paren[1] != ' ' || paren[2] == 'Z';
}

/* Live processes in the tenant's PID namespace other than its init. */
static long
count_processes(const struct keeper *k)
{
	DIR *d;
	struct dirent *de;
	long n = 0;
	int fd;

	if (k->proc_fd < 0)
		return 0;
	fd = openat(k->proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9' &&
		    strcmp(de->d_name, "1") != 0 && !is_zombie(k->proc_fd, de->d_name))
			n++;
	closedir(d);
	return n;
}

void
write_info(struct keeper *k)
{
	static char text[8192]; /* once per process, not per stack frame */
	size_t used = 0;
	struct tn_err err = {0};

#define ADD(...)                                                             \
	do {                                                                 \
		int n_ = snprintf(text + used, sizeof(text) - used, __VA_ARGS__); \
		if (n_ > 0 && (size_t)n_ < sizeof(text) - used)              \
			used += (size_t)n_;                                  \
	} while (0)
	ADD("key %s\nuid %u\nkeeper_pid %d\ninit_pid %d\ncreated %lld\n",
	    k->spec.key, (unsigned)k->spec.uid, (int)getpid(), (int)k->init_pid,
	    (long long)k->created);
	for (int i = 0; i < TN_NS_COUNT; i++)
		if (k->ns_mask & (1u << i))
			ADD("ns_%s %" PRIu64 "\n", ns_names[i], k->ns_ino[i]);
	if (k->spec.cgroup_root[0])
		ADD("cgroup %s/user-%u\n", k->spec.cgroup_root, (unsigned)k->spec.uid);
	ADD("sessions %zu\n", count_sessions(k));
	for (size_t i = 0; i < k->nconns; i++) {
		const struct conn *c = &k->conns[i];
		if (c->kind == CONN_SESSION)
			ADD("session %s %lld %s %s\n", c->cookie, (long long)c->since,
			    c->on_logout == TN_LOGOUT_KILL ? "kill" : "keep",
			    c->service[0] ? c->service : "?");
	}
#undef ADD
	k->info_stale = false;
	if (write_file_at(k->tenant_dir, "info", text, &err) < 0)
		klog(LOG_WARNING, "%s: info: %s", k->spec.key, err.msg);
}

/* ---- teardown ------------------------------------------------------- */

void
remove_state(struct keeper *k)
{
	char marker[32];

	(void)unlinkat(k->tenant_dir, "keeper.sock", 0);
	(void)unlinkat(k->tenant_dir, "info", 0);
	(void)unlinkat(k->st.tenants, k->spec.key, AT_REMOVEDIR);
	if (k->ns_mask & 1) {
		snprintf(marker, sizeof(marker), "%" PRIu64, k->ns_ino[0]);
		(void)unlinkat(k->st.mntns, marker, 0);
	}
}

void
drop_conn(struct keeper *k, size_t i)
{
	struct conn *c = &k->conns[i];

	if (c->fd >= 0)
		close(c->fd);
	if (c->leader >= 0)
		close(c->leader);
	if (c->cg_leaf >= 0)
		close(c->cg_leaf);
	if (c->cg_pids_events >= 0)
		close(c->cg_pids_events);
	k->conns[i] = k->conns[--k->nconns];
}

static bool
leader_gone(const struct conn *c)
{
	struct pollfd p = {.fd = c->leader, .events = POLLIN};

	return c->leader < 0 || poll(&p, 1, 0) != 0;
}

/* The session's cgroup dies once its leader (the login program, which
 * sits in it while it finishes its own close) has left, or after a grace. */
static void
finish_closing(struct keeper *k, size_t i)
{
	kcg_kill_session(k, &k->conns[i]);
	drop_conn(k, i);
}

static void
end_session(struct keeper *k, size_t i, const char *reason)
{
	struct conn *c = &k->conns[i];
	char usage[256];

	if (c->kind != CONN_SESSION) {
		drop_conn(k, i);
		return;
	}
	klog(LOG_INFO, "session %s of uid %u ended (%s)", c->cookie,
	    (unsigned)k->spec.uid, reason);
	k->gc_until = time(NULL) + 10; /* its cgroup empties soon */
	kcg_usage_text(c->cg_leaf, usage, sizeof(usage));
	keeper_audit(k, "tenant-session-end", c, reason, usage[0] ? usage : NULL, true);
	if (count_sessions(k) == 1)
		k->kill_on_empty = c->on_logout == TN_LOGOUT_KILL;
	if (c->on_logout == TN_LOGOUT_KILL && c->cg_leaf >= 0) {
		close(c->fd);
		c->fd = -1;
		c->kind = CONN_CLOSING;
		c->kill_at = time(NULL) + KILL_GRACE_S;
		if (leader_gone(c))
			finish_closing(k, i);
	} else {
		drop_conn(k, i);
	}
	k->info_stale = true;
}

/* With no session left the tenant ends at once for on_logout = kill (or
 * without a PID namespace to watch), else when its last process is gone. */
static bool
tenant_done(const struct keeper *k)
{
	int populated;

	if (k->terminate)
		return true;
	if (count_sessions(k) > 0 || k->nconns > 0)
		return false;
	if (k->sessions_ever == 0 && time(NULL) - k->created < 10)
		return false; /* the first login is still on its way */
	/* With cgroups, on_logout = kill already ended that session's
	 * processes; what is left in the user's cgroup was kept on purpose. */
	populated = kcg_populated(k);
	if (populated >= 0)
		return populated == 0;
	return k->kill_on_empty || k->proc_fd < 0 || count_processes(k) == 0;
}

/* Try to end the tenant.  Returns true when done (the keeper may exit).
 * The per-uid lock orders this against joins: a login either joined
 * before (then we stay) or finds no socket and starts a fresh tenant. */
static bool
try_teardown(struct keeper *k, const char *reason)
{
	struct pollfd p = {.fd = k->listen_fd, .events = POLLIN};
	char extra[384], usage[256];
	int lock;

	lock = state_lock_uid(&k->st, k->spec.uid, true, NULL);
	if (lock < 0)
		return false; /* a login holds it: retry soon */
	if (poll(&p, 1, 0) > 0) {
		close(lock); /* someone is joining: serve them instead */
		return false;
	}
	remove_state(k);
	close(k->listen_fd);
	k->listen_fd = -1;
	close(lock);

	while (k->nconns > 0)
		end_session(k, k->nconns - 1, "tenant-end");
	kcg_usage_text(k->cg_user, usage, sizeof(usage));
	kcg_teardown(k);
	(void)pidfd_send_signal(k->init_pidfd, SIGKILL, NULL, 0);
	for (int i = 0; i < TN_NS_COUNT; i++)
		if (k->ns_fd[i] >= 0)
			close(k->ns_fd[i]);
	snprintf(extra, sizeof(extra), "sessions=%u duration=%lld%s%s",
	    k->sessions_ever, (long long)(time(NULL) - k->created), usage[0] ? " " : "", usage);
	keeper_audit(k, "tenant-end", NULL, reason, extra, true);
	klog(LOG_INFO, "tenant %s ended (%s)", k->spec.key, reason);
	return true;
}

/* ---- connections ------------------------------------------------------ */

static void
serve_join(struct keeper *k, size_t i, const struct tn_msg_join *j, int leader)
{
	struct conn *c = &k->conns[i];
	struct tn_msg_joined out;
	int fds[TN_NS_COUNT];
	size_t n = 0;
	struct tn_err err = {0};

	proto_init(&out, TN_MSG_JOINED);
	if (j->uid != k->spec.uid) {
		/* A tenant never spans two users. */
		out.status = TN_ST_DENIED;
		str_copy(out.msg, sizeof(out.msg), "tenant belongs to another uid");
		(void)proto_send(c->fd, &out, NULL, 0, NULL);
		close(leader);
		end_session(k, i, "refused");
		return;
	}
	out.status = TN_ST_ISOLATED;
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
		end_session(k, i, "join-failed");
		return;
	}
	keeper_add_session(k, c, leader, j->cookie, j->user, j->service, j->tty,
	    j->rhost, j->on_logout == TN_LOGOUT_KILL ? TN_LOGOUT_KILL : TN_LOGOUT_KEEP,
	    j->flags & TN_JOIN_CGROUP);
}

void
keeper_add_session(struct keeper *k, struct conn *c, int leader,
    const char *cookie, const char *user, const char *service, const char *tty,
    const char *rhost, enum tn_on_logout on_logout, bool with_cgroup)
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
	if (with_cgroup)
		kcg_join(k, c);
	k->sessions_ever++;
	k->kill_on_empty = false;
	klog(LOG_INFO, "session %s joined tenant %s", c->cookie, k->spec.key);
	k->info_stale = true;
}

static void
serve_status(struct keeper *k, size_t i)
{
	struct tn_msg_ctl out;

	proto_init(&out, TN_MSG_STATUS);
	snprintf(out.text, sizeof(out.text),
	    "sessions %zu\nprocesses %ld\n", count_sessions(k),
	    count_processes(k));
	(void)proto_send(k->conns[i].fd, &out, NULL, 0, NULL);
	end_session(k, i, "status");
}

/* Returns true when the keeper should exit. */
static bool
on_conn_readable(struct keeper *k, size_t i)
{
	struct conn *c = &k->conns[i];
	union tn_msg m;
	int fds[TN_MAX_FDS];
	size_t nfds = 0;
	struct tn_err err = {0};
	unsigned allowed = c->kind == CONN_PENDING
	    ? (1u << TN_MSG_OPEN) | (1u << TN_MSG_JOIN) | (1u << TN_MSG_TERMINATE) |
		(1u << TN_MSG_STATUS)
	    : (1u << TN_MSG_CLOSE);
	int r = proto_recv(c->fd, allowed, &m, fds, &nfds, &err);

	if (r < 0) {
		if (r != -EPIPE)
			klog(LOG_WARNING, "%s: %s", k->spec.key, err.msg);
		end_session(k, i, r == -EPIPE ? "hangup" : "protocol-error");
		return false;
	}
	switch ((enum tn_msg_type)m.hdr.type) {
	case TN_MSG_JOIN:
		serve_join(k, i, &m.join, fds[0]);
		return false;
	case TN_MSG_OPEN:
		serve_open(k, i, &m.open);
		return false;
	case TN_MSG_STATUS:
		serve_status(k, i);
		return false;
	case TN_MSG_TERMINATE:
		end_session(k, i, "terminate");
		while (k->nconns > 0)
			end_session(k, k->nconns - 1, "terminate");
		k->terminate = true;
		return false;
	case TN_MSG_CLOSE:
		end_session(k, i, strcmp(m.ctl.cookie, c->cookie) == 0 ? "logout" : "logout-bad-cookie");
		return false;
	case TN_MSG_POLICY:
	case TN_MSG_RESULT:
	case TN_MSG_JOINED:
	case TN_MSG_INIT:
	default:
		end_session(k, i, "protocol-error");
		return false;
	}
}

static void
accept_conn(struct keeper *k)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(k->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	/* The socket sits in a root-only directory; check anyway. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    cred.uid != 0 || k->nconns >= MAX_CONNS) {
		close(fd);
		return;
	}
	k->conns[k->nconns++] = (struct conn){.kind = CONN_PENDING, .fd = fd, .leader = -1,
	    .peer_pid = cred.pid, .cg_leaf = -1, .cg_pids_events = -1};
}

static const char *
teardown_reason(const struct keeper *k)
{
	if (k->terminate)
		return "terminated";
	return k->kill_on_empty ? "last-session-closed" : "last-process-exited";
}

void
keeper_loop(struct keeper *k)
{
	for (;;) {
		/* Sized for the connections we have: a keeper lives as long as
		 * its tenant, and its memory is paid per tenant. */
		size_t np = 0, want = 4 + 3 * k->nconns;
		struct pollfd *p;
		int timeout = -1;

		if (want > k->poll_cap) {
			struct pollfd *grown = realloc(k->poll, want * sizeof(*grown));
			if (grown == NULL)
				return;
			k->poll = grown;
			k->poll_cap = want;
		}
		p = k->poll;

		/* After the answers went out: a login never waits for this. */
		if (k->info_stale)
			write_info(k);
		if (time(NULL) < k->gc_until) {
			kcg_gc(k);
			timeout = LINGER_POLL_MS;
		}
		if (count_sessions(k) == 0) {
			kcg_gc(k);
			if (tenant_done(k)) {
				if (try_teardown(k, teardown_reason(k)))
					break;
				timeout = LOCK_RETRY_MS;
			} else {
				timeout = LINGER_POLL_MS;
			}
		}
		for (size_t i = 0; i < k->nconns; i++)
			if (k->conns[i].kind == CONN_CLOSING && (timeout < 0 || timeout > 500))
				timeout = 500; /* its grace may run out */
		p[np++] = (struct pollfd){.fd = k->init_pidfd, .events = POLLIN};
		p[np++] = (struct pollfd){.fd = k->listen_fd, .events = POLLIN};
		p[np++] = (struct pollfd){.fd = k->cg_events[0], .events = POLLPRI};
		p[np++] = (struct pollfd){.fd = k->cg_events[1], .events = POLLPRI};
		for (size_t i = 0; i < k->nconns; i++) {
			p[np++] = (struct pollfd){.fd = k->conns[i].fd, .events = POLLIN};
			p[np++] = (struct pollfd){.fd = k->conns[i].leader, .events = POLLIN};
			p[np++] = (struct pollfd){.fd = k->conns[i].cg_pids_events, .events = POLLPRI};
		}
		if (poll(p, np, timeout) < 0 && errno != EINTR)
			return;
		if (p[0].revents) {
			while (k->nconns > 0)
				end_session(k, k->nconns - 1, "tenant-gone");
			remove_state(k);
			keeper_audit(k, "tenant-end", NULL, "init-exited", NULL, false);
			return;
		}
		bool events = p[2].revents || p[3].revents || count_sessions(k) == 0;
		for (size_t i = 0; i < k->nconns; i++)
			events |= p[6 + 3 * i].revents != 0;
		if (events)
			kcg_events(k);
		/* Walk backwards: drop_conn() moves the last entry into i. */
		for (size_t i = k->nconns; i-- > 0;) {
			struct conn *c = &k->conns[i];
			short ev = p[4 + 3 * i].revents, lev = p[5 + 3 * i].revents;

			if (c->kind == CONN_CLOSING) {
				if (lev || time(NULL) >= c->kill_at)
					finish_closing(k, i);
				continue;
			}
			/* A CLOSE already sent wins over the leader's exit. */
			if (ev)
				on_conn_readable(k, i);
			else if (lev)
				end_session(k, i, "leader-exited");
		}
		if (p[1].revents & POLLIN)
			accept_conn(k);
	}
	/* Give init a moment to go; it cannot finish before the login
	 * program reaps its zombie in the tenant, which is not ours to await. */
	struct pollfd w = {.fd = k->init_pidfd, .events = POLLIN};
	(void)poll(&w, 1, 1000);
	(void)waitpid(k->init_pid, NULL, WNOHANG);
}

