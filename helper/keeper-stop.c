/* tenantctl terminate --session --grace: SIGTERM (and SIGCONT, so that a
 * stopped process gets to handle it) now, SIGKILL to what is left when
 * the grace runs out, as systemd stops a unit (KillMode, TimeoutStopSec).
 * The keeper does not wait: the stop is a timer on its monotonic clock,
 * looked at every STOP_PROBE_MS from keeper_loop, which serves logins
 * meanwhile.  tenantctl gets a first answer at once and a final one when
 * every process is gone, or after the SIGKILL (then at most
 * KILL_SETTLE_MS later, with how many were still alive).
 *
 * Which processes: the session's leaf while it has one (a dup of its
 * fd, so it outlives the session's connection); else those SIGTERMed,
 * found again by pid and start time, with their descendants, and the
 * leader's descendants while the session lasts. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keeper.h"
#include "util.h"

#define KILL_SETTLE_MS 1000 /* after SIGKILL, for the processes to be gone */

static void
job_target(const struct stop_job *j, struct ksig_target *t)
{
	*t = (struct ksig_target){ .leaf = j->leaf,
		.leader = j->leader,
		.roots = j->roots,
		.nroots = j->nroots };
}

int
kstop_start(struct keeper *k, struct conn *ctl, const struct conn *s, uint32_t grace_ms,
    struct ksig_result *term)
{
	struct stop_job *j;
	struct ksig_target t;
	struct ksig_result cont;
	int64_t now;
	int r;

	if (k->nstops >= MAX_STOP_JOBS)
		return EBUSY;
	j = &k->stops[k->nstops];
	*j = (struct stop_job){ .fd = -1, .leaf = -1 };
	keeper_session_target(s, &t);
	j->fd = fcntl(ctl->fd, F_DUPFD_CLOEXEC, 3);
	if (t.leaf >= 0)
		j->leaf = fcntl(t.leaf, F_DUPFD_CLOEXEC, 3);
	if (j->fd < 0 || (t.leaf >= 0 && j->leaf < 0)) {
		r = errno;
		goto fail;
	}
	r = keeper_signal(k, &t, SIGTERM, term, t.leaf < 0 ? &j->roots : NULL,
	    &j->nroots);
	if (r < 0) {
		r = -r;
		goto fail;
	}
	(void)keeper_signal(k, &t, SIGCONT, &cont, NULL, NULL);
	str_copy(j->cookie, sizeof(j->cookie), s->cookie);
	j->leader = t.leader > 0 ? t.leader : 0;
	j->termed = term->count;
	j->requester = ctl->peer_pid;
	j->grace_ms = grace_ms;
	now = keeper_now_ms();
	j->kill_at_ms = now + grace_ms;
	j->probe_at_ms = now + STOP_PROBE_MS;
	k->nstops++;
	return 0;
fail:
	if (j->fd >= 0)
		close(j->fd);
	if (j->leaf >= 0)
		close(j->leaf);
	free(j->roots);
	return r;
}

/* Forget roots that are gone or whose pid was reused; zombies stay, as
 * their children still name them as parent. */
static void
refresh_roots(struct stop_job *j)
{
	for (size_t i = 0; i < j->nroots; i++) {
		struct tn_proc_id now;

		if (j->roots[i].pid > 0 &&
		    (keeper_proc_id(j->roots[i].pid, &now) < 0 ||
		        now.start != j->roots[i].start))
			j->roots[i].pid = 0;
	}
}

static void
answer(struct keeper *k, struct stop_job *j, long left)
{
	struct tn_msg_signal out;
	char extra[200];

	snprintf(extra, sizeof(extra),
	    "signal=SIGKILL processes=%u grace_ms=%u sigterm_processes=%u left=%ld session=%s requester_pid=%d",
	    j->killed, j->grace_ms, j->termed, left, j->cookie, (int)j->requester);
	if (j->killed > 0 || left > 0)
		keeper_audit(k, "tenant-session-signal", NULL,
		    left > 0 ? "processes-left" : NULL, extra, left == 0);
	klog(left > 0 ? LOG_WARNING : LOG_NOTICE, "tenant %s: stop done: %s", k->spec.key,
	    extra);
	proto_init(&out, TN_MSG_SIGNAL);
	out.signo = j->killed_at_ms ? SIGKILL : SIGTERM;
	out.flags = TN_SIGNAL_SESSION | TN_SIGNAL_TERMINATE | TN_SIGNAL_FINAL |
	    (j->escaped ? TN_SIGNAL_ESCAPED : 0);
	out.grace_ms = j->grace_ms;
	out.count = j->termed;
	out.killed = j->killed;
	out.left = left > 0 ? (uint32_t)left : 0;
	memcpy(out.cookie, j->cookie, sizeof(out.cookie));
	(void)proto_send(j->fd, &out, NULL, 0, NULL); /* tenantctl may be gone */
}

