/* conf_resolve: precedence, origins, caps.keep, and the explain output
 * (conf_format_value) parsing back to the same policy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>

#include "conf.h"
#include "tap.h"
#include "util.h"

#define GIB (1ull << 30)
#define ALL_CAPS ((2ull << CAP_LAST_CAP) - 1)

static struct tn_conf *
parse(const char *name, const char *text)
{
	struct tn_conf *conf = conf_new();
	struct tn_diag diag = { 0 };

	if (conf_parse_buffer(conf, name, text, strlen(text), &diag) != 0) {
		for (unsigned i = 0; i < diag.stored; i++)
			printf("#   diag: %s\n", diag.msg[i]);
		OK(0, "test config parses");
	}
	return conf;
}

static void
is_origin(const struct tn_policy *p, enum tn_key k, const char *file, unsigned line,
    const char *what)
{
	char w[256];

	snprintf(w, sizeof(w), "%s: origin file", what);
	if (file == NULL)
		OK(p->origin[k].file == NULL, w);
	else
		IS_STR(p->origin[k].file, file, w);
	snprintf(w, sizeof(w), "%s: origin line", what);
	IS_INT(p->origin[k].line, line, w);
}

static void is_format(const struct tn_policy *p, enum tn_key k, const char *want);

static void
test_defaults(void)
{
	struct tn_conf *conf = conf_new();
	struct tn_policy d, p;
	struct tn_identity id = { .uid = 1000, .user = "alice" };

	conf_defaults(&d);
	OK(d.isolate, "default: isolate");
	IS_INT(d.namespaces, TN_NS_MOUNT | TN_NS_PID | TN_NS_IPC | TN_NS_UTS,
	    "default: namespaces");
	IS_INT(d.scope, TN_SCOPE_USER, "default: scope user");
	IS_INT(d.tmp_size, GIB, "default: tmp.size 1G");
	IS_INT(d.tmp_inodes, 102400, "default: tmp.inodes 100k");
	OK(d.limits.memory_max == TN_UNLIMITED && d.limits.memory_high == TN_UNLIMITED &&
	        d.limits.memory_swap_max == TN_UNLIMITED &&
	        d.limits.pids_max == TN_UNLIMITED,
	    "default: memory and pids unlimited");
	OK(d.limits.cpu_percent == 0 && d.limits.cpu_weight == 0 &&
	        d.limits.io_weight == 0 && d.limits.io_max_count == 0,
	    "default: cpu and io unset");
	OK(d.caps_drop & (1ull << CAP_SYS_ADMIN), "default drops cap_sys_admin");
	OK(d.caps_drop & (1ull << CAP_SETFCAP), "default drops cap_setfcap");
	OK(!(d.caps_drop & (1ull << CAP_NET_RAW)), "default keeps cap_net_raw");
	OK(!(d.caps_drop & (1ull << CAP_SETUID)), "default keeps cap_setuid");
	OK(!(d.caps_drop & (1ull << CAP_AUDIT_WRITE)), "default keeps cap_audit_write");
	OK(d.caps_drop & (1ull << CAP_DAC_READ_SEARCH),
	    "default drops cap_dac_read_search");
	OK(!(d.caps_drop & (1ull << CAP_DAC_OVERRIDE)), "default keeps cap_dac_override");
	IS_INT(__builtin_popcountll(d.caps_drop), 22, "default drops 22 caps");
	IS_INT(d.caps_ambient, 0, "default: no ambient caps");
	OK(!d.no_new_privs, "default: no_new_privs no");
	IS_INT(d.on_logout, TN_LOGOUT_KEEP, "default: on_logout keep");
	IS_INT(d.on_error, TN_ONERR_DENY, "default: on_error deny");
	IS_INT(d.cgroup, TN_CGROUP_REQUIRED, "default: cgroup required");
	IS_STR(d.cgroup_root, "tenant.slice", "default: cgroup.root tenant.slice");
	IS_INT(d.sessions_max, 256, "default: sessions.max 256");
	IS_INT(d.proc_lxcfs, TN_LXCFS_AUTO, "default: proc.lxcfs auto");
	OK(!conf_policy_has_limits(&d), "defaults set no limits");
	for (int k = 0; k < TN_KEY__COUNT; k++)
		if (d.origin[k].file != NULL)
			OK(0, "default origin is built-in");

	conf_resolve(conf, &id, &p);
	OK(memcmp(&p, &d, sizeof(p)) == 0, "empty config = built-in defaults");
	conf_resolve(NULL, &id, &p);
	OK(memcmp(&p, &d, sizeof(p)) == 0, "no config = built-in defaults");
	conf_free(conf);
}

/* Written most specific first, so only the kind order can explain the
 * outcome. */
