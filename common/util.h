/* Small helpers shared by the module, the helper and the tools.
 * Nothing here may exit, abort or print: it is linked into sshd. */
#ifndef TENANT_UTIL_H
#define TENANT_UTIL_H

#include <errno.h>
#include <stdlib.h>
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

#endif
