/* tenant.conf: parsing, trust checks and policy resolution.
 *
 * The parser is pure (it reads the text it is given and nothing else);
 * conf_load() adds the file-system side: opening by fd, trust checks on
 * the opened fd, the drop-in directory in lexical order.  The result is
 * immutable once loaded.  Every diagnostic is "file:line: message". */
#ifndef TENANT_CONF_H
#define TENANT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ns.h"
#include "tn-limits.h"

/* The Makefile passes -D per build variant; these are the fallbacks. */
#ifndef TN_CONF_PATH
#define TN_CONF_PATH "/etc/security/tenant.conf"
#endif
#ifndef TN_CONF_DIR
#define TN_CONF_DIR "/etc/security/tenant.d"
#endif

/* Hard limits on input (security catalog R14). */
#define TN_CONF_MAX_FILE_BYTES (1024 * 1024)
#define TN_CONF_MAX_LINE 4096
#define TN_CONF_MAX_FILES 256
#define TN_CONF_MAX_SECTIONS 10000

/* cgroup.root: the subtree below /sys/fs/cgroup that holds the tenants'
 * user-<uid>/session-<cookie> cgroups.  Size includes the NUL. */
#define TN_CGROUP_ROOT_MAX 128
#define TN_CGROUP_ROOT_DEFAULT "tenant.slice"

/* Namespace bits for tn_policy.namespaces: TN_NS_* (ns.h). */

/* sessions.max: the default; the bound is TN_SESSIONS_MAX_LIMIT
 * (tn-limits.h, with TN_UNLIMITED and TN_IO_MAX_DEVICES). */
#define TN_SESSIONS_MAX_DEFAULT 256

enum tn_scope { TN_SCOPE_USER, TN_SCOPE_SESSION };
enum tn_on_logout { TN_LOGOUT_KEEP, TN_LOGOUT_KILL };
enum tn_on_error { TN_ONERR_DENY, TN_ONERR_ALLOW };
enum tn_cgroup_mode { TN_CGROUP_REQUIRED, TN_CGROUP_OPTIONAL };
/* proc.lxcfs: lxcfs's view of /proc over the tenant's own (tenant.conf(5)),
 * from lxcfs's mount (Debian's lxcfs.service). */
enum tn_proc_lxcfs { TN_LXCFS_AUTO, TN_LXCFS_YES, TN_LXCFS_NO };
#define TN_LXCFS_DIR "/var/lib/lxcfs"

/* Every key of the public vocabulary (docs: tenant.conf(5)). */
enum tn_key {
	TN_KEY_ISOLATE,
	TN_KEY_NAMESPACES,
	TN_KEY_SCOPE,
	TN_KEY_TMP_SIZE,
	TN_KEY_TMP_INODES,
	TN_KEY_MEMORY_MAX,
	TN_KEY_MEMORY_HIGH,
	TN_KEY_MEMORY_SWAP_MAX,
	TN_KEY_CPU,
	TN_KEY_CPU_WEIGHT,
	TN_KEY_PIDS_MAX,
	TN_KEY_IO_WEIGHT,
	TN_KEY_IO_MAX,
	TN_KEY_CAPS_DROP, /* caps.drop and caps.keep share one slot */
	TN_KEY_CAPS_AMBIENT,
	TN_KEY_NO_NEW_PRIVS,
	TN_KEY_ON_LOGOUT,
	TN_KEY_ON_ERROR,
	TN_KEY_CGROUP,
	TN_KEY_CGROUP_ROOT, /* [default] only: host-wide */
	TN_KEY_SESSIONS_MAX,
	TN_KEY_PROC_LXCFS,
	TN_KEY__COUNT
};

/* Where a resolved value came from; file == NULL means built-in default. */
struct tn_origin {
	const char *file;
	unsigned line;
};

/* The resolved policy for one login.  Plain data: safe to copy. */
struct tn_policy {
	bool isolate;
	unsigned namespaces; /* TN_NS_* bits; TN_NS_MOUNT always set */
	enum tn_scope scope;
	uint64_t tmp_size; /* bytes, for each of /tmp, /var/tmp, /dev/shm */
	uint64_t tmp_inodes;
	struct tn_limits limits; /* memory, cpu, pids, io (tn-limits.h) */
	uint64_t caps_drop;    /* bounding-set bits to drop (keep lists are converted) */
	uint64_t caps_ambient; /* always 0: see tenant.conf(5) */
	bool no_new_privs;
	enum tn_on_logout on_logout;
	enum tn_on_error on_error;
	enum tn_cgroup_mode cgroup;
	char cgroup_root[TN_CGROUP_ROOT_MAX]; /* relative, e.g. "tenant.slice" */
	uint32_t sessions_max;                /* 1..TN_SESSIONS_MAX_LIMIT */
	enum tn_proc_lxcfs proc_lxcfs;
	struct tn_origin origin[TN_KEY__COUNT];
};

