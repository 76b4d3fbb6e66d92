/* The value parsers (conf/values.c) one value at a time: the first input
 * byte picks the key (caps.keep included), the rest is the value as the
 * line parser hands it over (no NUL, no newline, at most
 * TN_CONF_MAX_LINE bytes).
 *
 * Sizes, percentages and plain numbers are checked against a reference
 * written here from tenant.conf(5) (digits, one optional K/M/G/T suffix,
 * no overflow; "max" where allowed); every accepted value of any key is
 * formatted back (conf_format_value) and must parse to the same policy,
 * and every refusal must say why. */
#include <errno.h>

#include "conf-int.h"
#include "fuzz.h"
#include "util.h"

static const char *const keys[] = {
	"isolate",
	"namespaces",
	"scope",
	"tmp.size",
	"tmp.inodes",
	"memory.max",
	"memory.high",
	"memory.swap.max",
	"cpu",
	"cpu.weight",
	"pids.max",
	"io.weight",
	"io.max",
	"caps.drop",
	"caps.ambient",
	"no_new_privs",
	"on_logout",
	"on_error",
	"cgroup",
	"cgroup.root",
	"sessions.max",
	"proc.lxcfs",
	"caps.keep",
};

/* Digits only, value in *v; false on anything else or overflow. */
static bool
ref_digits(const char *s, size_t n, uint64_t *v)
{
	*v = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (__builtin_mul_overflow(*v, 10, v) ||
		    __builtin_add_overflow(*v, (uint64_t)(s[i] - '0'), v))
			return false;
	}
	return true;
}

/* tenant.conf(5): a number with an optional K, M, G or T suffix. */
static bool
ref_size(const char *s, uint64_t *v)
{
	static const char suf[] = "kKmMgGtT";
	size_t n = strlen(s);
	const char *p;
	uint64_t mult = 1;

	if (n > 0 && (p = memchr(suf, s[n - 1], sizeof(suf) - 1)) != NULL) {
		mult = 1ull << (10 * (1 + (p - suf) / 2));
		n--;
	}
	if (!ref_digits(s, n, v) || __builtin_mul_overflow(*v, mult, v))
		return false;
	return *v != TN_UNLIMITED;
}

static bool
ref_range(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	return ref_digits(s, strlen(s), v) && *v >= lo && *v <= hi;
}

/* What the reference says key k must do with s: -1 no opinion, 0 refuse,
 * 1 accept with the value *want in the field the key sets. */
static int
reference(enum tn_key k, const char *s, uint64_t *want)
{
	bool is_max = strcmp(s, "max") == 0;
	size_t n = strlen(s);

	switch (k) {
	case TN_KEY_TMP_SIZE:
	case TN_KEY_TMP_INODES:
		return ref_size(s, want) && *want > 0;
	case TN_KEY_MEMORY_MAX:
	case TN_KEY_MEMORY_HIGH:
	case TN_KEY_MEMORY_SWAP_MAX:
		if (is_max) {
			*want = TN_UNLIMITED;
			return 1;
		}
		return ref_size(s, want);
	case TN_KEY_CPU:
		if (is_max) {
			*want = 0;
			return 1;
		}
		return n > 1 && s[n - 1] == '%' && ref_digits(s, n - 1, want) &&
		    *want >= 1 && *want <= 1000000;
	case TN_KEY_CPU_WEIGHT:
	case TN_KEY_IO_WEIGHT:
		if (k == TN_KEY_CPU_WEIGHT && strcmp(s, "idle") == 0) {
			*want = TN_CPU_WEIGHT_IDLE; /* cpu.idle; io.weight has none */
			return 1;
		}
		*want = 0;
		return n == 0 || ref_range(s, 1, 10000, want);
	case TN_KEY_PIDS_MAX:
		if (is_max) {
			*want = TN_UNLIMITED;
			return 1;
		}
		return ref_range(s, 1, 4194304, want);
	case TN_KEY_SESSIONS_MAX:
		return ref_range(s, 1, TN_SESSIONS_MAX_LIMIT, want);
	case TN_KEY_ISOLATE:
	case TN_KEY_NAMESPACES:
	case TN_KEY_SCOPE:
	case TN_KEY_IO_MAX:
	case TN_KEY_CAPS_DROP:
	case TN_KEY_CAPS_AMBIENT:
	case TN_KEY_NO_NEW_PRIVS:
	case TN_KEY_ON_LOGOUT:
	case TN_KEY_ON_ERROR:
	case TN_KEY_CGROUP:
	case TN_KEY_CGROUP_ROOT:
	case TN_KEY_PROC_LXCFS:
	case TN_KEY__COUNT:
		break; /* lists and words: checked by the round trip */
	}
	return -1;
}

