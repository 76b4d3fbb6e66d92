/* The keeper's side of quotas: it watches the user's cgroup for OOM kills
 * and refused forks, kills a session's cgroup on logout when asked, sums
 * up usage for the audit trail, and removes empty cgroups. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-systemd.h"
#include "fsutil.h"
#include "keeper.h"
#include "util.h"

/* systemd backend: the user's slice (for usage and events) and each
 * session's unit are opened read-only; nothing is written. */
static void
sd_open(struct keeper *k)
{
	int fd;

	if (!k->spec.sd_slice_cg[0])
		return;
	fd = sd_cgroup_open(k->spec.sd_slice_cg);
	k->cg_user = fd >= 0 ? fd : -1;
}

static int
sd_session_cgroup(int leader)
{
	char cg[512];
	pid_t pid = sd_pidfd_pid(leader);
	int fd;

	if (pid <= 0 || cg_proc_path(pid, true, cg, sizeof(cg)) < 0)
		return -1;
	fd = sd_cgroup_open(cg);
	return fd >= 0 ? fd : -1;
}

/* Often enough that a session ended by terminate-user, whose scope
 * systemd may remove before the keeper reads it, still has figures. */
#define SNAPSHOT_MS 5000

void
kcg_open(struct keeper *k)
{
	k->cg_events[0] = k->cg_events[1] = -1;
	if (k->cg_user >= 0)
		return;
	if (k->spec.sd)
		sd_open(k);
	else if (k->spec.cgroup_root[0])
		k->cg_user =
		    cg_user_open(k->spec.cgroup_root, k->spec.uid, CG_OPEN, NULL);
	if (k->cg_user < 0)
		return;
	/* *.events files wake poll() with POLLPRI when they change. */
	k->cg_events[0] = openat(k->cg_user, "memory.events", O_RDONLY | O_CLOEXEC);
	k->cg_events[1] = openat(k->cg_user, "pids.events", O_RDONLY | O_CLOEXEC);
	/* On the first login's path: only the counters events compare with;
	 * the first usage snapshot waits until the login was answered. */
	cg_event_counts(k->cg_user, &k->seen_oom, &k->seen_pids);
	k->logged_oom = k->seen_oom;
	k->logged_pids = k->seen_pids;
	k->usage_next = keeper_now_ms() + SNAPSHOT_MS;
}

void
kcg_join(struct keeper *k, struct conn *c)
{
	if (k->cg_user < 0)
		kcg_open(k);
	if (k->spec.sd)
		c->cg_leaf = sd_session_cgroup(c->leader);
	else
		c->cg_leaf =
		    k->cg_user >= 0 ? cg_session_open(k->cg_user, c->cookie) : -1;
	if (c->cg_leaf >= 0)
		c->cg_pids_events =
		    openat(c->cg_leaf, "pids.events", O_RDONLY | O_CLOEXEC);
	if (k->spec.sd && c->cg_leaf >= 0) {
		cg_usage(c->cg_leaf, &c->usage);
		c->usage_at = keeper_now_ms();
	}
}

static void
usage_text(const struct tn_cg_usage *u, char *buf, size_t len)
{
	char peak[40] = "";

	/* A session leaf of a tenant with lxcfs's view has no memory
	 * files (cgroup.h): no figure rather than 0. */
	if (u->has_memory)
		snprintf(peak, sizeof(peak), " memory_peak=%" PRIu64, u->memory_peak);
	snprintf(buf, len,
	    "cpu_usec=%" PRIu64 "%s oom_kills=%" PRIu64 " pids_denied=%" PRIu64,
	    u->cpu_usec, peak, u->oom_kills, u->pids_denied);
}

void
kcg_usage_text(int dir_fd, char *buf, size_t len)
{
	struct tn_cg_usage u;

	buf[0] = '\0';
	/* A cgroup already removed (systemd collects a stopped unit at once)
	 * reads as nothing: no figures rather than zeros. */
	if (dir_fd < 0 || cg_populated(dir_fd) < 0)
		return;
	cg_usage(dir_fd, &u);
	usage_text(&u, buf, len);
}

void
kcg_usage_or_last(int dir_fd, const struct tn_cg_usage *last, int64_t at, char *buf,
    size_t len)
{
	size_t n;

	kcg_usage_text(dir_fd, buf, len);
	if (buf[0] || at <= 0)
		return;
	/* systemd removed the unit's cgroup before we could read it (all
	 * its processes were killed at once: terminate-user): the last
	 * snapshot, figures as of usage_age_ms ago (lower bounds). */
	usage_text(last, buf, len);
	n = strlen(buf);
	snprintf(buf + n, len - n, " usage_age_ms=%lld",
	    (long long)(keeper_now_ms() - at));
}

