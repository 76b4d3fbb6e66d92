/* The parser against the fixtures, and conf_load's trust checks in a
 * scratch directory.  Run from the top of the source tree (or set
 * TN_SRCDIR). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"
#include "util.h"

static char srcdir[1024] = ".";

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

static int
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t len = strlen(text);

	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) < 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void
show_diag(const struct tn_diag *d)
{
	for (unsigned i = 0; i < d->stored; i++)
		printf("#   diag: %s\n", d->msg[i]);
}

static bool
diag_has(const struct tn_diag *d, const char *want)
{
	for (unsigned i = 0; i < d->stored; i++)
		if (strcmp(d->msg[i], want) == 0)
			return true;
	show_diag(d);
	printf("#   wanted: %s\n", want);
	return false;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.conf files of a fixture directory. */
static size_t
list_fixtures(const char *dir, char names[][256], size_t max)
{
	char *ptrs[256];
	char tmp[256][256];
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max && n < 256) {
		size_t l = strlen(de->d_name);

		if (l > 5 && strcmp(de->d_name + l - 5, ".conf") == 0) {
			snprintf(tmp[n], sizeof(tmp[n]), "%s", de->d_name);
			ptrs[n] = tmp[n];
			n++;
		}
	}
	closedir(d);
	qsort(ptrs, n, sizeof(ptrs[0]), cmp_names);
	for (size_t i = 0; i < n; i++)
		snprintf(names[i], 256, "%s", ptrs[i]);
	return n;
}

static void
test_good_fixtures(void)
{
	static char names[256][256];
	char dir[1100], path[1400], what[1500];
	size_t n;

	snprintf(dir, sizeof(dir), "%s/tests/fixtures/conf/good", srcdir);
	n = list_fixtures(dir, names, 256);
	OK(n >= 5, "at least 5 good fixtures");
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *buf = NULL;
		struct tn_diag diag = { 0 };
		struct tn_conf *conf = conf_new();
		size_t len = 0;
		int r;

		snprintf(path, sizeof(path), "%s/%.255s", dir, names[i]);
		buf = read_file(path, &len);
		r = buf ? conf_parse_buffer(conf, path, buf, len, &diag) : -1;
		snprintf(what, sizeof(what), "good/%.255s parses cleanly", names[i]);
		if (!OK(r == 0 && diag.count == 0, what))
			show_diag(&diag);
		conf_free(conf);
	}
}

/* First line "# expect: LINE: message", optional "# expect-count: N". */
static void
test_bad_fixture(const char *path, const char *base)
{
	_cleanup_free_ char *buf = NULL;
	struct tn_diag diag = { 0 };
	struct tn_conf *conf = conf_new();
	char want[2048], what[400];
	const char *p, *nl;
	unsigned line = 0, count = 0;
	size_t len = 0;
	int r, off = 0;

	buf = read_file(path, &len);
	if (buf == NULL || sscanf(buf, "# expect: %u: %n", &line, &off) != 1 ||
	    off == 0) {
		snprintf(what, sizeof(what), "bad/%.255s has an expect line", base);
		OK(0, what);
		conf_free(conf);
		return;
	}
	p = buf + off;
	nl = strchr(p, '\n');
	snprintf(want, sizeof(want), "%s:%u: %.*s", path, line,
	    (int)(nl ? nl - p : (long)strlen(p)), p);
	if (nl)
		sscanf(nl + 1, "# expect-count: %u", &count);
	r = conf_parse_buffer(conf, path, buf, len, &diag);
	snprintf(what, sizeof(what), "bad/%.255s is rejected", base);
	OK(r < 0 && diag.count > 0, what);
	snprintf(what, sizeof(what), "bad/%.255s: first diagnostic", base);
	IS_STR(diag.stored ? diag.msg[0] : "(none)", want, what);
	if (count) {
		snprintf(what, sizeof(what), "bad/%.255s: every error counted", base);
		IS_INT(diag.count, count, what);
	}
	conf_free(conf);
}

static void
test_bad_fixtures(void)
{
	static char names[256][256];
	char dir[1100], path[1400];
	size_t n;

	snprintf(dir, sizeof(dir), "%s/tests/fixtures/conf/bad", srcdir);
	n = list_fixtures(dir, names, 256);
	OK(n >= 25, "at least 25 bad fixtures");
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%.255s", dir, names[i]);
		test_bad_fixture(path, names[i]);
	}
}