static const char precedence_conf[] = "[user alice]\n"    /* 1 */
                                      "memory.max = 5G\n" /* 2 */
                                      "[uid 1000-1999]\n" /* 3 */
                                      "memory.max = 4G\n" /* 4 */
                                      "cpu = 40%\n"       /* 5 */
                                      "[group staff]\n"   /* 6 */
                                      "memory.max = 3G\n" /* 7 */
                                      "cpu = 30%\n"       /* 8 */
                                      "pids.max = 300\n"  /* 9 */
                                      "[default]\n"       /* 10 */
                                      "memory.max = 1G\n" /* 11 */
                                      "cpu = 10%\n"       /* 12 */
                                      "pids.max = 100\n"  /* 13 */
                                      "io.weight = 10\n"; /* 14 */

static void
test_precedence(void)
{
	struct tn_conf *conf = parse("p.conf", precedence_conf);
	const char *staff[] = { "users", "staff" };
	struct tn_identity alice = { .uid = 1000,
		.user = "alice",
		.groups = staff,
		.ngroups = 2 };
	struct tn_identity bob = { .uid = 2000,
		.user = "bob",
		.groups = staff,
		.ngroups = 2 };
	struct tn_identity carol = { .uid = 1500, .user = "carol" };
	struct tn_identity dave = { .uid = 3000, .user = "dave" };
	struct tn_policy p;

	conf_resolve(conf, &alice, &p);
	IS_INT(p.limits.memory_max, 5 * GIB, "user beats uid, group, default");
	is_origin(&p, TN_KEY_MEMORY_MAX, "p.conf", 2, "alice memory.max");
	IS_INT(p.limits.cpu_percent, 40, "uid beats group and default");
	is_origin(&p, TN_KEY_CPU, "p.conf", 5, "alice cpu");
	IS_INT(p.limits.pids_max, 300, "group beats default");
	is_origin(&p, TN_KEY_PIDS_MAX, "p.conf", 9, "alice pids.max");
	IS_INT(p.limits.io_weight, 10, "default beats built-in");
	is_origin(&p, TN_KEY_IO_WEIGHT, "p.conf", 14, "alice io.weight");
	is_origin(&p, TN_KEY_TMP_SIZE, NULL, 0, "alice tmp.size built-in");
	OK(conf_policy_has_limits(&p), "limits are set");

	conf_resolve(conf, &bob, &p);
	IS_INT(p.limits.memory_max, 3 * GIB, "bob: group value (uid not in range)");
	is_origin(&p, TN_KEY_MEMORY_MAX, "p.conf", 7, "bob memory.max");

	conf_resolve(conf, &carol, &p);
	IS_INT(p.limits.memory_max, 4 * GIB, "carol: uid range");
	IS_INT(p.limits.pids_max, 100, "carol: no group, default");

	conf_resolve(conf, &dave, &p);
	IS_INT(p.limits.memory_max, 1 * GIB, "dave: default only");
	is_origin(&p, TN_KEY_MEMORY_MAX, "p.conf", 11, "dave memory.max");
	conf_free(conf);
}

