/* Misbehaving stand-ins for tenant-helper, one binary per FAKE_MODE, for
 * the module's return-code tests (style anchors §7.5). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"

#define MODULE_FD 3

static int
is(const char *mode)
{
	return strcmp(FAKE_MODE, mode) == 0;
}

int
main(void)
{
	union tn_msg m;
	int fds[TN_MAX_FDS];
	size_t nfds;
	struct tn_msg_result r;

	if (is("crash"))
		raise(SIGSEGV);
	if (is("hang"))
		for (;;)
			pause();
	if (is("exit1"))
		return 1;
	if (is("silent"))
		return 0;
	if (proto_recv(MODULE_FD, 1u << TN_MSG_OPEN, &m, fds, &nfds, NULL) < 0)
		return 2;
	if (is("garbage")) {
		char junk[700];
		memset(junk, 'A', sizeof(junk));
		(void)!write(MODULE_FD, junk, sizeof(junk));
		return 0;
	}
	if (is("huge")) {
		static char big[200000];
		memcpy(big, &m, sizeof(struct tn_hdr));
		(void)!write(MODULE_FD, big, sizeof(big));
		return 0;
	}
	proto_init(&r, TN_MSG_POLICY);
	memcpy(r.cookie, m.open.cookie, sizeof(r.cookie));
	if (is("wrong-cookie"))
		memset(r.cookie, 'f', TN_COOKIE_HEX);
	if (is("allow-then-crash"))
		r.flags = TN_RES_ON_ERROR_ALLOW;
	if (proto_send(MODULE_FD, &r, NULL, 0, NULL) < 0)
		return 2;
	if (is("allow-then-crash"))
		raise(SIGSEGV);
	if (is("exempt") || is("exempt-then-fail")) {
		proto_init(&r, TN_MSG_RESULT);
		memcpy(r.cookie, m.open.cookie, sizeof(r.cookie));
		r.status = TN_ST_EXEMPT;
		(void)proto_send(MODULE_FD, &r, NULL, 0, NULL);
		return is("exempt") ? 0 : 3;
	}
	if (is("isolated-no-fds")) {
		/* claims success but carries no namespaces: must be refused */
		proto_init(&r, TN_MSG_RESULT);
		memcpy(r.cookie, m.open.cookie, sizeof(r.cookie));
		r.status = TN_ST_ISOLATED;
		r.ns_mask = 1;
		(void)proto_send(MODULE_FD, &r, NULL, 0, NULL);
		return 0;
	}
	return 0;
}