static void
test_buffer_limits(void)
{
	static const char nul[] = "[default]\nisol\0ate = yes\nisolate = no\n";
	struct tn_diag diag = { 0 };
	struct tn_conf *conf = conf_new();
	_cleanup_free_ char *big = NULL;

	OK(conf_parse_buffer(conf, "nul.conf", nul, sizeof(nul) - 1, &diag) < 0,
	    "NUL byte rejected");
	IS_STR(diag.msg[0], "nul.conf:2: NUL byte in line", "NUL byte line");
	IS_INT(diag.count, 1, "the other lines still parse");
	conf_free(conf);

	big = calloc(1, TN_CONF_MAX_FILE_BYTES + 2);
	memset(big, '#', TN_CONF_MAX_FILE_BYTES + 1);
	memset(&diag, 0, sizeof(diag));
	conf = conf_new();
	OK(conf_parse_buffer(conf, "big.conf", big, TN_CONF_MAX_FILE_BYTES + 1, &diag) <
	        0,
	    "buffer over the size limit rejected");
	IS_STR(diag.msg[0], "big.conf: larger than 1048576 bytes", "size limit message");
	conf_free(conf);

	/* 16 texts kept, all counted. */
	memset(&diag, 0, sizeof(diag));
	for (int i = 0; i < 40; i++)
		diag_add(&diag, "e%d", i);
	IS_INT(diag.count, 40, "diag counts every error");
	IS_INT(diag.stored, 16, "diag keeps 16 texts");
	IS_STR(diag.msg[15], "e15", "diag keeps the first ones");
}

/* cgroup.root values one by one: what is stored, or the message. */
static void
test_cgroup_root_values(void)
{
	static const struct {
		const char *val, *want; /* want: the value, or "!message" */
	} cases[] = {
		{ "tenant.slice", "tenant.slice" },
		{ "tenant.slice   # a comment", "tenant.slice" },
		{ "A/b/C/d", "A/b/C/d" },
		{ "...", "..." },
		{ "-", "!cgroup.root: component '-' starts with '-'" },
		{ "..", "!cgroup.root: '..' is not allowed" },
		{ "a/..", "!cgroup.root: '..' is not allowed" },
		{ "a/./b", "!cgroup.root: '.' is not allowed" },
		{ "/",
		    "!cgroup.root: must be a relative path like tenant.slice "
		    "(below /sys/fs/cgroup), got '/'" },
		{ "a/", "!cgroup.root: trailing '/' in 'a/'" },
		{ "a//", "!cgroup.root: empty component ('//') in 'a//'" },
		{ "a/b/c/d/", "!cgroup.root: trailing '/' in 'a/b/c/d/'" },
		{ "a/b/c/d/e/f",
		    "!cgroup.root: more than 4 components in "
		    "'a/b/c/d/e/f'" },
		{ "tenant#slice",
		    "!cgroup.root: character '#' is not allowed "
		    "(only A-Z a-z 0-9 . _ - and '/' between "
		    "components)" },
		{ "a\tb",
		    "!cgroup.root: spaces are not allowed (only A-Z a-z "
		    "0-9 . _ - and '/' between components)" },
		{ "caf\xc3\xa9",
		    "!cgroup.root: byte 0xc3 is not allowed (only "
		    "A-Z a-z 0-9 . _ - and '/' between "
		    "components)" },
		{ "a\\b",
		    "!cgroup.root: character '\\' is not allowed (only "
		    "A-Z a-z 0-9 . _ - and '/' between components)" },
	};

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		struct tn_diag diag = { 0 };
		struct tn_conf *conf = conf_new();
		struct tn_policy pol;
		char text[512], what[300];
		int r;

		snprintf(text, sizeof(text), "[default]\ncgroup.root = %s\n",
		    cases[i].val);
		r = conf_parse_buffer(conf, "c.conf", text, strlen(text), &diag);
		snprintf(what, sizeof(what), "cgroup.root = %s", cases[i].val);
		/* Keep the TAP line one plain line without directives. */
		for (char *c = what; *c; c++)
			if (*c == '#' || (unsigned char)*c < ' ' ||
			    (unsigned char)*c >= 0x7f)
				*c = '?';
		if (cases[i].want[0] != '!') {
			if (!OK(r == 0 && diag.count == 0, what))
				show_diag(&diag);
			conf_resolve(conf, NULL, &pol);
			IS_STR(pol.cgroup_root, cases[i].want, what);
		} else {
			char want[600];

			snprintf(want, sizeof(want), "c.conf:2: %s", cases[i].want + 1);
			OK(r < 0 && diag.count == 1, what);
			IS_STR(diag.stored ? diag.msg[0] : "(none)", want, what);
		}
		conf_free(conf);
	}
}

