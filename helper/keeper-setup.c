/* Starting a tenant: the detached keeper process, tenant-init in fresh
 * namespaces, the namespace fds and the control socket. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "fsutil.h"
#include "keeper.h"
#include "util.h"

#ifdef TN_SAN_LOG_DIR /* the asan build (make check-asan) */
#include <sanitizer/lsan_interface.h>
#endif

#define INIT_STACK (256 * 1024)
#define SETUP_TIMEOUT_MS 5000

/* The keeper's file descriptors at worst: stdio, the state directories,
 * the tenant directory, the listening socket, the reserve fd, the signalfd,
 * init's pidfd, its /proc, five namespaces, the user cgroup and its two
 * events files, audit and syslog, the user's status socket and its
 * KUSER_MAX_CONNS connections (about 30), plus what one request opens
 * for a moment (config files and directories, NSS, the uid lock, cgroup
 * files, a /proc directory walk): 64 in all.  Each connection holds at
 * most four: its socket, the leader's pidfd, its cgroup leaf and that
 * leaf's pids.events. */
#define KEEPER_FIXED_FDS 64
#define FDS_PER_CONN 4
#define KEEPER_NOFILE (KEEPER_FIXED_FDS + FDS_PER_CONN * MAX_CONNS)

/* systemd: the helper puts the keeper and tenant-init into the keeper's
 * scope while both set up.  The keeper tells it init's pid on `ready`
 * (a pid_t, 0 when it has none) and waits for a byte on `scope_go` before
 * it reports or exits: until then init stays unreaped, so the pid the
 * helper gave systemd cannot name another process. */
static int scope_ready = -1, scope_go = -1;
static bool init_announced;
/* How long it waits for the helper: what is left of the helper's own
 * deadline (placing the login and systemd's job both count), plus a
 * margin; the helper's end closes go sooner. */
static int scope_wait_ms = SETUP_TIMEOUT_MS + 2000;

static void
announce_init(pid_t pid)
{
	if (scope_go < 0 || init_announced)
		return;
	init_announced = true;
	(void)write_full(scope_ready, &pid, sizeof(pid));
}

/* Returns true when the helper says go on ('G'), false when it gave up
 * (it closed the pipe, or died).  With first: the first login's JOIN,
 * which the helper sends while systemd runs the scope's job, is served
 * as soon as it comes; the user's slice, known by then, comes with 'G'. */
static bool
await_scope(struct keeper *k, struct conn *first)
{
	int64_t end = keeper_now_ms() + scope_wait_ms;
	struct keeper_go g = { 0 };

	if (scope_go < 0)
		return true;
	announce_init(0); /* no init: the helper must not wait for one */
	for (;;) {
		struct pollfd p[2] = { { .fd = scope_go, .events = POLLIN },
			{ .fd = first ? first->fd : -1, .events = POLLIN } };
		int64_t left = end - keeper_now_ms();
		int r = left > 0 ? poll(p, 2, (int)left) : 0;

		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0 && p[1].revents) {
			on_conn_readable(k, first);
			first = NULL;
			continue;
		}
		if (r <= 0 || read(scope_go, &g, sizeof(g)) < 1)
			g.go = 0;
		break;
	}
	close(scope_go);
	scope_go = -1;
	if (g.go != 'G')
		return false;
	if (k) {
		g.slice_cg[sizeof(g.slice_cg) - 1] = '\0';
		str_copy(k->spec.sd_slice_cg, sizeof(k->spec.sd_slice_cg), g.slice_cg);
		kcg_open(k);
	}
	return true;
}

/* clone() said ENOSPC: a per-user count of namespaces (the sysctls
 * user.max_<kind>_namespaces) is at its limit.  Find which by making each
 * kind alone in a child that exits at once, so that the message names the
 * sysctl; only on this failure path.  Empty when none fails now (a race,
 * or the PID namespace nesting depth). */
