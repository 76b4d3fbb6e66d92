/* A client of a keeper's user status socket for e2e 64: send one request
 * of any type (a user trying more than STATUS), hold connections open,
 * or hammer it with requests.
 *   status-peer PATH send TYPE     answer "status" + text | "closed" | "timeout"
 *   status-peer PATH hold N SECS   connect N times, keep them SECS seconds
 *   status-peer PATH hammer SECS   STATUS requests back to back for SECS
 *   status-peer PATH fuse-fd SECS  send STATUS with the fd of a file on a
 *                                  FUSE mount of our own whose server never
 *                                  answers another process's flush (a keeper
 *                                  that closed it would hang); answer as for
 *                                  send, then keep the server up SECS
 * Exit 0 on success, 1 when refused or closed, 2 when it cannot connect. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
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

static void
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, text, strlen(text)) < 0) {
		perror(path);
		exit(2);
	}
	close(fd);
}

static void
fuse_reply(int dev, uint64_t unique, int error, const void *body, size_t len)
{
	char buf[sizeof(struct fuse_out_header) + 256];
	struct fuse_out_header h = { .len = (uint32_t)(sizeof(h) + len),
		.error = error, .unique = unique };

	memcpy(buf, &h, sizeof(h));
	if (len > 0)
		memcpy(buf + sizeof(h), body, len);
	if (write(dev, buf, h.len) < 0)
		perror("status-peer: fuse reply");
}

/* The FUSE server: one regular file below a directory; every request is
 * answered except a flush sent by any process but `owner`. */
static void
fuse_serve(int dev, pid_t owner)
{
	static char buf[FUSE_MIN_READ_BUFFER + 131072];
	ssize_t n;

	while ((n = read(dev, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		struct fuse_in_header in;
		struct fuse_init_out init = { .major = FUSE_KERNEL_VERSION, .minor = 31,
			.max_readahead = 65536, .max_write = 65536 };
		struct fuse_entry_out entry = { .nodeid = 2 };
		struct fuse_attr_out attr = { 0 };
		struct fuse_open_out open_out = { .fh = 1 };

		if (n < (ssize_t)sizeof(in))
			continue;
		memcpy(&in, buf, sizeof(in));
		entry.attr = (struct fuse_attr){ .ino = 2, .mode = S_IFREG | 0644, .nlink = 1 };
		attr.attr = in.nodeid == FUSE_ROOT_ID ?
		    (struct fuse_attr){ .ino = 1, .mode = S_IFDIR | 0755, .nlink = 2 } :
		    entry.attr;
		switch (in.opcode) {
		case FUSE_INIT:
			fuse_reply(dev, in.unique, 0, &init, sizeof(init));
			break;
		case FUSE_LOOKUP:
			fuse_reply(dev, in.unique, 0, &entry, sizeof(entry));
			break;
		case FUSE_GETATTR:
			fuse_reply(dev, in.unique, 0, &attr, sizeof(attr));
			break;
		case FUSE_OPEN:
		case FUSE_OPENDIR:
			fuse_reply(dev, in.unique, 0, &open_out, sizeof(open_out));
			break;
		case FUSE_FLUSH:
			if ((pid_t)in.pid == owner)
				fuse_reply(dev, in.unique, 0, NULL, 0);
			else
				fprintf(stderr, "status-peer: flush from pid %u left unanswered\n",
				    in.pid);
			break;
		case FUSE_RELEASE:
		case FUSE_RELEASEDIR:
			fuse_reply(dev, in.unique, 0, NULL, 0);
			break;
		default:
			fuse_reply(dev, in.unique, -ENOSYS, NULL, 0);
		}
	}
	_exit(0);
}

/* fuse-fd: a user may mount FUSE in a user namespace of their own. */
static int
fuse_fd(const char *sock_path, unsigned secs)
{
	char map[64], opts[128], dir[] = "/tmp/status-peer.XXXXXX", file[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	union tn_msg m;
	struct tn_err err = { 0 };
	struct pollfd p;
	int sock = dial(sock_path), dev, fd, answer;
	pid_t server;

	if (sock < 0) {
		printf("cannot connect: %s\n", strerror(errno));
		return 2;
	}
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		printf("cannot make a user namespace: %s\n", strerror(errno));
		return 2;
	}
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	write_file("/proc/self/uid_map", map);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	write_file("/proc/self/gid_map", map);
	if (mkdtemp(dir) == NULL || (dev = open("/dev/fuse", O_RDWR | O_CLOEXEC)) < 0) {
		perror("status-peer: mkdtemp or /dev/fuse");
		return 2;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", dev);
	if (mount("status-peer", dir, "fuse", MS_NOSUID | MS_NODEV, opts) < 0) {
		perror("status-peer: mount fuse");
		return 2;
	}
	if ((server = fork()) == 0)
		fuse_serve(dev, getppid());
	snprintf(file, sizeof(file), "%s/file", dir);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		perror(file);
		kill(server, SIGKILL);
		return 2;
	}
	memset(&m, 0, sizeof(m));
	proto_init(&m, TN_MSG_STATUS);
	if (proto_send(sock, &m, &fd, 1, &err) < 0) {
		printf("closed\n");
		answer = 1;
	} else {
		p = (struct pollfd){ .fd = sock, .events = POLLIN };
		answer = poll(&p, 1, 3000) <= 0 ? 2 : recv(sock, &m, sizeof(m), 0) > 0 ? 0 : 1;
		printf("%s\n", answer == 0 ? "status" : answer == 2 ? "timeout" : "closed");
	}
	fflush(stdout);
	sleep(secs);
	close(fd);
	kill(server, SIGKILL); /* the kernel aborts the connection: no flush waits on */
	return answer == 0 ? 0 : 1;
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
	if (argc == 4 && strcmp(argv[2], "fuse-fd") == 0)
		return fuse_fd(argv[1], (unsigned)atoi(argv[3]));
	fprintf(stderr, "usage: status-peer PATH send TYPE | hold N SECS | hammer SECS | "
	    "fuse-fd SECS\n");
	return 2;
}