/* The shipped file parses and means: every non-root user isolated with
 * the built-in defaults. */
static void
test_shipped_config(void)
{
	_cleanup_free_ char *buf = NULL;
	struct tn_diag diag = { 0 };
	struct tn_conf *conf = conf_new();
	struct tn_identity id = { .uid = 1000, .user = "someone" };
	struct tn_policy pol, def;
	char path[1100], man[1100];
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/conf/tenant.conf", srcdir);
	buf = read_file(path, &len);
	OK(buf != NULL, "conf/tenant.conf readable");
	if (buf == NULL) {
		conf_free(conf);
		return;
	}
	if (!OK(conf_parse_buffer(conf, path, buf, len, &diag) == 0,
	        "conf/tenant.conf parses cleanly"))
		show_diag(&diag);
	conf_resolve(conf, &id, &pol);
	conf_defaults(&def);
	OK(pol.isolate, "shipped config isolates users");
	OK(pol.origin[TN_KEY_ISOLATE].file != NULL,
	    "isolate = yes is set in the shipped file");
	pol.origin[TN_KEY_ISOLATE] = def.origin[TN_KEY_ISOLATE];
	OK(memcmp(&pol, &def, sizeof(pol)) == 0,
	    "everything else is the built-in default");
	id.service = "systemd-user";
	conf_resolve(conf, &id, &pol);
	OK(!pol.isolate,
	    "the shipped config leaves systemd's user manager (systemd-user) out");
	conf_free(conf);

	/* Every key is documented in the shipped file and the man page. */
	snprintf(man, sizeof(man), "%s/man/tenant.conf.5", srcdir);
	{
		_cleanup_free_ char *mbuf = read_file(man, &len);

		for (int k = 0; k < TN_KEY__COUNT; k++) {
			const char *name = conf_key_name((enum tn_key)k);
			char what[128];

			snprintf(what, sizeof(what), "tenant.conf documents %s", name);
			OK(strstr(buf, name) != NULL, what);
			snprintf(what, sizeof(what), "tenant.conf.5 documents %s", name);
			OK(mbuf && strstr(mbuf, name) != NULL, what);
		}
		OK(strstr(buf, "caps.keep") && mbuf && strstr(mbuf, "caps.keep"),
		    "caps.keep documented");
	}
}

/* ---- conf_load in a scratch directory ---- */

static char tmpdir[64];

static int
rm_entry(const char *path, const struct stat *st UNUSED, int flag UNUSED,
    struct FTW *ftw UNUSED)
{
	return remove(path);
}

static int
load(const char *main_path, const char *dropin, struct tn_conf **conf,
    struct tn_diag *diag)
{
	struct tn_conf_opts opts = {
		.trusted_owner = getuid(),
		.main_path = main_path,
		.dropin_dir = dropin,
	};

	memset(diag, 0, sizeof(*diag));
	*conf = NULL;
	return conf_load(&opts, conf, diag);
}

static void
path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void
expect_load_error(const char *main_path, const char *dropin, const char *suffix,
    const char *what)
{
	struct tn_conf *conf = NULL;
	struct tn_diag diag;
	char want[512];
	int r = load(main_path, dropin, &conf, &diag);

	OK(r < 0 && conf == NULL, what);
	snprintf(want, sizeof(want), "%s", suffix);
	OK(diag_has(&diag, want), what);
	conf_free(conf);
}

