/* The name a helper process shows in ps: "tenant-keeper" or "tenant-init"
 * once it is one, written over the argv area main() hands us. */
#include <string.h>
#include <sys/prctl.h>

#include "helper.h"

static char *title_start;
static size_t title_len;

void
proc_title_init(int argc, char **argv)
{
	if (argc < 1)
		return;
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
