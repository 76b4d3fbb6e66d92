/* proc.lxcfs: lxcfs's per-cgroup view of a few /proc files, bound over
 * the tenant's own /proc, so that free, top and uptime show the tenant's
 * memory.max, its cpu.max and its own start (tenant.conf(5)).
 *
 * lxcfs is a FUSE daemon that answers each read for the cgroup of the
 * process that reads.  Its mount (/var/lib/lxcfs, Debian's lxcfs.service)
 * is trusted only when it is what root mounted: reached by walk_trusted(),
 * a FUSE file system whose superblock says user_id=0 (fusermount always
 * writes the caller's uid there, so no user can present one), allow_other
 * (else the tenant's user could not read it), the root of that mount, and
 * every file a regular file on the same mount.  Everything is opened and
 * cloned first; only then is anything attached, so an lxcfs that is not
 * there (not running, or its daemon dead: ENOTCONN) leaves the host's
 * figures, not half of lxcfs's. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsutil.h"
#include "helper.h"
#include "util.h"

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif
#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

#define LXCFS_FSTYPE "fuse.lxcfs"

static const char *const lxcfs_files[] = { "meminfo", "cpuinfo", "stat", "uptime",
	"loadavg", "swaps", "diskstats" };

#define N_LXCFS N_ELEMENTS(lxcfs_files)

/* Is `word` one of the comma-separated options in opts? */
static bool
has_option(const char *opts, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = opts; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* The mountinfo line of mount `id`: its type must be lxcfs's and its
 * super options must say root mounted it, for everyone to read. */
static int
check_mountinfo(uint64_t id, struct tn_err *err)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int r = err_set(err, ENOENT, "mount %llu is not in mountinfo",
	    (unsigned long long)id);

	if (f == NULL)
		return err_set(err, errno, "mountinfo: %m");
	while (getline(&line, &cap, f) > 0) {
		char fstype[64], opts[1024];
		unsigned long long mid;
		const char *sep = strstr(line, " - ");

		if (sscanf(line, "%llu", &mid) != 1 || mid != id || sep == NULL)
			continue;
		if (sscanf(sep + 3, "%63s %*s %1023s", fstype, opts) != 2)
			r = err_set(err, EIO, "mountinfo: cannot parse mount %llu", mid);
		else if (strcmp(fstype, LXCFS_FSTYPE) != 0)
			r = err_set(err, EPERM, "a %s mount, not " LXCFS_FSTYPE, fstype);
		else if (!has_option(opts, "user_id=0"))
			r = err_set(err, EPERM, "not mounted by root (%s)", opts);
		else if (!has_option(opts, "allow_other"))
			r = err_set(err, EPERM, "mounted without allow_other");
		else
			r = 0;
		break;
	}
	fclose(f);
	return r;
}

bool
lxcfs_mounted(void)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		char where[256], fstype[64];
		const char *sep = strstr(line, " - ");

		found = sep && sscanf(line, "%*s %*s %*s %*s %255s", where) == 1 &&
		    sscanf(sep + 3, "%63s", fstype) == 1 &&
		    strcmp(where, TN_LXCFS_DIR) == 0 && strcmp(fstype, LXCFS_FSTYPE) == 0;
	}
	fclose(f);
	return found;
}

