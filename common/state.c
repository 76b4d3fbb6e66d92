#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "identity.h"
#include "state.h"
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
	int *fds[] = {&s->root, &s->tenants, &s->mntns, &s->locks};

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

	s->root = s->tenants = s->mntns = s->locks = -1;
	r = walk_trusted("/run", 0, &parent, err);
	if (r < 0)
		return r;
	s->root = open_private_dir(parent, TN_STATE_DIR + sizeof("/run"),
	    create, TN_STATE_DIR, err);
	if (s->root < 0)
		return s->root;
	if ((s->tenants = open_private_dir(s->root, "tenants", create,
		 TN_STATE_DIR "/tenants", err)) < 0 ||
	    (s->mntns = open_private_dir(s->root, "mntns", create,
		 TN_STATE_DIR "/mntns", err)) < 0 ||
	    (s->locks = open_private_dir(s->root, "locks", create,
		 TN_STATE_DIR "/locks", err)) < 0) {
		r = s->tenants < 0 ? s->tenants : s->mntns < 0 ? s->mntns : s->locks;
		state_close(s);
		return r;
	}
	return 0;
}

int
tenant_key(char *buf, size_t len, bool per_session, uid_t uid,
    const char *cookie)
{
	int n = per_session ? snprintf(buf, len, "session-%s", cookie)
			    : snprintf(buf, len, "user-%u", (unsigned)uid);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int
state_mntns_owner(uint64_t mnt_ino, uid_t *owner)
{
	_cleanup_close_ int fd = -1;
	char path[128], text[128], *sp;
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), TN_STATE_DIR "/mntns/%" PRIu64, mnt_ino);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != 0)
		return -EPERM;
	n = read_full(fd, text, sizeof(text) - 1);
	if (n <= 0)
		return n < 0 ? (int)n : -EBADMSG;
	text[n] = '\0';
	sp = strchr(text, ' ');
	if (sp == NULL)
		return -EBADMSG;
	*sp = '\0';
	return parse_uid(text, owner) < 0 ? -EBADMSG : 1;
}

int
state_lock_uid(const struct tn_state *s, uid_t uid, bool nonblock,
    struct tn_err *err)
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
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	struct timespec end;
	int n;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), TN_STATE_DIR "/tenants/%s/keeper.sock", key);
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
		tv = (struct timeval){.tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000};
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
	struct timeval none = {0, 0};
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none));
	return steal_fd(&fd);
}