static void
ns_limits_reached(unsigned mask, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < TN_NS_COUNT; i++) {
		pid_t pid;
		int n;

		if (!(mask & tn_ns_kinds[i].bit))
			continue;
		/* fork-like raw clone: the child runs on a copy of our stack */
		pid = (pid_t)syscall(SYS_clone, tn_ns_kinds[i].clone_flag | SIGCHLD, 0,
		    NULL, NULL, 0);
		if (pid == 0)
			_exit(0);
		if (pid > 0) {
			(void)waitpid(pid, NULL, 0);
			continue;
		}
		if (errno != ENOSPC)
			continue;
		n = snprintf(buf + used, len - used, "%suser.max_%s_namespaces",
		    used ? ", " : "", tn_ns_kinds[i].proc);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

/* lxcfs's view (proc.lxcfs): tenant-init, the tenant's PID 1, lives in
 * the user cgroup, whose figures lxcfs shows to the tenant.  The user's
 * OOM kills must never pick it: it is every session's PID 1. */
static int
init_into_user_cgroup(struct keeper *k, struct tn_err *err)
{
	_cleanup_close_ int fd = -1;
	char path[64];
	int r;

	if (k->cg_user < 0)
		return err_set(err, ENOENT, "no user cgroup for tenant-init");
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)k->init_pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errno, "%s: %m", path);
	if ((r = write_full(fd, "-1000", 5)) < 0)
		return err_set(err, -r, "%s: %s", path, strerror(-r));
	if (cg_flatten(k->cg_user, err) < 0 ||
	    cg_attach(k->cg_user, k->init_pidfd, err) < 0)
		return err_wrap(err, "tenant-init into user-%u (proc.lxcfs)",
		    (unsigned)k->spec.uid);
	return 0;
}

static int
start_init(struct keeper *k, struct tn_err *err)
{
	_cleanup_close_ int chan_k = -1;
	int sp[2];
	struct init_args a = { .namespaces = k->spec.namespaces,
		.tmp_size = k->spec.tmp_size,
		.tmp_inodes = k->spec.tmp_inodes,
		.proc_lxcfs = k->spec.proc_lxcfs,
		.uid = k->spec.uid };
	int flags =
	    tn_ns_clone_flags(k->spec.namespaces | TN_NS_MOUNT) | CLONE_PIDFD | SIGCHLD;
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
	str_copy(a.key, sizeof(a.key), k->spec.key);
	stack = malloc(INIT_STACK);
	if (stack == NULL)
		return err_set(err, ENOMEM, "init stack");
	k->init_pidfd = -1;
	FAULT_POINT("keeper-before-init");
	k->init_pid =
	    clone(tenant_init_main, stack + INIT_STACK, flags, &a, &k->init_pidfd);
	r = errno;
	close(a.chan);
	if (k->init_pid < 0) {
		char which[160] = "";

		free(stack);
		if (r != ENOSPC)
			return err_set(err, r, "clone namespaces: %s", strerror(r));
		ns_limits_reached(k->spec.namespaces | TN_NS_MOUNT, which, sizeof(which));
		return err_set(err, r,
		    "clone namespaces: %s (system limit on namespaces reached%s%s)",
		    strerror(r), which[0] ? ": " : "", which);
	}
	/* The child has its own copy of the stack; ours can go once it
	 * exec'd nothing and runs on its copy-on-write pages. */
	free(stack);
	announce_init(k->init_pid);
	p = (struct pollfd){ .fd = chan_k, .events = POLLIN };
	if (poll(&p, 1, SETUP_TIMEOUT_MS) <= 0)
		return err_set(err, ETIMEDOUT, "tenant init did not report");
	r = proto_recv(chan_k, 1u << TN_MSG_INIT, &m, fds, &nfds, err);
	if (r < 0)
		return r == -EPIPE ? err_set(err, EPIPE, "tenant init died during setup")
		                   : r;
	if (m.ctl.text[0]) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return err_set(err, EIO, "%s", m.ctl.text);
	}
	if (nfds == 0)
		return err_set(err, EIO, "tenant init sent no status socket");
	kuser_start(k, fds[0]);
	k->proc_fd = nfds == 2 ? fds[1] : -1;
	/* After init's report: a failure of its set-up is told as such. */
	if (k->spec.cg_flat && init_into_user_cgroup(k, err) < 0)
		return -1;
	return 0;
}

