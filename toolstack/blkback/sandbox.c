// SPDX-License-Identifier: MIT
/*
 * What a disk backend may still do once it serves a guest: the file
 * descriptors it holds, memory, io_uring on its one ring, and nothing
 * else. Started by root, it becomes nobody with no capabilities and is
 * not dumpable (so another backend under the same uid cannot ptrace it);
 * then no new privileges, and a seccomp allow-list that kills the
 * process on anything else: no open, no exec, no socket, no kill, no
 * new io_uring (the one it has is restricted to the image).
 */
#include <errno.h>
#include <grp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "blkback.h"

#define NOBODY	65534

static int drop_user(void)
{
	if (geteuid() != 0)
		return 0;	/* started unprivileged: nothing to drop */
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -errno;
	return 0;
}

int blk_sandbox_enter(struct blkback *b)
{
	static const int allowed[] = {
		SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(pread64),
		SCMP_SYS(pwrite64), SCMP_SYS(fdatasync), SCMP_SYS(fallocate),
		SCMP_SYS(readv), SCMP_SYS(writev),
		SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(sendto),
		SCMP_SYS(recvfrom), SCMP_SYS(poll),
		SCMP_SYS(ppoll), SCMP_SYS(close), SCMP_SYS(munmap),
		SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(mremap),
		SCMP_SYS(futex), SCMP_SYS(io_uring_enter), SCMP_SYS(exit),
		SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
		/* The kernel restarts an interrupted poll() through it. */
		SCMP_SYS(restart_syscall),
		SCMP_SYS(rt_sigprocmask), SCMP_SYS(clock_gettime),
		SCMP_SYS(gettid), SCMP_SYS(getpid), SCMP_SYS(fstat),
		SCMP_SYS(newfstatat), SCMP_SYS(lseek),
	};
	scmp_filter_ctx ctx;
	int rc;

	rc = drop_user();
	if (rc)
		return rc;
	if (prctl(PR_SET_DUMPABLE, 0) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	rc = 0;
	for (size_t i = 0; !rc && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	/* Memory, never executable: no new code in this process. */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	(void)b;
	return rc;
}
