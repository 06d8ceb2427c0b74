/* SPDX-License-Identifier: MIT */
/* xenstored internals shared between its files (not a public API). */
#ifndef XS_INTERNAL_H
#define XS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The memory-barrier flavour: no signals, no quiescent-state duty. */
#define RCU_MEMB
#include <urcu.h>

#include "xenstored.h"

#define XS_PERM_NONE	0u
#define XS_PERM_READ	1u
#define XS_PERM_WRITE	2u
#define XS_PERM_OWNER	4u	/* result of xs_perm_for() only */

#define XS_DOMID_ANY	0x7ff5u	/* DOMID_ANY: matches every domain */
#define XS_DOMID_SELF	0x7ff0u
#define XS_NO_TARGET	0xffffffffu

/* Output the store keeps for one client before it stops listening to it. */
#define XS_OUT_SOFT_MAX		(256u * 1024)
/* ... and beyond which watch events for it are dropped. */
#define XS_OUT_HARD_MAX		(1024u * 1024)

/* SET_PERMS fits at most this many "r0" entries in one payload. */
#define XS_MAX_PERMS	(XENSTORE_PAYLOAD_MAX / 3 + 1)

struct xs_perm {
	uint32_t id;
	uint32_t perms;		/* XS_PERM_READ | XS_PERM_WRITE */
};

/* ---------------------------------------------------------- tree.c -- */
/* Immutable once published: a write replaces the whole record. */
struct xs_ndata {
	struct rcu_head rcu;
	uint32_t vlen;
	uint32_t nperms;
	struct xs_perm *perms;
	char *value;
};

struct xs_kids {
	struct rcu_head rcu;
	uint32_t n;
	uint32_t namebytes;	/* sum of strlen(name) + 1 */
	struct xs_node *v[];
};

struct xs_node {
	struct rcu_head rcu;
	struct xs_node *parent;	/* never changes */
	uint64_t gen;		/* bumped on every change, children included */
	struct xs_ndata *data;	/* RCU pointer */
	struct xs_kids *kids;	/* RCU pointer, NULL when childless */
	char name[];		/* last component; "" for the root */
};

struct xs_tree {
	struct xs_node *root;
	uint64_t gen;
};

/* Called for each removed node, children before parents. */
typedef void (*xs_tree_rm_fn)(void *arg, const char *path,
			      const struct xs_node *n);

int xs_tree_init(struct xs_tree *t, const struct xs_perm *p, uint32_t np);
void xs_tree_destroy(struct xs_tree *t);
struct xs_node *xs_tree_lookup(const struct xs_tree *t, const char *path);
struct xs_node *xs_tree_child(const struct xs_node *n, const char *name,
			      size_t len);
int xs_tree_set(struct xs_tree *t, struct xs_node *n, const void *v,
		uint32_t vlen, const struct xs_perm *p, uint32_t np);
int xs_tree_add(struct xs_tree *t, struct xs_node *parent, const char *name,
		const void *v, uint32_t vlen, const struct xs_perm *p,
		uint32_t np, struct xs_node **out);
int xs_tree_remove(struct xs_tree *t, struct xs_node *n, const char *path,
		   xs_tree_rm_fn fn, void *arg);
size_t xs_tree_count(const struct xs_node *n);

/* ---------------------------------------------------------- path.c -- */
#define XS_PATH_BUF	(XENSTORE_ABS_PATH_MAX + 1)
/*
 * Validate a client path and make it absolute into out (XS_PATH_BUF).
 * Relative paths resolve against /local/domain/<domid>.  '@' paths are
 * accepted only if allow_special.  0 or -EINVAL.
 */
int xs_path_canon(const struct xs_conn *c, const char *in, bool allow_special,
		  char *out);
bool xs_path_is_child(const char *child, const char *parent);
/* Length of the parent of an absolute path ("/" -> 0). */
size_t xs_path_parent_len(const char *path);

/* --------------------------------------------------------- perms.c -- */
unsigned int xs_perm_for(const struct xs_conn *c, const struct xs_perm *p,
			 uint32_t np);
/* Parse "r0\0b5\0" etc.; -EINVAL on a bad entry. */
int xs_perms_parse(const char *s, size_t len, struct xs_perm *out,
		   uint32_t max, uint32_t *np);
/* Format perms as the wire wants them; returns bytes used. */
size_t xs_perms_format(const struct xs_perm *p, uint32_t np, char *buf,
		       size_t cap);

