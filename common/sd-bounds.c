/* What a unit's own files say about the resource properties pam_tenant
 * sets (docs/architecture.md, "cgroups on a systemd host", outer
 * bounds).  systemd applies the unit's fragment and then its drop-ins in
 * file-name order, the last assignment of a key winning; pam_tenant's
 * runtime drop-ins (50-<Property>.conf, what SetUnitProperties writes)
 * would hide an administrator's value for the keys it sets.  So the files
 * systemd reports for the unit (FragmentPath, DropInPaths) are read here,
 * ours apart from the others, and each property's value in the others is
 * evaluated as systemd does: that value is the bound pam_tenant never
 * exceeds.  A value this file cannot evaluate is reported, never skipped
 * (a bound pam_tenant cannot read is not one it may loosen). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgroup-systemd.h"
#include "fsutil.h"
#include "proto.h"
#include "util.h"

#define MAX_FILE_BYTES (64 * 1024)
#define TASKS_MAX_KERNEL 4194303ull /* systemd's TASKS_MAX */

static const struct {
	const char *key;  /* as written in a unit file */
	const char *prop; /* the D-Bus property pam_tenant sends */
	enum { V_BYTES, V_TASKS, V_CPU_QUOTA, V_WEIGHT, V_CPU_WEIGHT, V_IO } kind;
} keys[] = {
	{ "MemoryMax", "MemoryMax", V_BYTES },
	{ "MemoryHigh", "MemoryHigh", V_BYTES },
	{ "MemorySwapMax", "MemorySwapMax", V_BYTES },
	{ "TasksMax", "TasksMax", V_TASKS },
	{ "CPUQuota", "CPUQuotaPerSecUSec", V_CPU_QUOTA },
	{ "CPUWeight", "CPUWeight", V_CPU_WEIGHT },
	{ "IOWeight", "IOWeight", V_WEIGHT },
	{ "IOReadBandwidthMax", "IOReadBandwidthMax", V_IO },
	{ "IOWriteBandwidthMax", "IOWriteBandwidthMax", V_IO },
	{ "IOReadIOPSMax", "IOReadIOPSMax", V_IO },
	{ "IOWriteIOPSMax", "IOWriteIOPSMax", V_IO },
};

const char *
sd_prop_file_key(const char *prop)
{
	for (size_t i = 0; i < N_ELEMENTS(keys); i++)
		if (strcmp(keys[i].prop, prop) == 0)
			return keys[i].key;
	return prop;
}

const char *
sd_prop_name(const char *name)
{
	for (size_t i = 0; i < N_ELEMENTS(keys); i++)
		if (strcmp(keys[i].prop, name) == 0)
			return keys[i].prop;
	return NULL;
}

bool
sd_has_runtime_dropins(const char *unit)
{
	for (size_t i = 0; i < N_ELEMENTS(keys); i++)
		if (sd_runtime_dropin(unit, keys[i].prop))
			return true;
	return false;
}

bool
sd_prop_is_io(const char *prop)
{
	return strncmp(prop, "IO", 2) == 0 && strcmp(prop, "IOWeight") != 0;
}

/* ---- values, as systemd parses them (252) ------------------------------ */

