/* The tenant's mount namespace, built by tenant-init while it still has
 * its capabilities:
 *   - "/" rslave first: nothing of ours propagates to the host;
 *   - ONE tmpfs with the tmp.size/tmp.inodes budget, a 1777 subdirectory
 *     of it bound on each of /tmp, /var/tmp, /dev/shm and /run/lock;
 *   - a fresh mqueue (ipc namespace) and proc (pid namespace), with
 *     lxcfs's meminfo & co. over it when proc.lxcfs says so
 *     (mounts-lxcfs.c);
 *   - what OCI runtimes do by default, since root inside a tenant is root
 *     on the host's kernel: /proc/sys, /proc/sysrq-trigger, /proc/irq,
 *     /proc/bus, /proc/fs and all of /sys (recursive: cgroups too)
 *     read-only; /proc/kcore & co. masked with /dev/null, /proc/acpi,
 *     /proc/scsi, /sys/firmware, /sys/devices/virtual/powercap with an
 *     empty read-only tmpfs; whatever does not exist here is skipped;
 *   - any other proc, sysfs, cgroup, debugfs & co. mount the tenant can
 *     reach (a chroot's /proc) read-only as well;
 *   - /run/pam_tenant covered by a read-only tmpfs holding the tenant's
 *     marker (state.h): the host's state and keeper sockets are out of
 *     reach, and the module knows which tenant it runs in.
 * Every target is reached by walk_trusted(), or below /proc and /sys by
 * open_beneath() from their trusted fds (the kernel's names, no symbolic
 * links), and mounted with the fd-based mount API, so no path string is
 * resolved twice (security catalog #1, #6).  Everything is read back before tenant-init drops its capabilities;
 * without CAP_SYS_ADMIN nobody in the tenant can undo any of it, and
 * mounts copied into a user namespace are locked. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fsutil.h"
#include "helper.h"
#include "util.h"

#define RO_ATTRS \
	(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

/* Made read-only where they exist (a bind of each onto itself). */
static const char *const ro_paths[] = { "/proc/sys", "/proc/sysrq-trigger", "/proc/irq",
	"/proc/bus", "/proc/fs", "/sys" };
/* Hidden where they exist: files under /dev/null, directories under an
 * empty read-only tmpfs.  After /sys is read-only. */
static const char *const masked_paths[] = { "/proc/kcore", "/proc/keys",
	"/proc/timer_list", "/proc/sched_debug", "/proc/latency_stats", "/proc/acpi",
	"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap" };

/* The tmp.size budget and where its subdirectories go. */
static const struct {
	const char *target, *subdir;
	bool optional; /* skipped when the target does not exist */
} tmp_dirs[] = {
	{ "/tmp", "tmp", false },
	{ "/var/tmp", "var-tmp", false },
	{ "/dev/shm", "shm", false },
	{ "/run/lock", "lock", true },
};

/* What ENOSPC from a mount call means (F16): a detached mount (fsmount,
 * open_tree's clone) is an anonymous mount namespace, counted against
 * user.max_mnt_namespaces; attaching one counts against fs.mount-max. */
static const char *
enospc_why(int e, bool attaching)
{
	if (e != ENOSPC)
		return "";
	return attaching
	    ? " (system limit on mounts reached: fs.mount-max)"
	    : " (system limit on namespaces reached: user.max_mnt_namespaces,"
	      " where each detached mount counts as one)";
}

/* The kernel explains fsconfig failures on the fs context fd. */
static int
fs_error(int fsfd, const char *what, const char *call, struct tn_err *err)
{
	int saved = errno;
	char buf[256] = "";
	ssize_t n = fsfd >= 0 ? read(fsfd, buf, sizeof(buf) - 1) : -1;

	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		return err_set(err, saved, "%s: %s: %s (%s)", what, call, strerror(saved),
		    buf);
	}
	return err_set(err, saved, "%s: %s: %s%s", what, call, strerror(saved),
	    enospc_why(saved, false));
}

struct fs_option {
	const char *key, *value;
};