/* --------------------------------------------------------- quota.c -- */
struct xs_quota {
	unsigned int max[XS_Q_COUNT];
};
void xs_quota_defaults(struct xs_quota *q);
/* Would `val` exceed item q for this connection?  Privileged: never. */
bool xs_quota_exceeded(const struct xs_conn *c, enum xs_quota_item q,
		       unsigned long val);
size_t xs_node_size(uint32_t vlen, uint32_t np, uint32_t childbytes);

/* -------------------------------------------------------- domain.c -- */
struct xs_dom {
	struct xs_dom *next;
	unsigned int domid;
	long nodes;		/* nodes it owns */
	bool introduced;
	bool shutdown;		/* @releaseDomain already fired for it */
	/*
	 * Attached by the embedding daemon (xs_ring_attach), which owns the
	 * ring's memory and the domain's lifetime: only it may release the
	 * domain (xs_domain_release), never an XS_RELEASE on the wire.
	 */
	bool embedder_owned;
	struct xs_conn *conn;	/* its ring connection, if any */
	struct xs_ring *ring;
};

#define XS_DOM_HASH	64

struct xs_dom *xs_dom_get(struct xs_store *st, unsigned int domid,
			  bool create);
void xs_dom_nodes_add(struct xs_store *st, unsigned int domid, long n);
void xs_dom_free_all(struct xs_store *st);
void xs_dom_introduced(struct xs_store *st, struct xs_dom *d);
int xs_dom_release_locked(struct xs_store *st, unsigned int domid);

/* ---------------------------------------------------------- conn.c -- */
struct xs_msg {
	struct xs_msg *next;
	uint32_t len;		/* header + payload */
	uint32_t off;		/* bytes already taken by the transport */
	bool is_reply;
	unsigned char bytes[];
};

struct xs_watch {
	struct xs_watch *next;
	char *path;		/* absolute, or @special */
	char *token;
	uint32_t rel_off;	/* bytes of prefix to hide from events */
};

struct xs_tx;

struct xs_conn {
	struct xs_conn *next;
	struct xs_store *st;
	unsigned int domid;
	bool priv;		/* dom0 socket clients and pvisord itself */
	unsigned int target;	/* SET_TARGET, or XS_NO_TARGET */
	bool dead;

	struct xs_watch *watches;
	unsigned int nwatches;
	struct xs_tx *txs;
	unsigned int ntx;
	uint32_t next_txid;

	struct xs_msg *out_head, *out_tail;
	size_t out_bytes;
	unsigned int out_replies;
	unsigned long dropped_events;

	/* Output was queued: a transport may want to push it. */
	void (*wake)(struct xs_conn *c, void *opaque);
	void *wake_opaque;
};

struct xs_conn *xs_conn_new(struct xs_store *st, unsigned int domid,
			    bool priv);
void xs_conn_free(struct xs_conn *c);
int xs_conn_queue(struct xs_conn *c, uint32_t type, uint32_t req_id,
		  uint32_t tx_id, const void *p1, uint32_t l1,
		  const void *p2, uint32_t l2, bool is_reply);
const void *xs_conn_out_peek(struct xs_conn *c, size_t *len);
void xs_conn_out_advance(struct xs_conn *c, size_t n);
/* May the transport read another request from this client? */
bool xs_conn_can_accept(const struct xs_conn *c);

/* ---------------------------------------------------------- wire.c -- */
struct xs_rx {
	struct xsd_sockmsg hdr;
	uint32_t got;		/* bytes of header + payload received */
	char payload[XENSTORE_PAYLOAD_MAX + 1];	/* always NUL-terminated */
};

void xs_rx_reset(struct xs_rx *rx);
/* Where the next received bytes go, and how many are wanted. */
void *xs_rx_ptr(struct xs_rx *rx, size_t *want);
/* n bytes arrived: 1 message complete, 0 need more, -EINVAL bad header. */
int xs_rx_advance(struct xs_rx *rx, size_t n);

const char *xs_errno_name(int err);
/* Split a payload into NUL-terminated strings; returns the count. */
unsigned int xs_wire_strings(const char *p, uint32_t len, const char **vec,
			     unsigned int max);
/* Exactly one NUL-terminated string filling the payload, or NULL. */
const char *xs_wire_onearg(const char *p, uint32_t len);
/* Strict decimal domid 0..65535; -EINVAL otherwise. */
int xs_wire_domid(const char *s, unsigned int *domid);

/* ------------------------------------------------------ dispatch.c -- */
/* A request in flight. */
struct xs_req {
	struct xs_store *st;
	struct xs_conn *conn;
	struct xs_tx *tx;
	const struct xsd_sockmsg *hdr;
	const char *payload;
	bool replied;
};