/* "33%", "33.3%", "333‰", "3333‱" as parts per 10000; -1 if not one. */
static int64_t
permyriad(const char *v)
{
	static const struct {
		const char *sign;
		unsigned scale; /* per 10000 of one unit of the number */
		unsigned decimals;
	} signs[] = { { "%", 100, 2 }, { "\xe2\x80\xb0", 10, 1 },
		{ "\xe2\x80\xb1", 1, 0 } };
	size_t len = strlen(v);

	for (size_t s = 0; s < N_ELEMENTS(signs); s++) {
		size_t sl = strlen(signs[s].sign);
		uint64_t whole = 0, frac = 0;
		unsigned nfrac = 0;
		const char *p = v;

		if (len <= sl || strcmp(v + len - sl, signs[s].sign) != 0)
			continue;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p) && whole < 1000000)
			whole = whole * 10 + (uint64_t)(*p++ - '0');
		if (*p == '.') {
			for (p++; isdigit((unsigned char)*p); p++)
				if (nfrac < signs[s].decimals) {
					frac = frac * 10 + (uint64_t)(*p - '0');
					nfrac++;
				}
		}
		if (p != v + len - sl)
			return -1;
		while (nfrac < signs[s].decimals) {
			frac *= 10;
			nfrac++;
		}
		uint64_t r = whole * signs[s].scale +
		    (signs[s].decimals
		            ? frac * signs[s].scale / (signs[s].decimals == 2 ? 100 : 10)
		            : 0);
		return r > 10000 ? -1 : (int64_t)r;
	}
	return -1;
}

/* systemd's parse_size(): "1.5G", "1G 512M", "100"; base 1024 or 1000. */
static int
parse_size(const char *v, uint64_t base, uint64_t *out)
{
	static const char suffixes[] = "KMGTPE";
	uint64_t sum = 0;
	const char *p = v;

	do {
		uint64_t whole = 0, frac = 0, fdiv = 1, mul = 1;
		const char *s;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p)) {
			if (whole > UINT64_MAX / 10)
				return -ERANGE;
			whole = whole * 10 + (uint64_t)(*p++ - '0');
		}
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				if (fdiv < 1000000000ull) {
					frac = frac * 10 + (uint64_t)(*p - '0');
					fdiv *= 10;
				}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && (s = strchr(suffixes, *p)) != NULL) {
			for (const char *q = suffixes; q <= s; q++)
				mul *= base;
			p++;
		} else if (*p == 'B') {
			p++;
		}
		/* frac * mul overflows 64 bits for "1.25E": 128-bit product. */
		if (whole > UINT64_MAX / mul ||
		    __builtin_add_overflow(sum, whole * mul, &sum) ||
		    __builtin_add_overflow(sum,
		        (uint64_t)((unsigned __int128)frac * mul / fdiv), &sum))
			return -ERANGE;
	} while (*p);
	*out = sum;
	return 0;
}

uint64_t
sd_physical_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : UINT64_MAX;
}

static uint64_t
read_u64(const char *path)
{
	char buf[32];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	return strtoull(buf, NULL, 10);
}

/* systemd's system_tasks_max(): the kernel's threads-max and pid_max - 1. */
uint64_t
sd_system_tasks_max(void)
{
	uint64_t t = TASKS_MAX_KERNEL, a = read_u64("/proc/sys/kernel/threads-max"),
	         b = read_u64("/proc/sys/kernel/pid_max");

	if (a > 0 && a < t)
		t = a;
	if (b > 1 && b - 1 < t)
		t = b - 1;
	return t;
}

