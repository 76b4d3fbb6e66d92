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
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "cgroup-systemd.h"
#include "fsutil.h"
#include "keeper.h"
#include "util.h"

#define LINGER_POLL_MS 1000
#define LOCK_RETRY_MS 50
#define GIVE_UP_LOCK_MS 6000 /* a helper waits 5 s for our answer, then lets go */
#define LOOP_FIXED_SLOTS 5   /* init, signals, listen, memory.events, pids.events */

void
klog(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
}

void
keeper_audit(struct keeper *k, const char *op, const struct conn *c, const char *reason,
    const char *extra, bool ok)
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
	struct tn_err err = { 0 };

	if (audit_event(&k->audit, &ev, &err) < 0)
		klog(LOG_ERR, "audit: %s", err.msg);
}

/* ---- state files ------------------------------------------------------ */

size_t
count_sessions(const struct keeper *k)
{
	size_t n = 0;

	for (size_t i = 0; i < k->nconns; i++)
		n += k->conns[i].kind == CONN_SESSION && !k->conns[i].dead;
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
long
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
	struct tn_err err = { 0 };

#define ADD(...)                                                                  \
	do {                                                                      \
		int n_ = snprintf(text + used, sizeof(text) - used, __VA_ARGS__); \
		if (n_ > 0 && (size_t)n_ < sizeof(text) - used)                   \
			used += (size_t)n_;                                       \
	} while (0)
	ADD("key %s\nuid %u\nkeeper_pid %d\ninit_pid %d\ncreated %lld\n", k->spec.key,
	    (unsigned)k->spec.uid, (int)getpid(), (int)k->init_pid,
	    (long long)k->created);
	for (int i = 0; i < TN_NS_COUNT; i++)
		if (k->ns_mask & (1u << i))
			ADD("ns_%s %" PRIu64 "\n", tn_ns_kinds[i].proc, k->ns_ino[i]);
	if (k->spec.cgroup_root[0])
		ADD("cgroup %s/user-%u\n", k->spec.cgroup_root, (unsigned)k->spec.uid);
	if (k->spec.sd) {
		char unit[160];

		sd_keeper_unit(unit, sizeof(unit), k->spec.key);
		ADD("backend systemd\nunit %s\n", unit);
		if (k->spec.sd_slice_cg[0])
			ADD("slice_cgroup %s\n", k->spec.sd_slice_cg);
	}
	ADD("sessions %zu\n", count_sessions(k));
	for (size_t i = 0; i < k->nconns; i++) {
		const struct conn *c = &k->conns[i];
		if (c->kind == CONN_SESSION && !c->dead)
			ADD("session %s %lld %s %s\n", c->cookie, (long long)c->since,
			    c->on_logout == TN_LOGOUT_KILL ? "kill" : "keep",
			    c->service[0] ? c->service : "?");
	}
#undef ADD
	k->info_stale = false;
	if (write_file_at(k->tenant_dir, TN_STATE_INFO, text, &err) < 0)
		klog(LOG_WARNING, "%s: info: %s", k->spec.key, err.msg);
}

/* ---- connections ------------------------------------------------------ */

void
drop_conn(struct conn *c)
{
	c->dead = true;
}

/* After the pass over the poll results: close what ended, close ranks. */
static void
compact_conns(struct keeper *k)
{
	size_t kept = 0;

	for (size_t i = 0; i < k->nconns; i++) {
		struct conn *c = &k->conns[i];

		if (!c->dead) {
			if (kept != i)
				k->conns[kept] = *c;
			kept++;
			continue;
		}
		if (c->fd >= 0)
			close(c->fd);
		if (c->leader >= 0)
			close(c->leader);
		if (c->cg_leaf >= 0)
			close(c->cg_leaf);
		if (c->cg_pids_events >= 0)
			close(c->cg_pids_events);
	}
	k->nconns = kept;
}

static bool
leader_gone(const struct conn *c)
{
	struct pollfd p = { .fd = c->leader, .events = POLLIN };

	return c->leader < 0 || poll(&p, 1, 0) != 0;
}

/* The session's cgroup dies once its leader (the login program, which
 * sits in it while it finishes its own close) has left, or after a grace. */
static void
finish_closing(struct keeper *k, struct conn *c)
{
	kcg_kill_session(k, c);
	drop_conn(c);
}

