// SPDX-License-Identifier: MIT
/*
 * console_io: the guest's early, synchronous console. Output goes to the
 * domain's console sink; there is no input on this path.
 */
#include <errno.h>

#include "pvisor/domain.h"
#include "pvisor/hypercall.h"

#define CONSOLE_CHUNK	256

long do_console_io(struct vcpu *v, const uint64_t a[6])
{
	uint64_t cmd = a[0], count = a[1], buf = a[2];
	char chunk[CONSOLE_CHUNK];

	switch (cmd) {
	case CONSOLEIO_write:
		while (count) {
			size_t n = count < sizeof(chunk) ? count : sizeof(chunk);

			if (pv_read(&v->pv, buf, chunk, n))
				return -EFAULT;
			domain_console_write(v->d, chunk, n);
			buf += n;
			count -= n;
		}
		return 0;
	case CONSOLEIO_read:
		return 0;
	}
	return -ENOSYS;
}
