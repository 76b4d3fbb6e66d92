/* The two trusted-path walkers side by side, on one tree of real files:
 * walk_trusted() (common/fsutil.c: the helper, the module, the cgroup
 * and state code) and the config loader's walk_conf_dir() (conf/load.c,
 * reached through conf_load()).  Both refuse a symlink or a non-directory
 * on the way, a group/world-writable directory (unless sticky) and a
 * directory owned by someone other than root or the trusted owner; they
 * differ in how they say so (fsutil.h and load.c say why): walk_trusted
 * gives one error for the path, the loader a diagnostic per problem
 * naming the component, and nothing at all for a missing component when
 * the file is optional.  A third opener, open_beneath(), is for the
 * kernel's /proc and /sys below a trusted fd: no symlink and nothing
 * outside that fd, no trust checks (only root makes names there).
 * Needs root (chown to 65534). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "fsutil.h"
#include "tap.h"

#define NOBODY 65534

static char top[] = "/tmp/tn-walkers-XXXXXX";

static void
at(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", top, rel);
}

static void
mk(const char *rel, mode_t mode, uid_t uid)
{
	char p[256];

	at(p, sizeof(p), rel);
	if (mkdir(p, mode) < 0 || chmod(p, mode) < 0 || chown(p, uid, 0) < 0)
		printf("#   mkdir %s: %m\n", p);
}

/* A config file "[default]", root's, 0644. */
static void
conf_file(const char *rel)
{
	char p[256];
	int fd;

	at(p, sizeof(p), rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "[default]\n", 10) != 10)
		printf("#   %s: %m\n", p);
	if (fd >= 0)
		close(fd);
}

/* walk_trusted on top/rel: 0 or the positive errno. */
static int
trusted(const char *rel, uid_t owner)
{
	struct tn_err err = { 0 };
	char p[256];
	int fd = -1, r;

	at(p, sizeof(p), rel);
	r = walk_trusted(p, owner, &fd, &err);
	if (fd >= 0)
		close(fd);
	if (r < 0)
		printf("#   walk_trusted %s: %s\n", rel, err.msg);
	return r < 0 ? err.code : 0;
}

/* conf_load of top/rel as the main file: its return, diagnostics in d. */
static int
loader(const char *rel, uid_t owner, bool optional, struct tn_diag *d)
{
	struct tn_conf *conf = NULL;
	char p[256];
	struct tn_conf_opts o = {
		.trusted_owner = owner,
		.main_path = p,
		.main_optional = optional,
	};
	int r;

	at(p, sizeof(p), rel);
	memset(d, 0, sizeof(*d));
	r = conf_load(&o, &conf, d);
	for (unsigned i = 0; i < d->stored; i++)
		printf("#   loader %s: %s\n", rel, d->msg[i]);
	conf_free(conf);
	return r;
}