static int
open_namespaces(struct keeper *k, struct tn_err *err)
{
	for (int i = 0; i < TN_NS_COUNT; i++) {
		char path[64];
		struct stat st;

		k->ns_fd[i] = -1;
		if (!(k->spec.namespaces & tn_ns_kinds[i].bit))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)k->init_pid,
		    tn_ns_kinds[i].proc);
		k->ns_fd[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (k->ns_fd[i] < 0 || fstat(k->ns_fd[i], &st) < 0)
			return err_set(err, errno, "%s: %m", path);
		k->ns_ino[i] = st.st_ino;
		k->ns_mask |= 1u << i;
	}
	/* init is our unreaped child, so its pid cannot have been reused;
	 * make sure it is still alive now that we hold its namespaces. */
	if (pidfd_send_signal(k->init_pidfd, 0, NULL, 0) < 0)
		return errno == ESRCH
		    ? err_set(err, ESRCH, "tenant init exited during setup")
		    : err_set(err, errno, "pidfd_send_signal: %m");
	return 0;
}

static int
start_listening(struct keeper *k, struct tn_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/tenants/%s/" TN_STATE_SOCKET,
	    TN_STATE_DIR, k->spec.key);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return err_set(err, ENAMETOOLONG, "socket path too long");
	k->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (k->listen_fd < 0)
		return err_set(err, errno, "socket: %m");
	if (bind(k->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(k->listen_fd, 128) < 0)
		return err_set(err, errno, "%s: %m", sa.sun_path);
	write_info(k);
	return 0;
}

static int
keeper_setup(struct keeper *k, struct tn_err *err)
{
	k->created = time(NULL);
	k->created_ms = keeper_now_ms();
	k->listen_fd = k->tenant_dir = k->proc_fd = k->cg_user = -1;
	k->user.listen_fd = -1;
	kcg_open(k);
	if (state_open(&k->st, true, err) < 0)
		return -1;
	kuser_notice_load(k); /* the helper holds the uid lock */
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

/* Everything the keeper runs with is its own, not the login program's
 * (whose limits pam_limits may have set for the user): a long-lived
 * root daemon that must always be able to clean up.  tenant-init, cloned
 * from the keeper, inherits the same. */
static int
keeper_limits(struct tn_err *err)
{
	static const struct {
		int resource;
		const char *name;
		rlim_t value; /* soft = hard */
	} limits[] = {
		{ RLIMIT_NOFILE, "RLIMIT_NOFILE", KEEPER_NOFILE },
		{ RLIMIT_CORE, "RLIMIT_CORE", 0 }, /* no dumps of a root process */
		{ RLIMIT_CPU, "RLIMIT_CPU", RLIM_INFINITY },
		{ RLIMIT_FSIZE, "RLIMIT_FSIZE", RLIM_INFINITY },
		{ RLIMIT_DATA, "RLIMIT_DATA", RLIM_INFINITY },
		{ RLIMIT_AS, "RLIMIT_AS", RLIM_INFINITY },
		{ RLIMIT_RSS, "RLIMIT_RSS", RLIM_INFINITY },
		{ RLIMIT_STACK, "RLIMIT_STACK", 8 * 1024 * 1024 },
		{ RLIMIT_NPROC, "RLIMIT_NPROC", RLIM_INFINITY },
		{ RLIMIT_LOCKS, "RLIMIT_LOCKS", RLIM_INFINITY },
		{ RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK", 8 * 1024 * 1024 },
		{ RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING", 4096 },
		{ RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE", 0 }, /* no POSIX queues */
		{ RLIMIT_NICE, "RLIMIT_NICE", 0 },
		{ RLIMIT_RTPRIO, "RLIMIT_RTPRIO", 0 },
		{ RLIMIT_RTTIME, "RLIMIT_RTTIME", RLIM_INFINITY },
	};

	for (size_t i = 0; i < N_ELEMENTS(limits); i++) {
		struct rlimit rl = { limits[i].value, limits[i].value }, old;

		if (setrlimit(limits[i].resource, &rl) == 0)
			continue;
		/* Raising a hard limit needs CAP_SYS_RESOURCE, which some
		 * containers withhold: then as high as the hard limit allows. */
		if (errno != EPERM || getrlimit(limits[i].resource, &old) < 0 ||
		    old.rlim_max >= limits[i].value)
			return err_set(err, errno, "setrlimit %s: %m", limits[i].name);
		rl.rlim_cur = rl.rlim_max = old.rlim_max;
		if (setrlimit(limits[i].resource, &rl) < 0)
			return err_set(err, errno, "setrlimit %s: %m", limits[i].name);
		if (limits[i].resource == RLIMIT_NOFILE)
			klog(LOG_WARNING,
			    "%s: cannot raise to %llu (no CAP_SYS_RESOURCE): %llu",
			    limits[i].name, (unsigned long long)limits[i].value,
			    (unsigned long long)old.rlim_max);
	}
	errno = 0;
	if (setpriority(PRIO_PROCESS, 0, 0) < 0)
		return err_set(err, errno, "setpriority: %m");
	umask(022); /* init creates /dev/mqueue 0755 if missing */
	if (chdir("/") < 0)
		return err_set(err, errno, "chdir /: %m");
	return 0;
}

/* Signals that would end the keeper end the tenant instead, through the
 * loop (after init was cloned: it must not inherit the mask). */
static int
keeper_signals(struct keeper *k, struct tn_err *err)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_SETMASK, &set, NULL) < 0)
		return err_set(err, errno, "sigprocmask: %m");
	k->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (k->signal_fd < 0)
		return err_set(err, errno, "signalfd: %m");
	k->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (k->reserve_fd < 0)
		return err_set(err, errno, "/dev/null: %m");
	return 0;
}

/* fds[i] becomes 3 + i (n <= 3) and every other fd above stdio closes;
 * by way of copies above all of them, so that no dup3() overwrites one
 * still to move. */
static int
keep_fds(const int *fds, int n)
{
	int tmp[3];

	for (int i = 0; i < n; i++)
		if ((tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3 + n + 8)) < 0)
			return -1;
	for (int i = 0; i < n; i++)
		if (dup3(tmp[i], 3 + i, O_CLOEXEC) < 0)
			return -1;
	return close_range(3 + (unsigned)n, ~0U, 0);
}

