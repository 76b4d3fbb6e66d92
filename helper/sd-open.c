/* The helper on a systemd host (docs/architecture.md, "cgroups on a
 * systemd host"): the login stays in the unit logind (or whoever) put it
 * in when that unit is in user-UID.slice, else it gets a transient scope
 * there; the configured limits become runtime properties of the user's
 * slice (scope = user) or of the login's unit (scope = session) and are
 * read back from the cgroup files; the keeper gets a scope of its own in
 * system.slice.  Nothing is written under /sys/fs/cgroup.  A joining
 * login whose limits are in place makes no D-Bus call at all. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
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
	sd_helper_preloaded();
	if (sd.ops && sd.bus)
		sd.ops->close(sd.bus);
	sd.bus = NULL;
}

/* Loading the plugin (libsystemd and five libraries) is the costliest
 * step of a first login on a systemd host after the bus itself
 * (docs/performance.md): a thread does it while the helper reads its
 * request and the config.  The thread lives only until the decision:
 * nothing forks, clones or unshares before sd_helper_preloaded(). */
static struct {
	pthread_t thread;
	bool running;
} preload;

static void *
preload_main(void *unused)
{
	(void)unused;
	(void)sd_plugin(NULL); /* an error is reported by the next call */
	return NULL;
}

void
sd_helper_preload(void)
{
	if (sd_host() && pthread_create(&preload.thread, NULL, preload_main, NULL) == 0)
		preload.running = true;
}

void
sd_helper_preloaded(void)
{
	if (preload.running)
		(void)pthread_join(preload.thread, NULL);
	preload.running = false;
}

static int
plugin(struct tn_err *err)
{
	if (sd.ops)
		return 0;
	sd_helper_preloaded();
	sd.ops = sd_plugin(err);
	if (sd.ops == NULL)
		return -1;
	if (sd.ops->booted() <= 0) {
		sd.ops = NULL;
		return err_set(err, ENOTSUP,
		    "/run/systemd/system exists but systemd is not PID 1");
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

void
sd_helper_connect(void)
{
	if (plugin(NULL) == 0)
		(void)bus(NULL);
}

/* path up to and including the component `name`; -ENOENT if absent. */
static int
cut_after(const char *path, const char *name, char *out, size_t len)
{
	size_t n = strlen(name);

	for (const char *p = path; (p = strchr(p, '/')) != NULL; p++)
		if (strncmp(p + 1, name, n) == 0 && (p[n + 1] == '/' || p[n + 1] == '\0'))
			return snprintf(out, len, "%.*s", (int)(p + 1 + n - path), path) <
			        (int)len
			    ? 0
			    : -ENAMETOOLONG;
	return -ENOENT;
}

static const struct tn_sd_prop *
find_prop(const struct tn_sd_prop *p, size_t n, const char *name, const char *dev)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0 && strcmp(p[i].dev, dev) == 0)
			return &p[i];
	return NULL;
}

static struct tn_sd_slot *
find_slot(struct tn_sd_bounds *b, const char *name, const char *dev)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->slot[i].prop.name, name) == 0 &&
		    strcmp(b->slot[i].prop.dev, dev) == 0)
			return &b->slot[i];
	return NULL;
}

/* "TasksMax=5163 (configured 100000) bounded by FILE:LINE" */
static void
note_add(char *note, size_t len, const struct tn_sd_prop *t, uint64_t configured,
    const char *how, const char *where)
{
	size_t off = strlen(note);

	if (off + 2 < len)
		snprintf(note + off, len - off,
		    "%s%s%s%s=%" PRIu64 " (configured %" PRIu64 ") %s %s",
		    off ? "; " : "", t->name, t->dev[0] ? " " : "", t->dev, t->value,
		    configured, how, where);
}

/* What to send and what must then read back: for each configured value
 * min(configured, admin's) (pam_tenant never loosens a value of the
 * unit's own files: Debian's TasksMax=33%, an admin's user-.slice.d
 * drop-in); for a value only an earlier configuration set (our drop-in
 * holds it) the admin's value or systemd's default, so that removing a
 * key takes effect.  An admin assignment sorting after our drop-in wins
 * whatever we send: it is not sent; stricter than configured is noted,
 * looser is an error (the quota is not in force). */
