/* Fault injection (fault.h): compiled only into the e2e and test builds. */
#include "fault.h"

#ifdef TN_FAULT_DIR
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "util.h"

static bool
root_only(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_uid == 0 &&
	    !(st.st_mode & (S_IWGRP | S_IWOTH));
}

void
fault_point(const char *name)
{
	_cleanup_close_ int dir = -1, fd = -1;
	char action[128], *nl;
	ssize_t n;
	double secs;
	int status;

	dir = open(TN_FAULT_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return;
	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	if (!root_only(dir) || !root_only(fd) ||
	    (n = read_full(fd, action, sizeof(action) - 1)) <= 0) {
		syslog(LOG_WARNING,
		    "fault injection: %s: file ignored (not root's, or empty)", name);
		return;
	}
	action[n] = '\0';
	if ((nl = strchr(action, '\n')) != NULL)
		*nl = '\0';
	syslog(LOG_NOTICE, "fault injection: %s: %s", name, action);
	if (sscanf(action, "sleep %lf", &secs) == 1 && secs >= 0 && secs < 3600) {
		struct timespec ts = { .tv_sec = (time_t)secs,
			.tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9) };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	} else if (sscanf(action, "exit %d", &status) == 1) {
		_exit(status);
	} else if (sscanf(action, "alloc %d", &status) == 1 && status > 0) {
		/* Grow by that many MiB, touched, and keep them: under a
		 * small memory.max the kernel's OOM killer ends us (F6). */
		static void *kept; /* a chain through the blocks */

		for (int i = 0; i < status; i++) {
			void **p = malloc(1 << 20);

			if (p == NULL)
				break;
			memset(p, 0x5a, 1 << 20);
			*p = kept;
			kept = p;
		}
	} else if (strcmp(action, "kill") == 0) {
		(void)raise(SIGKILL);
	} else if (strcmp(action, "stop") == 0) {
		(void)raise(SIGSTOP);
	} else {
		syslog(LOG_WARNING, "fault injection: %s: unknown action '%s' ignored",
		    name, action);
	}
}
#else
typedef int tn_no_faults_in_this_build;
#endif
