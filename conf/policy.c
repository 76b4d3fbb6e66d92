/* Built-in defaults and resolution of the policy for one login. */
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>

#include "conf-int.h"
#include "util.h"

#define CAP(c) (1ull << (c))

_Static_assert(sizeof(TN_CGROUP_ROOT_DEFAULT) <= TN_CGROUP_ROOT_MAX,
    "the default cgroup.root fits");

/* What lets root inside a session escape its namespaces, change the
 * host or defeat audit; tenant.conf(5) gives the reason for each.
 * cap_net_raw, the setuid/setgid caps, cap_dac_override and
 * cap_audit_write stay so that ping, su and passwd keep working;
 * cap_dac_read_search goes: open_by_handle_at reaches files the tenant's
 * mounts hide, and cap_dac_override already reads what it may. */
static const uint64_t default_caps_drop = CAP(CAP_SYS_ADMIN) | CAP(CAP_DAC_READ_SEARCH) |
    CAP(CAP_SYS_MODULE) | CAP(CAP_SYS_RAWIO) | CAP(CAP_SYS_PTRACE) | CAP(CAP_SYS_BOOT) |
    CAP(CAP_SYS_TIME) | CAP(CAP_SYS_RESOURCE) | CAP(CAP_MKNOD) | CAP(CAP_NET_ADMIN) |
    CAP(CAP_MAC_ADMIN) | CAP(CAP_MAC_OVERRIDE) | CAP(CAP_AUDIT_CONTROL) |
    CAP(CAP_SYSLOG) | CAP(CAP_BPF) | CAP(CAP_PERFMON) | CAP(CAP_CHECKPOINT_RESTORE) |
    CAP(CAP_SYS_PACCT) | CAP(CAP_LINUX_IMMUTABLE) | CAP(CAP_BLOCK_SUSPEND) |
    CAP(CAP_WAKE_ALARM) | CAP(CAP_SETFCAP);

void
conf_defaults(struct tn_policy *out)
{
	memset(out, 0, sizeof(*out));
	out->isolate = true;
	out->namespaces = TN_NS_MOUNT | TN_NS_PID | TN_NS_IPC | TN_NS_UTS;
	out->scope = TN_SCOPE_USER;
	out->tmp_size = 1ull << 30;
	out->tmp_inodes = 100 * 1024;
	tn_limits_none(&out->limits);
	out->caps_drop = default_caps_drop;
	out->caps_ambient = 0;
	out->no_new_privs = false;
	out->on_logout = TN_LOGOUT_KEEP;
	out->on_error = TN_ONERR_DENY;
	out->cgroup = TN_CGROUP_REQUIRED;
	out->sessions_max = TN_SESSIONS_MAX_DEFAULT;
	out->proc_lxcfs = TN_LXCFS_AUTO;
	/* The rest of the array stays zero: policies compare with memcmp. */
	memcpy(out->cgroup_root, TN_CGROUP_ROOT_DEFAULT, sizeof(TN_CGROUP_ROOT_DEFAULT));
	/* origin[] is all { NULL, 0 }: built-in. */
}

bool
conf_policy_has_limits(const struct tn_policy *pol)
{
	return pol->limits.memory_max != TN_UNLIMITED ||
	    pol->limits.memory_high != TN_UNLIMITED ||
	    pol->limits.memory_swap_max != TN_UNLIMITED || pol->limits.cpu_percent != 0 ||
	    pol->limits.cpu_weight != 0 || pol->limits.pids_max != TN_UNLIMITED ||
	    pol->limits.io_weight != 0 || pol->limits.io_max_count != 0;
}

