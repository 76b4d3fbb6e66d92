/* Shared by the cgroupfs backend's files only. */
#ifndef TENANT_CGROUP_INT_H
#define TENANT_CGROUP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "cgroup.h"

/* Read a cgroup file (trailing newlines cut); 0 or negative errno. */
int cg_read(int dir_fd, const char *name, char *buf, size_t len);
/* Write one value to a cgroup file; 0 or negative errno. */
int cg_write(int dir_fd, const char *name, const char *text);
bool cg_has_word(const char *list, const char *word);

#endif
