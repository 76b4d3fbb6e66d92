/* The one isolation decision (conf/decide.c) over every combination of
 * the facts it reads.  The expected verdict comes from a table of rules,
 * first match wins, written as the admin's documentation states them
 * (tenant.conf(5), pam_tenant(8)); each rule must be hit, and a few
 * properties must hold across the whole space. */
#include <stdio.h>
#include <string.h>

#include "decide.h"
#include "tap.h"

/* One bit per fact. */
enum {
	USER_ERR = 1 << 0,  /* NSS could not resolve the user or its groups */
	CONF_ERR = 1 << 1,  /* the config does not load */
	IGNORE_CE = 1 << 2, /* module argument ignore_config_error */
	ROOT = 1 << 3,      /* uid 0 */
	OPTIN = 1 << 4,     /* module argument root_optin */
	NOISOLATE = 1 << 5, /* isolate = no */
	SESSION = 1 << 6,   /* scope = session */
	AUDIT_ERR = 1 << 7, /* audit unavailable */
	ALLOW = 1 << 8,     /* on_error = allow */
	OPTIONAL = 1 << 9,  /* cgroup = optional */
	LIMITS = 1 << 10,   /* a limit is configured */
	NO_CG = 1 << 11,    /* the host cannot apply limits */
	FULL = 1 << 12,     /* sessions.max already reached */
	ALL_FACTS = (1 << 13) - 1,
};

struct rule {
	const char *name;
	unsigned set, clear; /* facts that must be set / clear */
	enum tn_verdict verdict;
	bool tell_user, quotas_skipped;
	const char *why_prefix;
	enum tn_reason reason;
};

static const struct rule rules[] = {
	{ "no user: deny (on_error not known)", USER_ERR, 0, TN_VERDICT_DENY, 0, 0, "nss",
	    TN_REASON_ACCOUNT },
	{ "config error, ignore_config_error: degrade", CONF_ERR | IGNORE_CE, 0,
	    TN_VERDICT_DEGRADE, 0, 0, "configuration error", TN_REASON_CONFIG },
	{ "config error: deny (on_error not known)", CONF_ERR, 0, TN_VERDICT_DENY, 0, 0,
	    "configuration error", TN_REASON_CONFIG },
	{ "root without root_optin: exempt", ROOT, OPTIN, TN_VERDICT_EXEMPT, 0, 0, "root",
	    TN_REASON_NONE },
	{ "isolate = no: exempt", NOISOLATE, 0, TN_VERDICT_EXEMPT, 0, 0, "isolate = no",
	    TN_REASON_NONE },
	{ "audit down, on_error = allow: degrade", AUDIT_ERR | ALLOW, 0,
	    TN_VERDICT_DEGRADE, 0, 0, "audit unavailable", TN_REASON_AUDIT },
	{ "audit down: deny", AUDIT_ERR, 0, TN_VERDICT_DENY, 0, 0, "audit unavailable",
	    TN_REASON_AUDIT },
	{ "sessions.max reached: deny, told, whatever on_error", FULL, 0, TN_VERDICT_DENY,
	    1, 0, "sessions.max", TN_REASON_SESSIONS },
	{ "limits, no cgroups, optional: isolate without quotas",
	    LIMITS | NO_CG | OPTIONAL, 0, TN_VERDICT_ISOLATE, 0, 1,
	    "quotas are configured", TN_REASON_NONE },
	{ "limits, no cgroups, required, on_error = allow: degrade",
	    LIMITS | NO_CG | ALLOW, 0, TN_VERDICT_DEGRADE, 0, 0, "quotas are configured",
	    TN_REASON_QUOTAS },
	{ "limits, no cgroups, required: deny", LIMITS | NO_CG, 0, TN_VERDICT_DENY, 0, 0,
	    "quotas are configured", TN_REASON_QUOTAS },
	{ "otherwise: isolate", 0, 0, TN_VERDICT_ISOLATE, 0, 0, "", TN_REASON_NONE },
};
#define N_RULES (sizeof(rules) / sizeof(rules[0]))

static struct tn_decision
decide(unsigned f, struct tn_policy *pol)
{
	struct tn_login_facts facts = {
		.uid = f & ROOT ? 0 : 1000,
		.root_optin = f & OPTIN,
		.ignore_config_error = f & IGNORE_CE,
		.user_error = f & USER_ERR ? "nss: no such user" : NULL,
		.config_error = f & CONF_ERR ? "tenant.conf:3: unknown key" : NULL,
		.audit_error = f & AUDIT_ERR ? "netlink: EPERM" : NULL,
		.quota_error = f & NO_CG ? "/sys/fs/cgroup is not cgroup v2" : NULL,
		.sessions_open = f & FULL ? 4 : 3,
	};

	conf_defaults(pol);
	pol->isolate = !(f & NOISOLATE);
	pol->scope = f & SESSION ? TN_SCOPE_SESSION : TN_SCOPE_USER;
	pol->on_error = f & ALLOW ? TN_ONERR_ALLOW : TN_ONERR_DENY;
	pol->cgroup = f & OPTIONAL ? TN_CGROUP_OPTIONAL : TN_CGROUP_REQUIRED;
	if (f & LIMITS)
		pol->limits.memory_max = 1 << 30;
	pol->sessions_max = 4;
	/* With a config error the caller has no policy to give. */
	facts.pol = f & (USER_ERR | CONF_ERR) ? NULL : pol;
	return tn_decide(&facts);
}

