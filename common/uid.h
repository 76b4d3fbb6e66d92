/* A uid as text: pure, no NSS (the config parser needs it too). */
#ifndef TENANT_UID_H
#define TENANT_UID_H

#include <sys/types.h>

/* Strict base-10 uid: no sign, no spaces, no leading zeros, no
 * overflow, not (uid_t)-1.  0, or -EINVAL / -ERANGE. */
int parse_uid(const char *s, uid_t *out);

#endif
