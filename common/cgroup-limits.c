/* Writing a user's limits and proving they hold: every value is read back
 * and compared (security catalog #42, R11).  A limit that is not set is
 * written back to the kernel default, so a config change between two
 * logins of the same tenant takes effect. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-int.h"
#include "util.h"

#define CPU_PERIOD 100000 /* µs, the kernel default */

/* Why file's controller is missing: the host's cgroup v2 does not offer
 * it at all (bound to a v1 hierarchy, or cgroup_disable= at boot), or
 * only this cgroup lacks it. */
static const char *
missing_controller(const char *file)
{
	struct tn_cgroup_probe host;
	char name[16];

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(file, "."), file);
	cgroup_probe(&host);
	if (host.usable && !cg_has_word(host.controllers, name))
		return " (this host's cgroup v2 does not offer the controller: "
		       "it is bound to a cgroup v1 hierarchy or disabled at boot)";
	return " (controller not enabled for this cgroup)";
}

/* Write `value` to file, then check it reads back as `expect`.
 * `needed`: the limit is configured, so a missing file is an error. */
static int
set_checked(int dir_fd, const char *file, const char *value, const char *expect,
    bool needed, struct tn_err *err)
{
	char got[256];
	int r;

	/* Joining logins find the limits in place: reading is enough. */
	if (cg_read(dir_fd, file, got, sizeof(got)) == 0 && strcmp(got, expect) == 0)
		return 0;
	r = cg_write(dir_fd, file, value);
	if (r == -ENOENT && !needed)
		return 0; /* controller not enabled and nothing asked of it */
	if (r < 0)
		return err_set(err, -r, "write %s = %s: %s%s", file, value, strerror(-r),
		    r == -ENOENT ? missing_controller(file) : "");
	r = cg_read(dir_fd, file, got, sizeof(got));
	if (r < 0)
		return err_set(err, -r, "read back %s: %s", file, strerror(-r));
	if (strcmp(got, expect) != 0)
		return err_set(err, EIO, "%s reads back '%s', wrote '%s'", file, got,
		    value);
	return 0;
}

/* Memory sizes read back rounded down to whole pages. */
static int
set_bytes(int dir_fd, const char *file, uint64_t v, struct tn_err *err)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	char value[32], expect[32];

	if (v == TN_UNLIMITED) {
		return set_checked(dir_fd, file, "max", "max", false, err);
	}
	snprintf(value, sizeof(value), "%" PRIu64, v);
	snprintf(expect, sizeof(expect), "%" PRIu64, v / page * page);
	return set_checked(dir_fd, file, value, expect, true, err);
}

static int
set_pids(int dir_fd, uint64_t v, struct tn_err *err)
{
	char value[32];

	if (v == TN_UNLIMITED)
		return set_checked(dir_fd, "pids.max", "max", "max", false, err);
	snprintf(value, sizeof(value), "%" PRIu64, v);
	return set_checked(dir_fd, "pids.max", value, value, true, err);
}

static int
set_cpu(int dir_fd, const struct tn_limits *p, struct tn_err *err)
{
	char value[64], weight[16];
	int r;

	if (p->cpu_percent)
		snprintf(value, sizeof(value), "%" PRIu64 " %d",
		    (uint64_t)p->cpu_percent * CPU_PERIOD / 100, CPU_PERIOD);
	else
		snprintf(value, sizeof(value), "max %d", CPU_PERIOD);
	r = set_checked(dir_fd, "cpu.max", value, value, p->cpu_percent != 0, err);
	if (r < 0)
		return r;
	/* cpu.idle first: the kernel refuses cpu.weight on an idle group.
	 * A kernel without it (before 5.15) cannot be idle: only an error
	 * when idle is asked. */
	if (p->cpu_weight == TN_CPU_WEIGHT_IDLE)
		return set_checked(dir_fd, "cpu.idle", "1", "1", true, err);
	r = set_checked(dir_fd, "cpu.idle", "0", "0", false, err);
	if (r < 0)
		return r;
	snprintf(weight, sizeof(weight), "%u", p->cpu_weight ? p->cpu_weight : 100);
	return set_checked(dir_fd, "cpu.weight", weight, weight, p->cpu_weight != 0, err);
}

