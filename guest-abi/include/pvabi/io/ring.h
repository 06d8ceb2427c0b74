/* SPDX-License-Identifier: MIT */
/*
 * Shared request/response rings, the transport of every split driver.
 *
 * One page (or several) holds a 64-byte header followed by a power-of-two
 * array of slots; each slot holds a request or its response.  The
 * frontend produces requests and consumes responses, the backend the
 * reverse.  Producer indexes live in the shared page, consumer and
 * private producer indexes in each side's own front/back ring struct.
 * Indexes are free-running 32-bit counters; slot = index & (size - 1).
 *
 * Notification suppression: a side only needs to be kicked when the
 * other side's producer index passes the *_event value it published,
 * which keeps the number of event channel sends (and VM exits) low.
 *
 * A backend must treat the shared header as hostile: read req_prod
 * once, bound the work by the ring size, and copy requests out with
 * RING_COPY_REQUEST before validating them.
 */
#ifndef PVABI_IO_RING_H
#define PVABI_IO_RING_H

#include <stdint.h>

typedef unsigned int RING_IDX;

/*
 * Barriers between writing slots and publishing an index.  x86 only
 * needs a compiler barrier for rmb/wmb; mb must order a store before a
 * later load, which takes a real fence.  Define your own before
 * including this file to override them.
 */
#ifndef xen_mb
#define xen_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#endif

/* Largest power of two <= x, still an integer constant expression. */
#define __RING_POW2_FLOOR(x)						\
	((x) ? 1U << (31 - __builtin_clz((unsigned int)(x))) : 0U)

/* Number of slots of ring type name in sz bytes (constant expression). */
#define __CONST_RING_SIZE(name, sz)					\
	__RING_POW2_FLOOR(((sz) - __builtin_offsetof(struct name##_sring, ring)) / \
			  sizeof(((struct name##_sring *)0)->ring[0]))

/* Same, from a pointer to the shared ring. */
#define __RING_SIZE(s, sz)						\
	__RING_POW2_FLOOR(((sz) - (unsigned long)((char *)(s)->ring -	\
						  (char *)(s))) /	\
			  sizeof((s)->ring[0]))

/*
 * Declares, for a ring called name:
 *   union name##_sring_entry   one slot
 *   struct name##_sring        the shared page
 *   struct name##_front_ring   the frontend's private state
 *   struct name##_back_ring    the backend's private state
 * and the matching _t typedefs.
 */
#define DEFINE_RING_TYPES(name, req_t, rsp_t)				\
union name##_sring_entry {						\
	req_t req;							\
	rsp_t rsp;							\
};									\
									\
struct name##_sring {							\
	RING_IDX req_prod, req_event;					\
	RING_IDX rsp_prod, rsp_event;					\
	uint8_t __pad[48];						\
	union name##_sring_entry ring[];				\
};									\
									\
struct name##_front_ring {						\
	RING_IDX req_prod_pvt;						\
	RING_IDX rsp_cons;						\
	unsigned int nr_ents;						\
	struct name##_sring *sring;					\
};									\
									\
struct name##_back_ring {						\
	RING_IDX rsp_prod_pvt;						\
	RING_IDX req_cons;						\
	unsigned int nr_ents;						\
	struct name##_sring *sring;					\
};									\
									\
typedef struct name##_sring name##_sring_t;				\
typedef struct name##_front_ring name##_front_ring_t;			\
typedef struct name##_back_ring name##_back_ring_t

/* The frontend initialises the shared page: empty, notify on first item. */
#define SHARED_RING_INIT(s) do {					\
	(s)->req_prod = (s)->rsp_prod = 0;				\
	(s)->req_event = (s)->rsp_event = 1;				\
	__builtin_memset((s)->__pad, 0, sizeof((s)->__pad));		\
} while (0)

/* Attach private state to a shared ring whose indexes are at i. */
#define FRONT_RING_ATTACH(r, s, i, size) do {				\
	(r)->req_prod_pvt = (i);					\
	(r)->rsp_cons = (i);						\
	(r)->nr_ents = __RING_SIZE(s, size);				\
	(r)->sring = (s);						\
} while (0)

#define FRONT_RING_INIT(r, s, size)	FRONT_RING_ATTACH(r, s, 0, size)

#define XEN_FRONT_RING_INIT(r, s, size) do {				\
	SHARED_RING_INIT(s);						\
	FRONT_RING_INIT(r, s, size);					\
} while (0)

#define BACK_RING_ATTACH(r, s, i, size) do {				\
	(r)->rsp_prod_pvt = (i);					\
	(r)->req_cons = (i);						\
	(r)->nr_ents = __RING_SIZE(s, size);				\
	(r)->sring = (s);						\
} while (0)

#define BACK_RING_INIT(r, s, size)	BACK_RING_ATTACH(r, s, 0, size)

#define RING_SIZE(r)	((r)->nr_ents)

/* Slots the frontend may still fill before it must wait for responses. */
#define RING_FREE_REQUESTS(r)						\
	(RING_SIZE(r) - ((r)->req_prod_pvt - (r)->rsp_cons))

