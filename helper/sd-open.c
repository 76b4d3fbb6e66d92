/* The helper on a systemd host (docs/architecture.md, "cgroups on a
 * systemd host"): the login stays in the unit logind (or whoever) put it
 * in when that unit is in user-UID.slice, else it gets a transient scope
 * there; the configured limits become runtime properties of the user's
 * slice (scope = user) or of the login's unit (scope = session) and are
 * read back from the cgroup files; the keeper gets a scope of its own in
 * system.slice.  Nothing is written under /sys/fs/cgroup.  A joining
 * login whose limits are in place makes no D-Bus call at all. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cgroup-systemd.h"
#include "cgroup.h"
#include "helper.h"
#include "util.h"

#define DEFAULT_BUDGET_MS 10000
#define ANSWER_MARGIN_MS 500 /* left for our answer to the module */
#define MIN_BUDGET_MS 300

static struct {
	const struct tn_sd_ops *ops;
	struct tn_sd_bus *bus;
	uint64_t deadline;
} sd;

static uint64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void
sd_helper_begin(uint32_t timeout_ms)
{
	uint64_t budget = timeout_ms ? timeout_ms : DEFAULT_BUDGET_MS;

	budget = budget > ANSWER_MARGIN_MS + MIN_BUDGET_MS ? budget - ANSWER_MARGIN_MS
							   : MIN_BUDGET_MS;
	sd.deadline = now_usec() + budget * 1000;
}

void
sd_helper_end(void)
{
	if (sd.ops && sd.bus)
		sd.ops->close(sd.bus);
	sd.bus = NULL;
}

static int
plugin(struct tn_err *err)
{
	if (sd.ops)
		return 0;
	sd.ops = sd_plugin(err);
	if (sd.ops == NULL)
		return -1;
	if (sd.ops->booted() <= 0) {
		sd.ops = NULL;
		return err_set(err, ENOTSUP, "/run/systemd/system exists but systemd is not PID 1");
	}
	return 0;
}

/* The bus, connected on first use only. */
static int
bus(struct tn_err *err)
{
	if (sd.bus)
		return 0;
	return sd.ops->open(&sd.bus, sd.deadline, err);
}

/* path up to and including the component `name`; -ENOENT if absent. */
static int
cut_after(const char *path, const char *name, char *out, size_t len)
{
	size_t n = strlen(name);

	for (const char *p = path; (p = strchr(p, '/')) != NULL; p++)
		if (strncmp(p + 1, name, n) == 0 && (p[n + 1] == '/' || p[n + 1] == '\0'))
			return snprintf(out, len, "%.*s", (int)(p + 1 + n - path), path) <
			    (int)len ? 0 : -ENAMETOOLONG;
	return -ENOENT;
}

/* Set props on unit and read them back from dir; the reply of
 * SetUnitProperties means applied, a short re-read guards anyway. */
static int
apply(const char *unit, const char *cg, const struct tn_policy *pol,
    const struct tn_sd_prop *props, size_t n, struct tn_err *err)
{
	_cleanup_close_ int dir = sd_cgroup_open(cg);
	const char *prop = NULL;
	char why[300];
	int r;

	if (dir < 0)
		return err_set(err, -dir, "cgroup %s of %s: %s", cg, unit, strerror(-dir));
	r = sd_limits_hold(dir, pol, why, sizeof(why), &prop);
	if (r == 1)
		return 0; /* in place: no bus call */
	/* Our runtime drop-in is there, yet the value is not ours: a drop-in
	 * sorting after it won at the last daemon-reload (an admin's, most
	 * likely).  Setting it again would only hold until the next reload:
	 * report it instead, the policy decides. */
	if (r == 0 && prop && sd_runtime_dropin(unit, prop))
		return err_set(err, EPERM, "%s: %s: overridden by a drop-in sorting after "
		    "50-%s.conf", unit, why, prop);
	if (bus(err) < 0 || sd.ops->set_properties(sd.bus, unit, props, n, err) < 0)
		return -1;
	for (int i = 0; i < 10; i++) {
		struct timespec pause = {0, 20 * 1000 * 1000};

		r = sd_limits_hold(dir, pol, why, sizeof(why), NULL);
		if (r != 0)
			break;
		nanosleep(&pause, NULL);
	}
	if (r == 1)
		return 0;
	if (r < 0)
		return err_set(err, -r, "%s: read back: %s", unit, strerror(-r));
	return err_set(err, EIO, "%s: %s after SetUnitProperties", unit, why);
}

