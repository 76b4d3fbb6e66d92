/* The wire decoder (common/proto.c, proto_decode) on arbitrary bytes,
 * for every message type it may be told to accept and every fd count
 * from 0 to one past TN_MAX_FDS.  What it accepts must be exactly what
 * docs/architecture.md "Wire format" promises; that is restated here
 * independently of proto.c and checked on every accepted message. */
#include <errno.h>
#include <stddef.h>

#include "fuzz.h"
#include "proto.h"

#define ALL_TYPES 0x7feu /* 1u << TN_MSG_OPEN .. 1u << TN_MSG_SIGNAL */

static size_t
expected_size(unsigned type)
{
	switch (type) {
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
	}
	return 0;
}

/* RESULT (and POLICY) and JOINED end with a notice that a peer from
 * before it leaves out: any size from there to the whole is accepted. */
static size_t
smallest_size(unsigned type)
{
	switch (type) {
	case TN_MSG_POLICY:
	case TN_MSG_RESULT:
		return offsetof(struct tn_msg_result, notice);
	case TN_MSG_JOINED:
		return offsetof(struct tn_msg_joined, notice);
	}
	return expected_size(type);
}

static bool
cookie_ok(const char *c)
{
	for (int i = 0; i < TN_COOKIE_HEX; i++)
		if (!((c[i] >= '0' && c[i] <= '9') || (c[i] >= 'a' && c[i] <= 'f')))
			return false;
	return c[TN_COOKIE_HEX] == '\0';
}

static unsigned
bits(uint32_t v)
{
	unsigned n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/* The fd count an accepted message must have come with. */
static bool
fds_ok(const union tn_msg *m, size_t nfds)
{
	switch (m->hdr.type) {
	case TN_MSG_RESULT:
		if (m->result.status == TN_ST_ISOLATED)
			return (m->result.ns_mask & 1) &&
			    nfds ==
			    bits(m->result.ns_mask) +
			        !(m->result.flags & TN_RES_LINK_IS_SOCKET);
		return nfds == 0;
	case TN_MSG_JOIN:
		return nfds == 1;
	case TN_MSG_JOINED:
		if (m->joined.status == TN_ST_ISOLATED)
			return (m->joined.ns_mask & 1) && nfds == bits(m->joined.ns_mask);
		return m->joined.status == TN_ST_DENIED && nfds == 0;
	case TN_MSG_INIT: /* the user's status socket [, the tenant's /proc] */
		return nfds <= 2;
	default:
		return nfds == 0;
	}
}

static void
check_accepted(const uint8_t *data, size_t size, unsigned allowed, size_t nfds,
    const union tn_msg *m)
{
	const unsigned type = m->hdr.type;

	FUZZ_CHECK(type < 32 && (allowed & (1u << type)), "type %u not allowed", type);
	FUZZ_CHECK(m->hdr.magic == TN_PROTO_MAGIC && m->hdr.version == TN_PROTO_VERSION,
	    "header");
	FUZZ_CHECK(expected_size(type) != 0 && size <= expected_size(type) &&
	        size >= smallest_size(type) && m->hdr.size == size,
	    "type %u accepted with %zu bytes", type, size);
	FUZZ_CHECK(memcmp(m, data, size) == 0, "decoded copy differs from the input");
	FUZZ_CHECK(fds_ok(m, nfds), "type %u accepted with %zu fds", type, nfds);
	switch (type) {
	case TN_MSG_OPEN:
		FUZZ_CHECK(FUZZ_TERMINATED(m->open.user) &&
		        FUZZ_TERMINATED(m->open.service) &&
		        FUZZ_TERMINATED(m->open.tty) && FUZZ_TERMINATED(m->open.rhost) &&
		        cookie_ok(m->open.cookie),
		    "OPEN strings");
		break;
	case TN_MSG_POLICY:
	case TN_MSG_RESULT:
		FUZZ_CHECK(FUZZ_TERMINATED(m->result.msg) &&
		        cookie_ok(m->result.cookie) &&
		        m->result.ns_mask < (1u << TN_NS_COUNT),
		    "RESULT fields");
		FUZZ_CHECK(type == TN_MSG_POLICY ||
		        (m->result.status >= TN_ST_ISOLATED &&
		            m->result.status <= TN_ST_ASK_HELPER),
		    "RESULT status %u", m->result.status);
		break;
	case TN_MSG_JOIN:
		FUZZ_CHECK(FUZZ_TERMINATED(m->join.user) &&
		        FUZZ_TERMINATED(m->join.service) &&
		        FUZZ_TERMINATED(m->join.tty) && FUZZ_TERMINATED(m->join.rhost) &&
		        cookie_ok(m->join.cookie) && m->join.on_logout <= 1 &&
		        m->join.sessions_max >= 1 &&
		        m->join.sessions_max <= TN_SESSIONS_MAX_LIMIT,
		    "JOIN fields");
		break;
	case TN_MSG_JOINED:
		FUZZ_CHECK(FUZZ_TERMINATED(m->joined.msg) &&
		        m->joined.ns_mask < (1u << TN_NS_COUNT),
		    "JOINED fields");
		break;
	case TN_MSG_SIGNAL:
		FUZZ_CHECK(FUZZ_TERMINATED(m->signal.msg) && m->signal.signo >= 1 &&
		        m->signal.signo <= TN_SIGNAL_MAX &&
		        (m->signal.flags & ~TN_SIGNAL_ALL_FLAGS) == 0 &&
		        m->signal.status <= 4095 &&
		        ((m->signal.flags & TN_SIGNAL_SESSION)
		                ? cookie_ok(m->signal.cookie)
		                : m->signal.cookie[0] == '\0'),
		    "SIGNAL fields");
		break;
	default:
		FUZZ_CHECK(FUZZ_TERMINATED(m->ctl.cookie) && FUZZ_TERMINATED(m->ctl.text),
		    "ctl strings");
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union tn_msg out;

	for (size_t nfds = 0; nfds <= TN_MAX_FDS + 1; nfds++) {
		struct tn_err err = { 0 };
		unsigned type;
		int r = proto_decode(data, size, ALL_TYPES, nfds, &out, &err);

		if (r < 0) {
			FUZZ_CHECK(r == -err.code && err.code > 0 &&
			        FUZZ_TERMINATED(err.msg) && err.msg[0] != '\0',
			    "error %d without a message", r);
			continue;
		}
		FUZZ_CHECK(r == 0, "proto_decode returned %d", r);
		check_accepted(data, size, ALL_TYPES, nfds, &out);
		type = out.hdr.type;
		/* The same message is refused by a receiver that does not
		 * name its type, and accepted by one that names only it. */
		FUZZ_CHECK(proto_decode(data, size, ALL_TYPES & ~(1u << type), nfds, &out,
		               NULL) == -EBADMSG,
		    "type %u accepted though not allowed", type);
		FUZZ_CHECK(proto_decode(data, size, 1u << type, nfds, &out, NULL) == 0,
		    "type %u refused when it is the only one allowed", type);
	}
	return 0;
}
