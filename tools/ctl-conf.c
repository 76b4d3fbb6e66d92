/* tenantctl check and explain: the configuration as the module sees it. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroup-systemd.h"
#include "cgroup.h"
#include "conf.h"
#include "ctl.h"
#include "identity.h"
#include "state.h"
#include "uid.h"
#include "util.h"

#define ROOT_NOTE                                                        \
	"root is never isolated (pam_tenant.so needs the 'root' module " \
	"argument to opt in)"

struct explain {
	const struct tn_user *user;
	const char *service;
	const struct tn_conf *conf;
	const struct tn_policy *pol;
	const struct tn_cgroup_probe *cg;
	bool isolated;
};

static void
print_diag(const struct tn_diag *diag)
{
	for (unsigned i = 0; i < diag->stored; i++) {
		fputs("tenantctl: ", stderr);
		ctl_print_safe(stderr, diag->msg[i]);
		fputc('\n', stderr);
	}
	if (diag->count > diag->stored)
		fprintf(stderr, "tenantctl: ... and %u more error(s)\n",
		    diag->count - diag->stored);
}

/* Load with diagnostics on stderr; 0 or CTL_EXIT_FAIL. */
int
ctl_load_conf(const struct tn_conf_opts *opts, struct tn_conf **conf)
{
	struct tn_diag diag = { 0 };
	int r;

	r = conf_load(opts, conf, &diag);
	if (r == 0)
		return 0;
	print_diag(&diag);
	if (diag.count == 0)
		fprintf(stderr, "tenantctl: loading the configuration: %s\n",
		    strerror(-r));
	fprintf(stderr, "tenantctl: configuration rejected (%u error(s))\n",
	    diag.count ? diag.count : 1);
	return CTL_EXIT_FAIL;
}

static void host_warn(unsigned *nwarn, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
host_warn(unsigned *nwarn, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fputs("tenantctl: warning: ", stderr);
	ctl_print_safe(stderr, buf);
	fputc('\n', stderr);
	(*nwarn)++;
}

/* The first key that sets a limit, for file:line. */
static bool
limit_set_anywhere(const struct tn_conf *conf, const char **key, const char **file,
    unsigned *line)
{
	static const enum tn_key limits[] = { TN_KEY_MEMORY_MAX, TN_KEY_MEMORY_HIGH,
		TN_KEY_MEMORY_SWAP_MAX, TN_KEY_CPU, TN_KEY_CPU_WEIGHT, TN_KEY_PIDS_MAX,
		TN_KEY_IO_WEIGHT, TN_KEY_IO_MAX };

	for (size_t i = 0; i < N_ELEMENTS(limits); i++)
		if (conf_key_set_anywhere(conf, limits[i], file, line)) {
			*key = conf_key_name(limits[i]);
			return true;
		}
	return false;
}

/* Does the PAM stack of service (and the files it @includes, one level)
 * have a session line naming pam_tenant? */
static bool
stack_has_tenant(const char *service, int depth)
{
	static const char *const dirs[] = { "/etc/pam.d", "/usr/lib/pam.d" };
	char path[300], line[512];
	FILE *f = NULL;
	bool found = false;

	for (size_t i = 0; i < N_ELEMENTS(dirs) && f == NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], service);
		f = fopen(path, "re");
	}
	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char inc[256];
		const char *p = line + strspn(line, " \t");

		if (*p == '#')
			continue;
		if (depth < 2 && sscanf(p, "@include %255s", inc) == 1 &&
		    !strchr(inc, '/'))
			found = stack_has_tenant(inc, depth + 1);
		else if (strncmp(p, "session", 7) == 0 && strstr(p, "pam_tenant"))
			found = true;
	}
	fclose(f);
	return found;
}

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

/* proc.lxcfs = yes: a tenant that starts while lxcfs is not mounted fails
 * (on_error decides).  A look by path: a hint, not a trust decision. */
