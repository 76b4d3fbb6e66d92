/* The systemd backend's half without libsystemd (common/cgroup-systemd.h):
 * is this a systemd host, loading the plugin, which properties a policy
 * sets, and reading the limits back from the cgroup files (reading is all
 * pam_tenant does under /sys/fs/cgroup on such a host). */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup-int.h"
#include "cgroup-systemd.h"
#include "fsutil.h"
#include "proto.h"
#include "util.h"

#ifndef TN_SD_PLUGIN_PATH
#define TN_SD_PLUGIN_PATH "/usr/libexec/pam_tenant/tenant-systemd.so"
#endif

#define CPU_PERIOD 100000 /* µs: systemd's default CPUQuotaPeriodSec */

bool
sd_host(void)
{
	struct stat st;
	struct statfs sf;

	return lstat("/run/systemd/system/", &st) == 0 && S_ISDIR(st.st_mode) &&
	    statfs(TN_CGROUP_MOUNT, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

const struct tn_sd_ops *
sd_plugin(struct tn_err *err)
{
	static const struct tn_sd_ops *ops;
	_cleanup_close_ int fd = -1;
	char path[64];
	struct stat st;
	void *h;

	if (ops)
		return ops;
	if (walk_trusted(TN_SD_PLUGIN_PATH, 0, &fd, err) < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		err_set(err, EPERM, "%s is not a root-owned file writable only by root",
		    TN_SD_PLUGIN_PATH);
		return NULL;
	}
	/* Load what was checked, not whatever the path names by now. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		err_set(err, ELIBBAD, "load %s: %s", TN_SD_PLUGIN_PATH, dlerror());
		return NULL;
	}
	ops = dlsym(h, TN_SD_SYMBOL);
	if (ops == NULL || ops->abi != TN_SD_ABI) {
		ops = NULL;
		dlclose(h);
		err_set(err, ELIBBAD, "%s: no %s of ABI %d", TN_SD_PLUGIN_PATH,
		    TN_SD_SYMBOL, TN_SD_ABI);
		return NULL;
	}
	return ops;
}

static size_t
add_io(struct tn_sd_prop *out, size_t k, const char *name, const struct tn_io_max *m,
    uint64_t v)
{
	if (v == TN_UNLIMITED)
		return k;
	out[k] = (struct tn_sd_prop){ .name = name, .value = v };
	snprintf(out[k].dev, sizeof(out[k].dev), "/dev/block/%u:%u", m->major, m->minor);
	return k + 1;
}

int
sd_props(const struct tn_limits *p, struct tn_sd_prop out[TN_SD_MAX_PROPS], size_t *n,
    struct tn_err *err)
{
	size_t k = 0;

	(void)err;
	if (p->memory_max != TN_UNLIMITED)
		out[k++] = (struct tn_sd_prop){ "MemoryMax", p->memory_max, "" };
	if (p->memory_high != TN_UNLIMITED)
		out[k++] = (struct tn_sd_prop){ "MemoryHigh", p->memory_high, "" };
	if (p->memory_swap_max != TN_UNLIMITED)
		out[k++] = (struct tn_sd_prop){ "MemorySwapMax", p->memory_swap_max, "" };
	if (p->cpu_percent)
		out[k++] = (struct tn_sd_prop){ "CPUQuotaPerSecUSec",
			(uint64_t)p->cpu_percent * 10000, "" };
	/* CPUWeight=idle is 0 on the bus (systemd 252 writes "idle"). */
	if (p->cpu_weight)
		out[k++] = (struct tn_sd_prop){ "CPUWeight",
			p->cpu_weight == TN_CPU_WEIGHT_IDLE ? 0 : p->cpu_weight, "" };
	if (p->pids_max != TN_UNLIMITED)
		out[k++] = (struct tn_sd_prop){ "TasksMax", p->pids_max, "" };
	if (p->io_weight)
		out[k++] = (struct tn_sd_prop){ "IOWeight", p->io_weight, "" };
	/* io.max: one a(st) entry per device and direction, by the device
	 * node udev makes for every block device. */
	for (unsigned i = 0; i < p->io_max_count && i < TN_IO_MAX_DEVICES; i++) {
		const struct tn_io_max *m = &p->io_max[i];

		k = add_io(out, k, "IOReadBandwidthMax", m, m->rbps);
		k = add_io(out, k, "IOWriteBandwidthMax", m, m->wbps);
		k = add_io(out, k, "IOReadIOPSMax", m, m->riops);
		k = add_io(out, k, "IOWriteIOPSMax", m, m->wiops);
	}
	*n = k;
	return 0;
}

/* One file against what is expected; 0 = as expected. */
static int
differs(int dir_fd, const char *file, const char *expect, char *why, size_t len)
{
	char got[256];
	int r = cg_read(dir_fd, file, got, sizeof(got));

	if (r < 0) {
		snprintf(why, len, "%s: %s", file, strerror(-r));
		return r == -ENOENT ? 1 : r;
	}
	/* io.weight also lists per-device weights after its first line. */
	if (strcmp(file, "io.weight") == 0)
		got[strcspn(got, "\n")] = '\0';
	if (strcmp(got, expect) != 0) {
		snprintf(why, len, "%s reads '%.64s', expected '%s'", file, got, expect);
		return 1;
	}
	return 0;
}

/* io.max: the device's line has field=value ("max" for infinity; no
 * line at all means every field is max). */
static int
io_differs(int dir_fd, const struct tn_sd_prop *p, char *why, size_t len)
{
	static const struct {
		const char *prop, *field;
	} f[] = { { "IOReadBandwidthMax", "rbps" }, { "IOWriteBandwidthMax", "wbps" },
		{ "IOReadIOPSMax", "riops" }, { "IOWriteIOPSMax", "wiops" } };
	char cur[4096], want[48], dev[24];
	const char *field = NULL, *line;
	int r;

	for (size_t i = 0; i < N_ELEMENTS(f); i++)
		if (strcmp(p->name, f[i].prop) == 0)
			field = f[i].field;
	if (field == NULL || strncmp(p->dev, "/dev/block/", 11) != 0)
		return -EINVAL;
	snprintf(dev, sizeof(dev), "%s ", p->dev + 11);
	if (p->value == UINT64_MAX)
		snprintf(want, sizeof(want), "%s=max", field);
	else
		snprintf(want, sizeof(want), "%s=%" PRIu64, field, p->value);
	r = cg_read(dir_fd, "io.max", cur, sizeof(cur));
	if (r < 0) {
		snprintf(why, len, "io.max: %s", strerror(-r));
		return r == -ENOENT ? 1 : r;
	}
	for (line = cur; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, dev, strlen(dev)) == 0) {
			size_t ll = strcspn(line, "\n"), wl = strlen(want);

			for (const char *q = line; q + wl <= line + ll; q++)
				if (strncmp(q, want, wl) == 0 && q[-1] == ' ' &&
				    (q[wl] == ' ' || q[wl] == '\n' || q[wl] == '\0'))
					return 0;
			snprintf(why, len, "io.max reads '%.*s', expected %s", (int)ll,
			    line, want);
			return 1;
		}
	if (p->value == UINT64_MAX)
		return 0;
	snprintf(why, len, "io.max has no line for %.*s, expected %s",
	    (int)strlen(dev) - 1, dev, want);
	return 1;
}

/* 0 = reads as p asks, 1 = differs (why says how), <0 = error. */
static int
prop_differs(int dir_fd, const struct tn_sd_prop *p, char *why, size_t len)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), v = p->value;
	char expect[64];
	const char *file = NULL;

	if (p->dev[0])
		return io_differs(dir_fd, p, why, len);
	if (strncmp(p->name, "Memory", 6) == 0) {
		file = strcmp(p->name, "MemoryMax") == 0 ? "memory.max"
		    : strcmp(p->name, "MemoryHigh") == 0 ? "memory.high"
		                                         : "memory.swap.max";
		if (v == UINT64_MAX)
			snprintf(expect, sizeof(expect), "max");
		else
			snprintf(expect, sizeof(expect), "%" PRIu64, v / page * page);
	} else if (strcmp(p->name, "TasksMax") == 0) {
		file = "pids.max";
		if (v == UINT64_MAX)
			snprintf(expect, sizeof(expect), "max");
		else
			snprintf(expect, sizeof(expect), "%" PRIu64, v);
	} else if (strcmp(p->name, "CPUQuotaPerSecUSec") == 0) {
		file = "cpu.max";
		/* systemd writes at least 1 ms per period. */
		if (v == UINT64_MAX)
			snprintf(expect, sizeof(expect), "max %d", CPU_PERIOD);
		else
			snprintf(expect, sizeof(expect), "%" PRIu64 " %d",
			    v / 10 < 1000 ? 1000 : v / 10, CPU_PERIOD);
	} else if (strcmp(p->name, "CPUWeight") == 0 && v == 0) {
		/* idle: systemd writes cpu.idle = 1 and leaves cpu.weight
		 * (the kernel refuses it on an idle group). */
		file = "cpu.idle";
		snprintf(expect, sizeof(expect), "1");
	} else if (strcmp(p->name, "CPUWeight") == 0) {
		/* (an idle group reads 0 here: a weight rules idle out) */
		file = "cpu.weight";
		snprintf(expect, sizeof(expect), "%" PRIu64, v == UINT64_MAX ? 100 : v);
	} else if (strcmp(p->name, "IOWeight") == 0) {
		file = "io.weight";
		snprintf(expect, sizeof(expect), "default %" PRIu64,
		    v == UINT64_MAX ? 100 : v);
	} else {
		return -EINVAL;
	}
	return differs(dir_fd, file, expect, why, len);
}