static const struct rule *
expected(unsigned f)
{
	size_t i = 0;

	/* The last rule matches everything. */
	while ((f & rules[i].set) != rules[i].set || (f & rules[i].clear))
		i++;
	return &rules[i];
}

static void
test_every_combination(void)
{
	unsigned hits[N_RULES] = { 0 }, wrong = 0, cases = 0;

	for (unsigned f = 0; f <= ALL_FACTS; f++) {
		struct tn_policy pol;
		struct tn_decision d = decide(f, &pol);
		const struct rule *r = expected(f);
		bool why_ok = strncmp(d.why, r->why_prefix, strlen(r->why_prefix)) == 0 &&
		    (r->why_prefix[0] != '\0' || d.why[0] == '\0');

		cases++;
		hits[r - rules]++;
		if (d.verdict == r->verdict && d.tell_user == r->tell_user &&
		    d.quotas_skipped == r->quotas_skipped && d.reason == r->reason &&
		    why_ok)
			continue;
		if (wrong++ < 5)
			printf("#   facts %#x (%s): got %s tell=%d skipped=%d why '%s'\n",
			    f, r->name, tn_verdict_name(d.verdict), d.tell_user,
			    d.quotas_skipped, d.why);
	}
	IS_INT(cases, 1 << 13, "every combination of 13 facts walked");
	IS_INT(wrong, 0, "every combination decided as the rule table says");
	for (size_t i = 0; i < N_RULES; i++) {
		char what[160];

		snprintf(what, sizeof(what), "rule reached: %s", rules[i].name);
		OK(hits[i] > 0, what);
	}
}

/* Properties an admin relies on, checked over the whole space. */
static void
test_properties(void)
{
	unsigned scope_matters = 0, root_denied = 0, allow_denies_less = 0,
	         exempt_audit = 0;

	for (unsigned f = 0; f <= ALL_FACTS; f++) {
		struct tn_policy p1, p2;
		struct tn_decision d = decide(f, &p1);

		/* scope picks the tenant, never the verdict */
		if (!(f & SESSION) && decide(f | SESSION, &p2).verdict != d.verdict)
			scope_matters++;
		/* root without opt-in is never refused once the config loads */
		if ((f & ROOT) && !(f & (OPTIN | USER_ERR | CONF_ERR)) &&
		    d.verdict != TN_VERDICT_EXEMPT)
			root_denied++;
		/* on_error = allow only ever turns a deny into a degrade, and
		 * never lets a sessions.max refusal through */
		if (!(f & ALLOW)) {
			struct tn_decision a = decide(f | ALLOW, &p2);

			if (a.verdict != d.verdict &&
			    !(d.verdict == TN_VERDICT_DENY &&
			        a.verdict == TN_VERDICT_DEGRADE && !d.tell_user))
				allow_denies_less++;
		}
		/* an exemption does not depend on audit */
		if (d.verdict == TN_VERDICT_EXEMPT &&
		    decide(f ^ AUDIT_ERR, &p2).verdict != TN_VERDICT_EXEMPT)
			exempt_audit++;
	}
	IS_INT(scope_matters, 0, "scope never changes the verdict");
	IS_INT(root_denied, 0,
	    "root without root_optin is exempt whenever the config loads");
	IS_INT(allow_denies_less, 0,
	    "on_error = allow changes only failure denials into degrade");
	IS_INT(exempt_audit, 0, "exemptions do not depend on audit");
}

static void
test_failure_helpers(void)
{
	struct tn_policy p;

	conf_defaults(&p);
	IS_INT(tn_on_failure(NULL), TN_VERDICT_DENY, "failure without a policy: deny");
	IS_INT(tn_on_failure(&p), TN_VERDICT_DENY, "failure, on_error = deny: deny");
	p.on_error = TN_ONERR_ALLOW;
	IS_INT(tn_on_failure(&p), TN_VERDICT_DEGRADE,
	    "failure, on_error = allow: degrade");

	conf_defaults(&p);
	OK(tn_quota_failure_tolerated(&p), "quota setup failure with no limits: go on");
	p.limits.pids_max = 64;
	OK(!tn_quota_failure_tolerated(&p),
	    "quota setup failure, limits, required: fail");
	p.cgroup = TN_CGROUP_OPTIONAL;
	OK(tn_quota_failure_tolerated(&p),
	    "quota setup failure, limits, optional: go on");

	OK(!tn_sessions_full(0, 1), "0 of sessions.max 1: room");
	OK(tn_sessions_full(1, 1), "1 of sessions.max 1: full");
	OK(tn_sessions_full(300, 256), "over sessions.max: full");
}

int
main(void)
{
	test_every_combination();
	test_properties();
	test_failure_helpers();
	return tap_done();
}
