/* Wire format between module, helper, keeper and tenantctl.
 *
 * Every message is one SOCK_SEQPACKET datagram: a fixed header and a
 * fixed-size body.  Strings live in fixed arrays and must be
 * NUL-terminated inside them; sizes, types and fd counts are checked
 * before anything is believed (security catalog #19, style rule R8). */
#ifndef TENANT_PROTO_H
#define TENANT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "ns.h"

#define TN_PROTO_MAGIC 0x544e4e54u /* "TNNT" */
/* Changes only when a message changes incompatibly (a field appended at
 * the end does not: see struct tn_notice).  A test build stands in for
 * the next release by adding TN_PROTO_VERSION_SKEW (e2e 59-upgrade). */
#ifndef TN_PROTO_VERSION_SKEW
#define TN_PROTO_VERSION_SKEW 0
#endif
#define TN_PROTO_VERSION (1 + TN_PROTO_VERSION_SKEW)
#define TN_COOKIE_HEX 32 /* 16 random bytes */
#define TN_MAX_FDS (TN_NS_COUNT + 1)

enum tn_msg_type {
	/* The answer to a message of another protocol version: a bare header
	 * carrying the answerer's version.  The same in every version, so a
	 * peer from another build learns why it was refused (-EPROTO). */
	TN_MSG_VERSION = 0,
	TN_MSG_OPEN = 1,      /* module -> helper, or module -> keeper (fast join) */
	TN_MSG_POLICY = 2,    /* helper -> module, as soon as on_error is known */
	TN_MSG_RESULT = 3,    /* helper -> module, final (+ fds when isolated) */
	TN_MSG_JOIN = 4,      /* helper -> keeper */
	TN_MSG_JOINED = 5,    /* keeper -> helper (+ ns fds) */
	TN_MSG_CLOSE = 6,     /* module -> keeper: the session ends */
	TN_MSG_TERMINATE = 7, /* tenantctl -> keeper: end the whole tenant */
	TN_MSG_STATUS = 8,    /* tenantctl -> keeper; keeper answers STATUS */
	TN_MSG_INIT = 9,      /* tenant init -> keeper: ready (+ /proc fd) or error */
	TN_MSG_SIGNAL = 10,   /* tenantctl -> keeper (kill, terminate --session);
				 the keeper answers SIGNAL */
};

enum tn_status {
	TN_ST_ISOLATED = 1,   /* fds attached: namespaces, then keeper link */
	TN_ST_EXEMPT = 2,     /* policy says not to isolate: PAM_IGNORE */
	TN_ST_DENIED = 3,     /* refuse the session */
	TN_ST_DEGRADED = 4,   /* on_error = allow: session goes on unisolated */
	TN_ST_ASK_HELPER = 5, /* keeper to module: not the plain case, run the helper */
};

/* Why a login was refused or degraded, in words the user may read (the
 * details, which may name files and internals, go to syslog and audit).
 * 0 from a peer that does not send one: the module says nothing more. */
enum tn_reason {
	TN_REASON_NONE = 0,
	TN_REASON_ACCOUNT = 1,  /* the user or its groups could not be looked up */
	TN_REASON_CONFIG = 2,   /* the isolation policy has an error */
	TN_REASON_AUDIT = 3,    /* audit is unavailable */
	TN_REASON_SESSIONS = 4, /* sessions.max reached */
	TN_REASON_QUOTAS = 5,   /* limits cannot be applied on this host */
	TN_REASON_SETUP = 6,    /* setting up the isolation failed */
	TN_REASON_UPGRADE = 7,  /* the tenant runs an older (or newer) build */
};

/* Request flags (module arguments the helper must know). */
#define TN_REQ_ROOT_OPTIN (1u << 0)
#define TN_REQ_IGNORE_CONFIG_ERROR (1u << 1)
#define TN_REQ_DEBUG (1u << 2)
#define TN_REQ_SILENT (1u << 3) /* PAM_SILENT, or a login that shows no message */

/* Result flags. */
#define TN_RES_NO_NEW_PRIVS (1u << 0)
#define TN_RES_ON_ERROR_ALLOW (1u << 1)
#define TN_RES_LINK_IS_SOCKET (1u << 2) /* keeper answered: the link is this socket */
#define TN_RES_TELL_USER (1u << 3)      /* DENIED: msg is meant for the user too */

/* What the keeper tells a joining login about its tenant since the user's
 * previous (not silent) login: the module words it (pam_info).  Counts
 * only, never text.  Appended to RESULT and JOINED: a peer that predates
 * it sends the message without it, which reads as zeros. */
struct tn_notice {
	uint32_t oom_kills;     /* processes killed at memory.max */
	uint32_t forks_refused; /* forks refused at pids.max */
};

struct tn_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t size; /* of the whole message */
	uint32_t reserved;
};

struct tn_msg_open {
	struct tn_hdr hdr;
	uint32_t uid;
	uint32_t flags;
	uint32_t timeout_ms; /* what is left of the module's deadline when sent */
	uint32_t sent_ms;    /* monotonic_ms32() at the send; 0 from an older module */
	char cookie[TN_COOKIE_HEX + 1];
	char user[257];
	char service[64];
	char tty[64];
	char rhost[256];
};

struct tn_msg_result { /* POLICY and RESULT */
	struct tn_hdr hdr;
	uint32_t status;  /* enum tn_status; unused in POLICY */
	uint32_t flags;   /* TN_RES_* */
	uint32_t ns_mask; /* bit i set: ns i attached (TN_NS_* order) */
	uint32_t reason;  /* enum tn_reason, with DENIED and DEGRADED */
	uint64_t caps_drop;
	uint64_t ns_ino[TN_NS_COUNT];
	char cookie[TN_COOKIE_HEX + 1];
	char msg[512];
	struct tn_notice notice; /* ISOLATED only; last: see struct tn_notice */
};

