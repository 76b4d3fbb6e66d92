#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "fsutil.h"
#include "util.h"

int
dir_trusted(const struct stat *st, uid_t owner)
{
	if (!S_ISDIR(st->st_mode))
		return 0;
	if (st->st_uid != 0 && st->st_uid != owner)
		return 0;
	return !(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX);
}

int
walk_trusted(const char *path, uid_t owner, int *out, struct tn_err *err)
{
	_cleanup_close_ int fd = -1;
	char comp[256];
	const char *p = path;
	struct stat st;

	if (path[0] != '/')
		return err_set(err, EINVAL, "%s: not an absolute path", path);
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errno, "/: %m");
	for (;;) {
		size_t n;
		int next;

		if (fstat(fd, &st) < 0)
			return err_set(err, errno, "%s: fstat: %m", path);
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		/* only directories lead further; each must be trusted */
		if (!dir_trusted(&st, owner))
			return err_set(err, EPERM,
			    "%s: a directory on the way is not owned by root or is writable by others",
			    path);
		n = strcspn(p, "/");
		if (n >= sizeof(comp))
			return err_set(err, ENAMETOOLONG, "%s: component too long", path);
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (strcmp(comp, "..") == 0 || strcmp(comp, ".") == 0)
			return err_set(err, EINVAL, "%s: '.' or '..' in path", path);
		p += n;
		next = openat(fd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return err_set(err, errno, "%s: %m", path);
		close(fd);
		fd = next;
	}
	if (S_ISLNK(st.st_mode))
		return err_set(err, ELOOP, "%s: is a symbolic link", path);
	if (S_ISDIR(st.st_mode) && !dir_trusted(&st, owner))
		return err_set(err, EPERM, "%s: not owned by root or writable by others",
		    path);
	*out = steal_fd(&fd);
	return 0;
}

int
open_beneath(int dirfd, const char *rel, int flags)
{
	struct open_how how = {
		/* no O_NOFOLLOW: a trailing symlink is then ELOOP, not an fd to it */
		.flags = (unsigned)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

int
wait_readable_by(int fd, const struct timespec *deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long left;
	int r;

	do {
		left = ms_left(deadline);
		r = poll(&p, 1, left > 0 ? (int)left : 0);
	} while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : r == 0 ? -ETIMEDOUT : -errno;
}

ssize_t
read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	return 0;
}

int
write_file_at(int dirfd, const char *name, const char *text, struct tn_err *err)
{
	_cleanup_close_ int fd = -1;
	char tmp[300];
	int r;

	r = snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	if (r < 0 || (size_t)r >= sizeof(tmp))
		return err_set(err, ENAMETOOLONG, "%s: name too long", name);
	(void)unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return err_set(err, errno, "create %s: %m", tmp);
	r = write_full(fd, text, strlen(text));
	if (r < 0) {
		(void)unlinkat(dirfd, tmp, 0);
		return err_set(err, -r, "write %s: %s", tmp, strerror(-r));
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		r = errno;
		(void)unlinkat(dirfd, tmp, 0);
		return err_set(err, r, "rename %s: %s", name, strerror(r));
	}
	return 0;
}

int
pidfd_pid(int pidfd, pid_t *pid)
{
	_cleanup_close_ int fd = -1;
	char path[64], text[1024], *p;
	ssize_t n;
	long v;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read_full(fd, text, sizeof(text) - 1);
	if (n <= 0)
		return n < 0 ? (int)n : -EBADMSG;
	text[n] = '\0';
	p = strstr(text, "\nPid:");
	if (p == NULL)
		return -EBADMSG; /* not a pidfd */
	v = strtol(p + 5, NULL, 10);
	if (v <= 0)
		return -ESRCH; /* "Pid: -1": reaped; 0: not in our PID namespace */
	*pid = (pid_t)v;
	return 0;
}

bool
pidfd_exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, 0);
	while (r < 0 && errno == EINTR);
	return r != 0;
}
