/* tenant-systemd.so: the part of the systemd backend that talks to systemd
 * (common/cgroup-systemd.h).  Loaded by tenant-helper only on systemd
 * hosts.  Every bus call is asynchronous and driven by a
 * sd_bus_process()/sd_bus_wait() loop against the caller's deadline:
 * sd_bus_call()'s timeout does not cover connection setup and
 * authentication (a hung dbus-daemon kept it for 90 s, docs/systemd-backend.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-login.h>

#include "cgroup-systemd.h"
#include "proto.h"
#include "util.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define START_RETRIES 20 /* a left-over unit of the same name being collected */

struct tn_sd_bus {
	sd_bus *bus;
	uint64_t deadline; /* CLOCK_MONOTONIC µs */
};

/* One call or job being waited for. */
struct waiter {
	bool replied, job_done;
	int error; /* negative errno from the reply, 0 when fine */
	char errmsg[300];
	char job[256];   /* object path of the job, for JobRemoved */
	char result[32]; /* JobRemoved's result */
	bool want_job;
	sd_bus_message *reply; /* kept when keep_reply */
	bool keep_reply;
};

static uint64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int
sd_booted_op(void)
{
	return sd_booted();
}

static int
where(pid_t pid, struct tn_sd_place *p, struct tn_err *err)
{
	char *s = NULL;
	int r;

	memset(p, 0, sizeof(*p));
	r = sd_pid_get_cgroup(pid, &s);
	if (r < 0)
		return err_set(err, -r, "cgroup of pid %d: %s", (int)pid, strerror(-r));
	str_copy(p->cgroup, sizeof(p->cgroup), s);
	free(s);
	s = NULL;
	if (sd_pid_get_unit(pid, &s) >= 0)
		str_copy(p->unit, sizeof(p->unit), s);
	free(s);
	s = NULL;
	if (sd_pid_get_slice(pid, &s) >= 0)
		str_copy(p->slice, sizeof(p->slice), s);
	free(s);
	s = NULL;
	if (sd_pid_get_session(pid, &s) >= 0)
		str_copy(p->session, sizeof(p->session), s);
	free(s);
	p->has_owner = sd_pid_get_owner_uid(pid, &p->owner) >= 0;
	return 0;
}

static int
bus_open(struct tn_sd_bus **out, uint64_t deadline, struct tn_err *err)
{
	struct tn_sd_bus *b = calloc(1, sizeof(*b));
	int r;

	if (b == NULL)
		return err_set(err, ENOMEM, "out of memory");
	b->deadline = deadline;
	r = sd_bus_open_system(&b->bus);
	if (r < 0) {
		free(b);
		return err_set(err, -r, "connect to the system bus: %s", strerror(-r));
	}
	*out = b;
	return 0;
}

static void
bus_close(struct tn_sd_bus *b)
{
	if (b == NULL)
		return;
	sd_bus_flush_close_unref(b->bus);
	free(b);
}

static int
on_reply(sd_bus_message *m, void *data, sd_bus_error *unused)
{
	struct waiter *w = data;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	const char *job = NULL;

	(void)unused;
	w->replied = true;
	if (e != NULL) {
		w->error = -sd_bus_error_get_errno(e);
		if (w->error == 0)
			w->error = -EIO;
		snprintf(w->errmsg, sizeof(w->errmsg), "%s: %s",
		    e->name ? e->name : "error",
		    e->message ? e->message : strerror(-w->error));
		return 0;
	}
	if (w->keep_reply)
		w->reply = sd_bus_message_ref(m);
	if (w->want_job) {
		if (sd_bus_message_read(m, "o", &job) < 0 || job == NULL) {
			w->error = -EBADMSG;
			snprintf(w->errmsg, sizeof(w->errmsg), "no job in the reply");
		} else {
			str_copy(w->job, sizeof(w->job), job);
		}
	}
	return 0;
}

static int
on_job_removed(sd_bus_message *m, void *data, sd_bus_error *unused)
{
	struct waiter *w = data;
	const char *job = NULL, *unit = NULL, *result = NULL;
	uint32_t id;

	(void)unused;
	if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0)
		return 0;
	/* systemd sends the reply (naming the job) before it runs the job,
	 * and sd_bus_process() dispatches in order: the path is known here. */
	if (w->job[0] && strcmp(job, w->job) == 0) {
		w->job_done = true;
		str_copy(w->result, sizeof(w->result), result);
	}
	return 0;
}

