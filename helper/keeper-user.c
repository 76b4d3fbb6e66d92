/* The user's own view of their tenant (issue 11): a read-only status
 * socket inside the tenant, and what a joining login is told about OOM
 * kills and refused forks since the user's previous login.
 *
 * The socket is bound by tenant-init in the marker tmpfs that covers
 * /run/pam_tenant in the tenant's mount namespace (mounts.c), so only
 * processes inside the tenant can reach it; every peer must also be the
 * tenant's uid or root (SO_PEERCRED).  It serves STATUS and nothing else:
 * any other request is refused and logged, whoever sends it.  A user
 * controls everything on this socket, so the keeper never waits for it:
 * non-blocking sockets, at most KUSER_MAX_CONNS at once (beyond that the
 * listening socket is not polled and connects queue in its own small
 * backlog, never the root socket's), a request timeout, a pause between
 * accepts, and the /proc walk cached for a second. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "keeper.h"
#include "util.h"

#define LOG_EVERY_MS 1000

void
kuser_start(struct keeper *k, int listen_fd)
{
	k->user.listen_fd = listen_fd;
	k->user.slot_listen = -1;
}

void
kuser_stop(struct keeper *k)
{
	struct kuser *u = &k->user;

	if (u->listen_fd >= 0)
		close(u->listen_fd);
	u->listen_fd = -1;
	for (size_t i = 0; i < u->nconns; i++)
		close(u->conns[i].fd);
	u->nconns = 0;
}

/* Refusals are logged, at most one line a second (a user may send many). */
static void __attribute__((format(printf, 2, 3)))
refusal(struct keeper *k, const char *fmt, ...)
{
	struct kuser *u = &k->user;
	int64_t now = keeper_now_ms();
	char line[300];
	va_list ap;

	if (now < u->log_next) {
		u->log_suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	klog(LOG_WARNING, "tenant %s: status socket: %s (refused)%s", k->spec.key, line,
	    u->log_suppressed ? "; more refusals were not logged" : "");
	u->log_suppressed = 0;
	u->log_next = now + LOG_EVERY_MS;
}

void
kuser_event(struct keeper *k, enum kuser_event_kind kind, uint64_t count)
{
	struct kuser *u = &k->user;
	struct kuser_event *prev =
	    u->nevents ? &u->ring[(u->nevents - 1) % KUSER_EVENTS] : NULL;
	time_t now = time(NULL);

	if (prev && prev->kind == kind && now - prev->last < KUSER_COALESCE_S) {
		prev->count += count;
		prev->last = now;
	} else {
		u->ring[u->nevents++ % KUSER_EVENTS] = (struct kuser_event){ .at = now,
			.last = now,
			.kind = kind,
			.count = count };
	}
	if (kind == KUSER_EV_OOM)
		u->oom_total += count;
	else
		u->forks_total += count;
}

static uint32_t
clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

struct tn_notice
kuser_notice(struct keeper *k)
{
	struct kuser *u = &k->user;
	uint64_t oom, forks;

	kcg_events(k); /* what happened up to this very login */
	oom = u->oom_total - u->oom_told + u->oom_carried;
	forks = u->forks_total - u->forks_told + u->forks_carried;
	return (struct tn_notice){ .oom_kills = clamp32(oom),
		.forks_refused = clamp32(forks) };
}

void
kuser_notice_given(struct keeper *k, bool silent)
{
	if (silent)
		return; /* nobody saw it: the next login tells */
	k->user.oom_told = k->user.oom_total;
	k->user.forks_told = k->user.forks_total;
	k->user.oom_carried = k->user.forks_carried = 0;
}

/* ---- across tenants: notices/<uid> ---------------------------------------
 * What a tenant's user was not told when it ended, for the user's next
 * tenant: "<oom_kills> <forks_refused>\n" in /run/pam_tenant/notices/<uid>
 * (root 0700 like every level; a uid number, never a name).  Written by
 * the ending keeper and taken by the next one, both under the uid lock
 * (the helper holds it while it starts a keeper), so neither is lost. */
#define NOTICE_DIR "notices"

static int
notice_dir(struct keeper *k, bool create)
{
	_cleanup_close_ int fd = -1;
	struct stat sb;

	if (create && mkdirat(k->st.root, NOTICE_DIR, 0700) < 0 && errno != EEXIST)
		return -1;
	fd = openat(k->st.root, NOTICE_DIR,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0 || sb.st_uid != 0 ||
	    (sb.st_mode & 07777) != 0700)
		return -1;
	return steal_fd(&fd);
}

/* Read and remove notices/<uid>; 0 and the counts, or -1 (none). */
static int
notice_take(int dir, const char *name, uint64_t *oom, uint64_t *forks)
{
	_cleanup_close_ int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	unsigned long long a, b;
	struct stat sb;
	char buf[64];
	ssize_t n;

	if (fd < 0)
		return -1;
	(void)unlinkat(dir, name, 0);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != 0 ||
	    (n = read_full(fd, buf, sizeof(buf) - 1)) <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &a, &b) != 2)
		return -1;
	*oom = a;
	*forks = b;
	return 0;
}

