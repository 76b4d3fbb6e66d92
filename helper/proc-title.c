/* The name a helper process shows in ps: "tenant-keeper" or "tenant-init"
 * once it is one, written over the argv area main() hands us. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "helper.h"

static char *title_start;
static size_t title_len;
static char **args; /* the start-up block: argv, envp, auxv, strings */

void
proc_title_init(int argc, char **argv)
{
	if (argc < 1)
		return;
	args = argv;
	title_start = argv[0];
	title_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0]);
}

void
proc_title(const char *title)
{
	if (title_start == NULL)
		return;
	memset(title_start, 0, title_len);
	memcpy(title_start, title, strnlen(title, title_len - 1));
	(void)prctl(PR_SET_NAME, title, 0, 0, 0);
}

/* The [stack] line of /proc/self/maps, through a small buffer: this runs
 * on tenant-init's own small stack. */
static bool
main_stack_range(uintptr_t *lo, uintptr_t *hi)
{
	char buf[512];
	size_t len = 0;
	ssize_t n;
	bool found = false;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	while (!found && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
		char *line = buf, *nl;

		len += (size_t)n;
		buf[len] = '\0';
		while (!found && (nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			found = strstr(line, " [stack]") != NULL &&
			    sscanf(line, "%" SCNxPTR "-%" SCNxPTR, lo, hi) == 2;
			line = nl + 1;
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
		if (len == sizeof(buf) - 1)
			len = 0; /* a line this long is not the one we want */
	}
	close(fd);
	return found;
}

void
proc_release_main_stack(void)
{
	uintptr_t lo, hi, keep;

	if (args == NULL || !main_stack_range(&lo, &hi))
		return;
	keep = (uintptr_t)args & ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
	if (keep > lo && keep <= hi)
		(void)madvise((void *)lo, keep - lo, MADV_DONTNEED);
}