/* Run the bus until done() or the deadline. */
static int
drive(struct tn_sd_bus *b, bool (*done)(sd_bus *, const struct waiter *),
    struct waiter *w, const char *what, struct tn_err *err)
{
	for (;;) {
		uint64_t now;
		int r;

		if (done(b->bus, w))
			return 0;
		r = sd_bus_process(b->bus, NULL);
		if (r < 0)
			return err_set(err, -r, "%s: system bus: %s", what, strerror(-r));
		if (r > 0)
			continue;
		now = now_usec();
		if (now >= b->deadline)
			return err_set(err, ETIMEDOUT,
			    "%s: no answer from systemd in time", what);
		r = sd_bus_wait(b->bus, b->deadline - now);
		if (r < 0 && r != -EINTR)
			return err_set(err, -r, "%s: system bus: %s", what, strerror(-r));
	}
}

static bool
got_reply(sd_bus *unused, const struct waiter *w)
{
	(void)unused;
	return w->replied;
}

static bool
got_job(sd_bus *unused, const struct waiter *w)
{
	(void)unused;
	return w->replied && (w->error < 0 || w->job_done);
}

/* sd-bus writes nothing before the bus daemon accepted our
 * authentication: sent() once nothing waits to be written. */
static bool
sent(sd_bus *bus, const struct waiter *unused)
{
	uint64_t n = 1;

	(void)unused;
	return sd_bus_get_n_queued_write(bus, &n) >= 0 && n == 0;
}

/* "t" properties as they are; IO*Max entries (a device each) grouped
 * into one a(st) per property, as systemd takes them. */
static int
append_props(sd_bus_message *m, const struct tn_sd_prop *props, size_t n)
{
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i++) {
		bool first = true;

		if (!props[i].dev[0]) {
			r = sd_bus_message_append(m, "(sv)", props[i].name, "t",
			    props[i].value);
			continue;
		}
		for (size_t j = 0; j < i && first; j++)
			first =
			    !props[j].dev[0] || strcmp(props[j].name, props[i].name) != 0;
		if (!first)
			continue;
		r = sd_bus_message_open_container(m, 'r', "sv");
		if (r >= 0)
			r = sd_bus_message_append(m, "s", props[i].name);
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'v', "a(st)");
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'a', "(st)");
		for (size_t j = i; j < n && r >= 0; j++)
			if (props[j].dev[0] && strcmp(props[j].name, props[i].name) == 0)
				r = sd_bus_message_append(m, "(st)", props[j].dev,
				    props[j].value);
		for (int c = 0; c < 3 && r >= 0; c++)
			r = sd_bus_message_close_container(m);
	}
	return r;
}

static int
set_properties(struct tn_sd_bus *b, const char *unit, const struct tn_sd_prop *props,
    size_t n, struct tn_err *err)
{
	sd_bus_message *m = NULL;
	sd_bus_slot *slot = NULL;
	struct waiter w = { 0 };
	char what[300];
	int r;

	snprintf(what, sizeof(what), "SetUnitProperties %s", unit);
	r = sd_bus_message_new_method_call(b->bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
	    "SetUnitProperties");
	if (r >= 0)
		r = sd_bus_message_append(m, "sb", unit, 1);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = append_props(m, props, n);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_call_async(b->bus, &slot, m, on_reply, &w, 0);
	sd_bus_message_unref(m);
	if (r < 0)
		return err_set(err, -r, "%s: %s", what, strerror(-r));
	r = drive(b, got_reply, &w, what, err);
	sd_bus_slot_unref(slot);
	if (r < 0)
		return r;
	if (w.error < 0)
		return err_set(err, -w.error, "%s: %s", what, w.errmsg);
	return 0;
}

/* A StartTransientUnit on its way: the call, the match for its job's
 * end, and the unit (the caller's, kept until scope_wait()) for a retry. */
struct tn_sd_job {
	struct waiter w;
	sd_bus_slot *slot, *match;
	const struct tn_sd_scope *s;
	char what[300];
};

/* Send StartTransientUnit(mode "fail"); job_end() waits for its job. */
static int
job_send(struct tn_sd_bus *b, const struct tn_sd_scope *s, struct tn_sd_job *j,
    struct tn_err *err)
{
	sd_bus_message *m = NULL;
	int r;

