/* The session phase of a PAM service's stack, as Linux-PAM runs it:
 * `@include FILE`, `session include FILE` and `session substack FILE`
 * followed, `-session` lines kept (marked), comments and line
 * continuations handled.  Read-only; used by `tenantctl check --pam`. */
#ifndef TENANT_PAMSTACK_H
#define TENANT_PAMSTACK_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define PAMSTACK_MAX_LINES 128 /* session lines kept per service */
#define PAMSTACK_MAX_DEPTH 8   /* nested includes (Linux-PAM allows fewer) */

struct pam_session_line {
	char file[64];     /* the file it is in (a service or an included one) */
	unsigned line;     /* 1-based line number in that file */
	char control[128]; /* "required", "[default=ignore success=ok]", ... */
	char module[64];   /* basename: "pam_tenant.so" */
	bool dash;         /* "-session": skipped silently if the module is missing */
};

struct pam_stack {
	struct pam_session_line lines[PAMSTACK_MAX_LINES];
	size_t n;
	bool truncated;    /* more session lines than PAMSTACK_MAX_LINES */
	char missing[64];  /* an included file that could not be opened */
	char too_deep[64]; /* an include nested beyond PAMSTACK_MAX_DEPTH */
};

/* The session lines of service (a file in dir_fd), includes expanded in
 * place.  0, or a negative errno when the service file itself cannot be
 * read. */
int pamstack_session(int dir_fd, const char *service, struct pam_stack *out,
    struct tn_err *err);

/* Index of the first session line running module (basename, "pam_x.so"),
 * or -1. */
int pamstack_find(const struct pam_stack *s, const char *module);

#endif
