/* tenantctl kill and terminate --session: signal the processes of the
 * whole tenant, or of one session, without ending the tenant.
 *
 * A tenant's processes are found without its cgroup, so that tenants on
 * hosts without cgroup v2 are served the same: with a PID namespace,
 * every process in it but its init (the tenant's own /proc; a
 * /proc/<pid> directory fd is a pidfd to pidfd_send_signal); without
 * one, every process in the tenant's mount namespace (the host's /proc,
 * each process held by a pidfd while it is checked and signalled, so a
 * reused pid is never hit).
 *
 * A session's processes: those of its cgroup leaf when it has one, else
 * the session leader's descendants (from every host process's parent),
 * in both cases only those inside the tenant: the login program that
 * opened the session is not signalled, it ends when its child does.  A process
 * that left that tree (a daemon reparented to the tenant's init) is not
 * the session's any more and is not signalled: tenantctl(8) says so.
 *
 * Fork races: a process forking in a loop makes children after a scan
 * saw it.  SIGKILL is therefore sent in passes, scan and signal, until a
 * pass finds no process it had not signalled yet (a SIGKILLed process
 * cannot fork any more: the kernel aborts a fork with a fatal signal
 * pending).  Bounded, as the keeper serves logins meanwhile: at most
 * MAX_PASSES passes and MAX_PASS_MS; running out of either is reported
 * (escaped).  Other signals go in one pass: a process trapping one must
 * not get it twice. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "keeper.h"
#include "util.h"
#define MAX_TREE 8192        /* processes of one session found by the leader's tree */
#define MAX_HOST_PROCS 65536 /* host processes looked at for that tree */
#define MAX_PASSES 50        /* SIGKILL passes per request ... */
#define MAX_PASS_MS 200      /* ... and the time they may take */
#define SEEN_SLOTS 32768     /* pids signalled by one request (a power of 2) */

/* The pids one request signalled already (host or tenant pids, as the
 * scan gives them): open addressing, never shrinks, 0 = free. */
struct pidset {
	pid_t *slot;
	size_t used;
};

static bool
pidset_add(struct pidset *s, pid_t pid, bool *full)
{
	size_t i = ((size_t)pid * 2654435761u) & (SEEN_SLOTS - 1);

	for (size_t n = 0; n < SEEN_SLOTS; n++, i = (i + 1) & (SEEN_SLOTS - 1)) {
		if (s->slot[i] == pid)
			return false;
		if (s->slot[i] == 0) {
			if (s->used >= SEEN_SLOTS / 2) {
				*full = true; /* counted as new: more passes, bounded */
				return true;
			}
			s->slot[i] = pid;
			s->used++;
			return true;
		}
	}
	*full = true;
	return true;
}

static bool
pidset_has(const struct pidset *s, pid_t pid)
{
	size_t i = ((size_t)pid * 2654435761u) & (SEEN_SLOTS - 1);

	for (size_t n = 0; n < SEEN_SLOTS && s->slot[i] != 0;
	     n++, i = (i + 1) & (SEEN_SLOTS - 1))
		if (s->slot[i] == pid)
			return true;
	return false;
}

/* Is the process the pidfd refers to (pid) in the tenant: in its PID
 * namespace when it has one (the login program that joined it is not),
 * else in its mount namespace?  Checked while the pidfd pins it: had it
 * died between the open and the check, the signal-0 probe says so. */
static bool
in_tenant(const struct keeper *k, pid_t pid, int pidfd)
{
	bool by_pid = k->ns_mask & TN_NS_PID;
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, by_pid ? "pid" : "mnt");
	return stat(path, &st) == 0 && st.st_ino == k->ns_ino[by_pid ? 1 : 0] &&
	    pidfd_send_signal(pidfd, 0, NULL, 0) == 0;
}

/* Signal host pid if it is the tenant's (and not its init).  sig 0: is
 * it a live (not zombie) process of the tenant? */
static bool
signal_host_pid(const struct keeper *k, pid_t pid, int sig)
{
	_cleanup_close_ int fd = -1;

	if (pid <= 1 || pid == k->init_pid || pid == getpid())
		return false;
	fd = pidfd_open(pid, 0);
	if (fd < 0 || !in_tenant(k, pid, fd))
		return false;
	if (sig == 0) {
		struct tn_proc_id id;

		return keeper_proc_id(pid, &id) == 0 && !id.zombie;
	}
	return pidfd_send_signal(fd, sig, NULL, 0) == 0;
}

static bool
is_pid_name(const char *s)
{
	return s[0] >= '1' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s);
}

