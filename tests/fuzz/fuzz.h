/* Shared by the libFuzzer harnesses (tests/fuzz/fuzz-*.c): a failed
 * property prints what it saw and abort()s, which libFuzzer reports as
 * a crash and saves the input.  Never linked into anything installed. */
#ifndef TENANT_FUZZ_H
#define TENANT_FUZZ_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void fuzz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn, unused));

static void
fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: property failed: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define FUZZ_CHECK(cond, ...)                                       \
	do {                                                        \
		if (!(cond))                                        \
			fuzz_fail(__FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

/* A string field that must be NUL-terminated inside its array. */
#define FUZZ_TERMINATED(f) (memchr((f), '\0', sizeof(f)) != NULL)

/* Two policies equal in every value (origins are where values came
 * from, not what they are, and are left out).  Policies are plain data
 * built from a zeroed struct, so memcmp is exact (conf_defaults). */
static bool __attribute__((unused))
fuzz_same_policy(const struct tn_policy *a, const struct tn_policy *b)
{
	struct tn_policy x = *a, y = *b;

	memset(x.origin, 0, sizeof(x.origin));
	memset(y.origin, 0, sizeof(y.origin));
	return memcmp(&x, &y, sizeof(x)) == 0;
}

/* Which key's value differs, or -1. */
static int __attribute__((unused))
fuzz_first_difference(const struct tn_policy *a, const struct tn_policy *b)
{
	char va[4096], vb[4096];

	for (int k = 0; k < TN_KEY__COUNT; k++) {
		if (conf_format_value(a, (enum tn_key)k, va, sizeof(va)) < 0 ||
		    conf_format_value(b, (enum tn_key)k, vb, sizeof(vb)) < 0 ||
		    strcmp(va, vb) != 0)
			return k;
	}
	return -1;
}

/* A path that stays below where it is put: relative, no empty, "." or
 * ".." component. */
static bool __attribute__((unused)) fuzz_relative_path(const char *s)
{
	if (*s == '\0' || *s == '/')
		return false;
	for (;;) {
		size_t n = strcspn(s, "/");

		if (n == 0 || (n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		if (s[n] == '\0')
			return true;
		s += n + 1;
	}
}

/* Values a resolved policy can never hold, whatever the config said. */
static void __attribute__((unused)) fuzz_check_policy(const struct tn_policy *p)
{
	FUZZ_CHECK(p->namespaces & TN_NS_MOUNT, "namespaces without mount: %#x",
	    p->namespaces);
	FUZZ_CHECK((p->namespaces & ~0x1fu) == 0, "namespaces %#x", p->namespaces);
	FUZZ_CHECK(p->sessions_max >= 1 && p->sessions_max <= TN_SESSIONS_MAX_LIMIT,
	    "sessions_max %u", p->sessions_max);
	FUZZ_CHECK((p->limits.cpu_weight <= 10000 ||
	               p->limits.cpu_weight == TN_CPU_WEIGHT_IDLE) &&
	        p->limits.io_weight <= 10000,
	    "weights %u %u", p->limits.cpu_weight, p->limits.io_weight);
	FUZZ_CHECK(p->limits.cpu_percent <= 1000000, "cpu %u", p->limits.cpu_percent);
	FUZZ_CHECK(p->limits.pids_max == TN_UNLIMITED ||
	        (p->limits.pids_max >= 1 && p->limits.pids_max <= 4194304),
	    "pids_max %llu", (unsigned long long)p->limits.pids_max);
	FUZZ_CHECK(p->tmp_size > 0 && p->tmp_size != TN_UNLIMITED, "tmp_size");
	FUZZ_CHECK(p->tmp_inodes > 0 && p->tmp_inodes != TN_UNLIMITED, "tmp_inodes");
	FUZZ_CHECK(p->limits.io_max_count <= TN_IO_MAX_DEVICES, "io_max_count %u",
	    p->limits.io_max_count);
	FUZZ_CHECK(p->caps_ambient == 0, "caps_ambient set");
	FUZZ_CHECK((unsigned)p->scope <= TN_SCOPE_SESSION &&
	        (unsigned)p->on_logout <= TN_LOGOUT_KILL &&
	        (unsigned)p->on_error <= TN_ONERR_ALLOW &&
	        (unsigned)p->cgroup <= TN_CGROUP_OPTIONAL &&
	        (unsigned)p->proc_lxcfs <= TN_LXCFS_NO,
	    "enum out of range");
	FUZZ_CHECK(FUZZ_TERMINATED(p->cgroup_root) && fuzz_relative_path(p->cgroup_root),
	    "cgroup_root '%.128s'", p->cgroup_root);
	for (unsigned i = 0; i < p->limits.io_max_count; i++)
		FUZZ_CHECK(p->limits.io_max[i].major <= 4095 &&
		        p->limits.io_max[i].minor <= 1048575 &&
		        p->limits.io_max[i].rbps != 0 && p->limits.io_max[i].wbps != 0 &&
		        p->limits.io_max[i].riops != 0 && p->limits.io_max[i].wiops != 0,
		    "io.max device %u", i);
}

/* Diagnostics are NUL-terminated and counted consistently. */
static void __attribute__((unused)) fuzz_check_diag(const struct tn_diag *d)
{
	FUZZ_CHECK(d->stored <= 16 && d->stored <= d->count, "diag %u/%u", d->stored,
	    d->count);
	for (unsigned i = 0; i < d->stored; i++)
		FUZZ_CHECK(FUZZ_TERMINATED(d->msg[i]), "diag %u unterminated", i);
}

#endif