/* Diagnostics collected while loading: one "file:line: message" each. */
struct tn_diag {
	unsigned count;  /* total errors seen */
	unsigned stored; /* how many fit below */
	char msg[16][512];
};

struct tn_conf; /* opaque, immutable after load */

/* Who may own the config files: 0 in production; tests pass getuid().
 * Root-owned files and directories are always trusted.
 *
 * main_path and dropin_dir both NULL: TN_CONF_PATH + TN_CONF_DIR.
 * main_path set, dropin_dir NULL: that file alone, no drop-ins
 * (tenantctl check FILE).  A missing drop-in directory is fine; a
 * missing main file is an error unless main_optional is set. */
struct tn_conf_opts {
	uid_t trusted_owner;
	const char *main_path;
	const char *dropin_dir;
	bool main_optional;
};

/* Load the main file and the drop-ins.  Returns 0, or a negative errno
 * with every problem in diag.  On error *out is NULL. */
int conf_load(const struct tn_conf_opts *opts, struct tn_conf **out,
    struct tn_diag *diag);

/* Parse one buffer as file `name` into conf (pure; for tests and fuzzing).
 * conf_new() gives an empty conf to parse into. */
struct tn_conf *conf_new(void);
int conf_parse_buffer(struct tn_conf *conf, const char *name, const char *buf, size_t len,
    struct tn_diag *diag);
void conf_free(struct tn_conf *conf);

/* How many files went into conf (the main file, then each drop-in). */
unsigned conf_file_count(const struct tn_conf *conf);

/* Who is logging in, as resolved by the caller through NSS. */
struct tn_identity {
	uid_t uid;
	const char *user;          /* canonical pw_name */
	const char *const *groups; /* names of every group the user is in */
	size_t ngroups;
	const char *service; /* PAM_SERVICE, may be NULL */
};

/* Does any [group NAME] section exist?  If not, a user's groups cannot
 * change their policy and need not be looked up. */
bool conf_uses_groups(const struct tn_conf *conf);
/* The name of the next [group NAME] section from *i on (start at 0), or
 * NULL after the last. */
const char *conf_next_group(const struct tn_conf *conf, unsigned *i);

/* Does any section set key?  Then where the first one does. */
bool conf_key_set_anywhere(const struct tn_conf *conf, enum tn_key key, const char **file,
    unsigned *line);

/* Does any section say proc.lxcfs = yes?  Then where the first one does. */
bool conf_lxcfs_yes_anywhere(const struct tn_conf *conf, const char **file,
    unsigned *line);

/* Built-in defaults, then [default] < [group] < [uid] < [user], later
 * section wins among equals; [service] last (session keys only). */
void conf_resolve(const struct tn_conf *conf, const struct tn_identity *id,
    struct tn_policy *out);

/* The built-in defaults alone (what an empty config means). */
void conf_defaults(struct tn_policy *out);

/* True when pol sets any cgroup limit (memory, cpu, pids, io).  With
 * cgroup = required, a session whose limits cannot be applied is denied;
 * with no limits set there is nothing to apply. */
bool conf_policy_has_limits(const struct tn_policy *pol);

/* What the config files looked like, to tell cheaply whether a parsed
 * copy is still current (stamp.c).  A racy stamp (files changed within
 * the last 100 ms) never compares equal: re-parse. */
struct tn_conf_stamp {
	uint64_t hash;
	bool racy;
};

void conf_stamp(const struct tn_conf_opts *opts, struct tn_conf_stamp *out);
bool conf_stamp_same(const struct tn_conf_stamp *cached, const struct tn_conf_stamp *now);

/* Key names and value rendering, shared by explain and the docs test. */
const char *conf_key_name(enum tn_key key);
/* Render the value of key in pol as config text ("1G", "mount pid", ...). */
int conf_format_value(const struct tn_policy *pol, enum tn_key key, char *buf,
    size_t len);
/* One line of the policy block `tenantctl explain` prints: "key = value"
 * with the key padded to 15 columns, no newline.  The block parses back
 * to the same policy (tests/fuzz/fuzz-conf-roundtrip.c checks that). */
int conf_format_setting(const struct tn_policy *pol, enum tn_key key, char *buf,
    size_t len);

/* Warnings for values that parse but are almost certainly mistakes
 * (tenantctl check): memory.max or memory.high of 0 or below 8M,
 * memory.high above memory.max (in one section, or against [default]),
 * [user]/[group] sections naming what known() says does not exist.
 * known may be NULL (names not checked).  Pure; each warning is
 * "file:line: message". */
typedef bool conf_name_known_fn(bool is_user, const char *name);
void conf_lint(const struct tn_conf *conf, conf_name_known_fn *known,
    struct tn_diag *warn);

/* Append one diagnostic; keeps the first 16 texts and counts all. */
void diag_add(struct tn_diag *diag, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