static void
io_value(char *buf, size_t len, uint64_t v)
{
	if (v == TN_UNLIMITED)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%" PRIu64, v);
}

/* One io.max line as the kernel prints it. */
static void
io_line(char *buf, size_t len, const struct tn_io_max *m)
{
	char r[24], w[24], ri[24], wi[24];

	io_value(r, sizeof(r), m->rbps);
	io_value(w, sizeof(w), m->wbps);
	io_value(ri, sizeof(ri), m->riops);
	io_value(wi, sizeof(wi), m->wiops);
	snprintf(buf, len, "%u:%u rbps=%s wbps=%s riops=%s wiops=%s", m->major, m->minor,
	    r, w, ri, wi);
}

static int
set_io(int dir_fd, const struct tn_limits *p, struct tn_err *err)
{
	char weight[32], cur[4096], line[160];
	int r;

	snprintf(weight, sizeof(weight), "default %u", p->io_weight ? p->io_weight : 100);
	r = cg_write(dir_fd, "io.weight", weight);
	if (r < 0 && (p->io_weight || r != -ENOENT))
		return err_set(err, -r, "write io.weight = %s: %s", weight, strerror(-r));
	if (r == 0 &&
	    (cg_read(dir_fd, "io.weight", cur, sizeof(cur)) < 0 ||
	        strncmp(cur, weight, strlen(weight)) != 0 ||
	        (cur[strlen(weight)] != '\0' && cur[strlen(weight)] != '\n')))
		return err_set(err, EIO, "io.weight reads back '%.64s', wrote '%s'", cur,
		    weight);

	/* Devices limited before but not any more: back to max. */
	if (cg_read(dir_fd, "io.max", cur, sizeof(cur)) == 0) {
		for (char *l = strtok(cur, "\n"); l; l = strtok(NULL, "\n")) {
			unsigned maj, min;
			bool wanted = false;

			if (sscanf(l, "%u:%u", &maj, &min) != 2)
				continue;
			for (unsigned i = 0; i < p->io_max_count; i++)
				wanted |= p->io_max[i].major == maj &&
				    p->io_max[i].minor == min;
			if (!wanted) {
				snprintf(line, sizeof(line),
				    "%u:%u rbps=max wbps=max riops=max wiops=max", maj,
				    min);
				(void)cg_write(dir_fd, "io.max", line);
			}
		}
	} else if (p->io_max_count) {
		return err_set(err, ENOENT,
		    "io.max: controller io not enabled for this cgroup");
	}
	for (unsigned i = 0; i < p->io_max_count; i++) {
		io_line(line, sizeof(line), &p->io_max[i]);
		r = cg_write(dir_fd, "io.max", line);
		if (r < 0)
			return err_set(err, -r, "write io.max = %s: %s%s", line,
			    strerror(-r), r == -ENODEV ? " (no such block device)" : "");
		if (cg_read(dir_fd, "io.max", cur, sizeof(cur)) < 0 || !strstr(cur, line))
			return err_set(err, EIO, "io.max does not read back '%s'", line);
	}
	return 0;
}

int
cg_apply_limits(int user_fd, const struct tn_limits *p, struct tn_err *err)
{
	if (set_bytes(user_fd, "memory.max", p->memory_max, err) < 0 ||
	    set_bytes(user_fd, "memory.high", p->memory_high, err) < 0 ||
	    set_bytes(user_fd, "memory.swap.max", p->memory_swap_max, err) < 0 ||
	    set_pids(user_fd, p->pids_max, err) < 0 || set_cpu(user_fd, p, err) < 0 ||
	    set_io(user_fd, p, err) < 0)
		return -1;
	return 0;
}
