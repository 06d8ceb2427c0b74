// SPDX-License-Identifier: MIT
/*
 * pvblkback: started by pvisord with its control socket as fd 3 and
 * nothing else open. It is told which guest and disk it serves (OPEN,
 * with the grant broker's memfd and eventfds, through which pvisord does
 * every access to the guest's memory for it, and the image the user
 * opened), sandboxes itself, then serves the rings (one per queue)
 * between CONNECT and DISCONNECT until pvisord closes the socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blkback.h"

void blk_log(struct blkback *b, const char *fmt, ...)
{
	struct blkback_msg m = { .type = BLKBACK_LOG };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	svc_ctl_send(b->ctl, &m, sizeof(m));
}

/* The image: a regular file or block device, open as the disk needs. */
static int open_image(struct blkback *b, int fd, char *why, size_t len)
{
	struct stat st;
	uint64_t bytes;
	int fl = fcntl(fd, F_GETFL);

	b->image = fd;
	if (fl < 0 || fstat(fd, &st) || (fl & O_PATH)) {
		snprintf(why, len, "the image is not an open file");
		return -EBADF;
	}
	if (S_ISSOCK(st.st_mode)) {
		/* A connection to the image's NBD server (pvisord made it). */
		b->is_nbd = true;
		return blk_nbd_open(b, fd, why, len);
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bytes)) {
			snprintf(why, len, "cannot size the block device: %s",
				 strerror(errno));
			return -errno;
		}
		b->is_bdev = true;
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else {
		snprintf(why, len, "the image is neither a regular file nor "
			 "a block device");
		return -EINVAL;
	}
	if ((fl & O_ACCMODE) == O_RDONLY)
		b->flags |= BLKBACK_F_READONLY;
	else if ((fl & O_ACCMODE) != O_RDWR) {
		snprintf(why, len, "the image is open write-only");
		return -EBADF;
	}
	b->sectors = bytes / BLK_SECTOR;
	if (!b->sectors) {
		snprintf(why, len, "the image is empty (%llu bytes)",
			 (unsigned long long)bytes);
		return -EINVAL;
	}
	return 0;
}

/* Beyond every service's: the image, synchronously or through its ring. */
static const struct svc_syscall blk_syscalls[] = {
	{ .nr = SCMP_SYS(pread64) }, { .nr = SCMP_SYS(pwrite64) },
	{ .nr = SCMP_SYS(fdatasync) }, { .nr = SCMP_SYS(fallocate) },
	{ .nr = SCMP_SYS(io_uring_enter) },
};

static int do_open(struct blkback *b, const struct blkback_msg *m, int *fds,
		   unsigned int nfds)
{
	struct blkback_msg r = { .type = BLKBACK_INFO };
	int rc;

	if (nfds != 4) {
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		snprintf(r.text, sizeof(r.text), "OPEN needs 4 fds, got %u",
			 nfds);
		rc = -EINVAL;
		goto out;
	}
	b->domid = m->open.domid;
	b->devid = m->open.devid;
	b->flags = m->open.flags & (BLKBACK_F_READONLY | BLKBACK_F_CDROM |
				    BLKBACK_F_DISCARD);
	rc = open_image(b, fds[3], r.text, sizeof(r.text));
	if (!rc)
		rc = svc_broker_open(&b->br, fds[0], fds[1], fds[2], b->ctl,
				     BLKBACK_BROKER_DATA_LEN, r.text,
				     sizeof(r.text));
	close(fds[0]);	/* mapped: the fd itself is not needed */
	if (rc)
		goto out;
	rc = blk_io_init(b);
	if (rc) {
		snprintf(r.text, sizeof(r.text), "cannot set up I/O: %s",
			 strerror(-rc));
		goto out;
	}
	rc = svc_sandbox_enter(blk_syscalls, sizeof(blk_syscalls) /
			       sizeof(blk_syscalls[0]));
	if (rc) {
		snprintf(r.text, sizeof(r.text), "cannot sandbox: %s",
			 strerror(-rc));
		goto out;
	}
	r.info.sectors = b->sectors;
	r.info.sector_size = BLK_SECTOR;
	r.info.physical_sector_size = BLK_PAGE;
	r.info.flags = b->flags;
	if (b->flags & BLKBACK_F_READONLY)
		r.info.flags &= ~BLKBACK_F_DISCARD;
	b->flags = r.info.flags;
	r.info.max_indirect_segments = BLK_MAX_INDIRECT_SEGS;
	r.info.discard_granularity = BLK_PAGE;
out:
	r.status = rc;
	svc_ctl_send(b->ctl, &r, sizeof(r));
	return rc;
}

