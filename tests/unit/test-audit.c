/* The audit record's text (common/audit.c): user-controlled fields are
 * hex-encoded by libaudit when needed, and our own reason text can never
 * end its quotes or the record, whatever it contains. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "tap.h"

static int
count(const char *s, char c)
{
	int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

static void
test_reason_cannot_escape(void)
{
	char msg[2048];
	struct tn_err err = { 0 };
	struct tn_audit_event ev = { .op = "tenant-deny",
		.uid = 1001,
		.cookie = "c0ffee",
		.user = "alice",
		.service = "sshd",
		.reason =
		    "x\" op=tenant-isolate res=success \"\n\tnext\x1b[0m \xc3\xa9 end" };
	const char *r;

	OK(audit_format(&ev, msg, sizeof(msg), &err) == 0,
	    "a record with a hostile reason formats");
	r = strstr(msg, " reason=\"");
	OK(r != NULL, "the reason is a quoted field");
	IS_INT(count(r ? r : "", '"'), 2, "... with exactly its own two quotes");
	OK(strchr(msg, '\n') == NULL && strchr(msg, '\t') == NULL &&
	        strchr(msg, '\x1b') == NULL,
	    "no control bytes in the record");
	OK(strstr(msg, "op=tenant-isolate") == NULL ||
	        strstr(msg, "op=tenant-isolate") > r,
	    "the reason cannot add an op field of its own before it");
	OK(msg[strlen(msg) - 1] == '"',
	    "the record ends with the reason's closing quote");
	for (const char *p = r ? r + 9 : msg; *p && *p != '"'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
			OK(0, "non-ASCII or control byte inside the reason");
			return;
		}
	OK(1, "the reason is printable ASCII only");
}

static void
test_user_fields_encoded(void)
{
	char msg[2048];
	struct tn_audit_event ev = { .op = "tenant-isolate",
		.uid = 1002,
		.cookie = "ab",
		.user = "bob smith",
		.service = "ssh\"d",
		.tty = NULL,
		.rhost = "",
		.success = true };

	OK(audit_format(&ev, msg, sizeof(msg), NULL) == 0,
	    "a record with odd user fields formats");
	OK(strstr(msg, "acct=626F6220736D697468") != NULL,
	    "a user name with a space is hex-encoded");
	OK(strstr(msg, "service=") && !strstr(msg, "ssh\"d"),
	    "a service with a quote is encoded");
	OK(strstr(msg, "tty=\"?\"") != NULL, "a missing tty is '?'");
	OK(strstr(msg, "rhost=\"?\"") != NULL, "an empty rhost is '?'");
	OK(strncmp(msg, "op=tenant-isolate id=1002 tenant_session=ab ", 44) == 0,
	    "op, id and session come first");
}

static void
test_too_long(void)
{
	char msg[96];
	struct tn_err err = { 0 };
	struct tn_audit_event ev = {
		.op = "tenant-deny",
		.uid = 1,
		.cookie = "c",
		.reason =
		    "a reason far too long to fit into a ninety-six byte record buffer at all"
	};

	IS_INT(audit_format(&ev, msg, sizeof(msg), &err), 0,
	    "a reason too long for the record is cut");
	OK(strlen(msg) < sizeof(msg) && msg[strlen(msg) - 1] == '"' &&
	        count(msg, '"') == 10,
	    "... and the record still ends with its closing quote");
	ev.reason = NULL;
	ev.extra =
	    "usage_memory_peak=123456789012345678901234567890 usage_cpu_usec=1234567890123";
	IS_INT(audit_format(&ev, msg, sizeof(msg), &err), -ENAMETOOLONG,
	    "extra fields that do not fit are an error, not a cut field");
}

int
main(void)
{
	test_reason_cannot_escape();
	test_user_fields_encoded();
	test_too_long();
	return tap_done();
}