/* Is "top/rel: what" one of the diagnostics? */
static bool
said(const struct tn_diag *d, const char *rel, const char *what)
{
	char want[512];

	snprintf(want, sizeof(want), "%s/%s: %s", top, rel, what);
	for (unsigned i = 0; i < d->stored; i++)
		if (strcmp(d->msg[i], want) == 0)
			return true;
	return false;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void
cleanup(void)
{
	nftw(top, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
main(void)
{
	struct tn_diag d;
	char p[256];

	if (geteuid() != 0) {
		tap_skip_all("needs root (chown to 65534)");
		return 0;
	}
	if (mkdtemp(top) == NULL || chmod(top, 0755) < 0)
		return 1;
	atexit(cleanup);
	mk("ok", 0755, 0);
	conf_file("ok/f.conf");
	mk("ww", 0777, 0);
	conf_file("ww/f.conf");
	mk("gw", 0775, 0);
	conf_file("gw/f.conf");
	mk("sticky", 01777, 0);
	conf_file("sticky/f.conf");
	mk("nobody", 0755, NOBODY);
	conf_file("nobody/f.conf");
	mk("nobody-ww", 0777, NOBODY);
	conf_file("nobody-ww/f.conf");
	conf_file("file");
	at(p, sizeof(p), "link");
	if (symlink("ok", p) < 0)
		printf("#   symlink: %m\n");

	/* The same rules. */
	IS_INT(trusted("ok/f.conf", 0), 0, "walk_trusted: root's 0755 directories");
	IS_INT(loader("ok/f.conf", 0, false, &d), 0, "loader: root's 0755 directories");
	IS_INT(d.count, 0, "loader: ... and no diagnostic");
	IS_INT(trusted("sticky/f.conf", 0), 0, "walk_trusted: a sticky 01777 directory");
	IS_INT(loader("sticky/f.conf", 0, false, &d), 0,
	    "loader: a sticky 01777 directory");
	IS_INT(trusted("nobody/f.conf", NOBODY), 0,
	    "walk_trusted: a directory of the trusted owner");
	IS_INT(loader("nobody/f.conf", NOBODY, false, &d), 0,
	    "loader: a directory of the trusted owner");

	/* A symlink on the way: refused by both. */
	IS_INT(trusted("link/f.conf", 0), EPERM,
	    "walk_trusted: a symlink on the way is EPERM (not a trusted directory)");
	IS_INT(loader("link/f.conf", 0, false, &d), -ENOTDIR,
	    "loader: a symlink on the way is ENOTDIR (O_DIRECTORY | O_NOFOLLOW)");
	OK(said(&d, "link", "is a symbolic link"), "loader: ... naming the symlink");

	/* A non-directory on the way: refused by the trust check itself
	 * (EPERM), not only by the lookup below it failing (ENOTDIR). */
	IS_INT(trusted("file/f.conf", 0), EPERM,
	    "walk_trusted: a file on the way is EPERM (not a trusted directory)");
	IS_INT(loader("file/f.conf", 0, false, &d), -ENOTDIR,
	    "loader: a file on the way is ENOTDIR");
	OK(said(&d, "file", "not a directory"), "loader: ... naming the file");

	/* Writable by others, not sticky. */
	IS_INT(trusted("ww/f.conf", 0), EPERM, "walk_trusted: a 0777 directory is EPERM");
	IS_INT(loader("ww/f.conf", 0, false, &d), -EPERM,
	    "loader: a 0777 directory is EPERM");
	OK(said(&d, "ww", "writable by group or other"), "loader: ... naming it");
	IS_INT(trusted("gw/f.conf", 0), EPERM, "walk_trusted: a 0775 directory is EPERM");
	IS_INT(loader("gw/f.conf", 0, false, &d), -EPERM,
	    "loader: a 0775 directory is EPERM");
	OK(said(&d, "gw", "writable by group or other"), "loader: ... naming it");

	/* Owned by someone else. */
	IS_INT(trusted("nobody/f.conf", 0), EPERM,
	    "walk_trusted: a directory of uid 65534 is EPERM");
	IS_INT(loader("nobody/f.conf", 0, false, &d), -EPERM,
	    "loader: a directory of uid 65534 is EPERM");
	OK(said(&d, "nobody", "not owned by root"), "loader: ... naming it");

	/* Differences: the loader reports every problem of a component. */
	IS_INT(trusted("nobody-ww/f.conf", 0), EPERM,
	    "walk_trusted: owner and mode both wrong: one EPERM");
	IS_INT(loader("nobody-ww/f.conf", 0, false, &d), -EPERM,
	    "loader: owner and mode both wrong: EPERM");
	OK(d.count == 2 && said(&d, "nobody-ww", "not owned by root") &&
	        said(&d, "nobody-ww", "writable by group or other"),
	    "loader: ... with both problems said");

	/* Missing: walk_trusted says so; the loader leaves it to its caller. */
	IS_INT(trusted("missing/f.conf", 0), ENOENT,
	    "walk_trusted: a missing directory is ENOENT");
	IS_INT(loader("missing/f.conf", 0, true, &d), 0,
	    "loader: a missing directory of an optional file is no error");
	IS_INT(d.count, 0, "loader: ... and no diagnostic");
	IS_INT(loader("missing/f.conf", 0, false, &d), -ENOENT,
	    "loader: a missing directory of a required file is ENOENT");
	OK(d.count == 1 && said(&d, "missing/f.conf", "No such file or directory"),
	    "loader: ... one diagnostic, naming the file asked for");

	/* "." and "..": refused by walk_trusted, walked and checked by the
	 * loader (the directory ".." reaches is checked on its own fd). */
	IS_INT(trusted("ok/../ok/f.conf", 0), EINVAL, "walk_trusted: '..' is EINVAL");
	IS_INT(loader("ok/../ok/f.conf", 0, false, &d), 0,
	    "loader: '..' between trusted directories loads");
	IS_INT(loader("ww/../ok/f.conf", 0, false, &d), -EPERM,
	    "loader: '..' out of an untrusted directory is still refused");
	OK(said(&d, "ww", "writable by group or other"), "loader: ... naming it");

	/* open_beneath: one openat2 below a directory fd. */
	{
		int dir = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

		fd = open_beneath(dir, "ok/f.conf", O_PATH);
		OK(fd >= 0, "open_beneath: a path below the fd opens");
		if (fd >= 0)
			close(fd);
		IS_INT(open_beneath(dir, "link/f.conf", O_PATH), -ELOOP,
		    "open_beneath: a symlink on the way is ELOOP");
		IS_INT(open_beneath(dir, "link", O_PATH), -ELOOP,
		    "open_beneath: a symlink as the target is ELOOP");
		IS_INT(open_beneath(dir, "ok/../../etc", O_PATH), -EXDEV,
		    "open_beneath: '..' out of the fd is EXDEV");
		IS_INT(open_beneath(dir, "/etc", O_PATH), -EXDEV,
		    "open_beneath: an absolute path is EXDEV");
		IS_INT(open_beneath(dir, "missing", O_PATH), -ENOENT,
		    "open_beneath: a missing name is ENOENT");
		fd = open_beneath(dir, "ww/f.conf", O_PATH);
		OK(fd >= 0,
		    "open_beneath: no trust checks (a 0777 directory on the way)");
		if (fd >= 0)
			close(fd);
		if (dir >= 0)
			close(dir);
	}

	return tap_done();
}
