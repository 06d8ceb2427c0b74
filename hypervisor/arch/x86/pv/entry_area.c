// SPDX-License-Identifier: MIT
/*
 * The entry area: the hypervisor's part of every guest address space.
 * Each stub is a single store to the exit doorbell, so the VM leaves
 * with the vector (or syscall kind) in hand and the trap frame on this
 * vCPU's stack; all real work happens in pvisord. One instruction per
 * entry also keeps CPL0 time minimal on hosts that emulate CPL0 code.
 */
#include <errno.h>
#include <string.h>

#include "pvisor/domain.h"
#include "pvisor/entry_area.h"
#include "pvisor/layout.h"
#include "pvisor/pv_mm.h"
#include "descriptors.h"

/* movl $val, rel32(%rip) with the target being the doorbell page. */
static void emit_doorbell(uint8_t *p, uint64_t insn_va, uint64_t target_va,
			  uint32_t val)
{
	int32_t rel = (int32_t)(target_va - (insn_va + STUB_EXIT_INSN_LEN));

	p[0] = 0xc7;
	p[1] = 0x05;
	memcpy(p + 2, &rel, 4);
	memcpy(p + 6, &val, 4);
	/* Never reached: pvisord always redirects the vCPU. */
	p[10] = 0x0f;
	p[11] = 0x0b;		/* ud2 */
}

static uint64_t idt_gate(uint64_t handler, unsigned int dpl)
{
	return (handler & 0xffff) | ((uint64_t)HV_CS_SEL << 16) |
	       ((0x8eull | (dpl << 5)) << 40) |
	       (((handler >> 16) & 0xffff) << 48);
}

/*
 * pvisor's page-table writer (CPL0): for each direct-map address at
 * %rsi, %ecx of them, store back atomically what the entry holds, then
 * reload CR3 and ring the doorbell. pvisord has already written the new
 * values; stores made by the vCPU itself are what every kind of KVM MMU
 * notices, including shadow paging, which never sees host-side writes.
 */
static const uint8_t ptw_stub[] = {
	0x48, 0x8b, 0x3e,		/* 1: mov (%rsi),%rdi */
	0xf0, 0x48, 0x83, 0x0f, 0x00,	/*    lock orq $0,(%rdi) */
	0x48, 0x83, 0xc6, 0x08,		/*    add $8,%rsi */
	0xff, 0xc9,			/*    dec %ecx */
	0x75, 0xf0,			/*    jnz 1b */
	/* PTW_STUB_CR3_OFF: a TLB flush alone enters here. */
	0x0f, 0x20, 0xd8,		/*    mov %cr3,%rax */
	0x0f, 0x22, 0xd8,		/*    mov %rax,%cr3 */
};

static int build_ptw(struct domain *d, uint64_t exit_va)
{
	struct hv_region *r = &d->hv;
	int64_t page = hv_alloc(r, 1);
	uint8_t *p;
	int rc = 0;

	if (page < 0)
		return (int)page;
	_Static_assert(sizeof(ptw_stub) == PTW_STUB_CR3_OFF + 6,
		       "PTW_STUB_CR3_OFF must name the CR3 reload");
	d->ptw_stub_va = d->hv_slot_va + HV_HV_STUBS_OFF;
	p = hv_page(r, page);
	memcpy(p, ptw_stub, sizeof(ptw_stub));
	emit_doorbell(p + sizeof(ptw_stub), d->ptw_stub_va + sizeof(ptw_stub),
		      exit_va + EXIT_OFF_HV, EXIT_CODE_PTW_DONE);
	d->ptw_done_rip = d->ptw_stub_va + sizeof(ptw_stub) +
			  STUB_EXIT_INSN_LEN;
	rc = hv_map(r, d->hv_l3, d->ptw_stub_va, hv_pfn(r, page) << 12,
		    _PAGE_PRESENT);

	/* The direct map of guest RAM the writer stores through. */
	for (uint64_t pfn = 0; pfn < d->mem.nr_pages && !rc;) {
		uint64_t va = d->hv_slot_va + HV_DIRECTMAP_OFF + (pfn << 12);
		const uint64_t flags = _PAGE_PRESENT | _PAGE_RW | _PAGE_NX;

		if (!(pfn & 511) && pfn + 512 <= d->mem.nr_pages) {
			rc = hv_map_2m(r, d->hv_l3, va, pfn << 12, flags);
			pfn += 512;
		} else {
			rc = hv_map(r, d->hv_l3, va, pfn << 12, flags);
			pfn++;
		}
	}
	/* And the whole hypervisor region, for its own page tables. */
	for (uint64_t off = 0; off < (r->nr_pages << 12) && !rc; off += 1ull << 21)
		rc = hv_map_2m(r, d->hv_l3, d->hv_slot_va + HV_HVMAP_OFF + off,
			       HV_GPA_BASE + off,
			       _PAGE_PRESENT | _PAGE_RW | _PAGE_NX);
	return rc;
}

