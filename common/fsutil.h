/* Path walking by file descriptor (security catalog R2): every component
 * is opened with O_NOFOLLOW relative to its parent and checked with fstat
 * before the next one is looked up. */
#ifndef TENANT_FSUTIL_H
#define TENANT_FSUTIL_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"

/* Is this directory safe to resolve names in for root?  Owned by root (or
 * `owner`), and not writable by group/other unless sticky. */
int dir_trusted(const struct stat *st, uid_t owner);

/* Walk an absolute path; every directory on the way (and the target when
 * it is a directory) must pass dir_trusted().  Returns an O_PATH fd for
 * the target in *out (O_CLOEXEC), opened without following symlinks.
 * The target may be of any type (a symlink is -ELOOP); a component on
 * the way that is not a directory, a symlink included, is -EPERM; "."
 * and ".." are -EINVAL; a missing component is -ENOENT with err set.
 * The config loader has its own walker with different rules (its
 * diagnostics name each bad component): walk_conf_dir() in conf/load.c;
 * tests/unit/test-walkers.c pins both. */
int walk_trusted(const char *path, uid_t owner, int *out, struct tn_err *err);

/* Open rel below dirfd in one openat2(): no symbolic link anywhere on
 * the way, nothing outside dirfd.  No trust checks: for directories whose
 * names only root can make (the kernel's /proc and /sys).  Returns the fd
 * (O_CLOEXEC) or -errno. */
int open_beneath(int dirfd, const char *rel, int flags);

/* Wait until fd is readable (or hung up) or the CLOCK_MONOTONIC deadline
 * (util.h) passes: 0, -ETIMEDOUT or -errno; EINTR-safe. */
int wait_readable_by(int fd, const struct timespec *deadline);

/* read() until len bytes, EOF or error; EINTR-safe. */
ssize_t read_full(int fd, void *buf, size_t len);
int write_full(int fd, const void *buf, size_t len);

/* Write a small file atomically under dirfd: temp name, fsync-free
 * (it lives on tmpfs), renameat. Mode 0600, O_NOFOLLOW. */
int write_file_at(int dirfd, const char *name, const char *text, struct tn_err *err);

/* The pid a pidfd refers to (from /proc/self/fdinfo); -ESRCH once the
 * process has been reaped. */
int pidfd_pid(int pidfd, pid_t *pid);
/* Has the process exited (a zombie counts)?  Unknown counts as exited. */
bool pidfd_exited(int pidfd);

#endif
