/* Value parsers: strict (no sign, no spaces inside numbers, no trailing
 * junk, overflow checked), and every error says what is allowed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

#include "conf-int.h"
#include "util.h"

#define CPU_PERCENT_MAX 1000000u /* 10000 CPUs */
#define WEIGHT_MAX 10000u        /* cgroup v2 cpu.weight / io.weight */
#define PIDS_LIMIT 4194304u      /* the kernel's PID_MAX_LIMIT */
#define IOPS_MAX UINT32_MAX
#define DEV_MAJOR_MAX 4095u /* 12-bit major, 20-bit minor */
#define DEV_MINOR_MAX 1048575u
#define CGROUP_ROOT_DEPTH 4     /* components in cgroup.root */
#define CGROUP_ROOT_NAME_MAX 64 /* bytes in one component */

_Static_assert(CAP_LAST_CAP < 64, "caps_drop is a 64-bit mask");

enum num_err { NUM_OK, NUM_BAD, NUM_NEGATIVE, NUM_SUFFIX, NUM_RANGE };

struct word {
	const char *name;
	int value;
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Decimal digits only; *end is left on the first non-digit. */
static enum num_err
parse_digits(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;

	if (s[0] == '-')
		return NUM_NEGATIVE;
	if (!is_digit(s[0]))
		return NUM_BAD;
	for (; is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return NUM_RANGE;
		v = v * 10 + d;
	}
	*out = v;
	*end = s;
	return NUM_OK;
}

/* A whole string that is an integer in [lo, hi]. */
static bool
parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	const char *end = NULL;
	uint64_t v = 0;