void
end_session(struct keeper *k, struct conn *c, const char *reason)
{
	char usage[256];

	if (c->dead)
		return;
	if (c->kind == CONN_CLOSING) { /* the tenant ends: no more grace */
		finish_closing(k, c);
		return;
	}
	if (c->kind != CONN_SESSION) {
		drop_conn(c);
		return;
	}
	kstop_session_ended(k, c);
	k->gc_until_ms = keeper_now_ms() + 10000; /* its cgroup empties soon */
	kcg_usage_or_last(c->cg_leaf, &c->usage, c->usage_at, usage, sizeof(usage));
	keeper_audit(k, "tenant-session-end", c, reason, usage[0] ? usage : NULL, true);
	klog(LOG_INFO, "session %s of uid %u ended (%s)%s%s", c->cookie,
	    (unsigned)k->spec.uid, reason, usage[0] ? " " : "", usage);
	if (count_sessions(k) == 1)
		k->kill_on_empty = c->on_logout == TN_LOGOUT_KILL;
	if (c->on_logout == TN_LOGOUT_KILL && c->cg_leaf >= 0) {
		close(c->fd);
		c->fd = -1;
		c->kind = CONN_CLOSING;
		c->kill_at_ms = keeper_now_ms() + KILL_GRACE_S * 1000;
		if (leader_gone(c))
			finish_closing(k, c);
	} else {
		drop_conn(c);
	}
	k->info_stale = true;
}

/* ---- the end of the tenant --------------------------------------------- */

void
remove_state(struct keeper *k)
{
	state_remove_tenant(&k->st, k->spec.key, k->tenant_dir);
}

/* With no session left the tenant ends at once for on_logout = kill (or
 * without a PID namespace to watch), else when its last process is gone. */
static bool
tenant_done(const struct keeper *k)
{
	int populated;

	if (k->terminate)
		return true;
	/* A stop's SIGKILL is still due: the tenant waits for it. */
	if (count_sessions(k) > 0 || k->nconns > 0 || k->nstops > 0)
		return false;
	if (k->sessions_ever == 0 && keeper_now_ms() - k->created_ms < 10000)
		return false; /* the first login is still on its way */
	/* With cgroups, on_logout = kill already ended that session's
	 * processes; what is left in the user's cgroup was kept on purpose. */
	populated = kcg_populated(k);
	if (populated >= 0)
		return populated == 0;
	return k->kill_on_empty || k->proc_fd < 0 || count_processes(k) == 0;
}

/* No new logins (the socket goes: they start a fresh tenant) and no
 * session left, each ended and audited.  Needs no lock, and frees the
 * fds taking one may need. */
static void
stop_serving(struct keeper *k)
{
	remove_state(k);
	if (k->listen_fd >= 0) {
		close(k->listen_fd);
		k->listen_fd = -1;
	}
	kuser_stop(k);
	for (size_t i = 0; i < k->nconns; i++)
		end_session(k, &k->conns[i], "tenant-end");
	compact_conns(k);
}

/* The one way a tenant ends, whatever ended it.  `lock` is the per-uid
 * lock (or -1 when it could not be had): it is held until the user's
 * cgroup is killed and removed, so a login that waits for it finds
 * neither the socket nor a cgroup about to be killed under its feet.
 * Without it the user's cgroup is left alone (a login may be creating its
 * leaf there); killing init still ends every process of the tenant. */
static void
end_tenant(struct keeper *k, int lock, const char *reason, bool ok)
{
	char extra[384], usage[256];

	stop_serving(k);
	kcg_events(k);
	kcg_events_flush(k); /* held back by the once-a-second rule */
	kcg_usage_or_last(k->cg_user, &k->user_usage, k->user_usage_at, usage,
	    sizeof(usage));
	if (lock >= 0) {
		kuser_notice_save(k); /* for the user's next tenant */
		kcg_teardown(k);
	} else if (k->cg_user >= 0 && !k->spec.sd)
		klog(LOG_WARNING,
		    "tenant %s: uid lock busy, user cgroup left for the next login",
		    k->spec.key);
	(void)pidfd_send_signal(k->init_pidfd, SIGKILL, NULL, 0);
	for (int i = 0; i < TN_NS_COUNT; i++)
		if (k->ns_fd[i] >= 0) {
			close(k->ns_fd[i]);
			k->ns_fd[i] = -1;
		}
	if (lock >= 0)
		close(lock);
	snprintf(extra, sizeof(extra), "sessions=%u duration=%lld%s%s", k->sessions_ever,
	    (long long)((keeper_now_ms() - k->created_ms) / 1000), usage[0] ? " " : "",
	    usage);
	keeper_audit(k, "tenant-end", NULL, reason, extra, ok);
	klog(ok ? LOG_INFO : LOG_ERR, "tenant %s ended (%s)%s%s", k->spec.key, reason,
	    usage[0] ? " " : "", usage);
}

/* Try to end the tenant.  Returns true when done (the keeper may exit).
 * The per-uid lock orders this against joins: a login either joined
 * before (then we stay) or finds no socket and starts a fresh tenant. */