/* A new, still detached mount of fstype; returns its fd. */
static int
new_fs(const char *fstype, const struct fs_option *opts, size_t nopts, unsigned attrs,
    const char *what, struct tn_err *err)
{
	_cleanup_close_ int fsfd = -1;
	int mfd;

	fsfd = fsopen(fstype, FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return fs_error(-1, what, "fsopen", err);
	for (size_t i = 0; i < nopts; i++)
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, opts[i].key, opts[i].value, 0) <
		    0)
			return fs_error(fsfd, what, "fsconfig", err);
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fs_error(fsfd, what, "fsconfig", err);
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
	if (mfd < 0)
		return fs_error(fsfd, what, "fsmount", err);
	return mfd;
}

/* /proc and /sys as the tenant sees them (-1: not opened yet).  Their
 * directories are the kernel's: one trusted walk to each, then a single
 * open_beneath() per target instead of a walk from "/" (tenant-init
 * reaches every mount below /sys when it reads them back). */
struct vfs {
	int proc, sys;
};

/* The trusted fd of target's /proc or /sys, and the rest of the path. */
static int
vfs_base(const struct vfs *v, const char *target, const char **rel)
{
	if (v && v->proc >= 0 && strncmp(target, "/proc/", 6) == 0) {
		*rel = target + 6;
		return v->proc;
	}
	if (v && v->sys >= 0 && strncmp(target, "/sys/", 5) == 0) {
		*rel = target + 5;
		return v->sys;
	}
	return -1;
}

/* Open a target by walk_trusted() or below its trusted /proc or /sys;
 * -ENOENT (err untouched) when it does not exist and may be skipped. */
static int
open_target(const struct vfs *v, const char *target, bool may_skip, int *fd,
    struct tn_err *err)
{
	struct tn_err e = { 0 };
	const char *rel;
	int base = vfs_base(v, target, &rel);
	int r;

	if (base >= 0) {
		r = open_beneath(base, rel, O_PATH);
		if (r >= 0) {
			*fd = r;
			return 0;
		}
		err_set(&e, -r, "%s: openat2: %s", target, strerror(-r));
	} else {
		r = walk_trusted(target, 0, fd, &e);
	}
	if (r == -ENOENT && may_skip)
		return -ENOENT;
	if (r < 0)
		*err = e;
	return r;
}