	if (parse_digits(s, &v, &end) != NUM_OK || *end != '\0')
		return false;
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static enum num_err
parse_size(const char *s, bool allow_max, uint64_t *out)
{
	const char *end = NULL;
	uint64_t v = 0, mult = 1;
	enum num_err r;

	if (allow_max && strcmp(s, "max") == 0) {
		*out = TN_UNLIMITED;
		return NUM_OK;
	}
	r = parse_digits(s, &v, &end);
	if (r != NUM_OK)
		return r;
	if (*end != '\0') {
		switch (*end) {
		case 'k':
		case 'K':
			mult = 1ull << 10;
			break;
		case 'm':
		case 'M':
			mult = 1ull << 20;
			break;
		case 'g':
		case 'G':
			mult = 1ull << 30;
			break;
		case 't':
		case 'T':
			mult = 1ull << 40;
			break;
		default:
			return is_alpha(*end) ? NUM_SUFFIX : NUM_BAD;
		}
		if (end[1] != '\0')
			return is_alpha(end[1]) ? NUM_SUFFIX : NUM_BAD;
	}
	/* UINT64_MAX itself is the "unlimited" marker. */
	if (__builtin_mul_overflow(v, mult, &v) || v == TN_UNLIMITED)
		return NUM_RANGE;
	*out = v;
	return NUM_OK;
}

static int
size_value(const char *key, const char *val, bool allow_max, uint64_t *out, char *why,
    size_t len)
{
	switch (parse_size(val, allow_max, out)) {
	case NUM_OK:
		return 0;
	case NUM_NEGATIVE:
		snprintf(why, len, "%s: size '%.64s' is negative", key, val);
		break;
	case NUM_SUFFIX:
		snprintf(why, len, "%s: bad suffix in '%.64s' (expected K, M, G or T)",
		    key, val);
		break;
	case NUM_RANGE:
		snprintf(why, len, "%s: size '%.64s' is too large", key, val);
		break;
	case NUM_BAD:
		snprintf(why, len,
		    "%s: bad size '%.64s' (expected a number with an optional "
		    "K, M, G or T suffix%s)",
		    key, val, allow_max ? ", or max" : "");
		break;
	}
	return -EINVAL;
}

static int
bool_value(const char *key, const char *val, bool *out, char *why, size_t len)
{
	if (strcmp(val, "yes") == 0)
		*out = true;
	else if (strcmp(val, "no") == 0)
		*out = false;
	else {
		snprintf(why, len, "%s: expected yes or no, got '%.64s'", key, val);
		return -EINVAL;
	}
	return 0;
}

/* One of two words: the first maps to 0, the second to 1. */
static int
choice_value(const char *key, const char *val, const char *w0, const char *w1, int *out,
    char *why, size_t len)
{
	if (strcmp(val, w0) == 0)
		*out = 0;
	else if (strcmp(val, w1) == 0)
		*out = 1;
	else {
		snprintf(why, len, "%s: expected %s or %s, got '%.64s'", key, w0, w1,
		    val);
		return -EINVAL;
	}
	return 0;
}

/* proc.lxcfs: auto | yes | no (no bool synonyms: "auto" is a third state). */
static int
lxcfs_value(const char *val, enum tn_proc_lxcfs *out, char *why, size_t len)
{
	static const struct word words[] = { { "auto", TN_LXCFS_AUTO },
		{ "yes", TN_LXCFS_YES }, { "no", TN_LXCFS_NO } };

	for (size_t i = 0; i < N_ELEMENTS(words); i++)
		if (strcmp(val, words[i].name) == 0) {
			*out = (enum tn_proc_lxcfs)words[i].value;
			return 0;
		}
	snprintf(why, len, "proc.lxcfs: expected auto, yes or no, got '%.64s'", val);
	return -EINVAL;
}

static int
namespaces_value(const char *val, unsigned *out, char *why, size_t len)
{
	char buf[TN_CONF_MAX_LINE + 1];
	char *tok, *save = NULL;
	unsigned mask = 0;

	snprintf(buf, sizeof(buf), "%s", val);
	for (tok = strtok_r(buf, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save)) {
		size_t i;

		for (i = 0; i < TN_NS_COUNT; i++)
			if (strcmp(tok, tn_ns_kinds[i].word) == 0)
				break;
		if (i == TN_NS_COUNT) {
			snprintf(why, len,
			    "namespaces: unknown namespace '%.64s' (expected "
			    "mount, pid, ipc, uts or net)",
			    tok);
			return -EINVAL;
		}
		if (mask & tn_ns_kinds[i].bit) {
			snprintf(why, len, "namespaces: '%s' listed twice", tok);
			return -EINVAL;
		}
		mask |= tn_ns_kinds[i].bit;
	}
	if (!(mask & TN_NS_MOUNT)) {
		snprintf(why, len,
		    "namespaces: 'mount' is required (the private /tmp needs "
		    "it)");
		return -EINVAL;
	}
	*out = mask;
	return 0;
}

static int
cpu_value(const char *val, uint32_t *out, char *why, size_t len)
{
	const char *end = NULL;
	uint64_t v = 0;

	if (strcmp(val, "max") == 0) {
		*out = 0;
		return 0;
	}
	if (parse_digits(val, &v, &end) != NUM_OK || strcmp(end, "%") != 0) {
		snprintf(why, len,
		    "cpu: expected a percentage of one CPU such as 50%% or "
		    "200%%, or max; got '%.64s'",
		    val);
		return -EINVAL;
	}
	if (v < 1 || v > CPU_PERCENT_MAX) {
		snprintf(why, len, "cpu: '%.64s' is out of range (1%% to %u%%)", val,
		    CPU_PERCENT_MAX);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Empty means unset (0): lets a more specific section clear it. */
static int
weight_value(const char *key, const char *val, uint32_t *out, char *why, size_t len)
{
	uint64_t v = 0;

	if (val[0] != '\0' && !parse_uint(val, 1, WEIGHT_MAX, &v)) {
		snprintf(why, len,
		    "%s: expected an integer from 1 to %u (or nothing for "
		    "unset), got '%.64s'",
		    key, WEIGHT_MAX, val);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int
pids_value(const char *val, uint64_t *out, char *why, size_t len)
{
	if (strcmp(val, "max") == 0) {
		*out = TN_UNLIMITED;
		return 0;
	}
	if (!parse_uint(val, 1, PIDS_LIMIT, out)) {
		snprintf(why, len,
		    "pids.max: expected an integer from 1 to %u, or max; got "
		    "'%.64s'",
		    PIDS_LIMIT, val);
		return -EINVAL;
	}
	return 0;
}

static int
sessions_value(const char *val, uint32_t *out, char *why, size_t len)
{
	uint64_t v;

	if (!parse_uint(val, 1, TN_SESSIONS_MAX_LIMIT, &v)) {
		snprintf(why, len,
		    "sessions.max: expected an integer from 1 to %u; got '%.64s'",
		    TN_SESSIONS_MAX_LIMIT, val);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static bool
is_cgroup_name_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == '-';
}

/* One component of cgroup.root, n bytes at s (n > 0). */
static int
cgroup_component(const char *s, size_t n, char *why, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_cgroup_name_char(s[i]))
			continue;
		if (c == ' ' || c == '\t')
			snprintf(why, len,
			    "cgroup.root: spaces are not allowed (only "
			    "A-Z a-z 0-9 . _ - and '/' between components)");
		else if (c > ' ' && c < 0x7f)
			snprintf(why, len,
			    "cgroup.root: character '%c' is not allowed (only "
			    "A-Z a-z 0-9 . _ - and '/' between components)",
			    c);
		else
			snprintf(why, len,
			    "cgroup.root: byte 0x%02x is not allowed (only "
			    "A-Z a-z 0-9 . _ - and '/' between components)",
			    c);
		return -EINVAL;
	}
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) {
		snprintf(why, len, "cgroup.root: '%.*s' is not allowed", (int)n, s);
		return -EINVAL;
	}
	if (s[0] == '-') {
		snprintf(why, len, "cgroup.root: component '%.*s' starts with '-'",
		    (int)(n < CGROUP_ROOT_NAME_MAX ? n : CGROUP_ROOT_NAME_MAX), s);
		return -EINVAL;
	}
	if (n > CGROUP_ROOT_NAME_MAX) {
		snprintf(why, len,
		    "cgroup.root: component '%.32s...' is longer than %d "
		    "characters",
		    s, CGROUP_ROOT_NAME_MAX);
		return -EINVAL;
	}
	return 0;
}

/* A relative path below /sys/fs/cgroup: 1 to CGROUP_ROOT_DEPTH
 * components separated by single slashes, nothing that could climb out
 * of the hierarchy or read as an option. */
static int
cgroup_root_value(const char *val, char *out, char *why, size_t len)
{
	size_t n = strlen(val);
	const char *s = val;
	unsigned depth = 0;

	if (n == 0) {
		snprintf(why, len,
		    "cgroup.root: must not be empty (expected a relative path "
		    "like tenant.slice)");
		return -EINVAL;
	}
	if (val[0] == '/') {
		snprintf(why, len,
		    "cgroup.root: must be a relative path like tenant.slice "
		    "(below /sys/fs/cgroup), got '%.64s'",
		    val);
		return -EINVAL;
	}
	if (n >= TN_CGROUP_ROOT_MAX) {
		snprintf(why, len, "cgroup.root: longer than %d characters",
		    TN_CGROUP_ROOT_MAX - 1);
		return -EINVAL;
	}
	for (;;) {
		const char *slash = strchr(s, '/');
		size_t cn = slash ? (size_t)(slash - s) : strlen(s);
		int r;

		if (cn == 0 && *s == '\0') {
			snprintf(why, len, "cgroup.root: trailing '/' in '%.64s'", val);
			return -EINVAL;
		}
		if (cn == 0) {
			snprintf(why, len,
			    "cgroup.root: empty component ('//') in '%.64s'", val);
			return -EINVAL;
		}
		if (++depth > CGROUP_ROOT_DEPTH) {
			snprintf(why, len,
			    "cgroup.root: more than %d components in '%.64s'",
			    CGROUP_ROOT_DEPTH, val);
			return -EINVAL;
		}
		if ((r = cgroup_component(s, cn, why, len)) < 0)
			return r;
		if (slash == NULL)
			break;
		s = slash + 1;
	}
	memset(out, 0, TN_CGROUP_ROOT_MAX);
	memcpy(out, val, n);
	return 0;
}

static int
cap_lookup(const char *tok, cap_value_t *v)
{
	char low[64];
	size_t n = strlen(tok);

	/* cap_from_name() also takes numbers and ignores trailing text:
	 * accept only whole cap_* names. */
	if (n <= 4 || n >= sizeof(low) || strncasecmp(tok, "cap_", 4) != 0)
		return -1;
	for (size_t i = 0; i <= n; i++) {
		char c = tok[i];

		if (c != '\0' && c != '_' && !is_alpha(c))
			return -1;
		low[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	if (cap_from_name(low, v) != 0 || *v < 0 || *v > CAP_LAST_CAP)
		return -1;
	return 0;
}

static int
caps_value(const char *key, const char *val, bool keep, uint64_t *out, char *why,
    size_t len)
{
	const uint64_t all = (2ull << CAP_LAST_CAP) - 1;
	char buf[TN_CONF_MAX_LINE + 1];
	char *tok, *save = NULL;
	uint64_t mask = 0;

	snprintf(buf, sizeof(buf), "%s", val);
	for (tok = strtok_r(buf, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save)) {
		cap_value_t c = 0;

		if (cap_lookup(tok, &c) < 0) {
			snprintf(why, len, "%s: unknown capability '%.64s'", key, tok);
			return -EINVAL;
		}
		if (mask & (1ull << c)) {
			snprintf(why, len, "%s: '%.64s' listed twice", key, tok);
			return -EINVAL;
		}
		mask |= 1ull << c;
	}
	*out = keep ? all & ~mask : mask;
	return 0;
}

static int
parse_dev(const char *s, unsigned *major, unsigned *minor)
{
	const char *end = NULL;
	uint64_t ma = 0, mi = 0;

	if (parse_digits(s, &ma, &end) != NUM_OK || *end != ':' || ma > DEV_MAJOR_MAX)
		return -1;
	if (!parse_uint(end + 1, 0, DEV_MINOR_MAX, &mi))
		return -1;
	*major = (unsigned)ma;
	*minor = (unsigned)mi;
	return 0;
}

/* "rbps=10M" on the device d. */
static int
io_limit(char *tok, struct tn_io_max *d, unsigned *seen, char *why, size_t len)
{
	static const char *const names[] = { "rbps", "wbps", "riops", "wiops" };
	uint64_t *slots[] = { &d->rbps, &d->wbps, &d->riops, &d->wiops };
	char *eq = strchr(tok, '=');
	const char *v;
	size_t i;

	if (eq == NULL) {
		snprintf(why, len,
		    "io.max: bad limit '%.64s' for %u:%u (expected rbps, "
		    "wbps, riops or wiops=VALUE)",
		    tok, d->major, d->minor);
		return -EINVAL;
	}
	*eq = '\0';
	v = eq + 1;
	for (i = 0; i < N_ELEMENTS(names); i++)
		if (strcmp(tok, names[i]) == 0)
			break;
	if (i == N_ELEMENTS(names)) {
		snprintf(why, len,
		    "io.max: unknown limit '%.64s' for %u:%u (expected rbps, "
		    "wbps, riops or wiops)",
		    tok, d->major, d->minor);
		return -EINVAL;
	}
	if (*seen & (1u << i)) {
		snprintf(why, len, "io.max: '%s' given twice for %u:%u", names[i],
		    d->major, d->minor);
		return -EINVAL;
	}
	*seen |= 1u << i;
	if (strcmp(v, "max") == 0) {
		*slots[i] = TN_UNLIMITED;
		return 0;
	}
	/* Bytes take size suffixes; operation counts are plain. */
	if (i < 2 ? parse_size(v, false, slots[i]) != NUM_OK || *slots[i] == 0
	          : !parse_uint(v, 1, IOPS_MAX, slots[i])) {
		snprintf(why, len,
		    "io.max: bad value '%.64s' for %s on %u:%u (expected %s, "
		    "or max)",
		    v, names[i], d->major, d->minor,
		    i < 2 ? "bytes per second > 0 with an optional K, M, G "
		            "or T suffix"
		          : "operations per second > 0");
		return -EINVAL;
	}
	return 0;
}

static int
io_device(char *entry, struct tn_io_max *d, char *why, size_t len)
{
	char *tok, *save = NULL;
	unsigned seen = 0;
	int r;

	tok = strtok_r(entry, " \t", &save);
	if (tok == NULL) {
		snprintf(why, len,
		    "io.max: empty device entry (devices are separated by "
		    "commas)");
		return -EINVAL;
	}
	if (parse_dev(tok, &d->major, &d->minor) < 0) {
		snprintf(why, len,
		    "io.max: bad device '%.64s' (expected MAJ:MIN such as 8:0)", tok);
		return -EINVAL;
	}
	d->rbps = d->wbps = d->riops = d->wiops = TN_UNLIMITED;
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL)
		if ((r = io_limit(tok, d, &seen, why, len)) < 0)
			return r;
	if (seen == 0) {
		snprintf(why, len,
		    "io.max: device %u:%u has no limits (give rbps, wbps, "
		    "riops or wiops)",
		    d->major, d->minor);
		return -EINVAL;
	}
	return 0;
}

/* "8:0 rbps=10M wbps=10M, 8:16 riops=100"; empty means no io.max. */
static int
io_max_value(const char *val, struct tn_policy *dst, char *why, size_t len)
{
	struct tn_io_max dev[TN_IO_MAX_DEVICES];
	char buf[TN_CONF_MAX_LINE + 1];
	char *entry = buf, *comma;
	unsigned n = 0;
	int r;

	if (val[0] == '\0') {
		dst->limits.io_max_count = 0;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", val);
	for (;;) {
		comma = strchr(entry, ',');
		if (comma != NULL)
			*comma = '\0';
		if (n == TN_IO_MAX_DEVICES) {
			snprintf(why, len, "io.max: more than %d devices",
			    TN_IO_MAX_DEVICES);
			return -EINVAL;
		}
		if ((r = io_device(entry, &dev[n], why, len)) < 0)
			return r;
		for (unsigned i = 0; i < n; i++) {
			if (dev[i].major == dev[n].major &&
			    dev[i].minor == dev[n].minor) {
				snprintf(why, len, "io.max: device %u:%u listed twice",
				    dev[n].major, dev[n].minor);
				return -EINVAL;
			}
		}
		n++;
		if (comma == NULL)
			break;
		entry = comma + 1;
	}
	memcpy(dst->limits.io_max, dev, n * sizeof(dev[0]));
	dst->limits.io_max_count = n;
	return 0;
}

int
conf_parse_value(const struct tn_keydef *kd, const char *val, struct tn_policy *dst,
    char *why, size_t len)
{
	const char *k = kd->name;
	int r, c = 0;

	switch (kd->key) {
	case TN_KEY_ISOLATE:
		return bool_value(k, val, &dst->isolate, why, len);
	case TN_KEY_NO_NEW_PRIVS:
		return bool_value(k, val, &dst->no_new_privs, why, len);
	case TN_KEY_NAMESPACES:
		return namespaces_value(val, &dst->namespaces, why, len);
	case TN_KEY_SCOPE:
		r = choice_value(k, val, "user", "session", &c, why, len);
		dst->scope = c ? TN_SCOPE_SESSION : TN_SCOPE_USER;
		return r;
	case TN_KEY_ON_LOGOUT:
		r = choice_value(k, val, "keep", "kill", &c, why, len);
		dst->on_logout = c ? TN_LOGOUT_KILL : TN_LOGOUT_KEEP;
		return r;
	case TN_KEY_ON_ERROR:
		r = choice_value(k, val, "deny", "allow", &c, why, len);
		dst->on_error = c ? TN_ONERR_ALLOW : TN_ONERR_DENY;
		return r;
	case TN_KEY_CGROUP:
		r = choice_value(k, val, "required", "optional", &c, why, len);
		dst->cgroup = c ? TN_CGROUP_OPTIONAL : TN_CGROUP_REQUIRED;
		return r;
	case TN_KEY_CGROUP_ROOT:
		return cgroup_root_value(val, dst->cgroup_root, why, len);
	case TN_KEY_TMP_SIZE:
	case TN_KEY_TMP_INODES: {
		uint64_t *p =
		    kd->key == TN_KEY_TMP_SIZE ? &dst->tmp_size : &dst->tmp_inodes;

		if ((r = size_value(k, val, false, p, why, len)) < 0)
			return r;
		if (*p == 0) {
			snprintf(why, len, "%s: must be greater than 0", k);
			return -EINVAL;
		}
		return 0;
	}
	case TN_KEY_MEMORY_MAX:
		return size_value(k, val, true, &dst->limits.memory_max, why, len);
	case TN_KEY_MEMORY_HIGH:
		return size_value(k, val, true, &dst->limits.memory_high, why, len);
	case TN_KEY_MEMORY_SWAP_MAX:
		return size_value(k, val, true, &dst->limits.memory_swap_max, why, len);
	case TN_KEY_CPU:
		return cpu_value(val, &dst->limits.cpu_percent, why, len);
	case TN_KEY_CPU_WEIGHT:
		if (strcmp(val, "idle") == 0) {
			dst->limits.cpu_weight = TN_CPU_WEIGHT_IDLE;
			return 0;
		}
		return weight_value(k, val, &dst->limits.cpu_weight, why, len);
	case TN_KEY_IO_WEIGHT:
		return weight_value(k, val, &dst->limits.io_weight, why, len);
	case TN_KEY_PIDS_MAX:
		return pids_value(val, &dst->limits.pids_max, why, len);
	case TN_KEY_SESSIONS_MAX:
		return sessions_value(val, &dst->sessions_max, why, len);
	case TN_KEY_PROC_LXCFS:
		return lxcfs_value(val, &dst->proc_lxcfs, why, len);
	case TN_KEY_IO_MAX:
		return io_max_value(val, dst, why, len);
	case TN_KEY_CAPS_DROP:
		return caps_value(k, val, kd->flags & TN_KF_KEEP, &dst->caps_drop, why,
		    len);
	case TN_KEY_CAPS_AMBIENT:
		if (val[0] != '\0') {
			snprintf(why, len,
			    "caps.ambient: ambient capabilities are not "
			    "supported (they do not survive the login "
			    "program's setuid); leave it empty");
			return -EINVAL;
		}
		dst->caps_ambient = 0;
		return 0;
	case TN_KEY__COUNT:
		break;
	}
	snprintf(why, len, "%s: no parser for this key", k);
	return -EINVAL;
}
