/* tenantctl status run by an ordinary user: their own tenant, asked of
 * its keeper over the read-only status socket that exists only inside
 * the tenant (/run/pam_tenant/status.sock in the tenant's marker mount).
 * Outside a tenant (an exempt service, a degraded login) there is no way
 * to it: the host's /run/pam_tenant is root's alone. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "ctl.h"
#include "identity.h"
#include "proto.h"
#include "state.h"
#include "uid.h"
#include "util.h"

#define ASK_TIMEOUT_MS 2000

/* Is /run/pam_tenant a tenant's marker mount (a read-only tmpfs)?  The
 * keeper's answer is checked further; this only tells a user outside any
 * tenant why there is nothing to ask. */
static bool
inside_a_tenant(void)
{
	_cleanup_close_ int fd =
	    open(TN_STATE_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct statfs sfs;

	return fd >= 0 && fstatfs(fd, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC &&
	    (sfs.f_flags & ST_RDONLY);
}

/* The keeper's STATUS text, or -1 with a message printed. */
static int
ask(char *text, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = ASK_TIMEOUT_MS / 1000 };
	_cleanup_close_ int fd = -1;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct tn_msg_ctl q;
	struct tn_err err = { 0 };
	struct pollfd p;
	union tn_msg m;
	int fds[TN_MAX_FDS];
	size_t nfds;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", TN_STATE_DIR, TN_USER_SOCKET);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr,
		    "tenantctl: status: cannot reach your tenant's keeper (%s: %s)\n",
		    sa.sun_path, strerror(errno));
		return -1;
	}
	/* Only root can bind in the marker mount; check anyway. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 || cred.uid != 0) {
		fprintf(stderr, "tenantctl: status: %s is not served by root\n",
		    sa.sun_path);
		return -1;
	}
	proto_init(&q, TN_MSG_STATUS);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (proto_send(fd, &q, NULL, 0, &err) < 0 || poll(&p, 1, ASK_TIMEOUT_MS) <= 0 ||
	    proto_recv(fd, 1u << TN_MSG_STATUS, &m, fds, &nfds, &err) < 0) {
		fprintf(stderr,
		    "tenantctl: status: no answer from your tenant's keeper%s%s\n",
		    err.msg[0] ? ": " : "", err.msg);
		return -1;
	}
	str_copy(text, len, m.ctl.text);
	return 0;
}

/* Number of "name N" in the text, or -1. */
static long long
field_num(const char *text, const char *name)
{
	char buf[32];

	return ctl_text_get(text, name, buf, sizeof(buf)) ? strtoll(buf, NULL, 10) : -1;
}

struct usage_line {
	bool have;
	struct tn_cg_usage u;
};

