/* SPDX-License-Identifier: MIT */
/*
 * Hypercalls from a 64-bit PV guest kernel.
 *
 * Like Linux 6.1.192 this uses a bare `syscall` from guest kernel mode:
 * number in rax, arguments in rdi, rsi, rdx, r10, r8, r9, result in rax
 * (negative errno).  rcx and r11 are destroyed by the instruction itself;
 * the argument registers are treated as clobbered, as Linux does, so a
 * hypervisor that scribbles on them cannot corrupt the caller.
 */
#ifndef PVGUEST_HYPERCALL_H
#define PVGUEST_HYPERCALL_H

#include <stdint.h>

#include <pvabi/xen.h>

static inline long pv_hypercall6(unsigned long nr, unsigned long a1,
				 unsigned long a2, unsigned long a3,
				 unsigned long a4, unsigned long a5,
				 unsigned long a6)
{
	register unsigned long r10 asm("r10") = a4;
	register unsigned long r8 asm("r8") = a5;
	register unsigned long r9 asm("r9") = a6;
	unsigned long rax = nr;

	asm volatile("syscall"
		     : "+a"(rax), "+D"(a1), "+S"(a2), "+d"(a3),
		       "+r"(r10), "+r"(r8), "+r"(r9)
		     :
		     : "rcx", "r11", "memory");
	return (long)rax;
}

#define pv_hypercall0(nr) pv_hypercall6((nr), 0, 0, 0, 0, 0, 0)
#define pv_hypercall1(nr, a) \
	pv_hypercall6((nr), (unsigned long)(a), 0, 0, 0, 0, 0)
#define pv_hypercall2(nr, a, b) \
	pv_hypercall6((nr), (unsigned long)(a), (unsigned long)(b), 0, 0, 0, 0)
#define pv_hypercall3(nr, a, b, c) \
	pv_hypercall6((nr), (unsigned long)(a), (unsigned long)(b), \
		      (unsigned long)(c), 0, 0, 0)
#define pv_hypercall4(nr, a, b, c, d) \
	pv_hypercall6((nr), (unsigned long)(a), (unsigned long)(b), \
		      (unsigned long)(c), (unsigned long)(d), 0, 0)
#define pv_hypercall5(nr, a, b, c, d, e) \
	pv_hypercall6((nr), (unsigned long)(a), (unsigned long)(b), \
		      (unsigned long)(c), (unsigned long)(d), \
		      (unsigned long)(e), 0)

/*
 * One wrapper per hypercall, named as in Linux so code reads the same.
 * Pointer arguments are plain `void *` or the ABI struct: the point of
 * this library is to also pass bad ones on purpose.
 */
static inline long HYPERVISOR_set_trap_table(const struct trap_info *table)
{
	return pv_hypercall1(__HYPERVISOR_set_trap_table, table);
}

static inline long HYPERVISOR_mmu_update(struct mmu_update *req,
					 unsigned int count,
					 unsigned int *done, domid_t dom)
{
	return pv_hypercall4(__HYPERVISOR_mmu_update, req, count, done, dom);
}

static inline long HYPERVISOR_set_gdt(const xen_pfn_t *frames,
				      unsigned int entries)
{
	return pv_hypercall2(__HYPERVISOR_set_gdt, frames, entries);
}

static inline long HYPERVISOR_stack_switch(unsigned long ss,
					   unsigned long sp)
{
	return pv_hypercall2(__HYPERVISOR_stack_switch, ss, sp);
}

static inline long HYPERVISOR_fpu_taskswitch(int set)
{
	return pv_hypercall1(__HYPERVISOR_fpu_taskswitch, set);
}

static inline long HYPERVISOR_set_debugreg(int reg, unsigned long value)
{
	return pv_hypercall2(__HYPERVISOR_set_debugreg, reg, value);
}

static inline long HYPERVISOR_get_debugreg(int reg)
{
	return pv_hypercall1(__HYPERVISOR_get_debugreg, reg);
}

static inline long HYPERVISOR_update_descriptor(uint64_t maddr,
						uint64_t desc)
{
	return pv_hypercall2(__HYPERVISOR_update_descriptor, maddr, desc);
}

static inline long HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
	return pv_hypercall2(__HYPERVISOR_memory_op, cmd, arg);
}

static inline long HYPERVISOR_multicall(struct multicall_entry *calls,
					unsigned int nr)
{
	return pv_hypercall2(__HYPERVISOR_multicall, calls, nr);
}

static inline long HYPERVISOR_update_va_mapping(unsigned long va,
						uint64_t pte,
						unsigned long flags)
{
	return pv_hypercall3(__HYPERVISOR_update_va_mapping, va, pte, flags);
}

static inline long HYPERVISOR_set_timer_op(uint64_t timeout_ns)
{
	return pv_hypercall1(__HYPERVISOR_set_timer_op, timeout_ns);
}

static inline long HYPERVISOR_xen_version(int cmd, void *arg)
{
	return pv_hypercall2(__HYPERVISOR_xen_version, cmd, arg);
}

static inline long HYPERVISOR_console_io(int cmd, unsigned int count,
					 const char *buf)
{
	return pv_hypercall3(__HYPERVISOR_console_io, cmd, count, buf);
}

static inline long HYPERVISOR_grant_table_op(unsigned int cmd, void *uop,
					     unsigned int count)
{
	return pv_hypercall3(__HYPERVISOR_grant_table_op, cmd, uop, count);
}

static inline long HYPERVISOR_vm_assist(unsigned int cmd,
					unsigned int type)
{
	return pv_hypercall2(__HYPERVISOR_vm_assist, cmd, type);
}

static inline long HYPERVISOR_vcpu_op(int cmd, unsigned int vcpu,
				      void *arg)
{
	return pv_hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
}

static inline long HYPERVISOR_set_segment_base(int reg,
					       unsigned long value)
{
	return pv_hypercall2(__HYPERVISOR_set_segment_base, reg, value);
}

static inline long HYPERVISOR_mmuext_op(struct mmuext_op *ops,
					unsigned int count,
					unsigned int *done, domid_t dom)
{
	return pv_hypercall4(__HYPERVISOR_mmuext_op, ops, count, done, dom);
}

static inline long HYPERVISOR_sched_op(int cmd, void *arg)
{
	return pv_hypercall2(__HYPERVISOR_sched_op, cmd, arg);
}

static inline long HYPERVISOR_callback_op(int cmd, const void *arg)
{
	return pv_hypercall2(__HYPERVISOR_callback_op, cmd, arg);
}

static inline long HYPERVISOR_event_channel_op(int cmd, void *arg)
{
	return pv_hypercall2(__HYPERVISOR_event_channel_op, cmd, arg);
}

static inline long HYPERVISOR_physdev_op(int cmd, void *arg)
{
	return pv_hypercall2(__HYPERVISOR_physdev_op, cmd, arg);
}

/* Fill one multicall slot; result is preset to a marker value so a
 * hypervisor that forgets to write it back is caught. */
static inline void pv_multicall_set(struct multicall_entry *mc,
				    unsigned long op, unsigned long a0,
				    unsigned long a1, unsigned long a2,
				    unsigned long a3, unsigned long a4,
				    unsigned long a5)
{
	mc->op = op;
	mc->result = 0x5eed5eed5eed5eedUL;
	mc->args[0] = a0;
	mc->args[1] = a1;
	mc->args[2] = a2;
	mc->args[3] = a3;
	mc->args[4] = a4;
	mc->args[5] = a5;
}

#endif /* PVGUEST_HYPERCALL_H */
