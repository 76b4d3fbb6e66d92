/* Reading PAM service files the way Linux-PAM's parser does, for the
 * session phase only (see pamstack.h).  Nothing here trusts the files:
 * every field is bounded, lines too long are cut, nesting is bounded. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pamstack.h"

#define LOGICAL_LINE_MAX 4096

/* Copy, cut to fit (names from files are bounded, never trusted). */
static void
copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int
open_in(int dir_fd, const char *name)
{
	/* Linux-PAM takes an absolute include as it is, anything else
	 * relative to the PAM directory. */
	return name[0] == '/'
	    ? open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
	    : openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
}

/* name opened where Linux-PAM finds it; *label says which file it is. */
static FILE *
open_service(const struct pam_dirs *dirs, const char *name, char *label, size_t len)
{
	struct stat sb;
	FILE *f;
	int fd;

	if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return NULL;
	copy(label, len, name);
	fd = open_in(dirs->admin_fd, name);
	if (fd < 0 && errno == ENOENT && name[0] != '/' && dirs->dist_fd >= 0) {
		fd = open_in(dirs->dist_fd, name);
		snprintf(label, len, "%s/%s", dirs->dist_path, name);
	}
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    (f = fdopen(fd, "re")) == NULL) {
		close(fd);
		return NULL;
	}
	return f;
}

/* One logical line: continuations ("\" at the end) joined, from '#' on
 * cut.  *start is its first physical line.  False at the end. */
static bool
next_line(FILE *f, unsigned *lineno, unsigned *start, char *buf, size_t len)
{
	char phys[1024];
	size_t used = 0;
	bool more = false;

	buf[0] = '\0';
	*start = *lineno + 1;
	while (fgets(phys, sizeof(phys), f)) {
		size_t n = strlen(phys);
		bool whole = n > 0 && phys[n - 1] == '\n';

		if (whole)
			phys[--n] = '\0';
		else if (!feof(f)) { /* an overlong physical line: drop its rest */
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
		}
		++*lineno;
		more = n > 0 && phys[n - 1] == '\\';
		if (more)
			phys[--n] = ' ';
		if (used + n + 1 < len) {
			memcpy(buf + used, phys, n);
			used += n;
			buf[used] = '\0';
		}
		if (!more)
			return true;
	}
	return used > 0;
}

/* The next whitespace-separated token of *p into out (a "[...]" control
 * as one token, spaces and all); false when there is none. */
static bool
token(const char **p, char *out, size_t len)
{
	const char *s = *p + strspn(*p, " \t\r\n"), *e;

	if (*s == '\0')
		return false;
	if (*s == '[') {
		e = strchr(s, ']');
		e = e ? e + 1 : s + strlen(s);
	} else {
		e = s + strcspn(s, " \t\r\n");
	}
	if ((size_t)(e - s) >= len)
		snprintf(out, len, "%.*s", (int)len - 1, s);
	else
		snprintf(out, len, "%.*s", (int)(e - s), s);
	*p = e;
	return true;
}

struct parsed {
	char type[32], control[128], module[256];
	bool include; /* @include, or an include/substack control */
	bool dash;
};

/* Split one logical line; false for a blank or unusable one. */
static bool
parse_line(const char *text, struct parsed *out)
{
	const char *p = text;
	char *hash;
	char buf[LOGICAL_LINE_MAX];

	memset(out, 0, sizeof(*out));
	copy(buf, sizeof(buf), text);
	if ((hash = strchr(buf, '#')) != NULL)
		*hash = '\0';
	p = buf;
	if (!token(&p, out->type, sizeof(out->type)))
		return false;
	if (strcmp(out->type, "@include") == 0) {
		out->include = true;
		return token(&p, out->module, sizeof(out->module));
	}
	out->dash = out->type[0] == '-';
	if (!token(&p, out->control, sizeof(out->control)) ||
	    !token(&p, out->module, sizeof(out->module)))
		return false;
	out->include =
	    strcmp(out->control, "include") == 0 || strcmp(out->control, "substack") == 0;
	return true;
}

static bool
is_session(const struct parsed *l)
{
	return strcasecmp(l->type + l->dash, "session") == 0;
}

/* The frame an included file's lines run in: a new one for a substack
 * (its done and jumps stay in it), the includer's otherwise.  Past the
 * frame bound a substack is read as an include: a skip it could not
 * cause may then be reported, never one missed. */
static unsigned
substack_of(const struct parsed *l, unsigned frame, struct pam_stack *out)
{
	if (strcmp(l->control, "substack") != 0 || out->nframes >= PAMSTACK_MAX_FRAMES)
		return frame;
	out->parent[out->nframes] = frame;
	return out->nframes++;
}

