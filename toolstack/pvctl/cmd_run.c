// SPDX-License-Identifier: MIT
/*
 * pvctl run: build one PV domain from a kernel image and run it in the
 * foreground, console on stdout. The exit status reports how the guest
 * ended: 0 poweroff, 1 crash (or pvisor ended it), 2 usage, 3 reboot,
 * 4 other shutdown reasons.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pvabi/sched.h>

#include "pvisor/domain.h"
#include "pvisor/hvm.h"
#include "pvisor/hypercall.h"
#include "pvisor/loader.h"
#include "pvisor/log.h"
#include "pvconfig.h"
#include "pvctl.h"
#include "pvisor/pv_layout.h"
#include "run_console.h"
#include "evtchn_echo.h"
#include "test_service.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: pvctl run --kernel FILE [--ramdisk FILE] [--cmdline STR]\n"
		"                 [--type pv|pvh|hvm] [--memory MiB] [--vcpus N]\n"
		"                 [--stats] [--debug]\n"
		"                 [--test-service NAME] [--evtchn-echo]\n\n"
		"Run one kernel in the foreground, without pvisord: PV (the\n"
		"default), PVH (XEN_ELFNOTE_PHYS32_ENTRY; console the PV ring,\n"
		"hvc0, and console_io) or HVM (a bzImage booted directly on\n"
		"an emulated PC; console on its serial port, ttyS0). PVH and\n"
		"HVM need VT-x/AMD-V. The guest console goes to stdout, stdin\n"
		"to the guest. Exit status: 0 poweroff, 1 crash, 2 usage\n"
		"error, 3 reboot, 4 other shutdown.\n");
}

static void console_to_stdout(struct domain *d, const char *buf, size_t len,
			      void *opaque)
{
	(void)d;
	(void)opaque;
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
}

static void print_stats(struct domain *d)
{
	struct vcpu_stats t = { 0 };

	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		const struct vcpu_stats *s = &d->vcpus[i]->stats;

		t.exits += s->exits;
		t.user_syscalls += s->user_syscalls;
		t.upcalls += s->upcalls;
		t.kicks += s->kicks;
		t.stub_kicks += s->stub_kicks;
		t.forged_doorbells += s->forged_doorbells;
		t.remote_flushes += s->remote_flushes;
		t.emulated += s->emulated;
		t.bounces += s->bounces;
		t.hypercalls_bad += s->hypercalls_bad;
		t.pt_flushes += s->pt_flushes;
		t.pt_touches += s->pt_touches;
		t.ptwr += s->ptwr;
		for (int n = 0; n < STATS_NR_HYPERCALLS; n++)
			t.hypercalls[n] += s->hypercalls[n];
		for (int n = 0; n < 32; n++)
			t.traps[n] += s->traps[n];
	}
	if (t.remote_flushes)
		fprintf(stderr, "  remote TLB flushes run in the VM %llu\n",
			(unsigned long long)t.remote_flushes);
	fprintf(stderr, "exits %llu: user-syscalls %llu upcalls %llu kicks %llu "
		"emulated %llu bounces %llu\n",
		(unsigned long long)t.exits, (unsigned long long)t.user_syscalls,
		(unsigned long long)t.upcalls, (unsigned long long)t.kicks,
		(unsigned long long)t.emulated, (unsigned long long)t.bounces);
	if (t.stub_kicks || t.forged_doorbells)
		fprintf(stderr, "  kicks inside an entry stub %llu, exit page "
			"touched by guest code %llu\n",
			(unsigned long long)t.stub_kicks,
			(unsigned long long)t.forged_doorbells);
	/* The in-VM page-table writer's runs are exits too. */
	fprintf(stderr, "  page tables: writer runs %llu, entries replayed %llu, "
		"ptwr emulated %llu\n", (unsigned long long)t.pt_flushes,
		(unsigned long long)t.pt_touches, (unsigned long long)t.ptwr);
	for (int n = 0; n < STATS_NR_HYPERCALLS; n++)
		if (t.hypercalls[n])
			fprintf(stderr, "  hypercall %-18s %llu\n",
				hypercall_name(n),
				(unsigned long long)t.hypercalls[n]);
	for (int n = 0; n < 32; n++)
		if (t.traps[n])
			fprintf(stderr, "  trap vector %-12d %llu\n", n,
				(unsigned long long)t.traps[n]);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "ramdisk", required_argument, NULL, 'r' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "vcpus", required_argument, NULL, 'v' },
		{ "type", required_argument, NULL, 't' },
		{ "stats", no_argument, NULL, 's' },
		{ "debug", no_argument, NULL, 'd' },
		{ "test-service", required_argument, NULL, 'T' },
		{ "evtchn-echo", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *kernel = NULL, *ramdisk = NULL, *why = NULL;
	struct run_console con;
	struct pv_layout layout;
	struct pv_boot_image img = { .cmdline = "" };
	struct domain_config cfg = {
		.name = "run", .memory_mb = 64, .vcpus = 1,
		.console_sink = console_to_stdout,
	};
	struct plat_info host;
	struct domain *d = NULL;
	enum cfg_type type = CFG_TYPE_PV;
	struct pvh_layout pvh_layout;
	struct hvm_layout hvm_layout;
	const char *no;
	bool pvh;
	bool stats = false;
	const char *service = NULL;	/* --test-service: see test_service.h */
	pid_t service_pid = 0;
	struct evtchn_echo *echo = NULL;	/* --evtchn-echo */
	bool want_echo = false;
	char echo_cmdline[1100];
	enum domain_state state;
	char *end;
	int c, rc, status;

	while ((c = getopt_long(argc, argv, "k:r:c:m:v:sdh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			kernel = optarg;
			break;
		case 'r':
			ramdisk = optarg;
			break;
		case 'c':
			img.cmdline = optarg;
			if (strlen(optarg) >= 1024) {
				fprintf(stderr, "pvctl run: --cmdline longer than "
					"1023 bytes\n");
				return 2;
			}
			break;
		case 'm':
			errno = 0;
			cfg.memory_mb = strtoull(optarg, &end, 10);
			if (errno || *end || cfg.memory_mb < 4 ||
			    cfg.memory_mb > CONFIG_MAX_DOMAIN_MEMORY_MB) {
				fprintf(stderr, "pvctl run: --memory '%s' is not "
					"a size in MiB between 4 and %d\n",
					optarg, CONFIG_MAX_DOMAIN_MEMORY_MB);
				return 2;
			}
			break;
		case 'v':
			errno = 0;
			cfg.vcpus = strtoul(optarg, &end, 10);
			if (errno || *end || cfg.vcpus < 1 ||
			    cfg.vcpus > CONFIG_MAX_VCPUS) {
				fprintf(stderr, "pvctl run: --vcpus '%s' is not "
					"between 1 and %d\n", optarg,
					CONFIG_MAX_VCPUS);
				return 2;
			}
			break;
		case 't':
			if (cfg_type_parse(optarg, &type)) {
				fprintf(stderr, "pvctl run: --type '%s' is not "
					"pv, pvh or hvm\n", optarg);
				return 2;
			}
			break;
		case 's':
			stats = true;
			break;
		case 'd':	/* debug log: the builder's layout, ... */
			pv_log_set_level(LOG_DEBUG);
			break;
		case 'E':
			want_echo = true;
			break;
		case 'T':
			service = optarg;
			if (!test_service_valid(service)) {
				fprintf(stderr, "pvctl run: no test service "
					"'%s' (known: grants)\n", service);
				return 2;
			}
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			run_usage(stderr);
			return 2;
		}
	}
	if (!kernel || optind != argc) {
		run_usage(stderr);
		return 2;
	}
	/* The same numbering (pvconfig.h, domain.h). */
	_Static_assert((int)CFG_TYPE_PVH == (int)DOMAIN_TYPE_PVH &&
		       (int)CFG_TYPE_HVM == (int)DOMAIN_TYPE_HVM,
		       "cfg_type and domain_type differ");
	cfg.type = (enum domain_type)type;
	pvh = type == CFG_TYPE_PVH;
	no = hvm_refusal(cfg.type, NULL);
	if (no) {
		fprintf(stderr, "pvctl run: %s\n", no);
		return 1;
	}
	if (type != CFG_TYPE_PV && (service || want_echo)) {
		fprintf(stderr, "pvctl run: --test-service and --evtchn-echo "
			"need event channels, which PVH and HVM guests do not "
			"have yet\n");
		return 2;
	}
	img.kernel = read_file(kernel, &img.kernel_len);
	if (!img.kernel) {
		fprintf(stderr, "pvctl run: cannot read kernel %s: %s\n", kernel,
			strerror(errno));
		return 2;
	}
	if (ramdisk) {
		img.ramdisk = read_file(ramdisk, &img.ramdisk_len);
		if (!img.ramdisk) {
			fprintf(stderr, "pvctl run: cannot read ramdisk %s: %s\n",
				ramdisk, strerror(errno));
			return 2;
		}
	}

	if (plat_probe(&host)) {
		fprintf(stderr, "pvctl run: KVM unavailable: %s\n", host.reason);
		return 1;
	}
	no = hvm_refusal(cfg.type, &host);
	if (no) {
		fprintf(stderr, "pvctl run: cannot run a %s guest here: %s\n",
			cfg_type_name(type), no);
		return 1;
	}
	no = hvm_config_problem(&cfg);
	if (no) {
		fprintf(stderr, "pvctl run: %s\n", no);
		return 2;
	}
	rc = domain_create(&cfg, &host, &d);
	if (rc) {
		fprintf(stderr, "pvctl run: cannot create domain: %s\n",
			strerror(-rc));
		return 1;
	}
	if (want_echo) {
		evtchn_port_t port;

		rc = evtchn_echo_start(d, &echo, &port);
		if (rc) {
			fprintf(stderr, "pvctl run: cannot start the event "
				"channel echo: %s\n", strerror(-rc));
			domain_destroy(d);
			return 1;
		}
		/* The guest learns its port from the command line. */
		snprintf(echo_cmdline, sizeof(echo_cmdline), "%s%sevtchn_echo=%u",
			 img.cmdline, img.cmdline[0] ? " " : "", port);
		img.cmdline = echo_cmdline;
	}
	if (type == CFG_TYPE_HVM) {
		rc = hvm_build(d, &img, &hvm_layout, &why);
		if (!rc)
			rc = run_console_start_serial(&con, d);
		if (rc) {
			fprintf(stderr, "pvctl run: cannot load %s: %s\n",
				kernel, why ? why : strerror(-rc));
			domain_destroy(d);
			return 1;
		}
		goto start;
	}
	rc = run_console_prepare(&con, d);
	if (rc) {
		fprintf(stderr, "pvctl run: cannot set up the console channel: "
			"%s\n", strerror(-rc));
		domain_destroy(d);
		return 1;
	}
	img.console_evtchn = con.ch.guest_port;
	if (pvh) {
		/* The console ring as an HVM parameter; no xenstore here. */
		rc = pvh_build(d, &img, &pvh_layout, &why);
		if (!rc)
			rc = run_console_start(&con, pvh_layout.console_pfn);
	} else {
		img.layout = &layout;
		rc = pv_build(d, &img, &why);
		if (!rc)
			rc = run_console_start(&con, layout.console_pfn);
	}
	if (rc) {
		fprintf(stderr, "pvctl run: cannot load %s: %s\n", kernel,
			why ? why : strerror(-rc));
		run_console_stop(&con);
		domain_destroy(d);
		return 1;
	}
	if (service) {
		service_pid = test_service_start(service, d);
		if (service_pid < 0) {
			fprintf(stderr, "pvctl run: cannot start test service "
				"%s: %s\n", service, strerror((int)-service_pid));
			domain_destroy(d);
			return 1;
		}
	}
start:
	rc = domain_start(d);
	state = domain_wait(d);
	run_console_stop(&con);	/* the PV ring (PV, PVH) or HVM serial */
	if (test_service_stop(service_pid))
		fprintf(stderr, "pvctl run: test service %s failed\n", service);
	if (echo) {
		unsigned long n = evtchn_echo_stop(echo);

		if (stats)
			fprintf(stderr, "evtchn echo: %lu notifications\n", n);
	}
	if (stats)
		print_stats(d);
	if (state == DOMAIN_CRASHED)
		status = 1;
	else if (d->shutdown_reason == SHUTDOWN_poweroff)
		status = 0;
	else if (d->shutdown_reason == SHUTDOWN_reboot)
		status = 3;
	else if (d->shutdown_reason == SHUTDOWN_crash)
		status = 1;
	else
		status = 4;
	if (state == DOMAIN_SHUTDOWN && d->shutdown_reason == SHUTDOWN_crash)
		fprintf(stderr, "pvctl run: guest reported a crash\n");
	domain_destroy(d);
	free((void *)img.kernel);
	free((void *)img.ramdisk);
	return rc ? 1 : status;
}