static int
attach(int mfd, int tfd, const char *what, struct tn_err *err)
{
	if (move_mount(mfd, "", tfd, "",
	        MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return err_set(err, errno, "%s: move_mount: %m%s", what,
		    enospc_why(errno, true));
	return 0;
}

static int
mount_fresh(const char *fstype, const struct fs_option *opts, size_t nopts,
    unsigned attrs, const char *target, struct tn_err *err)
{
	_cleanup_close_ int tfd = -1, mfd = -1;
	char what[128];
	struct stat st;

	snprintf(what, sizeof(what), "mount %s on %s", fstype, target);
	if (open_target(NULL, target, false, &tfd, err) < 0)
		return err_wrap(err, "%s", what);
	if (fstat(tfd, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(err, ENOTDIR, "%s: not a directory", what);
	mfd = new_fs(fstype, opts, nopts, attrs, what, err);
	if (mfd < 0)
		return -1;
	return attach(mfd, tfd, what, err);
}

/* One tmpfs for /tmp, /var/tmp, /dev/shm and /run/lock: one budget, one
 * superblock.  Linux 6.1 cannot clone a subdirectory of a detached mount,
 * so the new tmpfs is first attached on /run/pam_tenant (root 0700, and
 * covered by the marker later), its subdirectories are cloned from there,
 * and the staging mount is detached again. */
static int
mount_tmp_budget(const struct init_args *a, struct tn_err *err)
{
	_cleanup_close_ int mfd = -1, stage = -1;
	char size[32], inodes[32], self[64];
	const struct fs_option opts[] = {
		{ "source", "pam_tenant" },
		{ "size", size },
		{ "nr_inodes", inodes },
		{ "mode", "0755" },
	};

	snprintf(size, sizeof(size), "%" PRIu64, a->tmp_size);
	snprintf(inodes, sizeof(inodes), "%" PRIu64, a->tmp_inodes);
	mfd = new_fs("tmpfs", opts, N_ELEMENTS(opts),
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "mount the tmp tmpfs", err);
	if (mfd < 0)
		return -1;
	for (size_t i = 0; i < N_ELEMENTS(tmp_dirs); i++)
		if (mkdirat(mfd, tmp_dirs[i].subdir, 0700) < 0 ||
		    fchmodat(mfd, tmp_dirs[i].subdir, 01777, 0) <
		        0) /* whatever our umask */
			return err_set(err, errno, "tmp tmpfs: mkdir %s: %m",
			    tmp_dirs[i].subdir);
	if (open_target(NULL, TN_STATE_DIR, false, &stage, err) < 0)
		return err_wrap(err, "tmp tmpfs: staging on " TN_STATE_DIR);
	if (attach(mfd, stage, "tmp tmpfs: staging on " TN_STATE_DIR, err) < 0)
		return -1;
	for (size_t i = 0; i < N_ELEMENTS(tmp_dirs); i++) {
		_cleanup_close_ int tfd = -1, cfd = -1;
		char what[64];
		struct stat st;
		int r;

		snprintf(what, sizeof(what), "bind tmp tmpfs on %s", tmp_dirs[i].target);
		r = open_target(NULL, tmp_dirs[i].target, tmp_dirs[i].optional, &tfd,
		    err);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return err_wrap(err, "%s", what);
		if (fstat(tfd, &st) < 0 || !S_ISDIR(st.st_mode))
			return err_set(err, ENOTDIR, "%s: not a directory", what);
		cfd = open_tree(mfd, tmp_dirs[i].subdir,
		    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (cfd < 0)
			return err_set(err, errno, "%s: open_tree: %m%s", what,
			    enospc_why(errno, false));
		if (attach(cfd, tfd, what, err) < 0)
			return -1;
	}
	/* Our copies of the subdirectories keep the superblock alive. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", mfd);
	if (umount2(self, MNT_DETACH) < 0)
		return err_set(err, errno, "tmp tmpfs: detach the staging mount: %m");
	return 0;
}

/* Bind target read-only onto itself, with everything mounted below it.
 * Private: a mount the host adds below it later must not show up in
 * the tenant writable. */
static int
bind_readonly(const struct vfs *v, const char *target, struct tn_err *err)
{
	_cleanup_close_ int tfd = -1, cfd = -1;
	struct mount_attr attr = { .attr_set = RO_ATTRS, .propagation = MS_PRIVATE };
	int r = open_target(v, target, true, &tfd, err);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return err_wrap(err, "read-only %s", target);
	cfd = open_tree(tfd, "",
	    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (cfd < 0)
		return err_set(err, errno, "read-only %s: open_tree: %m%s", target,
		    enospc_why(errno, false));
	if (mount_setattr(cfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return err_set(err, errno, "read-only %s: mount_setattr: %m", target);
	return attach(cfd, tfd, target, err);
}

/* /dev/null, checked to be the real one. */
static int
open_devnull(struct tn_err *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (walk_trusted("/dev/null", 0, &fd, err) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return err_set(err, EPERM, "/dev/null is not the null device");
	return steal_fd(&fd);
}

static int
mask_path(const struct vfs *v, const char *target, int devnull, struct tn_err *err)
{
	static const struct fs_option opts[] = {
		{ "source", "pam_tenant" },
		{ "size", "4k" },
		{ "nr_inodes", "1" },
		{ "mode", "0555" },
	};
	_cleanup_close_ int tfd = -1, mfd = -1;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
		    MOUNT_ATTR_NOEXEC };
	char what[128];
	struct stat st;
	int r = open_target(v, target, true, &tfd, err);

	if (r == -ENOENT)
		return 0;
	snprintf(what, sizeof(what), "mask %s", target);
	if (r < 0)
		return err_wrap(err, "%s", what);
	if (fstat(tfd, &st) < 0)
		return err_set(err, errno, "%s: fstat: %m", what);
	if (S_ISDIR(st.st_mode)) {
		mfd = new_fs("tmpfs", opts, N_ELEMENTS(opts), RO_ATTRS, what, err);
		if (mfd < 0)
			return -1;
	} else {
		/* not nodev: the mask must read as empty, not fail */
		mfd = open_tree(devnull, "",
		    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (mfd < 0)
			return err_set(err, errno, "%s: open_tree /dev/null: %m%s", what,
			    enospc_why(errno, false));
		if (mount_setattr(mfd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
			return err_set(err, errno, "%s: mount_setattr: %m", what);
	}
	return attach(mfd, tfd, what, err);
}

/* The keeper's read-only status socket for the tenant's own user, bound
 * in the marker tmpfs before it becomes read-only: it exists only in this
 * mount namespace, so only processes inside the tenant can reach it (the
 * keeper also checks each peer's uid).  A socket on a read-only mount
 * still takes connections; nobody in the tenant can remove or replace it.
 * Returns the listening socket, handed to the keeper. */
static int
bind_user_socket(int mfd, struct tn_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;

	/* The mount is still detached: reach it through its fd. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/" TN_USER_SOCKET,
	    mfd);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_set(err, errno, "status socket: %m");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fchmodat(mfd, TN_USER_SOCKET, 0666, 0) < 0 || listen(fd, 16) < 0)
		return err_set(err, errno, "status socket: %m");
	return steal_fd(&fd);
}

/* Cover /run/pam_tenant with a read-only tmpfs that holds the marker and
 * the user's status socket (*user_fd). */
static int
mask_state_dir(const struct init_args *a, int *user_fd, struct tn_err *err)
{
	static const struct fs_option opts[] = {
		{ "source", "pam_tenant" },
		{ "size", "4k" },
		{ "nr_inodes", "3" },
		{ "mode", "0711" },
	};
	_cleanup_close_ int tfd = -1, mfd = -1, f = -1;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	char text[TN_KEY_MAX + 32];
	int r;

	if (open_target(NULL, TN_STATE_DIR, false, &tfd, err) < 0)
		return err_wrap(err, "mask " TN_STATE_DIR);
	mfd = new_fs("tmpfs", opts, N_ELEMENTS(opts),
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
	    "mask " TN_STATE_DIR, err);
	if (mfd < 0)
		return -1;
	f = openat(mfd, TN_MARKER_NAME,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
	if (f < 0)
		return err_set(err, errno, "tenant marker: create: %m");
	snprintf(text, sizeof(text), "%u %s\n", (unsigned)a->uid, a->key);
	r = write_full(f, text, strlen(text));
	if (r < 0 || fchmod(f, 0400) < 0)
		return err_set(err, r < 0 ? -r : errno, "tenant marker: write: %s",
		    strerror(r < 0 ? -r : errno));
	close(steal_fd(&f)); /* a file open for writing keeps a mount rw */
	*user_fd = bind_user_socket(mfd, err);
	if (*user_fd < 0)
		return -1;
	if (mount_setattr(mfd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return err_set(err, errno, "mask " TN_STATE_DIR ": mount_setattr: %m");
	return attach(mfd, tfd, "mask " TN_STATE_DIR, err);
}

/* /dev/mqueue is missing on hosts without systemd; create it (root 0755,
 * on the shared devtmpfs, as systemd would at boot). */
static int
ensure_mqueue_dir(struct tn_err *err)
{
	_cleanup_close_ int dev = -1;

	if (walk_trusted("/dev", 0, &dev, err) < 0)
		return -1;
	if (mkdirat(dev, "mqueue", 0755) == 0)
		(void)!fchmodat(dev, "mqueue", 0755, 0); /* whatever our umask */
	else if (errno != EEXIST)
		return err_set(err, errno, "mkdir /dev/mqueue: %m");
	return 0;
}

/* ---- read back --------------------------------------------------------- */

/* Open path and compare its file system's type (0: any) and flags;
 * returns 1 and *st when it matches, 0 when it may be skipped. */
static int
check_statfs(const struct vfs *v, const char *path, bool may_skip, long type,
    unsigned long flags, struct stat *st, struct tn_err *err)
{
	_cleanup_close_ int fd = -1;
	struct statfs sfs;
	int r = open_target(v, path, may_skip, &fd, err);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return err_wrap(err, "check %s", path);
	if (fstatfs(fd, &sfs) < 0 || fstat(fd, st) < 0)
		return err_set(err, errno, "check %s: %m", path);
	if ((type && sfs.f_type != type) || (sfs.f_flags & flags) != flags)
		return err_set(err, EIO,
		    "check %s: not the expected mount (type %#lx, flags %#lx)", path,
		    (unsigned long)sfs.f_type, (unsigned long)sfs.f_flags);
	return 1;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void
unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ =
			    (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* Kernel interfaces the host may also have mounted outside /proc and
 * /sys (a chroot's or build root's /proc and /sys, a container manager's
 * cgroup tree): each that the tenant reaches by its path is made
 * read-only in the tenant's copy too.  One the host mounts later below a
 * shared mount arrives as the host made it. */
static const char *const kernel_fstypes[] = { "proc", "sysfs", "cgroup", "cgroup2",
	"debugfs", "tracefs", "securityfs", "efivarfs", "bpf", "configfs", "pstore",
	"binfmt_misc", "fusectl" };

static bool
is_kernel_fstype(const char *fstype)
{
	for (size_t i = 0; i < N_ELEMENTS(kernel_fstypes); i++)
		if (strcmp(fstype, kernel_fstypes[i]) == 0)
			return true;
	return false;
}

static bool
below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The fd of the mount with this id at point, or -1 when point reaches
 * another one (covered by a later mount: out of the tenant's reach). */
static int
open_mount_point(const char *point, uint64_t id)
{
	_cleanup_close_ int fd = open(point, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct statx stx;

	if (fd < 0 ||
	    statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID) || stx.stx_mnt_id != id)
		return -1;
	return steal_fd(&fd);
}

/* Make (check == false) or check every reachable kernel interface mount
 * outside /proc and /sys read-only; those two have their own rules. */
static int
kernel_mounts_readonly(bool check, struct tn_err *err)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	struct mount_attr attr = { .attr_set = RO_ATTRS };
	int r = 0;

	if (f == NULL)
		return err_set(err, errno, "kernel mounts: mountinfo: %m");
	while (r == 0 && getline(&line, &cap, f) > 0) {
		char point[1024], opts[256], fstype[64];
		const char *sep = strstr(line, " - ");
		uint64_t id;
		int fd;

		if (sep == NULL ||
		    sscanf(line, "%" SCNu64 " %*d %*s %*s %1023s %255s", &id, point,
		        opts) != 3 ||
		    sscanf(sep + 3, "%63s", fstype) != 1 || !is_kernel_fstype(fstype))
			continue;
		unescape_octal(point);
		if (below(point, "/proc") || below(point, "/sys") ||
		    (strncmp(opts, "ro", 2) == 0 && (opts[2] == '\0' || opts[2] == ',')))
			continue;
		if ((fd = open_mount_point(point, id)) < 0)
			continue;
		if (check)
			r = err_set(err, EIO, "check %s: a %s mount left writable", point,
			    fstype);
		else if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
			r = err_set(err, errno, "read-only %s (%s): mount_setattr: %m",
			    point, fstype);
		close(fd);
	}
	fclose(f);
	return r;
}

/* Every mount visible at or below /sys must be read-only.  mountinfo
 * also lists the mounts our read-only copy covers; opening each mount
 * point by path reaches what the tenant sees there (or nothing, below
 * a mask). */
static int
check_sys_readonly(const struct vfs *v, struct tn_err *err)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	struct stat st;
	int r = 0;

	if (f == NULL)
		return err_set(err, errno, "check /sys: mountinfo: %m");
	while (r >= 0 && getline(&line, &cap, f) > 0) {
		char point[1024];

		if (sscanf(line, "%*d %*d %*s %*s %1023s", point) != 1)
			continue;
		unescape_octal(point);
		if (strncmp(point, "/sys", 4) == 0 &&
		    (point[4] == '\0' || point[4] == '/'))
			r = check_statfs(v, point, true, 0, ST_RDONLY, &st, err);
	}
	fclose(f);
	return r < 0 ? -1 : 0;
}

static int
verify(const struct vfs *v, const struct init_args *a, struct tn_err *err)
{
	struct stat st;
	dev_t tmp_dev = 0;
	uid_t owner;
	int r;

	for (size_t i = 0; i < N_ELEMENTS(tmp_dirs); i++) {
		r = check_statfs(NULL, tmp_dirs[i].target, tmp_dirs[i].optional,
		    TMPFS_MAGIC, ST_NOSUID | ST_NODEV, &st, err);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		if ((st.st_mode & 07777) != 01777 || (tmp_dev && st.st_dev != tmp_dev))
			return err_set(err, EIO,
			    "check %s: not a 1777 directory of the tmp tmpfs",
			    tmp_dirs[i].target);
		tmp_dev = st.st_dev;
	}
	for (size_t i = 0; i < N_ELEMENTS(ro_paths); i++)
		if (check_statfs(v, ro_paths[i], true, 0, ST_RDONLY, &st, err) < 0)
			return -1;
	if (check_sys_readonly(v, err) < 0 || kernel_mounts_readonly(true, err) < 0)
		return -1;
	for (size_t i = 0; i < N_ELEMENTS(masked_paths); i++) {
		r = check_statfs(v, masked_paths[i], true, 0, ST_RDONLY, &st, err);
		if (r <= 0) {
			if (r < 0)
				return r;
			continue;
		}
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
			continue; /* /dev/null */
		if (!S_ISDIR(st.st_mode))
			return err_set(err, EIO, "check %s: not masked", masked_paths[i]);
		if (check_statfs(v, masked_paths[i], false, TMPFS_MAGIC, ST_RDONLY, &st,
		        err) < 0)
			return -1;
	}
	r = state_tenant_marker(&owner, err);
	if (r < 0)
		return err_wrap(err, "check " TN_STATE_DIR);
	if (r == 0 || owner != a->uid)
		return err_set(err, EIO, "check " TN_STATE_DIR ": no marker of uid %u",
		    (unsigned)a->uid);
	return 0;
}

/* (Re)open dir as the tenant sees it now, for open_target(); a missing
 * one stays -1 (open_target() then finds its targets missing too). */
static int
vfs_open(int *fd, const char *dir, struct tn_err *err)
{
	int r;

	if (*fd >= 0)
		close(steal_fd(fd));
	r = walk_trusted(dir, 0, fd, err);
	if (r == -ENOENT) { /* its targets are skipped */
		*fd = -1;
		return 0;
	}
	return r < 0 ? err_wrap(err, "open %s", dir) : 0;
}

static void
vfs_close(struct vfs *v)
{
	if (v->proc >= 0)
		close(v->proc);
	if (v->sys >= 0)
		close(v->sys);
}

int
mounts_setup(const struct init_args *a, int *proc_fd, int *user_fd, struct tn_err *err)
{
	const struct fs_option src = { "source", "pam_tenant" };
	_cleanup_close_ int devnull = -1;
	struct vfs v = { -1, -1 };
	int r = -1;

	*proc_fd = *user_fd = -1;
	/* Before any other mount: nothing of ours may propagate to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return err_set(err, errno, "make / rslave: %m");
	if (mount_tmp_budget(a, err) < 0)
		return -1;
	if (a->namespaces & TN_NS_IPC) {
		if (ensure_mqueue_dir(err) < 0 ||
		    mount_fresh("mqueue", &src, 1,
		        MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
		        "/dev/mqueue", err) < 0)
			return -1;
	}
	if (a->namespaces & TN_NS_PID) {
		if (mount_fresh("proc", &src, 1,
		        MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "/proc",
		        err) < 0)
			return -1;
		*proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (*proc_fd < 0)
			return err_set(err, errno, "open new /proc: %m");
	}
	if (mounts_lxcfs(a, *proc_fd, err) < 0)
		return -1;
	/* The host's /proc too, when the tenant has no PID namespace.  /sys
	 * is reopened once read-only: below the old fd lie the host's mounts. */
	if (vfs_open(&v.proc, "/proc", err) < 0)
		goto out;
	for (size_t i = 0; i < N_ELEMENTS(ro_paths); i++)
		if (bind_readonly(&v, ro_paths[i], err) < 0)
			goto out;
	if (vfs_open(&v.sys, "/sys", err) < 0)
		goto out;
	devnull = open_devnull(err);
	if (devnull < 0)
		goto out;
	for (size_t i = 0; i < N_ELEMENTS(masked_paths); i++)
		if (mask_path(&v, masked_paths[i], devnull, err) < 0)
			goto out;
	if (kernel_mounts_readonly(false, err) < 0)
		goto out;
	if (mask_state_dir(a, user_fd, err) < 0 || verify(&v, a, err) < 0)
		goto out;
	r = 0;
out:
	vfs_close(&v);
	return r;
}