int
sd_prop_holds(int dir_fd, const struct tn_sd_prop *p, char *why, size_t len)
{
	int r = prop_differs(dir_fd, p, why, len);

	return r < 0 ? r : !r;
}

int
sd_props_hold(int dir_fd, const struct tn_sd_prop *props, size_t n, char *why, size_t len,
    const char **prop)
{
	why[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int r = prop_differs(dir_fd, &props[i], why, len);

		if (r != 0) {
			if (prop)
				*prop = props[i].name;
			return r < 0 ? r : 0;
		}
	}
	if (prop)
		*prop = NULL;
	return 1;
}

int
sd_limits_hold(int dir_fd, const struct tn_limits *p, char *why, size_t len,
    const char **prop)
{
	struct tn_sd_prop props[TN_SD_MAX_PROPS];
	size_t n = 0;

	(void)sd_props(p, props, &n, NULL);
	return sd_props_hold(dir_fd, props, n, why, len, prop);
}

bool
sd_runtime_dropin(const char *unit, const char *prop)
{
	static const char *const dirs[] = { "/run/systemd/system.control",
		"/run/systemd/transient" };
	char path[512];
	struct stat st;

	for (size_t i = 0; i < N_ELEMENTS(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s.d/50-%s.conf", dirs[i], unit,
		    sd_prop_file_key(prop));
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			return true;
	}
	return false;
}