static void
snap(int dir_fd, struct tn_cg_usage *u, int64_t *at, int64_t now)
{
	if (dir_fd < 0 || cg_populated(dir_fd) < 0)
		return;
	cg_usage(dir_fd, u);
	*at = now;
}

int
kcg_snapshot(struct keeper *k)
{
	int64_t now = keeper_now_ms();
	bool any = false;

	if (!k->spec.sd)
		return -1;
	for (size_t i = 0; i < k->nconns; i++)
		any |= k->conns[i].kind == CONN_SESSION && k->conns[i].cg_leaf >= 0;
	if (!any && k->cg_user < 0)
		return -1;
	if (now >= k->usage_next) {
		for (size_t i = 0; i < k->nconns; i++) {
			struct conn *c = &k->conns[i];

			if (c->kind == CONN_SESSION)
				snap(c->cg_leaf, &c->usage, &c->usage_at, now);
		}
		snap(k->cg_user, &k->user_usage, &k->user_usage_at, now);
		k->usage_next = now + SNAPSHOT_MS;
	}
	return (int)(k->usage_next - now);
}

/* Re-arm a *.events fd: read it again from the start. */
static void
drain(int fd)
{
	char buf[512];

	if (fd >= 0)
		(void)!pread(fd, buf, sizeof(buf), 0);
}

/* A fork bomb against pids.max wakes us up to every 10 ms per events
 * file: syslog and audit get at most one record of each kind a second,
 * with the count since the last one. */
#define EVENT_LOG_GAP_MS 1000

static bool
events_held(const struct keeper *k)
{
	return k->seen_oom > k->logged_oom || k->seen_pids > k->logged_pids;
}

/* Syslog and audit what is new since the last record. */
static void
log_events(struct keeper *k)
{
	struct tn_cg_usage u;
	char extra[128];

	cg_usage(k->cg_user, &u); /* the limits, for the records */
	if (k->seen_oom > k->logged_oom) {
		snprintf(extra, sizeof(extra),
		    "oom_kills=%" PRIu64 " memory_max=%" PRIu64, k->seen_oom,
		    u.memory_max);
		klog(LOG_WARNING,
		    "tenant %s: %" PRIu64 " process(es) killed at memory.max",
		    k->spec.key, k->seen_oom - k->logged_oom);
		keeper_audit(k, "tenant-oom-kill", NULL, "memory.max reached", extra,
		    false);
		k->logged_oom = k->seen_oom;
	}
	if (k->seen_pids > k->logged_pids) {
		snprintf(extra, sizeof(extra),
		    "pids_denied=%" PRIu64 " pids_max=%" PRIu64, k->seen_pids,
		    u.pids_max);
		klog(LOG_WARNING,
		    "tenant %s: fork refused at pids.max (%" PRIu64 " times)",
		    k->spec.key, k->seen_pids - k->logged_pids);
		keeper_audit(k, "tenant-pids-max", NULL, "pids.max reached", extra,
		    false);
		k->logged_pids = k->seen_pids;
	}
	k->log_next_ms = keeper_now_ms() + EVENT_LOG_GAP_MS;
}

/* OOM kills or forks refused at pids.max: counted for the user's view at
 * once, recorded in syslog and audit when due. */
void
kcg_events(struct keeper *k)
{
	uint64_t oom, denied;

	drain(k->cg_events[0]);
	drain(k->cg_events[1]);
	for (size_t i = 0; i < k->nconns; i++)
		drain(k->conns[i].cg_pids_events);
	if (k->cg_user < 0)
		return;
	cg_event_counts(k->cg_user, &oom, &denied);
	denied += k->pids_removed;
	if (oom > k->seen_oom) {
		kuser_event(k, KUSER_EV_OOM, oom - k->seen_oom);
		k->seen_oom = oom;
	}
	if (denied > k->seen_pids) {
		kuser_event(k, KUSER_EV_FORK, denied - k->seen_pids);
		k->seen_pids = denied;
	}
	if (events_held(k) && keeper_now_ms() >= k->log_next_ms)
		log_events(k);
}