	memset(j, 0, sizeof(*j));
	j->w.want_job = true;
	j->s = s;
	snprintf(j->what, sizeof(j->what), "StartTransientUnit %s", s->name);
	/* The match first: the job may end before its reply is processed.
	 * Not waited for: the bus daemon handles our messages in order, so
	 * the match is in place before it passes on the call (a failure to
	 * add it ends the connection, and with it the wait below). */
	r = sd_bus_match_signal_async(b->bus, &j->match, SD_DEST, SD_PATH, SD_MANAGER,
	    "JobRemoved", on_job_removed, NULL, &j->w);
	if (r >= 0)
		r = sd_bus_message_new_method_call(b->bus, &m, SD_DEST, SD_PATH,
		    SD_MANAGER, "StartTransientUnit");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", s->name, "fail");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = s->pid2 > 0
		    ? sd_bus_message_append(m, "(sv)", "PIDs", "au", 2, (uint32_t)s->pid,
		          (uint32_t)s->pid2)
		    : sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, (uint32_t)s->pid);
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)", "Slice", "s", s->slice,
		    "Description", "s", s->description, "OOMPolicy", "s", "continue",
		    "CollectMode", "s", "inactive-or-failed");
	if (r >= 0)
		r = append_props(m, s->props, s->nprops);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_append(m, "a(sa(sv))", 0);
	if (r >= 0)
		r = sd_bus_call_async(b->bus, &j->slot, m, on_reply, &j->w, 0);
	sd_bus_message_unref(m);
	if (r < 0) {
		j->match = sd_bus_slot_unref(j->match);
		return err_set(err, -r, "%s: %s", j->what, strerror(-r));
	}
	return 0;
}

/* The job's end.  -EEXIST: the name is taken. */
static int
job_end(struct tn_sd_bus *b, struct tn_sd_job *j, struct tn_err *err)
{
	int r = drive(b, got_job, &j->w, j->what, err);

	j->slot = sd_bus_slot_unref(j->slot);
	j->match = sd_bus_slot_unref(j->match);
	if (r < 0)
		return r;
	if (j->w.error < 0)
		return err_set(err, -j->w.error, "%s: %s", j->what, j->w.errmsg);
	if (strcmp(j->w.result, "done") != 0)
		return err_set(err, EIO, "%s: job %s", j->what, j->w.result);
	return 0;
}

static int
start_once(struct tn_sd_bus *b, const struct tn_sd_scope *s, struct tn_err *err)
{
	struct tn_sd_job j;
	int r = job_send(b, s, &j, err);

	return r < 0 ? r : job_end(b, &j, err);
}

static int
kill_unit(struct tn_sd_bus *b, const char *unit, struct tn_err *err)
{
	sd_bus_message *m = NULL;
	sd_bus_slot *slot = NULL;
	struct waiter w = { 0 };
	int r;

	r = sd_bus_message_new_method_call(b->bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
	    "KillUnit");
	if (r >= 0)
		r = sd_bus_message_append(m, "ssi", unit, "all", 9);
	if (r >= 0)
		r = sd_bus_call_async(b->bus, &slot, m, on_reply, &w, 0);
	sd_bus_message_unref(m);
	if (r < 0)
		return err_set(err, -r, "KillUnit %s: %s", unit, strerror(-r));
	r = drive(b, got_reply, &w, "KillUnit", err);
	sd_bus_slot_unref(slot);
	return r;
}

/* A first try said the name is taken: a scope of that name from before
 * (its keeper crashed, or a tenant still being torn down).  Kill what is
 * in it and retry once it is collected. */
static int
start_taken(struct tn_sd_bus *b, const struct tn_sd_scope *s, struct tn_err *err)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	int r = -EEXIST;

	for (int i = 1; i < START_RETRIES && r == -EEXIST; i++) {
		if (kill_unit(b, s->name, err) < 0 && err && err->code == ETIMEDOUT)
			return -ETIMEDOUT;
		if (now_usec() + 100000 >= b->deadline)
			break;
		nanosleep(&pause, NULL);
		r = start_once(b, s, err);
	}
	return r;
}

static int
start_scope(struct tn_sd_bus *b, const struct tn_sd_scope *s, struct tn_err *err)
{
	int r = start_once(b, s, err);

	return r == -EEXIST ? start_taken(b, s, err) : r;
}

static int
scope_begin(struct tn_sd_bus *b, const struct tn_sd_scope *s, struct tn_sd_job **out,
    struct tn_err *err)
{
	struct tn_sd_job *j = malloc(sizeof(*j));
	int r;

	*out = NULL;
	if (j == NULL)
		return err_set(err, ENOMEM, "out of memory");
	r = job_send(b, s, j, err);
	/* On its way to systemd before we go on: a call only queued would
	 * wait for our next bus call, or for scope_wait(). */
	if (r == 0)
		r = drive(b, sent, &j->w, j->what, err);
	if (r < 0) {
		j->slot = sd_bus_slot_unref(j->slot);
		j->match = sd_bus_slot_unref(j->match);
		free(j);
		return r;
	}
	*out = j;
	return 0;
}

static int
scope_wait(struct tn_sd_bus *b, struct tn_sd_job *j, struct tn_err *err)
{
	const struct tn_sd_scope *s = j->s;
	int r = job_end(b, j, err);

	free(j);
	return r == -EEXIST ? start_taken(b, s, err) : r;
}

