/* The file-system side of the config: every directory from "/" down is
 * opened by fd without following symlinks and checked for trust, the
 * files are opened relative to their checked directory, and the checks
 * that decide are made on the opened fds. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-int.h"
#include "util.h"

struct loader {
	uid_t owner;
	struct tn_diag *diag;
	struct tn_conf *conf;
};

static bool
trusted_uid(const struct loader *l, uid_t uid)
{
	return uid == 0 || uid == l->owner;
}

/* Ownership and write bits; directories may be writable by others
 * when sticky (/tmp).  Reports every problem; returns -EPERM if any. */
static int
check_trust(const struct loader *l, const struct stat *st, const char *shown)
{
	int r = 0;

	if (!trusted_uid(l, st->st_uid)) {
		if (l->owner == 0)
			diag_add(l->diag, "%s: not owned by root", shown);
		else
			diag_add(l->diag, "%s: not owned by root or uid %u", shown,
			    (unsigned)l->owner);
		r = -EPERM;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) &&
	    !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))) {
		diag_add(l->diag, "%s: writable by group or other", shown);
		r = -EPERM;
	}
	return r;
}

/* Why openat() of a directory component failed. */
static int
report_dir_error(const struct loader *l, int dfd, const char *comp, const char *shown,
    int e)
{
	struct stat st;

	if ((e == ENOTDIR || e == ELOOP) &&
	    fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			diag_add(l->diag, "%s: is a symbolic link", shown);
		else
			diag_add(l->diag, "%s: not a directory", shown);
		return -e;
	}
	diag_add(l->diag, "%s: %s", shown, strerror(e));
	return -e;
}

/* Walk the directory abs[0..dirlen) from "/" and return an O_PATH fd
 * to it.  The loader's own walker, not common/fsutil.c's walk_trusted(),
 * because its rules differ where an admin reading `tenantctl check`
 * needs them to (tests/unit/test-walkers.c pins both side by side):
 *   - every problem of a component is a diagnostic naming that
 *     component ("/etc/x: not owned by root", then "... writable by
 *     group or other"), not one error for the whole path;
 *   - a missing component returns -ENOENT without a diagnostic, so that
 *     the caller decides whether missing is an error (an optional main
 *     file, an absent drop-in directory);
 *   - every component must be a directory (the file is opened by
 *     load_at() from the fd returned): -ENOTDIR, with "is a symbolic
 *     link" for a symlink and "not a directory" for anything else;
 *   - "/" itself is checked, and "." and ".." are walked like any name
 *     (each directory reached is checked on its fd), where walk_trusted()
 *     refuses them. */
static int
walk_conf_dir(const struct loader *l, const char *abs, size_t dirlen)
{
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX];
	struct stat st;
	size_t i = 0;

	if (dirlen >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, abs, dirlen);
	path[dirlen] = '\0';
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;

		diag_add(l->diag, "/: %s", strerror(e));
		return -e;
	}
	if (check_trust(l, &st, "/") < 0)
		return -EPERM;
	while (i < dirlen) {
		_cleanup_close_ int next = -1;
		char saved;
		size_t end;

		while (i < dirlen && path[i] == '/')
			i++;
		if (i == dirlen)
			break;
		for (end = i; end < dirlen && path[end] != '/'; end++)
			;
		saved = path[end];
		path[end] = '\0';
		next =
		    openat(fd, path + i, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int e = errno;

			if (e == ENOENT)
				return -ENOENT;
			return report_dir_error(l, fd, path + i, path, e);
		}
		if (fstat(next, &st) < 0) {
			int e = errno;

			diag_add(l->diag, "%s: %s", path, strerror(e));
			return -e;
		}
		if (check_trust(l, &st, path) < 0)
			return -EPERM;
		path[end] = saved;
		close(fd);
		fd = steal_fd(&next);
		i = end;
	}
	return steal_fd(&fd);
}

/* Absolute form of path, without trailing slashes. */
static int
absolute(const char *path, char *out, size_t len)
{
	char cwd[PATH_MAX];
	size_t n;
	int r;

	if (path[0] == '/') {
		r = snprintf(out, len, "%s", path);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return -errno;
		r = snprintf(out, len, "%s/%s", strcmp(cwd, "/") ? cwd : "", path);
	}
	if (r < 0 || (size_t)r >= len)
		return -ENAMETOOLONG;
	n = (size_t)r;
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return 0;
}

static bool
stat_is_ok(const struct loader *l, const struct stat *st, const char *shown)
{
	if (S_ISLNK(st->st_mode)) {
		diag_add(l->diag, "%s: is a symbolic link", shown);
		return false;
	}
	if (!S_ISREG(st->st_mode)) {
		diag_add(l->diag, "%s: not a regular file", shown);
		return false;
	}
	return check_trust(l, st, shown) == 0;
}

