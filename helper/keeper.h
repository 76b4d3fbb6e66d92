/* The keeper's state, shared by keeper.c (sessions and teardown),
 * keeper-setup.c (starting a tenant) and keeper-cgroup.c (quotas). */
#ifndef TENANT_KEEPER_H
#define TENANT_KEEPER_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "audit.h"
#include "cgroup.h"
#include "helper.h"

/* Connections a keeper holds at once: sessions, logins on their way in,
 * sessions waiting for their leader to go (on_logout = kill), tenantctl.
 * The keeper's RLIMIT_NOFILE is sized from this (keeper-setup.c). */
#define MAX_CONNS 1024
#define MAX_PENDING 32      /* accepted, first message not read yet */
#define PENDING_TIMEOUT_S 5 /* ... dropped when it takes longer */
#define KILL_GRACE_S 5      /* how long a closing leader may take to exit */

_Static_assert(TN_SESSIONS_MAX_LIMIT <= MAX_CONNS,
    "a keeper's table holds the most sessions sessions.max allows");

enum conn_kind {
	CONN_PENDING, /* accepted, first message not read yet */
	CONN_SESSION, /* a live session */
	CONN_CLOSING, /* ended with on_logout = kill: waiting for its leader
			 to leave before the session's cgroup is killed */
};

struct conn {
	enum conn_kind kind;
	/* Ended: its fds close, and it leaves the table, after the pass over
	 * the poll results (keeper_loop); nothing moves during that pass. */
	bool dead;
	/* Its entries in keeper_loop's poll array, -1 where none. */
	int slot_fd, slot_leader, slot_events;
	int fd;
	int leader;         /* pidfd of the process that opened the session */
	pid_t peer_pid;     /* who connected (SO_PEERCRED) */
	int cg_leaf;        /* the session's cgroup, -1 without */
	int cg_pids_events; /* its pids.events (refused forks land here) */
	/* systemd backend: its unit's usage as last read, for the
	 * session-end record if systemd removed the unit's cgroup first
	 * (terminate-user); usage_at 0 = never read. */
	struct tn_cg_usage usage;
	int64_t usage_at; /* keeper_now_ms() */
	char cookie[TN_COOKIE_HEX + 1];
	char user[257], service[64], tty[64], rhost[256];
	enum tn_on_logout on_logout;
	time_t since; /* wall clock, shown: accepted, then joined */
	/* keeper_now_ms(): timers run on CLOCK_MONOTONIC, so a clock jump
	 * neither drops a pending login early nor keeps it for an hour */
	int64_t since_ms, kill_at_ms;
};

/* ---- keeper-user.c: the tenant's own user asks for its status ---------
 * A second listening socket, bound by tenant-init in the tenant's marker
 * tmpfs (/run/pam_tenant/status.sock inside the tenant only).  Read-only:
 * STATUS is the one request it serves; peers must be the tenant's uid or
 * root.  Bounded so that a user cannot wedge the keeper: few connections,
 * a short timeout, a pause between accepts, non-blocking answers. */
#define KUSER_MAX_CONNS 4     /* accepted, request not answered yet */
#define KUSER_TIMEOUT_MS 1000 /* for the request to arrive */
#define KUSER_PAUSE_MS 20     /* between accepts: at most 50 answers a second */
#define KUSER_EVENTS 8        /* the last OOM kills and refused forks kept */
#define KUSER_FDS (1 + KUSER_MAX_CONNS)

enum kuser_event_kind { KUSER_EV_OOM = 1, KUSER_EV_FORK = 2 };

/* One entry per burst: readings of the same kind less than
 * KUSER_COALESCE_S apart add up (a fork loop wakes us once per fork). */
#define KUSER_COALESCE_S 60
struct kuser_event {
	time_t at, last; /* first and last reading */
	enum kuser_event_kind kind;
	uint64_t count;
};

struct kuser_conn {
	int fd, slot;
	int64_t since; /* keeper_now_ms() */
	uid_t uid;
	pid_t pid;
};

struct kuser {
	int listen_fd, slot_listen;
	int64_t paused_until; /* ms, CLOCK_MONOTONIC */
	struct kuser_conn conns[KUSER_MAX_CONNS];
	size_t nconns;
	struct kuser_event ring[KUSER_EVENTS];
	uint64_t nevents; /* ever; the next goes to nevents % KUSER_EVENTS */
	uint64_t oom_total, forks_total;     /* since the keeper started */
	uint64_t oom_told, forks_told;       /* as of the user's last login told */
	uint64_t oom_carried, forks_carried; /* from an earlier tenant, untold */
	int64_t log_next;                    /* rate limit for refusals in syslog */
	unsigned log_suppressed;
	long procs; /* count_processes(), at most once a second for users */
	int64_t procs_at;
};

