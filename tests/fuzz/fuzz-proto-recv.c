/* proto_recv over a real SOCK_SEQPACKET pair: the datagram is the input
 * after its first byte, which says how many fds go with it (0 to
 * TN_MAX_FDS + 2, so too many fds and a truncated control message are
 * covered).  Whatever happens, every fd that arrived is either handed
 * to the caller (on success, as many as the message says) or closed:
 * the harness checks that no descriptor is left open afterwards. */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "proto.h"

#define ALL_TYPES 0x7feu /* OPEN .. SIGNAL */
#define MAX_DGRAM 4096   /* more than any message: MSG_TRUNC is covered */

static int sv[2] = { -1, -1 };
static int devnull = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		fuzz_fail(__FILE__, __LINE__, "setup: %m");
	return 0;
}

/* Which of the first 64 fds are open: compared before and after, so a
 * received fd that stays open is noticed whatever fd number it got. */
static uint64_t
open_fds(void)
{
	uint64_t set = 0;

	for (int fd = 0; fd < 64; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			set |= 1ull << fd;
	return set;
}

static void
check_no_fd_left(uint64_t before, const char *when)
{
	uint64_t extra = open_fds() & ~before;
	char link[64], target[256] = "";
	int fd;

	if (extra == 0)
		return;
	fd = __builtin_ctzll(extra);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (readlink(link, target, sizeof(target) - 1) < 0)
		target[0] = '\0';
	fuzz_fail(__FILE__, __LINE__, "fd %d (%s) left open %s", fd, target, when);
}

static int
send_with_fds(const uint8_t *buf, size_t len, size_t nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * (TN_MAX_FDS + 2))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[TN_MAX_FDS + 2];
	ssize_t n;

	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		for (size_t i = 0; i < nfds; i++)
			fds[i] = devnull;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	n = sendmsg(sv[0], &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	return n == (ssize_t)len ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union tn_msg out;
	struct tn_err err = { 0 };
	int fds[TN_MAX_FDS];
	size_t nfds = 99, want;
	uint64_t before;
	int r;

	if (size < 1 || size - 1 > MAX_DGRAM)
		return -1;
	want = data[0] % (TN_MAX_FDS + 3);
	before = open_fds();
	if (send_with_fds(data + 1, size - 1, want) < 0)
		return 0;
	memset(fds, 0xff, sizeof(fds));
	r = proto_recv(sv[1], ALL_TYPES, &out, fds, &nfds, &err);
	if (r == 0) {
		FUZZ_CHECK(nfds == want && nfds <= TN_MAX_FDS, "sent %zu fds, got %zu",
		    want, nfds);
		for (size_t i = 0; i < nfds; i++) {
			FUZZ_CHECK(fds[i] >= 0 && fds[i] < 64 &&
			        !(before & (1ull << fds[i])) &&
			        (fcntl(fds[i], F_GETFD) & FD_CLOEXEC),
			    "fd %d not new or not close-on-exec", fds[i]);
			close(fds[i]);
		}
		/* what proto_decode alone says of the same bytes */
		FUZZ_CHECK(
		    proto_decode(data + 1, size - 1, ALL_TYPES, want, &out, NULL) == 0,
		    "proto_recv accepted what proto_decode refuses");
	} else {
		FUZZ_CHECK(nfds == 0, "error %d with %zu fds handed out", r, nfds);
		FUZZ_CHECK(r == -EPIPE ? size == 1 : err.code > 0 && r == -err.code,
		    "error %d, err.code %d", r, err.code);
		if (want <= TN_MAX_FDS && size - 1 <= sizeof(union tn_msg) && size > 1)
			FUZZ_CHECK(proto_decode(data + 1, size - 1, ALL_TYPES, want, &out,
			               NULL) < 0,
			    "proto_recv refused what proto_decode accepts");
	}
	check_no_fd_left(before, r == 0 ? "after success" : "after an error");
	return 0;
}
