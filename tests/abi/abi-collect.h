/* SPDX-License-Identifier: MIT */
/*
 * Body shared by abi-ours.c and abi-xen.c: expands abi-list.h into a
 * function named ABI_COLLECT that records every entry.  The includer
 * has already included the headers under test.
 *
 * The values are gathered at run time rather than in a static
 * initializer so that entries may read tables (xsd_errors) and build
 * compound literals to exercise function-like macros.
 */
#include "abi-entry.h"

/* is_signed(...) compares unsigned members with 0 on purpose. */
#pragma GCC diagnostic ignored "-Wtype-limits"

/*
 * Drive the ring macros through one scenario on a one-page blkif ring
 * and pack what they produced into a number.  Compiled against both
 * ring.h implementations, the numbers must agree.
 */
static uint64_t abi_ring_probe(int scenario)
{
	static union {
		struct blkif_sring s;
		unsigned char page[4096];
	} shm __attribute__((aligned(4096)));
	struct blkif_front_ring f;
	struct blkif_back_ring b;
	struct blkif_request req;
	RING_IDX i;
	int notify = -1, work = -1;

	__builtin_memset(&shm, 0xa5, sizeof(shm));
	SHARED_RING_INIT(&shm.s);
	FRONT_RING_INIT(&f, &shm.s, sizeof(shm));
	BACK_RING_INIT(&b, &shm.s, sizeof(shm));

	switch (scenario) {
	case 0:		/* geometry */
		return (uint64_t)RING_SIZE(&f) << 32 |
		       (uint64_t)((unsigned char *)RING_GET_REQUEST(&f, 33) -
				  shm.page) << 16 |
		       (uint64_t)shm.s.req_event << 8 | shm.s.rsp_event;
	case 1:		/* first push notifies */
		for (i = 0; i < 3; i++)
			RING_GET_REQUEST(&f, f.req_prod_pvt++)->id = i;
		RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f, notify);
		return (uint64_t)notify << 32 | shm.s.req_prod << 8 |
		       RING_FREE_REQUESTS(&f);
	case 2:		/* no notify when the backend asked for later */
		shm.s.req_event = 10;
		f.req_prod_pvt = 4;
		RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f, notify);
		return (uint64_t)notify << 32 | shm.s.req_prod;
	case 3:		/* backend drains, then arms req_event */
		f.req_prod_pvt = 2;
		RING_PUSH_REQUESTS(&f);
		while (RING_HAS_UNCONSUMED_REQUESTS(&b))
			RING_COPY_REQUEST(&b, b.req_cons++, &req);
		RING_FINAL_CHECK_FOR_REQUESTS(&b, work);
		return (uint64_t)work << 32 | shm.s.req_event << 8 | b.req_cons;
	case 4:		/* a bogus req_prod is capped by the ring size */
		shm.s.req_prod = 1000;
		f.req_prod_pvt = RING_SIZE(&f);
		return (uint64_t)RING_HAS_UNCONSUMED_REQUESTS(&b) << 32 |
		       (uint64_t)RING_FULL(&f) << 16 |
		       RING_REQUEST_PROD_OVERFLOW(&b, 1000) << 8 |
		       RING_REQUEST_CONS_OVERFLOW(&b, 32);
	case 5:		/* responses, and the frontend's final check */
		b.rsp_prod_pvt = 2;
		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&b, notify);
		f.rsp_cons = 2;
		RING_FINAL_CHECK_FOR_RESPONSES(&f, work);
		return (uint64_t)notify << 32 | (uint64_t)work << 24 |
		       shm.s.rsp_event << 8 | RING_RESPONSE_PROD_OVERFLOW(&f, 40);
	}
	return ~0ULL;
}

#define ABI_PUT(n, v, s) do {						\
	if (i < max) {							\
		out[i].name = (n);					\
		out[i].value = (uint64_t)(v);				\
		out[i].str = (s);					\
	}								\
	i++;								\
} while (0)

#define ABI_SIZE(T)							\
	ABI_PUT("sizeof(" #T ")", sizeof(T), NULL);

#define ABI_FIELD(T, m)							\
	ABI_PUT("offsetof(" #T ", " #m ")", offsetof(T, m), NULL);	\
	ABI_PUT("sizeof(" #T "." #m ")", sizeof(((T *)0)->m), NULL);

#define ABI_SCALAR(T, m)						\
	ABI_FIELD(T, m)							\
	ABI_PUT("is_signed(" #T "." #m ")",				\
		(__typeof__(((T *)0)->m))-1 < 0, NULL);

#define ABI_CONST(e)	ABI_PUT(#e, (e), NULL);
#define ABI_STR(e)	ABI_PUT(#e, 0, (e));

size_t ABI_COLLECT(struct abi_entry *out, size_t max)
{
	size_t i = 0;

#include "abi-list.h"

	return i;
}