static int
targets(const char *unit, struct tn_sd_bounds *b, const struct tn_sd_prop *want,
    size_t nwant, struct tn_sd_prop *send, size_t *nsend, struct tn_sd_prop *expect,
    size_t *nexpect, char *note, size_t nlen, struct tn_err *err)
{
	size_t ns = 0, ne = 0;

	for (size_t i = 0; i < nwant; i++) {
		struct tn_sd_slot *s = find_slot(b, want[i].name, want[i].dev);
		struct tn_sd_prop t = want[i];

		/* An admin's own runtime value sits where ours would (the
		 * same 50-<Key>.conf): at or below the configured one it is
		 * in force and sending would replace it, so nothing is sent;
		 * above it, ours replaces it (a bound never loosens). */
		if (s && s->admin && s->runtime) {
			if (s->prop.value <= t.value) {
				t.value = s->prop.value;
				if (t.value < want[i].value)
					note_add(note, nlen, &t, want[i].value,
					    "kept, set by systemctl set-property "
					    "--runtime (not by pam_tenant),",
					    s->where);
				expect[ne++] = t;
				continue;
			}
			t.value = s->prop.value;
			note_add(note, nlen, &t, want[i].value,
			    "set by systemctl set-property --runtime (not by "
			    "pam_tenant) is looser: replaced by the configured "
			    "value,",
			    s->where);
			t = want[i];
			send[ns++] = t;
			expect[ne++] = t;
			continue;
		}
		if (s && s->admin && s->prop.value < t.value) {
			t.value = s->prop.value;
			if (!s->after_ours)
				note_add(note, nlen, &t, want[i].value, "bounded by",
				    s->where);
		}
		if (s && s->after_ours) {
			if (s->prop.value > want[i].value)
				return err_set(err, EPERM,
				    "%s: %s%s%s=%" PRIu64 " from %s overrides "
				    "pam_tenant's %" PRIu64
				    " (it sorts after 50-%s.conf): the "
				    "limit is not in force",
				    unit, want[i].name, want[i].dev[0] ? " " : "",
				    want[i].dev, s->prop.value, s->where, want[i].value,
				    sd_prop_file_key(want[i].name));
			if (s->prop.value < want[i].value)
				note_add(note, nlen, &t, want[i].value,
				    "overridden (stricter) by a later drop-in,",
				    s->where);
		} else {
			send[ns++] = t;
		}
		expect[ne++] = t;
	}
	/* Keys an earlier configuration set and this one does not; IO*Max
	 * entries of the admin's for devices we do not limit (our drop-in
	 * for that property replaces the whole list). */
	for (size_t i = 0; i < b->n; i++) {
		struct tn_sd_slot *s = &b->slot[i];
		bool io_sent = sd_prop_is_io(s->prop.name);

		if (find_prop(want, nwant, s->prop.name, s->prop.dev) || s->after_ours ||
		    s->runtime)
			continue;
		if (io_sent) {
			io_sent = false;
			for (size_t j = 0; j < ns && !io_sent; j++)
				io_sent = strcmp(send[j].name, s->prop.name) == 0;
		}
		if (!s->ours && !(io_sent && s->admin))
			continue;
		if (ns >= TN_SD_MAX_PROPS || ne >= TN_SD_MAX_PROPS)
			return err_set(err, E2BIG, "%s: too many limits", unit);
		struct tn_sd_prop t = s->prop;

		if (!s->admin)
			t.value =
			    UINT64_MAX; /* systemd's default: infinity, unset weight */
		send[ns++] = t;
		expect[ne++] = t;
	}
	*nsend = ns;
	*nexpect = ne;
	return 0;
}

/* The limits of props on unit, with the unit's own files as outer
 * bounds, read back from its cgroup dir. */
