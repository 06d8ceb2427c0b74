/* SPDX-License-Identifier: MIT */
/*
 * exit-page-user-write: guest code must not reach the hypervisor's exit
 * doorbell page (security issue, hole 4). A user process, and the guest
 * kernel too, writes each doorbell (trap, syscall, an unused offset) with
 * plausible values and reads the page. Every write must come back to the
 * guest kernel as a page fault on that address (present, write), never
 * be taken as a request and never crash the domain; a read faults too, or
 * (PVM, where the page must stay user-reachable) reads all-ones.
 *
 * The entry area is pvisor's L4 slot right after the M2P's (layout.h);
 * the checks on the error code's present bit make sure this test hit a
 * mapped hypervisor page rather than a hole.
 */
#include <pvabi/memory.h>

#include <pvguest/user.h>

#define SYS_EXIT	60
#define FAULTED		0x7fffL
#define EXIT_PAGE_OFF	0x3000UL	/* HV_EXIT_PAGE_OFF */
#define PF_P		1UL
#define PF_W		2UL
#define PF_U		4UL

/* The user probes take the address and value from the first data page. */
asm(".pushsection .user.text, \"ax\"\n"
    ".globl user_write, user_read, user_faulted\n"
    "user_write:\n"
    "	movabs $0x500000, %rax\n"
    "	mov (%rax), %rbx\n"
    "	mov 8(%rax), %rcx\n"
    "	movl %ecx, (%rbx)\n"
    "	xor %edi, %edi\n"
    "	mov $60, %eax\n"
    "	syscall\n"
    "	ud2\n"
    "user_read:\n"
    "	movabs $0x500000, %rax\n"
    "	mov (%rax), %rbx\n"
    "	mov (%rbx), %edi\n"
    "	mov $60, %eax\n"
    "	syscall\n"
    "	ud2\n"
    "user_faulted:\n"
    "	mov $0x7fff, %edi\n"
    "	mov $60, %eax\n"
    "	syscall\n"
    "	ud2\n"
    ".popsection\n"
    ".pushsection .text\n"
    ".globl kernel_write, kernel_write_done\n"
    "kernel_write:\n"
    "	movl %esi, (%rdi)\n"
    "kernel_write_done:\n"
    "	ret\n"
    ".popsection\n");

extern char user_write[], user_read[], user_faulted[];
extern char kernel_write[], kernel_write_done[];
void kernel_write_fn(uint64_t va, uint32_t val) __asm__("kernel_write");

static uint64_t exit_page;
static struct {
	unsigned long count;
	uint64_t cr2, ec;
} seen;

static bool in_exit_page(uint64_t va)
{
	return va - exit_page < PAGE_SIZE;
}

static bool on_syscall(struct guest_regs *r)
{
	if (r->rax == SYS_EXIT)
		pvguest_user_leave((long)(uint32_t)r->rdi);
	r->rax = (uint64_t)-XEN_ENOSYS;
	return true;
}

static bool on_pf(struct guest_regs *r)
{
	if (!in_exit_page(pvguest_last_trap.cr2))
		return false;
	seen.count++;
	seen.cr2 = pvguest_last_trap.cr2;
	seen.ec = r->error_code;
	if (guest_regs_from_user(r))
		r->rip = user_text_va(user_faulted);
	else	/* wherever the host left RIP: past the store */
		r->rip = (uint64_t)kernel_write_done;
	return true;
}

static void user_probe(const char *what, uint64_t off, uint32_t val)
{
	uint64_t *args = (uint64_t *)pvguest_user_data[0];
	long rc;

	memset(&seen, 0, sizeof(seen));
	args[0] = exit_page + off;
	args[1] = val;
	rc = pvguest_user_enter(user_text_va(user_write),
				PVGUEST_USER_STACK_TOP, 0x202);
	check(rc == FAULTED && seen.count == 1 && seen.cr2 == exit_page + off &&
	      (seen.ec & (PF_P | PF_W | PF_U)) == (PF_P | PF_W | PF_U),
	      "user write to the %s doorbell: page fault (rc %#lx, faults %lu, "
	      "cr2 %#lx, error %#lx)", what, rc, seen.count, seen.cr2, seen.ec);
}

void guest_main(struct start_info *si)
{
	struct xen_machphys_mapping mp;
	long rc;

	(void)si;
	test_start("exit-page-user-write");
	if (!check(map_shared_info() == 0, "map shared_info") ||
	    !check(trap_init() == 0, "set_trap_table") ||
	    !check(callbacks_init() == 0, "callbacks") ||
	    !check(syscall_callback_init() == 0, "syscall callback") ||
	    !check(user_space_init() == 0, "user page tables") ||
	    !check(HYPERVISOR_memory_op(XENMEM_machphys_mapping, &mp) == 0,
		   "machphys_mapping"))
		test_end();
	exit_page = ((mp.v_start >> 39) + 1) << 39 | 0xffff000000000000UL;
	exit_page += EXIT_PAGE_OFF;
	printk("exit page at %#lx\n", exit_page);
	trap_set_handler(PVGUEST_VEC_SYSCALL, on_syscall);
	trap_set_handler(14, on_pf);

	user_probe("trap (vector 14)", 0x00, 14);
	user_probe("syscall", 0x08, 0x100);
	user_probe("hypervisor", 0x10, 0x200);
	user_probe("unused offset", 0x800, 0);

	memset(&seen, 0, sizeof(seen));
	*(uint64_t *)pvguest_user_data[0] = exit_page;
	rc = pvguest_user_enter(user_text_va(user_read),
				PVGUEST_USER_STACK_TOP, 0x202);
	check((rc == FAULTED && seen.count == 1 && seen.cr2 == exit_page &&
	       (seen.ec & (PF_P | PF_W | PF_U)) == (PF_P | PF_U)) ||
	      (rc == 0xffffffffL && !seen.count),
	      "user read of the exit page: faults or reads all-ones (rc %#lx, "
	      "faults %lu, error %#lx)", rc, seen.count, seen.ec);

	memset(&seen, 0, sizeof(seen));
	kernel_write_fn(exit_page, 14);
	check(seen.count == 1 && seen.cr2 == exit_page &&
	      (seen.ec & (PF_P | PF_W | PF_U)) == (PF_P | PF_W),
	      "kernel write to the trap doorbell: page fault (faults %lu, "
	      "error %#lx)", seen.count, seen.ec);
	test_end();
}
