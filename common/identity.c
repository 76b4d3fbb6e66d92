/* NSS lookups for the user a login is for.  Every buffer grows on
 * ERANGE up to a cap; an NSS failure is an error, never "no such user",
 * so that a broken directory service cannot turn into a skipped policy. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "util.h"

#define NSS_BUF_START 1024
#define NSS_BUF_MAX (16u * 1024 * 1024) /* groups with huge member lists */
/* glibc's ENOENT from a *_r lookup is NSS_STATUS_UNAVAIL: a backend is down. */
#define NSS_DOWN \
	" database is unavailable (an NSS backend in nsswitch.conf did not answer)"

/* Grow *buf until lookup() stops saying ERANGE. */
static int
grow(char **buf, size_t *len)
{
	char *nb;

	if (*len >= NSS_BUF_MAX)
		return -ERANGE;
	nb = realloc(*buf, *len * 2);
	if (nb == NULL)
		return -ENOMEM;
	*buf = nb;
	*len *= 2;
	return 0;
}

/* Name of gid, or "#GID" when NSS has none: a form no group name in a
 * [group NAME] section matches by accident ([group 4242] must not apply
 * to an unnamed gid 4242, nor to a group named "4242" when it is not). */
static int
group_name(gid_t gid, char **buf, size_t *len, char **out, struct tn_err *err)
{
	struct group gr, *res = NULL;
	char num[16];
	int r;

	for (;;) {
		r = getgrgid_r(gid, &gr, *buf, *len, &res);
		if (r != ERANGE)
			break;
		if ((r = grow(buf, len)) < 0)
			return err_set(err, -r, "getgrgid_r(%u): %s", (unsigned)gid,
			    strerror(-r));
	}
	if (r != 0)
		return err_set(err, r, "getgrgid_r(%u): %s", (unsigned)gid, strerror(r));
	if (res == NULL) {
		snprintf(num, sizeof(num), "#%u", (unsigned)gid);
		*out = strdup(num);
	} else {
		if (strlen(res->gr_name) > TN_MAX_NAME)
			return err_set(err, ENAMETOOLONG,
			    "group %u: name longer than %d bytes", (unsigned)gid,
			    TN_MAX_NAME);
		*out = strdup(res->gr_name);
	}
	if (*out == NULL)
		return err_set(err, ENOMEM, "out of memory");
	return 0;
}

/* Every gid of user, primary first, at most TN_MAX_GROUPS. */
static int
group_list(const char *user, gid_t gid, gid_t **out, size_t *count, struct tn_err *err)
{
	_cleanup_free_ gid_t *g = NULL;
	int n = 64;

	for (;;) {
		gid_t *ng = reallocarray(g, (size_t)n, sizeof(*g));
		int want = n;

		if (ng == NULL)
			return err_set(err, ENOMEM, "out of memory");
		g = ng;
		if (getgrouplist(user, gid, g, &want) >= 0) {
			n = want;
			break;
		}
		if (n >= TN_MAX_GROUPS)
			return err_set(err, E2BIG, "user %s is in more than %d groups",
			    user, TN_MAX_GROUPS);
		/* want is the size needed now; membership may still grow. */
		n = want > n ? want : n * 2;
		if (n > TN_MAX_GROUPS)
			n = TN_MAX_GROUPS;
	}
	/* glibc puts gid first; make sure of it whatever NSS did. */
	for (int i = 1; i < n; i++) {
		if (g[i] == gid) {
			g[i] = g[0];
			g[0] = gid;
			break;
		}
	}
	if (n == 0 || g[0] != gid)
		return err_set(err, EIO, "getgrouplist(%s) left out gid %u", user,
		    (unsigned)gid);
	*count = (size_t)n;
	*out = steal_ptr(&g);
	return 0;
}

static int
fill_name(const struct passwd *pw, struct tn_user *u, struct tn_err *err)
{
	if (strlen(pw->pw_name) > TN_MAX_NAME)
		return err_set(err, ENAMETOOLONG,
		    "uid %u: user name longer than %d bytes", (unsigned)pw->pw_uid,
		    TN_MAX_NAME);
	if (pw->pw_uid == (uid_t)-1)
		return err_set(err, EINVAL, "user %s has uid -1", pw->pw_name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->name = strdup(pw->pw_name);
	return u->name ? 0 : err_set(err, ENOMEM, "out of memory");
}

int
identity_add_groups(struct tn_user *u, struct tn_err *err)
{
	_cleanup_free_ gid_t *gids = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t n = 0, len = NSS_BUF_START;
	int r;

	if (u->groups != NULL)
		return 0;
	r = group_list(u->name, u->gid, &gids, &n, err);
	if (r < 0)
		return r;
	u->groups = calloc(n, sizeof(*u->groups));
	buf = malloc(len);
	if (u->groups == NULL || buf == NULL)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		r = group_name(gids[i], &buf, &len, &u->groups[u->ngroups], err);
		if (r < 0)
			return r;
		u->ngroups++;
	}
	return 0;
}

