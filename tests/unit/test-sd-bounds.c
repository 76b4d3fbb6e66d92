/* The unit files as systemd applies them (common/sd-bounds.c): the
 * administrator's last value for each property pam_tenant sets, told
 * apart from pam_tenant's own runtime drop-ins, values evaluated as
 * systemd does (sizes, percentages, infinity, empty = reset), IO*Max per
 * device, and a value it cannot evaluate reported with file:line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-systemd.h"
#include "tap.h"

static char dir[] = "/tmp/tn-sdb-XXXXXX";
static char paths[16][256];
static int npaths;

static const char *
file(const char *name, const char *text)
{
	char *p = paths[npaths++];
	FILE *f;

	snprintf(p, 256, "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return p;
}

static const struct tn_sd_slot *
slot(const struct tn_sd_bounds *b, const char *name, const char *dev)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->slot[i].prop.name, name) == 0 &&
		    strcmp(b->slot[i].prop.dev, dev) == 0)
			return &b->slot[i];
	return NULL;
}

int
main(void)
{
	static struct tn_sd_bounds b;
	struct tn_err err = { 0 };
	const struct tn_sd_slot *s;
	const char *files[8];
	char ours[300];
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (mkdtemp(dir) == NULL)
		return 1;
	mkdir(strcat(strcpy(ours, dir), "/user-1001.slice.d"), 0755);
	files[0] = file("user-1001.slice.d/10-defaults.conf",
	    "[Unit]\nStopWhenUnneeded=yes\n\n[Slice]\nTasksMax=33%\n");
	files[1] = file("user-1001.slice.d/20-admin.conf",
	    "# admin\n[Slice]\nMemoryMax = 200M\nCPUQuota=150%\n"
	    "IOWeight=50\nMemoryHigh=1G\nMemoryHigh=\n");
	files[2] = file("user-1001.slice.d/99-late.conf",
	    "[Slice]\nMemorySwapMax=0\n[Service]\nCPUWeight=5\n");
	IS_INT(sd_unit_bounds("user-1001.slice", files, 3, &b, &err), 0,
	    "three files read");
	s = slot(&b, "TasksMax", "");
	OK(s && s->admin && s->prop.value == sd_system_tasks_max() * 3300 / 10000,
	    "TasksMax=33% is 33% of the kernel's task limit, as systemd computes it");
	OK(s && !s->after_ours, "... and 10- sorts before pam_tenant's 50-");
	OK(s && strstr(s->where, "10-defaults.conf:5") != NULL,
	    "... its file:line is kept");
	s = slot(&b, "MemoryMax", "");
	OK(s && s->prop.value == 200ull << 20, "MemoryMax = 200M (spaces around '=')");
	s = slot(&b, "CPUQuotaPerSecUSec", "");
	OK(s && s->prop.value == 1500000, "CPUQuota=150% is 1.5 s per second");
	s = slot(&b, "IOWeight", "");
	OK(s && s->prop.value == 50, "IOWeight=50");
	s = slot(&b, "MemoryHigh", "");
	OK(s == NULL || !s->admin, "an empty assignment resets what came before");
	s = slot(&b, "MemorySwapMax", "");
	OK(s && s->admin && s->after_ours && s->prop.value == 0,
	    "99- sorts after 50-MemorySwapMax.conf: it overrides pam_tenant");
	OK(slot(&b, "CPUWeight", "") == NULL, "other sections do not count");
	for (int i = 0; i < 3; i++)
		unlink(files[i]);
	rmdir(ours);

	/* A transient unit's own file (logind's session scope) comes first,
	 * whatever its name. */
	mkdir(strcat(strcpy(ours, dir), "/transient"), 0755);
	files[0] = file("transient/session-9.scope",
	    "[Unit]\nDescription=x\n[Scope]\nTasksMax=infinity\n");
	IS_INT(sd_unit_bounds("session-9.scope", files, 1, &b, &err), 0,
	    "a scope's fragment read");
	s = slot(&b, "TasksMax", "");
	OK(s && s->admin && !s->after_ours && s->prop.value == UINT64_MAX,
	    "the fragment's TasksMax=infinity is a bound, never an override of 50-TasksMax.conf");
	unlink(files[0]);
	rmdir(ours);
	npaths--;

	/* pam_tenant's own runtime drop-ins are not bounds. */
	files[0] = file("5-pct.conf", "[Slice]\nMemoryMax=50%\nTasksMax=infinity\n");
	files[1] =
	    "/run/systemd/system.control/user-4294967294.slice.d/50-MemoryMax.conf";
	IS_INT(sd_unit_bounds("user-4294967294.slice", files, 2, &b, &err), 0,
	    "a file that is gone is skipped");
	s = slot(&b, "MemoryMax", "");
	OK(s && s->prop.value == sd_physical_memory() / page * 5000 / 10000 * page,
	    "MemoryMax=50% is half the physical memory");
	s = slot(&b, "TasksMax", "");
	OK(s && s->prop.value == UINT64_MAX, "infinity");

	files[0] = file("30-io.conf",
	    "[Slice]\nIOReadBandwidthMax=/dev/block/8:0 10M\n"
	    "IOWriteIOPSMax=/dev/null 1K\n");
	IS_INT(sd_unit_bounds("user-1.slice", files, 1, &b, &err), 0, "IO limits read");
	s = slot(&b, "IOReadBandwidthMax", "/dev/block/8:0");
	OK(s && s->prop.value == 10000000,
	    "IOReadBandwidthMax=/dev/block/8:0 10M: by its name (no udev symlink needed), "
	    "10^7 bytes per second");
	OK(slot(&b, "IOWriteIOPSMax", "/dev/block/1:3") == NULL,
	    "a path that is no block device is skipped (systemd cannot apply it either)");

	files[0] = file("40-bad.conf", "[Slice]\nMemoryMax=%i\n");
	OK(sd_unit_bounds("user-1.slice", files, 1, &b, &err) < 0 &&
	        strstr(err.msg, "40-bad.conf:2") && strstr(err.msg, "cannot evaluate"),
	    "a value pam_tenant cannot evaluate is an error naming file:line");
	files[0] = file("41-size.conf", "[Slice]\nMemoryMax=1G 512M\nTasksMax=0\n");
	OK(sd_unit_bounds("user-1.slice", files, 1, &b, &err) < 0 &&
	        strstr(err.msg, ":3"),
	    "TasksMax=0 is not a value systemd takes either");
	files[0] = file("44-frac.conf", "[Slice]\nMemoryMax=1.25E\n");
	IS_INT(sd_unit_bounds("user-1.slice", files, 1, &b, &err), 0,
	    "MemoryMax=1.25E: a fraction of the largest suffix");
	s = slot(&b, "MemoryMax", "");
	OK(s && s->prop.value == (5ull << 60) / 4,
	    "... is 1.25 * 2^60 (its fraction times 2^60 overflows 64 bits)");
	files[0] = file("45-wrap.conf", "[Slice]\nMemoryMax=8E 8E\n");
	OK(sd_unit_bounds("user-1.slice", files, 1, &b, &err) < 0 &&
	        strstr(err.msg, "45-wrap.conf:2"),
	    "MemoryMax=8E 8E (2^64): out of range, not wrapped to 0");
	files[0] = file("42-idle.conf", "[Slice]\nCPUWeight=idle\n");
	IS_INT(sd_unit_bounds("user-1.slice", files, 1, &b, &err), 0,
	    "CPUWeight=idle is a value pam_tenant evaluates");
	s = slot(&b, "CPUWeight", "");
	OK(s && s->admin && s->prop.value == 0,
	    "... as 0 (systemd's CGROUP_WEIGHT_IDLE): below every weight");
	files[0] = file("43-ioidle.conf", "[Slice]\nIOWeight=idle\n");
	OK(sd_unit_bounds("user-1.slice", files, 1, &b, &err) < 0 &&
	        strstr(err.msg, "43-ioidle.conf:2"),
	    "IOWeight=idle is not a value systemd takes");
	{
		struct tn_sd_owned o = { .known = true, .n = 1 };
		struct stat st;

		stat(files[0], &st);
		snprintf(o.f[0].path, sizeof(o.f[0].path), "%s", files[0]);
		o.f[0].ino = (uint64_t)st.st_ino;
		o.f[0].sec = (int64_t)st.st_mtim.tv_sec;
		o.f[0].nsec = (int64_t)st.st_mtim.tv_nsec;
		OK(sd_owned_has(&o, files[0], &st), "a file on record is ours");
		o.f[0].nsec++;
		OK(!sd_owned_has(&o, files[0], &st),
		    "the same name with another mtime is not (rewritten by someone else)");
		o.f[0].nsec--;
		o.known = false;
		OK(!sd_owned_has(&o, files[0], &st), "without a record nothing is ours");
	}
	IS_STR(sd_prop_file_key("CPUQuotaPerSecUSec"), "CPUQuota",
	    "the drop-in key of CPUQuotaPerSecUSec");

	for (int i = 0; i < npaths; i++)
		unlink(paths[i]);
	rmdir(dir);
	return tap_done();
}