static void __attribute__((noreturn))
setup_failed(struct keeper *k, int ready, const struct tn_err *err)
{
	(void)await_scope(NULL, NULL); /* init unreaped until the helper is done */
	if (k->init_pid > 0) {
		(void)pidfd_send_signal(k->init_pidfd, SIGKILL, NULL, 0);
		remove_state(k);
	}
	(void)write_full(ready, err->msg, strlen(err->msg));
	_exit(HELPER_EXIT_SYSTEM);
}

/* Runs in the detached grandchild; never returns. */
static void __attribute__((noreturn))
keeper_main(const struct tenant_spec *spec, int ready, int first, int go)
{
	static struct keeper k; /* large; one per process */
	struct tn_err err = { 0 };
	int keep[] = { ready, first, go }, devnull;

	k.spec = *spec;
	k.signal_fd = k.reserve_fd = -1;
	/* The helper may have logged already: forget its syslog socket
	 * before closing fds, or glibc would later send to (and, on the
	 * error, close) whatever file reuses that number, such as a
	 * namespace fd or the tenant's /proc. */
	closelog();
	/* Only the ready pipe, the first login's socket and (systemd) the go
	 * pipe survive, as 3, 4 and 5; stdio is /dev/null. */
	if (keep_fds(keep, go >= 0 ? 3 : 2) < 0)
		_exit(HELPER_EXIT_SYSTEM);
	ready = 3;
	first = 4;
	if (go >= 0)
		scope_ready = ready, scope_go = 5;
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

	if (keeper_limits(&err) < 0 || keeper_setup(&k, &err) < 0 ||
	    keeper_signals(&k, &err) < 0)
		setup_failed(&k, ready, &err);
	if (!await_scope(&k, serve_first_join(&k, first))) {
		err_set(&err, EIO, "the helper gave up");
		setup_failed(&k, ready, &err);
	}
	(void)write_full(ready, "OK", 2);
	close(ready);
	klog(LOG_INFO, "tenant %s started (init pid %d)", k.spec.key, (int)k.init_pid);
	keeper_loop(&k);
#ifdef TN_SAN_LOG_DIR
	/* _exit skips LeakSanitizer's check at exit: ask for it here.  It
	 * needs a few fds, which a keeper that gave up for want of them
	 * (e2e 45) may lack, also after a try to raise its limit (no
	 * CAP_SYS_RESOURCE here): then it would wait forever for its
	 * tracer, so that keeper goes unchecked. */
	{
		struct rlimit fds = { .rlim_cur = 1024, .rlim_max = 1024 };

		if (setrlimit(RLIMIT_NOFILE, &fds) == 0 ||
		    (getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur >= 64))
			__lsan_do_leak_check();
	}
#endif
	_exit(HELPER_EXIT_OK);
}