void
kuser_notice_load(struct keeper *k)
{
	_cleanup_close_ int dir = notice_dir(k, false);
	uint64_t oom = 0, forks = 0;
	char name[16];

	snprintf(name, sizeof(name), "%u", (unsigned)k->spec.uid);
	if (dir < 0 || notice_take(dir, name, &oom, &forks) < 0)
		return;
	/* Not told yet: the first login that is not silent is. */
	k->user.oom_carried += oom;
	k->user.forks_carried += forks;
}

void
kuser_notice_save(struct keeper *k)
{
	struct tn_notice n = kuser_notice(k);
	uint64_t oom = 0, forks = 0;
	_cleanup_close_ int dir = -1;
	struct tn_err err = { 0 };
	char name[16], text[64];

	if (n.oom_kills == 0 && n.forks_refused == 0)
		return;
	dir = notice_dir(k, true);
	if (dir < 0) {
		klog(LOG_WARNING, "tenant %s: %s/%s: cannot keep the user's notice",
		    k->spec.key, TN_STATE_DIR, NOTICE_DIR);
		return;
	}
	snprintf(name, sizeof(name), "%u", (unsigned)k->spec.uid);
	(void)notice_take(dir, name, &oom, &forks); /* another tenant's, untold */
	snprintf(text, sizeof(text), "%llu %llu\n",
	    (unsigned long long)(oom + n.oom_kills),
	    (unsigned long long)(forks + n.forks_refused));
	if (write_file_at(dir, name, text, &err) < 0)
		klog(LOG_WARNING, "tenant %s: notice: %s", k->spec.key, err.msg);
}

size_t
kuser_events_text(const struct keeper *k, char *buf, size_t len)
{
	const struct kuser *u = &k->user;
	uint64_t first = u->nevents > KUSER_EVENTS ? u->nevents - KUSER_EVENTS : 0;
	size_t used = 0;

	buf[0] = '\0';
	for (uint64_t i = first; i < u->nevents; i++) {
		const struct kuser_event *e = &u->ring[i % KUSER_EVENTS];
		int n =
		    snprintf(buf + used, len - used, "event %lld %lld %s %" PRIu64 "\n",
		        (long long)e->at, (long long)e->last,
		        e->kind == KUSER_EV_OOM ? "oom" : "fork", e->count);

		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0';
			break;
		}
		used += (size_t)n;
	}
	return used;
}

/* ---- serving ------------------------------------------------------------ */

#define ADD(...)                                                         \
	do {                                                             \
		int n_ = snprintf(text + used, len - used, __VA_ARGS__); \
		if (n_ > 0 && (size_t)n_ < len - used)                   \
			used += (size_t)n_;                              \
	} while (0)

/* One "key value" per line; sessions last, as many as fit. */
static void
status_text(struct keeper *k, char *text, size_t len)
{
	struct kuser *u = &k->user;
	size_t used = 0, shown = 0, total = count_sessions(k);
	int64_t now = keeper_now_ms();

	if (now - u->procs_at >= 1000 || u->procs_at == 0) {
		u->procs = count_processes(k);
		u->procs_at = now;
	}
	kcg_events(k);
	ADD("key %s\nuid %u\ncreated %lld\nsessions %zu\nprocesses %ld\n", k->spec.key,
	    (unsigned)k->spec.uid, (long long)k->created, total, u->procs);
	ADD("oom_kills %" PRIu64 "\nforks_refused %" PRIu64 "\n", u->oom_total,
	    u->forks_total);
	if (k->cg_user >= 0) {
		struct tn_cg_usage g;

		cg_usage(k->cg_user, &g);
		ADD("usage %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		    " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		    g.memory_current, g.memory_peak, g.memory_max, g.pids_current,
		    g.pids_max, g.cpu_usec, g.oom_kills, g.pids_denied);
	}
	used += kuser_events_text(k, text + used, len - used);
	for (size_t i = 0; i < k->nconns; i++) {
		const struct conn *c = &k->conns[i];
		char line[128];
		int n;

		if (c->kind != CONN_SESSION || c->dead)
			continue;
		n = snprintf(line, sizeof(line), "session %lld %s\n", (long long)c->since,
		    c->service[0] ? c->service : "?");
		/* Room for the last line, "sessions_omitted N". */
		if (n < 0 || (size_t)n + 32 >= len - used)
			break;
		memcpy(text + used, line, (size_t)n + 1);
		used += (size_t)n;
		shown++;
	}
	if (shown < total)
		ADD("sessions_omitted %zu\n", total - shown);
}
#undef ADD

