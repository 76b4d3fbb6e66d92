/* What must happen in the login program's own process: setns into the
 * tenant (PID namespace for its children), then the bounding set and
 * no_new_privs, each step checked (security catalog #49, #50, R11). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "module.h"
#include "util.h"

/* Join order: the mount namespace last, because after it /proc/self no
 * longer resolves for us (the new /proc belongs to the tenant). */
static const int join_order[TN_NS_COUNT] = { 1, 2, 3, 4, 0 };

void
session_close_fds(struct tn_session *s)
{
	if (s->link >= 0)
		close(s->link);
	s->link = -1;
	for (int i = 0; i < TN_NS_COUNT; i++) {
		if (s->host_ns[i] >= 0)
			close(s->host_ns[i]);
		s->host_ns[i] = -1;
	}
}

void
leave_tenant(struct tn_session *s)
{
	/* mount first so that /proc is ours again for anything after us */
	for (int k = TN_NS_COUNT; k-- > 0;) {
		int i = join_order[k];
		if ((s->joined & (1u << i)) && s->host_ns[i] >= 0)
			(void)setns(s->host_ns[i], tn_ns_kinds[i].clone_flag);
	}
	s->joined = 0;
}

static int
drop_bounding_set(uint64_t drop, char *why, size_t whylen)
{
	for (int c = 0; c < 64; c++) {
		if (!(drop & (1ULL << c)))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break; /* above this kernel's CAP_LAST_CAP */
			snprintf(why, whylen,
			    "drop capability %d from the bounding set: %s", c,
			    strerror(errno));
			return -1;
		}
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 0) {
			snprintf(why, whylen, "capability %d still in the bounding set",
			    c);
			return -1;
		}
	}
	return 0;
}

/* chdir to path, walked from "/" with no symbolic link on the way. */
static int
enter_cwd(const char *path)
{
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd, r;

	while (*path == '/')
		path++;
	if (root < 0)
		return -1;
	fd = *path ? open_beneath(root, path, O_PATH | O_DIRECTORY) : dup(root);
	close(root);
	if (fd < 0)
		return -1;
	r = fchdir(fd);
	close(fd);
	return r;
}

int
join_tenant(const struct tn_msg_result *res, int *fds, size_t nfds, struct tn_session *s,
    char *why, size_t whylen)
{
	int ns[TN_NS_COUNT];
	char cwd[PATH_MAX];
	bool have_cwd;
	struct stat st;
	size_t n = 0;

	/* Map the fds: namespaces in bit order, then the keeper link. */
	for (int i = 0; i < TN_NS_COUNT; i++) {
		ns[i] = -1;
		if (!(res->ns_mask & (1u << i)))
			continue;
		if (fstat(fds[n], &st) < 0 || st.st_ino != res->ns_ino[i]) {
			snprintf(why, whylen, "%s namespace fd does not match the plan",
			    tn_ns_kinds[i].proc);
			return -1;
		}
		ns[i] = fds[n++];
	}
	if (n + 1 != nfds || fstat(fds[n], &st) < 0 || !S_ISSOCK(st.st_mode)) {
		snprintf(why, whylen, "keeper link missing from the plan");
		return -1;
	}
	/* Open every way back before the first setns (see leave_tenant). */
	for (int i = 0; i < TN_NS_COUNT; i++) {
		char path[32];

		if (ns[i] < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/ns/%s", tn_ns_kinds[i].proc);
		s->host_ns[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (s->host_ns[i] < 0) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			return -1;
		}
	}
	have_cwd = getcwd(cwd, sizeof(cwd)) != NULL;
	for (int k = 0; k < TN_NS_COUNT; k++) {
		int i = join_order[k];

		if (ns[i] < 0)
			continue;
		if (setns(ns[i], tn_ns_kinds[i].clone_flag) < 0) {
			snprintf(why, whylen, "setns %s: %s%s", tn_ns_kinds[i].proc,
			    strerror(errno),
			    errno == EINVAL ? " (is the login program multi-threaded?)"
			                    : "");
			leave_tenant(s);
			return -1;
		}
		s->joined |= 1u << i;
	}
	/* setns(mnt) moved us to "/"; the same path in the tenant, if any,
	 * and never by a symbolic link: the user owns the tenant's /tmp, and
	 * this process is still root. */
	if (!have_cwd || enter_cwd(cwd) < 0)
		(void)!chdir("/");
	if (drop_bounding_set(res->caps_drop, why, whylen) < 0)
		return -1;
	if ((res->flags & TN_RES_NO_NEW_PRIVS) &&
	    (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	        prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)) {
		snprintf(why, whylen, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	s->link = fds[n];
	fds[n] = -1;
	for (size_t i = 0; i < n; i++) {
		close(fds[i]);
		fds[i] = -1;
	}
	return 0;
}
