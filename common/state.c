#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "identity.h"
#include "state.h"
#include "uid.h"
#include "util.h"

/* Open dirfd/name as a directory that must be root:root 0700. */
static int
open_private_dir(int dirfd, const char *name, bool create, const char *what,
    struct tn_err *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (create && mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
		return err_set(err, errno, "mkdir %s: %m", what);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errno, "%s: %m", what);
	if (fstat(fd, &st) < 0)
		return err_set(err, errno, "%s: fstat: %m", what);
	if (st.st_uid != 0 || (st.st_mode & 07777) != 0700)
		return err_set(err, EPERM,
		    "%s: must be a directory owned by root with mode 0700", what);
	return steal_fd(&fd);
}

void
state_close(struct tn_state *s)
{
	int *fds[] = { &s->root, &s->tenants, &s->locks };

	for (size_t i = 0; i < N_ELEMENTS(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int
state_open(struct tn_state *s, bool create, struct tn_err *err)
{
	_cleanup_close_ int parent = -1;
	int r;

	s->root = s->tenants = s->locks = -1;
	r = walk_trusted("/run", 0, &parent, err);
	if (r < 0)
		return r;
	s->root = open_private_dir(parent, &TN_STATE_DIR[sizeof("/run")], create,
	    TN_STATE_DIR, err);
	if (s->root < 0)
		return s->root;
	if ((s->tenants = open_private_dir(s->root, "tenants", create,
	         TN_STATE_DIR "/tenants", err)) < 0 ||
	    (s->locks = open_private_dir(s->root, "locks", create, TN_STATE_DIR "/locks",
	         err)) < 0) {
		r = s->tenants < 0 ? s->tenants : s->locks;
		state_close(s);
		return r;
	}
	return 0;
}

int
tenant_key(char *buf, size_t len, bool per_session, uid_t uid, const char *cookie)
{
	int n = per_session ? snprintf(buf, len, "session-%s", cookie)
	                    : snprintf(buf, len, "user-%u", (unsigned)uid);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The marker inside a tenant: "<uid> <key>\n" in a root-owned file that
 * nobody else may write, and nothing else in the mount. */
static int
read_marker(int dir, uid_t *owner, struct tn_err *err)
{
	_cleanup_close_ int fd = -1;
	char text[TN_KEY_MAX + 32], *sp;
	struct stat st;
	ssize_t n;

	fd = openat(dir, TN_MARKER_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errno, "tenant marker: %m");
	if (fstat(fd, &st) < 0)
		return err_set(err, errno, "tenant marker: fstat: %m");
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 0022) ||
	    st.st_nlink != 1 || st.st_size <= 0 || (size_t)st.st_size >= sizeof(text))
		return err_set(err, EPERM, "tenant marker: not a small root-owned file");
	n = read_full(fd, text, sizeof(text) - 1);
	if (n < 0)
		return err_set(err, (int)-n, "tenant marker: read: %s",
		    strerror((int)-n));
	text[n] = '\0';
	sp = strchr(text, ' ');
	if (sp == NULL || text[n - 1] != '\n')
		return err_set(err, EBADMSG, "tenant marker: malformed");
	*sp = '\0';
	if (parse_uid(text, owner) < 0)
		return err_set(err, EBADMSG, "tenant marker: malformed uid");
	return 1;
}

int
state_tenant_marker(uid_t *owner, struct tn_err *err)
{
	_cleanup_close_ int run = -1, dir = -1;
	struct statx stx, parent;
	struct statfs sfs;
	bool mount_root;

	run = open("/run", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (run < 0)
		return errno == ENOENT ? 0 : err_set(err, errno, "/run: %m");
	dir = openat(run, &TN_STATE_DIR[sizeof("/run")],
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* Missing, a symlink or not a directory: not a marker (the helper
	 * judges a broken host directory, and root's login never waits
	 * for it). */
	if (dir < 0)
		return errno == ENOENT || errno == ELOOP || errno == ENOTDIR
		    ? 0
		    : err_set(err, errno, TN_STATE_DIR ": %m");
	if (statx(dir, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
	        STATX_TYPE | STATX_MODE | STATX_UID, &stx) < 0 ||
	    statx(run, "", AT_EMPTY_PATH, STATX_TYPE, &parent) < 0 ||
	    fstatfs(dir, &sfs) < 0)
		return err_set(err, errno, TN_STATE_DIR ": stat: %m");
	/* Anything but a read-only tmpfs of its own is the host's state
	 * directory, whose owner and mode the helper checks (under
	 * on_error).  Inside a tenant it cannot be anything else: removing
	 * the marker mount needs CAP_SYS_ADMIN.  (Kernels before 5.8 do not
	 * flag mount roots; a device of its own tells the same.) */
	mount_root = stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT
	    ? (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0
	    : stx.stx_dev_major != parent.stx_dev_major ||
	        stx.stx_dev_minor != parent.stx_dev_minor;
	if (!mount_root || sfs.f_type != TMPFS_MAGIC || !(sfs.f_flags & ST_RDONLY))
		return 0;
	/* 0711 since the status socket: users reach it by name only. */
	if (stx.stx_uid != 0 ||
	    ((stx.stx_mode & 07777) != 0700 && (stx.stx_mode & 07777) != 0711))
		return err_set(err, EPERM,
		    TN_STATE_DIR ": a read-only tmpfs not owned by root with mode 0711");
	return read_marker(dir, owner, err);
}

int
state_lock_uid(const struct tn_state *s, uid_t uid, bool nonblock, struct tn_err *err)
{
	_cleanup_close_ int fd = -1;
	char name[32];
	struct stat st;

	snprintf(name, sizeof(name), "%u.lock", (unsigned)uid);
	fd = openat(s->locks, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(err, errno, "lock %s: %m", name);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0)
		return err_set(err, EPERM, "lock %s: not a root-owned file", name);
	while (flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) < 0) {
		if (errno == EINTR)
			continue;
		return err_set(err, errno, "flock %s: %m", name);
	}
	return steal_fd(&fd);
}

int
state_connect_keeper(const char *key, int timeout_ms, struct tn_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	struct timespec end;
	int n;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path),
	    TN_STATE_DIR "/tenants/%s/" TN_STATE_SOCKET, key);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return err_set(err, ENAMETOOLONG, "keeper socket path too long");
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(err, errno, "socket: %m");
	/* A keeper that does not accept (stopped, or swamped) fills its
	 * backlog; then connect() waits for room, as long as SO_SNDTIMEO
	 * allows (AF_UNIX honours it for connect) and fails with EAGAIN. */
	deadline_in(&end, timeout_ms);
	for (;;) {
		long left = ms_left(&end);
		struct timeval tv;

		if (left < 1)
			left = 1; /* 0 would mean "wait forever" */
		tv = (struct timeval){ .tv_sec = left / 1000,
			.tv_usec = (left % 1000) * 1000 };
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
			return err_set(err, errno, "SO_SNDTIMEO: %m");
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		if (errno == EINTR && left > 1)
			continue; /* a signal: try again with what is left */
		if (errno == EAGAIN || errno == EINTR)
			return err_set(err, EAGAIN,
			    "the keeper of %s accepts no connections (none within %d ms, its queue is full:"
			    " is it stopped or overloaded?)",
			    key, timeout_ms);
		return err_set(err, errno, "connect %s: %m", sa.sun_path);
	}
	/* Later sends on this link have their own bounds (MSG_DONTWAIT). */
	struct timeval none = { 0, 0 };
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none));
	return steal_fd(&fd);
}

void
state_remove_tenant(const struct tn_state *s, const char *key, int dir)
{
	_cleanup_close_ int opened = -1;

	if (dir < 0) {
		opened = openat(s->tenants, key,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (opened < 0)
			return;
		dir = opened;
	}
	(void)unlinkat(dir, TN_STATE_SOCKET, 0);
	(void)unlinkat(dir, TN_STATE_INFO, 0);
	(void)unlinkat(s->tenants, key, AT_REMOVEDIR);
}
