/* The fast join (docs/architecture.md, decision 13): when the user's
 * tenant already runs, ask its keeper for the session before paying for
 * an exec of tenant-helper.  The keeper answers ISOLATED with the
 * namespace fds (this socket is then the session's link) or ASK_HELPER;
 * anything else, including no keeper or no answer in time, means the
 * helper runs as before and makes every decision.  A keeper serves its
 * logins one at a time; under a storm the last in line waits for all
 * before it, so the caller gives it half of the module's deadline; the
 * connect() itself is bounded by it too (a stopped keeper's backlog fills
 * up, and connect() would wait for room forever). */
#include <errno.h>
#include <time.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fsutil.h"
#include "module.h"
#include "state.h"
#include "util.h"

enum ask_result
ask_keeper(const struct tn_msg_open *req, int timeout_ms, struct helper_outcome *out)
{
	_cleanup_close_ int sock = -1;
	char key[TN_KEY_MAX];
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct timespec deadline;
	union tn_msg m;
	int fds[TN_MAX_FDS];
	size_t nfds = 0;
	int r;

	memset(out, 0, sizeof(*out));
	deadline_in(&deadline, timeout_ms);
	if (tenant_key(key, sizeof(key), false, req->uid, NULL) < 0)
		return ASK_NOT_SENT;
	sock = state_connect_keeper(key, timeout_ms, &out->err);
	if (sock < 0)
		return ASK_NOT_SENT;
	/* The state directory is root's alone; a root peer is the keeper. */
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0)
		return ASK_NOT_SENT;
	if (proto_send(sock, req, NULL, 0, NULL) < 0)
		return ASK_NOT_SENT;
	/* From here on the keeper may act on this cookie. */
	if (wait_readable_by(sock, &deadline) < 0) {
		err_set(&out->err, ETIMEDOUT, "the keeper did not answer within %d ms",
		    timeout_ms);
		return ASK_ABANDONED;
	}
	r = proto_recv(sock, 1u << TN_MSG_RESULT, &m, fds, &nfds, &out->err);
	if (r == -EPROTO) /* a keeper of another build made no session */
		return ASK_DECLINED;
	if (r < 0)
		return ASK_ABANDONED;
	if (m.result.status == TN_ST_ASK_HELPER &&
	    strcmp(m.result.cookie, req->cookie) == 0) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return ASK_DECLINED;
	}
	if (m.result.status != TN_ST_ISOLATED ||
	    !(m.result.flags & TN_RES_LINK_IS_SOCKET) ||
	    strcmp(m.result.cookie, req->cookie) != 0) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		err_set(&out->err, EBADMSG, "unexpected answer from the keeper");
		return ASK_ABANDONED;
	}
	out->res = m.result;
	memcpy(out->fds, fds, nfds * sizeof(int));
	out->fds[nfds++] = steal_fd(&sock); /* the link comes last */
	out->nfds = nfds;
	out->have_result = true;
	return ASK_JOINED;
}
