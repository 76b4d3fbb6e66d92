/* Runtime state under /run/pam_tenant (root 0700, never visible as
 * writable to users).  Layout:
 *   tenants/<key>/keeper.sock   the keeper's control socket
 *   tenants/<key>/info          what tenantctl shows (written by the keeper)
 *   locks/<uid>.lock            flock serialising a user's joins and teardown
 * <key> is "user-<uid>" or "session-<cookie>": never a user name.
 *
 * Inside a tenant, tenant-init covers /run/pam_tenant with a read-only
 * tmpfs (root 0711, a mount of its own; 0700 before the status socket)
 * holding one root-owned file, TN_MARKER_NAME, with "<uid> <key>\n": the
 * tenant's marker, and TN_USER_SOCKET, the keeper's read-only status
 * socket for the tenant's own user (0666; the keeper checks the peer).  Nobody
 * without CAP_SYS_ADMIN can remove it, it lives exactly as long as the
 * tenant's mount namespace, and on the host nobody but root can make
 * /run/pam_tenant look like it. */
#ifndef TENANT_STATE_H
#define TENANT_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#ifndef TN_STATE_DIR
#define TN_STATE_DIR "/run/pam_tenant"
#endif
#define TN_KEY_MAX 64
#define TN_MARKER_NAME "tenant"
#define TN_USER_SOCKET "status.sock" /* in the marker tmpfs, inside a tenant */
/* In tenants/<key>/: */
#define TN_STATE_SOCKET "keeper.sock"
#define TN_STATE_INFO "info"

struct tn_state {
	int root, tenants, locks; /* O_DIRECTORY fds, -1 if closed */
};

/* Open (and with create, make) the state tree, checking that every level
 * is a root-owned 0700 directory. */
int state_open(struct tn_state *s, bool create, struct tn_err *err);
void state_close(struct tn_state *s);

/* "user-1000" or "session-<cookie>". */
int tenant_key(char *buf, size_t len, bool per_session, uid_t uid, const char *cookie);

/* Is this process inside a tenant?  1: yes, in the tenant of *owner
 * (/run/pam_tenant is the read-only marker mount); 0: no (it is absent
 * or anything but a read-only tmpfs of its own: the host's directory,
 * checked by whoever uses it); negative errno and err when it cannot be
 * opened or is a read-only tmpfs without a valid marker. */
int state_tenant_marker(uid_t *owner, struct tn_err *err);

/* Take the per-uid lock (blocking unless nonblock).  Returns the lock fd. */
int state_lock_uid(const struct tn_state *s, uid_t uid, bool nonblock,
    struct tn_err *err);

/* Remove a tenant's state directory and what is in it, whoever ends the
 * tenant: its keeper, or a helper that finds a dead keeper's leftovers
 * (under the uid lock).  dir: the directory if open (a keeper out of fds
 * must still clean up), else -1. */
void state_remove_tenant(const struct tn_state *s, const char *key, int dir);

/* Connect to a tenant's keeper, waiting at most timeout_ms (> 0) for room
 * in its backlog; -ENOENT/-ECONNREFUSED when none runs, -EAGAIN when it
 * does not accept in time.  The socket has no send timeout afterwards. */
int state_connect_keeper(const char *key, int timeout_ms, struct tn_err *err);

#endif
