/* tenantctl check --pam: which PAM services open sessions, and does each
 * one run pam_tenant in its session phase, with which control, in the
 * right place?  A service that opens sessions without pam_tenant and is
 * not exempted by the configuration leaves its users unisolated. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "pamstack.h"
#include "util.h"

#define PAM_DIR_DEFAULT "/etc/pam.d"
#define PAM_DIST_DIR_DEFAULT "/usr/lib/pam.d"
#define MAX_SERVICES 512
#define MAX_WARNINGS 8

enum svc_status { SVC_ISOLATED, SVC_EXEMPT, SVC_UNISOLATED };

static const char *const status_names[] = { "isolated", "exempt", "unisolated" };

struct svc_report {
	char name[256];
	enum svc_status status;
	struct pam_stack stack;
	int tenant, systemd, loginuid, namespace; /* line indexes, -1 if absent */
	bool config_exempts;
	char warn[MAX_WARNINGS][384];
	unsigned nwarn;
};

struct pam_opts {
	const char *pam_dir, *dist_dir, *config;
	bool json;
};

static void __attribute__((format(printf, 2, 3)))
add_warning(struct svc_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nwarn >= MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(r->warn[r->nwarn++], sizeof(r->warn[0]), fmt, ap);
	va_end(ap);
}

/* Backup copies are not services a program asks PAM for. */
static bool
service_name_ok(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 0 && name[n - 1] != '~' &&
	    strstr(name, ".dpkg-") == NULL && strstr(name, ".ucf-") == NULL &&
	    strcmp(name + (n > 4 ? n - 4 : 0), ".bak") != 0;
}

/* Does the stack do anything in its session phase?  Only pam_permit
 * (or pam_deny) lines open no session worth isolating. */
static bool
opens_sessions(const struct pam_stack *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->lines[i].module, "pam_permit.so") != 0 &&
		    strcmp(s->lines[i].module, "pam_deny.so") != 0)
			return true;
	return false;
}

static const char *
where(const struct pam_stack *s, int i, char *buf, size_t len)
{
	char file[4 * sizeof(s->lines[0].file)];

	snprintf(buf, len, "%s:%u", ctl_safe(file, sizeof(file), s->lines[i].file),
	    s->lines[i].line);
	return buf;
}

static bool
isolates(const struct tn_conf *conf, const char *service)
{
	struct tn_identity id = { .uid = 65534, .user = "", .service = service };
	struct tn_policy pol;

	conf_resolve(conf, &id, &pol);
	return pol.isolate;
}

/* Where pam_tenant sits and what that means; warnings, never the status. */
static void
judge_position(struct svc_report *r)
{
	const struct pam_stack *s = &r->stack;
	const struct pam_session_line *t = &s->lines[r->tenant];
	char a[320], b[320], ctl[4 * sizeof(t->control)];
	const char *how;
	int skip;

	where(s, r->tenant, a, sizeof(a));
	if (strcmp(t->control, "required") != 0 && strcmp(t->control, "requisite") != 0)
		add_warning(r,
		    "pam_tenant (%s) has control '%s': a login pam_tenant refuses "
		    "goes ahead unisolated; use 'required'",
		    a, ctl_safe(ctl, sizeof(ctl), t->control));
	if (t->dash)
		add_warning(r,
		    "pam_tenant (%s) is a '-session' line: if pam_tenant.so is "
		    "missing, logins go ahead unisolated without a word",
		    a);
	skip = pamstack_skipper(s, r->tenant, &how);
	if (skip >= 0)
		add_warning(r,
		    "pam_tenant (%s) can be skipped: '%s' at %s %s; logins "
		    "on that path go ahead unisolated",
		    a, ctl_safe(ctl, sizeof(ctl), s->lines[skip].control),
		    where(s, skip, b, sizeof(b)),
		    strcmp(how, "done") == 0 ? "ends the session stack before it"
		                             : "jumps over it");
	if (r->systemd > r->tenant)
		add_warning(r,
		    "pam_tenant (%s) comes before pam_systemd (%s): on a systemd "
		    "host the login is not in its session scope yet; move pam_tenant after it",
		    a, where(s, r->systemd, b, sizeof(b)));
	if (r->loginuid > r->tenant)
		add_warning(r,
		    "pam_tenant (%s) comes before pam_loginuid (%s): modules that "
		    "use /proc/self belong before pam_tenant",
		    a, where(s, r->loginuid, b, sizeof(b)));
	if (r->namespace >= 0)
		add_warning(r,
		    "pam_namespace is also stacked (%s): its polyinstantiated "
		    "directories and pam_tenant's private /tmp contend for the same mounts",
		    where(s, r->namespace, b, sizeof(b)));
}

