/* SPDX-License-Identifier: MIT */
/*
 * The xenstore wire protocol, spoken on the shared xenstore page of each
 * guest (start_info.store_mfn) and on the dom0 socket.  A message is a
 * struct xsd_sockmsg header followed by len bytes of payload, usually
 * NUL-separated strings.
 */
#ifndef PVABI_IO_XS_WIRE_H
#define PVABI_IO_XS_WIRE_H

#include <stdint.h>

#include "../xen-errno.h"

enum xsd_sockmsg_type {
	XS_CONTROL		= 0,
	XS_DIRECTORY		= 1,
	XS_READ			= 2,
	XS_GET_PERMS		= 3,
	XS_WATCH		= 4,
	XS_UNWATCH		= 5,
	XS_TRANSACTION_START	= 6,
	XS_TRANSACTION_END	= 7,
	XS_INTRODUCE		= 8,
	XS_RELEASE		= 9,
	XS_GET_DOMAIN_PATH	= 10,
	XS_WRITE		= 11,
	XS_MKDIR		= 12,
	XS_RM			= 13,
	XS_SET_PERMS		= 14,
	XS_WATCH_EVENT		= 15,	/* unsolicited, req_id 0 */
	XS_ERROR		= 16,	/* payload: an errno name */
	XS_IS_DOMAIN_INTRODUCED	= 17,
	XS_RESUME		= 18,
	XS_SET_TARGET		= 19,
	/* 20 was XS_RESTRICT, never to be reused */
	XS_RESET_WATCHES	= 21,
	XS_DIRECTORY_PART	= 22,
	XS_TYPE_COUNT,
	XS_INVALID		= 0xffff,
};

#define XS_DEBUG	XS_CONTROL

/* Legacy write flags, still accepted as a first argument by some daemons. */
#define XS_WRITE_NONE		"NONE"
#define XS_WRITE_CREATE		"CREATE"
#define XS_WRITE_CREATE_EXCL	"CREATE|EXCL"

/*
 * Errors travel as XS_ERROR replies carrying the errno *name*; this
 * table maps both ways.  Its order is part of the protocol history
 * (clients look names up by scanning it), so keep it.
 */
struct xsd_errors {
	int errnum;
	const char *errstring;
};

#define XSD_ERROR(e)	{ XEN_##e, #e }
static const struct xsd_errors xsd_errors[] __attribute__((__unused__)) = {
	XSD_ERROR(EINVAL),
	XSD_ERROR(EACCES),
	XSD_ERROR(EEXIST),
	XSD_ERROR(EISDIR),
	XSD_ERROR(ENOENT),
	XSD_ERROR(ENOMEM),
	XSD_ERROR(ENOSPC),
	XSD_ERROR(EIO),
	XSD_ERROR(ENOTEMPTY),
	XSD_ERROR(ENOSYS),
	XSD_ERROR(EROFS),
	XSD_ERROR(EBUSY),
	XSD_ERROR(EAGAIN),
	XSD_ERROR(EISCONN),
	XSD_ERROR(E2BIG),
	XSD_ERROR(EPERM),
};
#undef XSD_ERROR

struct xsd_sockmsg {
	uint32_t type;		/* enum xsd_sockmsg_type */
	uint32_t req_id;	/* echoed in the reply */
	uint32_t tx_id;		/* transaction, 0 if none */
	uint32_t len;		/* payload bytes that follow */
};

/* Payload fields of an XS_WATCH_EVENT. */
enum xs_watch_type {
	XS_WATCH_PATH = 0,
	XS_WATCH_TOKEN,
};

/* The shared page: two byte rings plus reconnection state. */
#define XENSTORE_RING_SIZE	1024
typedef uint32_t XENSTORE_RING_IDX;
#define MASK_XENSTORE_IDX(idx)	((idx) & (XENSTORE_RING_SIZE - 1))

struct xenstore_domain_interface {
	char req[XENSTORE_RING_SIZE];	/* guest -> xenstored */
	char rsp[XENSTORE_RING_SIZE];	/* replies and watch events */
	XENSTORE_RING_IDX req_cons, req_prod;
	XENSTORE_RING_IDX rsp_cons, rsp_prod;
	uint32_t server_features;	/* XENSTORE_SERVER_FEATURE_* */
	uint32_t connection;		/* XENSTORE_CONNECTED, ... */
	uint32_t error;			/* XENSTORE_ERROR_* */
};

/* Limits a server enforces; longer messages or paths are errors. */
#define XENSTORE_PAYLOAD_MAX	4096
#define XENSTORE_ABS_PATH_MAX	3072
#define XENSTORE_REL_PATH_MAX	2048

#define XENSTORE_SERVER_FEATURE_RECONNECTION	1
#define XENSTORE_SERVER_FEATURE_ERROR		2

#define XENSTORE_CONNECTED	0
#define XENSTORE_RECONNECT	1

#define XENSTORE_ERROR_NONE	0
#define XENSTORE_ERROR_COMM	1
#define XENSTORE_ERROR_RINGIDX	2
#define XENSTORE_ERROR_PROTO	3

#endif /* PVABI_IO_XS_WIRE_H */
