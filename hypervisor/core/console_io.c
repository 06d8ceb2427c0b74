// SPDX-License-Identifier: MIT
/*
 * console_io: the guest's early, synchronous console. Output goes to the
 * domain's console sink; there is no input on this path.
 */
#include <errno.h>

#include "pvisor/domain.h"
#include "pvisor/hypercall.h"

#define CONSOLE_CHUNK	256
/* Bytes per hypercall before it continues (Xen preempts similarly). */
#define CONSOLE_BUDGET	(16 * 1024)

long do_console_io(struct vcpu *v, const uint64_t a[6])
{
	/* Xen's count is an unsigned int: the high half is ignored. */
	uint64_t cmd = (uint32_t)a[0], count = (uint32_t)a[1], buf = a[2];
	uint64_t done = 0;
	char chunk[CONSOLE_CHUNK];

	switch (cmd) {
	case CONSOLEIO_write:
		while (count) {
			size_t n = count < sizeof(chunk) ? count : sizeof(chunk);

			if (done >= CONSOLE_BUDGET) {
				/* A dying domain is not worth resuming. */
				if (domain_is_dying(v->d))
					return 0;
				return hypercall_preempt(v, cmd, count, buf,
							 0, 0, 0);
			}
			if (pv_read(&v->pv, buf, chunk, n))
				return -EFAULT;
			domain_console_write(v->d, chunk, n);
			buf += n;
			count -= n;
			done += n;
		}
		return 0;
	case CONSOLEIO_read:
		return 0;
	}
	return -ENOSYS;
}