static void
lxcfs_check(const struct tn_conf *conf, unsigned *nwarn)
{
	const char *file;
	unsigned line;
	struct statfs sfs;

	if (!conf_lxcfs_yes_anywhere(conf, &file, &line) ||
	    (statfs(TN_LXCFS_DIR, &sfs) == 0 && sfs.f_type == FUSE_SUPER_MAGIC))
		return;
	host_warn(nwarn,
	    "%s:%u: proc.lxcfs = yes, but lxcfs is not mounted at " TN_LXCFS_DIR
	    " (%s): tenants it applies to fail to start, on_error decides",
	    file, line,
	    access("/usr/bin/lxcfs", X_OK) == 0 ? "installed, not running: start it"
	                                        : "not installed: apt install lxcfs");
}

/* A read-only tmpfs of its own at the state directory is what a tenant's
 * marker looks like (state_tenant_marker); on the host, one without a
 * valid marker makes the module refuse every login, root's included.
 * (Only root sees into the state directory, as the module does.) */
static bool
state_dir_check(void)
{
	struct tn_err err = { 0 };
	uid_t owner;

	if (geteuid() != 0 || state_tenant_marker(&owner, &err) >= 0)
		return true;
	fputs("tenantctl: cannot tell whether this is inside a tenant: ", stderr);
	ctl_print_safe(stderr, err.msg);
	fprintf(stderr,
	    "; pam_tenant refuses every login it runs for, root's included, until %s "
	    "is a plain directory again (unmount what is mounted there)\n",
	    TN_STATE_DIR);
	return false;
}

/* What this host makes of the configuration (docs/architecture.md,
 * decision 17): errors (false) where no login with it can work here,
 * warnings (counted) where a setting is ignored or will not hold. */
static bool
host_check(const struct tn_conf *conf, unsigned *nwarn)
{
	struct tn_cgroup_probe cg;
	struct tn_err err = { 0 };
	const char *file, *key;
	unsigned line;

	if (!state_dir_check())
		return false;
	lxcfs_check(conf, nwarn);
	if (!sd_host()) {
		cgroup_probe(&cg);
		if (!cg.usable && limit_set_anywhere(conf, &key, &file, &line))
			host_warn(nwarn,
			    "%s:%u: %s is set, but this host has no usable cgroup v2 "
			    "hierarchy (%s): logins with limits are refused (cgroup = required) "
			    "or get none (cgroup = optional)",
			    file, line, key, cg.why);
		return true;
	}
	/* lxcfs reads the cgroup of the tenant's PID 1 (decision 22). */
	if (conf_lxcfs_yes_anywhere(conf, &file, &line))
		host_warn(nwarn,
		    "%s:%u: proc.lxcfs = yes shows the tenant's uptime only on this "
		    "systemd host, the host's memory and CPUs: lxcfs reads tenant-init's "
		    "cgroup, a scope of its own outside the user's slice",
		    file, line);
	/* systemd owns /sys/fs/cgroup here: the subtree is never used. */
	if (conf_key_set_anywhere(conf, TN_KEY_CGROUP_ROOT, &file, &line))
		host_warn(nwarn,
		    "%s:%u: cgroup.root is ignored on this systemd host: systemd "
		    "owns the cgroup tree, limits become properties of user-UID.slice",
		    file, line);
	/* Every isolated login needs it (the tenant's own scope). */
	if (sd_plugin(&err) == NULL) {
		fprintf(stderr,
		    "tenantctl: this is a systemd host, but the systemd backend "
		    "cannot be loaded: ");
		ctl_print_safe(stderr, err.msg);
		fprintf(stderr, "; every isolated login fails (on_error decides)\n");
		return false;
	}
	struct tn_identity id = { .uid = 65534, .user = "", .service = "systemd-user" };
	struct tn_policy pol;

	conf_resolve(conf, &id, &pol);
	if (pol.isolate && stack_has_tenant("systemd-user", 0))
		host_warn(nwarn,
		    "the systemd-user PAM stack runs pam_tenant and the "
		    "configuration isolates it: user@UID.service cannot start (status "
		    "203/EXEC) and systemctl --user fails; add [service systemd-user] "
		    "isolate = no");
	return true;
}

/* Does NSS know the name?  Only a definite "no such entry" says no: an
 * NSS failure (LDAP down) is not worth a false warning. */
