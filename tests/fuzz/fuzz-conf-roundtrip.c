/* Round trip: for any config that parses, what `tenantctl explain`
 * prints for a login parses back to the same policy.  explain prints a
 * [default] section with one conf_format_setting() line per key and the
 * value's origin as a comment (tools/ctl-conf.c, explain_text); the
 * harness renders the same block, parses it with conf_parse_buffer,
 * resolves it for nobody (only [default] is in it) and abort()s when any
 * value differs or a key is missing.
 *
 * Input: the config text; lines "%%" split it into the main file and
 * drop-ins (parsed in order, as conf_load reads them). */
#include <errno.h>

#include "conf-int.h"
#include "fuzz.h"
#include "util.h"

#define MAX_FILES 9
#define EXPLAIN_MAX (TN_KEY__COUNT * (TN_CONF_MAX_LINE + 64) + 256)

static char explain[EXPLAIN_MAX];

/* The block explain_text prints, comments included. */
static size_t
render(const struct tn_policy *pol)
{
	char line[TN_CONF_MAX_LINE];
	size_t off = 0;
	int r;

	r = snprintf(explain, sizeof(explain),
	    "# tenantctl explain: the resolved policy, as config text\n"
	    "# user:     fuzz (uid 1000)\n# isolated: yes\n[default]\n");
	FUZZ_CHECK(r > 0 && (size_t)r < sizeof(explain), "header");
	off = (size_t)r;
	for (int k = 0; k < TN_KEY__COUNT; k++) {
		const struct tn_origin *o = &pol->origin[k];

		FUZZ_CHECK(conf_format_setting(pol, (enum tn_key)k, line, sizeof(line)) ==
		        0,
		    "cannot format %s", conf_key_name((enum tn_key)k));
		FUZZ_CHECK(strchr(line, '\n') == NULL, "newline in %s", line);
		if (o->file)
			r = snprintf(explain + off, sizeof(explain) - off,
			    "%s   # from %s:%u\n", line, o->file, o->line);
		else
			r = snprintf(explain + off, sizeof(explain) - off,
			    "%s   # built-in default\n", line);
		FUZZ_CHECK(r > 0 && (size_t)r < sizeof(explain) - off,
		    "explain too long");
		off += (size_t)r;
	}
	return off;
}

static void
round_trip(const struct tn_identity *id, const struct tn_conf *conf)
{
	struct tn_policy pol, back;
	struct tn_diag diag = { 0 };
	struct tn_conf *again = conf_new();
	size_t len;
	int r, k;

	FUZZ_CHECK(again != NULL, "conf_new");
	conf_resolve(conf, id, &pol);
	fuzz_check_policy(&pol);
	len = render(&pol);
	r = conf_parse_buffer(again, "explain", explain, len, &diag);
	if (r < 0) {
		fprintf(stderr, "explain printed:\n%s", explain);
		for (unsigned i = 0; i < diag.stored; i++)
			fprintf(stderr, "diag: %s\n", diag.msg[i]);
		FUZZ_CHECK(0, "explain's output does not parse (%d)", r);
	}
	conf_resolve(again, NULL, &back);
	k = fuzz_first_difference(&pol, &back);
	if (!fuzz_same_policy(&pol, &back) || k >= 0) {
		fprintf(stderr, "explain printed:\n%s", explain);
		FUZZ_CHECK(0, "round trip changed the policy (first key: %s)",
		    k >= 0 ? conf_key_name((enum tn_key)k) : "(a byte no key shows)");
	}
	for (k = 0; k < TN_KEY__COUNT; k++)
		FUZZ_CHECK(back.origin[k].file != NULL &&
		        back.origin[k].line == (unsigned)k + 5,
		    "%s not printed on its own line", conf_key_name((enum tn_key)k));
	conf_free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[MAX_FILES] = { "tenant.conf", "tenant.d/01.conf",
		"tenant.d/02.conf", "tenant.d/03.conf", "tenant.d/04.conf",
		"tenant.d/05.conf", "tenant.d/06.conf", "tenant.d/07.conf",
		"tenant.d/08.conf" };
	const char *text = (const char *)data;
	struct tn_conf *conf = conf_new();
	struct tn_diag diag = { 0 };
	const char *groups[8];
	struct tn_identity id = { .uid = 1000, .groups = groups };
	size_t pos = 0;
	bool ok = true;

	FUZZ_CHECK(conf != NULL, "conf_new");
	for (int i = 0; i < MAX_FILES && ok; i++) {
		const char *sep = NULL;
		size_t len;

		for (size_t j = pos; j + 3 <= size; j++)
			if (text[j] == '\n' && text[j + 1] == '%' && text[j + 2] == '%') {
				sep = text + j;
				break;
			}
		len = sep ? (size_t)(sep - text) + 1 - pos : size - pos;
		ok = conf_parse_buffer(conf, names[i], text + pos, len, &diag) == 0;
		if (sep == NULL)
			break;
		pos = (size_t)(sep - text) + 3;
	}
	fuzz_check_diag(&diag);
	if (!ok) {
		FUZZ_CHECK(diag.count > 0, "refused without a diagnostic");
		conf_free(conf);
		return 0;
	}
	/* Resolve for nobody, then for someone every named section matches. */
	round_trip(NULL, conf);
	for (unsigned i = 0; i < conf->nsec; i++) {
		const struct tn_section *s = &conf->sec[i];

		if (s->kind == TN_SEC_UID)
			id.uid = s->uid_lo;
		else if (s->kind == TN_SEC_USER)
			id.user = s->name;
		else if (s->kind == TN_SEC_SERVICE)
			id.service = s->name;
		else if (s->kind == TN_SEC_GROUP && id.ngroups < N_ELEMENTS(groups))
			groups[id.ngroups++] = s->name;
	}
	round_trip(&id, conf);
	conf_free(conf);
	return 0;
}
