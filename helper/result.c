/* The RESULT the module gets: one builder for the helper's answer and the
 * keeper's fast join, so an isolated login carries the same plan (caps,
 * no_new_privs, namespaces, on_error) whichever of the two served it. */
#include <string.h>

#include "helper.h"
#include "util.h"

void
result_init(struct tn_msg_result *r, const char *cookie, enum tn_status status,
    const char *msg, const struct tn_policy *pol)
{
	proto_init(r, TN_MSG_RESULT);
	r->status = status;
	str_copy(r->cookie, sizeof(r->cookie), cookie);
	str_copy(r->msg, sizeof(r->msg), msg);
	/* The module needs on_error for what it may still fail to do. */
	if (pol && pol->on_error == TN_ONERR_ALLOW)
		r->flags |= TN_RES_ON_ERROR_ALLOW;
}

void
result_isolated(struct tn_msg_result *r, const struct tn_policy *pol, unsigned ns_mask,
    const uint64_t ns_ino[TN_NS_COUNT])
{
	r->ns_mask = ns_mask;
	memcpy(r->ns_ino, ns_ino, sizeof(r->ns_ino));
	r->caps_drop = pol->caps_drop;
	if (pol->no_new_privs)
		r->flags |= TN_RES_NO_NEW_PRIVS;
}
