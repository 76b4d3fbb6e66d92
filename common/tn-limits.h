/* A tenant's resource limits as plain data: what the cgroup backends
 * (cgroup-limits.c, cgroup-sd.c) apply and the protocol carries.  Here,
 * below conf/, so that common/ depends on nothing above it: conf/ parses
 * tenant.conf into these (struct tn_policy embeds struct tn_limits);
 * common/ never sees the config vocabulary. */
#ifndef TENANT_TN_LIMITS_H
#define TENANT_TN_LIMITS_H

#include <stdint.h>
#include <string.h>

/* A limit that is not set (left to the kernel default: "max"). */
#define TN_UNLIMITED UINT64_MAX

/* io.max devices one policy may name (security catalog R14). */
#define TN_IO_MAX_DEVICES 16

/* sessions.max: open sessions a tenant accepts (its keeper serves at
 * most this many; the keeper's own limits are sized for the upper end). */
#define TN_SESSIONS_MAX_LIMIT 1024u

struct tn_io_max {
	unsigned major, minor;
	uint64_t rbps, wbps, riops, wiops; /* TN_UNLIMITED when not given */
};

/* cpu.weight = idle: the kernel's cpu.idle (SCHED_IDLE for the whole
 * cgroup), systemd's CPUWeight=idle (0 on D-Bus). */
#define TN_CPU_WEIGHT_IDLE UINT32_MAX

/* memory.*, cpu.*, pids.max, io.*: TN_UNLIMITED or 0 when unset (see
 * each field). */
struct tn_limits {
	uint64_t memory_max, memory_high, memory_swap_max; /* bytes */
	uint32_t cpu_percent; /* 0 = unlimited; 150 = 1.5 CPUs */
	uint32_t cpu_weight;  /* 0 = unset, 1..10000, or TN_CPU_WEIGHT_IDLE */
	uint64_t pids_max;
	uint32_t io_weight; /* 0 = unset, else 1..10000 */
	unsigned io_max_count;
	struct tn_io_max io_max[TN_IO_MAX_DEVICES];
};

/* No limit set: every file left at (or put back to) the kernel's "max". */
static inline void
tn_limits_none(struct tn_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->memory_max = l->memory_high = l->memory_swap_max = TN_UNLIMITED;
	l->pids_max = TN_UNLIMITED;
}

#endif
