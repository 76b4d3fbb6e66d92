#include <sched.h>

#include "ns.h"

const struct tn_ns_kind tn_ns_kinds[TN_NS_COUNT] = {
	{ TN_NS_MOUNT, CLONE_NEWNS, "mnt", "mount" },
	{ TN_NS_PID, CLONE_NEWPID, "pid", "pid" },
	{ TN_NS_IPC, CLONE_NEWIPC, "ipc", "ipc" },
	{ TN_NS_UTS, CLONE_NEWUTS, "uts", "uts" },
	{ TN_NS_NET, CLONE_NEWNET, "net", "net" },
};

int
tn_ns_clone_flags(unsigned mask)
{
	int flags = 0;

	for (int i = 0; i < TN_NS_COUNT; i++)
		if (mask & tn_ns_kinds[i].bit)
			flags |= tn_ns_kinds[i].clone_flag;
	return flags;
}