/* One value in D-Bus units; 0 = parsed, 1 = empty (reset), <0 = cannot. */
static int
eval(int kind, const char *v, uint64_t *out)
{
	int64_t pm;
	char *end;

	if (!*v)
		return 1;
	/* CPUWeight=idle (CGROUP_WEIGHT_IDLE, 0 on D-Bus): below every
	 * weight, so the strictest bound. */
	if (kind == V_CPU_WEIGHT && strcmp(v, "idle") == 0) {
		*out = 0;
		return 0;
	}
	if (strcmp(v, "infinity") == 0 && kind != V_WEIGHT && kind != V_CPU_WEIGHT) {
		*out = UINT64_MAX;
		return 0;
	}
	switch (kind) {
	case V_BYTES:
		if ((pm = permyriad(v)) >= 0) {
			uint64_t mem = sd_physical_memory(),
			         page = (uint64_t)sysconf(_SC_PAGESIZE);

			*out = (mem / page) * (uint64_t)pm / 10000 * page;
			return 0;
		}
		return parse_size(v, 1024, out);
	case V_TASKS:
		if ((pm = permyriad(v)) >= 0) {
			*out = sd_system_tasks_max() * (uint64_t)pm / 10000;
			return 0;
		}
		errno = 0;
		*out = strtoull(v, &end, 10);
		return errno || *end || *out == 0 || !isdigit((unsigned char)*v) ? -EINVAL
		                                                                 : 0;
	case V_CPU_QUOTA:
		/* CPUQuota=N% is N * 10000 µs per second; no upper bound. */
		if (v[strlen(v) - 1] == '%') {
			uint64_t whole = 0, frac = 0, div = 1;
			const char *p = v;

			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			while (isdigit((unsigned char)*p) && whole < 100000000)
				whole = whole * 10 + (uint64_t)(*p++ - '0');
			if (*p == '.')
				for (p++; isdigit((unsigned char)*p); p++)
					if (div < 100) {
						frac = frac * 10 + (uint64_t)(*p - '0');
						div *= 10;
					}
			if (*p != '%' || p[1])
				return -EINVAL;
			*out = whole * 10000 + frac * 10000 / div;
			return *out ? 0 : -EINVAL;
		}
		return -EINVAL;
	case V_CPU_WEIGHT:
	case V_WEIGHT:
		errno = 0;
		*out = strtoull(v, &end, 10);
		return errno || *end || *out < 1 || *out > 10000 ||
		        !isdigit((unsigned char)*v)
		    ? -EINVAL
		    : 0;
	}
	return -EINVAL;
}

/* "PATH VALUE" of IO*Max: the device as /dev/block/MAJ:MIN (resolved as
 * systemd does: a block device node, or the device of the file system a
 * path is on); 1 for an empty value (reset), <0 if it cannot be read. */
static int
eval_io(const char *v, char dev[TN_SD_DEV_MAX], uint64_t *out)
{
	char path[256];
	const char *sp = strpbrk(v, " \t");
	struct stat st;
	unsigned maj, min;
	int end = 0;
	dev_t d;

	if (!*v)
		return 1;
	if (sp == NULL || (size_t)(sp - v) >= sizeof(path))
		return -EINVAL;
	snprintf(path, sizeof(path), "%.*s", (int)(sp - v), v);
	while (*sp == ' ' || *sp == '\t')
		sp++;
	if (strcmp(sp, "infinity") == 0)
		*out = UINT64_MAX;
	else if (parse_size(sp, 1000, out) < 0)
		return -EINVAL;
	/* /dev/block/MAJ:MIN is taken by its name, as systemd does (udev's
	 * symlink need not exist); any other path by what it is. */
	if (sscanf(path, "/dev/block/%u:%u%n", &maj, &min, &end) == 2 &&
	    path[end] == '\0')
		d = makedev(maj, min);
	else if (stat(path, &st) < 0)
		return -ENODEV; /* systemd cannot apply it either */
	else
		d = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
	if (major(d) == 0)
		return -ENODEV;
	snprintf(dev, TN_SD_DEV_MAX, "/dev/block/%u:%u", major(d), minor(d));
	return 0;
}

/* ---- the files ----------------------------------------------------------- */

/* Is path one of the runtime drop-ins SetUnitProperties writes for unit? */
static bool
is_ours(const char *unit, const char *path)
{
	static const char *const dirs[] = { "/run/systemd/system.control/",
		"/run/systemd/transient/" };
	const char *base = strrchr(path, '/');

	if (base == NULL || strncmp(base + 1, "50-", 3) != 0)
		return false;
	for (size_t i = 0; i < N_ELEMENTS(dirs); i++) {
		size_t dl = strlen(dirs[i]), ul = strlen(unit);

		if (strncmp(path, dirs[i], dl) == 0 &&
		    strncmp(path + dl, unit, ul) == 0 &&
		    strncmp(path + dl + ul, ".d/", 3) == 0 && base == path + dl + ul + 2)
			return true;
	}
	return false;
}

