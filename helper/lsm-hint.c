/* Root with every capability gets EACCES or EPERM from a mount or an
 * open mostly when a Linux security module (AppArmor, SELinux) refused
 * it.  Say under which label this process runs, so that the one syslog
 * line of a denied login tells the administrator where to look. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"

void
lsm_hint(struct tn_err *err)
{
	if (err != NULL && (err->code == EACCES || err->code == EPERM))
		lsm_hint_text(err->msg, sizeof(err->msg));
}

void
lsm_hint_text(char *msg, size_t size)
{
	char label[128];
	size_t len;
	ssize_t n;
	int fd;

	/* the kernel's file for the first LSM that keeps a label */
	fd = open("/proc/thread-self/attr/current", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, label, sizeof(label) - 1);
	close(fd);
	if (n <= 0)
		return;
	label[n] = '\0';
	label[strcspn(label, "\n")] = '\0';
	if (label[0] == '\0' || strcmp(label, "unconfined") == 0)
		return;
	len = strnlen(msg, size);
	if (len + 1 >= size)
		return;
	snprintf(msg + len, size - len,
	    " (refused under the security label %s: see the LSM's log)", label);
}