int
sd_cgroup_open(const char *path)
{
	_cleanup_close_ int root =
	    open(TN_CGROUP_MOUNT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	const char *rel = path;

	if (root < 0)
		return -errno;
	while (*rel == '/')
		rel++;
	if (!*rel)
		return -EINVAL;
	/* systemd's tree: root-owned and only written by PID 1; openat2's
	 * RESOLVE_NO_SYMLINKS would be stricter, but cgroupfs has none. */
	int fd = openat(root, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

pid_t
sd_pidfd_pid(int pidfd)
{
	char path[64], buf[1024], *p;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read_full(fd, buf, sizeof(buf) - 1)) <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nPid:");
	n = p ? strtol(p + 5, NULL, 10) : -1;
	return n > 0 ? (pid_t)n : -1;
}

void
sd_keeper_unit(char *buf, size_t len, const char *key)
{
	snprintf(buf, len, "pam_tenant-%s.scope", key);
}

int
sd_kill_cgroup(int dir_fd, int wait_ms)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };

	for (int waited = 0;; waited += 20) {
		char procs[8192];
		int r = cg_populated(dir_fd);

		if (r <= 0)
			return r;
		if (waited >= wait_ms)
			return -ETIMEDOUT;
		/* A process forked between two reads is in the next list: the
		 * loop ends only when the cgroup reports itself empty. */
		if (cg_read(dir_fd, "cgroup.procs", procs, sizeof(procs)) == 0)
			for (char *p = procs, *end; *p; p = end) {
				long pid = strtol(p, &end, 10);

				if (end == p)
					break;
				if (pid > 1)
					(void)kill((pid_t)pid, SIGKILL);
				while (*end == '\n')
					end++;
			}
		nanosleep(&pause, NULL);
	}
}
