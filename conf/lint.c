/* conf_lint: values that parse but are very likely mistakes.  Pure, like
 * the parser: names are checked through the caller's callback. */
#include <stdio.h>
#include <string.h>

#include "conf-int.h"
#include "util.h"

/* memory.max/high below this cannot hold a login shell and its sshd. */
#define TN_CONF_MEMORY_TINY (8ull * 1024 * 1024)

static bool
sec_has(const struct tn_section *s, enum tn_key k)
{
	return (s->set & (1u << k)) != 0;
}

static void
lint_tiny(const struct tn_section *s, enum tn_key k, uint64_t v, struct tn_diag *warn)
{
	if (!sec_has(s, k))
		return;
	if (v == 0)
		diag_add(warn,
		    "%s:%u: %s = 0: every process of the tenant is "
		    "throttled or OOM-killed at once; no login can work",
		    s->file, s->key_line[k], conf_key_name(k));
	else if (v < TN_CONF_MEMORY_TINY)
		diag_add(warn,
		    "%s:%u: %s = %llu bytes is below 8M: too small "
		    "for a login (sizes without a suffix are bytes)",
		    s->file, s->key_line[k], conf_key_name(k), (unsigned long long)v);
}

void
conf_lint(const struct tn_conf *conf, conf_name_known_fn *known, struct tn_diag *warn)
{
	/* The [default] values a later section inherits, as the file reads. */
	const struct tn_section *def_max = NULL, *def_high = NULL;

	for (unsigned i = 0; conf && i < conf->nsec; i++) {
		const struct tn_section *s = &conf->sec[i];
		const struct tn_section *smax =
		    sec_has(s, TN_KEY_MEMORY_MAX) ? s : def_max;
		const struct tn_section *shigh =
		    sec_has(s, TN_KEY_MEMORY_HIGH) ? s : def_high;

		lint_tiny(s, TN_KEY_MEMORY_MAX, s->val.limits.memory_max, warn);
		lint_tiny(s, TN_KEY_MEMORY_HIGH, s->val.limits.memory_high, warn);
		if ((s == smax || s == shigh) && smax && shigh &&
		    shigh->val.limits.memory_high != TN_UNLIMITED &&
		    shigh->val.limits.memory_high > smax->val.limits.memory_max)
			diag_add(warn,
			    "%s:%u: memory.high is above memory.max "
			    "(%s:%u): it never takes effect",
			    shigh->file, shigh->key_line[TN_KEY_MEMORY_HIGH], smax->file,
			    smax->key_line[TN_KEY_MEMORY_MAX]);
		if (s->kind == TN_SEC_DEFAULT) {
			def_max = smax;
			def_high = shigh;
		}
		if ((s->kind == TN_SEC_USER || s->kind == TN_SEC_GROUP) && known &&
		    s->name && !known(s->kind == TN_SEC_USER, s->name))
			diag_add(warn,
			    "%s:%u: [%s %s]: no such %s (NSS does not know "
			    "it): the section applies to nobody",
			    s->file, s->line, tn_section_kind_names[s->kind], s->name,
			    tn_section_kind_names[s->kind]);
	}
}
