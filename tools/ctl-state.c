/* tenantctl list | status | terminate: the live tenants, read from
 * /run/pam_tenant (root only) and asked of their keepers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-systemd.h"
#include "cgroup.h"
#include "conf.h"
#include "ctl.h"
#include "fsutil.h"
#include "identity.h"
#include "proto.h"
#include "state.h"
#include "uid.h"
#include "util.h"

struct tenant_view {
	char key[TN_KEY_MAX];
	char info[8192]; /* the keeper's info file */
	uid_t uid;
	long created;
	long keeper_pid;
	long sessions;
	long processes;        /* -1 when the keeper did not answer */
	bool has_usage;        /* the tenant has a cgroup */
	char events[1024];     /* the keeper's "event" lines (its STATUS answer) */
	char other_build[160]; /* a keeper of another protocol version: why */
	struct tn_cg_usage usage;
};

const char *
ctl_text_get(const char *info, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	const char *p = info;

	while (p && *p) {
		if (strncmp(p, name, n) == 0 && p[n] == ' ') {
			size_t k = strcspn(p + n + 1, "\n");
			if (k >= len)
				k = len - 1;
			memcpy(buf, p + n + 1, k);
			buf[k] = '\0';
			return buf;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return NULL;
}

static long
info_long(const char *info, const char *name)
{
	char buf[64];

	return ctl_text_get(info, name, buf, sizeof(buf)) ? strtol(buf, NULL, 10) : -1;
}

/* Ask the keeper; fills processes (and refreshes sessions). */
static void
ask_keeper(struct tenant_view *t)
{
	_cleanup_close_ int fd = -1;
	struct tn_msg_ctl q;
	union tn_msg m;
	int fds[TN_MAX_FDS];
	size_t nfds;
	struct pollfd p;
	struct tn_err err = { 0 };
	char buf[64];

	t->processes = -1;
	fd = state_connect_keeper(t->key, 2000, NULL);
	if (fd < 0)
		return;
	proto_init(&q, TN_MSG_STATUS);
	if (proto_send(fd, &q, NULL, 0, NULL) < 0)
		return;
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 2000) <= 0)
		return;
	if (proto_recv(fd, 1u << TN_MSG_STATUS, &m, fds, &nfds, &err) < 0) {
		if (err.code == EPROTO)
			str_copy(t->other_build, sizeof(t->other_build), err.msg);
		return;
	}
	if (ctl_text_get(m.ctl.text, "processes", buf, sizeof(buf)))
		t->processes = strtol(buf, NULL, 10);
	if (ctl_text_get(m.ctl.text, "sessions", buf, sizeof(buf)))
		t->sessions = strtol(buf, NULL, 10);
	str_copy(t->events, sizeof(t->events), m.ctl.text); /* ctl_print_events */
}

/* Usage against the limits, from the tenant's cgroup ("cgroup ROOT/user-UID"),
 * or on a systemd host from the user's slice ("slice_cgroup PATH"). */
static void
read_usage(struct tenant_view *t)
{
	char path[512], *slash;
	_cleanup_close_ int fd = -1;

	if (ctl_text_get(t->info, "slice_cgroup", path, sizeof(path))) {
		fd = sd_cgroup_open(path);
		if (fd < 0)
			return;
		cg_usage(fd, &t->usage);
		t->has_usage = true;
		return;
	}
	if (!ctl_text_get(t->info, "cgroup", path, sizeof(path)) ||
	    (slash = strrchr(path, '/')) == NULL)
		return;
	*slash = '\0';
	fd = cg_user_open(path, t->uid, CG_OPEN, NULL);
	if (fd < 0)
		return;
	cg_usage(fd, &t->usage);
	t->has_usage = true;
}

