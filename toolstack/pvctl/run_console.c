// SPDX-License-Identifier: MIT
/* pvctl run's PV console (see run_console.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pvisor/frame_state.h"
#include "pvisor/grant_table.h"
#include "pvisor/console_ring.h"
#include "pvisor/domain.h"
#include "pvisor/hvm_pc.h"
#include "pvisor/pv_layout.h"
#include "run_console.h"

static void drain(struct run_console *c)
{
	char buf[2048];
	ssize_t n;

	while ((n = console_ring_read(c->page, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, n, stdout);
		fflush(stdout);
		evtchn_dom0_send(c->ch.dom0_port);
	}
}

static void *console_main(void *arg)
{
	struct run_console *c = arg;
	bool stdin_open = true;

	while (!domain_is_dying(c->d)) {
		struct pollfd p[2] = {
			{ .fd = c->ch.notify_fd, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		uint64_t cnt;
		char in[256];
		ssize_t n;

		/* Wake now and then: the domain may end without a notify. */
		if (poll(p, stdin_open ? 2 : 1, 100) < 0 && errno != EINTR)
			break;
		if ((p[0].revents & POLLIN) && read(p[0].fd, &cnt, 8) < 0)
			cnt = 0;
		drain(c);
		if (stdin_open && (p[1].revents & (POLLIN | POLLHUP))) {
			n = read(STDIN_FILENO, in, sizeof(in));
			if (n <= 0) {
				stdin_open = false;	/* EOF: output only */
				continue;
			}
			/* Typing faster than the guest reads loses the excess. */
			if (console_ring_write(c->page, in, n))
				evtchn_dom0_send(c->ch.dom0_port);
		}
	}
	drain(c);
	return NULL;
}

/*
 * HVM: the guest's serial port. Its output reaches stdout through the
 * domain's console sink; our stdin goes to its receiver, no faster than
 * the guest reads (what does not fit waits here).
 */
static void *serial_main(void *arg)
{
	struct run_console *c = arg;
	bool stdin_open = true;
	char in[256];
	size_t have = 0, off = 0;

	while (!domain_is_dying(c->d)) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		ssize_t n;

		if (have > off)
			off += hvm_pc_console_input(c->d, in + off, have - off);
		if (off == have)
			have = off = 0;
		if (!stdin_open || have) {
			usleep(10000);
			continue;
		}
		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			break;
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(STDIN_FILENO, in, sizeof(in));
		if (n <= 0)
			stdin_open = false;	/* EOF: output only */
		else
			have = (size_t)n;
	}
	return NULL;
}

int run_console_start_serial(struct run_console *c, struct domain *d)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->d = d;
	rc = pthread_create(&c->thread, NULL, serial_main, c);
	if (rc)
		return -rc;
	c->started = true;
	return 0;
}

int run_console_prepare(struct run_console *c, struct domain *d)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->d = d;
	rc = evtchn_dom0_alloc(d, &c->ch);
	c->bound = rc == 0;
	return rc;
}

int run_console_start(struct run_console *c, uint64_t console_pfn)
{
	int rc;

	/*
	 * Written for the domain's life: a PV guest must never make it a
	 * page table. PVH frames have no PV types (no grant table here).
	 */
	if (c->d->gnttab) {
		if (frame_claim(&c->d->gnttab->shm.frames, console_pfn, true))
			return -EINVAL;
		c->claimed = true;
	}
	c->pfn = console_pfn;
	c->page = gmem_ram_frame(&c->d->mem, console_pfn);
	if (!c->page)
		return -EINVAL;
	rc = pthread_create(&c->thread, NULL, console_main, c);
	if (rc)
		return -rc;
	c->started = true;
	return 0;
}

void run_console_stop(struct run_console *c)
{
	if (c->started)
		pthread_join(c->thread, NULL);
	c->started = false;
	if (c->bound)
		evtchn_dom0_close(c->ch.dom0_port);
	c->bound = false;
	if (c->claimed)
		frame_release(&c->d->gnttab->shm.frames, c->pfn, true);
	c->claimed = false;
}