static void
test_load_dropins(void)
{
	struct tn_conf *conf = NULL;
	struct tn_diag diag;
	struct tn_policy pol;
	struct tn_identity id = { .uid = 1000, .user = "u" };
	char main_path[128], dir[128], p[192];

	path_in(main_path, sizeof(main_path), "tenant.conf");
	path_in(dir, sizeof(dir), "tenant.d");
	write_file(main_path, "[default]\nmemory.max = 1G\ncpu = 10%\n", 0644);

	/* A missing drop-in directory is fine. */
	OK(load(main_path, dir, &conf, &diag) == 0, "missing drop-in dir ok");
	IS_INT(conf_file_count(conf), 1, "one file loaded");
	conf_free(conf);

	mkdir(dir, 0755);
	snprintf(p, sizeof(p), "%s/20-b.conf", dir);
	write_file(p, "[default]\nmemory.max = 3G\n", 0644);
	snprintf(p, sizeof(p), "%s/10-a.conf", dir);
	write_file(p, "[default]\nmemory.max = 2G\npids.max = 50\n", 0644);
	/* Not *.conf, or hidden: never read (they are not even valid). */
	snprintf(p, sizeof(p), "%s/30-c.conf.bak", dir);
	write_file(p, "garbage\n", 0644);
	snprintf(p, sizeof(p), "%s/.40-d.conf", dir);
	write_file(p, "garbage\n", 0644);
	snprintf(p, sizeof(p), "%s/README", dir);
	write_file(p, "garbage\n", 0644);
	snprintf(p, sizeof(p), "%s/.conf", dir);
	write_file(p, "garbage\n", 0644);

	if (!OK(load(main_path, dir, &conf, &diag) == 0, "drop-ins load"))
		show_diag(&diag);
	IS_INT(conf_file_count(conf), 3, "main + two drop-ins, others ignored");
	conf_resolve(conf, &id, &pol);
	IS_INT(pol.limits.memory_max, 3ull << 30, "20-b.conf (later) wins");
	snprintf(p, sizeof(p), "%s/20-b.conf", dir);
	IS_STR(pol.origin[TN_KEY_MEMORY_MAX].file, p, "origin names 20-b");
	IS_INT(pol.origin[TN_KEY_MEMORY_MAX].line, 2, "origin line");
	IS_INT(pol.limits.pids_max, 50, "10-a.conf value kept where not overridden");
	IS_INT(pol.limits.cpu_percent, 10, "main file value kept");
	conf_free(conf);

	/* A main file alone (check FILE): drop-ins are not read. */
	OK(load(main_path, NULL, &conf, &diag) == 0, "main file alone");
	IS_INT(conf_file_count(conf), 1, "no drop-ins without dropin_dir");
	conf_free(conf);

	/* An error in one drop-in rejects the whole config. */
	snprintf(p, sizeof(p), "%s/15-bad.conf", dir);
	write_file(p, "[default]\nbogus = 1\n", 0644);
	{
		char want[256];

		snprintf(want, sizeof(want), "%s:2: unknown key 'bogus'", p);
		expect_load_error(main_path, dir, want, "bad drop-in rejects the config");
	}
	unlink(p);

	/* A drop-in that is a symlink or a directory. */
	snprintf(p, sizeof(p), "%s/50-link.conf", dir);
	OK(symlink(main_path, p) == 0, "make a symlinked drop-in");
	{
		char want[256];

		snprintf(want, sizeof(want), "%s: is a symbolic link", p);
		expect_load_error(main_path, dir, want, "symlinked drop-in");
	}
	unlink(p);
	snprintf(p, sizeof(p), "%s/60-dir.conf", dir);
	mkdir(p, 0755);
	{
		char want[256];

		snprintf(want, sizeof(want), "%s: not a regular file", p);
		expect_load_error(main_path, dir, want, "directory drop-in");
	}
	rmdir(p);

	/* The drop-in directory itself must be trusted. */
	chmod(dir, 0777);
	{
		char want[256];

		snprintf(want, sizeof(want), "%s: writable by group or other", dir);
		expect_load_error(main_path, dir, want,
		    "group/other-writable drop-in dir");
	}
	chmod(dir, 01777);
	OK(load(main_path, dir, &conf, &diag) == 0, "sticky world-writable dir is fine");
	conf_free(conf);
	chmod(dir, 0755);
	snprintf(p, sizeof(p), "%s/dirlink", tmpdir);
	OK(symlink(dir, p) == 0, "make a symlinked drop-in dir");
	{
		char want[256];

		snprintf(want, sizeof(want), "%s: is a symbolic link", p);
		expect_load_error(main_path, p, want, "symlinked drop-in dir");
	}
}

