/* Writes the seed corpora of fuzz-proto and fuzz-proto-recv: one valid
 * message of every type and status, with the fd counts it must carry
 * (fuzz-proto-recv's first byte), and a few that are one field off.
 *   build/fuzz/gen-proto-seeds DIR_PROTO DIR_RECV   (make fuzz-seeds) */
#include <stdio.h>
#include <string.h>

#include "proto.h"

static const char *dir_proto, *dir_recv;
static int count;

static void
put(const void *msg, size_t len, unsigned nfds)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%02d", dir_proto, count);
	if ((f = fopen(path, "wb")) == NULL || fwrite(msg, 1, len, f) != len || fclose(f))
		perror(path);
	snprintf(path, sizeof(path), "%s/seed-%02d", dir_recv, count);
	if ((f = fopen(path, "wb")) == NULL || fputc((int)nfds, f) == EOF ||
	    fwrite(msg, 1, len, f) != len || fclose(f))
		perror(path);
	count++;
}

int
main(int argc, char **argv)
{
	static const char cookie[] = "0123456789abcdef0123456789abcdef";
	union tn_msg m;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DIR_PROTO DIR_RECV\n", argv[0]);
		return 2;
	}
	dir_proto = argv[1];
	dir_recv = argv[2];

	proto_init(&m, TN_MSG_OPEN);
	m.open.uid = 1000;
	m.open.timeout_ms = 10000;
	memcpy(m.open.cookie, cookie, sizeof(cookie));
	strcpy(m.open.user, "alice");
	strcpy(m.open.service, "sshd");
	strcpy(m.open.tty, "ssh");
	strcpy(m.open.rhost, "127.0.0.1");
	put(&m, sizeof(m.open), 0);
	m.open.cookie[5] = 'A'; /* uppercase: refused */
	put(&m, sizeof(m.open), 0);

	for (unsigned type = TN_MSG_POLICY; type <= TN_MSG_RESULT; type++)
		for (unsigned st = TN_ST_ISOLATED; st <= TN_ST_ASK_HELPER; st++) {
			proto_init(&m, (enum tn_msg_type)type);
			m.result.status = type == TN_MSG_POLICY ? 0 : st;
			m.result.ns_mask = st == TN_ST_ISOLATED ? 0x0f : 0;
			m.result.flags = st == TN_ST_ISOLATED && type == TN_MSG_RESULT
			    ? 0
			    : TN_RES_ON_ERROR_ALLOW;
			memcpy(m.result.cookie, cookie, sizeof(cookie));
			strcpy(m.result.msg, "reason");
			put(&m, sizeof(m.result),
			    type == TN_MSG_RESULT && st == TN_ST_ISOLATED ? 5 : 0);
			if (type == TN_MSG_RESULT && st == TN_ST_ISOLATED) {
				m.result.flags = TN_RES_LINK_IS_SOCKET;
				m.result.ns_mask = 0x1f;
				put(&m, sizeof(m.result), 5);
			}
		}

	proto_init(&m, TN_MSG_JOIN);
	m.join.uid = 1000;
	m.join.on_logout = 1;
	m.join.flags = TN_JOIN_CGROUP;
	m.join.sessions_max = 256;
	memcpy(m.join.cookie, cookie, sizeof(cookie));
	strcpy(m.join.user, "alice");
	strcpy(m.join.service, "su");
	put(&m, sizeof(m.join), 1);

	proto_init(&m, TN_MSG_JOINED);
	m.joined.status = TN_ST_ISOLATED;
	m.joined.ns_mask = 0x1f;
	put(&m, sizeof(m.joined), 5);
	m.joined.status = TN_ST_DENIED;
	m.joined.ns_mask = 0;
	strcpy(m.joined.msg, "sessions.max reached");
	put(&m, sizeof(m.joined), 0);

	for (unsigned type = TN_MSG_CLOSE; type <= TN_MSG_INIT; type++) {
		proto_init(&m, (enum tn_msg_type)type);
		memcpy(m.ctl.cookie, cookie, sizeof(cookie));
		strcpy(m.ctl.text, type == TN_MSG_STATUS ? "sessions 1\nprocs 3\n" : "");
		put(&m, sizeof(m.ctl), type == TN_MSG_INIT ? 1 : 0);
	}
	proto_init(&m, TN_MSG_SIGNAL); /* tenantctl kill: the whole tenant */
	m.signal.signo = 15;
	put(&m, sizeof(m.signal), 0);
	m.signal.flags = TN_SIGNAL_SESSION; /* terminate --session */
	m.signal.signo = 9;
	memcpy(m.signal.cookie, cookie, sizeof(cookie));
	m.signal.count = 3;
	strcpy(m.signal.msg, "3 process(es) of the session signalled");
	put(&m, sizeof(m.signal), 0);
	/* header only, and a wrong version */
	proto_init(&m, TN_MSG_CLOSE);
	put(&m, sizeof(m.hdr), 0);
	m.hdr.version = 2;
	put(&m, sizeof(m.ctl), 0);
	printf("%d seeds\n", count);
	return 0;
}
