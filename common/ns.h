/* The namespaces a tenant may have, in one table: the bit a policy sets,
 * the clone flag that makes it, its name under /proc/PID/ns and its word
 * in tenant.conf.  The table's order is the wire order (proto.h) and
 * bit i is 1 << i. */
#ifndef TENANT_NS_H
#define TENANT_NS_H

#define TN_NS_COUNT 5 /* mnt pid ipc uts net, in this order */

#define TN_NS_MOUNT (1u << 0)
#define TN_NS_PID (1u << 1)
#define TN_NS_IPC (1u << 2)
#define TN_NS_UTS (1u << 3)
#define TN_NS_NET (1u << 4)

struct tn_ns_kind {
	unsigned bit;
	int clone_flag;
	const char *proc; /* /proc/PID/ns/<proc> */
	const char *word; /* tenant.conf: namespaces = ... */
};

extern const struct tn_ns_kind tn_ns_kinds[TN_NS_COUNT];

/* The clone flags for a TN_NS_* mask. */
int tn_ns_clone_flags(unsigned mask);

#endif