static void
test_same_kind(void)
{
	struct tn_conf *conf = parse("s.conf",
	    "[group a]\n"          /* 1 */
	    "cpu = 10%\n"          /* 2 */
	    "[default]\n"          /* 3 */
	    "pids.max = 10\n"      /* 4 */
	    "[group b]\n"          /* 5 */
	    "cpu = 20%\n"          /* 6 */
	    "[default]\n"          /* 7 */
	    "pids.max = 20\n"      /* 8 */
	    "[uid 100-200]\n"      /* 9 */
	    "tmp.size = 1M\n"      /* 10 */
	    "[uid 150]\n"          /* 11 */
	    "tmp.size = 2M\n"      /* 12 */
	    "[user u]\n"           /* 13 */
	    "memory.high = 1G\n"   /* 14 */
	    "[user u]\n"           /* 15 */
	    "memory.high = 2G\n"); /* 16 */
	const char *ab[] = { "a", "b" }, *ba[] = { "b", "a" }, *a[] = { "a" };
	struct tn_identity id = { .uid = 150, .user = "u", .groups = ab, .ngroups = 2 };
	struct tn_policy p;

	conf_resolve(conf, &id, &p);
	IS_INT(p.limits.cpu_percent, 20, "two groups: the later section wins");
	is_origin(&p, TN_KEY_CPU, "s.conf", 6, "two groups");
	id.groups = ba;
	conf_resolve(conf, &id, &p);
	IS_INT(p.limits.cpu_percent, 20, "group list order does not matter");
	id.groups = a;
	id.ngroups = 1;
	conf_resolve(conf, &id, &p);
	IS_INT(p.limits.cpu_percent, 10, "only group a");
	IS_INT(p.limits.pids_max, 20, "later [default] wins");
	is_origin(&p, TN_KEY_PIDS_MAX, "s.conf", 8, "later default");
	IS_INT(p.tmp_size, 2 << 20, "later [uid] wins");
	IS_INT(p.limits.memory_high, 2 * GIB, "later [user] wins");
	is_origin(&p, TN_KEY_MEMORY_HIGH, "s.conf", 16, "later user");
	id.uid = 100;
	conf_resolve(conf, &id, &p);
	IS_INT(p.tmp_size, 1 << 20, "uid range lower bound");
	id.uid = 201;
	conf_resolve(conf, &id, &p);
	IS_INT(p.tmp_size, GIB, "uid outside the range");
	conf_free(conf);
}

static void
test_many_groups(void)
{
	struct tn_conf *conf = parse("g.conf",
	    "[group g07]\ncpu = 7%\n[group g03]\ncpu = 3%\n[group zz]\n"
	    "cpu = 99%\n");
	char names[40][8];
	const char *groups[40];
	struct tn_identity id = { .uid = 1,
		.user = "x",
		.groups = groups,
		.ngroups = 40 };
	struct tn_policy p;

	for (int i = 0; i < 40; i++) {
		snprintf(names[39 - i], sizeof(names[0]), "g%02d", i);
		groups[39 - i] = names[39 - i];
	}
	conf_resolve(conf, &id, &p);
	IS_INT(p.limits.cpu_percent, 3, "40 groups: later matching section wins");
	conf_free(conf);
}

static void
test_service(void)
{
	struct tn_conf *conf = parse("svc.conf",
	    "[service cron]\n"    /* 1 */
	    "isolate = no\n"      /* 2 */
	    "on_logout = kill\n"  /* 3 */
	    "[user u]\n"          /* 4 */
	    "isolate = yes\n"     /* 5 */
	    "on_error = allow\n"  /* 6 */
	    "[service sshd]\n"    /* 7 */
	    "on_error = deny\n"); /* 8 */
	struct tn_identity id = { .uid = 1000, .user = "u" };
	struct tn_policy p;

	conf_resolve(conf, &id, &p);
	OK(p.isolate, "no service: user section");
	IS_INT(p.on_error, TN_ONERR_ALLOW, "no service: user on_error");
	id.service = "cron";
	conf_resolve(conf, &id, &p);
	OK(!p.isolate, "service applied after [user]");
	is_origin(&p, TN_KEY_ISOLATE, "svc.conf", 2, "service isolate");
	IS_INT(p.on_logout, TN_LOGOUT_KILL, "service on_logout");
	IS_INT(p.on_error, TN_ONERR_ALLOW, "key the service leaves alone");
	id.service = "sshd";
	conf_resolve(conf, &id, &p);
	OK(p.isolate, "other service: user value");
	IS_INT(p.on_error, TN_ONERR_DENY, "sshd service on_error");
	is_origin(&p, TN_KEY_ON_ERROR, "svc.conf", 8, "sshd on_error");
	id.service = "cro";
	conf_resolve(conf, &id, &p);
	OK(p.isolate, "service match is exact");
	conf_free(conf);
}