int entry_area_build(struct domain *d)
{
	struct hv_region *r = &d->hv;
	uint64_t exit_va = d->hv_slot_va + HV_EXIT_PAGE_OFF;
	int64_t idt, trap_stubs, user_stubs;
	const uint64_t sup_rx = _PAGE_PRESENT;
	/* Only where syscall stays at CPL3 must its path be user-reachable. */
	const uint64_t cpl3 = d->stubs_at_cpl3 ? _PAGE_USER : 0;
	int rc;

	idt = hv_alloc(r, 1);
	trap_stubs = hv_alloc(r, 1);
	user_stubs = hv_alloc(r, 1);
	if (idt < 0 || trap_stubs < 0 || user_stubs < 0)
		return -ENOMEM;

	d->trap_stubs_va = d->hv_slot_va + HV_TRAP_STUBS_OFF;
	d->user_stubs_va = d->hv_slot_va + HV_USER_STUBS_OFF;

	for (unsigned int vec = 0; vec < 256; vec++) {
		uint64_t va = d->trap_stubs_va + vec * TRAP_STUB_SIZE;
		uint64_t *gate = (uint64_t *)hv_page(r, idt) + 2 * vec;
		/* int3, into and int $0x80 may be raised from CPL3. */
		unsigned int dpl = (vec == 3 || vec == 4 || vec == 0x80) ? 3 : 0;

		gate[0] = idt_gate(va, dpl);
		gate[1] = va >> 32;
		emit_doorbell((uint8_t *)hv_page(r, trap_stubs) +
			      vec * TRAP_STUB_SIZE, va,
			      exit_va + EXIT_OFF_TRAP, vec);
	}
	/*
	 * On VT-x/AMD-V syscall reaches its stub at CPL0; on PVM it stays
	 * at CPL3, so there the stub and the doorbell must be user pages,
	 * and a doorbell rung from anywhere else is a guest fault
	 * (vcpu.c), never taken as a request.
	 */
	emit_doorbell(hv_page(r, user_stubs), d->user_stubs_va,
		      exit_va + EXIT_OFF_SYSCALL, EXIT_CODE_SYSCALL);
	emit_doorbell((uint8_t *)hv_page(r, user_stubs) + 16,
		      d->user_stubs_va + 16, exit_va + EXIT_OFF_SYSCALL,
		      EXIT_CODE_SYSCALL32);

	rc = hv_map(r, d->hv_l3, d->hv_slot_va + HV_IDT_OFF,
		    hv_pfn(r, idt) << 12, sup_rx | _PAGE_NX);
	if (!rc)
		rc = hv_map(r, d->hv_l3, d->trap_stubs_va,
			    hv_pfn(r, trap_stubs) << 12, sup_rx);
	if (!rc)
		rc = hv_map(r, d->hv_l3, d->user_stubs_va,
			    hv_pfn(r, user_stubs) << 12, sup_rx | cpl3);
	if (!rc)
		rc = hv_map(r, d->hv_l3, exit_va, EXIT_GPA,
			    _PAGE_PRESENT | _PAGE_RW | cpl3 | _PAGE_NX);
	if (!rc)
		rc = build_ptw(d, exit_va);
	return rc;
}

