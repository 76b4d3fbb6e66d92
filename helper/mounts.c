/* The tenant's mount namespace: "/" made rslave first, then private tmpfs
 * on /tmp, /var/tmp and /dev/shm, a fresh mqueue and a fresh proc.  Every
 * target is reached by walk_trusted() and mounted with the fd-based mount
 * API, so no path string is resolved twice (security catalog #1, #6). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "helper.h"
#include "util.h"

/* The kernel explains fsconfig failures on the fs context fd. */
static int
fs_error(int fsfd, const char *what, struct tn_err *err)
{
	int saved = errno;
	char buf[256] = "";
	ssize_t n = fsfd >= 0 ? read(fsfd, buf, sizeof(buf) - 1) : -1;

	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		return err_set(err, saved, "%s: %s (%s)", what, strerror(saved), buf);
	}
	return err_set(err, saved, "%s: %s", what, strerror(saved));
}

struct fs_option {
	const char *key, *value;
};

static int
mount_fresh(const char *fstype, const struct fs_option *opts, size_t nopts,
    unsigned attrs, const char *target, struct tn_err *err)
{
	_cleanup_close_ int tfd = -1, fsfd = -1, mfd = -1;
	char what[128];
	struct stat st;
	int r;

	snprintf(what, sizeof(what), "mount %s on %s", fstype, target);
	r = walk_trusted(target, 0, &tfd, err);
	if (r < 0)
		return err_wrap(err, "%s", what);
	if (fstat(tfd, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(err, ENOTDIR, "%s: not a directory", what);
	fsfd = fsopen(fstype, FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return fs_error(-1, what, err);
	for (size_t i = 0; i < nopts; i++)
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, opts[i].key, opts[i].value, 0) < 0)
			return fs_error(fsfd, what, err);
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fs_error(fsfd, what, err);
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
	if (mfd < 0)
		return fs_error(fsfd, what, err);
	if (move_mount(mfd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return err_set(err, errno, "%s: move_mount: %m", what);
	return 0;
}

static int
mount_tmpfs(const char *target, const struct init_args *a, struct tn_err *err)
{
	char size[32], inodes[32];
	const struct fs_option opts[] = {
		{"source", "pam_tenant"},
		{"size", size},
		{"nr_inodes", inodes},
		{"mode", "1777"},
	};

	snprintf(size, sizeof(size), "%" PRIu64, a->tmp_size);
	snprintf(inodes, sizeof(inodes), "%" PRIu64, a->tmp_inodes);
	return mount_fresh("tmpfs", opts, N_ELEMENTS(opts),
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, target, err);
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

int
mounts_setup(const struct init_args *a, int *proc_fd, struct tn_err *err)
{
	static const char *const tmp_dirs[] = {"/tmp", "/var/tmp", "/dev/shm"};
	const struct fs_option src = {"source", "pam_tenant"};

	*proc_fd = -1;
	/* Before any other mount: nothing of ours may propagate to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return err_set(err, errno, "make / rslave: %m");
	for (size_t i = 0; i < N_ELEMENTS(tmp_dirs); i++)
		if (mount_tmpfs(tmp_dirs[i], a, err) < 0)
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
			MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
			"/proc", err) < 0)
			return -1;
		*proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (*proc_fd < 0)
			return err_set(err, errno, "open new /proc: %m");
	}
	return 0;
}
