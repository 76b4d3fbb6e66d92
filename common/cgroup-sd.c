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
		err_set(err, ELIBBAD, "%s: no %s of ABI %d", TN_SD_PLUGIN_PATH, TN_SD_SYMBOL,
		    TN_SD_ABI);
		return NULL;
	}
	return ops;
}

int
sd_props(const struct tn_policy *p, struct tn_sd_prop out[TN_SD_MAX_PROPS], size_t *n,
    struct tn_err *err)
{
	size_t k = 0;

	if (p->io_max_count)
		return err_set(err, ENOTSUP,
		    "io.max is not supported on a systemd host (set IO*BandwidthMax= "
		    "on user-.slice instead)");
	if (p->memory_max != TN_UNLIMITED)
		out[k++] = (struct tn_sd_prop){"MemoryMax", p->memory_max};
	if (p->memory_high != TN_UNLIMITED)
		out[k++] = (struct tn_sd_prop){"MemoryHigh", p->memory_high};
	if (p->memory_swap_max != TN_UNLIMITED)
		out[k++] = (struct tn_sd_prop){"MemorySwapMax", p->memory_swap_max};
	if (p->cpu_percent)
		out[k++] = (struct tn_sd_prop){"CPUQuotaPerSecUSec", (uint64_t)p->cpu_percent * 10000};
	if (p->cpu_weight)
		out[k++] = (struct tn_sd_prop){"CPUWeight", p->cpu_weight};
	if (p->pids_max != TN_UNLIMITED)
		out[k++] = (struct tn_sd_prop){"TasksMax", p->pids_max};
	if (p->io_weight)
		out[k++] = (struct tn_sd_prop){"IOWeight", p->io_weight};
	*n = k;
	return 0;
}

/* One file against what the policy asks; 0 = as configured. */
static int
differs(int dir_fd, const char *file, const char *expect, char *why, size_t len)
{
	char got[256];
	int r = cg_read(dir_fd, file, got, sizeof(got));

	if (r < 0) {
		snprintf(why, len, "%s: %s", file, strerror(-r));
		return r == -ENOENT ? 1 : r;
	}
	if (strcmp(got, expect) != 0) {
		snprintf(why, len, "%s reads '%.64s', configured '%s'", file, got, expect);
		return 1;
	}
	return 0;
}

static int
bytes_differ(int dir_fd, const char *file, uint64_t v, char *why, size_t len)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	char expect[32];

	if (v == TN_UNLIMITED)
		return 0;
	snprintf(expect, sizeof(expect), "%" PRIu64, v / page * page);
	return differs(dir_fd, file, expect, why, len);
}

int
sd_limits_hold(int dir_fd, const struct tn_policy *p, char *why, size_t len,
    const char **prop)
{
	char expect[64];
	const char *unused;
	int r;

	why[0] = '\0';
	if (prop == NULL)
		prop = &unused;
	/* The drop-in name systemd uses for each (50-<name>.conf). */
#define CHECK(name, call)                     \
	do {                                  \
		*prop = name;                 \
		if ((r = (call)) != 0)        \
			return r < 0 ? r : 0; \
	} while (0)
	CHECK("MemoryMax", bytes_differ(dir_fd, "memory.max", p->memory_max, why, len));
	CHECK("MemoryHigh", bytes_differ(dir_fd, "memory.high", p->memory_high, why, len));
	CHECK("MemorySwapMax",
	    bytes_differ(dir_fd, "memory.swap.max", p->memory_swap_max, why, len));
	if (p->pids_max != TN_UNLIMITED) {
		snprintf(expect, sizeof(expect), "%" PRIu64, p->pids_max);
		CHECK("TasksMax", differs(dir_fd, "pids.max", expect, why, len));
	}
	if (p->cpu_percent) {
		snprintf(expect, sizeof(expect), "%" PRIu64 " %d",
		    (uint64_t)p->cpu_percent * CPU_PERIOD / 100, CPU_PERIOD);
		CHECK("CPUQuota", differs(dir_fd, "cpu.max", expect, why, len));
	}
	if (p->cpu_weight) {
		snprintf(expect, sizeof(expect), "%u", p->cpu_weight);
		CHECK("CPUWeight", differs(dir_fd, "cpu.weight", expect, why, len));
	}
	if (p->io_weight) {
		snprintf(expect, sizeof(expect), "default %u", p->io_weight);
		CHECK("IOWeight", differs(dir_fd, "io.weight", expect, why, len));
	}
#undef CHECK
	*prop = NULL;
	return 1;
}

bool
sd_runtime_dropin(const char *unit, const char *prop)
{
	static const char *const dirs[] = {"/run/systemd/system.control",
	    "/run/systemd/transient"};
	char path[512];
	struct stat st;

	for (size_t i = 0; i < N_ELEMENTS(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s.d/50-%s.conf", dirs[i], unit, prop);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			return true;
	}
	return false;
}

int
sd_cgroup_open(const char *path)
{
	_cleanup_close_ int root = open(TN_CGROUP_MOUNT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
	struct timespec pause = {0, 20 * 1000 * 1000};

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
