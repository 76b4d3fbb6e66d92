/* The key table, the conf object and diagnostics. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf-int.h"
#include "util.h"

/* The public vocabulary (tenant.conf(5)).  caps.keep shares the caps
 * slot with caps.drop: a keep list is stored as the drop mask it means. */
static const struct tn_keydef keydefs[] = {
	{ "isolate", TN_KEY_ISOLATE, TN_KF_SESSION },
	{ "namespaces", TN_KEY_NAMESPACES, 0 },
	{ "scope", TN_KEY_SCOPE, 0 },
	{ "tmp.size", TN_KEY_TMP_SIZE, 0 },
	{ "tmp.inodes", TN_KEY_TMP_INODES, 0 },
	{ "memory.max", TN_KEY_MEMORY_MAX, 0 },
	{ "memory.high", TN_KEY_MEMORY_HIGH, 0 },
	{ "memory.swap.max", TN_KEY_MEMORY_SWAP_MAX, 0 },
	{ "cpu", TN_KEY_CPU, 0 },
	{ "cpu.weight", TN_KEY_CPU_WEIGHT, 0 },
	{ "pids.max", TN_KEY_PIDS_MAX, 0 },
	{ "io.weight", TN_KEY_IO_WEIGHT, 0 },
	{ "io.max", TN_KEY_IO_MAX, 0 },
	{ "caps.drop", TN_KEY_CAPS_DROP, 0 },
	{ "caps.ambient", TN_KEY_CAPS_AMBIENT, 0 },
	{ "no_new_privs", TN_KEY_NO_NEW_PRIVS, 0 },
	{ "on_logout", TN_KEY_ON_LOGOUT, TN_KF_SESSION },
	{ "on_error", TN_KEY_ON_ERROR, TN_KF_SESSION },
	{ "cgroup", TN_KEY_CGROUP, 0 },
	{ "cgroup.root", TN_KEY_CGROUP_ROOT, TN_KF_DEFAULT_ONLY },
	{ "sessions.max", TN_KEY_SESSIONS_MAX, TN_KF_SESSION },
	{ "proc.lxcfs", TN_KEY_PROC_LXCFS, 0 },
	{ "caps.keep", TN_KEY_CAPS_DROP, TN_KF_KEEP },
};

const struct tn_keydef *
conf_key_lookup(const char *name)
{
	for (size_t i = 0; i < N_ELEMENTS(keydefs); i++)
		if (strcmp(keydefs[i].name, name) == 0)
			return &keydefs[i];
	return NULL;
}

const char *
conf_key_name(enum tn_key key)
{
	/* The first TN_KEY__COUNT entries are in enum order. */
	if ((unsigned)key >= TN_KEY__COUNT)
		return NULL;
	return keydefs[key].name;
}

struct tn_conf *
conf_new(void)
{
	return calloc(1, sizeof(struct tn_conf));
}

void
conf_free(struct tn_conf *conf)
{
	if (conf == NULL)
		return;
	for (unsigned i = 0; i < conf->nsec; i++)
		free(conf->sec[i].name);
	free(conf->sec);
	for (unsigned i = 0; i < conf->nfiles; i++)
		free(conf->files[i]);
	free(conf->files);
	free(conf);
}

unsigned
conf_file_count(const struct tn_conf *conf)
{
	return conf ? conf->nfiles : 0;
}

const char *
conf_next_group(const struct tn_conf *conf, unsigned *i)
{
	for (; conf && *i < conf->nsec; (*i)++)
		if (conf->sec[*i].kind == TN_SEC_GROUP && conf->sec[*i].name)
			return conf->sec[(*i)++].name;
	return NULL;
}

bool
conf_uses_groups(const struct tn_conf *conf)
{
	unsigned i = 0;

	return conf_next_group(conf, &i) != NULL;
}

const char *
conf_add_file(struct tn_conf *conf, const char *name)
{
	char **files;
	char *copy;

	if (conf->nfiles >= TN_CONF_MAX_FILES)
		return NULL;
	copy = strdup(name);
	if (copy == NULL)
		return NULL;
	files = reallocarray(conf->files, conf->nfiles + 1, sizeof(*files));
	if (files == NULL) {
		free(copy);
		return NULL;
	}
	conf->files = files;
	conf->files[conf->nfiles++] = copy;
	return copy;
}

void
diag_add(struct tn_diag *diag, const char *fmt, ...)
{
	va_list ap;

	if (diag == NULL)
		return;
	diag->count++;
	if (diag->stored >= N_ELEMENTS(diag->msg))
		return;
	va_start(ap, fmt);
	/* A truncated diagnostic is still worth keeping. */
	vsnprintf(diag->msg[diag->stored], sizeof(diag->msg[0]), fmt, ap);
	va_end(ap);
	diag->stored++;
}
