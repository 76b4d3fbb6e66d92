#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "util.h"

int
audit_begin(struct tn_audit *a, struct tn_err *err)
{
	a->disabled = false;
	a->fd = audit_open();
	if (a->fd >= 0)
		return 0;
	if (errno == EINVAL || errno == EPROTONOSUPPORT || errno == EAFNOSUPPORT) {
		a->disabled = true;
		return 0;
	}
	return err_set(err, errno, "audit_open: %m");
}

void
audit_end(struct tn_audit *a)
{
	if (a->fd >= 0)
		audit_close(a->fd);
	a->fd = -1;
}

/* Append " key=<encoded value>" to buf (libaudit hex-encodes when needed). */
static int
append_field(char *buf, size_t size, const char *key, const char *value)
{
	_cleanup_free_ char *enc = NULL;
	size_t used = strlen(buf);
	int n;

	if (value == NULL || *value == '\0')
		value = "?";
	enc = audit_encode_nv_string(key, value, 0);
	if (enc == NULL)
		return -ENOMEM;
	n = snprintf(buf + used, size - used, " %s", enc);
	return n < 0 || (size_t)n >= size - used ? -ENAMETOOLONG : 0;
}

/* Append ' key="value"' for our own text: anything that could end the
 * quote or the record (quotes, control bytes, non-ASCII) becomes '_'. */
static int
append_text(char *buf, size_t size, const char *key, const char *value)
{
	size_t used = strlen(buf);
	int n = snprintf(buf + used, size - used, " %s=\"", key);

	if (n < 0 || (size_t)n >= size - used)
		return -ENAMETOOLONG;
	used += (size_t)n;
	for (; *value && used + 2 < size; value++)
		buf[used++] =
		    (*value >= 0x20 && *value < 0x7f && *value != '"') ? *value : '_';
	if (used + 2 > size)
		return -ENAMETOOLONG;
	buf[used++] = '"';
	buf[used] = '\0';
	return 0;
}

int
audit_format(const struct tn_audit_event *ev, char *msg, size_t size, struct tn_err *err)
{
	int n, r;

	n = snprintf(msg, size, "op=%s id=%u tenant_session=%s", ev->op,
	    (unsigned)ev->uid, ev->cookie ? ev->cookie : "?");
	if (n < 0 || (size_t)n >= size)
		return err_set(err, ENAMETOOLONG, "audit message too long");
	if ((r = append_field(msg, size, "acct", ev->user)) < 0 ||
	    (r = append_field(msg, size, "service", ev->service)) < 0 ||
	    (r = append_field(msg, size, "tty", ev->tty)) < 0 ||
	    (r = append_field(msg, size, "rhost", ev->rhost)) < 0 ||
	    (ev->reason && (r = append_text(msg, size, "reason", ev->reason)) < 0))
		return err_set(err, -r, "audit message: %s", strerror(-r));
	if (ev->extra) {
		size_t used = strlen(msg);

		n = snprintf(msg + used, size - used, " %s", ev->extra);
		if (n < 0 || (size_t)n >= size - used)
			return err_set(err, ENAMETOOLONG, "audit message too long");
	}
	return 0;
}

int
audit_event(struct tn_audit *a, const struct tn_audit_event *ev, struct tn_err *err)
{
	char msg[2048];
	int r;

	if (a->fd < 0)
		return 0;
	r = audit_format(ev, msg, sizeof(msg), err);
	if (r < 0)
		return r;
	r = audit_log_user_message(a->fd, ev->success ? AUDIT_USER : AUDIT_USER_ERR, msg,
	    NULL, NULL, NULL, ev->success ? 1 : 0);
	/* EPERM: not allowed to audit here (container); libpam tolerates it. */
	if (r <= 0 && errno != EPERM && errno != ECONNREFUSED)
		return err_set(err, errno, "audit_log_user_message: %m");
	return 0;
}