static bool
nss_knows(bool is_user, const char *name)
{
	char *end;

	/* "#GID": a gid with no name; it applies while that gid has none. */
	if (!is_user && name[0] == '#' && name[1] >= '0' && name[1] <= '9') {
		unsigned long gid = strtoul(name + 1, &end, 10);

		errno = 0;
		return *end == '\0' && gid < (gid_t)-1 && getgrgid((gid_t)gid) == NULL &&
		    errno == 0;
	}
	errno = 0;
	if (is_user ? getpwnam(name) != NULL : getgrnam(name) != NULL)
		return true;
	return errno != 0 && errno != ENOENT && errno != ESRCH && errno != EBADF &&
	    errno != EPERM;
}

/* Warnings never change the exit status (tenantctl(8)). */
static unsigned
print_warnings(const struct tn_conf *conf)
{
	struct tn_diag warn = { 0 };

	conf_lint(conf, nss_knows, &warn);
	for (unsigned i = 0; i < warn.stored; i++) {
		fputs("tenantctl: warning: ", stderr);
		ctl_print_safe(stderr, warn.msg[i]);
		fputc('\n', stderr);
	}
	if (warn.count > warn.stored)
		fprintf(stderr, "tenantctl: ... and %u more warning(s)\n",
		    warn.count - warn.stored);
	return warn.count;
}

int
cmd_check(int argc, char **argv)
{
	struct tn_conf_opts opts = { .trusted_owner = 0 };
	struct tn_conf *conf = NULL;
	int i = 1;

	for (int j = 1; j < argc && strcmp(argv[j], "--") != 0; j++)
		if (strcmp(argv[j], "--pam") == 0)
			return cmd_check_pam(argc, argv); /* ctl-pam.c */
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	else if (i < argc && argv[i][0] == '-' && argv[i][1] != '\0') {
		fprintf(stderr, "tenantctl: check: unknown option '");
		ctl_print_safe(stderr, argv[i]);
		fprintf(stderr, "'\nusage: tenantctl check [FILE]\n");
		return CTL_EXIT_USAGE;
	}
	if (argc - i > 1) {
		fprintf(stderr, "usage: tenantctl check [FILE]\n");
		return CTL_EXIT_USAGE;
	}
	if (i < argc)
		opts.main_path = argv[i]; /* that file alone */
	unsigned nwarn = 0;

	if (ctl_load_conf(&opts, &conf) != 0)
		return CTL_EXIT_FAIL;
	if (!host_check(conf, &nwarn)) {
		conf_free(conf);
		return CTL_EXIT_FAIL;
	}
	nwarn += print_warnings(conf);
	if (nwarn)
		printf("tenantctl: %u file(s) OK, %u warning(s)\n", conf_file_count(conf),
		    nwarn);
	else
		printf("tenantctl: %u file(s) OK\n", conf_file_count(conf));
	conf_free(conf);
	return CTL_EXIT_OK;
}

/* Is word in the space-separated list? */
static bool
has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/* Controllers the policy needs that the host does not offer. */
static void
missing_controllers(const struct explain *e, char *buf, size_t len)
{
	const struct tn_policy *p = e->pol;
	const struct {
		const char *name;
		bool needed;
	} want[] = {
		{ "memory",
		    p->limits.memory_max != TN_UNLIMITED ||
		        p->limits.memory_high != TN_UNLIMITED ||
		        p->limits.memory_swap_max != TN_UNLIMITED },
		{ "cpu", p->limits.cpu_percent != 0 || p->limits.cpu_weight != 0 },
		{ "pids", p->limits.pids_max != TN_UNLIMITED },
		{ "io", p->limits.io_weight != 0 || p->limits.io_max_count != 0 },
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_ELEMENTS(want); i++) {
		int r;

		if (!want[i].needed || has_word(e->cg->controllers, want[i].name))
			continue;
		r = snprintf(buf + off, len - off, "%s%s", off ? " " : "", want[i].name);
		if (r < 0 || (size_t)r >= len - off)
			return;
		off += (size_t)r;
	}
}