int
keeper_proc_id(pid_t pid, struct tn_proc_id *id)
{
	char path[64], buf[1024], *p;
	_cleanup_close_ int fd = -1;
	ssize_t len;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	len = fd >= 0 ? read_full(fd, buf, sizeof(buf) - 1) : -1;
	if (len <= 0)
		return -ESRCH;
	buf[len] = '\0';
	/* "PID (COMM) STATE PPID ... STARTTIME(22nd)": COMM may hold anything */
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ' || p[2] == '\0')
		return -EINVAL;
	id->pid = pid;
	id->zombie = p[2] == 'Z' || p[2] == 'X';
	for (field = 2, p += 1; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return -EINVAL;
	id->start = strtoull(p + 1, NULL, 10);
	return 0;
}

/* ---- scans: the pids a pass looks at -------------------------------- */

struct scan {
	pid_t *pids;
	size_t n, cap;
	bool cut;
};

static void
scan_add(struct scan *sc, pid_t pid)
{
	if (sc->n < sc->cap)
		sc->pids[sc->n++] = pid;
	else
		sc->cut = true;
}

/* Every numeric entry of a /proc directory fd but skip (0: none). */
static int
scan_proc_dir(int proc_fd, pid_t skip, struct scan *sc)
{
	int fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (d == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return -e;
	}
	while ((de = readdir(d)) != NULL) {
		pid_t pid;

		if (!is_pid_name(de->d_name) || strlen(de->d_name) > 10)
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (pid != skip)
			scan_add(sc, pid);
	}
	closedir(d);
	return 0;
}

struct proc_link {
	pid_t ppid, pid;
};

static int
by_parent(const void *a, const void *b)
{
	const struct proc_link *x = a, *y = b;

	return x->ppid < y->ppid ? -1 : x->ppid > y->ppid;
}

/* Every host process with its parent (from /proc/PID/stat), sorted by
 * parent; at most MAX_HOST_PROCS.  (/proc/PID/task/TID/children needs
 * CONFIG_PROC_CHILDREN, which not every kernel has.) */
static size_t
host_links(struct proc_link *links, bool *cut)
{
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL; /* owns fd from here on */
	struct dirent *de;
	size_t n = 0;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		char path[300], buf[512], *paren;
		_cleanup_close_ int sfd = -1;
		ssize_t len;

		if (!is_pid_name(de->d_name) || strlen(de->d_name) > 20)
			continue;
		if (n >= MAX_HOST_PROCS) {
			*cut = true;
			break;
		}
		snprintf(path, sizeof(path), "%s/stat", de->d_name);
		sfd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC);
		len = sfd >= 0 ? read_full(sfd, buf, sizeof(buf) - 1) : -1;
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* "PID (COMM) STATE PPID ...": COMM may hold anything */
		paren = strrchr(buf, ')');
		if (paren == NULL || paren[1] != ' ' || paren[2] == '\0' ||
		    paren[3] != ' ')
			continue;
		links[n].pid = (pid_t)strtol(de->d_name, NULL, 10);
		links[n].ppid = (pid_t)strtol(paren + 4, NULL, 10);
		n++;
	}
	closedir(d);
	qsort(links, n, sizeof(*links), by_parent);
	return n;
}