static void
copy_key(struct tn_policy *dst, const struct tn_policy *src, enum tn_key k)
{
	switch (k) {
	case TN_KEY_ISOLATE:
		dst->isolate = src->isolate;
		break;
	case TN_KEY_NAMESPACES:
		dst->namespaces = src->namespaces;
		break;
	case TN_KEY_SCOPE:
		dst->scope = src->scope;
		break;
	case TN_KEY_TMP_SIZE:
		dst->tmp_size = src->tmp_size;
		break;
	case TN_KEY_TMP_INODES:
		dst->tmp_inodes = src->tmp_inodes;
		break;
	case TN_KEY_MEMORY_MAX:
		dst->limits.memory_max = src->limits.memory_max;
		break;
	case TN_KEY_MEMORY_HIGH:
		dst->limits.memory_high = src->limits.memory_high;
		break;
	case TN_KEY_MEMORY_SWAP_MAX:
		dst->limits.memory_swap_max = src->limits.memory_swap_max;
		break;
	case TN_KEY_CPU:
		dst->limits.cpu_percent = src->limits.cpu_percent;
		break;
	case TN_KEY_CPU_WEIGHT:
		dst->limits.cpu_weight = src->limits.cpu_weight;
		break;
	case TN_KEY_PIDS_MAX:
		dst->limits.pids_max = src->limits.pids_max;
		break;
	case TN_KEY_IO_WEIGHT:
		dst->limits.io_weight = src->limits.io_weight;
		break;
	case TN_KEY_IO_MAX:
		dst->limits.io_max_count = src->limits.io_max_count;
		memcpy(dst->limits.io_max, src->limits.io_max,
		    sizeof(dst->limits.io_max));
		break;
	case TN_KEY_CAPS_DROP:
		dst->caps_drop = src->caps_drop;
		break;
	case TN_KEY_CAPS_AMBIENT:
		dst->caps_ambient = src->caps_ambient;
		break;
	case TN_KEY_NO_NEW_PRIVS:
		dst->no_new_privs = src->no_new_privs;
		break;
	case TN_KEY_ON_LOGOUT:
		dst->on_logout = src->on_logout;
		break;
	case TN_KEY_ON_ERROR:
		dst->on_error = src->on_error;
		break;
	case TN_KEY_CGROUP:
		dst->cgroup = src->cgroup;
		break;
	case TN_KEY_CGROUP_ROOT:
		memcpy(dst->cgroup_root, src->cgroup_root, sizeof(dst->cgroup_root));
		break;
	case TN_KEY_SESSIONS_MAX:
		dst->sessions_max = src->sessions_max;
		break;
	case TN_KEY_PROC_LXCFS:
		dst->proc_lxcfs = src->proc_lxcfs;
		break;
	case TN_KEY__COUNT:
		break;
	}
}

static void
apply(const struct tn_section *sec, struct tn_policy *out)
{
	for (unsigned k = 0; k < TN_KEY__COUNT; k++) {
		if (!(sec->set & (1u << k)))
			continue;
		copy_key(out, &sec->val, (enum tn_key)k);
		out->origin[k].file = sec->file;
		out->origin[k].line = sec->key_line[k];
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Group membership through a sorted copy of the names; without memory
 * for it, a linear scan gives the same answer. */
static bool
in_groups(const struct tn_identity *id, const char **sorted, const char *name)
{
	if (sorted != NULL)
		return bsearch(&name, sorted, id->ngroups, sizeof(*sorted), cmp_str) !=
		    NULL;
	for (size_t i = 0; i < id->ngroups; i++)
		if (id->groups[i] && strcmp(id->groups[i], name) == 0)
			return true;
	return false;
}

static bool
matches(const struct tn_section *sec, const struct tn_identity *id, const char **sorted)
{
	switch (sec->kind) {
	case TN_SEC_DEFAULT:
		return true;
	case TN_SEC_GROUP:
		return id->groups != NULL && in_groups(id, sorted, sec->name);
	case TN_SEC_UID:
		return id->uid >= sec->uid_lo && id->uid <= sec->uid_hi;
	case TN_SEC_USER:
		return id->user != NULL && strcmp(id->user, sec->name) == 0;
	case TN_SEC_SERVICE:
		return id->service != NULL && strcmp(id->service, sec->name) == 0;
	case TN_SEC__COUNT:
		break;
	}
	return false;
}

void
conf_resolve(const struct tn_conf *conf, const struct tn_identity *id,
    struct tn_policy *out)
{
	static const struct tn_identity nobody = { .uid = (uid_t)-1 };
	_cleanup_free_ const char **sorted = NULL;

	conf_defaults(out);
	if (conf == NULL)
		return;
	if (id == NULL)
		id = &nobody;
	if (id->groups != NULL && id->ngroups > 8) {
		sorted = calloc(id->ngroups, sizeof(*sorted));
		for (size_t i = 0; sorted != NULL && i < id->ngroups; i++) {
			if (id->groups[i] == NULL) {
				free(steal_ptr(&sorted));
				break;
			}
			sorted[i] = id->groups[i];
		}
		if (sorted != NULL)
			qsort(sorted, id->ngroups, sizeof(*sorted), cmp_str);
	}
	/* Kind order is the precedence; file order breaks ties. */
	for (int kind = 0; kind < TN_SEC__COUNT; kind++)
		for (unsigned i = 0; i < conf->nsec; i++)
			if (conf->sec[i].kind == (enum tn_section_kind)kind &&
			    matches(&conf->sec[i], id, sorted))
				apply(&conf->sec[i], out);
}
