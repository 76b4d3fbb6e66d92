#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup.h"
#include "util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

void
cgroup_probe(struct tn_cgroup_probe *p)
{
	_cleanup_close_ int fd = -1;
	struct statfs sf;
	ssize_t n;

	memset(p, 0, sizeof(*p));
	if (statfs(CGROUP_ROOT, &sf) < 0) {
		snprintf(p->why, sizeof(p->why), "%s: %m", CGROUP_ROOT);
		return;
	}
	if (sf.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(p->why, sizeof(p->why),
		    "%s is not cgroup v2 (this host uses cgroup v1 or hybrid)",
		    CGROUP_ROOT);
		return;
	}
	fd = open(CGROUP_ROOT "/cgroup.controllers", O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, p->controllers, sizeof(p->controllers) - 1);
	if (n <= 0) {
		snprintf(p->why, sizeof(p->why),
		    "%s/cgroup.controllers lists no controllers", CGROUP_ROOT);
		return;
	}
	p->controllers[strcspn(p->controllers, "\n")] = '\0';
	p->usable = true;
}
