// SPDX-License-Identifier: MIT
/*
 * blkbench: block I/O at a chosen queue depth, for make bench
 * (bench/block.sh), the same static binary in the guest (on /dev/xvda)
 * and on the host (on the image file): no fio in the guest's initramfs.
 *
 *   blkbench DEVICE read|write|randread|randwrite BS QD SECONDS [buffered]
 *
 * Linux AIO (io_submit), O_DIRECT unless "buffered" (tmpfs has no
 * O_DIRECT). Prints "BLKBENCH ops=N bytes=B secs=S iops=I mibps=M".
 */
#define _GNU_SOURCE	/* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#define MAX_QD	64

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t rnd(void)
{
	static uint64_t x = 88172645463325252ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

int main(int argc, char **argv)
{
	struct iocb cbs[MAX_QD], *cbp[MAX_QD];
	struct io_event ev[MAX_QD];
	aio_context_t ctx = 0;
	uint64_t size, next = 0, ops = 0, nblocks;
	unsigned int bs, qd;
	double secs, t0, until;
	bool rd, rnd_pos, direct;
	struct stat st;
	char *buf;
	int fd, inflight = 0;

	if (argc < 6) {
		fprintf(stderr, "usage: blkbench DEV read|write|randread|randwrite "
			"BS QD SECONDS [buffered]\n");
		return 2;
	}
	rd = strstr(argv[2], "read") != NULL;
	rnd_pos = !strncmp(argv[2], "rand", 4);
	bs = (unsigned int)atoi(argv[3]);
	qd = (unsigned int)atoi(argv[4]);
	secs = atof(argv[5]);
	direct = !(argc > 6 && !strcmp(argv[6], "buffered"));
	if (!bs || bs % 512 || !qd || qd > MAX_QD || secs <= 0)
		return 2;
	fd = open(argv[1], (rd ? O_RDONLY : O_RDWR) | (direct ? O_DIRECT : 0));
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
		return 1;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size))
			return 1;
	} else {
		size = (uint64_t)st.st_size;
	}
	nblocks = size / bs;
	if (!nblocks || posix_memalign((void **)&buf, 4096, (size_t)bs * qd))
		return 1;
	memset(buf, 0x5a, (size_t)bs * qd);
	memset(cbs, 0, sizeof(cbs));
	if (syscall(SYS_io_setup, qd, &ctx)) {
		perror("io_setup");
		return 1;
	}
	t0 = now();
	until = t0 + secs;
	for (;;) {
		bool more = now() < until;
		int n;

		while (more && inflight < (int)qd) {
			unsigned int slot;

			/* a free slot: the one whose event came back last */
			for (slot = 0; slot < qd; slot++)
				if (!cbs[slot].aio_data)
					break;
			memset(&cbs[slot], 0, sizeof(cbs[slot]));
			cbs[slot].aio_fildes = (uint32_t)fd;
			cbs[slot].aio_lio_opcode = rd ? IOCB_CMD_PREAD
						      : IOCB_CMD_PWRITE;
			cbs[slot].aio_buf = (uint64_t)(uintptr_t)(buf +
						(size_t)slot * bs);
			cbs[slot].aio_nbytes = bs;
			cbs[slot].aio_offset = (int64_t)((rnd_pos ? rnd() % nblocks
							 : next++ % nblocks) * bs);
			cbs[slot].aio_data = slot + 1;
			cbp[0] = &cbs[slot];
			if (syscall(SYS_io_submit, ctx, 1, cbp) != 1) {
				perror("io_submit");
				return 1;
			}
			inflight++;
		}
		if (!inflight)
			break;
		n = (int)syscall(SYS_io_getevents, ctx, 1, inflight, ev, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("io_getevents");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			if ((int64_t)ev[i].res != (int64_t)bs) {
				fprintf(stderr, "blkbench: I/O returned %lld\n",
					(long long)ev[i].res);
				return 1;
			}
			cbs[ev[i].data - 1].aio_data = 0;
			inflight--;
			ops++;
		}
	}
	secs = now() - t0;
	printf("BLKBENCH ops=%llu bytes=%llu secs=%.3f iops=%.0f mibps=%.1f\n",
	       (unsigned long long)ops, (unsigned long long)ops * bs, secs,
	       ops / secs, ops * (double)bs / secs / 1048576.0);
	return 0;
}
