/* cg_apply_limits (common/cgroup-limits.c) against a directory of plain
 * files standing in for a cgroup: what it writes, and what it accepts as
 * "in place".  The kernel shows memory limits rounded down to whole
 * pages, so a plain file holding the unrounded value must not pass the
 * read-back, and one holding the rounded value must count as in place
 * (a joining login writes nothing). */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-int.h"
#include "tap.h"

static char dir[] = "/tmp/tn-limits-XXXXXX";
static const char *const files[] = { "memory.max", "memory.high", "memory.swap.max",
	"pids.max", "cpu.max", "cpu.weight" };
#define N_FILES (sizeof(files) / sizeof(files[0]))

static void
put(int fd, const char *name, const char *text)
{
	int f = openat(fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (f >= 0) {
		if (write(f, text, strlen(text)) < 0)
			printf("#   write %s: %m\n", name);
		close(f);
	}
}

static void
reset(int fd)
{
	for (size_t i = 0; i < N_FILES; i++)
		put(fd, files[i],
		    strcmp(files[i], "cpu.max") == 0          ? "max 100000\n"
		        : strcmp(files[i], "cpu.weight") == 0 ? "100\n"
		                                              : "max\n");
}

static struct stat
stat_of(int fd, const char *name)
{
	struct stat st = { 0 };

	fstatat(fd, name, &st, 0);
	return st;
}

int
main(void)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), odd = (1ull << 30) + 1;
	struct tn_limits p;
	struct tn_err err = { 0 };
	char got[64], want[64];
	struct stat before, after;
	int fd;

	if (mkdtemp(dir) == NULL ||
	    (fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 1;
	tn_limits_none(&p);
	p.memory_max = odd;

	/* A plain file keeps what was written: unrounded, unlike the kernel. */
	reset(fd);
	IS_INT(cg_apply_limits(fd, &p, &err), -1,
	    "an unrounded memory.max does not read back as the kernel's");
	OK(strstr(err.msg, "memory.max reads back") != NULL,
	    "... and the error names the file");

	/* The kernel's rounded value is "in place": nothing is written. */
	reset(fd);
	snprintf(want, sizeof(want), "%" PRIu64 "\n", odd / page * page);
	put(fd, "memory.max", want);
	before = stat_of(fd, "memory.max");
	usleep(20000);
	err.msg[0] = '\0';
	IS_INT(cg_apply_limits(fd, &p, &err), 0,
	    "memory.max rounded down to pages counts as in place");
	after = stat_of(fd, "memory.max");
	OK(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
	        before.st_mtim.tv_nsec == after.st_mtim.tv_nsec,
	    "... and is not written again");
	if (cg_read(fd, "memory.max", got, sizeof(got)) == 0)
		IS_INT(strtoull(got, NULL, 10), odd / page * page,
		    "... it still holds the rounded value");

	/* Aligned values read back as written; unset ones go back to max. */
	reset(fd);
	tn_limits_none(&p);
	p.memory_high = 512 * page;
	p.pids_max = 64;
	p.cpu_percent = 150;
	put(fd, "memory.max", "4096\n"); /* left from an earlier config */
	IS_INT(cg_apply_limits(fd, &p, &err), 0, "aligned limits apply");
	cg_read(fd, "memory.max", got, sizeof(got));
	IS_STR(got, "max", "a limit no longer configured goes back to max");
	cg_read(fd, "pids.max", got, sizeof(got));
	IS_STR(got, "64", "pids.max written");
	cg_read(fd, "cpu.max", got, sizeof(got));
	IS_STR(got, "150000 100000", "cpu = 150% is 150000 of each 100000 us");

	for (size_t i = 0; i < N_FILES; i++)
		unlinkat(fd, files[i], 0);
	close(fd);
	rmdir(dir);
	return tap_done();
}
