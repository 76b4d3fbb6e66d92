/* Runtime state under /run/pam_tenant (root 0700, never visible as
 * writable to users).  Layout:
 *   tenants/<key>/keeper.sock   the keeper's control socket
 *   tenants/<key>/info          what tenantctl shows (written by the keeper)
 *   mntns/<inode>               "uid key": which tenant a mount ns belongs to
 *   locks/<uid>.lock            flock serialising a user's joins and teardown
 * <key> is "user-<uid>" or "session-<cookie>": never a user name. */
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

struct tn_state {
	int root, tenants, mntns, locks; /* O_DIRECTORY fds, -1 if closed */
};

/* Open (and with create, make) the state tree, checking that every level
 * is a root-owned 0700 directory. */
int state_open(struct tn_state *s, bool create, struct tn_err *err);
void state_close(struct tn_state *s);

/* "user-1000" or "session-<cookie>". */
int tenant_key(char *buf, size_t len, bool per_session, uid_t uid,
    const char *cookie);

/* Is the mount namespace with this inode a tenant's?  0: no; 1: yes and
 * *owner is the tenant's uid; negative errno on a broken marker. */
int state_mntns_owner(uint64_t mnt_ino, uid_t *owner);

/* Take the per-uid lock (blocking unless nonblock).  Returns the lock fd. */
int state_lock_uid(const struct tn_state *s, uid_t uid, bool nonblock,
    struct tn_err *err);

/* Connect to a tenant's keeper, waiting at most timeout_ms (> 0) for room
 * in its backlog; -ENOENT/-ECONNREFUSED when none runs, -EAGAIN when it
 * does not accept in time.  The socket has no send timeout afterwards. */
int state_connect_keeper(const char *key, int timeout_ms, struct tn_err *err);

#endif
