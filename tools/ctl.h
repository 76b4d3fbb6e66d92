/* tenantctl: one function per command, dispatched from ctl-main.c.
 * Each gets its own argv with argv[0] = the command name. */
#ifndef TENANT_CTL_H
#define TENANT_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit statuses (tenantctl(8)), numbered as loginctl and systemctl use
 * them (LSB): 3 as systemctl's "not running", 4 as EXIT_NOPERMISSION. */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1     /* config errors, a failed operation */
#define CTL_EXIT_USAGE 2    /* bad arguments, unknown user */
#define CTL_EXIT_NOTENANT 3 /* terminate: the user has no live tenant */
#define CTL_EXIT_NOPERM 4   /* list/status/terminate run by a non-root user */

#ifndef TN_VERSION
#error "TN_VERSION comes from the Makefile (VERSION)"
#endif

/* ctl-conf.c */
int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
struct tn_conf;
struct tn_conf_opts;
/* Load with diagnostics on stderr; 0 or CTL_EXIT_FAIL. */
int ctl_load_conf(const struct tn_conf_opts *opts, struct tn_conf **conf);

/* ctl-pam.c: check --pam, the PAM stacks of /etc/pam.d. */
int cmd_check_pam(int argc, char **argv);

/* ctl-state.c: read /run/pam_tenant (root only). */
int cmd_list(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_terminate(int argc, char **argv);
/* need_root and the user's uid: 0, or the exit status. */
int ctl_state_user(const char *cmd, const char *user, uid_t *uid);
/* fn(key, keeper's info text) for every live tenant of uid; their number,
 * or -1. */
int ctl_each_tenant_of(uid_t uid,
    void (*fn)(const char *key, const char *info, void *data), void *data);

/* ctl-signal.c: signal a tenant's or a session's processes (keeper). */
int cmd_kill(int argc, char **argv);
int cmd_terminate_session(int argc, char **argv);

/* Value of "name VALUE" in a keeper's "key value" lines, or NULL. */
const char *ctl_text_get(const char *text, const char *name, char *buf, size_t len);
struct tn_cg_usage;
/* ,"usage":{...} of a tenant, or ,"usage":null when u is NULL. */
void ctl_print_usage_json(const struct tn_cg_usage *u);
/* 1.5G, 300M, 12K; "max" for no limit. */
const char *ctl_human(uint64_t v, char *buf, size_t len);

/* ctl-user.c: status for an ordinary user: their own tenant, asked of its
 * keeper's read-only status socket (inside the tenant only). */
int cmd_status_user(int argc, char **argv);
/* The keeper's "event FIRST LAST oom|fork COUNT" lines in text: indented lines
 * with UTC times, or JSON objects separated by commas. */
void ctl_print_events(const char *text, bool json);

/* ctl-main.c: output helpers shared by the commands. */
void ctl_usage(FILE *f);
/* s as a quoted JSON string; invalid UTF-8 becomes U+FFFD. */
void ctl_json_string(FILE *f, const char *s);
/* src for a terminal into dst: bytes outside printable ASCII as \xNN,
 * a backslash as \\ (so the output is unambiguous); truncated to fit. */
char *ctl_safe(char *dst, size_t size, const char *src);
void ctl_print_safe(FILE *f, const char *s);

#endif