/* A process found again by pid and start time (keeper-signal.c). */
struct tn_proc_id {
	pid_t pid; /* host pid; 0 once found gone */
	bool zombie;
	unsigned long long start; /* /proc/PID/stat starttime */
};
/* A terminate --session waiting out its grace (keeper-stop.c). */
#define MAX_STOP_JOBS 8
#define STOP_PROBE_MS 100 /* how often a stop looks whether all are gone */
struct stop_job {
	int fd; /* tenantctl's connection, -1 once answered */
	char cookie[TN_COOKIE_HEX + 1];
	int leaf;                 /* a dup of the session's leaf, or -1 */
	pid_t leader;             /* while the session lasts, else 0 */
	struct tn_proc_id *roots; /* without a leaf: those SIGTERMed */
	size_t nroots;
	unsigned termed, killed, grace_ms;
	bool escaped; /* the last SIGKILL passes ran out */
	pid_t requester;
	int64_t kill_at_ms, probe_at_ms, killed_at_ms; /* keeper_now_ms() */
};
struct keeper {
	struct tenant_spec spec;
	struct tn_state st;
	struct tn_audit audit;
	int tenant_dir;
	int listen_fd;
	int reserve_fd; /* /dev/null, given up to accept and refuse at EMFILE */
	int signal_fd;  /* SIGTERM, SIGINT, SIGHUP: end the tenant cleanly */
	int64_t listen_paused_until; /* ms, CLOCK_MONOTONIC */
	int init_pidfd;
	pid_t init_pid;
	int proc_fd;
	int ns_fd[TN_NS_COUNT];
	uint64_t ns_ino[TN_NS_COUNT];
	unsigned ns_mask;
	struct conn conns[MAX_CONNS];
	size_t nconns;
	unsigned sessions_ever;
	bool kill_on_empty; /* the last session to end asked for on_logout = kill */
	const char
	    *terminate;  /* why the tenant must end now (tenantctl terminate, a signal) */
	bool info_stale; /* sessions changed since the info file was written */
	time_t created;  /* wall clock, shown */
	int64_t created_ms; /* keeper_now_ms() */
	/* quotas (keeper-cgroup.c); -1 without cgroups */
	int cg_user;
	int cg_events[2]; /* memory.events, pids.events: poll POLLPRI */
	uint64_t seen_oom, seen_pids;
	/* syslog and audit get at most one record a second, of the totals
	 * (kcg_events): what they were at the last one, and when the next
	 * may go */
	uint64_t logged_oom, logged_pids;
	int64_t log_next_ms;
	uint64_t pids_removed; /* refused forks counted in removed leaves */
	int64_t gc_until_ms;   /* look for emptied session cgroups until then */
	/* systemd backend: the slice's usage as last read (see conn.usage) */
	struct tn_cg_usage user_usage;
	int64_t user_usage_at, usage_next;
	struct pollfd *poll; /* keeper_loop's array, grown as needed */
	size_t poll_cap;
	/* the config as last parsed for a fast join (keeper-open.c) */
	struct tn_conf *conf;
	struct tn_conf_stamp conf_stamp;
	struct kuser user;                    /* keeper-user.c */
	struct stop_job stops[MAX_STOP_JOBS]; /* keeper-stop.c */
	size_t nstops;
};

void klog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void keeper_audit(struct keeper *k, const char *op, const struct conn *c,
    const char *reason, const char *extra, bool ok);
void write_info(struct keeper *k);
void remove_state(struct keeper *k);

/* keeper.c: serve until the tenant ends. */
void keeper_loop(struct keeper *k);
/* Mark c for removal (its fds close after the current pass). */
void drop_conn(struct conn *c);
/* End c: a session is audited and on_logout applied; others are dropped. */
void end_session(struct keeper *k, struct conn *c, const char *reason);
long count_processes(const struct keeper *k);
int64_t keeper_now_ms(void);

/* keeper-serve.c: requests and new connections. */
void on_conn_readable(struct keeper *k, struct conn *c);
void accept_conn(struct keeper *k);
/* The starting helper's JOIN, on fd (a socketpair end, then the link). */
struct conn *serve_first_join(struct keeper *k, int fd);
/* Connection c becomes a live session of the tenant. */
void keeper_add_session(struct keeper *k, struct conn *c, int leader, const char *cookie,
    const char *user, const char *service, const char *tty, const char *rhost,
    enum tn_on_logout on_logout, bool with_cgroup);

