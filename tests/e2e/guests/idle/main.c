/* SPDX-License-Identifier: MIT */
/*
 * idle: a long-running guest for end-to-end tests of the toolstack. It
 * prints a banner, then does what its command line says: "crash" takes
 * an unhandled fault, "poweroff"/"reboot" shut down with that reason,
 * anything else blocks forever (the operator destroys it).
 */
#include <pvabi/sched.h>

#include <pvguest/pvguest.h>

static bool cmdline_has(const struct start_info *si, const char *word)
{
	const char *p = (const char *)si->cmd_line;
	size_t n = strlen(word);

	for (; *p; p++)
		if (!strncmp(p, word, n))
			return true;
	return false;
}

void guest_main(struct start_info *si)
{
	struct sched_shutdown sd = { .reason = SHUTDOWN_reboot };

	printk("idle: up, %lu pages, cmdline \"%s\"\n", si->nr_pages,
	       (const char *)si->cmd_line);
	if (cmdline_has(si, "crash"))
		asm volatile("ud2");	/* no trap table: pvisor ends us */
	if (cmdline_has(si, "poweroff"))
		guest_poweroff();
	if (cmdline_has(si, "reboot"))
		HYPERVISOR_sched_op(SCHEDOP_shutdown, &sd);
	for (;;)
		HYPERVISOR_sched_op(SCHEDOP_block, NULL);
}
