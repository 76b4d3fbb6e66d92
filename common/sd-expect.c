/* The limits last put in force on a unit, for the keeper's fast join
 * (docs/architecture.md, "cgroups on a systemd host").  The values in
 * force are min(configured, administrator's) and only the helper can
 * learn the administrator's (a D-Bus call for the unit's files); so the
 * helper records, per unit, what the configuration asked and what it
 * put in force, and a joining login whose configuration still asks the
 * same is checked against what is in force, from the cgroup files, with
 * no D-Bus call.  One file per unit, /run/pam_tenant/limits/<unit>,
 * replaced atomically; lines "W|E <property> <device|-> <value>",
 * "S stamp - <value>": the unit's drop-in directories as the helper
 * saw them (sd-dropins.c; 0: unsettled, the helper must look again),
 * and "N <text>": what the unit's own files bounded (audited again by
 * every first login that relies on the record). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-systemd.h"
#include "fsutil.h"
#include "proto.h"
#include "state.h"
#include "util.h"

#define EXPECT_DIR "limits"

static int
open_dir(bool create, struct tn_err *err)
{
	struct tn_state st;
	_cleanup_close_ int fd = -1;
	struct stat sb;

	if (state_open(&st, create, err) < 0)
		return -1;
	if (create && mkdirat(st.root, EXPECT_DIR, 0700) < 0 && errno != EEXIST) {
		state_close(&st);
		return err_set(err, errno, "mkdir %s/%s: %m", TN_STATE_DIR, EXPECT_DIR);
	}
	fd = openat(st.root, EXPECT_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	state_close(&st);
	if (fd < 0)
		return err_set(err, errno, "%s/%s: %m", TN_STATE_DIR, EXPECT_DIR);
	if (fstat(fd, &sb) < 0 || sb.st_uid != 0 || (sb.st_mode & 07777) != 0700)
		return err_set(err, EPERM, "%s/%s: not root's 0700 directory",
		    TN_STATE_DIR, EXPECT_DIR);
	return steal_fd(&fd);
}

static bool
unit_name_ok(const char *unit)
{
	return unit[0] && unit[0] != '.' && strlen(unit) < 200 && !strchr(unit, '/');
}

static int
put(char *buf, size_t len, size_t *off, char tag, const struct tn_sd_prop *p)
{
	int n = snprintf(buf + *off, len - *off, "%c %s %s %" PRIu64 "\n", tag, p->name,
	    p->dev[0] ? p->dev : "-", p->value);

	if (n < 0 || (size_t)n >= len - *off)
		return -E2BIG;
	*off += (size_t)n;
	return 0;
}

/* name in the limits directory replaced by buf, atomically (a reader
 * sees the old file or the new one, never a part). */
static int
replace_state_file(const char *name, const char *buf, size_t len, struct tn_err *err)
{
	_cleanup_close_ int dir = -1, fd = -1;
	char tmp[256];

	if ((dir = open_dir(true, err)) < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd =
	    openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write_full(fd, buf, len) < 0 || renameat(dir, tmp, dir, name) < 0)
		return err_set(err, errno, "%s/%s/%s: %m", TN_STATE_DIR, EXPECT_DIR,
		    name);
	return 0;
}

int
sd_expect_save(const char *unit, const struct tn_sd_prop *want, size_t nwant,
    const struct tn_sd_prop *expect, size_t nexpect, uint64_t stamp, const char *note,
    struct tn_err *err)
{
	char buf[8192];
	size_t off = 0;
	int k;

	if (!unit_name_ok(unit))
		return err_set(err, EINVAL, "bad unit name");
	for (size_t i = 0; i < nwant; i++)
		if (put(buf, sizeof(buf), &off, 'W', &want[i]) < 0)
			return err_set(err, E2BIG, "too many limits");
	for (size_t i = 0; i < nexpect; i++)
		if (put(buf, sizeof(buf), &off, 'E', &expect[i]) < 0)
			return err_set(err, E2BIG, "too many limits");
	if (put(buf, sizeof(buf), &off, 'S',
	        &(struct tn_sd_prop){ .name = "stamp", .value = stamp }) < 0)
		return err_set(err, E2BIG, "too many limits");
	if (note[0]) {
		k = snprintf(buf + off, sizeof(buf) - off, "N %s\n", note);
		if (k < 0 || (size_t)k >= sizeof(buf) - off)
			return err_set(err, E2BIG, "note too long");
		/* one line: a path in the note may hold a newline */
		for (char *c = buf + off; c < buf + off + k - 1; c++)
			if (*c == '\n')
				*c = ' ';
		off += (size_t)k;
	}
	return replace_state_file(unit, buf, off, err);
}

void
sd_expect_forget(const char *unit)
{
	_cleanup_close_ int dir = -1;

	if (unit_name_ok(unit) && (dir = open_dir(false, NULL)) >= 0)
		(void)unlinkat(dir, unit, 0);
}

static bool
same(const struct tn_sd_prop *a, const char *name, const char *dev, uint64_t v)
{
	return strcmp(a->name, name) == 0 && strcmp(a->dev[0] ? a->dev : "-", dev) == 0 &&
	    a->value == v;
}

