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
#include "fsutil.h"
#include "helper.h"
#include "util.h"

#define MAX_CONNS 1024
#define INIT_STACK (256 * 1024)
#define SETUP_TIMEOUT_MS 10000
#define LINGER_POLL_MS 1000
#define LOCK_RETRY_MS 50

const char *const ns_names[TN_NS_COUNT] = {"mnt", "pid", "ipc", "uts", "net"};

enum conn_kind { CONN_PENDING, CONN_SESSION };

struct conn {
	enum conn_kind kind;
	int fd;
	int leader; /* pidfd of the process that opened the session */
	char cookie[TN_COOKIE_HEX + 1];
	char user[257], service[64], tty[64], rhost[256];
	enum tn_on_logout on_logout;
	time_t since;
};

struct keeper {
	struct tenant_spec spec;
	struct tn_state st;
	struct tn_audit audit;
	int tenant_dir;
	int listen_fd;
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
	time_t created;
};

static void
klog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
klog(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
}

static void
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

static void
write_info(struct keeper *k)
{
	char text[8192];
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
	ADD("sessions %zu\n", count_sessions(k));
	for (size_t i = 0; i < k->nconns; i++) {
		const struct conn *c = &k->conns[i];
		if (c->kind == CONN_SESSION)
			ADD("session %s %lld %s %s\n", c->cookie, (long long)c->since,
			    c->on_logout == TN_LOGOUT_KILL ? "kill" : "keep",
			    c->service[0] ? c->service : "?");
	}
#undef ADD
	if (write_file_at(k->tenant_dir, "info", text, &err) < 0)
		klog(LOG_WARNING, "%s: info: %s", k->spec.key, err.msg);
}

/* ---- teardown ------------------------------------------------------- */

static void
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

static void
end_session(struct keeper *k, size_t i, const char *reason)
{
	struct conn c = k->conns[i];

	close(c.fd);
	if (c.leader >= 0)
		close(c.leader);
	k->conns[i] = k->conns[--k->nconns];
	if (c.kind != CONN_SESSION)
		return;
	klog(LOG_INFO, "session %s of uid %u ended (%s)", c.cookie,
	    (unsigned)k->spec.uid, reason);
	keeper_audit(k, "tenant-session-end", &c, reason, NULL, true);
	if (count_sessions(k) == 0)
		k->kill_on_empty = c.on_logout == TN_LOGOUT_KILL;
	write_info(k);
}

/* With no session left the tenant ends at once for on_logout = kill (or
 * without a PID namespace to watch), else when its last process is gone. */
static bool
tenant_done(const struct keeper *k)
{
	if (count_sessions(k) > 0 || k->nconns > 0)
		return false;
	if (k->sessions_ever == 0 && time(NULL) - k->created < 10)
		return false; /* the first login is still on its way */
	return k->kill_on_empty || k->proc_fd < 0 || count_processes(k) == 0;
}

/* Try to end the tenant.  Returns true when done (the keeper may exit).
 * The per-uid lock orders this against joins: a login either joined
 * before (then we stay) or finds no socket and starts a fresh tenant. */
static bool
try_teardown(struct keeper *k, const char *reason)
{
	struct pollfd p = {.fd = k->listen_fd, .events = POLLIN};
	char extra[128];
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
	(void)pidfd_send_signal(k->init_pidfd, SIGKILL, NULL, 0);
	for (int i = 0; i < TN_NS_COUNT; i++)
		if (k->ns_fd[i] >= 0)
			close(k->ns_fd[i]);
	snprintf(extra, sizeof(extra), "sessions=%u duration=%lld",
	    k->sessions_ever, (long long)(time(NULL) - k->created));
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
	if (proto_send(c->fd, &out, fds, n, &err) < 0) {
		klog(LOG_WARNING, "join: %s", err.msg);
		close(leader);
		end_session(k, i, "join-failed");
		return;
	}
	c->kind = CONN_SESSION;
	c->leader = leader;
	memcpy(c->cookie, j->cookie, sizeof(c->cookie));
	memcpy(c->user, j->user, sizeof(c->user));
	memcpy(c->service, j->service, sizeof(c->service));
	memcpy(c->tty, j->tty, sizeof(c->tty));
	memcpy(c->rhost, j->rhost, sizeof(c->rhost));
	c->on_logout = j->on_logout == TN_LOGOUT_KILL ? TN_LOGOUT_KILL : TN_LOGOUT_KEEP;
	c->since = time(NULL);
	k->sessions_ever++;
	k->kill_on_empty = false;
	klog(LOG_INFO, "session %s joined tenant %s", c->cookie, k->spec.key);
	write_info(k);
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
	    ? (1u << TN_MSG_JOIN) | (1u << TN_MSG_TERMINATE) | (1u << TN_MSG_STATUS)
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
	case TN_MSG_STATUS:
		serve_status(k, i);
		return false;
	case TN_MSG_TERMINATE:
		end_session(k, i, "terminate");
		while (k->nconns > 0)
			end_session(k, k->nconns - 1, "terminate");
		k->kill_on_empty = true;
		return false;
	case TN_MSG_CLOSE:
		end_session(k, i, strcmp(m.ctl.cookie, c->cookie) == 0 ? "logout" : "logout-bad-cookie");
		return false;
	case TN_MSG_OPEN:
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
	k->conns[k->nconns++] = (struct conn){.kind = CONN_PENDING, .fd = fd, .leader = -1};
}