/* The root of root's lxcfs mount, checked as above; *dev is its device. */
static int
open_lxcfs_root(dev_t *dev, struct tn_err *err)
{
	_cleanup_close_ int fd = -1;
	struct statfs sfs;
	struct statx stx;

	if (walk_trusted(TN_LXCFS_DIR, 0, &fd, err) < 0)
		return -1;
	/* A dead daemon's mount answers ENOTCONN here. */
	if (fstatfs(fd, &sfs) < 0)
		return err_set(err, errno, "statfs: %m");
	if (sfs.f_type != FUSE_SUPER_MAGIC)
		return err_set(err, ENOENT, "not a FUSE mount (lxcfs is not running)");
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
		return err_set(err, errno, "statx: %m");
	if (!(stx.stx_mask & STATX_MNT_ID) ||
	    !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		return err_set(err, ENOSYS, "statx gives no mount id");
	if (!(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return err_set(err, EPERM, "not the root of a mount");
	if (check_mountinfo(stx.stx_mnt_id, err) < 0)
		return -1;
	*dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	return steal_fd(&fd);
}

/* Detached read-only clones of lxcfs's proc files, in lxcfs_files order. */
static int
clone_lxcfs_files(int clones[N_LXCFS], struct tn_err *err)
{
	_cleanup_close_ int root = -1, dir = -1;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
		    MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
	struct stat st;
	dev_t dev = 0;

	root = open_lxcfs_root(&dev, err);
	if (root < 0)
		return -1;
	dir = openat(root, "proc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0 || fstat(dir, &st) < 0)
		return err_set(err, errno, "proc: %m");
	if (st.st_dev != dev)
		return err_set(err, EPERM, "proc: not on the lxcfs mount");
	for (size_t i = 0; i < N_LXCFS; i++) {
		_cleanup_close_ int f = -1;

		f = openat(dir, lxcfs_files[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (f < 0 || fstat(f, &st) < 0)
			return err_set(err, errno, "proc/%s: %m", lxcfs_files[i]);
		if (!S_ISREG(st.st_mode) || st.st_dev != dev)
			return err_set(err, EPERM,
			    "proc/%s: not a file of the lxcfs mount", lxcfs_files[i]);
		clones[i] =
		    open_tree(f, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (clones[i] < 0)
			return err_set(err, errno, "proc/%s: open_tree: %m",
			    lxcfs_files[i]);
		if (mount_setattr(clones[i], "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
			return err_set(err, errno, "proc/%s: mount_setattr: %m",
			    lxcfs_files[i]);
	}
	return 0;
}

/* Bind each clone over the same file of the tenant's /proc and read it
 * back: the file there must now be lxcfs's. */
static int
attach_lxcfs_files(int proc_fd, const int clones[N_LXCFS], struct tn_err *err)
{
	for (size_t i = 0; i < N_LXCFS; i++) {
		_cleanup_close_ int t = -1;
		struct statfs sfs;
		struct stat st;

		t = openat(proc_fd, lxcfs_files[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (t < 0 || fstat(t, &st) < 0 || fstatfs(t, &sfs) < 0)
			return err_set(err, errno, "/proc/%s: %m", lxcfs_files[i]);
		if (!S_ISREG(st.st_mode) || sfs.f_type != PROC_SUPER_MAGIC)
			return err_set(err, EIO, "/proc/%s: not the tenant's proc file",
			    lxcfs_files[i]);
		if (move_mount(clones[i], "", t, "",
		        MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return err_set(err, errno, "/proc/%s: move_mount: %m",
			    lxcfs_files[i]);
		close(steal_fd(&t));
		t = openat(proc_fd, lxcfs_files[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (t < 0 || fstatfs(t, &sfs) < 0)
			return err_set(err, errno, "check /proc/%s: %m", lxcfs_files[i]);
		if (sfs.f_type != FUSE_SUPER_MAGIC)
			return err_set(err, EIO, "check /proc/%s: not lxcfs's",
			    lxcfs_files[i]);
	}
	return 0;
}

int
mounts_lxcfs(const struct init_args *a, int proc_fd, struct tn_err *err)
{
	int clones[N_LXCFS];
	struct tn_err why = { 0 }, what_failed = { 0 };
	bool unavailable;
	int r;

	if (a->proc_lxcfs == TN_LXCFS_NO)
		return 0;
	if (!(a->namespaces & TN_NS_PID) || proc_fd < 0) {
		if (a->proc_lxcfs == TN_LXCFS_AUTO)
			return 0;
		return err_set(err, EINVAL,
		    "proc.lxcfs = yes: the tenant has no /proc of its own "
		    "(namespaces without pid)");
	}
	for (size_t i = 0; i < N_LXCFS; i++)
		clones[i] = -1;
	r = clone_lxcfs_files(clones, &why);
	unavailable = r < 0;
	if (r == 0)
		r = attach_lxcfs_files(proc_fd, clones, &what_failed);
	for (size_t i = 0; i < N_LXCFS; i++)
		if (clones[i] >= 0)
			close(clones[i]);
	if (r == 0)
		return 0;
	if (!unavailable) /* verified, yet not bound: a real failure */
		return err_set(err, what_failed.code, "proc.lxcfs: %.400s",
		    what_failed.msg);
	/* Unavailable: auto goes on with the host's figures. */
	if (a->proc_lxcfs == TN_LXCFS_AUTO)
		return 0;
	return err_set(err, why.code,
	    "proc.lxcfs = yes, but lxcfs is unavailable: %s: %.300s", TN_LXCFS_DIR,
	    why.msg);
}