static void
judge(struct svc_report *r, const struct tn_conf *conf)
{
	const struct pam_stack *s = &r->stack;
	char name[4 * sizeof(s->missing)];

	r->tenant = pamstack_find(s, "pam_tenant.so");
	r->systemd = pamstack_find(s, "pam_systemd.so");
	r->loginuid = pamstack_find(s, "pam_loginuid.so");
	r->namespace = pamstack_find(s, "pam_namespace.so");
	r->config_exempts = !isolates(conf, r->name);
	if (s->missing[0])
		add_warning(r, "includes '%s', which cannot be read",
		    ctl_safe(name, sizeof(name), s->missing));
	if (s->too_deep[0])
		add_warning(r, "includes nested too deep at '%s'; not followed",
		    ctl_safe(name, sizeof(name), s->too_deep));
	if (s->truncated)
		add_warning(r, "more than %d session lines; the rest not checked",
		    PAMSTACK_MAX_LINES);
	if (r->tenant >= 0)
		judge_position(r);
	if (r->config_exempts)
		r->status = SVC_EXEMPT;
	else
		r->status = r->tenant >= 0 ? SVC_ISOLATED : SVC_UNISOLATED;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct svc_report *)a)->name,
	    ((const struct svc_report *)b)->name);
}

/* Files only ever included, never asked for by a program: Debian's
 * common-*, Red Hat's system-auth family, Arch's system-*-login. */