int
sd_expect_load(const char *unit, const struct tn_sd_prop *want, size_t nwant,
    struct tn_sd_prop *expect, size_t max, size_t *nexpect, uint64_t *stamp, char *note,
    size_t nlen)
{
	_cleanup_close_ int dir = -1, fd = -1;
	char buf[8192], *save = NULL;
	size_t nw = 0;
	ssize_t n;

	*nexpect = 0;
	*stamp = 0;
	note[0] = '\0';
	if (!unit_name_ok(unit))
		return 0;
	if ((dir = open_dir(false, NULL)) < 0)
		return -ENOENT;
	fd = openat(dir, unit, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : 0;
	if ((n = read_full(fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char tag, name[64], dev[TN_SD_DEV_MAX];
		uint64_t v;
		bool found = false;

		if (strncmp(l, "N ", 2) == 0) {
			str_copy(note, nlen, l + 2);
			continue;
		}
		if (sscanf(l, "%c %63s %31s %" SCNu64, &tag, name, dev, &v) != 4)
			return 0;
		if (tag == 'W') {
			for (size_t i = 0; i < nwant && !found; i++)
				found = same(&want[i], name, dev, v);
			if (!found)
				return 0; /* the configuration asks something else now */
			nw++;
		} else if (tag == 'S') {
			*stamp = v;
		} else if (tag == 'E' && *nexpect < max) {
			const char *prop = sd_prop_name(name);

			if (prop == NULL)
				return 0;
			expect[*nexpect] =
			    (struct tn_sd_prop){ .name = prop, .value = v };
			if (strcmp(dev, "-") != 0)
				str_copy(expect[*nexpect].dev, TN_SD_DEV_MAX, dev);
			(*nexpect)++;
		} else {
			return 0;
		}
	}
	return nw == nwant ? 1 : 0;
}

int
sd_expect_in_force(const char *unit, int cg_dir, const struct tn_sd_prop *want,
    size_t nwant, char *note, size_t nlen, struct tn_err *err)
{
	struct tn_sd_prop expect[TN_SD_MAX_PROPS];
	char why[300];
	size_t ne = 0;
	uint64_t stamp = 0;
	int r = sd_expect_load(unit, want, nwant, expect, N_ELEMENTS(expect), &ne, &stamp,
	    note, nlen);

	if (r == -ENOENT) {
		err_set(err, ENOENT, "no limits of %s on record", unit);
		return -ENOENT;
	}
	if (r != 1)
		err_set(err, EAGAIN, "limits of %s not on record for this configuration",
		    unit);
	/* An admin's drop-in added, removed or edited since the helper read
	 * the unit's files may be a new bound: the helper must look again. */
	else if (stamp == 0 || stamp != sd_dropin_stamp(unit, NULL, 0, NULL))
		err_set(err, EAGAIN, "the drop-ins of %s changed", unit);
	else if (cg_dir < 0)
		err_set(err, ENOENT, "the cgroup of %s is not open", unit);
	else if ((r = sd_props_hold(cg_dir, expect, ne, why, sizeof(why), NULL)) != 1)
		err_set(err, EAGAIN, "limits not in place: %s",
		    r < 0 ? strerror(-r) : why);
	else
		return 1;
	return 0;
}

/* ---- which runtime drop-ins are pam_tenant's ------------------------------ */

#define OWNED_SUFFIX ".owned"

void
sd_owned_load(const char *unit, struct tn_sd_owned *o)
{
	_cleanup_close_ int dir = -1, fd = -1;
	char buf[8192], name[256], *save = NULL;
	ssize_t n;

	memset(o, 0, sizeof(*o));
	if (!unit_name_ok(unit) || (dir = open_dir(false, NULL)) < 0)
		return;
	snprintf(name, sizeof(name), "%s" OWNED_SUFFIX, unit);
	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (n = read_full(fd, buf, sizeof(buf) - 1)) < 0)
		return;
	buf[n] = '\0';
	/* An unreadable line leaves the record unknown: no file is taken
	 * for ours that may not be (fail towards the admin's value). */
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (o->n == TN_SD_MAX_OWNED ||
		    sscanf(l, "%199s %" SCNu64 " %" SCNd64 " %" SCNd64, o->f[o->n].path,
		        &o->f[o->n].ino, &o->f[o->n].sec, &o->f[o->n].nsec) != 4) {
			o->n = 0;
			return;
		}
		o->n++;
	}
	o->known = true;
}

int
sd_owned_save(const char *unit, const struct tn_sd_owned *o, struct tn_err *err)
{
	char buf[8192], name[216];
	size_t off = 0;

	if (!unit_name_ok(unit))
		return err_set(err, EINVAL, "bad unit name");
	for (size_t i = 0; i < o->n; i++) {
		int k = snprintf(buf + off, sizeof(buf) - off,
		    "%s %" PRIu64 " %" PRId64 " %" PRId64 "\n", o->f[i].path, o->f[i].ino,
		    o->f[i].sec, o->f[i].nsec);

		if (k < 0 || (size_t)k >= sizeof(buf) - off)
			return err_set(err, E2BIG, "too many drop-ins");
		off += (size_t)k;
	}
	snprintf(name, sizeof(name), "%s" OWNED_SUFFIX, unit);
	return replace_state_file(name, buf, off, err);
}