static void
walk(const struct pam_dirs *dirs, const char *name, int depth, unsigned frame,
    struct pam_stack *out)
{
	char text[LOGICAL_LINE_MAX], label[sizeof(out->lines[0].file)];
	unsigned lineno = 0, start;
	FILE *f = open_service(dirs, name, label, sizeof(label));

	if (f == NULL) {
		if (out->missing[0] == '\0')
			copy(out->missing, sizeof(out->missing), name);
		return;
	}
	while (next_line(f, &lineno, &start, text, sizeof(text))) {
		struct parsed l;

		if (!parse_line(text, &l))
			continue;
		if (l.include && (l.type[0] == '@' || is_session(&l))) {
			if (depth + 1 >= PAMSTACK_MAX_DEPTH) {
				if (out->too_deep[0] == '\0')
					copy(out->too_deep, sizeof(out->too_deep),
					    l.module);
				continue;
			}
			walk(dirs, l.module, depth + 1, substack_of(&l, frame, out), out);
			continue;
		}
		if (!is_session(&l))
			continue;
		if (out->n >= PAMSTACK_MAX_LINES) {
			out->truncated = true;
			continue;
		}
		struct pam_session_line *s = &out->lines[out->n++];
		const char *base = strrchr(l.module, '/');

		copy(s->file, sizeof(s->file), label);
		s->line = start;
		copy(s->control, sizeof(s->control), l.control);
		copy(s->module, sizeof(s->module), base ? base + 1 : l.module);
		s->dash = l.dash;
		s->frame = frame;
	}
	fclose(f);
}

int
pamstack_session(const struct pam_dirs *dirs, const char *service, struct pam_stack *out,
    struct tn_err *err)
{
	char label[sizeof(out->lines[0].file)];
	FILE *f;

	memset(out, 0, sizeof(*out));
	errno = 0;
	f = open_service(dirs, service, label, sizeof(label));
	if (f == NULL)
		return err_set(err, errno ? errno : EINVAL, "%s: cannot be read",
		    service);
	fclose(f);
	out->nframes = 1;
	walk(dirs, service, 0, 0, out);
	return 0;
}

int
pamstack_find(const struct pam_stack *s, const char *module)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->lines[i].module, module) == 0)
			return (int)i;
	return -1;
}

/* Is frame a the same as frame f or one enclosing it? */
static bool
encloses(const struct pam_stack *s, unsigned a, unsigned f)
{
	for (;;) {
		if (f == a)
			return true;
		if (f == 0)
			return false;
		f = s->parent[f];
	}
}

/* The position of line i among the modules of frame f (which encloses
 * line i's frame): each line of f is one, each substack directly in f
 * (however many lines it holds) one. */
static int
unit_in(const struct pam_stack *s, unsigned f, int i)
{
	int unit = -1;
	unsigned last_child = 0;
	bool in_child = false;

	for (int k = 0; k <= i; k++) {
		unsigned g = s->lines[k].frame, child = g;

		if (g == f) {
			unit++;
			in_child = false;
			continue;
		}
		if (!encloses(s, f, g))
			continue; /* cannot happen for a well-formed stack */
		while (s->parent[child] != f)
			child = s->parent[child];
		if (!in_child || child != last_child)
			unit++;
		in_child = true;
		last_child = child;
	}
	return unit;
}

/* How far a control can jump (0: never), and whether it can end its
 * stack ("sufficient", "done"); "die" and "bad" fail the login instead. */
static void
control_actions(const char *control, int *jump, bool *done)
{
	char buf[sizeof(((struct pam_session_line *)0)->control)];
	char *save = NULL;

	*jump = 0;
	*done = strcmp(control, "sufficient") == 0;
	if (control[0] != '[')
		return;
	copy(buf, sizeof(buf), control + 1);
	for (char *tok = strtok_r(buf, " \t]", &save); tok;
	     tok = strtok_r(NULL, " \t]", &save)) {
		const char *action = strchr(tok, '=');
		char *end;
		long n;

		if (action == NULL)
			continue;
		action++;
		if (strcmp(action, "done") == 0) {
			*done = true;
			continue;
		}
		n = strtol(action, &end, 10);
		if (end != action && *end == '\0' && n > *jump)
			*jump = n > 1000 ? 1000 : (int)n;
	}
}

int
pamstack_skipper(const struct pam_stack *s, int t, const char **how)
{
	for (int i = 0; i < t; i++) {
		unsigned f = s->lines[i].frame;
		int jump;
		bool done;

		if (!encloses(s, f, s->lines[t].frame))
			continue;
		control_actions(s->lines[i].control, &jump, &done);
		if (done) {
			*how = "done";
			return i;
		}
		if (jump > 0 && unit_in(s, f, t) - unit_in(s, f, i) <= jump) {
			*how = "jump";
			return i;
		}
	}
	return -1;
}