/* Append the children of pid (from the sorted links) to the scan. */
static void
add_children(const struct proc_link *links, size_t nlinks, pid_t pid, struct scan *sc)
{
	size_t lo = 0, hi = nlinks;

	while (lo < hi) { /* the first link with ppid >= pid */
		size_t mid = lo + (hi - lo) / 2;

		if (links[mid].ppid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < nlinks && links[lo].ppid == pid; lo++)
		scan_add(sc, links[lo].pid);
}

/* The descendants of leader (not itself) and the roots with theirs,
 * breadth first; the scan is the queue, bounded by its capacity. */
static int
scan_tree(pid_t leader, const struct tn_proc_id *roots, size_t nroots, struct scan *sc)
{
	struct proc_link *links = calloc(MAX_HOST_PROCS, sizeof(*links));
	size_t nlinks;

	if (links == NULL)
		return -ENOMEM;
	nlinks = host_links(links, &sc->cut);
	if (leader > 0)
		add_children(links, nlinks, leader, sc);
	for (size_t i = 0; i < nroots; i++)
		if (roots[i].pid > 0)
			scan_add(sc, roots[i].pid);
	for (size_t i = 0; i < sc->n; i++)
		add_children(links, nlinks, sc->pids[i], sc);
	free(links);
	return 0;
}

/* Every pid in the leaf's cgroup.procs. */
static int
scan_leaf(int leaf, struct scan *sc)
{
	char procs[16384];
	_cleanup_close_ int fd = openat(leaf, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	ssize_t len = fd >= 0 ? read_full(fd, procs, sizeof(procs) - 1) : -1;

	if (len < 0)
		return fd < 0 ? -errno : (int)len;
	procs[len] = '\0';
	for (char *p = procs, *end; *p; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		while (*end == '\n')
			end++;
		scan_add(sc, (pid_t)pid);
	}
	return 0;
}

/* ---- targets and passes ---------------------------------------------- */

static int
scan_target(const struct keeper *k, const struct ksig_target *t, struct scan *sc)
{
	_cleanup_close_ int host_proc = -1;

	sc->n = 0;
	if (t->whole_tenant) {
		if (k->proc_fd >= 0)
			return scan_proc_dir(k->proc_fd, 1, sc);
		if (!(k->ns_mask & 1))
			return -ENOTSUP;
		host_proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		return host_proc < 0 ? -errno : scan_proc_dir(host_proc, 0, sc);
	}
	if (t->leaf >= 0)
		return scan_leaf(t->leaf, sc);
	if (t->leader <= 0 && t->nroots == 0)
		return -ESRCH;
	return scan_tree(t->leader, t->roots, t->nroots, sc);
}

/* pid (of the tenant's PID namespace with ns_pids, else of the host). */
static bool
signal_one(const struct keeper *k, bool ns_pids, pid_t pid, int sig)
{
	char name[16];
	_cleanup_close_ int fd = -1;

	if (!ns_pids)
		return signal_host_pid(k, pid, sig);
	snprintf(name, sizeof(name), "%d", (int)pid);
	fd = openat(k->proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 && pidfd_send_signal(fd, sig, NULL, 0) == 0;
}

int
keeper_signal(const struct keeper *k, const struct ksig_target *t, int sig,
    struct ksig_result *res, struct tn_proc_id **signalled, size_t *nsignalled)
{
	struct pidset seen = { .slot = calloc(SEEN_SLOTS, sizeof(pid_t)) };
	struct scan sc = { .pids = calloc(MAX_TREE, sizeof(pid_t)), .cap = MAX_TREE };
	bool ns_pids = t->whole_tenant && k->proc_fd >= 0, full = false;
	unsigned max_passes = sig == SIGKILL ? MAX_PASSES : 1, fresh = 0;
	int64_t start = keeper_now_ms();
	int r = 0;

	*res = (struct ksig_result){ 0 };
	if (seen.slot == NULL || sc.pids == NULL) {
		r = -ENOMEM;
		goto out;
	}
	while (res->passes < max_passes) {
		r = scan_target(k, t, &sc);
		if (r < 0 && res->passes == 0)
			goto out;
		r = 0; /* a leaf removed later: nothing left in it */
		res->passes++;
		res->cut |= sc.cut;
		fresh = 0;
		for (size_t i = 0; i < sc.n; i++)
			if (!pidset_has(&seen, sc.pids[i]) &&
			    signal_one(k, ns_pids, sc.pids[i], sig) &&
			    pidset_add(&seen, sc.pids[i], &full)) {
				fresh++;
				res->count++;
			}
		if (fresh == 0 || keeper_now_ms() - start >= MAX_PASS_MS)
			break;
	}
	/* SIGKILL: the bounds ran out while passes still found new ones.
	 * One more scan says whether a live process was never signalled
	 * (a slow pass on a busy host is no escape). */
	if (sig == SIGKILL && fresh > 0 && scan_target(k, t, &sc) == 0)
		for (size_t i = 0; i < sc.n && !res->escaped; i++)
			res->escaped = !pidset_has(&seen, sc.pids[i]) &&
			    signal_one(k, ns_pids, sc.pids[i], 0);
	res->ms = (unsigned)(keeper_now_ms() - start);
	if (signalled && !ns_pids && seen.used > 0) {
		/* Who got it, to be found again by pid and start time. */
		*signalled = calloc(seen.used, sizeof(**signalled));
		*nsignalled = 0;
		for (size_t i = 0; *signalled && i < SEEN_SLOTS; i++)
			if (seen.slot[i] > 0 &&
			    keeper_proc_id(seen.slot[i], &(*signalled)[*nsignalled]) == 0)
				++*nsignalled;
	}
out:
	free(seen.slot);
	free(sc.pids);
	if (res->cut)
		klog(LOG_WARNING, "tenant %s: too many processes: some not signalled",
		    k->spec.key);
	return r;
}

long
keeper_count_alive(const struct keeper *k, const struct ksig_target *t)
{
	struct scan sc = { .pids = calloc(MAX_TREE, sizeof(pid_t)), .cap = MAX_TREE };
	long n = 0;

	if (sc.pids == NULL)
		return -ENOMEM;
	if (scan_target(k, t, &sc) == 0)
		for (size_t i = 0; i < sc.n; i++)
			n += signal_one(k, t->whole_tenant && k->proc_fd >= 0, sc.pids[i],
			    0);
	free(sc.pids);
	return n;
}

void
keeper_session_target(const struct conn *c, struct ksig_target *t)
{
	pid_t leader = 0;

	*t = (struct ksig_target){ .leaf = c->cg_leaf };
	if (c->cg_leaf < 0 && pidfd_pid(c->leader, &leader) < 0)
		leader = -1;
	t->leader = leader;
}
