/* SPDX-License-Identifier: MIT */
/*
 * nmi_op (hypercall 28) and the NMI reason bits pvisor reports in
 * arch_shared_info.nmi_reason.
 */
#ifndef PVABI_NMI_H
#define PVABI_NMI_H

#include "xen.h"

#define _XEN_NMIREASON_io_error		0
#define XEN_NMIREASON_io_error		(1UL << _XEN_NMIREASON_io_error)
#define _XEN_NMIREASON_pci_serr		1
#define XEN_NMIREASON_pci_serr		(1UL << _XEN_NMIREASON_pci_serr)
#define _XEN_NMIREASON_unknown		2
#define XEN_NMIREASON_unknown		(1UL << _XEN_NMIREASON_unknown)

#define XENNMI_register_callback	0
#define XENNMI_unregister_callback	1

struct xennmi_callback {
	uint64_t handler_address;
	uint64_t pad;
};

#endif /* PVABI_NMI_H */