/* 1.5G, 300M, 12K; "max" for no limit. */
static const char *
human(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	double d = (double)v;
	int u = -1;

	if (v == TN_UNLIMITED)
		return "max";
	while (d >= 1024 && u < 3) {
		d /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%.1f%c", d, units[u]);
	return buf;
}

const char *
ctl_human(uint64_t v, char *buf, size_t len)
{
	return human(v, buf, len);
}

static void
json_limit(const char *key, uint64_t v)
{
	if (v == TN_UNLIMITED)
		printf(",\"%s\":null", key);
	else
		printf(",\"%s\":%llu", key, (unsigned long long)v);
}

void
ctl_print_usage_json(const struct tn_cg_usage *u)
{
	if (u == NULL) {
		printf(",\"usage\":null");
		return;
	}
	printf(",\"usage\":{\"memory_current\":%llu",
	    (unsigned long long)u->memory_current);
	json_limit("memory_max", u->memory_max);
	printf(",\"memory_peak\":%llu,\"pids_current\":%llu",
	    (unsigned long long)u->memory_peak, (unsigned long long)u->pids_current);
	json_limit("pids_max", u->pids_max);
	printf(",\"cpu_usec\":%llu,\"oom_kills\":%llu,\"pids_denied\":%llu}",
	    (unsigned long long)u->cpu_usec, (unsigned long long)u->oom_kills,
	    (unsigned long long)u->pids_denied);
}

static void
print_usage_json(const struct tenant_view *t)
{
	ctl_print_usage_json(t->has_usage ? &t->usage : NULL);
}

static int
load_view(const struct tn_state *st, const char *key, struct tenant_view *t)
{
	_cleanup_close_ int dir = -1, fd = -1;
	char buf[32];
	ssize_t n;

	memset(t, 0, sizeof(*t));
	if (str_copy(t->key, sizeof(t->key), key) < 0)
		return -ENAMETOOLONG;
	dir = openat(st->tenants, key, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	fd = openat(dir, TN_STATE_INFO, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read_full(fd, t->info, sizeof(t->info) - 1);
	if (n < 0)
		return (int)n;
	t->info[n] = '\0';
	if (!ctl_text_get(t->info, "uid", buf, sizeof(buf)) ||
	    parse_uid(buf, &t->uid) < 0)
		return -EBADMSG;
	t->created = info_long(t->info, "created");
	t->keeper_pid = info_long(t->info, "keeper_pid");
	t->sessions = info_long(t->info, "sessions");
	ask_keeper(t);
	read_usage(t);
	return 0;
}

static int
open_state(struct tn_state *st)
{
	struct tn_err err = { 0 };

	if (state_open(st, false, &err) < 0) {
		if (err.code == ENOENT)
			return 0; /* no tenant ever started: an empty list */
		fputs("tenantctl: ", stderr);
		ctl_print_safe(stderr, err.msg);
		fputc('\n', stderr);
		return -1;
	}
	return 1;
}

/* The runtime state is root's alone: say so plainly, before any output. */
static int
need_root(const char *cmd)
{
	if (geteuid() == 0)
		return 0;
	fprintf(stderr,
	    "tenantctl: %s needs root: the state of the live tenants "
	    "(%s) is readable by root only\n",
	    cmd, TN_STATE_DIR);
	return CTL_EXIT_NOPERM;
}

static int
bad_option(const char *cmd, const char *arg, const char *usage)
{
	fprintf(stderr, "tenantctl: %s: %s '", cmd,
	    arg[0] == '-' ? "unknown option" : "unexpected argument");
	ctl_print_safe(stderr, arg);
	fprintf(stderr, "'\nusage: tenantctl %s %s\n", cmd, usage);
	return CTL_EXIT_USAGE;
}

/* Call fn for every tenant (of uid, unless uid == (uid_t)-1) in the open
 * state; the number of tenants, or -1. */
static int
each_tenant_in(struct tn_state *st, uid_t uid, void (*fn)(struct tenant_view *, void *),
    void *data)
{
	struct dirent *de;
	DIR *d;
	int fd, count = 0;

	fd = openat(st->tenants, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		fprintf(stderr, "tenantctl: %s/tenants: %s\n", TN_STATE_DIR,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct tenant_view t;

		if (de->d_name[0] == '.' || load_view(st, de->d_name, &t) < 0)
			continue;
		if (uid != (uid_t)-1 && t.uid != uid)
			continue;
		fn(&t, data);
		count++;
	}
	closedir(d);
	return count;
}

static int
each_tenant(uid_t uid, void (*fn)(struct tenant_view *, void *), void *data)
{
	struct tn_state st;
	int r;

	r = open_state(&st);
	if (r <= 0)
		return r;
	r = each_tenant_in(&st, uid, fn, data);
	state_close(&st);
	return r;
}

static const char *
user_name(uid_t uid, char *buf, size_t len)
{
	struct tn_user u = { 0 };

	if (identity_by_uid(uid, &u, NULL) == 0) {
		snprintf(buf, len, "%s", u.name);
		identity_free(&u);
	} else {
		snprintf(buf, len, "%u", (unsigned)uid);
	}
	return buf;
}

/* "session COOKIE SINCE ON_LOGOUT SERVICE" (service: the rest of the line). */
static void
print_session_json(const char *line, size_t len, bool first)
{
	char buf[512], *f[4] = { NULL }, *save = NULL, *p;
	int n = 0;

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	p = buf + strlen("session ");
	for (; n < 3 && (f[n] = strtok_r(n ? NULL : p, " ", &save)) != NULL; n++)
		;
	f[3] = save && *save ? save : NULL;
	printf("%s{\"cookie\":", first ? "" : ",");
	ctl_json_string(stdout, f[0]);
	if (f[1] && strspn(f[1], "0123456789") == strlen(f[1]) && f[1][0])
		printf(",\"since\":%s", f[1]);
	else
		printf(",\"since\":null");
	printf(",\"on_logout\":");
	ctl_json_string(stdout, f[2]);
	printf(",\"service\":");
	ctl_json_string(stdout, f[3] && strcmp(f[3], "?") != 0 ? f[3] : NULL);
	printf("}");
}

/* The keeper's info text as structured JSON: namespaces, cgroup, sessions. */
static void
print_detail_json(const struct tenant_view *t)
{
	char buf[TN_CGROUP_ROOT_MAX + 32];
	bool first = true;

	printf(",\"cgroup\":");
	ctl_json_string(stdout, ctl_text_get(t->info, "cgroup", buf, sizeof(buf)));
	printf(",\"namespaces\":{");
	for (const char *p = t->info; p && *p;
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		size_t len = strcspn(p, "\n"), name = strcspn(p, " \n");

		if (strncmp(p, "ns_", 3) != 0 || name >= len || name - 3 > 16)
			continue;
		printf("%s\"%.*s\":%lld", first ? "" : ",", (int)(name - 3), p + 3,
		    strtoll(p + name + 1, NULL, 10));
		first = false;
	}
	printf("},\"session_list\":[");
	first = true;
	for (const char *p = t->info; p && *p;
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, "session ", 8) == 0) {
			print_session_json(p, strcspn(p, "\n"), first);
			first = false;
		}
	printf("]");
}

struct print_opts {
	bool json, first, detail;
};

static void
print_tenant(struct tenant_view *t, void *data)
{
	struct print_opts *o = data;
	char name[TN_MAX_NAME + 1], unit[160];
	long age = t->created > 0 ? (long)time(NULL) - t->created : -1;

	user_name(t->uid, name, sizeof(name));
	if (o->json) {
		printf("%s{\"tenant\":", o->first ? "" : ",");
		ctl_json_string(stdout, t->key);
		printf(",\"uid\":%u,\"user\":", (unsigned)t->uid);
		ctl_json_string(stdout, name);
		printf(
		    ",\"sessions\":%ld,\"processes\":%ld,\"age_seconds\":%ld,\"keeper_pid\":%ld",
		    t->sessions, t->processes, age, t->keeper_pid);
		print_usage_json(t);
		if (ctl_text_get(t->info, "unit", unit, sizeof(unit))) {
			printf(",\"unit\":");
			ctl_json_string(stdout, unit);
		}
		if (t->other_build[0]) {
			printf(",\"other_build\":");
			ctl_json_string(stdout, t->other_build);
		}
		if (o->detail) {
			print_detail_json(t);
			printf(",\"events\":[");
			ctl_print_events(t->events, true);
			printf("]");
		}
		printf("}");
	} else if (o->detail) {
		printf("tenant %s\n  user       ", t->key);
		ctl_print_safe(stdout, name);
		printf(
		    " (uid %u)\n  sessions   %ld\n  processes  %ld (besides the tenant's init)\n"
		    "  age        %ld s\n  keeper pid %ld\n",
		    (unsigned)t->uid, t->sessions, t->processes, age, t->keeper_pid);
		if (t->other_build[0])
			printf(
			    "  keeper     of another build: %s; new logins of this user "
			    "are refused until it ends\n",
			    t->other_build);
		if (t->has_usage) {
			const struct tn_cg_usage *u = &t->usage;
			char a[24], b[24], c[24];

			printf("  memory     %s of %s (peak %s), %llu OOM kill(s)\n",
			    human(u->memory_current, a, sizeof(a)),
			    human(u->memory_max, b, sizeof(b)),
			    human(u->memory_peak, c, sizeof(c)),
			    (unsigned long long)u->oom_kills);
			printf("  pids       %llu of %s, %llu fork(s) refused\n",
			    (unsigned long long)u->pids_current,
			    human(u->pids_max, a, sizeof(a)),
			    (unsigned long long)u->pids_denied);
			printf("  cpu        %.2f s used\n", (double)u->cpu_usec / 1e6);
		}
		for (const char *p = t->info; p && *p;
		     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
			if (strncmp(p, "ns_", 3) == 0 || strncmp(p, "session ", 8) == 0 ||
			    strncmp(p, "unit ", 5) == 0 ||
			    strncmp(p, "slice_cgroup ", 13) == 0)
				printf("  %.*s\n", (int)strcspn(p, "\n"), p);
		if (strstr(t->events, "event ")) {
			printf("  recent OOM kills and refused forks (newest last):\n");
			ctl_print_events(t->events, false);
		}
	} else {
		char mem[40] = "-", pids[40] = "-", shown[4 * sizeof(name)];

		if (t->has_usage) {
			char a[24], b[24];
			snprintf(mem, sizeof(mem), "%s/%s",
			    human(t->usage.memory_current, a, sizeof(a)),
			    human(t->usage.memory_max, b, sizeof(b)));
			snprintf(pids, sizeof(pids), "%llu/%s",
			    (unsigned long long)t->usage.pids_current,
			    human(t->usage.pids_max, a, sizeof(a)));
		}
		printf("%-42s %-10u %-16.16s %8ld %9ld %8ld %15s %11s\n", t->key,
		    (unsigned)t->uid, ctl_safe(shown, sizeof(shown), name), t->sessions,
		    t->processes, age, mem, pids);
	}
	o->first = false;
}

static void
print_quotas(bool json)
{
	struct tn_cgroup_probe cg;

	cgroup_probe(&cg);
	if (json) {
		printf(",\"quotas\":");
		ctl_json_string(stdout,
		    !cg.usable      ? cg.why
		        : sd_host() ? "systemd"
		                    : "available");
	} else if (!cg.usable) {
		printf("quotas: unavailable on this host (%s)\n", cg.why);
	}
}

static int
resolve_uid(const char *arg, uid_t *uid)
{
	struct tn_user u = { 0 };
	struct tn_err err = { 0 };

	if (parse_uid(arg, uid) == 0)
		return 0;
	if (identity_by_name(arg, &u, &err) < 0) {
		fputs("tenantctl: ", stderr);
		ctl_print_safe(stderr, err.msg);
		fputc('\n', stderr);
		return -1;
	}
	*uid = u.uid;
	identity_free(&u);
	return 0;
}

static int
list_or_status(int argc, char **argv, bool detail)
{
	struct print_opts o = { .first = true, .detail = detail };
	const char *cmd = detail ? "status" : "list";
	const char *usage = detail ? "[USER] [--json]" : "[--json]";
	const char *user = NULL;
	uid_t uid = (uid_t)-1;
	struct tn_state st;
	bool opts_done = false;
	int n, r;

	for (int i = 1; i < argc; i++) {
		if (!opts_done && strcmp(argv[i], "--") == 0)
			opts_done = true;
		else if (!opts_done && strcmp(argv[i], "--json") == 0)
			o.json = true;
		else if (detail && user == NULL && (opts_done || argv[i][0] != '-'))
			user = argv[i];
		else
			return bad_option(cmd, argv[i], usage);
	}
	if ((r = need_root(cmd)) != 0)
		return r;
	if (user && resolve_uid(user, &uid) < 0)
		return CTL_EXIT_USAGE;
	/* Open the state before the first byte of output: a failure then
	 * prints nothing on stdout, and JSON that is printed is complete. */
	r = open_state(&st);
	if (r < 0)
		return CTL_EXIT_FAIL;
	if (o.json)
		printf("{\"tenants\":[");
	else if (!detail)
		printf("%-42s %-10s %-16s %8s %9s %8s %15s %11s\n", "TENANT", "UID",
		    "USER", "SESSIONS", "PROCESSES", "AGE(s)", "MEMORY", "PIDS");
	n = r == 0 ? 0 : each_tenant_in(&st, uid, print_tenant, &o);
	if (r > 0)
		state_close(&st);
	if (o.json) {
		printf("]");
		print_quotas(true);
		printf("}\n");
	} else {
		if (detail && n == 0)
			printf("no live tenant%s\n",
			    uid == (uid_t)-1 ? "s" : " for that user");
		print_quotas(false);
	}
	return n < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int
cmd_list(int argc, char **argv)
{
	return list_or_status(argc, argv, false);
}

int
cmd_status(int argc, char **argv)
{
	if (geteuid() != 0)
		return cmd_status_user(argc, argv); /* their own tenant (ctl-user.c) */
	return list_or_status(argc, argv, true);
}

/* A keeper of another build does not read TERMINATE: end it the way
 * every build understands, SIGTERM (the keeper ends its tenant).  The
 * pidfd was taken while this connection pinned the keeper (its pid). */
static int
terminate_other_build(int pidfd, const struct tenant_view *t, const char *why)
{
	if (pidfd < 0 || pidfd_send_signal(pidfd, SIGTERM, NULL, 0) < 0) {
		fprintf(stderr, "tenantctl: %s: %s; SIGTERM failed: %s\n", t->key, why,
		    strerror(pidfd < 0 ? ESRCH : errno));
		return -1;
	}
	printf("terminating %s (its keeper is of another build: %s; sent SIGTERM)\n",
	    t->key, why);
	return 0;
}

static void
terminate_one(struct tenant_view *t, void *data)
{
	_cleanup_close_ int fd = state_connect_keeper(t->key, 2000, NULL);
	_cleanup_close_ int pidfd = -1;
	struct tn_msg_ctl q;
	struct tn_err err = { 0 };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	union tn_msg m;
	int fds[TN_MAX_FDS], *failed = data;
	size_t nfds;

	if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	    cred.uid == 0 && cred.pid > 0)
		pidfd = pidfd_open(cred.pid, 0);
	proto_init(&q, TN_MSG_TERMINATE);
	if (fd < 0 || proto_send(fd, &q, NULL, 0, NULL) < 0) {
		fprintf(stderr, "tenantctl: %s: keeper not reachable\n", t->key);
		(*failed)++;
		return;
	}
	/* The keeper hangs up without a word; one of another build answers
	 * with its version. */
	if (poll(&p, 1, 2000) == 1 &&
	    proto_recv(fd, 0, &m, fds, &nfds, &err) == -EPROTO) {
		if (terminate_other_build(pidfd, t, err.msg) < 0)
			(*failed)++;
		return;
	}
	printf("terminating %s\n", t->key);
}

int
cmd_terminate(int argc, char **argv)
{
	const char *user = NULL;
	bool opts_done = false;
	uid_t uid;
	int failed = 0, n, r;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strncmp(argv[i], "--session", 9) == 0 ||
		    strncmp(argv[i], "--grace", 7) == 0)
			return cmd_terminate_session(argc, argv); /* ctl-signal.c */
	for (int i = 1; i < argc; i++) {
		if (!opts_done && strcmp(argv[i], "--") == 0)
			opts_done = true;
		else if (user == NULL && (opts_done || argv[i][0] != '-'))
			user = argv[i];
		else
			return bad_option("terminate", argv[i], "USER");
	}
	if (user == NULL) {
		fprintf(stderr,
		    "tenantctl: terminate: no user given\n"
		    "usage: tenantctl terminate USER\n");
		return CTL_EXIT_USAGE;
	}
	if ((r = need_root("terminate")) != 0)
		return r;
	if (resolve_uid(user, &uid) < 0)
		return CTL_EXIT_USAGE;
	n = each_tenant(uid, terminate_one, &failed);
	if (n == 0) {
		fprintf(stderr, "tenantctl: terminate: no live tenant for ");
		ctl_print_safe(stderr, user);
		fprintf(stderr, " (uid %u)\n", (unsigned)uid);
		return CTL_EXIT_NOTENANT;
	}
	return n < 0 || failed ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

/* ---- For ctl-signal.c (kill, terminate --session): the same checks and
 * the same walk over the live tenants, without their views. ---- */

int
ctl_state_user(const char *cmd, const char *user, uid_t *uid)
{
	int r = need_root(cmd);

	if (r != 0)
		return r;
	return resolve_uid(user, uid) < 0 ? CTL_EXIT_USAGE : 0;
}

struct key_walk {
	void (*fn)(const char *key, const char *info, void *data);
	void *data;
};

static void
walk_key(struct tenant_view *t, void *data)
{
	struct key_walk *w = data;

	w->fn(t->key, t->info, w->data);
}

int
ctl_each_tenant_of(uid_t uid, void (*fn)(const char *key, const char *info, void *data),
    void *data)
{
	struct key_walk w = { fn, data };

	return each_tenant(uid, walk_key, &w);
}