/* sessions.max resolves like any key, [service] included. */
static void
test_sessions_max(void)
{
	struct tn_conf *conf = parse("sm.conf",
	    "[default]\n"             /* 1 */
	    "sessions.max = 10\n"     /* 2 */
	    "[group ops]\n"           /* 3 */
	    "sessions.max = 40\n"     /* 4 */
	    "[user bob]\n"            /* 5 */
	    "sessions.max = 3\n"      /* 6 */
	    "[service cron]\n"        /* 7 */
	    "sessions.max = 1024\n"); /* 8 */
	static const char *const ops[] = { "ops" };
	struct tn_identity id = { .uid = 1000, .user = "alice" };
	struct tn_policy p;
	char buf[32];

	conf_resolve(conf, &id, &p);
	IS_INT(p.sessions_max, 10, "sessions.max from [default]");
	is_origin(&p, TN_KEY_SESSIONS_MAX, "sm.conf", 2, "default sessions.max");
	id.groups = ops;
	id.ngroups = 1;
	conf_resolve(conf, &id, &p);
	IS_INT(p.sessions_max, 40, "sessions.max: group beats default");
	id.user = "bob";
	conf_resolve(conf, &id, &p);
	IS_INT(p.sessions_max, 3, "sessions.max: user beats group");
	is_origin(&p, TN_KEY_SESSIONS_MAX, "sm.conf", 6, "user sessions.max");
	OK(conf_format_value(&p, TN_KEY_SESSIONS_MAX, buf, sizeof(buf)) == 0,
	    "format sessions.max");
	IS_STR(buf, "3", "sessions.max printed as a plain number");
	id.service = "cron";
	conf_resolve(conf, &id, &p);
	IS_INT(p.sessions_max, 1024, "sessions.max: [service] applies last");
	is_origin(&p, TN_KEY_SESSIONS_MAX, "sm.conf", 8, "service sessions.max");
	OK(!conf_policy_has_limits(&p), "sessions.max is not a cgroup limit");
	conf_free(conf);
}

/* proc.lxcfs: three words, resolved like any tenant key, not per service. */
static void
test_proc_lxcfs(void)
{
	struct tn_conf *conf = parse("lx.conf",
	    "[default]\n"           /* 1 */
	    "proc.lxcfs = no\n"     /* 2 */
	    "[group ops]\n"         /* 3 */
	    "proc.lxcfs = yes\n"    /* 4 */
	    "[user bob]\n"          /* 5 */
	    "proc.lxcfs = auto\n"); /* 6 */
	static const char *const ops[] = { "ops" };
	static const char *const bad[] = { "[default]\nproc.lxcfs = true\n",
		"[default]\nproc.lxcfs = Yes\n", "[default]\nproc.lxcfs =\n",
		"[default]\nproc.lxcfs = auto yes\n",
		"[service sshd]\nproc.lxcfs = no\n" };
	struct tn_identity id = { .uid = 1000, .user = "alice" };
	struct tn_policy p;

	conf_resolve(conf, &id, &p);
	IS_INT(p.proc_lxcfs, TN_LXCFS_NO, "proc.lxcfs = no from [default]");
	is_origin(&p, TN_KEY_PROC_LXCFS, "lx.conf", 2, "default proc.lxcfs");
	id.groups = ops;
	id.ngroups = 1;
	conf_resolve(conf, &id, &p);
	IS_INT(p.proc_lxcfs, TN_LXCFS_YES, "proc.lxcfs: group beats default");
	is_format(&p, TN_KEY_PROC_LXCFS, "yes");
	id.user = "bob";
	conf_resolve(conf, &id, &p);
	IS_INT(p.proc_lxcfs, TN_LXCFS_AUTO, "proc.lxcfs: user beats group");
	is_origin(&p, TN_KEY_PROC_LXCFS, "lx.conf", 6, "user proc.lxcfs");
	is_format(&p, TN_KEY_PROC_LXCFS, "auto");
	OK(!conf_policy_has_limits(&p), "proc.lxcfs is not a cgroup limit");
	IS_STR(conf_key_name(TN_KEY_PROC_LXCFS), "proc.lxcfs", "proc.lxcfs key name");
	conf_free(conf);
	for (size_t i = 0; i < N_ELEMENTS(bad); i++) {
		struct tn_conf *c = conf_new();
		struct tn_diag diag = { 0 };
		char what[128];

		snprintf(what, sizeof(what), "bad proc.lxcfs %zu rejected", i);
		IS_INT(conf_parse_buffer(c, "bad.conf", bad[i], strlen(bad[i]), &diag),
		    -EINVAL, what);
		OK(diag.stored == 1 &&
		        strstr(diag.msg[0], "bad.conf:2: ") == diag.msg[0] &&
		        strstr(diag.msg[0], "proc.lxcfs"),
		    "... with file:line naming proc.lxcfs");
		conf_free(c);
	}
}

