#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "uid.h"

int
parse_uid(const char *s, uid_t *out)
{
	uint64_t v = 0;

	if (s == NULL || s[0] == '\0')
		return -EINVAL;
	/* "0" alone; no leading zeros, which some tools read as octal. */
	if (s[0] == '0' && s[1] != '\0')
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v >= (uid_t)-1)
			return -ERANGE;
	}
	*out = (uid_t)v;
	return 0;
}