/* The keeper and tenant-init go into pam_tenant-<key>.scope in
 * system.slice while they set up: outside the user's slice and sessions,
 * so neither terminate-session nor the user's OOM kills them.  The
 * keeper is our unreaped child and keeps init unreaped until we answer
 * on go: neither pid can name another process meanwhile.  Here the call
 * is sent; keeper_finish() waits for its job. */
static int
keeper_scope_begin(struct keeper_start *ks, const struct tenant_spec *spec,
    struct tn_err *err)
{
	pid_t init = 0;

	if (wait_readable_by(ks->rd, &ks->deadline) < 0)
		return err_set(err, ETIMEDOUT, "keeper did not start in time");
	if (read_full(ks->rd, &init, sizeof(init)) != (ssize_t)sizeof(init) || init < 0)
		return err_set(err, EIO, "keeper died during setup");
	if (init == 0) { /* it failed before tenant-init: its reason follows */
		close(steal_fd(&ks->go));
		return 0;
	}
	/* A failure here is told after the login's own placement, whose
	 * error says more (keeper_finish). */
	ks->scope =
	    sd_keeper_scope_begin(ks->pid, init, spec->key, spec->uid, &ks->scope_err) < 0
	    ? -1
	    : 1;
	return 0;
}

int
keeper_fork(const struct tenant_spec *spec, const struct tn_msg_join *first, int leader,
    int timeout_ms, struct keeper_start *ks, struct tn_err *err)
{
	int pp[2], gp[2] = { -1, -1 }, sp[2];

	*ks = (struct keeper_start){ .rd = -1, .go = -1, .link = -1 };
	deadline_in(&ks->deadline, timeout_ms);
	/* The first login's JOIN waits in the keeper's end, sent now if it
	 * is known, else by keeper_finish(). */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return err_set(err, errno, "socketpair: %m");
	ks->link = sp[0];
	ks->joined = first != NULL;
	if (first && proto_send(ks->link, first, &leader, 1, err) < 0) {
		close(sp[1]);
		keeper_abandon(ks);
		return -1;
	}
	if (pipe2(pp, O_CLOEXEC) < 0) {
		err_set(err, errno, "pipe: %m");
		close(sp[1]);
		keeper_abandon(ks);
		return -1;
	}
	ks->rd = pp[0];
	if (spec->sd && pipe2(gp, O_CLOEXEC) < 0) {
		err_set(err, errno, "pipe: %m");
		close(pp[1]);
		close(sp[1]);
		keeper_abandon(ks);
		return -1;
	}
	ks->go = gp[1];
	ks->pid = fork();
	if (ks->pid == 0) {
		/* Detach into a session of its own.  One fork is enough: we
		 * exit right after our answer, and the keeper passes to PID 1
		 * (or the nearest subreaper), never to the login program. */
		if (setsid() < 0)
			_exit(HELPER_EXIT_SYSTEM);
		if (timeout_ms > SETUP_TIMEOUT_MS && timeout_ms < INT_MAX - 2000)
			scope_wait_ms = timeout_ms + 2000;
		keeper_main(spec, pp[1], sp[1], gp[0]);
	}
	close(pp[1]);
	close(sp[1]);
	if (gp[0] >= 0)
		close(gp[0]);
	if (ks->pid < 0) {
		err_set(err, errno, "fork keeper: %m");
		keeper_abandon(ks);
		return -1;
	}
	if (spec->sd) {
		sd_helper_connect(); /* after the fork: the keeper has no bus */
		if (keeper_scope_begin(ks, spec, err) < 0) {
			keeper_abandon(ks);
			return -1;
		}
	}
	return 0;
}

