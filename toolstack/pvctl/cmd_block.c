// SPDX-License-Identifier: MIT
/*
 * Disks from the command line: the image of each is opened here, with
 * the caller's rights and the access the disk asks for, and passed to
 * pvisord as a descriptor with a canonical spec naming it.
 *   pvctl block-attach DOMAIN DISKSPEC   hot-plug a disk
 * (block-detach and block-list are plain requests: cmd_domain.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvconfig.h"
#include "pvctl.h"

int pvctl_open_disk(const struct cfg_disk *d, int *fd, char **canon)
{
	char real[PATH_MAX];
	struct stat st;

	*fd = -1;
	if (!d->target[0]) {
		fprintf(stderr, "pvctl: %s: an empty drive (no target) is not "
			"supported yet\n", d->vdev);
		return -1;
	}
	*fd = open(d->target, (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC |
		   O_NOCTTY | O_NONBLOCK);
	if (*fd < 0 || fstat(*fd, &st)) {
		fprintf(stderr, "pvctl: %s: cannot open '%s'%s: %s\n", d->vdev,
			d->target, d->readonly ? "" : " for writing",
			strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "pvctl: %s: '%s' is neither a file nor a block "
			"device\n", d->vdev, d->target);
		return -1;
	}
	if (st.st_size < 512 && S_ISREG(st.st_mode)) {
		fprintf(stderr, "pvctl: %s: '%s' is empty (%lld bytes)\n",
			d->vdev, d->target, (long long)st.st_size);
		return -1;
	}
	/* The descriptor stays non-blocking for nothing: clear it. */
	fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK);
	if (!realpath(d->target, real)) {
		fprintf(stderr, "pvctl: %s: '%s': %s\n", d->vdev, d->target,
			strerror(errno));
		return -1;
	}
	if (asprintf(canon, "disk=format=%s,vdev=%s,access=%s,devtype=%s,%s,"
		     "target=%s", cfg_disk_format_name(d->format), d->vdev,
		     d->readonly ? "ro" : "rw",
		     d->cdrom ? "cdrom" : "disk",
		     d->discard ? "discard" : "no-discard", real) < 0)
		return -1;
	return 0;
}

int cmd_block_attach(int argc, char **argv)
{
	struct cfg_disk d;
	char err[512], *req[3];
	int fd, rc;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: pvctl block-attach DOMAIN DISKSPEC\n\n"
		       "Hot-plug a disk into a running domain. DISKSPEC as in a "
		       "config file's disk list\n(xl-disk-configuration): e.g. "
		       "'/srv/data.img,raw,xvdb,rw' or\n'vdev=xvdc,access=ro,"
		       "target=/srv/iso.img'. The image is opened here, with "
		       "your rights.\n");
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: pvctl block-attach DOMAIN DISKSPEC\n");
		return 2;
	}
	if (cfg_parse_disk(argv[2], &d, err, sizeof(err))) {
		fprintf(stderr, "pvctl block-attach: '%s': %s\n", argv[2], err);
		return 1;
	}
	if (pvctl_open_disk(&d, &fd, &req[2]))
		return 1;
	req[0] = "block-attach";
	req[1] = argv[1];
	rc = pvctl_request_fds(3, req, &fd, 1, true);
	free(req[2]);
	close(fd);
	return rc;
}
