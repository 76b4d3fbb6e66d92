/* A stamp of the unit-file drop-in directories of a unit, so that the
 * keeper's fast join (no D-Bus) can tell whether an administrator added,
 * removed or edited a drop-in since the helper last read the unit's files
 * (docs/architecture.md, "cgroups on a systemd host").  The helper
 * records the stamp with what it put in force (sd-expect.c); the keeper
 * serves a join only when the stamp is still the same, else the helper
 * (with D-Bus) looks again.  Only stat() and readdir(): no file is read.
 *
 * The directories are those systemd 252 searches for a system unit's
 * drop-ins (<dir>/<unit>.d, the prefix drop-ins <dir>/user-.slice.d and
 * the type's <dir>/slice.d), except system.control: what
 * SetUnitProperties and systemctl set-property write there is applied at
 * once, so the cgroup files already show it (and pam_tenant's own
 * writes must not change the stamp). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-systemd.h"
#include "util.h"

static const char *const search_dirs[] = {
	"/run/systemd/transient",
	"/run/systemd/generator.early",
	"/etc/systemd/system",
	"/etc/systemd/system.attached",
	"/run/systemd/system",
	"/run/systemd/system.attached",
	"/run/systemd/generator",
	"/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system",
	"/lib/systemd/system",
	"/run/systemd/generator.late",
};

#define MAX_NAMES 8

/* FNV-1a over the 8 bytes of v. */
static void
mix(uint64_t *h, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8) {
		*h ^= v & 0xff;
		*h *= 0x100000001b3ull;
	}
}

/* A string with its NUL (so "ab" "c" and "a" "bc" differ). */
static void
mix_str(uint64_t *h, const char *s)
{
	do {
		mix(h, (unsigned char)*s);
	} while (*s++);
}

static void
mix_stat(uint64_t *h, const struct stat *st)
{
	mix(h, (uint64_t)st->st_ino);
	mix(h, (uint64_t)st->st_mtim.tv_sec);
	mix(h, (uint64_t)st->st_mtim.tv_nsec);
	mix(h, (uint64_t)st->st_size);
}

/* "user-1001.slice" → "user-1001.slice.d", "user-.slice.d", "slice.d". */
static size_t
dropin_names(const char *unit, char names[MAX_NAMES][256])
{
	const char *dot = strrchr(unit, '.');
	size_t n = 0;

	if (dot == NULL)
		return 0;
	snprintf(names[n++], 256, "%s.d", unit);
	for (const char *p = dot; p > unit && n < MAX_NAMES - 1; p--)
		if (p[-1] == '-' && p != dot)
			snprintf(names[n++], 256, "%.*s%s.d", (int)(p - unit), unit, dot);
	snprintf(names[n++], 256, "%s.d", dot + 1);
	return n;
}

/* By device and inode: systemd names /usr/lib/... what /lib/... also
 * reaches on a merged-/usr system. */
struct loaded_set {
	struct {
		dev_t dev;
		ino_t ino;
	} f[TN_SD_MAX_FILES];
	size_t n;
};

static void
loaded_init(struct loaded_set *s, const char *const *loaded, size_t nloaded)
{
	struct stat st;

	s->n = 0;
	for (size_t i = 0; i < nloaded && s->n < TN_SD_MAX_FILES; i++)
		if (stat(loaded[i], &st) == 0) {
			s->f[s->n].dev = st.st_dev;
			s->f[s->n].ino = st.st_ino;
			s->n++;
		}
}

static bool
is_loaded(const struct loaded_set *s, const struct stat *st)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->f[i].dev == st->st_dev && s->f[i].ino == st->st_ino)
			return true;
	return false;
}

uint64_t
sd_dropin_stamp(const char *unit, const char *const *loaded, size_t nloaded,
    bool *unsettled)
{
	char names[MAX_NAMES][256];
	size_t nn = dropin_names(unit, names);
	uint64_t h = 0xcbf29ce484222325ull;
	struct loaded_set set = { .n = 0 };

	if (unsettled)
		*unsettled = false;
	if (loaded)
		loaded_init(&set, loaded, nloaded);
	for (size_t d = 0; d < N_ELEMENTS(search_dirs); d++)
		for (size_t i = 0; i < nn; i++) {
			char path[512];
			struct stat st;
			struct dirent *e;
			DIR *dir;
			int fd;

			snprintf(path, sizeof(path), "%s/%.255s", search_dirs[d],
			    names[i]);
			mix_str(&h, path);
			fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0 || fstat(fd, &st) < 0) {
				int none =
				    errno == ENOENT || errno == ENOTDIR ? 0 : errno;

				mix(&h, (uint64_t)none);
				if (fd >= 0)
					close(fd);
				continue;
			}
			mix_stat(&h, &st);
			if ((dir = fdopendir(fd)) == NULL) {
				close(fd);
				continue;
			}
			/* readdir's order is the directory's own: stable while
			 * nothing in it changes, which is all that matters. */
			while ((e = readdir(dir)) != NULL) {
				size_t len = strlen(e->d_name);

				if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0)
					continue;
				mix_str(&h, e->d_name);
				if (fstatat(dirfd(dir), e->d_name, &st, 0) < 0)
					continue;
				mix_stat(&h, &st);
				/* A drop-in systemd has not loaded yet (no
				 * daemon-reload since; masks to /dev/null are
				 * never listed): what is in force may change
				 * with the next reload, so the helper must
				 * look at every login until then. */
				if (unsettled && loaded && S_ISREG(st.st_mode) &&
				    !is_loaded(&set, &st))
					*unsettled = true;
			}
			closedir(dir);
		}
	return h ? h : 1;
}