static void
serve(struct keeper *k, struct kuser_conn *c)
{
	union tn_msg m;
	size_t nfds = 0;
	struct tn_err err = { 0 };
	struct tn_msg_ctl out;
	/* No fds from the user: see proto_recv. */
	int r = proto_recv(c->fd, 1u << TN_MSG_STATUS, &m, NULL, &nfds, &err);

	if (r < 0) {
		if (r != -EPIPE && r != -EAGAIN)
			refusal(k, "uid %u pid %d: %s", (unsigned)c->uid, (int)c->pid,
			    err.msg);
		if (r == -EPROTO) /* tenantctl of another build: say why */
			(void)proto_send_version(c->fd);
		return;
	}
	proto_init(&out, TN_MSG_STATUS);
	status_text(k, out.text, sizeof(out.text));
	/* Non-blocking: a peer that does not read loses the answer. */
	(void)proto_send(c->fd, &out, NULL, 0, NULL);
}

static void
accept_user(struct keeper *k)
{
	struct kuser *u = &k->user;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(u->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	u->paused_until = keeper_now_ms() + KUSER_PAUSE_MS;
	if (fd < 0)
		return; /* EMFILE and the like: the pause keeps us from spinning */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		close(fd);
		return;
	}
	if (cred.uid != k->spec.uid && cred.uid != 0) {
		refusal(k, "uid %u pid %d is not the tenant's user", (unsigned)cred.uid,
		    (int)cred.pid);
		close(fd);
		return;
	}
	u->conns[u->nconns++] = (struct kuser_conn){ .fd = fd,
		.slot = -1,
		.since = keeper_now_ms(),
		.uid = cred.uid,
		.pid = cred.pid };
}

static bool
accepting(const struct keeper *k)
{
	const struct kuser *u = &k->user;

	return u->listen_fd >= 0 && u->nconns < KUSER_MAX_CONNS &&
	    keeper_now_ms() >= u->paused_until;
}

void
kuser_poll_add(struct keeper *k, struct pollfd *p, size_t *np)
{
	struct kuser *u = &k->user;

	u->slot_listen = -1;
	if (accepting(k)) {
		p[*np] = (struct pollfd){ .fd = u->listen_fd, .events = POLLIN };
		u->slot_listen = (int)(*np)++;
	}
	for (size_t i = 0; i < u->nconns; i++) {
		p[*np] = (struct pollfd){ .fd = u->conns[i].fd, .events = POLLIN };
		u->conns[i].slot = (int)(*np)++;
	}
}

int
kuser_timeout(const struct keeper *k, int timeout)
{
	const struct kuser *u = &k->user;
	int64_t now = keeper_now_ms(), due = -1;

	if (u->listen_fd >= 0 && u->nconns < KUSER_MAX_CONNS && now < u->paused_until)
		due = u->paused_until;
	for (size_t i = 0; i < u->nconns; i++) {
		int64_t end = u->conns[i].since + KUSER_TIMEOUT_MS;

		if (due < 0 || end < due)
			due = end;
	}
	if (due < 0)
		return timeout;
	due = due > now ? due - now : 0;
	return timeout < 0 || timeout > due ? (int)due : timeout;
}

void
kuser_poll_done(struct keeper *k, const struct pollfd *p)
{
	struct kuser *u = &k->user;
	int64_t now = keeper_now_ms();
	size_t kept = 0;

	/* Every connection is answered (or dropped) once: it closes after
	 * its first request, or when it is too slow to send one. */
	for (size_t i = 0; i < u->nconns; i++) {
		struct kuser_conn *c = &u->conns[i];
		bool done = true;

		if (c->slot >= 0 && p[c->slot].revents)
			serve(k, c);
		else if (now - c->since >= KUSER_TIMEOUT_MS)
			refusal(k, "uid %u pid %d sent no request in %d ms",
			    (unsigned)c->uid, (int)c->pid, KUSER_TIMEOUT_MS);
		else
			done = false;
		if (done) {
			close(c->fd);
			continue;
		}
		c->slot = -1;
		u->conns[kept++] = *c;
	}
	u->nconns = kept;
	if (u->slot_listen >= 0 && (p[u->slot_listen].revents & POLLIN))
		accept_user(k);
	u->slot_listen = -1;
}
