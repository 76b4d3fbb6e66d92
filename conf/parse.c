/* The line parser: pure (reads only the buffer it is given), collects
 * every error as "file:line: message" and never stops at the first. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf-int.h"
#include "uid.h"
#include "util.h"

struct parser {
	struct tn_conf *conf;
	const char *file;
	struct tn_diag *diag;
	unsigned line;
	unsigned errors;
	/* Keys after a bad header are checked here and then dropped, so
	 * one mistake does not turn into a cascade of others. */
	struct tn_section scratch;
	struct tn_section *cur;
};

const char *const tn_section_kind_names[TN_SEC__COUNT] = {
	[TN_SEC_DEFAULT] = "default",
	[TN_SEC_GROUP] = "group",
	[TN_SEC_UID] = "uid",
	[TN_SEC_USER] = "user",
	[TN_SEC_SERVICE] = "service",
};

static void error_at(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
error_at(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(p->diag, "%s:%u: %s", p->file, p->line, msg);
	p->errors++;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

static char *
skip_space(char *s)
{
	while (is_space(*s))
		s++;
	return s;
}

static void
trim_end(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && is_space(s[n - 1]))
		s[--n] = '\0';
}

/* '#' starts a comment at the start of the value or after whitespace. */
static void
strip_comment(char *s)
{
	for (char *c = s; *c; c++) {
		if (*c == '#' && (c == s || is_space(c[-1]))) {
			*c = '\0';
			return;
		}
	}
}

/* "5000" or "5000-5999", each strict base-10 (parse_uid). */
static int
parse_uid_range(const char *s, uid_t *lo, uid_t *hi)
{
	char buf[TN_SECTION_NAME_MAX + 1];
	char *dash;
	int r;

	r = snprintf(buf, sizeof(buf), "%s", s);
	if (r < 0 || (size_t)r >= sizeof(buf))
		return -EINVAL;
	dash = strchr(buf, '-');
	if (dash == NULL) {
		if (parse_uid(buf, lo) < 0)
			return -EINVAL;
		*hi = *lo;
		return 0;
	}
	*dash = '\0';
	if (parse_uid(buf, lo) < 0 || parse_uid(dash + 1, hi) < 0)
		return -EINVAL;
	return 0;
}

static struct tn_section *
add_section(struct parser *p)
{
	struct tn_conf *c = p->conf;
	struct tn_section *s;

	if (c->nsec >= TN_CONF_MAX_SECTIONS) {
		error_at(p, "more than %d sections", TN_CONF_MAX_SECTIONS);
		return NULL;
	}
	if (c->nsec == c->sec_alloc) {
		unsigned n = c->sec_alloc ? c->sec_alloc * 2 : 16;

		s = reallocarray(c->sec, n, sizeof(*s));
		if (s == NULL) {
			error_at(p, "out of memory");
			return NULL;
		}
		c->sec = s;
		c->sec_alloc = n;
	}
	s = &c->sec[c->nsec];
	memset(s, 0, sizeof(*s));
	return s;
}

/* Read the section name after the kind: bare or "quoted" (with \" and
 * \\ escapes), then the closing ']'.  Returns 0 or -1 after an error. */
static int
section_name(struct parser *p, char *s, char *name, size_t len)
{
	size_t n = 0;

	if (*s == '"') {
		for (s++; *s != '"'; s++) {
			if (*s == '\0') {
				error_at(p, "section header: unterminated quote");
				return -1;
			}
			if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
				s++;
			if (n + 1 >= len) {
				error_at(p, "section name longer than %d bytes",
				    TN_SECTION_NAME_MAX);
				return -1;
			}
			name[n++] = *s;
		}
		s++;
	} else {
		for (; *s && *s != ']' && *s != '"' && !is_space(*s); s++) {
			if (n + 1 >= len) {
				error_at(p, "section name longer than %d bytes",
				    TN_SECTION_NAME_MAX);
				return -1;
			}
			name[n++] = *s;
		}
	}
	name[n] = '\0';
	s = skip_space(s);
	if (*s == '\0' || *s == '#') {
		error_at(p, "section header: missing ']'");
		return -1;
	}
	if (*s != ']') {
		error_at(p,
		    "section header: unexpected '%.32s' (quote a name that "
		    "has spaces: [user \"x y\"])",
		    s);
		return -1;
	}
	s = skip_space(s + 1);
	if (*s != '\0' && *s != '#') {
		error_at(p, "section header: unexpected text after ']'");
		return -1;
	}
	return 0;
}

static void
parse_section(struct parser *p, char *s)
{
	char kind[32], name[TN_SECTION_NAME_MAX + 2];
	struct tn_section *sec;
	size_t n = 0;
	int k;

	p->cur = &p->scratch;
	memset(&p->scratch, 0, sizeof(p->scratch));
	s = skip_space(s + 1);
	while (*s && *s != ']' && *s != '"' && *s != '#' && !is_space(*s) &&
	    n + 1 < sizeof(kind))
		kind[n++] = *s++;
	kind[n] = '\0';
	if (n == 0 || (*s != ']' && !is_space(*s) && *s != '\0')) {
		error_at(p,
		    "section header: expected [default], [group NAME], "
		    "[uid N-M], [user NAME] or [service NAME]");
		return;
	}
	for (k = 0; k < TN_SEC__COUNT; k++)
		if (strcmp(kind, tn_section_kind_names[k]) == 0)
			break;
	if (k == TN_SEC__COUNT) {
		error_at(p,
		    "unknown section kind '%s' (expected default, group, uid, "
		    "user or service)",
		    kind);
		return;
	}
	s = skip_space(s);
	if (*s == ']' || *s == '\0' || *s == '#') {
		name[0] = '\0';
		if (section_name(p, s, name, sizeof(name)) < 0)
			return;
		if (k != TN_SEC_DEFAULT) {
			error_at(p, "[%s] needs a name: [%s NAME]", kind, kind);
			return;
		}
	} else {
		if (section_name(p, s, name, sizeof(name)) < 0)
			return;
		if (k == TN_SEC_DEFAULT) {
			error_at(p, "[default] takes no name");
			return;
		}
		if (name[0] == '\0') {
			error_at(p, "section name is empty");
			return;
		}
		if (strlen(name) > TN_SECTION_NAME_MAX) {
			error_at(p, "section name longer than %d bytes",
			    TN_SECTION_NAME_MAX);
			return;
		}
	}

	sec = add_section(p);
	if (sec == NULL)
		return;
	sec->kind = (enum tn_section_kind)k;
	sec->file = p->file;
	sec->line = p->line;
	if (k == TN_SEC_UID) {
		if (parse_uid_range(name, &sec->uid_lo, &sec->uid_hi) < 0) {
			error_at(p,
			    "uid: bad uid or range '%.64s' (expected N or N-M, "
			    "decimal, 0 to 4294967294)",
			    name);
			return;
		}
		if (sec->uid_lo > sec->uid_hi) {
			error_at(p,
			    "uid range '%.64s' is reversed (low end above "
			    "high end)",
			    name);
			return;
		}
	} else if (k != TN_SEC_DEFAULT) {
		sec->name = strdup(name);
		if (sec->name == NULL) {
			error_at(p, "out of memory");
			return;
		}
	}
	p->conf->nsec++;
	p->cur = sec;
}

static void
parse_setting(struct parser *p, char *s, char *eq)
{
	struct tn_section *sec = p->cur;
	const struct tn_keydef *kd;
	struct tn_policy val;
	char why[512];
	char *key = s, *v = eq + 1;
	uint32_t bit;

	*eq = '\0';
	trim_end(key);
	strip_comment(v);
	v = skip_space(v);
	trim_end(v);

	if (sec == NULL) {
		error_at(p, "key outside a section; put it under [default]");
		return;
	}
	kd = conf_key_lookup(key);
	if (kd == NULL) {
		error_at(p, "unknown key '%.64s'", key);
		return;
	}
	if ((kd->flags & TN_KF_DEFAULT_ONLY) && sec->kind != TN_SEC_DEFAULT) {
		error_at(p, "%s: only allowed in [default]", kd->name);
		return;
	}
	if (sec->kind == TN_SEC_SERVICE && !(kd->flags & TN_KF_SESSION)) {
		error_at(p,
		    "%s: not allowed in a [service] section (only isolate, "
		    "on_logout, on_error and sessions.max are)",
		    kd->name);
		return;
	}
	bit = 1u << kd->key;
	if (sec->set & bit) {
		bool keep = kd->key == TN_KEY_CAPS_DROP && sec->caps_keep;
		const char *first = keep ? "caps.keep" : conf_key_name(kd->key);
		unsigned line = sec->key_line[kd->key];

		if (strcmp(first, kd->name) == 0)
			error_at(p, "duplicate key '%s' (first set on line %u)", kd->name,
			    line);
		else
			error_at(p,
			    "duplicate key '%s' (%s, which sets the "
			    "same thing, is on line %u)",
			    kd->name, first, line);
		return;
	}
	/* Parse into a copy so a bad value leaves nothing half-written. */
	val = sec->val;
	if (conf_parse_value(kd, v, &val, why, sizeof(why)) < 0) {
		error_at(p, "%s", why);
		return;
	}
	sec->val = val;
	sec->set |= bit;
	sec->key_line[kd->key] = p->line;
	if (kd->key == TN_KEY_CAPS_DROP)
		sec->caps_keep = kd->flags & TN_KF_KEEP;
}

static void
parse_line(struct parser *p, char *s)
{
	char *eq;

	s = skip_space(s);
	if (*s == '\0' || *s == '#')
		return;
	if (*s == '[') {
		parse_section(p, s);
		return;
	}
	eq = strchr(s, '=');
	if (eq == NULL || eq == s) {
		error_at(p, "expected 'key = value' or a [section] header");
		return;
	}
	parse_setting(p, s, eq);
}

int
conf_parse_buffer(struct tn_conf *conf, const char *name, const char *buf, size_t len,
    struct tn_diag *diag)
{
	struct parser p = { .conf = conf, .diag = diag };
	char line[TN_CONF_MAX_LINE + 1];
	size_t pos = 0;

	if (conf->nfiles >= TN_CONF_MAX_FILES) {
		diag_add(diag, "%s: more than %d configuration files", name,
		    TN_CONF_MAX_FILES);
		return -E2BIG;
	}
	if (len > TN_CONF_MAX_FILE_BYTES) {
		diag_add(diag, "%s: larger than %d bytes", name, TN_CONF_MAX_FILE_BYTES);
		return -EFBIG;
	}
	p.file = conf_add_file(conf, name);
	if (p.file == NULL) {
		diag_add(diag, "%s: out of memory", name);
		return -ENOMEM;
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;

		pos += n + (nl != NULL);
		p.line++;
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (n > TN_CONF_MAX_LINE) {
			error_at(&p, "line longer than %d bytes", TN_CONF_MAX_LINE);
			continue;
		}
		if (memchr(start, '\0', n) != NULL) {
			error_at(&p, "NUL byte in line");
			continue;
		}
		memcpy(line, start, n);
		line[n] = '\0';
		parse_line(&p, line);
	}
	return p.errors ? -EINVAL : 0;
}
