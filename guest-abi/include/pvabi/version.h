/* SPDX-License-Identifier: MIT */
/*
 * xen_version (hypercall 17).  Guests use it to identify the hypervisor
 * and, through XENVER_get_features, to discover optional features.
 */
#ifndef PVABI_VERSION_H
#define PVABI_VERSION_H

#include "xen.h"
#include "features.h"

/* Returns (major << 16) | minor; needs no argument. */
#define XENVER_version			0

#define XENVER_extraversion		1
typedef char xen_extraversion_t[16];
#define XEN_EXTRAVERSION_LEN		(sizeof(xen_extraversion_t))

#define XENVER_compile_info		2
struct xen_compile_info {
	char compiler[64];
	char compile_by[16];
	char compile_domain[32];
	char compile_date[32];
};

/* Space-separated list such as "xen-3.0-x86_64". */
#define XENVER_capabilities		3
typedef char xen_capabilities_info_t[1024];
#define XEN_CAPABILITIES_INFO_LEN	(sizeof(xen_capabilities_info_t))

#define XENVER_changeset		4
typedef char xen_changeset_info_t[64];
#define XEN_CHANGESET_INFO_LEN		(sizeof(xen_changeset_info_t))

/* virt_start: lowest address of the hypervisor hole. */
#define XENVER_platform_parameters	5
struct xen_platform_parameters {
	xen_ulong_t virt_start;
};

#define XENVER_get_features		6
struct xen_feature_info {
	uint32_t submap_idx;	/* in: which 32-bit submap */
	uint32_t submap;	/* out: XENFEAT_* bits */
};

/* Returns the page size; needs no argument. */
#define XENVER_pagesize			7

/* Fills a xen_domain_handle_t with the caller's UUID. */
#define XENVER_guest_handle		8

#define XENVER_commandline		9
typedef char xen_commandline_t[1024];

/* len is the buffer size in, the id length out. */
#define XENVER_build_id			10
struct xen_build_id {
	uint32_t len;
	unsigned char buf[];
};

#endif /* PVABI_VERSION_H */