static void
job_free(struct stop_job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->leaf >= 0)
		close(j->leaf);
	free(j->roots);
	j->fd = j->leaf = -1;
	j->roots = NULL;
}

/* Is the stop over?  Looks, and sends SIGKILL when the grace is out. */
static bool
job_step(struct keeper *k, struct stop_job *j, int64_t now)
{
	struct ksig_target t;
	struct ksig_result res;
	long alive;

	refresh_roots(j);
	job_target(j, &t);
	if (j->killed_at_ms == 0 && now >= j->kill_at_ms) {
		j->killed_at_ms = now;
		(void)keeper_signal(k, &t, SIGKILL, &res, NULL, NULL);
		j->killed += res.count;
		j->escaped = res.escaped;
	} else if (j->killed_at_ms && j->escaped) {
		(void)keeper_signal(k, &t, SIGKILL, &res, NULL, NULL); /* again */
		j->killed += res.count;
		j->escaped = res.escaped;
	}
	alive = keeper_count_alive(k, &t);
	if (alive == 0 || (j->killed_at_ms && now - j->killed_at_ms >= KILL_SETTLE_MS)) {
		answer(k, j, alive < 0 ? 0 : alive);
		return true;
	}
	return false;
}

void
kstop_run(struct keeper *k)
{
	int64_t now = keeper_now_ms();

	for (size_t i = 0; i < k->nstops;) {
		struct stop_job *j = &k->stops[i];

		if (now < j->probe_at_ms && (j->killed_at_ms || now < j->kill_at_ms)) {
			i++;
			continue;
		}
		j->probe_at_ms = now + STOP_PROBE_MS;
		if (!job_step(k, j, now)) {
			i++;
			continue;
		}
		job_free(j);
		k->stops[i] = k->stops[--k->nstops];
	}
}

int
kstop_timeout(const struct keeper *k, int timeout)
{
	int64_t now = keeper_now_ms();

	for (size_t i = 0; i < k->nstops; i++) {
		const struct stop_job *j = &k->stops[i];
		int64_t at = j->probe_at_ms;

		if (!j->killed_at_ms && j->kill_at_ms < at)
			at = j->kill_at_ms;
		at = at > now ? at - now : 0;
		if (timeout < 0 || timeout > at)
			timeout = (int)at;
	}
	return timeout;
}

/* Its leader's pid may be reused from now on: the roots remain. */
void
kstop_session_ended(struct keeper *k, const struct conn *s)
{
	for (size_t i = 0; i < k->nstops; i++)
		if (strcmp(k->stops[i].cookie, s->cookie) == 0)
			k->stops[i].leader = 0;
}

/* The tenant ends (tenantctl terminate, a signal, a fatal error): no
 * more grace, as for a closing session; each tenantctl is answered. */
void
kstop_drop_all(struct keeper *k)
{
	for (size_t i = 0; i < k->nstops; i++) {
		struct stop_job *j = &k->stops[i];
		struct ksig_target t;
		long alive;

		refresh_roots(j);
		job_target(j, &t);
		alive = keeper_count_alive(k, &t);
		if (alive > 0) {
			struct ksig_result res;

			j->killed_at_ms = keeper_now_ms();
			(void)keeper_signal(k, &t, SIGKILL, &res, NULL, NULL);
			j->killed += res.count;
			j->escaped = res.escaped;
			alive = res.escaped ? keeper_count_alive(k, &t) : 0;
		}
		answer(k, j, alive < 0 ? 0 : alive);
		job_free(j);
	}
	k->nstops = 0;
}
