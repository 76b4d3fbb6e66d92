/* The config loader, parser and policy resolution on whole files,
 * drop-ins included, through conf_load() itself: the harness writes the
 * files the fuzzer made into a private directory under /dev/shm (its
 * own, 0700, so conf_load's trust checks pass for it exactly as they
 * would for /etc/security: every directory from "/" is walked by fd,
 * root-owned or owned by opts.trusted_owner = getuid(), the files are
 * checked on the opened fd).  No test hook: production code unchanged.
 *
 * Input: files separated by lines "%%K", K saying what the next file
 * is ('r' or nothing: a 0644 file; 'w': group-writable; 'l': a symlink
 * to a good file; 'd': a directory; 'p': a FIFO; 'h': hidden ".NN.conf";
 * 'n': named "NN.txt").  The first file is tenant.conf, the others are
 * tenant.d/NN.conf in order; an input starting with "%%m" (or "%%M")
 * has no main file, optional (or required).
 *
 * Properties: a file that must not be trusted makes the load fail; a
 * load of trusted files succeeds exactly when conf_parse_buffer accepts
 * every included file, and then both give the same policy, origins
 * included, for identities made to match the config's own sections;
 * the sorted group lookup (more than 8 groups) agrees with the linear
 * one; every resolved policy is within what the parsers allow. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-int.h"
#include "fuzz.h"

#define MAX_FILES 9

struct file {
	char kind;
	const uint8_t *text;
	size_t len;
	char name[32];  /* in tenant.d; main file: "" */
	bool included;  /* read by the loader as config */
	bool untrusted; /* must make the load fail */
};

static char base[64], main_path[PATH_MAX], dropin_dir[PATH_MAX];

/* What the last input made, removed before the next one. */
static char made[MAX_FILES][PATH_MAX];
static int nmade;

static void
cleanup(void)
{
	for (int i = 0; i < nmade; i++)
		if (unlink(made[i]) < 0 && errno == EISDIR)
			rmdir(made[i]);
	nmade = 0;
}

static void
remove_all(void)
{
	cleanup();
	rmdir(dropin_dir);
	rmdir(base);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(base, sizeof(base), "/dev/shm/pam_tenant-fuzz.XXXXXX");
	if (mkdtemp(base) == NULL)
		fuzz_fail(__FILE__, __LINE__, "mkdtemp: %m");
	snprintf(main_path, sizeof(main_path), "%s/tenant.conf", base);
	snprintf(dropin_dir, sizeof(dropin_dir), "%s/tenant.d", base);
	if (mkdir(dropin_dir, 0755) < 0 || chmod(dropin_dir, 0755) < 0)
		fuzz_fail(__FILE__, __LINE__, "mkdir: %m");
	atexit(remove_all);
	return 0;
}

/* Split the input into files at "%%K" lines. */
static size_t
split(const uint8_t *data, size_t size, struct file *f)
{
	size_t n = 0, pos = 0;
	char kind = 'r';

	if (size >= 3 && memcmp(data, "%%", 2) == 0) {
		kind = (char)data[2];
		pos = 3;
		while (pos < size && data[pos] != '\n')
			pos++;
		pos += pos < size;
	}
	while (n < MAX_FILES) {
		const uint8_t *start = data + pos, *sep = NULL;
		size_t left = size - pos;

		for (size_t i = 0; i + 3 <= left; i++)
			if (start[i] == '\n' && start[i + 1] == '%' &&
			    start[i + 2] == '%') {
				sep = start + i;
				break;
			}
		f[n].kind = kind;
		f[n].text = start;
		f[n].len = sep ? (size_t)(sep - start) + 1 : left;
		n++;
		if (sep == NULL)
			break;
		pos = (size_t)(sep - data) + 3;
		kind = pos < size && data[pos] != '\n' ? (char)data[pos] : 'r';
		while (pos < size && data[pos] != '\n')
			pos++;
		pos += pos < size;
	}
	return n;
}

static void
write_text(const char *path, const struct file *f, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0 || (f->len && write(fd, f->text, f->len) != (ssize_t)f->len) ||
	    fchmod(fd, mode) < 0)
		fuzz_fail(__FILE__, __LINE__, "writing %s: %m", path);
	close(fd);
}

