/* cgroupfs backend: the tree, processes in it, and what it reports.
 * Limits are in cgroup-limits.c.  Every path below /sys/fs/cgroup is
 * reached by fd, component by component, without following symlinks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup-int.h"
#include "fault.h"
#include "proto.h"
#include "fsutil.h"
#include "util.h"

/* Controllers pam_tenant uses, enabled down the tree when available. */
static const char *const wanted[] = { "memory", "pids", "cpu", "io" };

int
cg_read(int dir_fd, const char *name, char *buf, size_t len)
{
	_cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read_full(fd, buf, len - 1);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

int
cg_write(int dir_fd, const char *name, const char *text)
{
	/* O_TRUNC is what a shell's '>' does: cgroup files ignore it, and a
	 * plain file standing in for one (tests/unit/test-limits.c) then
	 * holds exactly the last value written. */
	_cleanup_close_ int fd =
	    openat(dir_fd, name, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	do
		n = write(fd, text, strlen(text));
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

/* Is word one of the space-separated words of list? */
bool
cg_has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0' || p[n] == '\n'))
			return true;
	return false;
}

void
cgroup_probe(struct tn_cgroup_probe *p)
{
	_cleanup_close_ int fd = -1;
	struct statfs sf;

	memset(p, 0, sizeof(*p));
	if (statfs(TN_CGROUP_MOUNT, &sf) < 0) {
		snprintf(p->why, sizeof(p->why), "%s: %m", TN_CGROUP_MOUNT);
		return;
	}
	if (sf.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(p->why, sizeof(p->why),
		    "%s is not cgroup v2 (this host uses cgroup v1 or hybrid)",
		    TN_CGROUP_MOUNT);
		return;
	}
	fd = open(TN_CGROUP_MOUNT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 ||
	    cg_read(fd, "cgroup.controllers", p->controllers, sizeof(p->controllers)) <
	        0 ||
	    !p->controllers[0]) {
		snprintf(p->why, sizeof(p->why),
		    "%s/cgroup.controllers lists no controllers", TN_CGROUP_MOUNT);
		return;
	}
	p->usable = true;
}

/* Let the children of dir_fd use every wanted controller dir_fd has.
 * Failures are not fatal here: applying a limit that needs a missing
 * controller fails later, naming it. */
static void
enable_controllers(int dir_fd)
{
	char have[256], on[256];

	if (cg_read(dir_fd, "cgroup.controllers", have, sizeof(have)) < 0 ||
	    cg_read(dir_fd, "cgroup.subtree_control", on, sizeof(on)) < 0)
		return;
	for (size_t i = 0; i < N_ELEMENTS(wanted); i++) {
		char cmd[32];

		if (!cg_has_word(have, wanted[i]) || cg_has_word(on, wanted[i]))
			continue;
		snprintf(cmd, sizeof(cmd), "+%s", wanted[i]);
		/* EBUSY: a process lives here (tenant-init, CG_CREATE_FLAT);
		 * stop before a threaded controller would still go on. */
		if (cg_write(dir_fd, "cgroup.subtree_control", cmd) == -EBUSY)
			return;
	}
}

int
cg_flatten(int user_fd, struct tn_err *err)
{
	char on[256];
	int r;

	if ((r = cg_read(user_fd, "cgroup.subtree_control", on, sizeof(on))) < 0)
		return err_set(err, -r, "read cgroup.subtree_control: %s", strerror(-r));
	for (size_t i = 0; i < N_ELEMENTS(wanted); i++) {
		char cmd[32];

		if (!cg_has_word(on, wanted[i]))
			continue;
		snprintf(cmd, sizeof(cmd), "-%s", wanted[i]);
		if ((r = cg_write(user_fd, "cgroup.subtree_control", cmd)) < 0)
			return err_set(err, -r, "cgroup.subtree_control %s: %s", cmd,
			    strerror(-r));
	}
	return 0;
}

/* One level down: mkdir (when create), open, and check it is ours. */
static int
step_into(int dir_fd, const char *name, bool create, struct tn_err *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (create && mkdirat(dir_fd, name, 0755) < 0 && errno != EEXIST)
		return err_set(err, errno, "mkdir cgroup %s: %m%s", name,
		    errno == ENOSPC ? " (cgroup limit reached)" : "");
	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errno, "cgroup %s: %m", name);
	if (fstat(fd, &st) < 0 || st.st_uid != 0)
		return err_set(err, EPERM, "cgroup %s is not owned by root", name);
	return steal_fd(&fd);
}

int
cg_user_open(const char *root, uid_t uid, enum cg_open_mode mode, struct tn_err *err)
{
	bool create = mode != CG_OPEN;
	_cleanup_close_ int cur = -1;
	char path[160], user[32];
	struct statfs sf;
	char *save = NULL, *comp;
	int next;

	if (walk_trusted(TN_CGROUP_MOUNT, 0, &cur, err) < 0)
		return -1;
	if (fstatfs(cur, &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
		return err_set(err, ENOTSUP, "%s is not cgroup v2", TN_CGROUP_MOUNT);
	if (str_copy(path, sizeof(path), root) < 0 || !path[0])
		return err_set(err, EINVAL, "bad cgroup root '%s'", root);
	snprintf(user, sizeof(user), "user-%u", (unsigned)uid);
	for (comp = strtok_r(path, "/", &save);; comp = strtok_r(NULL, "/", &save)) {
		const char *name = comp ? comp : user;

		if (create)
			enable_controllers(cur);
		next = step_into(cur, name, create, err);
		if (next < 0)
			return next;
		close(cur);
		cur = next;
		if (comp == NULL)
			break;
	}
	if (mode == CG_CREATE)
		enable_controllers(cur); /* per-session accounting */
	return steal_fd(&cur);
}

int
cg_session_create(int user_fd, const char *cookie, struct tn_err *err)
{
	char name[64];

	snprintf(name, sizeof(name), "session-%s", cookie);
	if (mkdirat(user_fd, name, 0755) < 0)
		return err_set(err, errno, "mkdir cgroup %s: %m", name);
	return step_into(user_fd, name, false, err);
}

int
cg_session_open(int user_fd, const char *cookie)
{
	char name[64];

	snprintf(name, sizeof(name), "session-%s", cookie);
	return openat(user_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Is pid listed in dir_fd/cgroup.procs? */
static bool
cg_lists(int dir_fd, pid_t pid)
{
	char procs[4096];
	int r = cg_read(dir_fd, "cgroup.procs", procs, sizeof(procs));

	for (char *p = procs, *end; r == 0 && *p; p = end) {
		if (strtol(p, &end, 10) == pid)
			return true;
		if (end == p)
			break;
		while (*end == '\n')
			end++;
	}
	return false;
}

int
cg_proc_path(pid_t pid, bool unified_only, char *path, size_t len)
{
	_cleanup_close_ int fd = -1;
	char name[64], text[4096], *p;
	ssize_t n;

	snprintf(name, sizeof(name), "/proc/%d/cgroup", (int)pid);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read_full(fd, text, sizeof(text) - 1);
	if (n <= 0)
		return n < 0 ? (int)n : -EBADMSG;
	text[n] = '\0';
	if (unified_only && strncmp(text, "0::/", 4) != 0)
		return -ENOTSUP;
	p = strncmp(text, "0::", 3) == 0 ? text : strstr(text, "\n0::");
	if (p == NULL)
		return -ENOENT;
	p += p == text ? 3 : 4;
	p[strcspn(p, "\n")] = '\0';
	return str_copy(path, len, p);
}

/* A move that may have hit a recycled pid: put whatever the leaf holds
 * back where the pinned process was (its cgroup, read while it lived). */
static void
undo_move(int dir_fd, const char *orig)
{
	_cleanup_close_ int back = -1;
	char path[PATH_MAX], procs[4096];

	if (snprintf(path, sizeof(path), "%s%s", TN_CGROUP_MOUNT, orig) >=
	        (int)sizeof(path) ||
	    walk_trusted(path, 0, &back, NULL) < 0 ||
	    cg_read(dir_fd, "cgroup.procs", procs, sizeof(procs)) < 0)
		return;
	for (char *p = procs, *end; *p; p = end) {
		long pid = strtol(p, &end, 10);
		char text[32];

		if (end == p)
			break;
		while (*end == '\n')
			end++;
		snprintf(text, sizeof(text), "%ld", pid);
		(void)cg_write(back, "cgroup.procs", text);
	}
}

int
cg_attach(int dir_fd, int pidfd, struct tn_err *err)
{
	char text[32], orig[PATH_MAX] = "";
	pid_t pid = 0;
	int r;

	/* cgroup.procs takes a pid, not a pidfd (Linux 6.1).  The pid is the
	 * pidfd's own; while the pidfd says the process lives, the pid is
	 * its.  So: check, write, check again.  Only if the process exited
	 * in between can the write have moved a process that reused its
	 * pid; then the move is undone and the login fails. */
	if (pidfd_pid(pidfd, &pid) < 0 || pidfd_exited(pidfd))
		return err_set(err, ESRCH,
		    "the login process exited before it could enter its session cgroup");
	(void)cg_proc_path(pid, false, orig, sizeof(orig));
	if (pidfd_exited(pidfd))
		return err_set(err, ESRCH,
		    "the login process exited before it could enter its session cgroup");
	FAULT_POINT("cgroup-attach-before-write");
	snprintf(text, sizeof(text), "%d", (int)pid);
	r = cg_write(dir_fd, "cgroup.procs", text);
	if (r < 0 && !pidfd_exited(pidfd))
		return err_set(err, -r, "move pid %d into its session cgroup: %s",
		    (int)pid, strerror(-r));
	if (pidfd_exited(pidfd)) {
		if (orig[0])
			undo_move(dir_fd, orig);
		return err_set(err, ESRCH,
		    "the login process (pid %d) exited while it was being moved into its session cgroup%s",
		    (int)pid, r == 0 ? "; the move was undone" : "");
	}
	/* Verify: the pid is listed (the leaf is new, so the list is short). */
	if (!cg_lists(dir_fd, pid))
		return err_set(err, EIO,
		    "pid %d is not in its session cgroup after the move", (int)pid);
	return 0;
}

int
cg_kill(int dir_fd, struct tn_err *err)
{
	int r = cg_write(dir_fd, "cgroup.kill", "1");

	if (r < 0)
		return err_set(err, -r, "cgroup.kill: %s%s", strerror(-r),
		    r == -ENOENT ? " (needs Linux 5.14 or later)" : "");
	return 0;
}

int
cg_populated(int dir_fd)
{
	char ev[256];
	int r = cg_read(dir_fd, "cgroup.events", ev, sizeof(ev));

	if (r < 0)
		return r;
	return strstr(ev, "populated 1") != NULL;
}

int
cg_remove(int parent_fd, const char *name)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < 50; i++) {
		if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		nanosleep(&pause, NULL); /* killed processes still leaving */
	}
	return -EBUSY;
}

bool
cg_each_session(int user_fd, cg_leaf_fn fn, void *data)
{
	struct dirent *de;
	DIR *d;
	int fd = openat(user_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while ((de = readdir(d)) != NULL) {
		_cleanup_close_ int leaf = -1;

		if (strncmp(de->d_name, "session-", 8) != 0)
			continue;
		leaf = openat(user_fd, de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (leaf >= 0 && !fn(user_fd, de->d_name, leaf, data))
			break;
	}
	closedir(d);
	return true;
}

struct remove_ctx {
	bool all, left;
};

static bool
remove_leaf(int user_fd, const char *name, int leaf_fd, void *data)
{
	struct remove_ctx *r = data;

	if ((!r->all && cg_populated(leaf_fd) != 0) || cg_remove(user_fd, name) < 0)
		r->left = true;
	return true;
}

void
cg_remove_empty(const char *root, uid_t uid, bool all)
{
	_cleanup_close_ int user = cg_user_open(root, uid, CG_OPEN, NULL);
	struct remove_ctx r = { .all = all };

	if (user < 0 || !cg_each_session(user, remove_leaf, &r))
		return;
	if (!r.left && cg_populated(user) == 0) {
		_cleanup_close_ int parent =
		    openat(user, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char name[32];

		snprintf(name, sizeof(name), "user-%u", (unsigned)uid);
		if (parent >= 0)
			(void)cg_remove(parent, name);
	}
}

static uint64_t
read_u64(int dir_fd, const char *name)
{
	char buf[64];

	if (cg_read(dir_fd, name, buf, sizeof(buf)) < 0)
		return 0;
	if (strcmp(buf, "max") == 0)
		return TN_UNLIMITED;
	return strtoull(buf, NULL, 10);
}

/* The value of "key N" in a flat-keyed file such as memory.events. */
static uint64_t
read_key(int dir_fd, const char *name, const char *key)
{
	char buf[2048] = { 0 }, *p; /* zeroed: the analyzer cannot see that
				     * strncmp() stops p[n] past the text */
	size_t n = strlen(key);

	if (cg_read(dir_fd, name, buf, sizeof(buf)) < 0)
		return 0;
	for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, n) == 0 && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
	return 0;
}

static bool
add_pids_denied(int user_fd, const char *name, int leaf_fd, void *data)
{
	(void)user_fd;
	(void)name;
	*(uint64_t *)data += read_key(leaf_fd, "pids.events", "max");
	return true;
}

/* pids.events counts a refused fork in the cgroup of the forking task,
 * not where the limit sits (Linux 6.1): add up the session leaves too. */
static uint64_t
pids_denied_below(int dir_fd)
{
	uint64_t sum = read_key(dir_fd, "pids.events", "max");

	(void)cg_each_session(dir_fd, add_pids_denied, &sum);
	return sum;
}

void
cg_event_counts(int dir_fd, uint64_t *oom_kills, uint64_t *pids_denied)
{
	*oom_kills = read_key(dir_fd, "memory.events", "oom_kill");
	*pids_denied = pids_denied_below(dir_fd);
}

void
cg_usage(int dir_fd, struct tn_cg_usage *u)
{
	memset(u, 0, sizeof(*u));
	u->has_memory =
	    faccessat(dir_fd, "memory.current", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	u->memory_current = read_u64(dir_fd, "memory.current");
	u->memory_peak = read_u64(dir_fd, "memory.peak");
	u->memory_max = read_u64(dir_fd, "memory.max");
	u->pids_current = read_u64(dir_fd, "pids.current");
	u->pids_max = read_u64(dir_fd, "pids.max");
	u->cpu_usec = read_key(dir_fd, "cpu.stat", "usage_usec");
	cg_event_counts(dir_fd, &u->oom_kills, &u->pids_denied);
}