static void
test_load_trust(void)
{
	struct tn_conf *conf = NULL;
	struct tn_diag diag;
	char f[256], want[512], sub[128];

	path_in(f, sizeof(f), "open.conf");
	write_file(f, "[default]\n", 0666);
	snprintf(want, sizeof(want), "%s: writable by group or other", f);
	expect_load_error(f, NULL, want, "mode 0666 refused");
	chmod(f, 0620);
	expect_load_error(f, NULL, want, "mode 0620 refused");

	path_in(f, sizeof(f), "link.conf");
	{
		char target[128];

		path_in(target, sizeof(target), "tenant.conf");
		OK(symlink(target, f) == 0, "make a symlink");
	}
	snprintf(want, sizeof(want), "%s: is a symbolic link", f);
	expect_load_error(f, NULL, want, "symlink refused");

	path_in(f, sizeof(f), "fifo.conf");
	mkfifo(f, 0644);
	alarm(10); /* a blocking open would hang the test: fail instead */
	snprintf(want, sizeof(want), "%s: not a regular file", f);
	expect_load_error(f, NULL, want, "FIFO refused without blocking");
	alarm(0);

	path_in(f, sizeof(f), "dir.conf");
	mkdir(f, 0755);
	snprintf(want, sizeof(want), "%s: not a regular file", f);
	expect_load_error(f, NULL, want, "directory refused");

	path_in(f, sizeof(f), "missing.conf");
	snprintf(want, sizeof(want), "%s: No such file or directory", f);
	expect_load_error(f, NULL, want, "missing main file is an error");
	{
		struct tn_conf_opts opts = { .trusted_owner = getuid(),
			.main_path = f,
			.main_optional = true };

		memset(&diag, 0, sizeof(diag));
		OK(conf_load(&opts, &conf, &diag) == 0 && diag.count == 0,
		    "missing main file is fine when optional");
		IS_INT(conf_file_count(conf), 0, "no file loaded");
		conf_free(conf);
	}

	path_in(f, sizeof(f), "big.conf");
	{
		_cleanup_free_ char *big = malloc(TN_CONF_MAX_FILE_BYTES + 2);

		memset(big, '#', TN_CONF_MAX_FILE_BYTES + 1);
		big[TN_CONF_MAX_FILE_BYTES + 1] = '\0';
		write_file(f, big, 0644);
	}
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", f);
	expect_load_error(f, NULL, want, "file over 1 MiB refused");

	/* Exactly the limit is fine (the buffer is sized by fstat and must
	 * still tell "full" from "too big"). */
	path_in(f, sizeof(f), "full.conf");
	{
		_cleanup_free_ char *full = malloc(TN_CONF_MAX_FILE_BYTES + 1);
		struct tn_conf_opts opts = { .trusted_owner = getuid(), .main_path = f };

		memset(full, '#', TN_CONF_MAX_FILE_BYTES);
		for (size_t i = 1023; i < TN_CONF_MAX_FILE_BYTES; i += 1024)
			full[i] = '\n'; /* comment lines */
		full[TN_CONF_MAX_FILE_BYTES] = '\0';
		write_file(f, full, 0644);
		memset(&diag, 0, sizeof(diag));
		OK(conf_load(&opts, &conf, &diag) == 0 && diag.count == 0,
		    "file of exactly 1 MiB loads");
		conf_free(conf);
	}

	/* A parent directory writable by others (and not sticky). */
	path_in(sub, sizeof(sub), "open-dir");
	mkdir(sub, 0755);
	chmod(sub, 0757);
	snprintf(f, sizeof(f), "%s/x.conf", sub);
	write_file(f, "[default]\n", 0644);
	snprintf(want, sizeof(want), "%s: writable by group or other", sub);
	expect_load_error(f, NULL, want, "untrusted parent directory");

	/* Ownership: root's files are trusted, others' are not. */
	path_in(f, sizeof(f), "owned.conf");
	write_file(f, "[default]\n", 0644);
	if (getuid() == 0) {
		OK(chown(f, 65534, 65534) == 0, "chown to nobody");
		snprintf(want, sizeof(want), "%s: not owned by root", f);
		expect_load_error(f, NULL, want, "file not owned by root");
	} else {
		struct tn_conf_opts opts = { .trusted_owner = getuid() + 1,
			.main_path = f };

		memset(&diag, 0, sizeof(diag));
		OK(conf_load(&opts, &conf, &diag) < 0,
		    "file of an untrusted owner refused");
		snprintf(want, sizeof(want), "not owned by root or uid %u",
		    (unsigned)getuid() + 1);
		OK(diag.stored && strstr(diag.msg[0], want), "not-owned message");
		conf_free(conf);
	}

	/* A relative path is walked from the working directory. */
	{
		char cwd[1024];

		if (getcwd(cwd, sizeof(cwd)) && chdir(tmpdir) == 0) {
			OK(load("tenant.conf", NULL, &conf, &diag) == 0,
			    "relative main path");
			conf_free(conf);
			OK(chdir(cwd) == 0, "back to the source tree");
		}
	}
}