int
kcg_events_timeout(const struct keeper *k, int timeout)
{
	int64_t left;

	if (k->cg_user < 0 || !events_held(k))
		return timeout;
	left = k->log_next_ms - keeper_now_ms();
	if (left < 0)
		left = 0;
	return timeout < 0 || timeout > left ? (int)left : timeout;
}

void
kcg_events_flush(struct keeper *k)
{
	if (k->cg_user >= 0 && events_held(k))
		log_events(k);
}

static bool
leaf_populated(int user_fd, const char *name, int leaf_fd, void *data)
{
	(void)user_fd;
	(void)name;
	*(int *)data = cg_populated(leaf_fd);
	return *(int *)data == 0; /* stop at the first one with processes */
}

int
kcg_populated(const struct keeper *k)
{
	int populated = 0;

	/* systemd: the user's slice also holds processes outside the
	 * tenant (user@UID.service, exempt logins): count the tenant's. */
	if (k->spec.sd || k->cg_user < 0)
		return -1;
	if (!k->spec.cg_flat)
		return cg_populated(k->cg_user);
	/* tenant-init lives in the user cgroup itself: only the leaves. */
	if (!cg_each_session(k->cg_user, leaf_populated, &populated))
		return -1;
	return populated;
}

/* on_logout = kill for one session: its cgroup, and nothing else. */
void
kcg_kill_session(struct keeper *k, struct conn *c)
{
	struct tn_err err = { 0 };

	if (c->cg_leaf < 0)
		return;
	if (k->spec.sd) {
		/* The session's own unit, by signals (no cgroup.kill). */
		if (sd_kill_cgroup(c->cg_leaf, 2000) < 0)
			klog(LOG_ERR,
			    "tenant %s, session %s: processes left after SIGKILL",
			    k->spec.key, c->cookie);
		return;
	}
	if (cg_kill(c->cg_leaf, &err) < 0)
		klog(LOG_ERR, "tenant %s, session %s: %s", k->spec.key, c->cookie,
		    err.msg);
}

static bool
is_live_leaf(const struct keeper *k, const char *name)
{
	for (size_t i = 0; i < k->nconns; i++)
		if (k->conns[i].kind != CONN_PENDING &&
		    strcmp(name + strlen("session-"), k->conns[i].cookie) == 0)
			return true;
	return false;
}

static bool
remove_ended(int user_fd, const char *name, int leaf_fd, void *data)
{
	struct keeper *k = data;
	struct tn_cg_usage u;

	if (is_live_leaf(k, name) || cg_populated(leaf_fd) != 0)
		return true;
	cg_usage(leaf_fd, &u); /* its refused forks are counted there: keep the tally */
	if (cg_remove(user_fd, name) == 0)
		k->pids_removed += u.pids_denied;
	return true;
}

/* Remove the cgroups of ended sessions whose processes are all gone.
 * Under the per-uid lock: a login creates its leaf under it before the
 * keeper hears of the session, and that leaf is empty for a moment. */
void
kcg_gc(struct keeper *k)
{
	_cleanup_close_ int lock = -1;

	if (k->cg_user < 0 || k->spec.sd)
		return; /* systemd collects its units itself */
	lock = state_lock_uid(&k->st, k->spec.uid, true, NULL);
	if (lock < 0)
		return; /* a login is under way: next time */
	(void)cg_each_session(k->cg_user, remove_ended, k);
}

void
kcg_teardown(struct keeper *k)
{
	struct tn_err err = { 0 };

	if (k->cg_user < 0)
		return;
	if (k->spec.sd) {
		/* Nothing of ours in systemd's tree: killing init ends the
		 * tenant's processes (its PID namespace). */
		for (int i = 0; i < 2; i++)
			if (k->cg_events[i] >= 0)
				close(k->cg_events[i]);
		close(k->cg_user);
		k->cg_user = -1;
		return;
	}
	if (cg_kill(k->cg_user, &err) < 0)
		klog(LOG_ERR, "tenant %s: %s", k->spec.key, err.msg);
	/* Killed processes take a moment to leave their cgroups. */
	for (int i = 0; i < 100 && cg_populated(k->cg_user) > 0; i++)
		usleep(20 * 1000);
	for (int i = 0; i < 2; i++)
		if (k->cg_events[i] >= 0)
			close(k->cg_events[i]);
	close(k->cg_user);
	k->cg_user = -1;
	cg_remove_empty(k->spec.cgroup_root, k->spec.uid, true);
}