/* The keeper must not go on: end its scope's job first (its pids stay
 * ours until then), then close go; it removes what it made and exits. */
void
keeper_abandon(struct keeper_start *ks)
{
	if (ks->scope > 0)
		(void)sd_keeper_scope_end(NULL);
	ks->scope = 0;
	if (ks->go >= 0)
		close(steal_fd(&ks->go));
	if (ks->rd >= 0)
		close(steal_fd(&ks->rd));
	if (ks->link >= 0)
		close(steal_fd(&ks->link));
}

/* "OK" on the ready pipe, or why the keeper failed. */
static int
read_ready(struct keeper_start *ks, struct tn_err *err)
{
	char buf[sizeof(err->msg)];
	ssize_t n;

	if (wait_readable_by(ks->rd, &ks->deadline) < 0)
		return err_set(err, ETIMEDOUT, "keeper did not start in time");
	n = read_full(ks->rd, buf, sizeof(buf) - 1);
	if (n == 2 && memcmp(buf, "OK", 2) == 0)
		return 0;
	if (n < 0)
		return err_set(err, (int)-n, "keeper: %s", strerror((int)-n));
	buf[n] = '\0';
	return err_set(err, EIO, "tenant setup failed: %s",
	    n > 0 ? buf : "keeper died during setup");
}

/* The keeper serves the first JOIN only once its tenant is set up, so
 * its answer waiting on the link is as good as its "OK", which comes
 * only after its bookkeeping of that session.  A link that hung up
 * leaves the word to the ready pipe. */
static int
await_keeper(struct keeper_start *ks, struct tn_err *err)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = ks->rd, .events = POLLIN },
			{ .fd = ks->link, .events = POLLIN } };
		long left = ms_left(&ks->deadline);
		int r = poll(p, 2, left > 0 ? (int)left : 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0 && !p[0].revents && p[1].revents == POLLIN)
			return 0;
		return read_ready(ks, err);
	}
}

static void
kill_keeper(pid_t pid)
{
	(void)kill(pid, SIGKILL); /* and init with it (PDEATHSIG) */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int
keeper_finish(struct keeper_start *ks, const struct tn_msg_join *first, int leader,
    const char *slice_cg, struct tn_err *err)
{
	struct keeper_go g = { .go = 'G' };

	if (!ks->joined && proto_send(ks->link, first, &leader, 1, err) < 0) {
		/* It closed its end: it failed before tenant-init (its reason
		 * is on the ready pipe), or died. */
		(void)read_ready(ks, err);
		keeper_abandon(ks);
		return -1;
	}
	if (ks->scope != 0) {
		int r = ks->scope > 0 ? sd_keeper_scope_end(err) : -1;

		if (ks->scope < 0)
			*err = ks->scope_err;
		ks->scope = 0;
		if (r < 0) {
			kill_keeper(ks->pid);
			keeper_abandon(ks);
			return err_wrap(err, "tenant scope");
		}
	}
	if (ks->go >= 0) {
		str_copy(g.slice_cg, sizeof(g.slice_cg), slice_cg);
		if (write_full(ks->go, &g, sizeof(g)) < 0) {
			err_set(err, errno, "resume keeper: %m");
			keeper_abandon(ks);
			return -1;
		}
		close(steal_fd(&ks->go));
	}
	if (await_keeper(ks, err) < 0) {
		keeper_abandon(ks);
		return -1;
	}
	close(steal_fd(&ks->rd)); /* a late "OK" meets EPIPE: SIGPIPE is ignored */
	return steal_fd(&ks->link);
}

int
keeper_spawn(const struct tenant_spec *spec, const struct tn_msg_join *first, int leader,
    const char *slice_cg, int timeout_ms, struct tn_err *err)
{
	struct keeper_start ks;

	if (keeper_fork(spec, first, leader, timeout_ms, &ks, err) < 0)
		return -1;
	return keeper_finish(&ks, first, leader, slice_cg, err);
}