/* The quotas verdict: one line for the host, one for this user. */
static void
quota_text(const struct explain *e, char *host, size_t hlen, char *user, size_t ulen)
{
	bool limits = conf_policy_has_limits(e->pol);
	bool required = e->pol->cgroup == TN_CGROUP_REQUIRED;
	char missing[64];

	user[0] = '\0';
	if (!e->cg->usable) {
		snprintf(host, hlen,
		    "quotas: unavailable on this host (%s); memory/cpu/pids/io "
		    "keys are accepted but not applied; with cgroup = required "
		    "and a limit set, logins are denied",
		    e->cg->why);
	} else {
		missing_controllers(e, missing, sizeof(missing));
		if (missing[0] == '\0')
			snprintf(host, hlen,
			    "quotas: available (cgroup v2 controllers: %s)",
			    e->cg->controllers);
		else
			snprintf(host, hlen,
			    "quotas: cgroup v2 is missing the controller(s) "
			    "this policy needs: %s (available: %s)",
			    missing, e->cg->controllers);
		if (missing[0] == '\0')
			return;
	}
	if (!e->isolated || !limits)
		return;
	if (required)
		snprintf(user, ulen,
		    "this user has limits set and cgroup = required: their "
		    "logins are denied on this host");
	else
		snprintf(user, ulen,
		    "this user has limits set and cgroup = optional: their "
		    "logins go ahead without quotas (logged and audited)");
}

static const char *
not_isolated_reason(const struct explain *e)
{
	if (e->user->uid == 0)
		return ROOT_NOTE;
	if (!e->isolated)
		return "isolate = no";
	return NULL;
}

static void
origin_text(const struct tn_origin *o, char *buf, size_t len)
{
	if (o->file == NULL)
		snprintf(buf, len, "built-in default");
	else
		snprintf(buf, len, "from %s:%u", o->file, o->line);
}

/* One key's value as config text (or, with line, the whole "key = value"
 * line); says so on stderr if it cannot. */
static int
format_key(const struct explain *e, enum tn_key k, bool line, char *val, size_t len)
{
	if ((line ? conf_format_setting(e->pol, k, val, len)
	          : conf_format_value(e->pol, k, val, len)) == 0)
		return 0;
	fprintf(stderr, "tenantctl: explain: cannot format %s\n", conf_key_name(k));
	return -1;
}

static int
explain_text(const struct explain *e)
{
	char val[2048], from[1024], host[768], user[256];
	const char *why = not_isolated_reason(e);

	printf("# tenantctl explain: the resolved policy, as config text\n");
	printf("# user:     ");
	ctl_print_safe(stdout, e->user->name);
	printf(" (uid %u)\n# groups:  ", (unsigned)e->user->uid);
	for (size_t i = 0; i < e->user->ngroups; i++) {
		putchar(' ');
		ctl_print_safe(stdout, e->user->groups[i]);
	}
	printf("\n# service:  ");
	if (e->service)
		ctl_print_safe(stdout, e->service);
	else
		printf("(none given: [service] sections not applied)");
	printf("\n# isolated: %s%s%s\n", e->isolated ? "yes" : "no", why ? ": " : "",
	    why ? why : "");
	printf("[default]\n");
	for (int k = 0; k < TN_KEY__COUNT; k++) {
		if (format_key(e, (enum tn_key)k, true, val, sizeof(val)) < 0)
			return CTL_EXIT_FAIL;
		origin_text(&e->pol->origin[k], from, sizeof(from));
		printf("%s   # ", val);
		ctl_print_safe(stdout, from);
		putchar('\n');
	}
	quota_text(e, host, sizeof(host), user, sizeof(user));
	printf("# %s\n", host);
	if (user[0])
		printf("# %s\n", user);
	return CTL_EXIT_OK;
}

