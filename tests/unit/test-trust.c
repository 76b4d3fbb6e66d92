/* walk_trusted (common/fsutil.c): a path is opened component by
 * component from /, and every directory on the way must be owned by root
 * (or the given owner) and not writable by others unless sticky.  Built
 * in a private tree under /tmp (sticky, so itself trusted). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "tap.h"

static char top[] = "/tmp/tn-trust-XXXXXX";

static int
walk(const char *rel, uid_t owner)
{
	char path[256];
	struct tn_err err = { 0 };
	int fd = -1, r;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	r = walk_trusted(path, owner, &fd, &err);
	if (fd >= 0)
		close(fd);
	if (r < 0)
		printf("#   %s: %s\n", rel, err.msg);
	return r < 0 ? err.code : 0;
}

static void
mk(const char *rel, mode_t mode, uid_t uid)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	if (mkdir(path, mode) < 0 || chmod(path, mode) < 0 || chown(path, uid, 0) < 0)
		printf("#   mkdir %s: %m\n", path);
}

static void
file(const char *rel)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

int
main(void)
{
	char path[256];
	int fd = -1;

	if (geteuid() != 0) {
		tap_skip_all("needs root (chown)");
		return 0;
	}
	if (mkdtemp(top) == NULL || chmod(top, 0755) < 0)
		return 1;
	mk("ok", 0755, 0);
	file("ok/f");
	mk("ww", 0777, 0); /* world-writable, not sticky */
	file("ww/f");
	mk("gw", 0775, 0); /* group-writable */
	file("gw/f");
	mk("sticky", 01777, 0); /* like /tmp */
	file("sticky/f");
	mk("theirs", 0755, 4242); /* owned by someone else */
	file("theirs/f");
	mk("ok/wwleaf", 0777, 0);
	snprintf(path, sizeof(path), "%s/link", top);
	if (symlink("ok", path) < 0)
		printf("#   symlink: %m\n");

	IS_INT(walk("ok/f", 0), 0, "a file under root-owned 0755 directories opens");
	IS_INT(walk("ww/f", 0), EPERM,
	    "a world-writable directory on the way is refused");
	IS_INT(walk("gw/f", 0), EPERM,
	    "a group-writable directory on the way is refused");
	IS_INT(walk("sticky/f", 0), 0,
	    "a sticky world-writable directory (like /tmp) is allowed");
	IS_INT(walk("theirs/f", 0), EPERM,
	    "a directory owned by another user is refused");
	IS_INT(walk("theirs/f", 4242), 0, "... unless that user is the trusted owner");
	IS_INT(walk("ok/wwleaf", 0), EPERM,
	    "a world-writable directory at the end is refused");
	IS_INT(walk("ok/f/x", 0), EPERM, "a file cannot lead further");
	IS_INT(walk("link", 0), ELOOP, "a symbolic link at the end is refused");
	IS_INT(walk("link/f", 0), EPERM, "a symbolic link on the way is not followed");
	IS_INT(walk("ok/../ok/f", 0), EINVAL, "'..' is refused");
	IS_INT(walk("ok/./f", 0), EINVAL, "'.' is refused");
	IS_INT(walk("ok/missing", 0), ENOENT, "a missing file is ENOENT");
	IS_INT(walk_trusted("tmp/x", 0, &fd, NULL), -EINVAL,
	    "a relative path is refused");

	/* clean up (the tree is ours) */
	const char *files[] = { "ok/f", "ww/f", "gw/f", "sticky/f", "theirs/f", "link" };
	const char *dirs[] = { "ok/wwleaf", "ok", "ww", "gw", "sticky", "theirs", "" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", top, files[i]);
		unlink(path);
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", top, dirs[i]);
		rmdir(path);
	}
	return tap_done();
}