/* Read base (relative to the checked dfd) and parse it as `shown`. */
static int
load_at(const struct loader *l, int dfd, const char *base, const char *shown)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0, cap;

	/* lstat first so that a FIFO or device is never opened at all;
	 * the fstat below is what decides. */
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		int e = errno;

		if (e != ENOENT)
			diag_add(l->diag, "%s: %s", shown, strerror(e));
		return -e;
	}
	if (!stat_is_ok(l, &st, shown))
		return -EPERM;
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		int e = errno;

		if (e == ELOOP)
			diag_add(l->diag, "%s: is a symbolic link", shown);
		else
			diag_add(l->diag, "%s: %s", shown, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;

		diag_add(l->diag, "%s: %s", shown, strerror(e));
		return -e;
	}
	if (!stat_is_ok(l, &st, shown))
		return -EPERM;
	/* Room for what fstat says plus one byte; grown, should the file
	 * grow while it is read, up to one byte more than allowed, which
	 * tells "too big" from "exactly full".  (Not 1 MiB for every file:
	 * every login's helper reads them.) */
	cap = st.st_size >= 0 && st.st_size < TN_CONF_MAX_FILE_BYTES
	    ? (size_t)st.st_size + 1
	    : TN_CONF_MAX_FILE_BYTES + 1;
	buf = malloc(cap);
	if (buf == NULL) {
		diag_add(l->diag, "%s: out of memory", shown);
		return -ENOMEM;
	}
	while (len < TN_CONF_MAX_FILE_BYTES + 1) {
		ssize_t n;

		if (len == cap) {
			size_t bigger = cap > TN_CONF_MAX_FILE_BYTES / 2
			    ? TN_CONF_MAX_FILE_BYTES + 1
			    : 2 * cap;
			char *grown = realloc(buf, bigger);

			if (grown == NULL) {
				diag_add(l->diag, "%s: out of memory", shown);
				return -ENOMEM;
			}
			buf = grown;
			cap = bigger;
		}
		n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			diag_add(l->diag, "%s: %s", shown, strerror(e));
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return conf_parse_buffer(l->conf, shown, buf, len, l->diag);
}

static int
load_file(const struct loader *l, const char *path, bool optional)
{
	_cleanup_close_ int dfd = -1;
	char abs[PATH_MAX];
	const char *base;
	int r;

	r = absolute(path, abs, sizeof(abs));
	if (r < 0) {
		diag_add(l->diag, "%s: %s", path, strerror(-r));
		return r;
	}
	base = strrchr(abs, '/') + 1;
	if (*base == '\0') {
		diag_add(l->diag, "%s: not a regular file", path);
		return -EISDIR;
	}
	dfd = walk_conf_dir(l, abs, (size_t)(base - abs));
	if (dfd >= 0)
		r = load_at(l, dfd, base, path);
	else
		r = dfd;
	if (r == -ENOENT && !optional)
		diag_add(l->diag, "%s: %s", path, strerror(ENOENT));
	return r == -ENOENT && optional ? 0 : r;
}

static bool
is_dropin_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The *.conf names in dirfd, sorted by strcmp. */
static int
list_dropins(const struct loader *l, int dirfd, const char *dir, char ***out,
    size_t *count)
{
	const size_t max = TN_CONF_MAX_FILES - 1; /* the main file is one */
	char **names = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int fd;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		diag_add(l->diag, "%s: %s", dir, strerror(e));
		return -e;
	}
	names = calloc(max, sizeof(*names));
	if (names == NULL) {
		closedir(d);
		diag_add(l->diag, "%s: out of memory", dir);
		return -ENOMEM;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_dropin_name(de->d_name))
			continue;
		if (n == max) {
			diag_add(l->diag, "%s: more than %zu drop-in files", dir, max);
			goto fail;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL) {
			diag_add(l->diag, "%s: out of memory", dir);
			goto fail;
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);
	*out = names;
	*count = n;
	return 0;
fail:
	closedir(d);
	free_names(names, n);
	return -E2BIG;
}

static int
load_dropins(const struct loader *l, const char *dir)
{
	_cleanup_close_ int dfd = -1;
	char abs[PATH_MAX], shown[PATH_MAX];
	char **names = NULL;
	size_t n = 0;
	int r, ret = 0;

	r = absolute(dir, abs, sizeof(abs));
	if (r < 0) {
		diag_add(l->diag, "%s: %s", dir, strerror(-r));
		return r;
	}
	dfd = walk_conf_dir(l, abs, strlen(abs));
	if (dfd == -ENOENT)
		return 0; /* no drop-in directory: nothing to add */
	if (dfd < 0)
		return dfd;
	r = list_dropins(l, dfd, dir, &names, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		size_t dl = strlen(dir);

		r = snprintf(shown, sizeof(shown), "%s%s%s", dir,
		    dl && dir[dl - 1] == '/' ? "" : "/", names[i]);
		if (r < 0 || (size_t)r >= sizeof(shown)) {
			diag_add(l->diag, "%s/%s: name too long", dir, names[i]);
			ret = -ENAMETOOLONG;
			continue;
		}
		r = load_at(l, dfd, names[i], shown);
		if (r == -ENOENT) /* removed since the listing */
			r = 0;
		if (r < 0)
			ret = r;
	}
	free_names(names, n);
	return ret;
}

int
conf_load(const struct tn_conf_opts *opts, struct tn_conf **out, struct tn_diag *diag)
{
	static const struct tn_conf_opts defaults = { .trusted_owner = 0 };
	struct loader l = { .diag = diag };
	const char *main_path, *dropin;
	unsigned before = diag ? diag->count : 0;
	int r, r2;

	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	main_path = opts->main_path ? opts->main_path : TN_CONF_PATH;
	dropin = opts->dropin_dir;
	if (opts->main_path == NULL && dropin == NULL)
		dropin = TN_CONF_DIR;
	l.owner = opts->trusted_owner;
	l.conf = conf_new();
	if (l.conf == NULL) {
		diag_add(diag, "%s: out of memory", main_path);
		return -ENOMEM;
	}
	r = load_file(&l, main_path, opts->main_optional);
	r2 = dropin ? load_dropins(&l, dropin) : 0;
	if (r == 0)
		r = r2;
	if (r == 0 && diag && diag->count != before)
		r = -EINVAL;
	if (r < 0) {
		conf_free(l.conf);
		return r;
	}
	*out = l.conf;
	return 0;
}
