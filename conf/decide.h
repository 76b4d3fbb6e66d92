/* Whether a login is isolated, exempt, degraded or denied: one pure
 * function over what the caller found out about it.  The helper decides
 * every login with it; the keeper's fast join serves a login only when
 * it says "isolate" with nothing to note, and hands every other login to
 * the helper (docs/architecture.md, decision 18). */
#ifndef TENANT_DECIDE_H
#define TENANT_DECIDE_H

#include <stdbool.h>
#include <sys/types.h>

#include "conf.h"
#include "proto.h"

enum tn_verdict {
	TN_VERDICT_ISOLATE,
	TN_VERDICT_EXEMPT,
	TN_VERDICT_DEGRADE, /* let in without isolation, audited */
	TN_VERDICT_DENY,
};

/* What the caller found out.  Each *_error is NULL when that part is
 * fine, else what went wrong (it becomes part of the reason). */
struct tn_login_facts {
	uid_t uid;
	bool root_optin;          /* module argument root_optin */
	bool ignore_config_error; /* module argument ignore_config_error */
	const char *user_error;   /* NSS: the user, or its groups when needed */
	const char *config_error; /* else pol is the user's resolved policy */
	const struct tn_policy *pol;
	const char *audit_error; /* NULL also when audit is off on purpose */
	const char *quota_error; /* the host cannot apply limits */
	unsigned sessions_open;  /* in the user's tenant; 0 when none or unknown */
};

struct tn_decision {
	enum tn_verdict verdict;
	bool tell_user;        /* a refusal by policy: the user may read why */
	bool quotas_skipped;   /* isolate without quotas (cgroup = optional): audit it */
	enum tn_reason reason; /* the class of why, for the user */
	char why[600];         /* empty for a plain "isolate" */
};

struct tn_decision tn_decide(const struct tn_login_facts *f);

/* A step that failed after the verdict was "isolate": on_error decides
 * (deny when the policy is not known). */
enum tn_verdict tn_on_failure(const struct tn_policy *pol);

/* Setting up quotas failed at run time (cgroupfs or systemd): may the
 * login go on without them?  With cgroup = optional, or when no limit is
 * configured (nothing to apply), yes, audited; else it is a failure. */
bool tn_quota_failure_tolerated(const struct tn_policy *pol);

/* sessions.max: is a tenant with this many sessions open full? */
bool tn_sessions_full(unsigned open, unsigned max);

const char *tn_verdict_name(enum tn_verdict v);

#endif
