/* SPDX-License-Identifier: MIT */
/*
 * Types of the ELF notes (owner "Xen") through which a PV kernel image
 * tells the domain builder how to load and start it.  The payload of
 * each is either a string or a native-width integer.
 */
#ifndef PVABI_ELFNOTE_H
#define PVABI_ELFNOTE_H

#define XEN_ELFNOTE_INFO		0	/* legacy __xen_guest string */
#define XEN_ELFNOTE_ENTRY		1	/* virtual entry point */
#define XEN_ELFNOTE_HYPERCALL_PAGE	2	/* where to build the page */
#define XEN_ELFNOTE_VIRT_BASE		3
#define XEN_ELFNOTE_PADDR_OFFSET	4
#define XEN_ELFNOTE_XEN_VERSION		5	/* "xen-3.0" */
#define XEN_ELFNOTE_GUEST_OS		6	/* "linux" */
#define XEN_ELFNOTE_GUEST_VERSION	7
#define XEN_ELFNOTE_LOADER		8	/* "generic" */
#define XEN_ELFNOTE_PAE_MODE		9
#define XEN_ELFNOTE_FEATURES		10	/* '|'-separated, '!' = required */
#define XEN_ELFNOTE_BSD_SYMTAB		11
#define XEN_ELFNOTE_HV_START_LOW	12
#define XEN_ELFNOTE_L1_MFN_VALID	13	/* mask and value of a PTE */
#define XEN_ELFNOTE_SUSPEND_CANCEL	14
#define XEN_ELFNOTE_INIT_P2M		15	/* virtual address of the P2M */
#define XEN_ELFNOTE_MOD_START_PFN	16
#define XEN_ELFNOTE_SUPPORTED_FEATURES	17	/* XENFEAT_* bitmap */
#define XEN_ELFNOTE_PHYS32_ENTRY	18	/* PVH 32-bit entry point */

#define XEN_ELFNOTE_MAX			XEN_ELFNOTE_PHYS32_ENTRY

/* Notes written into crash dumps and core files, not read by loaders. */
#define XEN_ELFNOTE_CRASH_INFO			0x1000001
#define XEN_ELFNOTE_CRASH_REGS			0x1000002
#define XEN_ELFNOTE_DUMPCORE_NONE		0x2000000
#define XEN_ELFNOTE_DUMPCORE_HEADER		0x2000001
#define XEN_ELFNOTE_DUMPCORE_XEN_VERSION	0x2000002
#define XEN_ELFNOTE_DUMPCORE_FORMAT_VERSION	0x2000003

#endif /* PVABI_ELFNOTE_H */
