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
 * Bounded: one pass over /proc (or the leaf, or the tree, at most
 * MAX_TREE processes), no waiting; the keeper answers at once. */
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

/* Signal host pid if it is the tenant's (and not its init). */
static bool
signal_host_pid(const struct keeper *k, pid_t pid, int sig)
{
	_cleanup_close_ int fd = -1;

	if (pid <= 1 || pid == k->init_pid || pid == getpid())
		return false;
	fd = pidfd_open(pid, 0);
	return fd >= 0 && in_tenant(k, pid, fd) &&
	    pidfd_send_signal(fd, sig, NULL, 0) == 0;
}

static bool
is_pid_name(const char *s)
{
	return s[0] >= '1' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s);
}

/* Every numeric entry of a /proc directory fd, passed to fn. */
static int
each_proc_entry(int proc_fd, bool (*fn)(const struct keeper *, int, const char *, int),
    const struct keeper *k, int sig, unsigned *count)
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
	while ((de = readdir(d)) != NULL)
		if (is_pid_name(de->d_name) && fn(k, proc_fd, de->d_name, sig))
			++*count;
	closedir(d);
	return 0;
}

/* In the tenant's own /proc: every process but its init. */
static bool
signal_ns_entry(const struct keeper *k, int proc_fd, const char *name, int sig)
{
	_cleanup_close_ int fd = -1;

	(void)k;
	if (strcmp(name, "1") == 0)
		return false;
	fd = openat(proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 && pidfd_send_signal(fd, sig, NULL, 0) == 0;
}

/* In the host's /proc: the processes in the tenant's mount namespace. */
static bool
signal_host_entry(const struct keeper *k, int proc_fd, const char *name, int sig)
{
	(void)proc_fd;
	return signal_host_pid(k, (pid_t)strtol(name, NULL, 10), sig);
}

int
keeper_signal_tenant(const struct keeper *k, int sig, unsigned *count)
{
	_cleanup_close_ int host_proc = -1;

	*count = 0;
	if (k->proc_fd >= 0)
		return each_proc_entry(k->proc_fd, signal_ns_entry, k, sig, count);
	if (!(k->ns_mask & 1))
		return -ENOTSUP;
	host_proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (host_proc < 0)
		return -errno;
	return each_proc_entry(host_proc, signal_host_entry, k, sig, count);
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

/* Append the children of pid (from the sorted links) to tree[*n..]. */
static void
add_children(const struct proc_link *links, size_t nlinks, pid_t pid, pid_t *tree,
    size_t *n, bool *cut)
{
	size_t lo = 0, hi = nlinks;

	while (lo < hi) { /* the first link with ppid >= pid */
		size_t mid = lo + (hi - lo) / 2;

		if (links[mid].ppid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < nlinks && links[lo].ppid == pid; lo++) {
		if (*n >= MAX_TREE) {
			*cut = true;
			return;
		}
		tree[(*n)++] = links[lo].pid;
	}
}

/* Without a cgroup leaf: the leader's descendants inside the tenant. */
static int
signal_tree(const struct keeper *k, const struct conn *c, int sig, unsigned *count)
{
	struct proc_link *links = NULL;
	pid_t leader, *tree = NULL;
	size_t n = 0, nlinks;
	bool cut = false;

	if (pidfd_pid(c->leader, &leader) < 0)
		return -ESRCH;
	links = calloc(MAX_HOST_PROCS, sizeof(*links));
	tree = calloc(MAX_TREE, sizeof(*tree));
	if (links == NULL || tree == NULL) {
		free(links);
		free(tree);
		return -ENOMEM;
	}
	nlinks = host_links(links, &cut);
	add_children(links, nlinks, leader, tree, &n, &cut);
	/* Breadth first; the array is the queue, bounded by MAX_TREE. */
	for (size_t i = 0; i < n; i++) {
		add_children(links, nlinks, tree[i], tree, &n, &cut);
		if (signal_host_pid(k, tree[i], sig))
			++*count;
	}
	free(links);
	free(tree);
	if (cut)
		klog(LOG_WARNING,
		    "tenant %s, session %s: too many processes: some not signalled",
		    k->spec.key, c->cookie);
	return 0;
}

/* With a leaf: every process in it (the leader too, as on_logout = kill). */
static int
signal_leaf(const struct keeper *k, const struct conn *c, int sig, unsigned *count)
{
	char procs[16384];
	_cleanup_close_ int fd = openat(c->cg_leaf, "cgroup.procs", O_RDONLY | O_CLOEXEC);
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
		if (signal_host_pid(k, (pid_t)pid, sig))
			++*count;
	}
	return 0;
}

int
keeper_signal_session(const struct keeper *k, const struct conn *c, int sig,
    unsigned *count)
{
	*count = 0;
	if (c->cg_leaf >= 0)
		return signal_leaf(k, c, sig, count);
	return signal_tree(k, c, sig, count);
}
