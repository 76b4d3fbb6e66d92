/* A client of a keeper's user status socket for e2e 64: send one request
 * of any type (a user trying more than STATUS), hold connections open,
 * or hammer it with requests.
 *   status-peer PATH send TYPE     answer "status" + text | "closed" | "timeout"
 *   status-peer PATH hold N SECS   connect N times, keep them SECS seconds
 *   status-peer PATH hammer SECS   STATUS requests back to back for SECS
 * Exit 0 on success, 1 when refused or closed, 2 when it cannot connect. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

static int
dial(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 1 };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* 0: a STATUS answer (text printed when show); 1: closed; 2: timeout. */
static int
request(int fd, unsigned type, int show)
{
	union tn_msg m;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int fds[TN_MAX_FDS];
	size_t nfds = 0;
	struct tn_err err = { 0 };

	memset(&m, 0, sizeof(m));
	proto_init(&m, type);
	if (type == TN_MSG_OPEN || type == TN_MSG_JOIN)
		cookie_new(type == TN_MSG_OPEN ? m.open.cookie : m.join.cookie);
	if (type == TN_MSG_JOIN)
		m.join.sessions_max = 1;
	if (proto_send(fd, &m, NULL, 0, &err) < 0)
		return 1;
	if (poll(&p, 1, 3000) <= 0)
		return 2;
	if (proto_recv(fd, ~0u, &m, fds, &nfds, &err) < 0 || m.hdr.type != TN_MSG_STATUS)
		return 1;
	if (show)
		printf("status\n%s", m.ctl.text);
	return 0;
}

int
main(int argc, char **argv)
{
	int fd;

	if (argc == 4 && strcmp(argv[2], "send") == 0) {
		static const char *const names[] = { "", "open", "policy", "result", "join",
			"joined", "close", "terminate", "status", "init" };
		unsigned type = 0;

		for (unsigned i = 1; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(argv[3], names[i]) == 0)
				type = i;
		if (type == 0 || (fd = dial(argv[1])) < 0) {
			printf("cannot connect: %s\n", strerror(errno));
			return 2;
		}
		switch (request(fd, type, 1)) {
		case 0:
			return 0;
		case 2:
			printf("timeout\n");
			return 1;
		default:
			printf("closed\n");
			return 1;
		}
	}
	if (argc == 5 && strcmp(argv[2], "hold") == 0) {
		int n = atoi(argv[3]), held = 0;

		for (int i = 0; i < n; i++)
			held += dial(argv[1]) >= 0; /* kept open until exit */
		printf("held %d\n", held);
		fflush(stdout);
		sleep((unsigned)atoi(argv[4]));
		return 0;
	}
	if (argc == 4 && strcmp(argv[2], "hammer") == 0) {
		time_t end = time(NULL) + atoi(argv[3]);
		long answers = 0, tries = 0;

		while (time(NULL) < end) {
			tries++;
			fd = dial(argv[1]);
			if (fd < 0)
				continue;
			answers += request(fd, TN_MSG_STATUS, 0) == 0;
			close(fd);
		}
		printf("answers %ld of %ld\n", answers, tries);
		return 0;
	}
	fprintf(stderr, "usage: status-peer PATH send TYPE | hold N SECS | hammer SECS\n");
	return 2;
}
