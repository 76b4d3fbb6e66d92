/* Small helpers shared by the module, the helper and the tools.
 * Nothing here may exit, abort or print: it is linked into sshd. */
#ifndef TENANT_UTIL_H
#define TENANT_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED __attribute__((unused))

static inline void
cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void
cleanup_fdp(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_fdp)))

/* Hand ownership out of a cleanup variable. */
static inline void *
steal_ptr(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}

static inline int
steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

/* CLOCK_MONOTONIC deadlines in milliseconds. */
static inline void
deadline_in(struct timespec *deadline, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += ms / 1000;
	deadline->tv_nsec += (ms % 1000) * 1000000L;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

static inline long
ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000L +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

/* CLOCK_MONOTONIC in milliseconds modulo 2^32, never 0 (0 on the wire
 * means "not stamped"); the difference of two is right for 49 days.
 * The clock is the system's, so a stamp means the same in the helper. */
static inline uint32_t
monotonic_ms32(void)
{
	struct timespec now;
	uint32_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (uint32_t)((uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u);
	return ms ? ms : 1;
}

#endif
