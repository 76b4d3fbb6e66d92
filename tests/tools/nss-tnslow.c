/* libnss_tnslow.so.2: an NSS passwd backend that is slow or down for
 * tenant-helper only, as sssd or nslcd can be (e2e 68-faults-nss;
 * catalogue F23).  It knows one user, tu-nss (uid and gid 64990), and
 * answers every other process at once, so the login program finds the
 * user; lookups by a process whose executable is named tenant-helper
 * (the helper and its forks, the keeper and tenant-init) follow the
 * control file TNSLOW_CONTROL, one line "DELAY_MS MODE":
 *
 *   MODE ok        the entry, after DELAY_MS
 *   MODE unavail   NSS_STATUS_UNAVAILABLE (the backend is down)
 *   MODE tryagain  NSS_STATUS_TRYAGAIN with EAGAIN (busy)
 *   MODE notfound  NSS_STATUS_NOTFOUND (the user is gone)
 *
 * It is also a group backend with one group, tu-nss-grp (gid 64991),
 * whose member is the local files user tu-nss-files; for tenant-helper
 * the same control file makes it slow or down.
 *
 * Without the control file it knows nobody, so a copy left behind is
 * harmless.  Test code only: never installed by make install. */
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TNSLOW_CONTROL "/run/pam_tenant-e2e-nss-tnslow"
#define TNSLOW_USER "tu-nss"
#define TNSLOW_ID 64990
#define TNSLOW_GROUP "tu-nss-grp"
#define TNSLOW_GROUP_ID 64991
#define TNSLOW_MEMBER "tu-nss-files"

enum nss_status _nss_tnslow_getpwnam_r(const char *name, struct passwd *pw, char *buf,
    size_t buflen, int *errnop);
enum nss_status _nss_tnslow_getpwuid_r(uid_t uid, struct passwd *pw, char *buf,
    size_t buflen, int *errnop);

static int
is_helper(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *base;

	if (n <= 0)
		return 0;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	return strcmp(base ? base + 1 : exe, "tenant-helper") == 0;
}

/* What the control file says for this process: NSS_STATUS_SUCCESS to
 * answer (after the delay, for tenant-helper), else the failure. */
static enum nss_status
control(int *errnop)
{
	char mode[16] = "";
	long delay = 0;
	FILE *f = fopen(TNSLOW_CONTROL, "re");

	if (f == NULL)
		return NSS_STATUS_NOTFOUND;
	if (fscanf(f, "%ld %15s", &delay, mode) != 2)
		mode[0] = '\0';
	fclose(f);
	if (is_helper()) {
		struct timespec ts = { delay / 1000, (delay % 1000) * 1000000 };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		if (strcmp(mode, "unavail") == 0) {
			/* glibc passes this on as the lookup's error; a
			 * backend that is down says ENOENT (nss(5)), as
			 * sss and nslcd do */
			*errnop = ENOENT;
			return NSS_STATUS_UNAVAIL;
		}
		if (strcmp(mode, "notfound") == 0)
			return NSS_STATUS_NOTFOUND;
		if (strcmp(mode, "tryagain") == 0) {
			*errnop = EAGAIN;
			return NSS_STATUS_TRYAGAIN;
		}
	}
	return NSS_STATUS_SUCCESS;
}

static enum nss_status
lookup(struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	static const char name[] = TNSLOW_USER, dir[] = "/", shell[] = "/bin/sh";
	enum nss_status st = control(errnop);

	if (st != NSS_STATUS_SUCCESS)
		return st;
	if (buflen < sizeof(name) + sizeof(dir) + sizeof(shell)) {
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	}
	memcpy(buf, name, sizeof(name));
	memcpy(buf + sizeof(name), dir, sizeof(dir));
	memcpy(buf + sizeof(name) + sizeof(dir), shell, sizeof(shell));
	*pw = (struct passwd){ .pw_name = buf,
		.pw_passwd = buf + sizeof(name) - 1, /* "" */
		.pw_uid = TNSLOW_ID,
		.pw_gid = TNSLOW_ID,
		.pw_gecos = buf + sizeof(name) - 1,
		.pw_dir = buf + sizeof(name),
		.pw_shell = buf + sizeof(name) + sizeof(dir) };
	return NSS_STATUS_SUCCESS;
}