/* Make file i; decide whether the loader reads it and may trust it. */
static void
make_file(struct file *f, int i, bool *main_optional, bool *main_present)
{
	char path[PATH_MAX];
	bool is_main = i == 0;

	if (is_main) {
		snprintf(path, sizeof(path), "%s", main_path);
		f->name[0] = '\0';
	} else {
		snprintf(f->name, sizeof(f->name),
		    f->kind == 'h'       ? ".%02d.conf"
		        : f->kind == 'n' ? "%02d.txt"
		                         : "%02d.conf",
		    i);
		snprintf(path, sizeof(path), "%s/%s", dropin_dir, f->name);
	}
	f->included = true;
	f->untrusted = false;
	if (!is_main || (f->kind != 'm' && f->kind != 'M'))
		snprintf(made[nmade++], sizeof(made[0]), "%s", path);
	switch (f->kind) {
	case 'm':
	case 'M':
		if (is_main) {
			*main_present = false;
			*main_optional = f->kind == 'm';
			f->included = false;
			return;
		}
		break;
	case 'w':
		write_text(path, f, 0664);
		f->untrusted = true;
		return;
	case 'l':
		if (symlink(is_main ? "/dev/null" : main_path, path) < 0)
			fuzz_fail(__FILE__, __LINE__, "symlink: %m");
		f->untrusted = true;
		return;
	case 'd':
		if (mkdir(path, 0755) < 0)
			fuzz_fail(__FILE__, __LINE__, "mkdir: %m");
		f->untrusted = true;
		return;
	case 'p':
		if (mkfifo(path, 0644) < 0 || chmod(path, 0644) < 0)
			fuzz_fail(__FILE__, __LINE__, "mkfifo: %m");
		f->untrusted = true;
		return;
	case 'h':
	case 'n':
		f->included = is_main;
		break;
	}
	write_text(path, f, 0644);
}

struct ident {
	struct tn_identity id;
	const char *groups[8 + 9];
};

/* Identities that match the config's own [uid], [user], [group] and
 * [service] sections (first or last of each), so resolution has work. */
static void
make_identities(const struct tn_conf *c, struct ident *a, struct ident *b,
    struct ident *z)
{
	static const char *const nomatch[] = { "zz-no-such-group", "z-no-such-group",
		"-no-such-group" };

	memset(a, 0, sizeof(*a));
	memset(z, 0, sizeof(*z));
	a->id.uid = 1000;
	a->id.groups = a->groups;
	z->id.uid = 0;
	z->id.user = "root";
	z->id.service = "sshd";
	z->groups[0] = "root";
	z->id.groups = z->groups;
	z->id.ngroups = 1;
	for (unsigned i = 0; i < c->nsec; i++) {
		const struct tn_section *s = &c->sec[i];

		switch (s->kind) {
		case TN_SEC_UID:
			a->id.uid = s->uid_lo;
			z->id.uid = s->uid_hi;
			break;
		case TN_SEC_USER:
			if (a->id.user == NULL)
				a->id.user = s->name;
			z->id.user = s->name;
			break;
		case TN_SEC_SERVICE:
			if (a->id.service == NULL)
				a->id.service = s->name;
			z->id.service = s->name;
			break;
		case TN_SEC_GROUP:
			if (a->id.ngroups < 8)
				a->groups[a->id.ngroups++] = s->name;
			else
				z->groups[z->id.ngroups < 8 ? z->id.ngroups++ : 7] =
				    s->name;
			break;
		case TN_SEC_DEFAULT:
		case TN_SEC__COUNT:
			break;
		}
	}
	/* b: a's groups plus nine that match nothing: the sorted path */
	*b = *a;
	b->id.groups = b->groups;
	for (int k = 0; k < 9; k++)
		b->groups[b->id.ngroups++] = nomatch[k % 3];
}

static bool
same_origins(const struct tn_policy *x, const struct tn_policy *y)
{
	for (int k = 0; k < TN_KEY__COUNT; k++) {
		const struct tn_origin *p = &x->origin[k], *q = &y->origin[k];

		if (p->line != q->line || (p->file == NULL) != (q->file == NULL) ||
		    (p->file && strcmp(p->file, q->file) != 0))
			return false;
	}
	return true;
}

