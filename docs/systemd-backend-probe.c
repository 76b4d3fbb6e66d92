/* Prototype probe for the systemd backend design (docs/systemd-backend.md):
 * sd-login lookups, SetUnitProperties with sd_bus_call() and with
 * sd_bus_call_async() under one deadline, StartTransientUnit of a scope with
 * the JobRemoved wait.  Not part of the build; an experiment to re-run.
 *
 *   cc -O1 -Wall -Wextra -o /tmp/sdprobe docs/systemd-backend-probe.c \
 *       $(pkg-config --cflags --libs libsystemd)        (libsystemd-dev)
 *   tests/vm/vm-run --systemd -- /tmp/sdprobe who PID
 *
 *   sdprobe who PID                                 sd_pid_get_unit/session/slice/owner_uid
 *   sdprobe setprop UNIT TIMEOUT_MS MEMMAX TASKSMAX sd_bus_call (unbounded connection setup)
 *   sdprobe asetprop UNIT TIMEOUT_MS MEMMAX         sd_bus_call_async + deadline loop
 *   sdprobe scope NAME SLICE PID TIMEOUT_MS         StartTransientUnit + JobRemoved wait
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-login.h>

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int who(pid_t pid)
{
	char *unit = NULL, *session = NULL, *slice = NULL, *uunit = NULL;
	uid_t owner = (uid_t)-1;
	int r1 = sd_pid_get_unit(pid, &unit);
	int r2 = sd_pid_get_session(pid, &session);
	int r3 = sd_pid_get_slice(pid, &slice);
	int r4 = sd_pid_get_owner_uid(pid, &owner);
	int r5 = sd_pid_get_user_unit(pid, &uunit);
	printf("sd_booted=%d pid=%d unit=%s(%d) session=%s(%d) slice=%s(%d) owner_uid=%d(%d) user_unit=%s(%d)\n",
	       sd_booted(), (int)pid, unit ? unit : "-", r1, session ? session : "-", r2,
	       slice ? slice : "-", r3, (int)owner, r4, uunit ? uunit : "-", r5);
	if (session) {
		char *state = NULL, *type = NULL, *class = NULL, *service = NULL;
		sd_session_get_state(session, &state);
		sd_session_get_type(session, &type);
		sd_session_get_class(session, &class);
		sd_session_get_service(session, &service);
		printf("  session %s: state=%s type=%s class=%s service=%s\n", session,
		       state ? state : "-", type ? type : "-", class ? class : "-", service ? service : "-");
	}
	return 0;
}

static int setprop(const char *unit, uint64_t timeout_ms, uint64_t memmax, uint64_t tasksmax)
{
	sd_bus *bus = NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	uint64_t t0 = now_us();
	int r = sd_bus_open_system(&bus);
	printf("sd_bus_open_system: %d (%s) after %" PRIu64 " us\n", r, r < 0 ? strerror(-r) : "ok", now_us() - t0);
	if (r < 0)
		return 1;
	r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
					   "org.freedesktop.systemd1.Manager", "SetUnitProperties");
	if (r >= 0)
		r = sd_bus_message_append(m, "sb", unit, 1);
	if (r >= 0)
		r = sd_bus_message_append(m, "a(sv)", 2, "MemoryMax", "t", memmax, "TasksMax", "t", tasksmax);
	if (r < 0) {
		printf("build: %s\n", strerror(-r));
		return 1;
	}
	uint64_t t1 = now_us();
	r = sd_bus_call(bus, m, timeout_ms * 1000, &err, &reply);
	printf("SetUnitProperties(%s): r=%d (%s) error=%s \"%s\" after %" PRIu64 " us (total %" PRIu64 " us)\n", unit, r,
	       r < 0 ? strerror(-r) : "ok", err.name ? err.name : "-", err.message ? err.message : "-", now_us() - t1,
	       now_us() - t0);
	sd_bus_error_free(&err);
	sd_bus_message_unref(reply);
	sd_bus_message_unref(m);
	sd_bus_flush_close_unref(bus);
	return r < 0;
}

struct jobwait {
	const char *path;
	char result[64];
	int done;
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct jobwait *w = userdata;
	uint32_t id;
	const char *path, *unit, *result;
	(void)ret_error;
	if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	printf("  JobRemoved id=%u path=%s unit=%s result=%s\n", id, path, unit, result);
	if (w->path && strcmp(path, w->path) == 0) {
		snprintf(w->result, sizeof w->result, "%s", result);
		w->done = 1;
	}
	return 0;
}

static int scope(const char *name, const char *slice, pid_t pid, uint64_t timeout_ms)
{
	sd_bus *bus = NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_slot *slot = NULL;
	struct jobwait w = { 0 };
	uint64_t t0 = now_us(), deadline = t0 + timeout_ms * 1000;
	int r = sd_bus_open_system(&bus);
	if (r < 0) {
		printf("sd_bus_open_system: %s\n", strerror(-r));
		return 1;
	}
	/* Match first, then call: the job may finish before the reply arrives. */
	r = sd_bus_match_signal(bus, &slot, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				"org.freedesktop.systemd1.Manager", "JobRemoved", on_job_removed, &w);
	printf("match JobRemoved: %d\n", r);
	r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
					   "org.freedesktop.systemd1.Manager", "StartTransientUnit");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", name, "fail");
	if (r >= 0)
		r = sd_bus_message_append(m, "a(sv)", 5, "PIDs", "au", 1, (uint32_t)pid, "Slice", "s", slice, "Delegate",
					  "b", 1, "OOMPolicy", "s", "continue", "CollectMode", "s",
					  "inactive-or-failed");
	if (r >= 0)
		r = sd_bus_message_append(m, "a(sa(sv))", 0);
	if (r < 0) {
		printf("build: %s\n", strerror(-r));
		return 1;
	}
	r = sd_bus_call(bus, m, timeout_ms * 1000, &err, &reply);
	printf("StartTransientUnit(%s in %s, pid %d): r=%d error=%s \"%s\" after %" PRIu64 " us\n", name, slice,
	       (int)pid, r, err.name ? err.name : "-", err.message ? err.message : "-", now_us() - t0);
	if (r < 0)
		return 1;
	const char *job;
	sd_bus_message_read(reply, "o", &job);
	w.path = job;
	printf("  job %s\n", job);
	while (!w.done) {
		uint64_t n = now_us();
		if (n >= deadline) {
			printf("  job wait: deadline passed\n");
			return 1;
		}
		r = sd_bus_process(bus, NULL);
		if (r < 0) {
			printf("  sd_bus_process: %s\n", strerror(-r));
			return 1;
		}
		if (r > 0)
			continue;
		r = sd_bus_wait(bus, deadline - n);
		if (r < 0) {
			printf("  sd_bus_wait: %s\n", strerror(-r));
			return 1;
		}
	}
	printf("  job result=%s after %" PRIu64 " us\n", w.result, now_us() - t0);
	sd_bus_slot_unref(slot);
	sd_bus_message_unref(reply);
	sd_bus_message_unref(m);
	sd_bus_flush_close_unref(bus);
	return strcmp(w.result, "done") != 0;
}

