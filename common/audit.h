/* libaudit behind one wrapper (style rule R13, libpam's pam_audit.c triage):
 * a kernel without audit means "syslog only, carry on"; any other failure
 * to open the audit socket is reported to the caller, who decides. */
#ifndef TENANT_AUDIT_H
#define TENANT_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct tn_audit {
	int fd;        /* -1 when unavailable */
	bool disabled; /* the kernel has no audit support */
};

/* What one record says.  Strings may be NULL; all are encoded. */
struct tn_audit_event {
	const char *op;   /* tenant-isolate, tenant-deny, ... (trusted text) */
	const char *user; /* account name (untrusted: encoded) */
	uid_t uid;
	const char *cookie; /* session cookie */
	const char *service;
	const char *tty;
	const char *rhost;
	const char *reason; /* our own text; quotes and control bytes become '_' */
	const char *extra;  /* trusted "k=v k=v" fields, e.g. usage summary */
	bool success;
};

/* 0 when open or when the kernel has no audit (a->disabled set);
 * negative errno on any other failure. */
int audit_begin(struct tn_audit *a, struct tn_err *err);
/* Write one USER or USER_ERR record.  0, or negative errno. */
int audit_event(struct tn_audit *a, const struct tn_audit_event *ev, struct tn_err *err);
void audit_end(struct tn_audit *a);
/* The record's text, as audit_event() sends it.  0, or negative errno. */
int audit_format(const struct tn_audit_event *ev, char *msg, size_t size,
    struct tn_err *err);

#endif