static void
check_conf(const struct tn_conf *loaded, const struct tn_conf *parsed)
{
	struct ident a, b, z;
	struct tn_policy pa, pb, pz, qa, qz;
	struct tn_diag warn = { 0 };
	const char *file;
	unsigned line;

	make_identities(loaded, &a, &b, &z);
	conf_resolve(loaded, &a.id, &pa);
	conf_resolve(loaded, &b.id, &pb);
	conf_resolve(loaded, &z.id, &pz);
	fuzz_check_policy(&pa);
	fuzz_check_policy(&pz);
	FUZZ_CHECK(fuzz_same_policy(&pa, &pb) && same_origins(&pa, &pb),
	    "sorted and linear group lookup disagree (key %d)",
	    fuzz_first_difference(&pa, &pb));
	conf_resolve(parsed, &a.id, &qa);
	conf_resolve(parsed, &z.id, &qz);
	FUZZ_CHECK(fuzz_same_policy(&pa, &qa) && same_origins(&pa, &qa) &&
	        fuzz_same_policy(&pz, &qz) && same_origins(&pz, &qz),
	    "conf_load and conf_parse_buffer disagree");
	conf_resolve(loaded, NULL, &pa);
	fuzz_check_policy(&pa);
	conf_lint(loaded, NULL, &warn);
	fuzz_check_diag(&warn);
	for (int k = 0; k < TN_KEY__COUNT; k++)
		if (conf_key_set_anywhere(loaded, (enum tn_key)k, &file, &line))
			FUZZ_CHECK(file != NULL && line > 0, "key %d set at nowhere", k);
	(void)conf_uses_groups(loaded);
	(void)conf_policy_has_limits(&pz);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct file f[MAX_FILES];
	struct tn_conf_opts opts = { .trusted_owner = getuid(),
		.main_path = main_path,
		.dropin_dir = dropin_dir };
	struct tn_conf *loaded = NULL, *parsed;
	struct tn_diag diag = { 0 }, pdiag = { 0 };
	struct tn_conf_stamp stamp;
	bool main_present = true, untrusted = false, parse_ok = true;
	size_t n;
	int r;

	if (size > 64 * 1024)
		return -1;
	n = split(data, size, f);
	cleanup();
	for (size_t i = 0; i < n; i++)
		make_file(&f[i], (int)i, &opts.main_optional, &main_present);
	r = conf_load(&opts, &loaded, &diag);
	fuzz_check_diag(&diag);
	FUZZ_CHECK((r == 0) == (loaded != NULL), "conf_load returned %d and conf %p", r,
	    (void *)loaded);
	FUZZ_CHECK(r < 0 || diag.count == 0, "accepted with %u diagnostics", diag.count);
	FUZZ_CHECK(r == 0 || diag.count > 0, "refused (%d) without a diagnostic", r);
	conf_stamp(&opts, &stamp);

	/* the same files through the pure parser, in the loader's order */
	parsed = conf_new();
	FUZZ_CHECK(parsed != NULL, "conf_new");
	if (!main_present && !opts.main_optional)
		parse_ok = false;
	for (size_t i = 0; i < n; i++) {
		char shown[PATH_MAX];

		untrusted = untrusted || f[i].untrusted;
		if (!f[i].included || f[i].untrusted)
			continue;
		if (i == 0)
			snprintf(shown, sizeof(shown), "%s", main_path);
		else
			snprintf(shown, sizeof(shown), "%s/%s", dropin_dir, f[i].name);
		if (conf_parse_buffer(parsed, shown, (const char *)f[i].text, f[i].len,
		        &pdiag) < 0)
			parse_ok = false;
	}
	fuzz_check_diag(&pdiag);
	if (untrusted)
		FUZZ_CHECK(r < 0, "loaded although a file is not to be trusted");
	else
		FUZZ_CHECK((r == 0) == parse_ok, "conf_load %d, parser says %s", r,
		    parse_ok ? "fine" : "bad");
	if (r == 0) {
		FUZZ_CHECK(conf_file_count(loaded) == conf_file_count(parsed),
		    "file counts %u %u", conf_file_count(loaded),
		    conf_file_count(parsed));
		check_conf(loaded, parsed);
	}
	conf_free(parsed);
	conf_free(loaded);
	return 0;
}