/* keeper-signal.c: tenantctl kill / terminate --session.  What to
 * signal: the whole tenant, or a session's leaf, or the descendants of
 * its leader (not the leader: the login program) and the roots with
 * their descendants (processes found again by pid and start time). */
struct ksig_target {
	bool whole_tenant;
	int leaf;     /* -1: none */
	pid_t leader; /* 0: none */
	const struct tn_proc_id *roots;
	size_t nroots;
};
struct ksig_result {
	unsigned count;  /* processes signalled */
	unsigned passes; /* scans (SIGKILL: until one finds nothing new) */
	unsigned ms;     /* time taken */
	bool escaped;    /* SIGKILL: the bounds ran out, some may be left */
	bool cut;        /* more processes than one scan holds */
};
/* 0, or a negative errno (-ESRCH: no leader any more).  signalled (may be
 * NULL; not for the tenant's own PID namespace): who got it, malloc'd. */
int keeper_signal(const struct keeper *k, const struct ksig_target *t, int sig,
    struct ksig_result *res, struct tn_proc_id **signalled, size_t *nsignalled);
/* How many live (not zombie) processes the target holds. */
long keeper_count_alive(const struct keeper *k, const struct ksig_target *t);
void keeper_session_target(const struct conn *c, struct ksig_target *t);
int keeper_proc_id(pid_t pid, struct tn_proc_id *id);

/* keeper-stop.c: terminate --session with a grace: SIGTERM now, SIGKILL
 * to what is left when it runs out, on the keeper's clock; tenantctl is
 * answered twice (at once, and when it is over). */
/* 0, or a positive errno for the answer (EBUSY: too many stops). */
int kstop_start(struct keeper *k, struct conn *ctl, const struct conn *s,
    uint32_t grace_ms, struct ksig_result *term);
void kstop_run(struct keeper *k);
int kstop_timeout(const struct keeper *k, int timeout);
void kstop_session_ended(struct keeper *k, const struct conn *s);
void kstop_drop_all(struct keeper *k);

/* keeper-open.c: a login joining without the helper. */
void serve_open(struct keeper *k, struct conn *c, const struct tn_msg_open *req);
size_t count_sessions(const struct keeper *k);

/* keeper-user.c (struct kuser above) */
void kuser_start(struct keeper *k, int listen_fd);
void kuser_stop(struct keeper *k);
/* keeper_loop: add our poll slots (at most KUSER_FDS), lower the timeout
 * for what waits on the clock, and serve what poll() found. */
void kuser_poll_add(struct keeper *k, struct pollfd *p, size_t *np);
int kuser_timeout(const struct keeper *k, int timeout);
void kuser_poll_done(struct keeper *k, const struct pollfd *p);
/* kcg_events: count OOM kills or refused forks seen just now. */
void kuser_event(struct keeper *k, enum kuser_event_kind kind, uint64_t count);
/* What a joining login is told (since the last login told), and that it
 * was: a silent login (PAM_SILENT) leaves it for the next one. */
struct tn_notice kuser_notice(struct keeper *k);
void kuser_notice_given(struct keeper *k, bool silent);
/* Across tenants, under the uid lock: an ending tenant keeps what its
 * user was not told (notices/<uid>); the next one takes it. */
void kuser_notice_save(struct keeper *k);
void kuser_notice_load(struct keeper *k);
/* "event FIRST LAST oom|fork COUNT" lines, newest last, into buf. */
size_t kuser_events_text(const struct keeper *k, char *buf, size_t len);

/* keeper-cgroup.c */
void kcg_open(struct keeper *k);
void kcg_join(struct keeper *k, struct conn *c);
void kcg_usage_text(int dir_fd, char *buf, size_t len);
/* The same, falling back to the last snapshot (with its age) when the
 * cgroup is gone. */
void kcg_usage_or_last(int dir_fd, const struct tn_cg_usage *last, int64_t at, char *buf,
    size_t len);
/* systemd backend: snapshot every session's and the slice's usage when
 * due; returns the poll timeout (ms) until the next one, -1 if none. */
int kcg_snapshot(struct keeper *k);
void kcg_events(struct keeper *k);
/* The poll timeout until a held-back record is due (-1: none held). */
int kcg_events_timeout(const struct keeper *k, int timeout);
/* Write a held-back record now (the tenant ends). */
void kcg_events_flush(struct keeper *k);
int kcg_populated(const struct keeper *k);
void kcg_kill_session(struct keeper *k, struct conn *c);
void kcg_gc(struct keeper *k);
void kcg_teardown(struct keeper *k);

#endif
