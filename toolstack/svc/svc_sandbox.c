// SPDX-License-Identifier: MIT
/*
 * What a service may still do once it serves a guest: the file
 * descriptors it holds, memory, and what its caller adds, nothing else.
 * Started by root, it becomes nobody with no capabilities and is not
 * dumpable (so another service under the same uid cannot ptrace it);
 * then no new privileges, and a seccomp allow-list that kills the
 * process on anything else: no open, no exec, no socket, no kill.
 */
#include <errno.h>
#include <grp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "svc.h"

#define SVC_NOBODY	65534

static int drop_user(void)
{
	if (geteuid() != 0)
		return 0;	/* started unprivileged: nothing to drop */
	if (setgroups(0, NULL) || setresgid(SVC_NOBODY, SVC_NOBODY, SVC_NOBODY) ||
	    setresuid(SVC_NOBODY, SVC_NOBODY, SVC_NOBODY))
		return -errno;
	return 0;
}

/* Every service: I/O on what it holds, its control socket, memory,
 * waiting, exiting, and what libc does on its own. */
static const int svc_common[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(sendto),
	SCMP_SYS(recvfrom), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(close), SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(brk),
	SCMP_SYS(mremap), SCMP_SYS(futex), SCMP_SYS(exit),
	SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
	/* The kernel restarts an interrupted poll() through it. */
	SCMP_SYS(restart_syscall),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(clock_gettime),
	SCMP_SYS(gettid), SCMP_SYS(getpid), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(lseek),
};

static int add_extra(scmp_filter_ctx ctx, const struct svc_syscall *s)
{
	if (!s->has_arg)
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, s->nr, 0);
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, s->nr, 1,
				SCMP_CMP(s->arg, SCMP_CMP_EQ, s->val));
}

int svc_sandbox_enter(const struct svc_syscall *extra, size_t n)
{
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
	for (size_t i = 0; !rc && i < sizeof(svc_common) / sizeof(svc_common[0]);
	     i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, svc_common[i], 0);
	for (size_t i = 0; !rc && i < n; i++)
		rc = add_extra(ctx, &extra[i]);
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
	return rc;
}