static void
test_caps(void)
{
	struct tn_conf *conf = parse("caps.conf",
	    "[default]\n"
	    "caps.drop = cap_sys_admin cap_net_admin\n" /* 2 */
	    "[user keeper]\n"
	    "caps.keep = cap_net_raw, cap_setuid\n" /* 4 */
	    "[user none]\n"
	    "caps.drop =\n" /* 6 */
	    "[user all]\n"
	    "caps.keep =\n"); /* 8 */
	struct tn_identity id = { .uid = 1000, .user = "x" };
	struct tn_policy p;

	conf_resolve(conf, &id, &p);
	IS_INT(p.caps_drop, (1ull << CAP_SYS_ADMIN) | (1ull << CAP_NET_ADMIN),
	    "caps.drop list");
	id.user = "keeper";
	conf_resolve(conf, &id, &p);
	IS_INT(p.caps_drop, ALL_CAPS & ~((1ull << CAP_NET_RAW) | (1ull << CAP_SETUID)),
	    "caps.keep becomes every other cap dropped");
	is_origin(&p, TN_KEY_CAPS_DROP, "caps.conf", 4, "caps.keep origin");
	id.user = "none";
	conf_resolve(conf, &id, &p);
	IS_INT(p.caps_drop, 0, "empty caps.drop drops nothing");
	id.user = "all";
	conf_resolve(conf, &id, &p);
	IS_INT(p.caps_drop, ALL_CAPS, "empty caps.keep drops everything");
	conf_free(conf);
}

static void
test_files(void)
{
	struct tn_conf *conf =
	    parse("main.conf", "[default]\nmemory.max = 1G\n[user u]\ncpu = 50%\n");
	struct tn_diag diag = { 0 };
	struct tn_identity id = { .uid = 1, .user = "u" };
	struct tn_policy p;
	const char *drop = "[default]\nmemory.max = 2G\n\ncpu = 10%\n";
	char name[32];

	conf_parse_buffer(conf, "d/10.conf", drop, strlen(drop), &diag);
	conf_resolve(conf, &id, &p);
	IS_INT(p.limits.memory_max, 2 * GIB, "drop-in [default] beats main [default]");
	is_origin(&p, TN_KEY_MEMORY_MAX, "d/10.conf", 2, "drop-in origin");
	IS_INT(p.limits.cpu_percent, 50, "main [user] beats drop-in [default]");
	is_origin(&p, TN_KEY_CPU, "main.conf", 4, "main origin");
	/* Origins stay valid while more files are added. */
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "d/%02d-x.conf", 20 + i);
		conf_parse_buffer(conf, name, "", 0, &diag);
	}
	IS_STR(p.origin[TN_KEY_CPU].file, "main.conf", "origin outlives growth");
	IS_INT(conf_file_count(conf), 52, "file count");
	IS_INT(diag.count, 0, "no errors");
	conf_free(conf);
}

/* cgroup.root: host-wide, so only [default] sets it; the later
 * [default] (also across files) wins and its origin is recorded. */
