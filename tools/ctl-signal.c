/* tenantctl kill USER [--signal SIG] [--session ID] and
 * tenantctl terminate USER --session ID [--grace SECONDS]: the tenant's
 * keeper signals the processes (keeper-signal.c says which are a
 * tenant's and a session's) and audits it; the tenant itself goes on.
 * terminate sends SIGTERM, and SIGKILL to what is left after the grace
 * (keeper-stop.c); tenantctl waits for the keeper's final answer. */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"
#include "proto.h"
#include "state.h"
#include "util.h"

#define ANSWER_TIMEOUT_MS 5000 /* the keeper may wait up to 2 s on systemd */
#define GRACE_DEFAULT_MS 5000  /* terminate --session: SIGTERM, then SIGKILL */

struct signal_req {
	const char *cmd, *user, *session; /* session: a cookie or its prefix */
	int signo;
	bool terminate; /* SIGTERM, SIGKILL after grace_ms (0: SIGKILL now) */
	uint32_t grace_ms;
	/* filled while walking the tenants */
	unsigned tenants, sessions_matched, signalled;
	unsigned failed, no_session, left;
	char cookie[TN_COOKIE_HEX + 1];
};

/* "TERM", "SIGTERM", "sigterm", "15", "RTMIN+2": the number, or -1. */
static int
parse_signal(const char *s)
{
	char *end;
	long n;

	if (isdigit((unsigned char)s[0])) {
		n = strtol(s, &end, 10);
		return *end == '\0' && n >= 1 && n <= TN_SIGNAL_MAX && n < NSIG ? (int)n
		                                                                : -1;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	if (strncasecmp(s, "RTMIN", 5) == 0) {
		n = s[5] == '\0' ? 0 : s[5] == '+' ? strtol(s + 6, &end, 10) : -1;
		if (n < 0 || (s[5] == '+' && (*end != '\0' || end == s + 6)) ||
		    SIGRTMIN + n > SIGRTMAX)
			return -1;
		return SIGRTMIN + (int)n;
	}
	for (int i = 1; i < SIGRTMIN; i++) {
		const char *name = sigabbrev_np(i);

		if (name && strcasecmp(s, name) == 0)
			return i;
	}
	return -1;
}

/* The cookie of the session `prefix` names in a keeper's info text:
 * 1 and the cookie, 0 if none, -1 if it is ambiguous. */
static int
find_session(const char *info, const char *prefix, char cookie[TN_COOKIE_HEX + 1])
{
	size_t len = strlen(prefix);
	int found = 0;

	for (const char *p = info; p && *p;
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "session ", 8) != 0 || strncmp(p + 8, prefix, len) != 0 ||
		    strcspn(p + 8, " \n") != TN_COOKIE_HEX)
			continue;
		memcpy(cookie, p + 8, TN_COOKIE_HEX);
		cookie[TN_COOKIE_HEX] = '\0';
		if (found++)
			return -1;
	}
	return found;
}

static void
report_escaped(struct signal_req *rq, const char *key)
{
	fprintf(stderr,
	    "tenantctl: %s: %s: processes were still being created after the last "
	    "SIGKILL pass; some may be left\n",
	    rq->cmd, key);
	rq->failed++;
}

/* terminate with a grace: the keeper answers again when every process is
 * gone, or after the SIGKILL; at most the grace and a margin from now. */
static void
wait_final(struct signal_req *rq, int fd, const char *key, const char *cookie)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int fds[TN_MAX_FDS];
	size_t nfds;
	union tn_msg m;
	int r;

	printf("waiting up to %u.%03u s for them to exit, then SIGKILL\n",
	    rq->grace_ms / 1000, rq->grace_ms % 1000);
	fflush(stdout);
	do
		r = poll(&p, 1, (int)rq->grace_ms + ANSWER_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		fprintf(stderr, "tenantctl: %s: %s: no final answer from the keeper\n",
		    rq->cmd, key);
		rq->failed++;
		return;
	}
	r = proto_recv(fd, 1u << TN_MSG_SIGNAL, &m, fds, &nfds, NULL);
	if (r == -EPIPE) { /* the tenant ended, and its processes with it */
		printf("session %s of %s: the tenant ended\n", cookie, key);
		return;
	}
	if (r < 0 || !(m.signal.flags & TN_SIGNAL_FINAL)) {
		fprintf(stderr, "tenantctl: %s: %s: bad final answer\n", rq->cmd, key);
		rq->failed++;
		return;
	}
	if (m.signal.killed == 0 && m.signal.left == 0)
		printf("session %s of %s: all processes exited after SIGTERM\n", cookie,
		    key);
	else
		printf("session %s of %s: sent SIGKILL to %u process(es) left after the "
		       "grace\n",
		    cookie, key, m.signal.killed);
	if (m.signal.flags & TN_SIGNAL_ESCAPED)
		report_escaped(rq, key);
	if (m.signal.left > 0) {
		fprintf(stderr, "tenantctl: %s: %s: %u process(es) still alive\n",
		    rq->cmd, key, m.signal.left);
		rq->left += m.signal.left;
		rq->failed++;
	}
}