static void
keeper_loop(struct keeper *k)
{
	for (;;) {
		struct pollfd p[2 + 2 * MAX_CONNS];
		size_t np = 0;
		int timeout = -1;

		if (count_sessions(k) == 0) {
			if (tenant_done(k)) {
				if (try_teardown(k, k->kill_on_empty ? "last-session-closed"
								     : "last-process-exited"))
					break;
				timeout = LOCK_RETRY_MS;
			} else {
				timeout = LINGER_POLL_MS;
			}
		}
		p[np++] = (struct pollfd){.fd = k->init_pidfd, .events = POLLIN};
		p[np++] = (struct pollfd){.fd = k->listen_fd, .events = POLLIN};
		for (size_t i = 0; i < k->nconns; i++) {
			p[np++] = (struct pollfd){.fd = k->conns[i].fd, .events = POLLIN};
			p[np++] = (struct pollfd){.fd = k->conns[i].leader, .events = POLLIN};
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
		/* Walk backwards: end_session() moves the last entry into i. */
		for (size_t i = k->nconns; i-- > 0;) {
			short ev = p[2 + 2 * i].revents, lev = p[3 + 2 * i].revents;
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

/* ---- start-up --------------------------------------------------------- */

static int
start_init(struct keeper *k, struct tn_err *err)
{
	_cleanup_close_ int chan_k = -1;
	int sp[2];
	struct init_args a = {.namespaces = k->spec.namespaces,
	    .tmp_size = k->spec.tmp_size, .tmp_inodes = k->spec.tmp_inodes};
	int flags = CLONE_NEWNS | CLONE_PIDFD | SIGCHLD;
	union tn_msg m;
	int fds[TN_MAX_FDS];
	size_t nfds = 0;
	struct pollfd p;
	char *stack;
	int r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return err_set(err, errno, "socketpair: %m");
	chan_k = sp[0];
	a.chan = sp[1];
	if (k->spec.namespaces & TN_NS_PID)
		flags |= CLONE_NEWPID;
	if (k->spec.namespaces & TN_NS_IPC)
		flags |= CLONE_NEWIPC;
	if (k->spec.namespaces & TN_NS_UTS)
		flags |= CLONE_NEWUTS;
	if (k->spec.namespaces & TN_NS_NET)
		flags |= CLONE_NEWNET;
	stack = malloc(INIT_STACK);
	if (stack == NULL)
		return err_set(err, ENOMEM, "init stack");
	k->init_pidfd = -1;
	k->init_pid = clone(tenant_init_main, stack + INIT_STACK, flags, &a,
	    &k->init_pidfd);
	r = errno;
	close(a.chan);
	if (k->init_pid < 0) {
		free(stack);
		return err_set(err, r, "clone namespaces: %s%s", strerror(r),
		    r == ENOSPC ? " (system limit on namespaces reached)" : "");
	}
	/* The child has its own copy of the stack; ours can go once it
	 * exec'd nothing and runs on its copy-on-write pages. */
	free(stack);
	p = (struct pollfd){.fd = chan_k, .events = POLLIN};
	if (poll(&p, 1, SETUP_TIMEOUT_MS) <= 0)
		return err_set(err, ETIMEDOUT, "tenant init did not report");
	r = proto_recv(chan_k, 1u << TN_MSG_INIT, &m, fds, &nfds, err);
	if (r < 0)
		return r == -EPIPE ? err_set(err, EPIPE, "tenant init died during setup") : r;
	if (m.ctl.text[0]) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return err_set(err, EIO, "%s", m.ctl.text);
	}
	k->proc_fd = nfds == 1 ? fds[0] : -1;
	return 0;
}

static int
open_namespaces(struct keeper *k, struct tn_err *err)
{
	for (int i = 0; i < TN_NS_COUNT; i++) {
		char path[64];
		struct stat st;
		static const unsigned bit_of[TN_NS_COUNT] = {TN_NS_MOUNT, TN_NS_PID,
		    TN_NS_IPC, TN_NS_UTS, TN_NS_NET};

		k->ns_fd[i] = -1;
		if (!(k->spec.namespaces & bit_of[i]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)k->init_pid,
		    ns_names[i]);
		k->ns_fd[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (k->ns_fd[i] < 0 || fstat(k->ns_fd[i], &st) < 0)
			return err_set(err, errno, "%s: %m", path);
		k->ns_ino[i] = st.st_ino;
		k->ns_mask |= 1u << i;
	}
	/* init is our unreaped child, so its pid cannot have been reused;
	 * make sure it is still alive now that we hold its namespaces. */
	if (pidfd_send_signal(k->init_pidfd, 0, NULL, 0) < 0)
		return err_set(err, errno, "tenant init exited during setup");
	return 0;
}

static int
start_listening(struct keeper *k, struct tn_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char marker[32], text[TN_KEY_MAX + 32];
	int n;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/tenants/%s/keeper.sock",
	    TN_STATE_DIR, k->spec.key);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return err_set(err, ENAMETOOLONG, "socket path too long");
	k->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (k->listen_fd < 0)
		return err_set(err, errno, "socket: %m");
	if (bind(k->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(k->listen_fd, 128) < 0)
		return err_set(err, errno, "%s: %m", sa.sun_path);
	snprintf(marker, sizeof(marker), "%" PRIu64, k->ns_ino[0]);
	snprintf(text, sizeof(text), "%u %s\n", (unsigned)k->spec.uid, k->spec.key);
	if (write_file_at(k->st.mntns, marker, text, err) < 0)
		return -1;
	write_info(k);
	return 0;
}

static int
keeper_setup(struct keeper *k, struct tn_err *err)
{
	k->created = time(NULL);
	k->listen_fd = k->tenant_dir = k->proc_fd = -1;
	if (state_open(&k->st, true, err) < 0)
		return -1;
	if (mkdirat(k->st.tenants, k->spec.key, 0700) < 0)
		return err_set(err, errno, "mkdir tenants/%s: %m", k->spec.key);
	k->tenant_dir = openat(k->st.tenants, k->spec.key,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (k->tenant_dir < 0)
		return err_set(err, errno, "open tenants/%s: %m", k->spec.key);
	if (start_init(k, err) < 0 || open_namespaces(k, err) < 0 ||
	    start_listening(k, err) < 0) {
		if (k->init_pidfd >= 0)
			(void)pidfd_send_signal(k->init_pidfd, SIGKILL, NULL, 0);
		remove_state(k);
		return -1;
	}
	return 0;
}

/* Runs in the detached grandchild; never returns. */
static void __attribute__((noreturn))
keeper_main(const struct tenant_spec *spec, int ready)
{
	static struct keeper k; /* large; one per process */
	struct tn_err err = {0};
	int devnull;

	k.spec = *spec;
	/* Only the ready pipe survives; stdio is /dev/null. */
	if (dup2(ready, 3) < 0)
		_exit(HELPER_EXIT_SYSTEM);
	ready = 3;
	if (close_range(4, ~0U, 0) < 0)
		_exit(HELPER_EXIT_SYSTEM);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 ||
	    dup2(devnull, 2) < 0)
		_exit(HELPER_EXIT_SYSTEM);
	if (devnull > 2)
		close(devnull);
	proc_title("tenant-keeper");
	/* We serve every later login of this tenant, not the one that
	 * happened to start us: drop its audit login id. */
	if ((devnull = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC)) >= 0) {
		(void)!write(devnull, "4294967295", 10);
		close(devnull);
	}
	openlog("pam_tenant", LOG_PID, LOG_AUTHPRIV);
	if (audit_begin(&k.audit, &err) < 0)
		klog(LOG_ERR, "%s", err.msg);

	if (keeper_setup(&k, &err) < 0) {
		(void)write_full(ready, err.msg, strlen(err.msg));
		_exit(HELPER_EXIT_SYSTEM);
	}
	(void)write_full(ready, "OK", 2);
	close(ready);
	klog(LOG_INFO, "tenant %s started (init pid %d)", k.spec.key, (int)k.init_pid);
	keeper_loop(&k);
	_exit(HELPER_EXIT_OK);
}

int
keeper_spawn(const struct tenant_spec *spec, struct tn_err *err)
{
	_cleanup_close_ int rd = -1;
	int pp[2], status;
	char buf[sizeof(err->msg)];
	struct pollfd p;
	ssize_t n;
	pid_t pid;

	if (pipe2(pp, O_CLOEXEC) < 0)
		return err_set(err, errno, "pipe: %m");
	rd = pp[0];
	pid = fork();
	if (pid < 0) {
		close(pp[1]);
		return err_set(err, errno, "fork keeper: %m");
	}
	if (pid == 0) {
		/* Detach: new session, and let the intermediate exit so the
		 * keeper is nobody's child in the login program's tree. */
		close(pp[0]);
		if (setsid() < 0)
			_exit(HELPER_EXIT_SYSTEM);
		pid = fork();
		if (pid != 0)
			_exit(pid < 0 ? HELPER_EXIT_SYSTEM : HELPER_EXIT_OK);
		keeper_main(spec, pp[1]);
	}
	close(pp[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	p = (struct pollfd){.fd = rd, .events = POLLIN};
	if (poll(&p, 1, SETUP_TIMEOUT_MS + 2000) <= 0)
		return err_set(err, ETIMEDOUT, "keeper did not start in time");
	n = read_full(rd, buf, sizeof(buf) - 1);
	if (n < 0)
		return err_set(err, (int)-n, "keeper: %s", strerror((int)-n));
	buf[n] = '\0';
	if (n == 2 && memcmp(buf, "OK", 2) == 0)
		return 0;
	return err_set(err, EIO, "tenant setup failed: %s",
	    n > 0 ? buf : "keeper died during setup");
}
