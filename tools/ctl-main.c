/* tenantctl: the admin tool.  Command table, usage, shared output. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
	const char *help;
};

static const struct command commands[] = {
	/* Configuration (ctl-conf.c): no privileges needed. */
	{ "check", cmd_check, "[FILE]", "validate the configuration (or only FILE)" },
	{ "check --pam", cmd_check, "[--pam-dir DIR] [--json] [FILE]",
	    "which PAM services open sessions without pam_tenant" },
	{ "explain", cmd_explain, "USER [--service S] [--config FILE] [--json]",
	    "show the policy USER gets and where each value comes from" },

	/* ---- Runtime state (ctl-state.c): read /run/pam_tenant, root only.
	 * Add further state commands here. ---- */
	{ "list", cmd_list, "[--json]", "list the live tenants" },
	{ "status", cmd_status, "[USER] [--json]",
	    "show the sessions, limits and usage of tenants" },
	{ "terminate", cmd_terminate, "USER [--session ID [--grace SECONDS]]",
	    "end every session of USER's tenant, or only session ID's processes" },
	/* Signals (ctl-signal.c): through the tenant's keeper, root only. */
	{ "kill", cmd_kill, "USER [--signal SIG] [--session ID]",
	    "send SIG (default TERM) to every process of USER's tenant (or session)" },
};

void
ctl_usage(FILE *f)
{
	fprintf(f, "usage: tenantctl COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < N_ELEMENTS(commands); i++)
		fprintf(f, "  %s %s\n      %s\n", commands[i].name, commands[i].args,
		    commands[i].help);
	fprintf(f,
	    "  --version\n      print the version\n"
	    "\nExit status: 0 success, 1 failure or config errors, "
	    "2 usage error or unknown user,\n3 no live tenant (or session) to "
	    "terminate or kill, 4 needs root;\ncheck --pam: 1 when a service opens "
	    "sessions unisolated.  See tenantctl(8).\n");
}

/* Length of the valid UTF-8 sequence at s, 0 if it is not one. */
static size_t
utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* No overlong forms, no surrogates, nothing above U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void
ctl_json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	if (str == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*s) {
		size_t n = utf8_seq(s);

		if (n == 0) {
			fputs("\\ufffd", f);
			s++;
		} else if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (*s == '\n') {
			fputs("\\n", f);
			s++;
		} else if (*s == '\t') {
			fputs("\\t", f);
			s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
	fputc('"', f);
}

char *
ctl_safe(char *dst, size_t size, const char *src)
{
	size_t used = 0;

	for (const unsigned char *s = (const unsigned char *)src; *s; s++) {
		char esc[5] = { (char)*s, '\0' };
		size_t n = 1;

		/* 0x9b is a CSI on 8-bit terminals: every byte outside
		 * printable ASCII is shown, never sent. */
		if (*s == '\\')
			n = (size_t)snprintf(esc, sizeof(esc), "\\\\");
		else if (*s < 0x20 || *s >= 0x7f)
			n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *s);
		if (used + n >= size)
			break;
		memcpy(dst + used, esc, n);
		used += n;
	}
	dst[used] = '\0';
	return dst;
}

void
ctl_print_safe(FILE *f, const char *str)
{
	char buf[4 * 256 + 1];

	fputs(ctl_safe(buf, sizeof(buf), str), f);
}

int
main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;

	if (name == NULL) {
		ctl_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 ||
	    strcmp(name, "help") == 0) {
		ctl_usage(stdout);
		return CTL_EXIT_OK;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
		printf("tenantctl (pam_tenant) %s\n", TN_VERSION);
		return CTL_EXIT_OK;
	}
	for (size_t i = 0; i < N_ELEMENTS(commands); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tenantctl: unknown %s '", name[0] == '-' ? "option" : "command");
	ctl_print_safe(stderr, name);
	fprintf(stderr, "'\n");
	ctl_usage(stderr);
	return CTL_EXIT_USAGE;
}