static uint64_t
field(const struct tn_policy *p, enum tn_key k)
{
	switch (k) {
	case TN_KEY_TMP_SIZE:
		return p->tmp_size;
	case TN_KEY_TMP_INODES:
		return p->tmp_inodes;
	case TN_KEY_MEMORY_MAX:
		return p->limits.memory_max;
	case TN_KEY_MEMORY_HIGH:
		return p->limits.memory_high;
	case TN_KEY_MEMORY_SWAP_MAX:
		return p->limits.memory_swap_max;
	case TN_KEY_CPU:
		return p->limits.cpu_percent;
	case TN_KEY_CPU_WEIGHT:
		return p->limits.cpu_weight;
	case TN_KEY_IO_WEIGHT:
		return p->limits.io_weight;
	case TN_KEY_PIDS_MAX:
		return p->limits.pids_max;
	case TN_KEY_SESSIONS_MAX:
		return p->sessions_max;
	case TN_KEY_ISOLATE:
	case TN_KEY_NAMESPACES:
	case TN_KEY_SCOPE:
	case TN_KEY_IO_MAX:
	case TN_KEY_CAPS_DROP:
	case TN_KEY_CAPS_AMBIENT:
	case TN_KEY_NO_NEW_PRIVS:
	case TN_KEY_ON_LOGOUT:
	case TN_KEY_ON_ERROR:
	case TN_KEY_CGROUP:
	case TN_KEY_CGROUP_ROOT:
	case TN_KEY_PROC_LXCFS:
	case TN_KEY__COUNT:
		break;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char val[TN_CONF_MAX_LINE + 1], text[2 * TN_CONF_MAX_LINE], why[512];
	const struct tn_keydef *kd, *plain;
	struct tn_policy pol, back;
	uint64_t want = 0;
	int r, ref;

	if (size < 1 || size - 1 > TN_CONF_MAX_LINE)
		return -1;
	if (memchr(data + 1, '\0', size - 1) || memchr(data + 1, '\n', size - 1))
		return -1;
	kd = conf_key_lookup(keys[data[0] % N_ELEMENTS(keys)]);
	FUZZ_CHECK(kd != NULL, "key table");
	memcpy(val, data + 1, size - 1);
	val[size - 1] = '\0';

	conf_defaults(&pol);
	why[0] = '\0';
	r = conf_parse_value(kd, val, &pol, why, sizeof(why));
	FUZZ_CHECK(r == 0 || r == -EINVAL, "%s returned %d", kd->name, r);
	ref = reference(kd->key, val, &want);
	if (ref >= 0)
		FUZZ_CHECK((r == 0) == (ref == 1), "%s = '%s': parser %s, reference %s",
		    kd->name, val, r == 0 ? "accepts" : "refuses",
		    ref ? "accepts" : "refuses");
	if (r < 0) {
		FUZZ_CHECK(why[0] != '\0' && memchr(why, '\0', sizeof(why)),
		    "%s refused '%s' without saying why", kd->name, val);
		return 0;
	}
	if (ref == 1)
		FUZZ_CHECK(field(&pol, kd->key) == want, "%s = '%s' gave %llu, want %llu",
		    kd->name, val, (unsigned long long)field(&pol, kd->key),
		    (unsigned long long)want);
	fuzz_check_policy(&pol);

	/* Formatted back under the key's own name (caps.keep is shown as
	 * the caps.drop list it means), it parses to the same policy. */
	FUZZ_CHECK(conf_format_value(&pol, kd->key, text, sizeof(text)) == 0,
	    "cannot format %s = '%s'", kd->name, val);
	plain = conf_key_lookup(conf_key_name(kd->key));
	FUZZ_CHECK(plain != NULL, "key name");
	conf_defaults(&back);
	why[0] = '\0';
	r = conf_parse_value(plain, text, &back, why, sizeof(why));
	FUZZ_CHECK(r == 0, "%s = '%s' formats as '%s', which is refused: %s", kd->name,
	    val, text, why);
	FUZZ_CHECK(fuzz_same_policy(&pol, &back),
	    "%s = '%s' formats as '%s', which means "
	    "something else",
	    kd->name, val, text);
	return 0;
}