static bool
fake_known(bool is_user, const char *name)
{
	return strcmp(name, is_user ? "alice" : "staff") == 0;
}

/* Warnings: parse a text, lint it, expect these messages in this order. */
static void
lint_case(const char *text, const char *const *want, unsigned nwant, const char *what)
{
	struct tn_conf *conf = conf_new();
	struct tn_diag diag = { 0 }, warn = { 0 };
	char name[160];

	OK(conf && conf_parse_buffer(conf, "l.conf", text, strlen(text), &diag) == 0,
	    what);
	conf_lint(conf, fake_known, &warn);
	IS_INT(warn.count, nwant, what);
	for (unsigned i = 0; i < nwant && i < warn.stored; i++) {
		snprintf(name, sizeof(name), "%s: warning %u", what, i + 1);
		IS_STR(warn.msg[i], want[i], name);
	}
	show_diag(&warn);
	conf_free(conf);
}

static void
test_lint(void)
{
	static const char *const zero[] = {
		"l.conf:2: memory.max = 0: every process of the tenant is "
		"throttled or OOM-killed at once; no login can work",
	};
	static const char *const tiny[] = {
		"l.conf:4: memory.max = 2048 bytes is below 8M: too small for a "
		"login (sizes without a suffix are bytes)",
		"l.conf:5: memory.high = 1024 bytes is below 8M: too small for a "
		"login (sizes without a suffix are bytes)",
	};
	static const char *const high[] = {
		"l.conf:3: memory.high is above memory.max (l.conf:2): it never "
		"takes effect",
		"l.conf:6: memory.high is above memory.max (l.conf:2): it never "
		"takes effect",
	};
	static const char *const names[] = {
		"l.conf:3: [user bob]: no such user (NSS does not know it): the "
		"section applies to nobody",
		"l.conf:7: [group nogroup-x]: no such group (NSS does not know "
		"it): the section applies to nobody",
	};

	lint_case("[default]\nmemory.max = 1G\nmemory.high = 512M\n[user alice]\n"
	          "memory.max = 2G\n[group staff]\npids.max = 10\n",
	    NULL, 0, "lint: a sane config has no warnings");
	lint_case("[default]\nmemory.max = 0\n", zero, 1, "lint: memory.max = 0");
	lint_case("[default]\n\n[user alice]\nmemory.max = 2048\nmemory.high = 1024\n",
	    tiny, 2, "lint: tiny memory values");
	lint_case("[default]\nmemory.max = 1G\nmemory.high = 2G\n[group staff]\n"
	          "# inherits memory.max from [default]\nmemory.high = 3G\n",
	    high, 2, "lint: memory.high above memory.max, in a section and inherited");
	lint_case("[user alice]\ncpu = 50%\n[user bob]\ncpu = 50%\n[group staff]\n"
	          "cpu = 50%\n[group nogroup-x]\ncpu = 50%\n",
	    names, 2, "lint: [user]/[group] names NSS does not know");
	{
		struct tn_conf *conf = conf_new();
		struct tn_diag diag = { 0 }, warn = { 0 };
		const char *t = "[user bob]\ncpu = 50%\n";

		OK(conf && conf_parse_buffer(conf, "l.conf", t, strlen(t), &diag) == 0,
		    "lint: parse");
		conf_lint(conf, NULL, &warn);
		IS_INT(warn.count, 0, "lint: without a callback, names are not checked");
		conf_free(conf);
	}
}

int
main(void)
{
	const char *s = getenv("TN_SRCDIR");

	if (s != NULL)
		snprintf(srcdir, sizeof(srcdir), "%s", s);
	test_good_fixtures();
	test_bad_fixtures();
	test_buffer_limits();
	test_cgroup_root_values();
	test_shipped_config();
	test_lint();

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tn-conf-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		OK(0, "mkdtemp");
		return tap_done();
	}
	test_load_dropins();
	test_load_trust();
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