static bool
is_fragment(const char *name)
{
	static const char *const names[] = { "system-auth", "password-auth",
		"smartcard-auth", "fingerprint-auth", "postlogin", "system-login",
		"system-local-login", "system-remote-login", "system-services" };

	if (strncmp(name, "common-", 7) == 0)
		return true;
	for (size_t i = 0; i < N_ELEMENTS(names); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* The services in directory fd but the fragments and the names that
 * exist in hide_fd (a file in the admin's directory, session-opening or
 * not, hides the distribution's, as in Linux-PAM). */
static int
collect_dir(int fd, int hide_fd, const struct pam_dirs *dirs, const struct tn_conf *conf,
    struct svc_report *reps, size_t *n)
{
	struct dirent *de;
	DIR *d = fdopendir(fd);

	if (d == NULL) {
		int e = errno;

		close(fd);
		return -e;
	}
	while ((de = readdir(d)) != NULL && *n < MAX_SERVICES) {
		struct svc_report *r = &reps[*n];
		size_t len = strlen(de->d_name);

		if ((hide_fd >= 0 && faccessat(hide_fd, de->d_name, F_OK, 0) == 0) ||
		    !service_name_ok(de->d_name) || is_fragment(de->d_name) ||
		    len >= sizeof(r->name) ||
		    pamstack_session(dirs, de->d_name, &r->stack, NULL) < 0 ||
		    !opens_sessions(&r->stack))
			continue;
		memcpy(r->name, de->d_name, len + 1);
		judge(r, conf);
		++*n;
	}
	closedir(d);
	return 0;
}

/* Every session-opening service Linux-PAM can find, but the fragments. */
static int
collect(const struct pam_dirs *dirs, const struct tn_conf *conf, struct svc_report **out,
    size_t *count)
{
	struct svc_report *reps = calloc(MAX_SERVICES, sizeof(*reps));
	size_t n = 0;
	int r = -ENOMEM;

	if (reps != NULL)
		r = collect_dir(
		    openat(dirs->admin_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), -1,
		    dirs, conf, reps, &n);
	if (r == 0 && dirs->dist_fd >= 0)
		r = collect_dir(
		    openat(dirs->dist_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC),
		    dirs->admin_fd, dirs, conf, reps, &n);
	if (r < 0) {
		free(reps);
		return r;
	}
	qsort(reps, n, sizeof(*reps), by_name);
	*out = reps;
	*count = n;
	return 0;
}

static void
json_line(const struct pam_stack *s, int i)
{
	if (i < 0) {
		fputs("null", stdout);
		return;
	}
	printf("{\"file\":");
	ctl_json_string(stdout, s->lines[i].file);
	printf(",\"line\":%u,\"control\":", s->lines[i].line);
	ctl_json_string(stdout, s->lines[i].control);
	printf(",\"optional_if_missing\":%s,\"index\":%d}",
	    s->lines[i].dash ? "true" : "false", i);
}

static void
print_json(const char *dir, const struct svc_report *reps, size_t n, unsigned unisolated)
{
	printf("{\"pam_dir\":");
	ctl_json_string(stdout, dir);
	printf(",\"services\":[");
	for (size_t i = 0; i < n; i++) {
		const struct svc_report *r = &reps[i];

		printf("%s{\"service\":", i ? "," : "");
		ctl_json_string(stdout, r->name);
		printf(",\"status\":\"%s\",\"config_exempts\":%s,\"pam_tenant\":",
		    status_names[r->status], r->config_exempts ? "true" : "false");
		json_line(&r->stack, r->tenant);
		printf(",\"pam_systemd\":");
		json_line(&r->stack, r->systemd);
		printf(",\"pam_loginuid\":");
		json_line(&r->stack, r->loginuid);
		printf(",\"pam_namespace\":");
		json_line(&r->stack, r->namespace);
		printf(",\"warnings\":[");
		for (unsigned w = 0; w < r->nwarn; w++) {
			if (w)
				putchar(',');
			ctl_json_string(stdout, r->warn[w]);
		}
		printf("]}");
	}
	printf("],\"unisolated\":%u}\n", unisolated);
}

static void
print_text(const char *dir, const struct svc_report *reps, size_t n, unsigned counts[3])
{
	char name[4 * 256], ctl[4 * 128], at[320];

	printf("%-28s %-10s %-24s %s\n", "SERVICE", "STATUS", "CONTROL", "PAM_TENANT");
	for (size_t i = 0; i < n; i++) {
		const struct svc_report *r = &reps[i];
		bool t = r->tenant >= 0;

		printf("%-28s %-10s %-24s %s\n", ctl_safe(name, sizeof(name), r->name),
		    status_names[r->status],
		    t ? ctl_safe(ctl, sizeof(ctl), r->stack.lines[r->tenant].control)
		      : "-",
		    t ? where(&r->stack, r->tenant, at, sizeof(at)) : "-");
	}
	for (size_t i = 0; i < n; i++) {
		const struct svc_report *r = &reps[i];

		ctl_safe(name, sizeof(name), r->name);
		for (unsigned w = 0; w < r->nwarn; w++)
			fprintf(stderr, "tenantctl: warning: %s: %s\n", name, r->warn[w]);
		if (r->status == SVC_UNISOLATED)
			fprintf(stderr,
			    "tenantctl: %s: opens sessions without pam_tenant, and the "
			    "configuration does not exempt it ([service %s] isolate = no)\n",
			    name, name);
	}
	ctl_safe(name, sizeof(name), dir);
	printf("tenantctl: %zu session-opening service(s) in %s: %u isolated, %u exempt, "
	       "%u unisolated\n",
	    n, name, counts[SVC_ISOLATED], counts[SVC_EXEMPT], counts[SVC_UNISOLATED]);
}

static int
pam_usage(const char *arg)
{
	if (arg) {
		fprintf(stderr, "tenantctl: check: %s '",
		    arg[0] == '-' ? "unknown option" : "unexpected argument");
		ctl_print_safe(stderr, arg);
		fprintf(stderr, "'\n");
	}
	fprintf(stderr,
	    "usage: tenantctl check --pam [--pam-dir DIR [--pam-dist-dir DIR]] "
	    "[--json] [FILE]\n");
	return CTL_EXIT_USAGE;
}

int
cmd_check_pam(int argc, char **argv)
{
	struct pam_opts o = { .pam_dir = PAM_DIR_DEFAULT };
	struct pam_dirs dirs;
	bool dir_given = false;
	struct tn_conf_opts copts = { .trusted_owner = 0 };
	struct tn_conf *conf = NULL;
	struct svc_report *reps = NULL;
	unsigned counts[3] = { 0 };
	bool opts_done = false;
	size_t n = 0;
	int r;

	for (int i = 1; i < argc; i++) {
		if (!opts_done && strcmp(argv[i], "--") == 0)
			opts_done = true;
		else if (!opts_done && strcmp(argv[i], "--pam") == 0)
			continue;
		else if (!opts_done && strcmp(argv[i], "--json") == 0)
			o.json = true;
		else if (!opts_done && strcmp(argv[i], "--pam-dir") == 0 &&
		    i + 1 < argc) {
			o.pam_dir = argv[++i];
			dir_given = true;
		} else if (!opts_done && strcmp(argv[i], "--pam-dist-dir") == 0 &&
		    i + 1 < argc)
			o.dist_dir = argv[++i];
		else if (o.config == NULL && (opts_done || argv[i][0] != '-'))
			o.config = argv[i];
		else
			return pam_usage(argv[i]);
	}
	copts.main_path = o.config;
	if (ctl_load_conf(&copts, &conf) != 0)
		return CTL_EXIT_FAIL;
	/* The distribution's directory goes with the default one only: a
	 * --pam-dir tree is checked on its own unless one is named for it. */
	if (o.dist_dir == NULL && !dir_given)
		o.dist_dir = PAM_DIST_DIR_DEFAULT;
	dirs.dist_path = o.dist_dir;
	dirs.dist_fd =
	    o.dist_dir ? open(o.dist_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	dirs.admin_fd = open(o.pam_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = dirs.admin_fd < 0 ? -errno : collect(&dirs, conf, &reps, &n);
	if (dirs.admin_fd >= 0)
		close(dirs.admin_fd);
	if (dirs.dist_fd >= 0)
		close(dirs.dist_fd);
	conf_free(conf);
	if (r < 0) {
		fprintf(stderr, "tenantctl: ");
		ctl_print_safe(stderr, o.pam_dir);
		fprintf(stderr, ": %s\n", strerror(-r));
		return CTL_EXIT_FAIL;
	}
	for (size_t i = 0; i < n; i++)
		counts[reps[i].status]++;
	if (o.json)
		print_json(o.pam_dir, reps, n, counts[SVC_UNISOLATED]);
	else
		print_text(o.pam_dir, reps, n, counts);
	free(reps);
	return counts[SVC_UNISOLATED] ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
