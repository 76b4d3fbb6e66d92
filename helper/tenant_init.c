/* PID 1 of a tenant.  It builds the mount table while it still has
 * privileges, hands the keeper a handle on the tenant's /proc, then drops
 * every capability and does nothing but reap orphans.  It stays uid 0 so
 * the tenant's user can neither signal nor ptrace it, and holds no fds. */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "util.h"

/* A new network namespace starts with lo down. */
static int
loopback_up(struct tn_err *err)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;

	if (s < 0)
		return err_set(err, errno, "socket: %m");
	memset(&ifr, 0, sizeof(ifr));
	str_copy(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return err_set(err, errno, "lo: SIOCGIFFLAGS: %m");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return err_set(err, errno, "lo: SIOCSIFFLAGS: %m");
	return 0;
}

static int
drop_everything(struct tn_err *err)
{
	cap_t none;
	int r;

	for (int c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return err_set(err, errno, "drop bounding cap %d: %m", c);
	none = cap_init();
	if (none == NULL)
		return err_set(err, errno, "cap_init: %m");
	r = cap_set_proc(none);
	cap_free(none);
	if (r < 0)
		return err_set(err, errno, "cap_set_proc: %m");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_set(err, errno, "no_new_privs: %m");
	return 0;
}

static bool
keeper_alive(int chan)
{
	struct pollfd p = { .fd = chan, .events = POLLIN | POLLRDHUP };
	int r;

	while ((r = poll(&p, 1, 0)) < 0 && errno == EINTR)
		;
	return r == 0;
}

/* The keeper gets the user's status socket, then the tenant's /proc
 * when there is one. */
static void
report(int chan, int user_fd, int proc_fd, const char *error)
{
	struct tn_msg_ctl m;
	int fds[2] = { user_fd, proc_fd };

	proto_init(&m, TN_MSG_INIT);
	if (error)
		str_copy(m.text, sizeof(m.text), error);
	(void)proto_send(chan, &m, fds, error ? 0 : proc_fd >= 0 ? 2 : 1, NULL);
}

int
tenant_init_main(void *arg)
{
	const struct init_args *a = arg;
	struct tn_err err = { 0 };
	int proc_fd = -1, user_fd = -1;
	sigset_t chld;

	/* If the keeper goes, the tenant goes: the keeper is its owner. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(1);
	/* Inherit nothing of the keeper's (state dirs, audit, ready pipe,
	 * its end of our channel). */
	if ((a->chan > 3 && close_range(3, a->chan - 1, 0) < 0) ||
	    close_range(a->chan + 1, ~0U, 0) < 0)
		_exit(1);
	/* A keeper that died before the prctl sent no signal; getppid() is 0
	 * in a new PID namespace, so ask the channel: the keeper sends
	 * nothing before our report, so any event means its end is closed. */
	if (!keeper_alive(a->chan))
		_exit(1);
	proc_title("tenant-init");
	if (mounts_setup(a, &proc_fd, &user_fd, &err) < 0 ||
	    ((a->namespaces & TN_NS_NET) && loopback_up(&err) < 0) || chdir("/") < 0 ||
	    drop_everything(&err) < 0) {
		lsm_hint(&err);
		report(a->chan, -1, -1,
		    err.msg[0] ? err.msg : "tenant init setup failed");
		_exit(1);
	}
	report(a->chan, user_fd, proc_fd, NULL);
	close(a->chan);
	close(user_fd); /* the keeper listens; init holds no fds */
	if (proc_fd >= 0)
		close(proc_fd);

	proc_release_main_stack();
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		(void)sigwaitinfo(&chld, NULL);
	}
}
