/* The one interface to cgroups.  This slice only probes; the cgroupfs
 * backend (and later a systemd one) implements the rest behind it. */
#ifndef TENANT_CGROUP_H
#define TENANT_CGROUP_H

#include <stdbool.h>

struct tn_cgroup_probe {
	bool usable;          /* unified v2 at /sys/fs/cgroup with controllers */
	char controllers[256];/* from cgroup.controllers, when usable */
	char why[256];        /* when not usable: a sentence for admins */
};

void cgroup_probe(struct tn_cgroup_probe *p);

#endif
