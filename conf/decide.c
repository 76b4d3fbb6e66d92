/* The one isolation decision (decide.h).  Pure: it reads the facts it is
 * given and nothing else, so tests/unit/test-decide.c walks every
 * combination. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "decide.h"

enum tn_verdict
tn_on_failure(const struct tn_policy *pol)
{
	return pol && pol->on_error == TN_ONERR_ALLOW ? TN_VERDICT_DEGRADE
	                                              : TN_VERDICT_DENY;
}

bool
tn_quota_failure_tolerated(const struct tn_policy *pol)
{
	return pol->cgroup == TN_CGROUP_OPTIONAL || !conf_policy_has_limits(pol);
}

bool
tn_sessions_full(unsigned open, unsigned max)
{
	return open >= max;
}

static struct tn_decision verdict(enum tn_verdict v, enum tn_reason reason,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static struct tn_decision
verdict(enum tn_verdict v, enum tn_reason reason, const char *fmt, ...)
{
	struct tn_decision d = { .verdict = v, .reason = reason };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d.why, sizeof(d.why), fmt, ap);
	va_end(ap);
	return d;
}

struct tn_decision
tn_decide(const struct tn_login_facts *f)
{
	const struct tn_policy *pol = f->pol;
	struct tn_decision d;

	/* Without the user or the config there is no policy: on_error is
	 * not known, so a failure denies. */
	if (f->user_error)
		return verdict(TN_VERDICT_DENY, TN_REASON_ACCOUNT, "%s", f->user_error);
	if (f->config_error || pol == NULL)
		return verdict(f->ignore_config_error ? TN_VERDICT_DEGRADE
		                                      : TN_VERDICT_DENY,
		    TN_REASON_CONFIG, "configuration error: %s",
		    f->config_error ? f->config_error : "no policy");
	if (f->uid == 0 && !f->root_optin)
		return verdict(TN_VERDICT_EXEMPT, TN_REASON_NONE, "root is not isolated");
	if (!pol->isolate)
		return verdict(TN_VERDICT_EXEMPT, TN_REASON_NONE,
		    "isolate = no for this user");
	if (f->audit_error)
		return verdict(tn_on_failure(pol), TN_REASON_AUDIT,
		    "audit unavailable: %s", f->audit_error);
	/* A limit, not a failure: on_error does not apply. */
	if (tn_sessions_full(f->sessions_open, pol->sessions_max)) {
		d = verdict(TN_VERDICT_DENY, TN_REASON_SESSIONS,
		    "sessions.max = %u reached", (unsigned)pol->sessions_max);
		d.tell_user = true;
		return d;
	}
	if (f->quota_error && conf_policy_has_limits(pol)) {
		if (pol->cgroup == TN_CGROUP_REQUIRED)
			return verdict(tn_on_failure(pol), TN_REASON_QUOTAS,
			    "quotas are configured but cannot be applied: %s",
			    f->quota_error);
		d = verdict(TN_VERDICT_ISOLATE, TN_REASON_NONE,
		    "quotas are configured but cannot be applied: %s", f->quota_error);
		d.quotas_skipped = true;
		return d;
	}
	return verdict(TN_VERDICT_ISOLATE, TN_REASON_NONE, "%s", "");
}

const char *
tn_verdict_name(enum tn_verdict v)
{
	switch (v) {
	case TN_VERDICT_ISOLATE:
		return "isolate";
	case TN_VERDICT_EXEMPT:
		return "exempt";
	case TN_VERDICT_DEGRADE:
		return "degrade";
	case TN_VERDICT_DENY:
		return "deny";
	}
	return "?";
}