static int
apply(const char *unit, const char *cg, const struct tn_sd_prop *props, size_t n,
    bool record, char *note, size_t nlen, struct tn_err *err)
{
	_cleanup_close_ int dir = sd_cgroup_open(cg);
	static struct tn_sd_bounds b;
	static struct tn_sd_owned owned, now_owned;
	struct tn_sd_prop send[TN_SD_MAX_PROPS], expect[TN_SD_MAX_PROPS];
	const char *files[TN_SD_MAX_FILES], *prop = NULL;
	char buf[16384], why[300];
	size_t nfiles = 0, nsend = 0, nexpect = 0;
	uint64_t stamp = 0;
	bool unsettled = false;
	int r;

	if (dir < 0)
		return err_set(err, -dir, "cgroup %s of %s: %s", cg, unit,
		    strerror(-dir));
	/* The user's slice as the helper last left it for this very
	 * configuration (a tenant before this one): no D-Bus call, and what
	 * its files bounded then is audited again. */
	if (record &&
	    sd_expect_in_force(unit, dir, props, n, note, nlen, &(struct tn_err){ 0 }) ==
	        1)
		return 0;
	note[0] = '\0'; /* not a stale record's */
	if (bus(err) < 0 ||
	    sd.ops->unit_files(sd.bus, unit, buf, sizeof(buf), &nfiles, err) < 0)
		return -1;
	for (size_t i = 0, off = 0; i < nfiles && i < TN_SD_MAX_FILES; i++) {
		files[i] = buf + off;
		off += strlen(buf + off) + 1;
	}
	if (nfiles > TN_SD_MAX_FILES)
		return err_set(err, E2BIG, "%s: more than %d unit files", unit,
		    TN_SD_MAX_FILES);
	/* For the user's slice, which of the 50- files are ours: the
	 * others are an admin's systemctl set-property --runtime.  And the
	 * drop-in directories as read now, so that the keeper's fast join
	 * notices an admin's change to them without D-Bus (stamp 0: one is
	 * not loaded yet, the helper looks again every time). */
	if (record) {
		sd_owned_load(unit, &owned);
		stamp = sd_dropin_stamp(unit, files, nfiles, &unsettled);
		if (unsettled)
			stamp = 0;
	}
	if (sd_unit_bounds_owned(unit, files, nfiles, record ? &owned : NULL, &b, err) <
	        0 ||
	    targets(unit, &b, props, n, send, &nsend, expect, &nexpect, note, nlen, err) <
	        0)
		return -1;
	r = sd_props_hold(dir, expect, nexpect, why, sizeof(why), &prop);
	if (r == 0 && nsend) {
		if (sd.ops->set_properties(sd.bus, unit, send, nsend, err) < 0)
			return -1;
		/* systemd wrote the drop-ins before it answered. */
		if (record) {
			sd_owned_collect(unit, &owned, send, nsend, &now_owned);
			if (sd_owned_save(unit, &now_owned, err) < 0)
				return -1;
			owned = now_owned;
		}
		for (int i = 0; i < 10; i++) {
			struct timespec pause = { 0, 20 * 1000 * 1000 };

			r = sd_props_hold(dir, expect, nexpect, why, sizeof(why), &prop);
			if (r != 0)
				break;
			nanosleep(&pause, NULL);
		}
	}
	if (r < 0)
		return err_set(err, -r, "%s: read back: %s", unit, strerror(-r));
	if (r == 0)
		return err_set(err, EIO, "%s: %s (%s)", unit, why, prop ? prop : "?");
	if (record && !owned.known) {
		/* The first record: nothing of the unit's is ours yet. */
		sd_owned_collect(unit, &owned, NULL, 0, &now_owned);
		if (sd_owned_save(unit, &now_owned, err) < 0)
			return -1;
	}
	if (record &&
	    sd_expect_save(unit, props, n, expect, nexpect, stamp, note, err) < 0)
		return -1;
	return 0;
}