enum nss_status
_nss_tnslow_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t buflen,
    int *errnop)
{
	if (strcmp(name, TNSLOW_USER) != 0)
		return NSS_STATUS_NOTFOUND;
	return lookup(pw, buf, buflen, errnop);
}

enum nss_status
_nss_tnslow_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
    int *errnop)
{
	if (uid != TNSLOW_ID)
		return NSS_STATUS_NOTFOUND;
	return lookup(pw, buf, buflen, errnop);
}

enum nss_status _nss_tnslow_getgrnam_r(const char *name, struct group *gr, char *buf,
    size_t buflen, int *errnop);
enum nss_status _nss_tnslow_getgrgid_r(gid_t gid, struct group *gr, char *buf,
    size_t buflen, int *errnop);
enum nss_status _nss_tnslow_initgroups_dyn(const char *user, gid_t group, long *start,
    long *size, gid_t **groupsp, long limit, int *errnop);

static enum nss_status
group_lookup(struct group *gr, char *buf, size_t buflen, int *errnop)
{
	static const char name[] = TNSLOW_GROUP, member[] = TNSLOW_MEMBER;
	enum nss_status st = control(errnop);
	char **mem;
	size_t off;

	if (st != NSS_STATUS_SUCCESS)
		return st;
	off = (uintptr_t)buf % sizeof(char *) ? sizeof(char *) - (uintptr_t)buf % sizeof(char *) : 0;
	if (buflen < off + 2 * sizeof(char *) + sizeof(name) + sizeof(member)) {
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	}
	mem = (char **)(void *)(buf + off);
	buf = (char *)(mem + 2);
	memcpy(buf, name, sizeof(name));
	memcpy(buf + sizeof(name), member, sizeof(member));
	mem[0] = buf + sizeof(name);
	mem[1] = NULL;
	*gr = (struct group){ .gr_name = buf,
		.gr_passwd = buf + sizeof(name) - 1, /* "" */
		.gr_gid = TNSLOW_GROUP_ID,
		.gr_mem = mem };
	return NSS_STATUS_SUCCESS;
}

enum nss_status
_nss_tnslow_getgrnam_r(const char *name, struct group *gr, char *buf, size_t buflen,
    int *errnop)
{
	if (strcmp(name, TNSLOW_GROUP) != 0)
		return NSS_STATUS_NOTFOUND;
	return group_lookup(gr, buf, buflen, errnop);
}

enum nss_status
_nss_tnslow_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t buflen,
    int *errnop)
{
	if (gid != TNSLOW_GROUP_ID)
		return NSS_STATUS_NOTFOUND;
	return group_lookup(gr, buf, buflen, errnop);
}

/* getgrouplist(): tu-nss-files is in tu-nss-grp. */
enum nss_status
_nss_tnslow_initgroups_dyn(const char *user, gid_t group, long *start, long *size,
    gid_t **groupsp, long limit, int *errnop)
{
	enum nss_status st;

	(void)group;
	if (strcmp(user, TNSLOW_MEMBER) != 0)
		return NSS_STATUS_NOTFOUND;
	if ((st = control(errnop)) != NSS_STATUS_SUCCESS)
		return st;
	if (*start == *size) {
		long n = limit > 0 && *size * 2 > limit ? limit : *size * 2;
		gid_t *g = n > *size ? realloc(*groupsp, (size_t)n * sizeof(**groupsp)) : NULL;

		if (g == NULL) {
			*errnop = ENOMEM;
			return NSS_STATUS_TRYAGAIN;
		}
		*groupsp = g;
		*size = n;
	}
	(*groupsp)[(*start)++] = TNSLOW_GROUP_ID;
	return NSS_STATUS_SUCCESS;
}