static struct tn_sd_slot *
slot_for(struct tn_sd_bounds *b, const char *prop, const char *dev)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->slot[i].prop.name, prop) == 0 &&
		    strcmp(b->slot[i].prop.dev, dev) == 0)
			return &b->slot[i];
	if (b->n == N_ELEMENTS(b->slot))
		return NULL;
	struct tn_sd_slot *s = &b->slot[b->n++];
	memset(s, 0, sizeof(*s));
	s->prop.name = prop;
	str_copy(s->prop.dev, sizeof(s->prop.dev), dev);
	return s;
}

/* An empty assignment: every device of an IO key, or the one value. */
static void
reset(struct tn_sd_bounds *b, const char *prop, bool ours)
{
	for (size_t i = 0; i < b->n; i++) {
		struct tn_sd_slot *s = &b->slot[i];

		if (strcmp(s->prop.name, prop) != 0)
			continue;
		if (ours)
			s->ours = false;
		else
			s->admin = s->after_ours = s->runtime = false;
	}
}

static int
assign(struct tn_sd_bounds *b, const char *unit, const char *file, unsigned line,
    size_t k, const char *v, bool ours, bool runtime, struct tn_err *err)
{
	char dev[TN_SD_DEV_MAX] = "", mine[64];
	const char *base = strrchr(file, '/');
	struct tn_sd_slot *s;
	uint64_t val = 0;
	int r;

	r = keys[k].kind == V_IO ? eval_io(v, dev, &val) : eval(keys[k].kind, v, &val);
	if (r == 1) {
		reset(b, keys[k].prop, ours);
		return 0;
	}
	if (r == -ENODEV)
		return 0; /* a device that is not there: systemd skips it too */
	if (r < 0)
		return err_set(err, EINVAL,
		    "%s:%u: %s=%s: pam_tenant cannot evaluate this "
		    "value, so it cannot keep it as a bound",
		    file, line, keys[k].key, v);
	s = slot_for(b, keys[k].prop, dev);
	if (s == NULL)
		return err_set(err, E2BIG, "%s: too many resource settings", unit);
	if (ours) {
		s->ours = true;
		s->ours_value = val;
		return 0;
	}
	snprintf(mine, sizeof(mine), "50-%s.conf", keys[k].key);
	s->admin = true;
	s->runtime = runtime;
	s->prop.value = val;
	/* Only a drop-in (a file in a "<name>.d/" directory) can sort after
	 * ours: the fragment (logind's transient session scope file says
	 * TasksMax=infinity) is always applied first. */
	s->after_ours = base && base - file > 2 && strncmp(base - 2, ".d", 2) == 0 &&
	    strcmp(base + 1, mine) > 0;
	snprintf(s->where, sizeof(s->where), "%s:%u", file, line);
	return 0;
}