static bool
try_teardown(struct keeper *k, const char *reason)
{
	struct pollfd p = { .fd = k->listen_fd, .events = POLLIN };
	int lock;

	lock = state_lock_uid(&k->st, k->spec.uid, true, NULL);
	if (lock < 0)
		return false; /* a login holds it: retry soon */
	if (!k->terminate && poll(&p, 1, 0) > 0) {
		close(lock); /* someone is joining: serve them instead */
		return false;
	}
	end_tenant(k, lock, reason, true);
	return true;
}

/* The keeper cannot go on (poll failed, no memory, init died): end the
 * tenant anyway.  First what needs no lock: the socket goes (new logins
 * start a fresh tenant), every session ends (which also frees the fds the
 * lock needs, if we ran out).  A helper holding the uid lock may be
 * waiting for an answer we will not give; it lets go after its timeout. */
static void
give_up(struct keeper *k, const char *reason)
{
	int lock = -EWOULDBLOCK;

	klog(LOG_ERR, "tenant %s: keeper gives up: %s", k->spec.key, reason);
	stop_serving(k);
	for (int waited = 0; lock == -EWOULDBLOCK && waited < GIVE_UP_LOCK_MS;
	     waited += LOCK_RETRY_MS) {
		lock = state_lock_uid(&k->st, k->spec.uid, true, NULL);
		if (lock == -EWOULDBLOCK)
			(void)poll(NULL, 0, LOCK_RETRY_MS);
	}
	end_tenant(k, lock, reason, false);
}

static const char *
teardown_reason(const struct keeper *k)
{
	if (k->terminate)
		return k->terminate;
	return k->kill_on_empty ? "last-session-closed" : "last-process-exited";
}

/* ---- the loop ---------------------------------------------------------- */

/* Only open fds get a slot: the array never has more entries than the
 * keeper has fds, which RLIMIT_NOFILE bounds (and poll() checks). */
static int
add_slot(struct pollfd *p, size_t *np, int fd, short events)
{
	if (fd < 0)
		return -1;
	p[*np] = (struct pollfd){ .fd = fd, .events = events };
	return (int)(*np)++;
}

static short
revents(const struct pollfd *p, int slot)
{
	return slot >= 0 ? p[slot].revents : 0;
}

/* The poll timeout for what is waiting on the clock, given the one the
 * housekeeping chose. */
static int
clock_timeout(const struct keeper *k, int timeout)
{
	size_t pending = 0;

	for (size_t i = 0; i < k->nconns; i++) {
		pending += k->conns[i].kind == CONN_PENDING;
		if (k->conns[i].kind == CONN_CLOSING && (timeout < 0 || timeout > 500))
			timeout = 500; /* its grace may run out */
	}
	if (pending > 0 && (timeout < 0 || timeout > 1000))
		timeout = 1000; /* it may be pending too long */
	if (k->listen_paused_until > 0) {
		int64_t left = k->listen_paused_until - keeper_now_ms();
		if (left < 0)
			left = 0;
		if (timeout < 0 || timeout > left)
			timeout = (int)left;
	}
	return timeout;
}

/* Is the listening socket worth watching now? */
static bool
listening(struct keeper *k)
{
	size_t pending = 0;

	if (k->listen_paused_until > 0) {
		if (keeper_now_ms() < k->listen_paused_until)
			return false;
		k->listen_paused_until = 0;
	}
	for (size_t i = 0; i < k->nconns; i++)
		pending += k->conns[i].kind == CONN_PENDING;
	/* Beyond that, logins wait in the backlog until one is served. */
	return pending < MAX_PENDING;
}

/* What happened to each connection during the last poll().  Handlers
 * only mark connections as ended; nothing leaves the table until the
 * pass is over. */
static void
walk_conns(struct keeper *k, const struct pollfd *p, size_t polled)
{
	int64_t now = keeper_now_ms();

	for (size_t i = 0; i < polled; i++) {
		struct conn *c = &k->conns[i];
		short ev = revents(p, c->slot_fd), lev = revents(p, c->slot_leader);

		if (c->dead)
			continue;
		if (c->kind == CONN_CLOSING) {
			if (lev || now >= c->kill_at_ms)
				finish_closing(k, c);
			continue;
		}
		/* A CLOSE already sent wins over the leader's exit. */
		if (ev)
			on_conn_readable(k, c);
		else if (lev)
			end_session(k, c, "leader-exited");
		else if (c->kind == CONN_PENDING &&
		    now - c->since_ms >= PENDING_TIMEOUT_S * 1000)
			end_session(k, c, "pending-timeout");
	}
	if (k->terminate)
		for (size_t i = 0; i < k->nconns; i++)
			end_session(k, &k->conns[i], "terminate");
	compact_conns(k);
}

