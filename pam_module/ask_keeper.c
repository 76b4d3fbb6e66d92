/* The fast join (docs/architecture.md, decision 13): when the user's
 * tenant already runs, ask its keeper for the session before paying for
 * an exec of tenant-helper.  The keeper answers ISOLATED with the
 * namespace fds (this socket is then the session's link) or ASK_HELPER;
 * anything else, including no keeper or no answer in time, means the
 * helper runs as before and makes every decision.  A keeper serves its
 * logins one at a time; under a storm the last in line waits for all
 * before it, so the caller gives it half of the module's deadline. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "module.h"
#include "state.h"
#include "util.h"

int
ask_keeper(const struct tn_msg_open *req, int timeout_ms,
    struct helper_outcome *out)
{
	_cleanup_close_ int sock = -1;
	char key[TN_KEY_MAX];
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct pollfd p;
	union tn_msg m;
	int fds[TN_MAX_FDS];
	size_t nfds = 0;

	memset(out, 0, sizeof(*out));
	if (tenant_key(key, sizeof(key), false, req->uid, NULL) < 0)
		return -1;
	sock = state_connect_keeper(key, NULL);
	if (sock < 0)
		return -1;
	/* The state directory is root's alone; a root peer is the keeper. */
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0)
		return -1;
	if (proto_send(sock, req, NULL, 0, NULL) < 0)
		return -1;
	p = (struct pollfd){.fd = sock, .events = POLLIN};
	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	if (proto_recv(sock, 1u << TN_MSG_RESULT, &m, fds, &nfds, NULL) < 0)
		return -1;
	if (m.result.status != TN_ST_ISOLATED || !(m.result.flags & TN_RES_LINK_IS_SOCKET) ||
	    strcmp(m.result.cookie, req->cookie) != 0) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return -1;
	}
	out->res = m.result;
	memcpy(out->fds, fds, nfds * sizeof(int));
	out->fds[nfds++] = steal_fd(&sock); /* the link comes last */
	out->nfds = nfds;
	out->have_result = true;
	return 0;
}
