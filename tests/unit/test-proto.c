/* The module<->helper message decoder against truncated, oversized,
 * garbage and inconsistent input (security catalog #19, style rule R8). */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "proto.h"
#include "tap.h"

#define ALL_RESULTS ((1u << TN_MSG_POLICY) | (1u << TN_MSG_RESULT))

static struct tn_msg_result
good_result(enum tn_status st, uint32_t mask)
{
	struct tn_msg_result r;

	proto_init(&r, TN_MSG_RESULT);
	r.status = st;
	r.ns_mask = mask;
	memset(r.cookie, 'a', TN_COOKIE_HEX);
	return r;
}

static int
decode(const void *buf, size_t len, unsigned allowed, size_t nfds)
{
	union tn_msg out;
	struct tn_err err = { 0 };
	return proto_decode(buf, len, allowed, nfds, &out, &err);
}

int
main(void)
{
	struct tn_msg_result r = good_result(TN_ST_ISOLATED, 0x0f);
	struct tn_msg_open o;
	char big[sizeof(union tn_msg) + 64], cookie[TN_COOKIE_HEX + 1];

	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 5), 0,
	    "well-formed isolated result with 4 ns + link");
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 4), -EBADMSG, "fd count one short");
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 6), -EBADMSG, "fd count one over");
	IS_INT(decode(&r, sizeof(r) - 1, ALL_RESULTS, 5), -EBADMSG,
	    "truncated by one byte");
	IS_INT(decode(&r, 3, ALL_RESULTS, 0), -EBADMSG, "shorter than a header");
	IS_INT(decode(&r, 0, ALL_RESULTS, 0), -EBADMSG, "empty datagram");
	memset(big, 0, sizeof(big));
	memcpy(big, &r, sizeof(r));
	IS_INT(decode(big, sizeof(r) + 1, ALL_RESULTS, 5), -EBADMSG, "one byte too many");
	IS_INT(decode(big, sizeof(big), ALL_RESULTS, 5), -EBADMSG, "oversized");
	IS_INT(decode(&r, sizeof(r), 1u << TN_MSG_OPEN, 5), -EBADMSG,
	    "type not allowed here");

	r = good_result(TN_ST_ISOLATED, 0x0f);
	r.hdr.magic ^= 1;
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 5), -EBADMSG, "bad magic");
	r = good_result(TN_ST_ISOLATED, 0x0f);
	r.hdr.version = TN_PROTO_VERSION + 1;
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 5), -EPROTO, "other protocol version");
	r.hdr.version = TN_PROTO_VERSION - 1;
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 5), -EPROTO, "older protocol version");
	r = good_result(TN_ST_ISOLATED, 0x0f);
	r.hdr.size = 12;
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 5), -EBADMSG, "header size disagrees");
	r = good_result(TN_ST_ISOLATED, 0x0f);
	r.hdr.type = 200;
	IS_INT(decode(&r, sizeof(r), ~0u, 5), -EBADMSG, "unknown type");
	r = good_result(99, 0);
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 0), -EBADMSG, "unknown status");
	r = good_result(TN_ST_ISOLATED, 0x0e);
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 4), -EBADMSG,
	    "isolated without a mount namespace");
	r = good_result(TN_ST_ISOLATED, 0x40);
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 2), -EBADMSG,
	    "namespace bit out of range");
	r = good_result(TN_ST_ISOLATED, 0x0f);
	r.flags |= TN_RES_LINK_IS_SOCKET;
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 4), 0,
	    "keeper's answer: 4 ns, the link is the socket");
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 5), -EBADMSG,
	    "keeper's answer with a link fd too");
	r = good_result(TN_ST_ASK_HELPER, 0);
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 0), 0, "ask-the-helper without fds");
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 1), -EBADMSG,
	    "ask-the-helper with an fd");
	r = good_result(TN_ST_ASK_HELPER + 1, 0);
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 0), -EBADMSG,
	    "status past the last one");
	r = good_result(TN_ST_DENIED, 0);
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 0), 0, "denied without fds");
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 1), -EBADMSG, "denied with an fd");
	memset(r.msg, 'x', sizeof(r.msg));
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 0), -EBADMSG,
	    "message text without NUL");
	r = good_result(TN_ST_DENIED, 0);
	r.cookie[3] = 'G';
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 0), -EBADMSG,
	    "cookie with a non-hex digit");
	r = good_result(TN_ST_DENIED, 0);
	r.cookie[TN_COOKIE_HEX - 1] = '\0';
	IS_INT(decode(&r, sizeof(r), ALL_RESULTS, 0), -EBADMSG, "short cookie");

	proto_init(&o, TN_MSG_OPEN);
	memset(o.cookie, '0', TN_COOKIE_HEX);
	IS_INT(decode(&o, sizeof(o), 1u << TN_MSG_OPEN, 0), 0,
	    "well-formed open request");
	memset(o.user, 'u', sizeof(o.user));
	IS_INT(decode(&o, sizeof(o), 1u << TN_MSG_OPEN, 0), -EBADMSG,
	    "user name without NUL");

	/* JOIN: a pidfd, and sessions.max within 1..TN_SESSIONS_MAX_LIMIT. */
	struct tn_msg_join j;
	proto_init(&j, TN_MSG_JOIN);
	memset(j.cookie, 'b', TN_COOKIE_HEX);
	j.sessions_max = 3;
	IS_INT(decode(&j, sizeof(j), 1u << TN_MSG_JOIN, 1), 0,
	    "well-formed join with sessions.max 3");
	IS_INT(decode(&j, sizeof(j), 1u << TN_MSG_JOIN, 0), -EBADMSG,
	    "join without the leader's pidfd");
	j.sessions_max = TN_SESSIONS_MAX_LIMIT;
	IS_INT(decode(&j, sizeof(j), 1u << TN_MSG_JOIN, 1), 0,
	    "join with the largest sessions.max");
	j.sessions_max = 0;
	IS_INT(decode(&j, sizeof(j), 1u << TN_MSG_JOIN, 1), -EBADMSG,
	    "join with sessions.max 0");
	j.sessions_max = TN_SESSIONS_MAX_LIMIT + 1;
	IS_INT(decode(&j, sizeof(j), 1u << TN_MSG_JOIN, 1), -EBADMSG,
	    "join with sessions.max over the limit");
	j.sessions_max = 3;
	j.on_logout = 2;
	IS_INT(decode(&j, sizeof(j), 1u << TN_MSG_JOIN, 1), -EBADMSG,
	    "join with an unknown on_logout");

	/* A peer from before the notice (a keeper started before an
	 * upgrade) sends RESULT and JOINED without it: that reads as zeros;
	 * anything shorter is still refused. */
	{
		union tn_msg out;
		struct tn_err e = { 0 };
		size_t old = offsetof(struct tn_msg_result, notice);

		r = good_result(TN_ST_ISOLATED, 0x0f);
		r.notice.oom_kills = 7;
		r.hdr.size = (uint32_t)old;
		IS_INT(proto_decode(&r, old, ALL_RESULTS, 5, &out, &e), 0,
		    "a result without the notice decodes");
		IS_INT(out.result.notice.oom_kills, 0,
		    "... and its notice reads as zero");
		r.hdr.size = (uint32_t)old - 1;
		IS_INT(decode(&r, old - 1, ALL_RESULTS, 5), -EBADMSG,
		    "a result shorter than that does not");
		r = good_result(TN_ST_ISOLATED, 0x0f);
		r.notice.forks_refused = 37;
		IS_INT(proto_decode(&r, sizeof(r), ALL_RESULTS, 5, &out, &e), 0,
		    "a result with a notice decodes");
		IS_INT(out.result.notice.forks_refused, 37, "... and carries it");

		struct tn_msg_joined jd;
		proto_init(&jd, TN_MSG_JOINED);
		jd.status = TN_ST_ISOLATED;
		jd.ns_mask = 1;
		jd.hdr.size = (uint32_t)offsetof(struct tn_msg_joined, notice);
		IS_INT(decode(&jd, jd.hdr.size, 1u << TN_MSG_JOINED, 1), 0,
		    "a joined without the notice decodes");

		struct tn_msg_ctl init;
		proto_init(&init, TN_MSG_INIT);
		IS_INT(decode(&init, sizeof(init), 1u << TN_MSG_INIT, 2), 0,
		    "init with the status socket and /proc");
		IS_INT(decode(&init, sizeof(init), 1u << TN_MSG_INIT, 3), -EBADMSG,
		    "init with three fds");
	}

	/* Garbage of every length up to the largest message never decodes. */
	int garbage_ok = 0;
	for (size_t len = 0; len <= sizeof(union tn_msg); len++) {
		memset(big, 0x5a, sizeof(big));
		garbage_ok += decode(big, len, ~0u, 0) == 0;
	}
	IS_INT(garbage_ok, 0, "no garbage buffer of any length decodes");

	/* Over a real socket: fds travel, truncation is detected. */
	int sp[2], fds[TN_MAX_FDS];
	size_t nfds = 99;
	union tn_msg m;
	struct tn_err err = { 0 };
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == 0) {
		int pass[5] = { 0, 0, 0, 0, 0 };
		r = good_result(TN_ST_ISOLATED, 0x0f);
		IS_INT(proto_send(sp[0], &r, pass, 5, &err), 0, "send with 5 fds");
		IS_INT(proto_recv(sp[1], ALL_RESULTS, &m, fds, &nfds, &err), 0,
		    "receive it");
		IS_INT(nfds, 5, "five fds arrived");
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		IS_INT(write(sp[0], big, sizeof(union tn_msg) + 8),
		    (long)sizeof(union tn_msg) + 8, "write an oversized datagram");
		IS_INT(proto_recv(sp[1], ALL_RESULTS, &m, fds, &nfds, &err), -EMSGSIZE,
		    "oversized datagram is refused");
		/* The answer to another build: a bare header with our version,
		 * -EPROTO naming both versions at a peer of another version,
		 * refused (never believed) at one of ours, whatever it allows. */
		struct tn_hdr vh = { .magic = TN_PROTO_MAGIC,
			.version = TN_PROTO_VERSION + 1,
			.type = TN_MSG_VERSION,
			.size = sizeof(vh) };
		char want[64];
		IS_INT(write(sp[0], &vh, sizeof(vh)), (long)sizeof(vh),
		    "a version notice from the next version");
		IS_INT(proto_recv(sp[1], ALL_RESULTS, &m, fds, &nfds, &err), -EPROTO,
		    "it reads as -EPROTO");
		snprintf(want, sizeof(want), "protocol version %u, this build %u",
		    TN_PROTO_VERSION + 1, TN_PROTO_VERSION);
		OK(strstr(err.msg, want) != NULL, "the error names both versions");
		IS_INT(proto_send_version(sp[0]), 0, "proto_send_version");
		IS_INT(proto_recv(sp[1], ~0u, &m, fds, &nfds, &err), -EBADMSG,
		    "our own version notice is refused even where all types are allowed");
		close(sp[0]);
		IS_INT(proto_recv(sp[1], ALL_RESULTS, &m, fds, &nfds, &err), -EPIPE,
		    "end of stream");
		close(sp[1]);
	}
	IS_INT(cookie_new(cookie), 0, "cookie_new");
	OK(cookie_valid(cookie), "fresh cookie is valid");
	/* SIGNAL (tenantctl kill / terminate --session): signal range, flags,
	 * a cookie exactly when one session is meant, no fds. */
	{
		struct tn_msg_signal sg;
		const unsigned sig_only = 1u << TN_MSG_SIGNAL;

		proto_init(&sg, TN_MSG_SIGNAL);
		sg.signo = 15;
		IS_INT(decode(&sg, sizeof(sg), sig_only, 0), 0,
		    "SIGNAL: the whole tenant");
		IS_INT(decode(&sg, sizeof(sg), sig_only, 1), -EBADMSG,
		    "SIGNAL: with an fd");
		IS_INT(decode(&sg, sizeof(sg) - 1, sig_only, 0), -EBADMSG,
		    "SIGNAL: one byte short");
		IS_INT(decode(&sg, sizeof(sg), 1u << TN_MSG_STATUS, 0), -EBADMSG,
		    "SIGNAL: not where only STATUS is allowed");
		sg.signo = 0;
		IS_INT(decode(&sg, sizeof(sg), sig_only, 0), -EBADMSG,
		    "SIGNAL: signal 0");
		sg.signo = TN_SIGNAL_MAX + 1;
		IS_INT(decode(&sg, sizeof(sg), sig_only, 0), -EBADMSG,
		    "SIGNAL: signal too big");
		sg.signo = TN_SIGNAL_MAX;
		IS_INT(decode(&sg, sizeof(sg), sig_only, 0), 0, "SIGNAL: SIGRTMAX");
		sg.flags = 1u << 5;
		IS_INT(decode(&sg, sizeof(sg), sig_only, 0), -EBADMSG,
		    "SIGNAL: unknown flag");
		sg.flags = TN_SIGNAL_SESSION;
		IS_INT(decode(&sg, sizeof(sg), sig_only, 0), -EBADMSG,
		    "SIGNAL: a session without a cookie");
		memset(sg.cookie, 'a', TN_COOKIE_HEX);
		IS_INT(decode(&sg, sizeof(sg), sig_only, 0), 0,
		    "SIGNAL: one session by cookie");
		sg.flags = 0;
		IS_INT(decode(&sg, sizeof(sg), sig_only, 0), -EBADMSG,
		    "SIGNAL: a cookie without the session flag");
		sg.flags = TN_SIGNAL_SESSION;
		sg.cookie[3] = 'A';
		IS_INT(decode(&sg, sizeof(sg), sig_only, 0), -EBADMSG,
		    "SIGNAL: a bad cookie");
		sg.cookie[3] = 'a';
		memset(sg.msg, 'x', sizeof(sg.msg));
		IS_INT(decode(&sg, sizeof(sg), sig_only, 0), -EBADMSG,
		    "SIGNAL: unterminated msg");
		sg.msg[0] = '\0';
		sg.status = 4096;
		IS_INT(decode(&sg, sizeof(sg), sig_only, 0), -EBADMSG,
		    "SIGNAL: status out of range");
	}
	return tap_done();
}
