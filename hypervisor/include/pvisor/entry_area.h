/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_ENTRY_AREA_H
#define PVISOR_ENTRY_AREA_H

struct domain;
struct vcpu;

/* IDT, trap and syscall stubs, the exit doorbell mapping. */
int entry_area_build(struct domain *d);
/* A vCPU's GDT (reserved frames), TSS and trap stack. */
int entry_area_build_vcpu(struct domain *d, struct vcpu *v);

#endif
