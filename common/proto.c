#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto.h"
#include "tn-limits.h"
#include "util.h"

static size_t
size_of_type(uint16_t type)
{
	switch (type) {
	case TN_MSG_VERSION:
		return sizeof(struct tn_hdr);
	case TN_MSG_OPEN:
		return sizeof(struct tn_msg_open);
	case TN_MSG_POLICY:
	case TN_MSG_RESULT:
		return sizeof(struct tn_msg_result);
	case TN_MSG_JOIN:
		return sizeof(struct tn_msg_join);
	case TN_MSG_JOINED:
		return sizeof(struct tn_msg_joined);
	case TN_MSG_CLOSE:
	case TN_MSG_TERMINATE:
	case TN_MSG_STATUS:
	case TN_MSG_INIT:
		return sizeof(struct tn_msg_ctl);
	case TN_MSG_SIGNAL:
		return sizeof(struct tn_msg_signal);
	default:
		return 0;
	}
}

/* RESULT and JOINED gained a notice at their end; a peer from before
 * sends them without it (the keeper of a tenant started before an
 * upgrade).  Any size from the end of the old fields up is accepted. */
static size_t
legacy_size_of_type(uint16_t type)
{
	switch (type) {
	case TN_MSG_POLICY:
	case TN_MSG_RESULT:
		return offsetof(struct tn_msg_result, notice);
	case TN_MSG_JOINED:
		return offsetof(struct tn_msg_joined, notice);
	default:
		return SIZE_MAX;
	}
}

void
proto_init(void *msg, enum tn_msg_type type)
{
	struct tn_hdr *h = msg;
	size_t size = size_of_type(type);

	memset(msg, 0, size);
	h->magic = TN_PROTO_MAGIC;
	h->version = TN_PROTO_VERSION;
	h->type = type;
	h->size = size;
}

int
str_copy(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (size == 0)
		return -ENAMETOOLONG;
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(dst, src ? src : "", n + 1);
	return 0;
}