void xs_dispatch(struct xs_conn *c, const struct xsd_sockmsg *hdr,
		 const char *payload);
void xs_reply(struct xs_req *rq, const void *p, uint32_t len);
void xs_reply_ok(struct xs_req *rq);

/* ---------------------------------------------------------- node.c -- */
/* A node as a request sees it: through its transaction, if any. */
struct xs_nview {
	uint64_t gen;
	const char *value;
	uint32_t vlen;
	const struct xs_perm *perms;
	uint32_t nperms;
	uint32_t childbytes;
};

int xs_node_get(struct xs_req *rq, const char *path, struct xs_nview *v);
/* Child names, each NUL-terminated, into a malloc'd buffer. */
int xs_node_children(struct xs_req *rq, const char *path, char **out,
		     uint32_t *len);
/* Create (with missing parents, perms inherited) or modify. */
int xs_node_write(struct xs_req *rq, const char *path, const void *v,
		  uint32_t vlen, bool keep_value);
int xs_node_set_perms(struct xs_req *rq, const char *path,
		      const struct xs_perm *p, uint32_t np);
int xs_node_rm(struct xs_req *rq, const char *path);
/* Permission check helper: -EACCES / -ENOENT as Xen reports them. */
int xs_node_check(struct xs_req *rq, const char *path, unsigned int need,
		  struct xs_nview *v);

/* --------------------------------------------------------- watch.c -- */
enum xs_match {
	XS_MATCH_SUBTREE,	/* watches on the path and its ancestors */
	XS_MATCH_EXACT,		/* watches on exactly the path */
};

int xs_watch_add(struct xs_req *rq, const char *path, const char *token,
		 bool relative);
int xs_watch_del(struct xs_req *rq, const char *path, const char *token);
void xs_watch_del_all(struct xs_conn *c);
/*
 * Send events for a change at path.  perms: the node's (old) perms for
 * the readability check, or NULL to look them up.
 */
void xs_watch_fire(struct xs_store *st, const char *path, enum xs_match m,
		   const struct xs_perm *perms, uint32_t np);

/* --------------------------------------------------- transaction.c -- */
struct xs_tx_ent;

struct xs_tx {
	struct xs_tx *next;
	uint32_t id;
	bool failed;		/* something went wrong mid-way: never commit */
	long node_delta;	/* nodes the conn's domain gains on commit */
	unsigned int nents;
	struct xs_tx_ent **hash;
	unsigned int hsize;
	struct xs_tx_ev *events;
	struct xs_tx_ev **events_tail;
};

struct xs_tx_ev {
	struct xs_tx_ev *next;
	enum xs_match m;
	char path[];
};

int xs_tx_start(struct xs_conn *c, uint32_t *id);
struct xs_tx *xs_tx_find(struct xs_conn *c, uint32_t id);
/* Commit (or abort); removes the transaction.  -EAGAIN on conflict. */
int xs_tx_end(struct xs_req *rq, struct xs_tx *tx, bool commit);
void xs_tx_abort_all(struct xs_conn *c);

/* Views of nodes inside a transaction (node.c uses these). */
int xs_tx_get(struct xs_req *rq, const char *path, struct xs_nview *v);
int xs_tx_children(struct xs_req *rq, const char *path, char **out,
		   uint32_t *len);
int xs_tx_put(struct xs_req *rq, const char *path, const void *v,
	      uint32_t vlen, const struct xs_perm *p, uint32_t np,
	      bool create);
int xs_tx_rm(struct xs_req *rq, const char *path);
void xs_tx_queue_event(struct xs_tx *tx, const char *path, enum xs_match m);

/* --------------------------------------------------------- store.c -- */
#define XS_SPECIAL_INTRODUCE	0
#define XS_SPECIAL_RELEASE	1

struct xs_special {
	const char *path;
	struct xs_perm perms[8];
	uint32_t nperms;
};

struct xs_store {
	pthread_mutex_t lock;
	struct xs_tree tree;
	struct xs_quota quota;
	struct xs_store_hooks hooks;
	struct xs_conn *conns;
	struct xs_dom *doms[XS_DOM_HASH];
	struct xs_special special[2];
	struct xs_conn *self;	/* xs_store_call's privileged connection */
	int trace;
};

void xs_rcu_ensure_thread(void);
struct xs_special *xs_special_get(struct xs_store *st, const char *path);
void xs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---------------------------------------------------------- ring.c -- */
void xs_ring_free_locked(struct xs_ring *r);

#endif /* XS_INTERNAL_H */
