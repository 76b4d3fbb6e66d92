/* Sanitizer options compiled into the asan build only (make check-asan):
 * for processes whose environment says nothing about them.  The helper
 * clears its environment, and the keeper and tenant-init are its forks;
 * tenantctl and the test programs get the same.  An ASAN_OPTIONS or
 * UBSAN_OPTIONS in the environment still wins (the test sshd's does).
 *
 * Reports go to files under TN_SAN_LOG_DIR, which tests/run.sh reads; a
 * report fails the test it followed.  Leaks are checked in these
 * programs (the keeper asks for a check before its final _exit). */
#include <dlfcn.h>
#include <stddef.h>

#ifndef TN_SAN_LOG_DIR
#error "TN_SAN_LOG_DIR: the asan build's report directory"
#endif

#ifdef TN_SAN_HOST
/* In the module: the options of the login program that loads it, when
 * the runtime arrives with the module rather than first (su run by a
 * user).  sshd and su leak by design, and are not ours to check. */
#define TN_ASAN_EXTRA "detect_leaks=0:verify_asan_link_order=0"
#else
#define TN_ASAN_EXTRA "detect_leaks=1"
#endif

#define TN_SAN_LOG "log_path=" TN_SAN_LOG_DIR "/report"

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *
__asan_default_options(void)
{
	return TN_SAN_LOG ":" TN_ASAN_EXTRA ":strict_string_checks=1"
			  ":check_initialization_order=1:detect_stack_use_after_return=0";
}

const char *
__ubsan_default_options(void)
{
	return TN_SAN_LOG ":print_stacktrace=1:halt_on_error=1";
}

/* GCC's libubsan beside libasan ignores log_path (its own report path is
 * never set: the runtime's setter is interposed by libasan's), so UBSan
 * would write to stderr, which is /dev/null for the helper and keeper.
 * Set libubsan's own report path by hand. */
__attribute__((constructor)) static void
ubsan_report_path(void)
{
	void *ubsan = dlopen("libubsan.so.1", RTLD_NOW | RTLD_NOLOAD);
	void (*set_path)(const char *);

	if (ubsan == NULL)
		return;
	*(void **)&set_path = dlsym(ubsan, "__sanitizer_set_report_path");
	if (set_path != NULL)
		set_path(TN_SAN_LOG_DIR "/report");
	dlclose(ubsan);
}