static struct usage_line
parse_usage(const char *text)
{
	struct usage_line l = { 0 };
	char buf[256];
	unsigned long long v[8];

	if (ctl_text_get(text, "usage", buf, sizeof(buf)) &&
	    sscanf(buf, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
	        &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
		l.have = true;
		l.u = (struct tn_cg_usage){ .memory_current = v[0],
			.memory_peak = v[1],
			.memory_max = v[2],
			.pids_current = v[3],
			.pids_max = v[4],
			.cpu_usec = v[5],
			.oom_kills = v[6],
			.pids_denied = v[7] };
	}
	return l;
}

static const char *
when(long long t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

/* "PREFIX a b c" lines in order: fn gets the rest of each. */
static void
each_line(const char *text, const char *prefix, void (*fn)(const char *rest, void *),
    void *data)
{
	size_t n = strlen(prefix);

	for (const char *p = text; p && *p;
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		char line[256];
		size_t k = strcspn(p, "\n");

		if (strncmp(p, prefix, n) != 0 || p[n] != ' ' || k >= sizeof(line))
			continue;
		memcpy(line, p + n + 1, k - n - 1);
		line[k - n - 1] = '\0';
		fn(line, data);
	}
}

struct line_opts {
	bool json, first;
};

static void
print_event(const char *rest, void *data)
{
	struct line_opts *o = data;
	long long at = 0, last = 0;
	unsigned long long count = 0;
	char kind[8] = "", t[40], until[40];
	bool oom;

	if (sscanf(rest, "%lld %lld %7s %llu", &at, &last, kind, &count) != 4)
		return;
	oom = strcmp(kind, "oom") == 0;
	if (o->json) {
		printf("%s{\"time\":%lld,\"last\":%lld,\"kind\":\"%s\",\"count\":%llu}",
		    o->first ? "" : ",", at, last, oom ? "oom-kill" : "fork-refused",
		    count);
		o->first = false;
		return;
	}
	printf("    %s  %llu %s", when(at, t, sizeof(t)), count,
	    oom ? "process(es) killed at memory.max" : "fork(s) refused at pids.max");
	if (last > at) /* a burst: until its last reading */
		printf(" (until %s)", when(last, until, sizeof(until)));
	printf("\n");
}

void
ctl_print_events(const char *text, bool json)
{
	struct line_opts o = { .json = json, .first = true };

	each_line(text, "event", print_event, &o);
}

static void
print_session(const char *rest, void *data)
{
	struct line_opts *o = data;
	long long since = 0;
	int off = 0;
	char t[40];

	if (sscanf(rest, "%lld %n", &since, &off) != 1 || off <= 0)
		return;
	if (o->json) {
		printf("%s{\"since\":%lld,\"service\":", o->first ? "" : ",", since);
		ctl_json_string(stdout, strcmp(rest + off, "?") ? rest + off : NULL);
		printf("}");
		o->first = false;
		return;
	}
	printf("  session    since %s, ", when(since, t, sizeof(t)));
	ctl_print_safe(stdout, rest + off);
	printf("\n");
}

static void
print_json(const char *text, const char *name, long long age)
{
	struct usage_line l = parse_usage(text);
	char key[TN_KEY_MAX];
	struct line_opts o = { .json = true, .first = true };

	printf("{\"tenants\":[{\"tenant\":");
	ctl_json_string(stdout, ctl_text_get(text, "key", key, sizeof(key)));
	printf(",\"uid\":%lld,\"user\":", field_num(text, "uid"));
	ctl_json_string(stdout, name);
	printf(",\"sessions\":%lld,\"processes\":%lld,\"age_seconds\":%lld",
	    field_num(text, "sessions"), field_num(text, "processes"), age);
	ctl_print_usage_json(l.have ? &l.u : NULL);
	printf(",\"oom_kills_seen\":%lld,\"forks_refused_seen\":%lld,\"events\":[",
	    field_num(text, "oom_kills"), field_num(text, "forks_refused"));
	ctl_print_events(text, true);
	printf("],\"session_list\":[");
	each_line(text, "session", print_session, &o);
	printf("],\"sessions_omitted\":%lld}]}\n",
	    field_num(text, "sessions_omitted") > 0 ? field_num(text, "sessions_omitted")
	                                            : 0);
}

static void
print_text(const char *text, const char *name, long long age)
{
	struct usage_line l = parse_usage(text);
	char key[TN_KEY_MAX], a[24], b[24], c[24];
	struct line_opts o = { .json = false };

	printf("tenant %s (yours)\n  user       ",
	    ctl_text_get(text, "key", key, sizeof(key)));
	ctl_print_safe(stdout, name);
	printf(
	    " (uid %lld)\n  sessions   %lld\n  processes  %lld (besides the tenant's init)\n"
	    "  age        %lld s\n",
	    field_num(text, "uid"), field_num(text, "sessions"),
	    field_num(text, "processes"), age);
	if (l.have) {
		/* The keeper's counts: it also sums the refused forks of
		 * sessions' cgroups (where Linux counts them). */
		printf(
		    "  memory     %s of %s (peak %s), %lld OOM kill(s) since the tenant started\n",
		    ctl_human(l.u.memory_current, a, sizeof(a)),
		    ctl_human(l.u.memory_max, b, sizeof(b)),
		    ctl_human(l.u.memory_peak, c, sizeof(c)),
		    field_num(text, "oom_kills"));
		printf(
		    "  pids       %llu of %s, %lld fork(s) refused since the tenant started\n",
		    (unsigned long long)l.u.pids_current,
		    ctl_human(l.u.pids_max, a, sizeof(a)),
		    field_num(text, "forks_refused"));
		printf("  cpu        %.2f s used\n", (double)l.u.cpu_usec / 1e6);
	} else {
		printf("  limits     none in force (no cgroup for this tenant)\n");
	}
	each_line(text, "session", print_session, &o);
	if (field_num(text, "sessions_omitted") > 0)
		printf("  (%lld more sessions)\n", field_num(text, "sessions_omitted"));
	printf("  recent OOM kills and refused forks (newest last):\n");
	if (strstr(text, "\nevent ") == NULL)
		printf("    none since the tenant started\n");
	ctl_print_events(text, false);
}

int
cmd_status_user(int argc, char **argv)
{
	char text[sizeof(((struct tn_msg_ctl *)0)->text)], buf[32];
	struct tn_user me = { 0 };
	bool json = false, opts_done = false;
	const char *user = NULL;
	uid_t uid = getuid(), want;
	long long created;

	for (int i = 1; i < argc; i++) {
		if (!opts_done && strcmp(argv[i], "--") == 0)
			opts_done = true;
		else if (!opts_done && strcmp(argv[i], "--json") == 0)
			json = true;
		else if (user == NULL && (opts_done || argv[i][0] != '-'))
			user = argv[i];
		else {
			fprintf(stderr, "tenantctl: status: %s '",
			    argv[i][0] == '-' ? "unknown option" : "unexpected argument");
			ctl_print_safe(stderr, argv[i]);
			fprintf(stderr, "'\nusage: tenantctl status [USER] [--json]\n");
			return CTL_EXIT_USAGE;
		}
	}
	if (identity_by_uid(uid, &me, NULL) < 0) {
		fprintf(stderr, "tenantctl: status: who is uid %u?\n", (unsigned)uid);
		return CTL_EXIT_FAIL;
	}
	if (user &&
	    (parse_uid(user, &want) < 0 ? strcmp(user, me.name) != 0 : want != uid)) {
		identity_free(&me);
		fprintf(stderr,
		    "tenantctl: status: you can see only your own tenant; "
		    "other users' need root\n");
		return CTL_EXIT_NOPERM;
	}
	if (!inside_a_tenant()) {
		identity_free(&me);
		fprintf(stderr,
		    "tenantctl: status: this session is not inside a tenant (an exempt or "
		    "not isolated login), so your tenant's keeper cannot be asked from "
		    "here; run it in an isolated session, or ask root\n");
		return CTL_EXIT_NOPERM;
	}
	if (ask(text, sizeof(text)) < 0) {
		identity_free(&me);
		return CTL_EXIT_FAIL;
	}
	if (!ctl_text_get(text, "uid", buf, sizeof(buf)) || parse_uid(buf, &want) < 0 ||
	    want != uid) {
		identity_free(&me);
		fprintf(stderr, "tenantctl: status: this is not your tenant\n");
		return CTL_EXIT_NOPERM;
	}
	created = field_num(text, "created");
	if (json)
		print_json(text, me.name,
		    created > 0 ? (long long)time(NULL) - created : -1);
	else
		print_text(text, me.name,
		    created > 0 ? (long long)time(NULL) - created : -1);
	identity_free(&me);
	return CTL_EXIT_OK;
}