#define RING_FULL(r)	(RING_FREE_REQUESTS(r) == 0)

#define XEN_RING_NR_UNCONSUMED_RESPONSES(r)				\
	((r)->sring->rsp_prod - (r)->rsp_cons)

/*
 * Requests the backend may consume.  The count is capped by the slots
 * not holding unsent responses, so a frontend publishing a bogus
 * req_prod cannot make the backend overrun the ring.
 */
#define XEN_RING_NR_UNCONSUMED_REQUESTS(r) ({				\
	RING_IDX __req = (r)->sring->req_prod - (r)->req_cons;		\
	RING_IDX __room = RING_SIZE(r) -				\
		((r)->req_cons - (r)->rsp_prod_pvt);			\
	__req < __room ? __req : __room;				\
})

#define RING_HAS_UNCONSUMED_RESPONSES(r) XEN_RING_NR_UNCONSUMED_RESPONSES(r)
#define RING_HAS_UNCONSUMED_REQUESTS(r)	XEN_RING_NR_UNCONSUMED_REQUESTS(r)

#define RING_GET_REQUEST(r, idx)					\
	(&((r)->sring->ring[(idx) & (RING_SIZE(r) - 1)].req))

#define RING_GET_RESPONSE(r, idx)					\
	(&((r)->sring->ring[(idx) & (RING_SIZE(r) - 1)].rsp))

/*
 * Copy a slot into private memory through a volatile read, so the
 * compiler cannot re-read fields from the shared page after they were
 * checked (the peer may change them at any time).
 */
#define RING_COPY_REQUEST(r, idx, dst) do {				\
	*(dst) = *(volatile __typeof__(dst))RING_GET_REQUEST(r, idx);	\
} while (0)

#define RING_COPY_RESPONSE(r, idx, dst) do {				\
	*(dst) = *(volatile __typeof__(dst))RING_GET_RESPONSE(r, idx);	\
} while (0)

/* Sanity checks on indexes received from the peer. */
#define RING_REQUEST_CONS_OVERFLOW(r, cons)				\
	(((cons) - (r)->rsp_prod_pvt) >= RING_SIZE(r))

#define RING_REQUEST_PROD_OVERFLOW(r, prod)				\
	(((prod) - (r)->rsp_prod_pvt) > RING_SIZE(r))

#define RING_RESPONSE_PROD_OVERFLOW(r, prod)				\
	(((prod) - (r)->rsp_cons) > RING_SIZE(r))

/* Publish filled slots: slot contents must be visible before the index. */
#define RING_PUSH_REQUESTS(r) do {					\
	xen_wmb();							\
	(r)->sring->req_prod = (r)->req_prod_pvt;			\
} while (0)

#define RING_PUSH_RESPONSES(r) do {					\
	xen_wmb();							\
	(r)->sring->rsp_prod = (r)->rsp_prod_pvt;			\
} while (0)

/*
 * Publish and decide whether the peer needs an event: only if its
 * *_event mark lies in (old, new].  The full barrier orders our index
 * store before the load of the peer's mark.
 */
#define RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(r, notify) do {		\
	RING_IDX __old = (r)->sring->req_prod;				\
	RING_IDX __new = (r)->req_prod_pvt;				\
	xen_wmb();							\
	(r)->sring->req_prod = __new;					\
	xen_mb();							\
	(notify) = ((RING_IDX)(__new - (r)->sring->req_event) <		\
		    (RING_IDX)(__new - __old));				\
} while (0)

#define RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(r, notify) do {		\
	RING_IDX __old = (r)->sring->rsp_prod;				\
	RING_IDX __new = (r)->rsp_prod_pvt;				\
	xen_wmb();							\
	(r)->sring->rsp_prod = __new;					\
	xen_mb();							\
	(notify) = ((RING_IDX)(__new - (r)->sring->rsp_event) <		\
		    (RING_IDX)(__new - __old));				\
} while (0)

/*
 * Before going idle: ask to be notified about the next item, then look
 * again, closing the race with a producer that did not see the request.
 */
#define RING_FINAL_CHECK_FOR_REQUESTS(r, work_to_do) do {		\
	(work_to_do) = RING_HAS_UNCONSUMED_REQUESTS(r);			\
	if (work_to_do)							\
		break;							\
	(r)->sring->req_event = (r)->req_cons + 1;			\
	xen_mb();							\
	(work_to_do) = RING_HAS_UNCONSUMED_REQUESTS(r);			\
} while (0)

#define RING_FINAL_CHECK_FOR_RESPONSES(r, work_to_do) do {		\
	(work_to_do) = RING_HAS_UNCONSUMED_RESPONSES(r);		\
	if (work_to_do)							\
		break;							\
	(r)->sring->rsp_event = (r)->rsp_cons + 1;			\
	xen_mb();							\
	(work_to_do) = RING_HAS_UNCONSUMED_RESPONSES(r);		\
} while (0)

#endif /* PVABI_IO_RING_H */