/* A Properties.Get of the unit's Unit interface, sent; its reply lands
 * in *w (keep_reply).  Both of unit_files' are sent before either is
 * waited for: one round trip to systemd, not two. */
static int
get_unit_property_send(struct tn_sd_bus *b, const char *unit, const char *prop,
    sd_bus_slot **slot, struct waiter *w, struct tn_err *err)
{
	sd_bus_message *m = NULL;
	char *path = NULL;
	int r;

	*w = (struct waiter){ .keep_reply = true };
	r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
	if (r >= 0)
		r = sd_bus_message_new_method_call(b->bus, &m, SD_DEST, path,
		    "org.freedesktop.DBus.Properties", "Get");
	free(path);
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", "org.freedesktop.systemd1.Unit", prop);
	if (r >= 0)
		r = sd_bus_call_async(b->bus, slot, m, on_reply, w, 0);
	sd_bus_message_unref(m);
	if (r < 0)
		return err_set(err, -r, "%s of %s: %s", prop, unit, strerror(-r));
	return 0;
}

/* The reply in *w, positioned at the variant's contents, in *out. */
static int
get_unit_property_reply(struct waiter *w, const char *unit, const char *prop,
    const char *type, sd_bus_message **out, struct tn_err *err)
{
	int r = 0;

	if (w->error < 0)
		r = err_set(err, -w->error, "%s of %s: %s", prop, unit, w->errmsg);
	else if (w->reply == NULL ||
	    sd_bus_message_enter_container(w->reply, 'v', type) < 0)
		r = err_set(err, EBADMSG, "%s of %s: not of type %s", prop, unit, type);
	if (r < 0) {
		sd_bus_message_unref(w->reply);
		w->reply = NULL;
		return r;
	}
	*out = w->reply;
	w->reply = NULL;
	return 0;
}

static bool
got_both(sd_bus *unused, const struct waiter *w)
{
	(void)unused;
	return w[0].replied && w[1].replied;
}

static int
pack(char *buf, size_t len, size_t *off, size_t *n, const char *s, struct tn_err *err)
{
	size_t l = strlen(s) + 1;

	if (!*s)
		return 0;
	if (*off + l > len)
		return err_set(err, E2BIG, "too many unit files");
	memcpy(buf + *off, s, l);
	*off += l;
	(*n)++;
	return 0;
}

static int
unit_files(struct tn_sd_bus *b, const char *unit, char *buf, size_t len, size_t *n,
    struct tn_err *err)
{
	static const char *const props[2] = { "FragmentPath", "DropInPaths" };
	sd_bus_slot *slot[2] = { NULL, NULL };
	struct waiter w[2];
	sd_bus_message *m = NULL;
	const char *s = NULL;
	size_t off = 0;
	int r;

	*n = 0;
	memset(w, 0, sizeof(w));
	r = get_unit_property_send(b, unit, props[0], &slot[0], &w[0], err);
	if (r >= 0)
		r = get_unit_property_send(b, unit, props[1], &slot[1], &w[1], err);
	if (r >= 0)
		r = drive(b, got_both, w, "unit files", err);
	sd_bus_slot_unref(slot[0]);
	sd_bus_slot_unref(slot[1]);
	if (r >= 0)
		r = get_unit_property_reply(&w[0], unit, props[0], "s", &m, err);
	if (r >= 0) {
		r = sd_bus_message_read(m, "s", &s);
		r = r < 0 ? err_set(err, -r, "FragmentPath of %s: %s", unit, strerror(-r))
		          : pack(buf, len, &off, n, s ? s : "", err);
		sd_bus_message_unref(m);
		m = NULL;
	}
	if (r >= 0)
		r = get_unit_property_reply(&w[1], unit, props[1], "as", &m, err);
	if (r >= 0) {
		bool full = false;

		r = sd_bus_message_enter_container(m, 'a', "s");
		while (r >= 0 && !full && (r = sd_bus_message_read(m, "s", &s)) > 0)
			full = pack(buf, len, &off, n, s, err) < 0;
		if (full)
			r = -1;
		else if (r < 0)
			r = err_set(err, -r, "DropInPaths of %s: %s", unit, strerror(-r));
		sd_bus_message_unref(m);
	}
	sd_bus_message_unref(w[0].reply);
	sd_bus_message_unref(w[1].reply);
	return r < 0 ? -1 : 0;
}

const struct tn_sd_ops tn_sd_ops_v2 = {
	.abi = TN_SD_ABI,
	.booted = sd_booted_op,
	.where = where,
	.open = bus_open,
	.close = bus_close,
	.set_properties = set_properties,
	.start_scope = start_scope,
	.scope_begin = scope_begin,
	.scope_wait = scope_wait,
	.unit_files = unit_files,
};