static int
read_one(struct tn_sd_bounds *b, const char *unit, const char *section, const char *file,
    const struct tn_sd_owned *owned, struct tn_err *err)
{
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	_cleanup_free_ char *text = malloc(MAX_FILE_BYTES + 1);
	bool ours = is_ours(unit, file), in_section = false, runtime = false;
	unsigned lineno = 0;
	ssize_t n;
	char *next;
	struct stat st;

	if (text == NULL)
		return err_set(err, ENOMEM, "out of memory");
	if (fd < 0)
		return errno == ENOENT
		    ? 0
		    : err_set(err, errno, "%s: %s", file, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0; /* /dev/null masks: nothing assigned */
	/* Our file name, not our file: systemctl set-property --runtime. */
	if (ours && owned && !sd_owned_has(owned, file, &st))
		ours = false, runtime = true;
	n = read_full(fd, text, MAX_FILE_BYTES + 1);
	if (n < 0 || n > MAX_FILE_BYTES)
		return err_set(err, EFBIG, "%s: cannot read it whole", file);
	text[n] = '\0';
	/* Lines, with backslash continuations joined (rare in drop-ins;
	 * the line number is then the continuation's). */
	for (char *p = text; *p; p++)
		if (*p == '\\' && p[1] == '\n')
			p[0] = p[1] = ' ';
	for (char *l = text; l; l = next) {
		char *eq, *key, *val, *e;

		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		while (isspace((unsigned char)*l))
			l++;
		if (*l == '#' || *l == ';' || !*l)
			continue;
		if (*l == '[') {
			e = strchr(l, ']');
			in_section = e && (size_t)(e - l - 1) == strlen(section) &&
			    strncmp(l + 1, section, strlen(section)) == 0;
			continue;
		}
		if (!in_section || (eq = strchr(l, '=')) == NULL)
			continue;
		key = l;
		val = eq + 1;
		for (e = eq; e > key && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		while (isspace((unsigned char)*val))
			val++;
		for (e = val + strlen(val); e > val && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		for (size_t k = 0; k < N_ELEMENTS(keys); k++)
			if (strcmp(key, keys[k].key) == 0 &&
			    assign(b, unit, file, lineno, k, val, ours, runtime, err) < 0)
				return -1;
	}
	return 0;
}

bool
sd_owned_has(const struct tn_sd_owned *o, const char *path, const struct stat *st)
{
	for (size_t i = 0; o->known && i < o->n; i++)
		if (strcmp(o->f[i].path, path) == 0 &&
		    o->f[i].ino == (uint64_t)st->st_ino &&
		    o->f[i].sec == (int64_t)st->st_mtim.tv_sec &&
		    o->f[i].nsec == (int64_t)st->st_mtim.tv_nsec)
			return true;
	return false;
}

void
sd_owned_collect(const char *unit, const struct tn_sd_owned *old,
    const struct tn_sd_prop *sent, size_t nsent, struct tn_sd_owned *out)
{
	memset(out, 0, sizeof(*out));
	out->known = true;
	for (size_t k = 0; k < N_ELEMENTS(keys) && out->n < TN_SD_MAX_OWNED; k++) {
		char path[sizeof(out->f[0].path)];
		bool just_sent = false;
		struct stat st;
		int len = snprintf(path, sizeof(path),
		    "/run/systemd/system.control/%s.d/50-%s.conf", unit, keys[k].key);

		if (len < 0 || (size_t)len >= sizeof(path) || lstat(path, &st) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		for (size_t i = 0; i < nsent && !just_sent; i++)
			just_sent = strcmp(sent[i].name, keys[k].prop) == 0;
		if (!just_sent && !sd_owned_has(old, path, &st))
			continue;
		str_copy(out->f[out->n].path, sizeof(out->f[0].path), path);
		out->f[out->n].ino = (uint64_t)st.st_ino;
		out->f[out->n].sec = (int64_t)st.st_mtim.tv_sec;
		out->f[out->n].nsec = (int64_t)st.st_mtim.tv_nsec;
		out->n++;
	}
}

int
sd_unit_bounds(const char *unit, const char *const *files, size_t nfiles,
    struct tn_sd_bounds *b, struct tn_err *err)
{
	return sd_unit_bounds_owned(unit, files, nfiles, NULL, b, err);
}

int
sd_unit_bounds_owned(const char *unit, const char *const *files, size_t nfiles,
    const struct tn_sd_owned *owned, struct tn_sd_bounds *b, struct tn_err *err)
{
	const char *dot = strrchr(unit, '.');
	char section[16];

	memset(b, 0, sizeof(*b));
	if (dot == NULL || strlen(dot + 1) >= sizeof(section) || !dot[1])
		return err_set(err, EINVAL, "%s: not a unit name", unit);
	/* [Slice] for a .slice, [Scope] for a .scope. */
	snprintf(section, sizeof(section), "%s", dot + 1);
	section[0] = (char)toupper((unsigned char)section[0]);
	for (size_t i = 0; i < nfiles; i++)
		if (files[i][0] == '/' &&
		    read_one(b, unit, section, files[i], owned, err) < 0)
			return -1;
	return 0;
}
