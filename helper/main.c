/* tenant-helper: started by pam_tenant.so (never setuid, never by hand)
 * with fd 3 a SOCK_SEQPACKET link to the module.  It defends itself
 * against misuse before it believes anything (style rule R7). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"
#include "procstate.h"

#define MODULE_FD 3

static int
usage(const char *why)
{
	syslog(LOG_NOTICE, "refusing to run: %s (uid %u)", why, (unsigned)getuid());
	fprintf(stderr,
	    "tenant-helper: %s\n"
	    "This program is run by pam_tenant.so; see tenant-helper(8).\n",
	    why);
	return HELPER_EXIT_USAGE;
}

static int
is_seqpacket(int fd)
{
	struct stat st;
	int type = 0;
	socklen_t len = sizeof(type);

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	    type == SOCK_SEQPACKET;
}

int
main(int argc, char **argv)
{
	unsigned step;

	openlog("pam_tenant", LOG_PID, LOG_AUTHPRIV);
	proc_title_init(argc, argv);
	if (argc != 2 || strcmp(argv[1], "open") != 0)
		return usage("wrong arguments");
	if (geteuid() != 0 || getuid() != 0)
		return usage("must be started as root by pam_tenant.so");
	if (isatty(STDIN_FILENO))
		return usage("standard input is a terminal");
	if (!is_seqpacket(MODULE_FD))
		return usage("fd 3 is not the module's socket");
	/* The module built our environment and process state; trust none of
	 * it anyway: what the keeper and tenant-init inherit starts here. */
	if (proc_reset(&step) < 0) {
		syslog(LOG_ERR, "cannot reset the process state: %s: %m",
		    proc_reset_step_name(step));
		return HELPER_EXIT_SYSTEM;
	}
	if (clearenv() != 0 || setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1) != 0)
		return HELPER_EXIT_SYSTEM;
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	umask(077); /* tighter than proc_reset's: we create only root's files */
	signal(SIGPIPE, SIG_IGN);
	return helper_open(MODULE_FD);
}