int
sd_session_setup(const struct tn_policy *pol, uid_t uid, const char *cookie, pid_t login,
    struct sd_session *out, struct tn_err *err)
{
	struct tn_sd_prop props[TN_SD_MAX_PROPS];
	struct tn_sd_place pl;
	char slice[64], name[128], desc[128];
	bool limits = conf_policy_has_limits(pol),
	     session = pol->scope == TN_SCOPE_SESSION;
	size_t n = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (plugin(err) < 0 || sd_props(&pol->limits, props, &n, err) < 0 ||
	    sd.ops->where(login, &pl, err) < 0)
		return -1;
	snprintf(slice, sizeof(slice), "user-%u.slice", (unsigned)uid);
	if (strcmp(pl.slice, slice) != 0) {
		/* cron, su from another user's session, no pam_systemd: a
		 * scope of its own in the user's slice (limits included
		 * for scope = session). */
		snprintf(name, sizeof(name), "pam_tenant-session-%s.scope", cookie);
		snprintf(desc, sizeof(desc), "pam_tenant login of uid %u", (unsigned)uid);
		struct tn_sd_scope s = { .name = name,
			.slice = slice,
			.description = desc,
			.pid = login,
			.props = session ? props : NULL,
			.nprops = session ? n : 0 };
		if (bus(err) < 0 || sd.ops->start_scope(sd.bus, &s, err) < 0 ||
		    sd.ops->where(login, &pl, err) < 0)
			return -1;
		if (strcmp(pl.unit, name) != 0)
			return err_set(err, EIO, "login process %d is in %s, not in %s",
			    (int)login, pl.cgroup, name);
	}
	if (!pl.unit[0])
		return err_set(err, ENOENT, "login process %d is in no unit (%s)",
		    (int)login, pl.cgroup);
	str_copy(out->unit, sizeof(out->unit), pl.unit);
	if ((r = cut_after(pl.cgroup, slice, out->slice_cg, sizeof(out->slice_cg))) < 0 ||
	    (r = cut_after(pl.cgroup, pl.unit, out->unit_cg, sizeof(out->unit_cg))) < 0)
		return err_set(err, -r, "cannot find %s and %s in cgroup %s", slice,
		    pl.unit, pl.cgroup);
	/* Also without limits: keys an earlier configuration set are reset. */
	if (!session && (limits || sd_has_runtime_dropins(slice))) {
		r = apply(slice, out->slice_cg, props, n, true, out->note,
		    sizeof(out->note), err);
		if (r < 0)
			sd_expect_forget(slice);
	} else if (session && limits) {
		r = apply(pl.unit, out->unit_cg, props, n, false, out->note,
		    sizeof(out->note), err);
	}
	return r < 0 ? -1 : 0;
}

/* pid's cgroup ends in /name. */
static int
in_unit(pid_t pid, const char *name, struct tn_err *err)
{
	char cg[512], tail[140];
	int r = cg_proc_path(pid, true, cg, sizeof(cg));

	snprintf(tail, sizeof(tail), "/%s", name);
	if (r < 0 || strlen(cg) < strlen(tail) ||
	    strcmp(cg + strlen(cg) - strlen(tail), tail) != 0)
		return err_set(err, EIO, "process %d is in cgroup %s, not in %s",
		    (int)pid, r < 0 ? strerror(-r) : cg, name);
	return 0;
}

/* The keeper's scope between sd_keeper_scope_begin() and _end(). */
static struct {
	struct tn_sd_scope s;
	struct tn_sd_job *job;
	char name[128], desc[128];
} kscope;

int
sd_keeper_scope_begin(pid_t keeper, pid_t init, const char *key, uid_t uid,
    struct tn_err *err)
{
	sd_keeper_unit(kscope.name, sizeof(kscope.name), key);
	snprintf(kscope.desc, sizeof(kscope.desc), "pam_tenant tenant %s (uid %u)", key,
	    (unsigned)uid);
	kscope.s = (struct tn_sd_scope){ .name = kscope.name,
		.slice = "system.slice",
		.description = kscope.desc,
		.pid = keeper,
		.pid2 = init };
	if (plugin(err) < 0 || bus(err) < 0)
		return -1;
	return sd.ops->scope_begin(sd.bus, &kscope.s, &kscope.job, err);
}

int
sd_keeper_scope_end(struct tn_err *err)
{
	struct tn_sd_job *j = kscope.job;

	kscope.job = NULL;
	if (j == NULL)
		return err_set(err, EINVAL, "the tenant's scope was not asked for");
	if (sd.ops->scope_wait(sd.bus, j, err) < 0)
		return -1;
	return in_unit(kscope.s.pid, kscope.name, err) < 0 ||
	        in_unit(kscope.s.pid2, kscope.name, err) < 0
	    ? -1
	    : 0;
}
