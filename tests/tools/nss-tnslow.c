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
 * Without the control file it knows nobody, so a copy left behind is
 * harmless.  Test code only: never installed by make install. */
#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TNSLOW_CONTROL "/run/pam_tenant-e2e-nss-tnslow"
#define TNSLOW_USER "tu-nss"
#define TNSLOW_ID 64990

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

static enum nss_status
lookup(struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	static const char name[] = TNSLOW_USER, dir[] = "/", shell[] = "/bin/sh";
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
		if (strcmp(mode, "unavail") == 0)
			return NSS_STATUS_UNAVAIL;
		if (strcmp(mode, "notfound") == 0)
			return NSS_STATUS_NOTFOUND;
		if (strcmp(mode, "tryagain") == 0) {
			*errnop = EAGAIN;
			return NSS_STATUS_TRYAGAIN;
		}
	}
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