#define TN_JOIN_CGROUP (1u << 0) /* the session has a cgroup leaf */
#define TN_JOIN_SILENT (1u << 1) /* TN_REQ_SILENT: keep the notice for later */

struct tn_msg_join { /* JOIN, carries a pidfd of the session leader */
	struct tn_hdr hdr;
	uint32_t uid;
	uint32_t on_logout; /* enum tn_on_logout */
	uint32_t flags;     /* TN_JOIN_* */
	/* sessions.max of this login's policy, 1..TN_SESSIONS_MAX_LIMIT:
	 * the keeper refuses the join when the tenant already has that many
	 * sessions.  (A keeper started before this field existed ignores it.) */
	uint32_t sessions_max;
	char cookie[TN_COOKIE_HEX + 1];
	char user[257];
	char service[64];
	char tty[64];
	char rhost[256];
};

struct tn_msg_joined { /* JOINED */
	struct tn_hdr hdr;
	uint32_t status; /* TN_ST_ISOLATED or TN_ST_DENIED */
	uint32_t ns_mask;
	uint64_t ns_ino[TN_NS_COUNT];
	char msg[256];
	struct tn_notice notice; /* ISOLATED only; last: see struct tn_notice */
};

struct tn_msg_ctl { /* CLOSE, TERMINATE, STATUS, INIT */
	struct tn_hdr hdr;
	char cookie[TN_COOKIE_HEX + 1];
	char text[1024]; /* STATUS answer: one "key value" per line */
};

/* SIGNAL: signal every process of the tenant, or of one session. */
#define TN_SIGNAL_SESSION (1u << 0)   /* only the session `cookie` */
#define TN_SIGNAL_TERMINATE (1u << 1) /* SIGTERM, SIGKILL after grace_ms */
#define TN_SIGNAL_FINAL (1u << 2)     /* answer: the last one for this request */
#define TN_SIGNAL_ESCAPED (1u << 3)   /* answer: SIGKILL passes ran out */
#define TN_SIGNAL_ALL_FLAGS \
	(TN_SIGNAL_SESSION | TN_SIGNAL_TERMINATE | TN_SIGNAL_FINAL | TN_SIGNAL_ESCAPED)
#define TN_SIGNAL_MAX 64                /* SIGRTMAX on Linux */
#define TN_SIGNAL_GRACE_MAX_MS 3600000u /* terminate --grace: one hour */

/* terminate --session with a grace (> 0): signo is SIGTERM; the keeper
 * answers at once (count: SIGTERMed), and again with TN_SIGNAL_FINAL when
 * all are gone or the grace ran out (killed: SIGKILLed then).  Else one
 * answer, with TN_SIGNAL_FINAL. */
struct tn_msg_signal {
	struct tn_hdr hdr;
	uint32_t signo;    /* 1..TN_SIGNAL_MAX */
	uint32_t flags;    /* TN_SIGNAL_* */
	uint32_t grace_ms; /* with TN_SIGNAL_TERMINATE */
	uint32_t count;    /* answer: processes signalled */
	uint32_t killed;   /* final answer after a grace: SIGKILLed */
	uint32_t left;     /* final answer: still alive at the end */
	uint32_t status;   /* answer: 0, or a positive errno (ESRCH: no such session) */
	char cookie[TN_COOKIE_HEX + 1]; /* with TN_SIGNAL_SESSION, else empty */
	char msg[256];                  /* answer: what was done, for the admin */
};

union tn_msg {
	struct tn_hdr hdr;
	struct tn_msg_open open;
	struct tn_msg_result result;
	struct tn_msg_join join;
	struct tn_msg_joined joined;
	struct tn_msg_ctl ctl;
	struct tn_msg_signal signal;
};

/* Fill in the header for a message of the given type. */
void proto_init(void *msg, enum tn_msg_type type);

/* Check one received datagram: header, exact size for its type, that
 * the type is one of `allowed` (bit mask of 1u << type), NUL-terminated
 * strings, cookie syntax, status and mask ranges, and that nfds matches
 * what the message says it carries.  Pure: no I/O. */
int proto_decode(const void *buf, size_t len, unsigned allowed, size_t nfds,
    union tn_msg *out, struct tn_err *err);

/* Send one message with optional fds (SCM_RIGHTS), never raising SIGPIPE. */
int proto_send(int sock, const void *msg, const int *fds, size_t nfds,
    struct tn_err *err);

/* Answer a message of another protocol version (proto_recv gave -EPROTO)
 * with our version, so that its sender can say what happened. */
int proto_send_version(int sock);

/* Receive one datagram (and up to TN_MAX_FDS fds, O_CLOEXEC) and decode
 * it.  Truncated data or fds are an error; received fds are closed on
 * every error.  Returns 0, -EPIPE at end of stream, or -EPROTO from a
 * peer of another protocol version (err names both versions).
 * fds == NULL (a peer that is not root): no fd is ever opened here; the
 * kernel drops any sent, and the message is refused.  Closing one would
 * block on a FUSE server the peer runs (its flush). */
int proto_recv(int sock, unsigned allowed, union tn_msg *out, int *fds, size_t *nfds,
    struct tn_err *err);

/* A cookie is exactly TN_COOKIE_HEX lowercase hex digits. */
int cookie_valid(const char *s);
int cookie_new(char out[TN_COOKIE_HEX + 1]);

/* Copy into a fixed array, always NUL-terminated; -ENAMETOOLONG if cut. */
int str_copy(char *dst, size_t size, const char *src);

#endif
