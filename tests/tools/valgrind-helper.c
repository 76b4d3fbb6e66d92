/* valgrind-helper: tenant-helper under valgrind's memcheck, for the e2e
 * test 85-valgrind only.  The test build's module runs it through
 * helper=PATH (TN_TESTING builds alone accept that); it keeps the argv
 * ("open") and fd 3 the real helper expects and replaces itself with
 * valgrind running VG_HELPER.  Forks stay under valgrind, so the keeper
 * and tenant-init are checked too; each process logs to
 * VG_LOG_DIR/vg.PID.  A memcheck error or a definite leak makes that
 * process exit 99: the module then refuses the login, and the test reads
 * the logs.  The module gives the helper an empty environment, hence the
 * compiled-in paths. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#ifndef VG_HELPER
#error "VG_HELPER: the tenant-helper to run"
#endif
#ifndef VG_LOG_DIR
#error "VG_LOG_DIR: where memcheck writes one log per process"
#endif

int
main(int argc, char **argv)
{
	static char helper[] = VG_HELPER, log[] = "--log-file=" VG_LOG_DIR "/vg.%p";
	const char *args[] = {"valgrind", "--tool=memcheck", "--error-exitcode=99",
	    "--leak-check=full", "--show-leak-kinds=definite",
	    "--errors-for-leak-kinds=definite", "--track-origins=yes",
	    "--child-silent-after-fork=no", "--trace-children=no",
	    log, helper, NULL, NULL};

	if (argc != 2) {
		fprintf(stderr, "usage: valgrind-helper open (run by the module)\n");
		return 64;
	}
	args[sizeof(args) / sizeof(args[0]) - 2] = argv[1];
	execv("/usr/bin/valgrind", (char *const *)(uintptr_t)args);
	perror("/usr/bin/valgrind");
	return 127;
}