static void
ask_one(const char *key, const char *info, void *data)
{
	struct signal_req *rq = data;
	_cleanup_close_ int fd = -1;
	struct tn_msg_signal q;
	union tn_msg m;
	int fds[TN_MAX_FDS];
	size_t nfds;
	struct pollfd p;
	struct tn_err err = { 0 };
	char cookie[TN_COOKIE_HEX + 1] = "";

	rq->tenants++;
	if (rq->session) {
		int r = find_session(info, rq->session, cookie);

		if (r < 0) {
			fprintf(stderr, "tenantctl: %s: session '", rq->cmd);
			ctl_print_safe(stderr, rq->session);
			fprintf(stderr, "' is ambiguous in %s; give more of it\n", key);
			rq->failed++;
			return;
		}
		if (r == 0)
			return;
		rq->sessions_matched++;
		memcpy(rq->cookie, cookie, sizeof(cookie));
	}
	proto_init(&q, TN_MSG_SIGNAL);
	q.signo = (uint32_t)rq->signo;
	if (rq->session) {
		q.flags = TN_SIGNAL_SESSION;
		memcpy(q.cookie, cookie, sizeof(cookie));
	}
	if (rq->terminate) {
		q.flags |= TN_SIGNAL_TERMINATE;
		q.grace_ms = rq->grace_ms;
	}
	fd = state_connect_keeper(key, 2000, NULL);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (fd < 0 || proto_send(fd, &q, NULL, 0, NULL) < 0 ||
	    poll(&p, 1, ANSWER_TIMEOUT_MS) <= 0 ||
	    proto_recv(fd, 1u << TN_MSG_SIGNAL, &m, fds, &nfds, &err) < 0) {
		if (err.code == EPROTO) /* only terminate USER reaches it */
			fprintf(stderr,
			    "tenantctl: %s: the keeper is of another build (%s); "
			    "'tenantctl terminate USER' ends the whole tenant\n",
			    key, err.msg);
		else
			fprintf(stderr, "tenantctl: %s: keeper not reachable\n", key);
		rq->failed++;
		return;
	}
	if (m.signal.status == ESRCH && rq->session) {
		rq->no_session++; /* it ended meanwhile */
		return;
	}
	if (m.signal.status != 0) {
		fprintf(stderr, "tenantctl: %s: %s\n", key,
		    strerror((int)m.signal.status));
		rq->failed++;
		return;
	}
	rq->signalled += m.signal.count;
	if (rq->session)
		printf("sent SIG%s to %u process(es) of session %s of %s\n",
		    sigabbrev_np((int)m.signal.signo), m.signal.count, cookie, key);
	else
		printf("sent SIG%s to %u process(es) of %s\n",
		    sigabbrev_np((int)m.signal.signo), m.signal.count, key);
	if (!(m.signal.flags & TN_SIGNAL_FINAL))
		wait_final(rq, fd, key, cookie);
	else if (m.signal.flags & TN_SIGNAL_ESCAPED)
		report_escaped(rq, key);
}
static int
run(struct signal_req *rq)
{
	uid_t uid;
	int n, r;

	if ((r = ctl_state_user(rq->cmd, rq->user, &uid)) != 0)
		return r;
	n = ctl_each_tenant_of(uid, ask_one, rq);
	if (n < 0)
		return CTL_EXIT_FAIL;
	if (n == 0 ||
	    (rq->session && rq->sessions_matched == rq->no_session && !rq->failed)) {
		fprintf(stderr, "tenantctl: %s: no live %s for ", rq->cmd,
		    n == 0 ? "tenant" : "session");
		ctl_print_safe(stderr, rq->user);
		fprintf(stderr, " (uid %u)", (unsigned)uid);
		if (n > 0) {
			fprintf(stderr, " named '");
			ctl_print_safe(stderr, rq->session);
			fputc('\'', stderr);
		}
		fputc('\n', stderr);
		return CTL_EXIT_NOTENANT;
	}
	return rq->failed ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

static int
usage(const char *cmd, const char *arg, const char *text)
{
	if (arg) {
		fprintf(stderr, "tenantctl: %s: %s '", cmd,
		    arg[0] == '-' ? "unknown option or missing value"
		                  : "unexpected argument");
		ctl_print_safe(stderr, arg);
		fprintf(stderr, "'\n");
	}
	fprintf(stderr, "usage: tenantctl %s %s\n", cmd, text);
	return CTL_EXIT_USAGE;
}

/* --name VALUE or --name=VALUE at argv[*i]; the value or NULL. */
static const char *
option_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc && argv[*i + 1] != NULL)
		return argv[++*i]; /* consumed only when it is returned */
	return NULL;
}