static void
test_cgroup_root(void)
{
	struct tn_conf *conf = parse("root.conf",
	    "[default]\n"                     /* 1 */
	    "memory.max = 1G\n"               /* 2 */
	    "cgroup.root = tenants/a.slice\n" /* 3 */
	    "[user u]\n"                      /* 4 */
	    "memory.max = 2G\n"               /* 5 */
	    "[service sshd]\n"                /* 6 */
	    "isolate = no\n");                /* 7 */
	struct tn_identity id = { .uid = 1000, .user = "u" };
	struct tn_diag diag = { 0 };
	const char *drop = "[default]\n\ncgroup.root = tenant.slice/b\n";
	struct tn_policy p;

	conf_resolve(conf, &id, &p);
	IS_STR(p.cgroup_root, "tenants/a.slice", "[default] sets cgroup.root");
	is_origin(&p, TN_KEY_CGROUP_ROOT, "root.conf", 3, "cgroup.root");
	IS_INT(p.limits.memory_max, 2 * GIB, "other keys still resolve per user");
	id.service = "sshd";
	id.user = "someone-else";
	id.uid = 0;
	conf_resolve(conf, &id, &p);
	IS_STR(p.cgroup_root, "tenants/a.slice",
	    "cgroup.root is the same for every login");
	is_origin(&p, TN_KEY_CGROUP_ROOT, "root.conf", 3, "cgroup.root with a service");
	conf_resolve(conf, NULL, &p);
	IS_STR(p.cgroup_root, "tenants/a.slice", "no identity: still set");

	OK(conf_parse_buffer(conf, "d/50.conf", drop, strlen(drop), &diag) == 0,
	    "drop-in sets cgroup.root");
	conf_resolve(conf, &id, &p);
	IS_STR(p.cgroup_root, "tenant.slice/b", "the later [default] wins");
	is_origin(&p, TN_KEY_CGROUP_ROOT, "d/50.conf", 3, "drop-in origin");
	conf_free(conf);

	conf = parse("none.conf", "[default]\ncpu = 10%\n");
	conf_resolve(conf, &id, &p);
	IS_STR(p.cgroup_root, "tenant.slice", "unset: the built-in default");
	is_origin(&p, TN_KEY_CGROUP_ROOT, NULL, 0, "cgroup.root built-in");
	conf_free(conf);
}

static void
is_format(const struct tn_policy *p, enum tn_key k, const char *want)
{
	char buf[1024], what[128];

	snprintf(what, sizeof(what), "format %s = %s", conf_key_name(k), want);
	OK(conf_format_value(p, k, buf, sizeof(buf)) == 0, what);
	IS_STR(buf, want, what);
}

static void
test_format(void)
{
	struct tn_policy p;
	char small[4];

	conf_defaults(&p);
	is_format(&p, TN_KEY_ISOLATE, "yes");
	is_format(&p, TN_KEY_NAMESPACES, "mount pid ipc uts");
	is_format(&p, TN_KEY_TMP_SIZE, "1G");
	is_format(&p, TN_KEY_TMP_INODES, "100K");
	is_format(&p, TN_KEY_MEMORY_MAX, "max");
	is_format(&p, TN_KEY_CPU, "max");
	is_format(&p, TN_KEY_CPU_WEIGHT, "");
	is_format(&p, TN_KEY_CAPS_AMBIENT, "");
	is_format(&p, TN_KEY_CGROUP, "required");
	is_format(&p, TN_KEY_PROC_LXCFS, "auto");
	p.proc_lxcfs = TN_LXCFS_NO;
	is_format(&p, TN_KEY_PROC_LXCFS, "no");
	is_format(&p, TN_KEY_CGROUP_ROOT, "tenant.slice");
	snprintf(p.cgroup_root, sizeof(p.cgroup_root), "a/b.c/d_e/f-1");
	is_format(&p, TN_KEY_CGROUP_ROOT, "a/b.c/d_e/f-1");
	IS_STR(conf_key_name(TN_KEY_CGROUP_ROOT), "cgroup.root",
	    "cgroup.root key name (table in enum order)");
	IS_STR(conf_key_name(TN_KEY_CGROUP), "cgroup", "cgroup key name");
	p.limits.memory_max = 1536;
	is_format(&p, TN_KEY_MEMORY_MAX, "1536");
	p.limits.memory_max = 0;
	is_format(&p, TN_KEY_MEMORY_MAX, "0");
	p.limits.memory_max = 3ull << 40;
	is_format(&p, TN_KEY_MEMORY_MAX, "3T");
	p.limits.memory_max = 1025ull << 20;
	is_format(&p, TN_KEY_MEMORY_MAX, "1025M");
	p.limits.cpu_percent = 150;
	is_format(&p, TN_KEY_CPU, "150%");
	p.caps_drop = (1ull << CAP_SYS_ADMIN) | (1ull << CAP_CHOWN);
	is_format(&p, TN_KEY_CAPS_DROP, "cap_chown cap_sys_admin");
	p.limits.io_max_count = 2;
	p.limits.io_max[0] =
	    (struct tn_io_max){ 8, 0, 10 << 20, TN_UNLIMITED, TN_UNLIMITED, 100 };
	p.limits.io_max[1] = (struct tn_io_max){ 8, 16, TN_UNLIMITED, TN_UNLIMITED,
		TN_UNLIMITED, TN_UNLIMITED };
	is_format(&p, TN_KEY_IO_MAX,
	    "8:0 rbps=10M wiops=100, 8:16 rbps=max wbps=max riops=max "
	    "wiops=max");
	IS_INT(conf_format_value(&p, TN_KEY_IO_MAX, small, sizeof(small)), -ENOSPC,
	    "too small a buffer is reported");
	IS_INT(conf_format_value(&p, TN_KEY__COUNT, small, sizeof(small)), -EINVAL,
	    "unknown key");
	OK(conf_key_name(TN_KEY__COUNT) == NULL, "no name past the last key");
	IS_STR(conf_key_name(TN_KEY_MEMORY_SWAP_MAX), "memory.swap.max", "key name");
}

