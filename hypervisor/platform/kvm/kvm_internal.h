/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_KVM_INTERNAL_H
#define PVISOR_KVM_INTERNAL_H

/* The /dev/kvm descriptor, opened once per process; -1 if unavailable. */
int kvm_system_fd(void);
/* Why kvm_system_fd() failed (errno of the open), 0 if it did not. */
int kvm_system_errno(void);

#endif
