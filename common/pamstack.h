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
#define PAMSTACK_MAX_FRAMES 32 /* substacks, the service's own stack included */

struct pam_session_line {
	char file[64];     /* the file it is in (a service or an included one) */
	unsigned line;     /* 1-based line number in that file */
	char control[128]; /* "required", "[default=ignore success=ok]", ... */
	char module[64];   /* basename: "pam_tenant.so" */
	bool dash;         /* "-session": skipped silently if the module is missing */
	unsigned frame;    /* the substack it runs in (0: the service's stack;
	                    * includes are flattened into their includer's) */
};

struct pam_stack {
	struct pam_session_line lines[PAMSTACK_MAX_LINES];
	size_t n;
	bool truncated;    /* more session lines than PAMSTACK_MAX_LINES */
	char missing[64];  /* an included file that could not be opened */
	char too_deep[64]; /* an include nested beyond PAMSTACK_MAX_DEPTH */
	unsigned parent[PAMSTACK_MAX_FRAMES]; /* each substack's enclosing one */
	unsigned nframes;
};

/* Where Linux-PAM (1.4 and later) looks for a service or a relative
 * include: the admin's directory, then, for a name not there, the
 * distribution's (/usr/lib/pam.d; Debian 12 ships systemd-user only
 * there).  dist_fd is -1 for none; lines from it name their file with
 * dist_path in front. */
struct pam_dirs {
	int admin_fd, dist_fd;
	const char *dist_path;
};

/* The session lines of service, includes expanded in place.  0, or a
 * negative errno when the service file itself cannot be read. */
int pamstack_session(const struct pam_dirs *dirs, const char *service,
    struct pam_stack *out, struct tn_err *err);

/* Index of the first session line running module (basename, "pam_x.so"),
 * or -1. */
int pamstack_find(const struct pam_stack *s, const char *module);

/* The first line before line t that can make Linux-PAM skip line t:
 * a "sufficient" or "[...=done]" line in t's substack or one enclosing
 * it (the rest of that stack is not run), or a "[...=N]" jump over t
 * (a substack counts as one module for jumps made around it).  Jumps
 * and "done" inside a substack that does not hold t stay in it.  -1 if
 * none; *how gets the action ("done", "jump"). */
int pamstack_skipper(const struct pam_stack *s, int t, const char **how);

#endif
