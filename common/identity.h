/* Who a login is for, resolved once through NSS (security catalog #26-#28:
 * decide on pw_uid, use the canonical pw_name, groups from getgrouplist). */
#ifndef TENANT_IDENTITY_H
#define TENANT_IDENTITY_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

#define TN_MAX_NAME 256 /* longer user/group names are refused */
#define TN_MAX_GROUPS 65536

struct tn_user {
	uid_t uid;
	gid_t gid;
	char *name;    /* canonical pw_name */
	char **groups; /* names of all groups (primary first); unnamed gids as "#GID" */
	size_t ngroups;
};

int identity_by_name(const char *name, struct tn_user *u, struct tn_err *err);
int identity_by_uid(uid_t uid, struct tn_user *u, struct tn_err *err);
/* Name and primary group only (groups NULL); identity_add_groups() adds
 * the group list later if it turns out to be needed: getgrouplist() asks
 * every NSS module and is the costliest lookup of a login. */
int identity_name_by_uid(uid_t uid, struct tn_user *u, struct tn_err *err);
int identity_add_groups(struct tn_user *u, struct tn_err *err);
/* getgrouplist() cannot report a group backend that is down: it leaves
 * that backend's groups out.  Ask for group itself (a [group NAME] the
 * policy depends on): an error if the lookup fails, or if the group
 * lists the user while u's groups (identity_add_groups) lack it. */
int identity_confirm_group(const struct tn_user *u, const char *group,
    struct tn_err *err);
void identity_free(struct tn_user *u);

#endif