static int
explain_json(const struct explain *e)
{
	char val[2048], host[768], user[256];
	const char *why = not_isolated_reason(e);

	printf("{\"user\":");
	ctl_json_string(stdout, e->user->name);
	printf(",\"uid\":%u,\"groups\":[", (unsigned)e->user->uid);
	for (size_t i = 0; i < e->user->ngroups; i++) {
		if (i)
			putchar(',');
		ctl_json_string(stdout, e->user->groups[i]);
	}
	printf("],\"service\":");
	ctl_json_string(stdout, e->service);
	printf(",\"isolated\":%s,\"not_isolated_because\":",
	    e->isolated ? "true" : "false");
	ctl_json_string(stdout, why);
	printf(",\"policy\":{");
	for (int k = 0; k < TN_KEY__COUNT; k++) {
		const struct tn_origin *o = &e->pol->origin[k];

		if (format_key(e, (enum tn_key)k, false, val, sizeof(val)) < 0)
			return CTL_EXIT_FAIL;
		printf("%s\"%s\":{\"value\":", k ? "," : "",
		    conf_key_name((enum tn_key)k));
		ctl_json_string(stdout, val);
		printf(",\"file\":");
		ctl_json_string(stdout, o->file);
		if (o->file)
			printf(",\"line\":%u}", o->line);
		else
			printf(",\"line\":null}");
	}
	quota_text(e, host, sizeof(host), user, sizeof(user));
	printf("},\"quotas\":{\"usable\":%s,\"controllers\":",
	    e->cg->usable ? "true" : "false");
	ctl_json_string(stdout, e->cg->usable ? e->cg->controllers : NULL);
	printf(",\"why\":");
	ctl_json_string(stdout, e->cg->usable ? NULL : e->cg->why);
	printf(",\"has_limits\":%s,\"message\":",
	    conf_policy_has_limits(e->pol) ? "true" : "false");
	ctl_json_string(stdout, host);
	printf(",\"user_note\":");
	ctl_json_string(stdout, user[0] ? user : NULL);
	printf("}}\n");
	return CTL_EXIT_OK;
}

static int
explain_usage(void)
{
	fprintf(stderr,
	    "usage: tenantctl explain USER [--service S] "
	    "[--config FILE] [--json]\n");
	return CTL_EXIT_USAGE;
}

/* A user name, or a numeric uid when no user has that name. */
static int
find_user(const char *arg, struct tn_user *u)
{
	struct tn_err err = { 0 };
	uid_t uid;
	int r;

	r = identity_by_name(arg, u, &err);
	if (r == -ENOENT && parse_uid(arg, &uid) == 0)
		r = identity_by_uid(uid, u, &err);
	if (r == 0)
		return 0;
	fputs("tenantctl: explain: ", stderr);
	ctl_print_safe(stderr, err.msg);
	fputc('\n', stderr);
	return r == -ENOENT ? CTL_EXIT_USAGE : CTL_EXIT_FAIL;
}

int
cmd_explain(int argc, char **argv)
{
	struct tn_conf_opts opts = { .trusted_owner = 0 };
	const char *name = NULL, *service = NULL;
	struct tn_cgroup_probe cg;
	struct tn_conf *conf = NULL;
	struct tn_user u = { 0 };
	struct tn_policy pol;
	struct tn_identity id;
	struct explain e;
	bool json = false, opts_done = false;
	int r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts_done && strcmp(a, "--") == 0)
			opts_done = true;
		else if (!opts_done && strcmp(a, "--json") == 0)
			json = true;
		else if (!opts_done && strcmp(a, "--service") == 0 && i + 1 < argc)
			service = argv[++i];
		else if (!opts_done && strncmp(a, "--service=", 10) == 0)
			service = a + 10;
		else if (!opts_done && strcmp(a, "--config") == 0 && i + 1 < argc)
			opts.main_path = argv[++i];
		else if (!opts_done && strncmp(a, "--config=", 9) == 0)
			opts.main_path = a + 9;
		else if (!opts_done && a[0] == '-' && a[1] != '\0')
			return explain_usage();
		else if (name == NULL)
			name = a;
		else
			return explain_usage();
	}
	if (name == NULL || (service != NULL && service[0] == '\0'))
		return explain_usage();
	if ((r = find_user(name, &u)) != 0)
		return r;
	if ((r = ctl_load_conf(&opts, &conf)) != 0) {
		identity_free(&u);
		return r;
	}
	id = (struct tn_identity){
		.uid = u.uid,
		.user = u.name,
		.groups = (const char *const *)u.groups,
		.ngroups = u.ngroups,
		.service = service,
	};
	conf_resolve(conf, &id, &pol);
	cgroup_probe(&cg);
	e = (struct explain){
		.user = &u,
		.service = service,
		.conf = conf,
		.pol = &pol,
		.cg = &cg,
		.isolated = u.uid != 0 && pol.isolate,
	};
	r = json ? explain_json(&e) : explain_text(&e);
	conf_free(conf);
	identity_free(&u);
	return r;
}
