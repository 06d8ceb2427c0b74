/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_KVM_INTERNAL_H
#define PVISOR_KVM_INTERNAL_H

/* The /dev/kvm descriptor, opened once per process; -1 if unavailable. */
int kvm_system_fd(void);

#endif
