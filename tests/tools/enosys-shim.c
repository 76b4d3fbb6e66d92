/* enosys-shim: run a command with system calls that fail with ENOSYS, as
 * on a kernel without them or under a container's seccomp policy (e2e
 * 67-faults-enosys; catalogue F24 and #69).  The filter is inherited by
 * every child and survives exec: the module, the helper, the keeper and
 * tenant-init all run under it.
 *
 *   enosys-shim SYSCALL[,SYSCALL...] COMMAND [ARGS...]
 *
 * Root only (CAP_SYS_ADMIN installs a filter without no_new_privs, which
 * would change what su and the module do).  Exit 127 when the filter or
 * the exec fails. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SHIM_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SHIM_ARCH AUDIT_ARCH_AARCH64
#else
#error "enosys-shim: add this architecture's AUDIT_ARCH_*"
#endif

static const struct {
	const char *name;
	long nr;
} calls[] = {
	{ "openat2", SYS_openat2 },
	{ "close_range", SYS_close_range },
	{ "pidfd_open", SYS_pidfd_open },
	{ "pidfd_send_signal", SYS_pidfd_send_signal },
	{ "clone3", SYS_clone3 },
	{ "open_tree", SYS_open_tree },
	{ "move_mount", SYS_move_mount },
	{ "fsopen", SYS_fsopen },
	{ "fsconfig", SYS_fsconfig },
	{ "fsmount", SYS_fsmount },
	{ "mount_setattr", SYS_mount_setattr },
};

#define MAX_DENIED 16

static long
syscall_nr(const char *name)
{
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (strcmp(calls[i].name, name) == 0)
			return calls[i].nr;
	return -1;
}

int
main(int argc, char **argv)
{
	struct sock_filter f[4 + 2 * MAX_DENIED + 1];
	struct sock_fprog prog = { .filter = f };
	size_t n = 0, ndenied = 0;
	long denied[MAX_DENIED];
	char *list, *name, *save = NULL;

	if (argc < 3) {
		fprintf(stderr, "usage: enosys-shim SYSCALL[,SYSCALL...] COMMAND [ARGS...]\n");
		return 127;
	}
	list = strdup(argv[1]);
	for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		long nr = syscall_nr(name);

		if (nr < 0 || ndenied == MAX_DENIED) {
			fprintf(stderr, "enosys-shim: unknown or too many: %s\n", name);
			return 127;
		}
		denied[ndenied++] = nr;
	}
	/* Another architecture's calls (x32, compat): refused outright. */
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SHIM_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, nr));
	for (size_t i = 0; i < ndenied; i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    (unsigned)denied[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)n;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		perror("enosys-shim: seccomp");
		return 127;
	}
	free(list);
	execvp(argv[2], argv + 2);
	perror("enosys-shim: exec");
	return 127;
}
