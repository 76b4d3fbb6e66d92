/* A cheap answer to "has the config changed since I parsed it?", for the
 * keeper's cached policy.  The stamp covers every directory on the way to
 * the main file and the drop-in directory (a chmod there changes whether
 * the helper would trust them), both of those, and every entry of the
 * drop-in directory: identity, owner, mode, size and both times. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"

/* File times come from a coarse clock (one tick is at most 10 ms): a
 * file changed this recently may change again within the same tick, so
 * equal times would prove nothing (git's "racy" index entries). */
#define RACY_WINDOW_NS 100000000ull

struct hasher {
	uint64_t h;
	uint64_t newest; /* ns since the epoch */
};

static void
mix(struct hasher *x, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		x->h ^= p[i];
		x->h *= 0x100000001b3ULL; /* FNV-1a */
	}
}

static uint64_t
ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

/* What a file's stat says about it.  For a directory above the config
 * only who it is and who may write it matter (dev, inode, mode, owner):
 * its times and size change with every file made beside ours (/etc on a
 * passwd update, /tmp in the tests), which would make every stamp racy
 * and new, so the keeper would parse again for nothing. */
static void
mix_stat(struct hasher *x, int dirfd, const char *name, bool above)
{
	struct stat st;
	uint64_t f[9] = { 0 };

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		f[0] = st.st_dev;
		f[1] = st.st_ino;
		f[2] = st.st_mode;
		f[3] = st.st_uid;
		f[4] = st.st_gid;
		if (!above) {
			f[5] = (uint64_t)st.st_size;
			f[6] = ns(&st.st_mtim);
			f[7] = ns(&st.st_ctim);
			if (f[6] > x->newest)
				x->newest = f[6];
			if (f[7] > x->newest)
				x->newest = f[7];
		}
	} else {
		f[8] = (uint64_t)errno;
	}
	mix(x, name, strlen(name) + 1);
	mix(x, f, sizeof(f));
}

/* The path itself and every directory above it. */
static void
mix_path(struct hasher *x, const char *path)
{
	char buf[4096];
	size_t len = strlen(path);

	if (path[0] != '/' || len >= sizeof(buf)) {
		mix(x, path, len + 1);
		return;
	}
	memcpy(buf, path, len + 1);
	for (bool above = false;; above = true) {
		mix_stat(x, AT_FDCWD, buf, above);
		char *slash = strrchr(buf, '/');
		if (slash == NULL || slash == buf)
			break;
		*slash = '\0';
	}
	mix_stat(x, AT_FDCWD, "/", true);
}

static void
mix_dir_entries(struct hasher *x, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	/* Order is whatever getdents gives; any change to the set of
	 * names also changes the directory's own mtime, mixed in above. */
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			mix_stat(x, dirfd(d), de->d_name, false);
	closedir(d);
}

void
conf_stamp(const struct tn_conf_opts *opts, struct tn_conf_stamp *out)
{
	const char *main_path = opts->main_path ? opts->main_path : TN_CONF_PATH;
	const char *dropin = opts->dropin_dir;
	struct hasher x = { .h = 0xcbf29ce484222325ULL };
	struct timespec now;

	if (opts->main_path == NULL && dropin == NULL)
		dropin = TN_CONF_DIR;
	mix_path(&x, main_path);
	if (dropin) {
		mix_path(&x, dropin);
		mix_dir_entries(&x, dropin);
	}
	clock_gettime(CLOCK_REALTIME, &now);
	out->hash = x.h;
	out->racy = x.newest + RACY_WINDOW_NS >= ns(&now);
}

bool
conf_stamp_same(const struct tn_conf_stamp *cached, const struct tn_conf_stamp *now)
{
	return !cached->racy && cached->hash == now->hash;
}