int
cookie_valid(const char *s)
{
	size_t i;

	for (i = 0; i < TN_COOKIE_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

int
cookie_new(char out[TN_COOKIE_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[TN_COOKIE_HEX / 2];
	ssize_t n;
	size_t i;

	do
		n = getrandom(raw, sizeof(raw), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(raw))
		return n < 0 ? -errno : -EIO;
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[TN_COOKIE_HEX] = '\0';
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

/* A string field must end inside its array. */
#define FIELD_OK(f) (memchr((f), '\0', sizeof(f)) != NULL)

static int
ns_mask_ok(uint32_t mask)
{
	return (mask & ~((1u << TN_NS_COUNT) - 1)) == 0;
}

/* A signal number, known flags only, a cookie exactly when one session
 * is meant, an answer's errno in range. */
static int
check_signal(const struct tn_msg_signal *s, size_t nfds, struct tn_err *err)
{
	bool session = s->flags & TN_SIGNAL_SESSION;

	if (!FIELD_OK(s->cookie) || !FIELD_OK(s->msg))
		return err_set(err, EBADMSG, "unterminated string");
	if (s->signo < 1 || s->signo > TN_SIGNAL_MAX)
		return err_set(err, EBADMSG, "bad signal %u", s->signo);
	if (s->flags & ~TN_SIGNAL_ALL_FLAGS)
		return err_set(err, EBADMSG, "unknown flags %#x", s->flags);
	/* a final answer after a grace names the SIGKILL */
	if ((s->flags & TN_SIGNAL_TERMINATE) &&
	    (!session ||
	        (s->grace_ms > 0 && s->signo != SIGTERM &&
	            !(s->flags & TN_SIGNAL_FINAL))))
		return err_set(err, EBADMSG, "terminate: one session, SIGTERM first");
	if (s->grace_ms > TN_SIGNAL_GRACE_MAX_MS ||
	    (s->grace_ms > 0 && !(s->flags & TN_SIGNAL_TERMINATE)))
		return err_set(err, EBADMSG, "bad grace %u ms", s->grace_ms);
	if (session ? !cookie_valid(s->cookie) : s->cookie[0] != '\0')
		return err_set(err, EBADMSG, "bad cookie");
	if (s->status > 4095)
		return err_set(err, EBADMSG, "bad status %u", s->status);
	return nfds == 0 ? 0 : err_set(err, EBADMSG, "unexpected fds");
}

static int
check_body(const union tn_msg *m, size_t nfds, struct tn_err *err)
{
	switch ((enum tn_msg_type)m->hdr.type) {
	case TN_MSG_VERSION: /* meaningful only from another version */
		return err_set(err, EBADMSG, "version notice of this same version");
	case TN_MSG_OPEN:
		if (!FIELD_OK(m->open.user) || !FIELD_OK(m->open.service) ||
		    !FIELD_OK(m->open.tty) || !FIELD_OK(m->open.rhost))
			return err_set(err, EBADMSG, "unterminated string");
		if (!cookie_valid(m->open.cookie))
			return err_set(err, EBADMSG, "bad cookie");
		return nfds == 0 ? 0 : err_set(err, EBADMSG, "unexpected fds");
	case TN_MSG_POLICY:
	case TN_MSG_RESULT:
		if (!FIELD_OK(m->result.msg) || !cookie_valid(m->result.cookie))
			return err_set(err, EBADMSG, "bad string or cookie");
		if (!ns_mask_ok(m->result.ns_mask))
			return err_set(err, EBADMSG, "bad namespace mask");
		if (m->hdr.type == TN_MSG_POLICY)
			return nfds == 0 ? 0 : err_set(err, EBADMSG, "unexpected fds");
		if (m->result.status < TN_ST_ISOLATED ||
		    m->result.status > TN_ST_ASK_HELPER)
			return err_set(err, EBADMSG, "bad status %u", m->result.status);
		if (m->result.status == TN_ST_ISOLATED) {
			/* namespaces, plus the keeper link unless it is the socket */
			size_t want = __builtin_popcount(m->result.ns_mask) +
			    !(m->result.flags & TN_RES_LINK_IS_SOCKET);
			if (!(m->result.ns_mask & 1))
				return err_set(err, EBADMSG, "no mount namespace");
			if (nfds != want)
				return err_set(err, EBADMSG, "got %zu fds, want %zu",
				    nfds, want);
			return 0;
		}
		return nfds == 0 ? 0 : err_set(err, EBADMSG, "unexpected fds");
	case TN_MSG_JOIN:
		if (!FIELD_OK(m->join.user) || !FIELD_OK(m->join.service) ||
		    !FIELD_OK(m->join.tty) || !FIELD_OK(m->join.rhost))
			return err_set(err, EBADMSG, "unterminated string");
		if (!cookie_valid(m->join.cookie) || m->join.on_logout > 1)
			return err_set(err, EBADMSG, "bad cookie or on_logout");
		if (m->join.sessions_max < 1 ||
		    m->join.sessions_max > TN_SESSIONS_MAX_LIMIT)
			return err_set(err, EBADMSG, "bad sessions_max %u",
			    m->join.sessions_max);
		return nfds == 1 ? 0
		                 : err_set(err, EBADMSG, "JOIN needs the leader's pidfd");
	case TN_MSG_JOINED:
		if (!FIELD_OK(m->joined.msg) || !ns_mask_ok(m->joined.ns_mask))
			return err_set(err, EBADMSG, "bad string or mask");
		if (m->joined.status == TN_ST_ISOLATED)
			return nfds == (size_t)__builtin_popcount(m->joined.ns_mask) &&
			        (m->joined.ns_mask & 1)
			    ? 0
			    : err_set(err, EBADMSG, "fd count does not match mask");
		if (m->joined.status == TN_ST_DENIED)
			return nfds == 0 ? 0 : err_set(err, EBADMSG, "unexpected fds");
		return err_set(err, EBADMSG, "bad status %u", m->joined.status);
	case TN_MSG_CLOSE:
	case TN_MSG_TERMINATE:
	case TN_MSG_STATUS:
	case TN_MSG_INIT:
		if (!FIELD_OK(m->ctl.cookie) || !FIELD_OK(m->ctl.text))
			return err_set(err, EBADMSG, "unterminated string");
		if (m->hdr.type == TN_MSG_INIT) /* status socket [, /proc] */
			return nfds <= 2 ? 0 : err_set(err, EBADMSG, "unexpected fds");
		return nfds == 0 ? 0 : err_set(err, EBADMSG, "unexpected fds");
	case TN_MSG_SIGNAL:
		return check_signal(&m->signal, nfds, err);
	default:
		return err_set(err, EBADMSG, "unknown type");
	}
}

int
proto_decode(const void *buf, size_t len, unsigned allowed, size_t nfds,
    union tn_msg *out, struct tn_err *err)
{
	struct tn_hdr h;
	size_t want;

	if (len < sizeof(h))
		return err_set(err, EBADMSG, "short message (%zu bytes)", len);
	memcpy(&h, buf, sizeof(h));
	if (h.magic != TN_PROTO_MAGIC)
		return err_set(err, EBADMSG, "bad magic");
	if (h.version != TN_PROTO_VERSION)
		return err_set(err, EPROTO,
		    "the peer speaks protocol version %u, this build %u "
		    "(pam_tenant upgraded while it ran?)",
		    h.version, TN_PROTO_VERSION);
	if (h.type >= 32 || !(allowed & (1u << h.type)))
		return err_set(err, EBADMSG, "unexpected message type %u", h.type);
	want = size_of_type(h.type);
	if (want != 0 && len == h.size && len >= legacy_size_of_type(h.type) &&
	    len < want)
		want = len; /* from a peer without the notice: it reads as zeros */
	if (want == 0 || len != want || h.size != want)
		return err_set(err, EBADMSG, "message type %u has %zu bytes, want %zu",
		    h.type, len, want);
	memset(out, 0, sizeof(*out));
	memcpy(out, buf, len);
	return check_body(out, nfds, err);
}

int
proto_send(int sock, const void *msg, const int *fds, size_t nfds, struct tn_err *err)
{
	const struct tn_hdr *h = msg;
	union {
		char buf[CMSG_SPACE(sizeof(int) * TN_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)msg, .iov_len = h->size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > TN_MAX_FDS)
		return err_set(err, E2BIG, "too many fds");
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_set(err, errno, "sendmsg: %m");
	if ((size_t)n != h->size)
		return err_set(err, EIO, "short send");
	return 0;
}

int
proto_send_version(int sock)
{
	struct tn_hdr h;

	proto_init(&h, TN_MSG_VERSION);
	return proto_send(sock, &h, NULL, 0, NULL);
}

static void
close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int
proto_recv(int sock, unsigned allowed, union tn_msg *out, int *fds, size_t *nfds,
    struct tn_err *err)
{
	union tn_msg buf;
	union {
		char buf[CMSG_SPACE(sizeof(int) * TN_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = fds ? ctl.buf : NULL,
		.msg_controllen = fds ? sizeof(ctl.buf) : 0 };
	int got[TN_MAX_FDS];
	size_t ngot = 0;
	ssize_t n;
	int r;

	*nfds = 0;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_set(err, errno, "recvmsg: %m");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (ngot < TN_MAX_FDS)
				got[ngot++] = fd;
			else
				close(fd);
		}
	}
	if (fds == NULL && (mh.msg_flags & MSG_CTRUNC))
		return err_set(err, EBADMSG, "fds sent (dropped unopened)");
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		close_all(got, ngot);
		return err_set(err, EMSGSIZE, "oversized message or too many fds");
	}
	if (n == 0) {
		close_all(got, ngot);
		return -EPIPE;
	}
	r = proto_decode(&buf, (size_t)n, allowed, ngot, out, err);
	if (r < 0) {
		close_all(got, ngot);
		return r;
	}
	if (fds != NULL && ngot > 0) /* (none came without room for them) */
		memcpy(fds, got, ngot * sizeof(int));
	*nfds = ngot;
	return 0;
}