struct callwait {
	int done;
	int r;
	char err[256];
};

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct callwait *w = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	(void)ret_error;
	w->done = 1;
	w->r = e ? -sd_bus_error_get_errno(e) : 1;
	snprintf(w->err, sizeof w->err, "%s %s", e ? e->name : "-", e && e->message ? e->message : "");
	return 0;
}

/* The whole exchange (connect, auth, Hello, call) bounded by one deadline:
 * sd_bus_call() waits for the connection without a timeout of its own. */
static int asetprop(const char *unit, uint64_t timeout_ms, uint64_t memmax)
{
	sd_bus *bus = NULL;
	sd_bus_message *m = NULL;
	sd_bus_slot *slot = NULL;
	struct callwait w = { 0 };
	uint64_t t0 = now_us(), deadline = t0 + timeout_ms * 1000;
	int r = sd_bus_open_system(&bus);
	printf("sd_bus_open_system: %d after %" PRIu64 " us\n", r, now_us() - t0);
	if (r < 0)
		return 1;
	r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
					   "org.freedesktop.systemd1.Manager", "SetUnitProperties");
	if (r >= 0)
		r = sd_bus_message_append(m, "sb", unit, 1);
	if (r >= 0)
		r = sd_bus_message_append(m, "a(sv)", 1, "MemoryMax", "t", memmax);
	if (r >= 0)
		r = sd_bus_call_async(bus, &slot, m, on_reply, &w, timeout_ms * 1000);
	if (r < 0) {
		printf("call_async: %s\n", strerror(-r));
		return 1;
	}
	while (!w.done) {
		uint64_t n = now_us();
		if (n >= deadline) {
			printf("deadline passed after %" PRIu64 " us\n", n - t0);
			return 1;
		}
		r = sd_bus_process(bus, NULL);
		if (r < 0) {
			printf("sd_bus_process: %s after %" PRIu64 " us\n", strerror(-r), now_us() - t0);
			return 1;
		}
		if (r > 0)
			continue;
		r = sd_bus_wait(bus, deadline - n);
		if (r < 0) {
			printf("sd_bus_wait: %s\n", strerror(-r));
			return 1;
		}
	}
	printf("async SetUnitProperties(%s): r=%d %s after %" PRIu64 " us\n", unit, w.r, w.err, now_us() - t0);
	sd_bus_slot_unref(slot);
	sd_bus_message_unref(m);
	sd_bus_flush_close_unref(bus);
	return w.r < 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "who"))
		return who(atoi(argv[2]));
	if (argc >= 6 && !strcmp(argv[1], "setprop"))
		return setprop(argv[2], strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10),
			       strtoull(argv[5], NULL, 10));
	if (argc >= 5 && !strcmp(argv[1], "asetprop"))
		return asetprop(argv[2], strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10));
	if (argc >= 6 && !strcmp(argv[1], "scope"))
		return scope(argv[2], argv[3], atoi(argv[4]), strtoull(argv[5], NULL, 10));
	fprintf(stderr, "usage: sdprobe who PID | setprop UNIT TIMEOUT_MS MEMMAX TASKSMAX |\n"
			"       asetprop UNIT TIMEOUT_MS MEMMAX | scope NAME SLICE PID TIMEOUT_MS\n");
	return 2;
}