int
sd_session_setup(const struct tn_policy *pol, uid_t uid, const char *cookie,
    pid_t login, struct sd_session *out, struct tn_err *err)
{
	struct tn_sd_prop props[TN_SD_MAX_PROPS];
	struct tn_sd_place pl;
	char slice[64], name[128], desc[128];
	bool limits = conf_policy_has_limits(pol), session = pol->scope == TN_SCOPE_SESSION;
	size_t n = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (plugin(err) < 0 || sd_props(pol, props, &n, err) < 0 ||
	    sd.ops->where(login, &pl, err) < 0)
		return -1;
	snprintf(slice, sizeof(slice), "user-%u.slice", (unsigned)uid);
	if (strcmp(pl.slice, slice) != 0) {
		/* cron, su from another user's session, no pam_systemd: a
		 * scope of its own in the user's slice (limits included
		 * for scope = session). */
		snprintf(name, sizeof(name), "pam_tenant-session-%s.scope", cookie);
		snprintf(desc, sizeof(desc), "pam_tenant login of uid %u", (unsigned)uid);
		struct tn_sd_scope s = {.name = name, .slice = slice, .description = desc,
		    .pid = login, .props = session ? props : NULL, .nprops = session ? n : 0};
		if (bus(err) < 0 || sd.ops->start_scope(sd.bus, &s, err) < 0 ||
		    sd.ops->where(login, &pl, err) < 0)
			return -1;
		if (strcmp(pl.unit, name) != 0)
			return err_set(err, EIO, "login process %d is in %s, not in %s", (int)login,
			    pl.cgroup, name);
	}
	if (!pl.unit[0])
		return err_set(err, ENOENT, "login process %d is in no unit (%s)", (int)login,
		    pl.cgroup);
	str_copy(out->unit, sizeof(out->unit), pl.unit);
	if ((r = cut_after(pl.cgroup, slice, out->slice_cg, sizeof(out->slice_cg))) < 0 ||
	    (r = cut_after(pl.cgroup, pl.unit, out->unit_cg, sizeof(out->unit_cg))) < 0)
		return err_set(err, -r, "cannot find %s and %s in cgroup %s", slice, pl.unit,
		    pl.cgroup);
	if (limits && !session)
		r = apply(slice, out->slice_cg, pol, props, n, err);
	else if (limits)
		r = apply(pl.unit, out->unit_cg, pol, props, n, err);
	return r < 0 ? -1 : 0;
}

int
sd_keeper_scope(pid_t keeper, const char *key, uid_t uid, struct tn_err *err)
{
	char name[128], desc[128], cg[512], tail[140];
	struct tn_sd_scope s = {.name = name, .slice = "system.slice",
	    .description = desc, .pid = keeper};
	int r;

	sd_keeper_unit(name, sizeof(name), key);
	snprintf(desc, sizeof(desc), "pam_tenant tenant %s (uid %u)", key, (unsigned)uid);
	if (plugin(err) < 0 || bus(err) < 0 || sd.ops->start_scope(sd.bus, &s, err) < 0)
		return -1;
	/* The keeper is our unreaped (stopped) child: its pid is its own. */
	r = cg_proc_path(keeper, true, cg, sizeof(cg));
	snprintf(tail, sizeof(tail), "/%s", name);
	if (r < 0 || strlen(cg) < strlen(tail) || strcmp(cg + strlen(cg) - strlen(tail), tail) != 0)
		return err_set(err, EIO, "keeper %d is in cgroup %s, not in %s", (int)keeper,
		    r < 0 ? strerror(-r) : cg, name);
	return 0;
}