/* What explain prints must parse back to the same policy. */
static void
round_trip(const char *text, const char *what)
{
	struct tn_conf *a = parse("a.conf", text), *b;
	struct tn_identity id = { .uid = 1000, .user = "u" };
	struct tn_policy pa, pb;
	char dump[8192], val[2048];
	size_t off;
	int r;

	conf_resolve(a, &id, &pa);
	off = (size_t)snprintf(dump, sizeof(dump), "[default]\n");
	for (int k = 0; k < TN_KEY__COUNT; k++) {
		if (conf_format_value(&pa, (enum tn_key)k, val, sizeof(val)) < 0)
			OK(0, "format");
		r = snprintf(dump + off, sizeof(dump) - off,
		    "%s = %s   # from somewhere\n", conf_key_name((enum tn_key)k), val);
		if (r < 0 || (size_t)r >= sizeof(dump) - off)
			break;
		off += (size_t)r;
	}
	b = parse("b.conf", dump);
	conf_resolve(b, &id, &pb);
	/* Same values; only the origins differ. */
	memset(pa.origin, 0, sizeof(pa.origin));
	memset(pb.origin, 0, sizeof(pb.origin));
	OK(memcmp(&pa, &pb, sizeof(pa)) == 0, what);
	conf_free(a);
	conf_free(b);
}

static void
test_round_trip(void)
{
	round_trip("", "defaults round-trip");
	round_trip("[default]\n"
	           "isolate = no\nnamespaces = mount net\nscope = session\n"
	           "tmp.size = 1536\ntmp.inodes = 7k\nmemory.max = 4G\n"
	           "memory.high = 3000M\nmemory.swap.max = 0\ncpu = 250%\n"
	           "cpu.weight = 7\npids.max = 1024\nio.weight = 10000\n"
	           "io.max = 8:0 rbps=10M wbps=max, 259:3 riops=100 "
	           "wiops=200, 8:16 rbps=max\n"
	           "caps.keep = cap_net_raw cap_setuid cap_setgid\n"
	           "no_new_privs = yes\non_logout = kill\non_error = allow\n"
	           "cgroup = optional\ncgroup.root = tenants/host-1.slice/x\n"
	           "sessions.max = 17\nproc.lxcfs = no\n",
	    "every key round-trips");
	round_trip("[default]\nproc.lxcfs = yes\n", "proc.lxcfs = yes round-trips");
	round_trip("[default]\ncpu.weight = idle\n", "cpu.weight = idle round-trips");
	round_trip("[default]\ncgroup.root = tenant.slice\n",
	    "cgroup.root set to its default round-trips");
}

int
main(void)
{
	test_defaults();
	test_precedence();
	test_same_kind();
	test_many_groups();
	test_service();
	test_sessions_max();
	test_proc_lxcfs();
	test_caps();
	test_files();
	test_cgroup_root();
	test_format();
	test_round_trip();
	return tap_done();
}