int entry_area_build_vcpu(struct domain *d, struct vcpu *v)
{
	struct hv_region *r = &d->hv;
	const uint64_t sup_rw = _PAGE_PRESENT | _PAGE_RW | _PAGE_NX;
	int64_t gdt, tss, stack, ptw;
	uint64_t *desc, tss_va;
	int rc;

	gdt = hv_alloc(r, 2);
	tss = hv_alloc(r, 1);
	stack = hv_alloc(r, HV_VCPU_STACK_SIZE >> 12);
	ptw = hv_alloc(r, 1);
	if (gdt < 0 || tss < 0 || stack < 0 || ptw < 0)
		return -ENOMEM;

	v->area_va = d->hv_slot_va + HV_VCPU_AREA_OFF +
		     v->id * HV_VCPU_AREA_SIZE;
	tss_va = v->area_va + HV_VCPU_TSS_OFF;
	v->stack_top_va = v->area_va + HV_VCPU_STACK_OFF + HV_VCPU_STACK_SIZE;
	v->stack_page_idx = stack + (HV_VCPU_STACK_SIZE >> 12) - 1;
	v->ptw_list = hv_page(r, ptw);
	v->ptw_list_va = v->area_va + HV_VCPU_PTW_OFF;

	/* Frames 14 and 15 of the GDT: Xen's reserved selectors. */
	desc = hv_page(r, gdt);
	desc[(HV_CS_SEL >> 3) - GDT_FIRST_RESERVED_ENTRY] = DESC_HV_CS64;
	desc[(HV_DS_SEL >> 3) - GDT_FIRST_RESERVED_ENTRY] = DESC_HV_DS;
	desc[(FLAT_RING3_CS32 >> 3) - GDT_FIRST_RESERVED_ENTRY] = DESC_RING3_CS32;
	desc[(FLAT_RING3_DS32 >> 3) - GDT_FIRST_RESERVED_ENTRY] = DESC_RING3_DS;
	desc[(FLAT_RING3_CS64 >> 3) - GDT_FIRST_RESERVED_ENTRY] = DESC_RING3_CS64;
	desc[(HV_TSS_SEL >> 3) - GDT_FIRST_RESERVED_ENTRY] =
		0x67 | ((tss_va & 0xffffff) << 16) | (0x8bull << 40) |
		(((tss_va >> 24) & 0xff) << 56);
	desc[(HV_TSS_SEL >> 3) - GDT_FIRST_RESERVED_ENTRY + 1] = tss_va >> 32;

	/* TSS: RSP0 is this vCPU's stack; no I/O bitmap (all ports fault). */
	memcpy((uint8_t *)hv_page(r, tss) + 4, &v->stack_top_va, 8);
	*(uint16_t *)((uint8_t *)hv_page(r, tss) + 102) = 0x68;

	rc = 0;
	for (unsigned int i = 0; i < 2 && !rc; i++)
		rc = hv_map(r, d->hv_l3,
			    v->area_va + HV_VCPU_GDT_OFF +
			    (GDT_NR_GUEST_FRAMES + i) * 4096,
			    hv_pfn(r, gdt + i) << 12, sup_rw);
	if (!rc)
		rc = hv_map(r, d->hv_l3, tss_va, hv_pfn(r, tss) << 12, sup_rw);
	for (unsigned int i = 0; i < (HV_VCPU_STACK_SIZE >> 12) && !rc; i++)
		rc = hv_map(r, d->hv_l3,
			    v->area_va + HV_VCPU_STACK_OFF + i * 4096,
			    hv_pfn(r, stack + i) << 12, sup_rw);
	if (!rc)
		rc = hv_map(r, d->hv_l3, v->ptw_list_va, hv_pfn(r, ptw) << 12,
			    sup_rw);
	if (!rc)
		rc = pv_gdt_init_vcpu(d, v);
	return rc;
}