/* Serve until the tenant ends.  Every way out ends it through
 * end_tenant(): after the last session or process, tenantctl terminate,
 * a signal, or when the keeper cannot go on. */
void
keeper_loop(struct keeper *k)
{
	const char *fatal = NULL;

	for (;;) {
		size_t np = 0, want = LOOP_FIXED_SLOTS + 3 * k->nconns + KUSER_FDS,
		       polled;
		struct pollfd *p;
		int timeout = -1, slot_init, slot_listen, slot_signal, slot_mem,
		    slot_pids;
		bool events;

		/* Sized for the connections we have: a keeper lives as long as
		 * its tenant, and its memory is paid per tenant. */
		if (want > k->poll_cap) {
			struct pollfd *grown = realloc(k->poll, want * sizeof(*grown));
			if (grown == NULL) {
				fatal = "out-of-memory";
				break;
			}
			k->poll = grown;
			k->poll_cap = want;
		}
		p = k->poll;

		/* After the answers went out: a login never waits for this. */
		if (k->info_stale)
			write_info(k);
		if (keeper_now_ms() < k->gc_until_ms) {
			kcg_gc(k);
			timeout = LINGER_POLL_MS;
		}
		if (count_sessions(k) == 0 || k->terminate) {
			kcg_gc(k);
			if (tenant_done(k)) {
				if (try_teardown(k, teardown_reason(k)))
					break;
				timeout = LOCK_RETRY_MS;
			} else {
				timeout = LINGER_POLL_MS;
			}
		}
		timeout = kcg_events_timeout(k,
		    kstop_timeout(k, kuser_timeout(k, clock_timeout(k, timeout))));
		int snap_ms = kcg_snapshot(k);
		if (snap_ms >= 0 && (timeout < 0 || timeout > snap_ms))
			timeout = snap_ms;
		slot_init = add_slot(p, &np, k->init_pidfd, POLLIN);
		slot_signal = add_slot(p, &np, k->signal_fd, POLLIN);
		slot_listen = add_slot(p, &np, listening(k) ? k->listen_fd : -1, POLLIN);
		slot_mem = add_slot(p, &np, k->cg_events[0], POLLPRI);
		slot_pids = add_slot(p, &np, k->cg_events[1], POLLPRI);
		for (size_t i = 0; i < k->nconns; i++) {
			struct conn *c = &k->conns[i];

			c->slot_fd = add_slot(p, &np, c->fd, POLLIN);
			c->slot_leader = add_slot(p, &np, c->leader, POLLIN);
			c->slot_events = add_slot(p, &np, c->cg_pids_events, POLLPRI);
		}
		polled = k->nconns;
		kuser_poll_add(k, p, &np);
		if (poll(p, np, timeout) < 0) {
			if (errno == EINTR)
				continue;
			klog(LOG_ERR, "tenant %s: poll: %m", k->spec.key);
			fatal = errno == EINVAL
			    ? "poll-failed: too many fds for RLIMIT_NOFILE"
			    : "poll-failed";
			break;
		}
		if (revents(p, slot_init)) {
			fatal = "init-exited";
			break;
		}
		if (revents(p, slot_signal)) {
			struct signalfd_siginfo si;

			if (read(k->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				klog(LOG_NOTICE,
				    "tenant %s: signal %u from pid %u: ending the tenant",
				    k->spec.key, si.ssi_signo, si.ssi_pid);
			k->terminate = "keeper-signalled";
		}
		/* Counted again also once the last session is gone: its
		 * leaf's refused forks move to pids_removed. */
		events = revents(p, slot_mem) || revents(p, slot_pids) ||
		    (count_sessions(k) == 0 && k->sessions_ever > 0);
		for (size_t i = 0; i < polled; i++)
			events |= revents(p, k->conns[i].slot_events) != 0;
		/* Logins first: none waits for the accounting below. */
		walk_conns(k, p, polled);
		kuser_poll_done(k, p);
		kstop_run(k); /* terminate --grace: what is due */
		if (revents(p, slot_listen) & POLLIN)
			accept_conn(k);
		if (events || kcg_events_timeout(k, -1) == 0)
			kcg_events(k);
	}
	if (fatal)
		give_up(k, fatal);
	kstop_drop_all(k);
	/* Give init a moment to go; it cannot finish before the login
	 * program reaps its zombie in the tenant, which is not ours to await. */
	struct pollfd w = { .fd = k->init_pidfd, .events = POLLIN };
	(void)poll(&w, 1, 1000);
	(void)waitpid(k->init_pid, NULL, WNOHANG);
}
