/* Values rendered back as config text: what explain prints parses back
 * to the same policy. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>

#include "conf-int.h"
#include "util.h"

/* Append to buf at *off; -ENOSPC once it no longer fits. */
static int append(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*off >= len)
		return -ENOSPC;
	va_start(ap, fmt);
	r = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= len - *off)
		return -ENOSPC;
	*off += (size_t)r;
	return 0;
}

int
conf_format_size(uint64_t v, char *buf, size_t len)
{
	static const char suffix[] = "KMGT";
	size_t off = 0;
	int i;

	if (v == TN_UNLIMITED)
		return append(buf, len, &off, "max");
	/* The largest suffix that divides exactly. */
	for (i = 4; i > 0; i--)
		if (v != 0 && v % (1ull << (10 * i)) == 0)
			return append(buf, len, &off, "%" PRIu64 "%c", v >> (10 * i),
			    suffix[i - 1]);
	return append(buf, len, &off, "%" PRIu64, v);
}

static int
format_u64_or_max(uint64_t v, char *buf, size_t len)
{
	size_t off = 0;

	if (v == TN_UNLIMITED)
		return append(buf, len, &off, "max");
	return append(buf, len, &off, "%" PRIu64, v);
}

static int
format_namespaces(unsigned ns, char *buf, size_t len)
{
	size_t off = 0;
	int r = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < TN_NS_COUNT && r == 0; i++)
		if (ns & tn_ns_kinds[i].bit)
			r = append(buf, len, &off, "%s%s", off ? " " : "",
			    tn_ns_kinds[i].word);
	return r;
}

static int
format_caps(uint64_t mask, char *buf, size_t len)
{
	size_t off = 0;
	int r = 0;

	buf[0] = '\0';
	for (cap_value_t c = 0; c <= CAP_LAST_CAP && r == 0; c++) {
		char *name;

		if (!(mask & (1ull << c)))
			continue;
		name = cap_to_name(c);
		if (name == NULL)
			return -ENOMEM;
		for (char *p = name; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		r = append(buf, len, &off, "%s%s", off ? " " : "", name);
		cap_free(name);
	}
	return r;
}

static int
format_io_max(const struct tn_policy *pol, char *buf, size_t len)
{
	static const char *const names[] = { "rbps", "wbps", "riops", "wiops" };
	size_t off = 0;
	int r = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < pol->limits.io_max_count && r == 0; i++) {
		const struct tn_io_max *d = &pol->limits.io_max[i];
		const uint64_t v[] = { d->rbps, d->wbps, d->riops, d->wiops };
		bool all_max = true;

		r = append(buf, len, &off, "%s%u:%u", i ? ", " : "", d->major, d->minor);
		for (unsigned j = 0; j < N_ELEMENTS(v); j++)
			all_max = all_max && v[j] == TN_UNLIMITED;
		/* A device with every limit at max still has to say so. */
		for (unsigned j = 0; j < N_ELEMENTS(v) && r == 0; j++) {
			char num[32];

			if (v[j] == TN_UNLIMITED && !all_max)
				continue;
			r = j < 2 ? conf_format_size(v[j], num, sizeof(num))
			          : format_u64_or_max(v[j], num, sizeof(num));
			if (r == 0)
				r = append(buf, len, &off, " %s=%s", names[j], num);
		}
	}
	return r;
}

static int
format_word(const char *w, char *buf, size_t len)
{
	size_t off = 0;

	return append(buf, len, &off, "%s", w);
}

int
conf_format_value(const struct tn_policy *pol, enum tn_key key, char *buf, size_t len)
{
	size_t off = 0;

	if (buf == NULL || len == 0)
		return -EINVAL;
	buf[0] = '\0';
	switch (key) {
	case TN_KEY_ISOLATE:
		return format_word(pol->isolate ? "yes" : "no", buf, len);
	case TN_KEY_NAMESPACES:
		return format_namespaces(pol->namespaces, buf, len);
	case TN_KEY_SCOPE:
		return format_word(pol->scope == TN_SCOPE_SESSION ? "session" : "user",
		    buf, len);
	case TN_KEY_TMP_SIZE:
		return conf_format_size(pol->tmp_size, buf, len);
	case TN_KEY_TMP_INODES:
		return conf_format_size(pol->tmp_inodes, buf, len);
	case TN_KEY_MEMORY_MAX:
		return conf_format_size(pol->limits.memory_max, buf, len);
	case TN_KEY_MEMORY_HIGH:
		return conf_format_size(pol->limits.memory_high, buf, len);
	case TN_KEY_MEMORY_SWAP_MAX:
		return conf_format_size(pol->limits.memory_swap_max, buf, len);
	case TN_KEY_CPU:
		if (pol->limits.cpu_percent == 0)
			return format_word("max", buf, len);
		return append(buf, len, &off, "%" PRIu32 "%%", pol->limits.cpu_percent);
	case TN_KEY_CPU_WEIGHT:
		/* Unset is written as nothing, which parses back as unset. */
		if (pol->limits.cpu_weight == 0)
			return 0;
		if (pol->limits.cpu_weight == TN_CPU_WEIGHT_IDLE)
			return format_word("idle", buf, len);
		return append(buf, len, &off, "%" PRIu32, pol->limits.cpu_weight);
	case TN_KEY_IO_WEIGHT:
		if (pol->limits.io_weight == 0)
			return 0;
		return append(buf, len, &off, "%" PRIu32, pol->limits.io_weight);
	case TN_KEY_PIDS_MAX:
		return format_u64_or_max(pol->limits.pids_max, buf, len);
	case TN_KEY_IO_MAX:
		return format_io_max(pol, buf, len);
	case TN_KEY_CAPS_DROP:
		return format_caps(pol->caps_drop, buf, len);
	case TN_KEY_CAPS_AMBIENT:
		return format_caps(pol->caps_ambient, buf, len);
	case TN_KEY_NO_NEW_PRIVS:
		return format_word(pol->no_new_privs ? "yes" : "no", buf, len);
	case TN_KEY_ON_LOGOUT:
		return format_word(pol->on_logout == TN_LOGOUT_KILL ? "kill" : "keep",
		    buf, len);
	case TN_KEY_ON_ERROR:
		return format_word(pol->on_error == TN_ONERR_ALLOW ? "allow" : "deny",
		    buf, len);
	case TN_KEY_CGROUP:
		return format_word(pol->cgroup == TN_CGROUP_OPTIONAL ? "optional"
		                                                     : "required",
		    buf, len);
	case TN_KEY_CGROUP_ROOT:
		return format_word(pol->cgroup_root, buf, len);
	case TN_KEY_SESSIONS_MAX:
		return append(buf, len, &off, "%" PRIu32, pol->sessions_max);
	case TN_KEY_PROC_LXCFS:
		return format_word(pol->proc_lxcfs == TN_LXCFS_YES ? "yes"
		        : pol->proc_lxcfs == TN_LXCFS_NO           ? "no"
		                                                   : "auto",
		    buf, len);
	case TN_KEY__COUNT:
		break;
	}
	return -EINVAL;
}

int
conf_format_setting(const struct tn_policy *pol, enum tn_key key, char *buf, size_t len)
{
	const char *name = conf_key_name(key);
	size_t off = 0;
	int r;

	if (name == NULL || buf == NULL || len == 0)
		return -EINVAL;
	r = append(buf, len, &off, "%-15s = ", name);
	if (r < 0)
		return r;
	return conf_format_value(pol, key, buf + off, len - off);
}
