/* The module loads with RTLD_NOW, finds both entry points, and exports
 * nothing else (security catalog #67); the release build carries no test
 * hook (#71). */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

/* make check-asan passes its own builds (and TN_TEST_SAN). */
#ifndef TN_TEST_E2E_SO
#define TN_TEST_E2E_SO "build/e2e/pam_tenant.so"
#endif
#ifndef TN_TEST_TEST_SO
#define TN_TEST_TEST_SO "build/test/pam_tenant.so"
#endif

static const char *const builds[] = { "build/release/pam_tenant.so", TN_TEST_E2E_SO };

/* The asan build's module also exports its sanitizer defaults
 * (tests/lib/module-asan.map); no other build may. */
static int
allowed(const char *so, const char *sym)
{
	if (!strcmp(sym, "pam_sm_open_session") || !strcmp(sym, "pam_sm_close_session"))
		return 1;
#ifdef TN_TEST_SAN
	if (strcmp(so, "build/release/pam_tenant.so") != 0 &&
	    (!strcmp(sym, "__asan_default_options") ||
	        !strcmp(sym, "__ubsan_default_options")))
		return 2;
#endif
	(void)so;
	return 0;
}

static int
exports_only_pam_sm(const char *so, char *seen, size_t len)
{
	char cmd[256], line[256];
	int n = 0, bad = 0, a;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm -D --defined-only %s", so);
	p = popen(cmd, "r");
	if (p == NULL)
		return 0;
	seen[0] = '\0';
	while (fgets(line, sizeof(line), p)) {
		char *sym = strrchr(line, ' ');
		sym = sym ? sym + 1 : line;
		sym[strcspn(sym, "\n")] = '\0';
		strncat(seen, sym, len - strlen(seen) - 2);
		strncat(seen, " ", len - strlen(seen) - 1);
		a = allowed(so, sym);
		if (a == 0)
			bad++;
		n += a == 1;
	}
	return pclose(p) == 0 && n == 2 && bad == 0;
}

static int
contains(const char *file, const char *needle)
{
	char buf[65536];
	size_t n, k = strlen(needle);
	int found = 0;
	FILE *f = fopen(file, "rb");

	if (f == NULL)
		return -1;
	while (!found && (n = fread(buf, 1, sizeof(buf), f)) >= k) {
		found = memmem(buf, n, needle, k) != NULL;
		if (n == sizeof(buf))
			fseek(f, -(long)k, SEEK_CUR);
		else
			break;
	}
	fclose(f);
	return found;
}

int
main(void)
{
	char seen[512], what[256];

	for (size_t i = 0; i < sizeof(builds) / sizeof(builds[0]); i++) {
		void *h = dlopen(builds[i], RTLD_NOW | RTLD_LOCAL);

		snprintf(what, sizeof(what), "dlopen(%s, RTLD_NOW)", builds[i]);
		if (!OK(h != NULL, what))
			printf("#   %s\n", dlerror());
		snprintf(what, sizeof(what), "%s: both entry points found", builds[i]);
		OK(h && dlsym(h, "pam_sm_open_session") &&
		        dlsym(h, "pam_sm_close_session"),
		    what);
		snprintf(what, sizeof(what),
		    "%s: exports only the two pam_sm_* functions", builds[i]);
		if (!OK(exports_only_pam_sm(builds[i], seen, sizeof(seen)), what))
			printf("#   nm -D --defined-only: %s\n", seen);
		if (h)
			dlclose(h);
	}
	IS_INT(contains("build/release/pam_tenant.so", "helper="), 0,
	    "release module has no helper= test hook");
	IS_INT(contains(TN_TEST_TEST_SO, "helper="), 1,
	    "(the test build does, so the check above can fail)");
	/* Only the test build trusts a helper of the uid running it
	 * (pam_module/spawn.c, HELPER_OWNER); the installed module and the
	 * one the e2e tier logs in with trust root's helper alone. */
	for (size_t i = 0; i < sizeof(builds) / sizeof(builds[0]); i++) {
		snprintf(what, sizeof(what), "%s: trusts a helper owned by root only",
		    builds[i]);
		OK(contains(builds[i], "owned by root, not writable") == 1 &&
		        contains(builds[i], "the test's uid") == 0,
		    what);
	}
	IS_INT(contains(TN_TEST_TEST_SO, "the test's uid"), 1,
	    "(the test build trusts the test's uid too, so the check above can fail)");
	return tap_done();
}
