/* Fault injection for tests: FAULT_POINT("name") marks a step at which a
 * test may make this process sleep, exit, die or stop.  It exists only in
 * the e2e and test builds (the Makefile defines TN_FAULT_DIR there, e.g.
 * build/e2e/faults); in the release build the macro expands to nothing,
 * so neither the code nor the names are in the installed binaries (e2e
 * 35-slow-keeper checks with nm and strings).
 *
 * At a fault point, the file TN_FAULT_DIR/<name> is read if it exists; it
 * must be a regular file owned by root and not writable by group or other,
 * in a directory of the same kind.  Its first line is the action:
 *
 *   sleep SECONDS   sleep that long (fractions allowed: "sleep 2.5")
 *   exit STATUS     _exit(STATUS) at once
 *   alloc MIB       allocate and touch MIB mebibytes, kept (an OOM kill
 *                   under a small memory.max)
 *   kill            SIGKILL this process (a helper or keeper that dies)
 *   stop            SIGSTOP this process (one that hangs; SIGCONT resumes)
 *
 * Every action is logged (syslog, LOG_NOTICE, "fault injection: NAME:
 * ACTION").  A missing file is no fault; an unreadable or malformed one is
 * logged and ignored.  Tests remove their files on exit.
 *
 * Points so far: keeper-open-before-answer (keeper-open.c),
 * keeper-join-before-answer (keeper.c), keeper-before-init (keeper-setup.c,
 * with the tenant's state made), helper-after-request and
 * helper-before-result (helper/open.c), cgroup-attach-before-write
 * (common/cgroup.c). */
#ifndef TENANT_FAULT_H
#define TENANT_FAULT_H

#ifdef TN_FAULT_DIR
void fault_point(const char *name);
#define FAULT_POINT(name) fault_point(name)
#else
#define FAULT_POINT(name) ((void)0)
#endif

#endif
