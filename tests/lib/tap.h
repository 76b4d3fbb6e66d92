/* Minimal TAP for C tests: ok/not ok lines, assertions that print
 * file:line and both values, a plan printed at the end. */
#ifndef TENANT_TAP_H
#define TENANT_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int
tap_ok(int cond, const char *file, int line, const char *what)
{
	tap_n++;
	if (cond) {
		printf("ok %d - %s\n", tap_n, what);
	} else {
		tap_failed++;
		printf("not ok %d - %s\n#   at %s:%d\n", tap_n, what, file, line);
	}
	fflush(stdout);
	return cond;
}

#define OK(cond, what) tap_ok(!!(cond), __FILE__, __LINE__, (what))

#define IS_INT(got, want, what)                                          \
	do {                                                             \
		long long g_ = (long long)(got), w_ = (long long)(want); \
		if (!tap_ok(g_ == w_, __FILE__, __LINE__, (what)))       \
			printf("#   got %lld, want %lld\n", g_, w_);     \
	} while (0)

#define IS_STR(got, want, what)                                                      \
	do {                                                                         \
		const char *g_ = (got), *w_ = (want);                                \
		int eq_ = g_ && w_ && strcmp(g_, w_) == 0;                           \
		if (!tap_ok(eq_, __FILE__, __LINE__, (what)))                        \
			printf("#   got  '%s'\n#   want '%s'\n", g_ ? g_ : "(null)", \
			    w_ ? w_ : "(null)");                                     \
	} while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

static inline void
tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
}

#endif
