/* One error convention: functions return 0 or a negative errno and may
 * describe the failure in a caller-owned struct tn_err. */
#ifndef TENANT_ERR_H
#define TENANT_ERR_H

struct tn_err {
	int code;      /* positive errno, 0 when unset */
	char msg[512]; /* human readable, never contains secrets */
};

/* Record a failure and return -code.  A NULL err is allowed. */
int err_set(struct tn_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix an existing message with more context, keeping the code. */
int err_wrap(struct tn_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __clang_analyzer__
/* The static analyzer (make analyze) sees one file at a time and would
 * otherwise follow paths where these return 0 or more, which they never
 * do ("return err_set(...)" leaving outputs unset).  Analysis only: no
 * build compiles this. */
#define err_set(...)                                 \
	({                                           \
		int err_r_ = (err_set)(__VA_ARGS__); \
		if (err_r_ >= 0)                     \
			__builtin_unreachable();     \
		err_r_;                              \
	})
#define err_wrap(...)                                 \
	({                                            \
		int err_r_ = (err_wrap)(__VA_ARGS__); \
		if (err_r_ >= 0)                      \
			__builtin_unreachable();      \
		err_r_;                               \
	})
#endif

#endif
