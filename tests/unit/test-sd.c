/* The systemd backend's pure half (common/cgroup-sd.c): which properties
 * a policy sends (only the keys it sets; io.max refused) and how limits
 * are read back from cgroup files (pages, cpu.max, the property named on
 * a mismatch).  A temporary directory stands in for a unit's cgroup. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-systemd.h"
#include "tap.h"

static char dir[] = "/tmp/tn-sd-XXXXXX";

static void
put(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static const struct tn_sd_prop *
find(const struct tn_sd_prop *p, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0)
			return &p[i];
	return NULL;
}

int
main(void)
{
	struct tn_limits pol;
	struct tn_sd_prop props[TN_SD_MAX_PROPS];
	struct tn_err err = { 0 };
	const char *prop = NULL;
	char why[300], unit[64];
	size_t n = 99;
	int fd;

	tn_limits_none(&pol);
	IS_INT(sd_props(&pol, props, &n, &err), 0, "defaults: no error");
	IS_INT((int)n, 0, "defaults set no property (systemd's and the admin's stay)");

	pol.memory_max = 96u << 20;
	pol.pids_max = 48;
	pol.cpu_percent = 50;
	IS_INT(sd_props(&pol, props, &n, &err), 0, "limits: no error");
	IS_INT((int)n, 3, "three keys set, three properties");
	OK(find(props, n, "MemoryMax") && find(props, n, "MemoryMax")->value == 96u << 20,
	    "memory.max is MemoryMax in bytes");
	OK(find(props, n, "TasksMax") && find(props, n, "TasksMax")->value == 48,
	    "pids.max is TasksMax");
	OK(find(props, n, "CPUQuotaPerSecUSec") &&
	        find(props, n, "CPUQuotaPerSecUSec")->value == 500000,
	    "cpu = 50% is CPUQuotaPerSecUSec 500000");
	OK(find(props, n, "MemoryHigh") == NULL, "memory.high not set, not sent");
	pol.cpu_weight = TN_CPU_WEIGHT_IDLE;
	IS_INT(sd_props(&pol, props, &n, &err), 0, "cpu.weight = idle: no error");
	OK(find(props, n, "CPUWeight") && find(props, n, "CPUWeight")->value == 0,
	    "cpu.weight = idle is CPUWeight 0 (systemd's CGROUP_WEIGHT_IDLE)");
	pol.cpu_weight = 0;

	pol.io_max_count = 1;
	pol.io_max[0] = (struct tn_io_max){ .major = 8,
		.minor = 16,
		.rbps = 10000000,
		.wbps = TN_UNLIMITED,
		.riops = TN_UNLIMITED,
		.wiops = 100 };
	IS_INT(sd_props(&pol, props, &n, &err), 0, "io.max: no error");
	IS_INT((int)n, 5, "io.max: one entry per direction that is set");
	OK(find(props, n, "IOReadBandwidthMax") &&
	        strcmp(find(props, n, "IOReadBandwidthMax")->dev, "/dev/block/8:16") ==
	            0 &&
	        find(props, n, "IOReadBandwidthMax")->value == 10000000,
	    "rbps is IOReadBandwidthMax for /dev/block/MAJ:MIN");
	OK(find(props, n, "IOWriteIOPSMax") &&
	        find(props, n, "IOWriteIOPSMax")->value == 100,
	    "wiops is IOWriteIOPSMax");
	OK(find(props, n, "IOWriteBandwidthMax") == NULL, "wbps not set, not sent");
	pol.io_max_count = 0;

	if (mkdtemp(dir) == NULL)
		return 1;
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	put("memory.max", "100663296\n");
	put("pids.max", "48\n");
	put("cpu.max", "50000 100000\n");
	IS_INT(sd_limits_hold(fd, &pol, why, sizeof(why), &prop), 1,
	    "files as configured: hold");
	OK(prop == NULL, "... and no property is named");

	pol.memory_max = 100663296 + 100; /* the kernel rounds down to pages */
	IS_INT(sd_limits_hold(fd, &pol, why, sizeof(why), NULL), 1,
	    "memory compares rounded down to a page");
	pol.memory_max = 96u << 20;

	put("pids.max", "max\n");
	IS_INT(sd_limits_hold(fd, &pol, why, sizeof(why), &prop), 0,
	    "a different pids.max: not held");
	IS_STR(prop, "TasksMax", "... naming the property");
	OK(strstr(why, "pids.max reads 'max', expected '48'") != NULL, why);

	put("pids.max", "48\n");
	put("cpu.max", "max 100000\n");
	IS_INT(sd_limits_hold(fd, &pol, why, sizeof(why), &prop), 0,
	    "a different cpu.max: not held");
	IS_STR(prop, "CPUQuotaPerSecUSec", "... naming the property");

	pol.memory_high = 50u << 20;
	put("cpu.max", "50000 100000\n");
	IS_INT(sd_limits_hold(fd, &pol, why, sizeof(why), &prop), 0,
	    "a configured key whose file is missing: not held");
	IS_STR(prop, "MemoryHigh", "... naming it");

	{
		struct tn_sd_prop io = { .name = "IOReadBandwidthMax",
			.value = 10000000,
			.dev = "/dev/block/8:16" };

		put("io.max",
		    "8:0 rbps=5 wbps=max riops=max wiops=max\n"
		    "8:16 rbps=10000000 wbps=max riops=max wiops=100\n");
		IS_INT(sd_prop_holds(fd, &io, why, sizeof(why)), 1,
		    "io.max: the device's field");
		io.value = 5;
		IS_INT(sd_prop_holds(fd, &io, why, sizeof(why)), 0,
		    "io.max: another device's value does not count");
		io.value = UINT64_MAX;
		snprintf(io.dev, sizeof(io.dev), "/dev/block/9:9");
		IS_INT(sd_prop_holds(fd, &io, why, sizeof(why)), 1,
		    "io.max: no line for a device is max");
		struct tn_sd_prop w = { .name = "CPUWeight", .value = UINT64_MAX };
		put("cpu.weight", "100\n");
		IS_INT(sd_prop_holds(fd, &w, why, sizeof(why)), 1,
		    "an unset weight reads as the default 100");
		w.value = 0;
		put("cpu.idle", "0\n");
		IS_INT(sd_prop_holds(fd, &w, why, sizeof(why)), 0,
		    "CPUWeight=idle (0) is not in force while cpu.idle reads 0");
		put("cpu.idle", "1\n");
		IS_INT(sd_prop_holds(fd, &w, why, sizeof(why)), 1,
		    "... and is once cpu.idle reads 1");
	}
	OK(!sd_runtime_dropin("user-4294967294.slice", "MemoryMax"),
	    "no runtime drop-in for a unit that has none");
	sd_keeper_unit(unit, sizeof(unit), "user-1001");
	IS_STR(unit, "pam_tenant-user-1001.scope", "the keeper's unit name");

	close(fd);
	for (const char *f =
	         "memory.max\0pids.max\0cpu.max\0io.max\0cpu.weight\0cpu.idle\0";
	     *f; f += strlen(f) + 1) {
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", dir, f);
		unlink(path);
	}
	rmdir(dir);
	return tap_done();
}