static void do_connect(struct blkback *b, const struct blkback_msg *m,
		       int *fds, unsigned int nfds)
{
	struct blkback_msg r = { .type = BLKBACK_CONNECTED };

	if (nfds != 2) {
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		r.status = -EINVAL;
		snprintf(r.text, sizeof(r.text), "CONNECT needs 2 fds");
	} else {
		r.status = blk_ring_connect(b, m, fds[0], fds[1]);
		if (r.status) {
			close(fds[0]);
			close(fds[1]);
			snprintf(r.text, sizeof(r.text), "cannot map the ring: %s",
				 strerror(-r.status));
		}
	}
	svc_ctl_send(b->ctl, &r, sizeof(r));
	if (!r.status)	/* requests queued before we came */
		blk_ring_poll(b, &b->queues[m->connect.queue]);
}

/* After DISCONNECT, once nothing is in flight. */
static void finish_disconnect(struct blkback *b)
{
	struct blkback_msg r = { .type = BLKBACK_DISCONNECTED };

	blk_ring_disconnect(b);
	svc_ctl_send(b->ctl, &r, sizeof(r));
}

static int serve(struct blkback *b)
{
	for (;;) {
		struct pollfd p[2 + BLKBACK_MAX_QUEUES] = {
			{ .fd = b->ctl, .events = POLLIN },
		};
		struct blkback_msg m;
		unsigned int nfds;
		int fds[4];
		uint64_t cnt;
		ssize_t n;

		blk_ring_push_all(b);	/* what the last pass answered */
		if (b->draining && !b->inflight)
			finish_disconnect(b);

		blk_io_pollfd(b, &p[1]);
		for (unsigned int i = 0; i < BLKBACK_MAX_QUEUES; i++)
			p[2 + i] = (struct pollfd){
				.fd = b->queues[i].connected
					? b->queues[i].notify_fd : -1,
				.events = POLLIN };
		if (poll(p, 2 + BLKBACK_MAX_QUEUES, -1) < 0 && errno != EINTR)
			return 1;
		if (p[1].revents) {
			blk_io_events(b, p[1].revents);
			blk_ring_poll_all(b);	/* slots may have freed */
		}
		for (unsigned int i = 0; i < BLKBACK_MAX_QUEUES; i++) {
			struct blk_queue *q = &b->queues[i];

			if (!(p[2 + i].revents & POLLIN) || !q->connected)
				continue;
			if (read(q->notify_fd, &cnt, sizeof(cnt)) > 0)
				b->stats.kicks_in++;
			blk_ring_poll(b, q);
		}
		blk_ring_push_all(b);
		if (b->draining && !b->inflight)
			finish_disconnect(b);
		if (!(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		n = svc_ctl_recv(b->ctl, &m, sizeof(m), fds, 4, &nfds);
		if (n <= 0) {
			/* pvisord is done with us: give the ring back. */
			blk_ring_disconnect(b);
			return n ? 1 : 0;
		}
		switch (m.type) {
		case BLKBACK_CONNECT:
			do_connect(b, &m, fds, nfds);
			break;
		case BLKBACK_DISCONNECT:
			if (!blk_ring_connected(b)) {
				struct blkback_msg r = {
					.type = BLKBACK_DISCONNECTED };

				svc_ctl_send(b->ctl, &r, sizeof(r));
				break;
			}
			b->draining = true;
			if (!b->inflight)
				finish_disconnect(b);
			break;
		case BLKBACK_STATS: {
			struct blkback_msg r = { .type = BLKBACK_STATS };

			b->stats.broker_batches = b->br.batches;
			b->stats.broker_ops = b->br.ops;
			r.stats = b->stats;

			svc_ctl_send(b->ctl, &r, sizeof(r));
			break;
		}
		default:
			for (unsigned int i = 0; i < nfds; i++)
				close(fds[i]);
			blk_log(b, "unknown control message %u", m.type);
		}
	}
}

int main(int argc, char **argv)
{
	struct blkback b = { .ctl = BLKBACK_CTL_FD, .image = -1, .cq_fd = -1,
			     .br = { .go = -1, .done = -1 } };
	struct blkback_msg m;
	unsigned int nfds;
	struct stat st;
	int fds[4];
	ssize_t n;

	if (argc > 1 || fstat(b.ctl, &st) || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "pvblkback: the block backend pvisord starts "
			"for each virtual disk; not for running by hand\n");
		return 2;
	}
	for (unsigned int i = 0; i < BLKBACK_MAX_QUEUES; i++)
		b.queues[i].notify_fd = b.queues[i].kick_fd = -1;
	signal(SIGPIPE, SIG_IGN);
	n = svc_ctl_recv(b.ctl, &m, sizeof(m), fds, 4, &nfds);
	if (n <= 0 || m.type != BLKBACK_OPEN)
		return 1;
	if (do_open(&b, &m, fds, nfds))
		return 1;
	return serve(&b);
}
