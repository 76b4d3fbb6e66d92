/* Internals shared by the conf/ files; not part of the public interface. */
#ifndef TENANT_CONF_INT_H
#define TENANT_CONF_INT_H

#include "conf.h"

#define TN_SECTION_NAME_MAX 256

enum tn_section_kind {
	TN_SEC_DEFAULT,
	TN_SEC_GROUP,
	TN_SEC_UID,
	TN_SEC_USER,
	TN_SEC_SERVICE,
	TN_SEC__COUNT
};

/* Section kinds as written in the config ("default", "group", ...). */
extern const char *const tn_section_kind_names[TN_SEC__COUNT];

/* One [section] as written.  Only the fields of keys in `set` are
 * meaningful in `val`. */
struct tn_section {
	enum tn_section_kind kind;
	char *name; /* group, user or service name; NULL otherwise */
	uid_t uid_lo, uid_hi;
	const char *file; /* owned by tn_conf.files */
	unsigned line;
	uint32_t set;   /* 1u << tn_key for each key given */
	bool caps_keep; /* the caps slot was written as caps.keep */
	unsigned key_line[TN_KEY__COUNT];
	struct tn_policy val;
};

struct tn_conf {
	char **files;
	unsigned nfiles;
	struct tn_section *sec;
	unsigned nsec, sec_alloc;
};

/* Key flags. */
#define TN_KF_SESSION (1u << 0)      /* allowed in [service] */
#define TN_KF_KEEP (1u << 1)         /* caps.keep: a keep list for the caps slot */
#define TN_KF_DEFAULT_ONLY (1u << 2) /* host-wide: allowed only in [default] */

/* tn_section.set has one bit per key. */
_Static_assert(TN_KEY__COUNT <= 32, "tn_section.set is 32 bits");

struct tn_keydef {
	const char *name;
	enum tn_key key;
	unsigned flags;
};

const struct tn_keydef *conf_key_lookup(const char *name);

/* Parse val (trimmed, comment removed) for kd into dst.  On error
 * returns -EINVAL with a message (no file:line) in why. */
int conf_parse_value(const struct tn_keydef *kd, const char *val, struct tn_policy *dst,
    char *why, size_t whylen);

/* A size in config syntax: the largest exact K/M/G/T suffix. */
int conf_format_size(uint64_t v, char *buf, size_t len);

/* Record file name `name`; returns the conf-owned copy or NULL. */
const char *conf_add_file(struct tn_conf *conf, const char *name);

#endif
