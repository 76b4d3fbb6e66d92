/* parse_uid and the NSS lookups (root always exists; no privileges). */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "tap.h"
#include "uid.h"

static void
test_parse_uid(void)
{
	static const struct {
		const char *s;
		int ok;
		uid_t want;
	} cases[] = {
		{ "0", 1, 0 },
		{ "1000", 1, 1000 },
		{ "4294967294", 1, 4294967294u },
		{ "", 0, 0 },
		{ "-1", 0, 0 },
		{ "+1", 0, 0 },
		{ " 1", 0, 0 },
		{ "1 ", 0, 0 },
		{ "0x10", 0, 0 },
		{ "010", 0, 0 },
		{ "1e3", 0, 0 },
		{ "4294967295", 0, 0 },
		{ "4294967296", 0, 0 },
		{ "99999999999", 0, 0 },
		{ "18446744073709551617", 0, 0 },
	};
	char what[96];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uid_t u = 12345;
		int r = parse_uid(cases[i].s, &u);

		snprintf(what, sizeof(what), "parse_uid(\"%s\") %s", cases[i].s,
		    cases[i].ok ? "accepted" : "rejected");
		if (cases[i].ok) {
			IS_INT(r, 0, what);
			IS_INT(u, cases[i].want, what);
		} else {
			OK(r < 0 && u == 12345, what);
		}
	}
	OK(parse_uid(NULL, NULL) < 0, "parse_uid(NULL) rejected");
}

static void
test_root(void)
{
	struct tn_user u;
	struct tn_err err = { 0 };

	IS_INT(identity_by_uid(0, &u, &err), 0, "identity_by_uid(0)");
	IS_STR(u.name, "root", "uid 0 is root");
	IS_INT(u.uid, 0, "uid");
	IS_INT(u.gid, 0, "gid");
	OK(u.ngroups >= 1, "at least one group");
	IS_STR(u.ngroups ? u.groups[0] : NULL, "root", "primary group first");
	identity_free(&u);
	identity_free(&u); /* safe twice */

	IS_INT(identity_by_name("root", &u, &err), 0, "identity_by_name(root)");
	IS_INT(u.uid, 0, "root by name has uid 0");
	identity_free(&u);

	IS_INT(identity_name_by_uid(0, &u, &err), 0, "identity_name_by_uid(0)");
	IS_STR(u.name, "root", "... names root");
	OK(u.groups == NULL && u.ngroups == 0, "... without looking up groups");
	IS_INT(identity_add_groups(&u, &err), 0, "identity_add_groups adds them later");
	IS_STR(u.ngroups ? u.groups[0] : NULL, "root", "... primary group first");
	identity_free(&u);
	IS_INT(identity_name_by_uid((uid_t)-1, &u, &err), -EINVAL,
	    "name lookup of uid -1 refused");
}

static void
test_missing(void)
{
	struct tn_user u;
	struct tn_err err = { 0 };
	char longname[TN_MAX_NAME + 2];

	IS_INT(identity_by_name("no-such-user-tn-test", &u, &err), -ENOENT,
	    "unknown name is -ENOENT");
	IS_INT(err.code, ENOENT, "err code ENOENT");
	OK(strstr(err.msg, "no-such-user-tn-test") != NULL, "message names the user");
	OK(u.name == NULL && u.groups == NULL, "nothing left allocated");
	identity_free(&u);

	IS_INT(identity_by_name("", &u, &err), -EINVAL, "empty name refused");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	IS_INT(identity_by_name(longname, &u, &err), -ENAMETOOLONG,
	    "name over 256 bytes refused");
	IS_INT(identity_by_uid((uid_t)-1, &u, &err), -EINVAL, "uid -1 refused");
	IS_INT(identity_by_name("root", &u, NULL), 0, "NULL err allowed");
	identity_free(&u);
}

/* A gid the group database has no name for is "#GID", never the bare
 * number a [group 4242] section would match. */
static void
test_unnamed_gid(void)
{
	struct tn_user u = { 0 };
	struct tn_err err = { 0 };
	gid_t gid = 4242;

	while (getgrgid(gid) != NULL)
		gid++;
	u.name = strdup("root");
	u.gid = gid;
	IS_INT(identity_add_groups(&u, &err), 0,
	    "groups of root with an unnamed primary gid");
	{
		char want[16];

		snprintf(want, sizeof(want), "#%u", (unsigned)gid);
		IS_STR(u.ngroups ? u.groups[0] : NULL, want,
		    "... the unnamed gid is #GID");
	}
	identity_free(&u);

	IS_INT(identity_by_uid(0, &u, &err), 0, "root's groups");
	IS_INT(identity_confirm_group(&u, "root", &err), 0, "confirm a group root is in");
	IS_INT(identity_confirm_group(&u, "no-such-group-tn-test", &err), 0,
	    "confirm a group nobody knows: no error (its section applies to nobody)");
	IS_INT(identity_confirm_group(&u, "#4242", &err), 0,
	    "an unnamed gid is not looked up");
	identity_free(&u);
}

int
main(void)
{
	test_parse_uid();
	test_root();
	test_missing();
	test_unnamed_gid();
	return tap_done();
}