static int
lookup(const char *name, uid_t uid, bool groups, struct tn_user *u, struct tn_err *err)
{
	_cleanup_free_ char *buf = NULL;
	struct passwd pw, *res = NULL;
	size_t len = NSS_BUF_START;
	char what[TN_MAX_NAME + 16];
	int r;

	memset(u, 0, sizeof(*u));
	if (name)
		snprintf(what, sizeof(what), "user '%s'", name);
	else
		snprintf(what, sizeof(what), "uid %u", (unsigned)uid);
	buf = malloc(len);
	if (buf == NULL)
		return err_set(err, ENOMEM, "out of memory");
	for (;;) {
		if (name)
			r = getpwnam_r(name, &pw, buf, len, &res);
		else
			r = getpwuid_r(uid, &pw, buf, len, &res);
		if (r != ERANGE)
			break;
		if ((r = grow(&buf, &len)) < 0)
			return err_set(err, -r, "looking up %s: %s", what, strerror(-r));
	}
	if (r == ENOENT)
		return err_set(err, r, "looking up %s: the user" NSS_DOWN, what);
	if (r != 0)
		return err_set(err, r, "looking up %s: %s", what, strerror(r));
	if (res == NULL)
		return err_set(err, ENOENT, "no such user: %s", what);
	r = fill_name(&pw, u, err);
	if (r == 0 && groups)
		r = identity_add_groups(u, err);
	if (r < 0)
		identity_free(u);
	return r;
}

int
identity_by_name(const char *name, struct tn_user *u, struct tn_err *err)
{
	memset(u, 0, sizeof(*u));
	if (name == NULL || name[0] == '\0')
		return err_set(err, EINVAL, "empty user name");
	if (strlen(name) > TN_MAX_NAME)
		return err_set(err, ENAMETOOLONG, "user name longer than %d bytes",
		    TN_MAX_NAME);
	return lookup(name, 0, true, u, err);
}

static int
by_uid(uid_t uid, bool groups, struct tn_user *u, struct tn_err *err)
{
	memset(u, 0, sizeof(*u));
	if (uid == (uid_t)-1)
		return err_set(err, EINVAL, "uid -1 is not a user");
	return lookup(NULL, uid, groups, u, err);
}

int
identity_by_uid(uid_t uid, struct tn_user *u, struct tn_err *err)
{
	return by_uid(uid, true, u, err);
}

int
identity_name_by_uid(uid_t uid, struct tn_user *u, struct tn_err *err)
{
	return by_uid(uid, false, u, err);
}

int
identity_confirm_group(const struct tn_user *u, const char *group, struct tn_err *err)
{
	_cleanup_free_ char *buf = NULL;
	struct group gr, *res = NULL;
	size_t len = NSS_BUF_START;
	bool listed;
	int r;

	if (group[0] == '#') /* an unnamed gid: no name to ask for */
		return 0;
	for (size_t i = 0; i < u->ngroups; i++)
		if (u->groups[i] && strcmp(u->groups[i], group) == 0)
			return 0;
	buf = malloc(len);
	if (buf == NULL)
		return err_set(err, ENOMEM, "out of memory");
	while ((r = getgrnam_r(group, &gr, buf, len, &res)) == ERANGE)
		if ((r = grow(&buf, &len)) < 0)
			return err_set(err, -r, "looking up group '%s': %s", group,
			    strerror(-r));
	if (r != 0)
		return err_set(err, r, "looking up group '%s': %s", group,
		    r == ENOENT ? "the group" NSS_DOWN : strerror(r));
	if (res == NULL || gr.gr_gid == u->gid)
		return 0; /* no such group (its section applies to nobody), or
		           * the user's primary gid under another name */
	listed = false;
	for (char **m = gr.gr_mem; !listed && m && *m; m++)
		listed = strcmp(*m, u->name) == 0;
	if (!listed)
		return 0;
	/* Listed: the list may hold its gid under the gid's first name. */
	_cleanup_free_ char *first = NULL;
	gid_t gid = gr.gr_gid;

	if ((r = group_name(gid, &buf, &len, &first, err)) < 0)
		return r;
	for (size_t i = 0; i < u->ngroups; i++)
		if (u->groups[i] && strcmp(u->groups[i], first) == 0)
			return 0;
	return err_set(err, EIO,
	    "group '%s' lists %s, but the user's group list from NSS lacks it "
	    "(a group backend did not answer?)",
	    group, u->name);
}

void
identity_free(struct tn_user *u)
{
	if (u == NULL)
		return;
	for (size_t i = 0; i < u->ngroups; i++)
		free(u->groups[i]);
	free(u->groups);
	free(u->name);
	memset(u, 0, sizeof(*u));
}