/* "5", "0.5", "30.25": seconds, to ms, at most the protocol's limit. */
static int
parse_grace(const char *s, uint32_t *ms)
{
	unsigned long long whole = 0, frac = 0, scale = 1000;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++)
		if ((whole = whole * 10 + (unsigned)(*p - '0')) > TN_SIGNAL_GRACE_MAX_MS)
			return -1;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++)
			if (scale > 1) {
				scale /= 10;
				frac += (unsigned)(*p - '0') * scale;
			}
	}
	if (*p != '\0' || whole * 1000 + frac > TN_SIGNAL_GRACE_MAX_MS)
		return -1;
	*ms = (uint32_t)(whole * 1000 + frac);
	return 0;
}

static int
parse(int argc, char **argv, struct signal_req *rq, bool may_signal, const char *text)
{
	bool opts_done = false;

	for (int i = 1; i < argc && argv[i] != NULL; i++) {
		const char *v;

		if (!opts_done && strcmp(argv[i], "--") == 0) {
			opts_done = true;
		} else if (!opts_done &&
		    (v = option_value(argc, argv, &i, "--session"))) {
			rq->session = v;
		} else if (!opts_done && rq->terminate &&
		    (v = option_value(argc, argv, &i, "--grace"))) {
			if (parse_grace(v, &rq->grace_ms) < 0) {
				fprintf(stderr, "tenantctl: %s: bad grace '", rq->cmd);
				ctl_print_safe(stderr, v);
				fprintf(stderr, "' (seconds, 0 to %u)\n",
				    TN_SIGNAL_GRACE_MAX_MS / 1000);
				return CTL_EXIT_USAGE;
			}
		} else if (!opts_done && may_signal &&
		    ((v = option_value(argc, argv, &i, "--signal")) ||
		        (v = option_value(argc, argv, &i, "-s")))) {
			rq->signo = parse_signal(v);
			if (rq->signo < 0) {
				fprintf(stderr, "tenantctl: %s: unknown signal '",
				    rq->cmd);
				ctl_print_safe(stderr, v);
				fprintf(stderr, "'\n");
				return CTL_EXIT_USAGE;
			}
		} else if (rq->user == NULL && (opts_done || argv[i][0] != '-')) {
			rq->user = argv[i];
		} else {
			return usage(rq->cmd, argv[i], text);
		}
	}
	if (rq->user == NULL)
		return usage(rq->cmd, NULL, text);
	if (rq->session && rq->session[0] == '\0')
		return usage(rq->cmd, "--session", text);
	if (rq->terminate && rq->session == NULL) {
		fprintf(stderr, "tenantctl: %s: --grace needs --session\n", rq->cmd);
		return CTL_EXIT_USAGE;
	}
	return 0;
}

int
cmd_kill(int argc, char **argv)
{
	struct signal_req rq = { .cmd = "kill", .signo = SIGTERM };
	int r = parse(argc, argv, &rq, true, "USER [--signal SIG] [--session ID]");

	return r ? r : run(&rq);
}

int
cmd_terminate_session(int argc, char **argv)
{
	struct signal_req rq = { .cmd = "terminate",
		.terminate = true,
		.grace_ms = GRACE_DEFAULT_MS };
	int r = parse(argc, argv, &rq, false, "USER --session ID [--grace SECONDS]");

	if (r)
		return r;
	rq.signo = rq.grace_ms > 0 ? SIGTERM : SIGKILL;
	return run(&rq);
}
