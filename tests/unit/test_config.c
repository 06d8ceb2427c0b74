// SPDX-License-Identifier: MIT
/* xl.cfg-style domain configuration: syntax, validation, bad input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pvconfig.h"

static struct cfg_domain d;
static char err[512];

static int load(const char *text, const char *const *ov, int nov)
{
	return cfg_load_buf("t.cfg", text, strlen(text), ov, nov, &d, err,
			    sizeof(err));
}

#define BAD(text, msg) do {						\
	assert_int_equal(load(text, NULL, 0), -EINVAL);			\
	if (!strstr(err, msg))						\
		fail_msg("error '%s' lacks '%s'", err, msg);		\
} while (0)

static void full_example(void **state)
{
	static const char cfg[] =
		"# a PV guest\n"
		"name = \"guest-1\"\n"
		"kernel = '/boot/vmlinuz'   # comment after a value\n"
		"ramdisk = \"/boot/initrd.img\"\n"
		"root = '/dev/xvda1'; extra = \"console=hvc0 nr_cpus=2\"\n"
		"memory = 512\n"
		"maxmem = 1024\n"
		"vcpus = 2\n"
		"console_log_max = 64\n"
		"on_poweroff = 'destroy'\n"
		"on_reboot = 'restart'\n"
		"on_crash = 'coredump-restart'\n"
		"disk = [ 'phy:/dev/vg/guest,xvda,w',\n"
		"         '/root/cd.iso,,hdc,cdrom',\n"
		"         'format=qcow2, vdev=xvdb, access=ro, target=/img/a,b.q2',\n"
		"       ]\n"
		"vif = [ 'mac=00:16:3e:01:02:03, bridge=br0, ip=10.0.0.2',\n"
		"        'bridge=br1,model=e1000,devid=5' ]\n"
		"unknown_key = 1\n";

	assert_int_equal(load(cfg, NULL, 0), 0);
	assert_string_equal(d.name, "guest-1");
	assert_string_equal(d.kernel, "/boot/vmlinuz");
	assert_string_equal(d.ramdisk, "/boot/initrd.img");
	assert_string_equal(d.cmdline, "root=/dev/xvda1 console=hvc0 nr_cpus=2");
	assert_int_equal(d.memory_mb, 512);
	assert_int_equal(d.maxmem_mb, 1024);
	assert_int_equal(d.vcpus, 2);
	assert_int_equal(d.console_log_max_kb, 64);
	assert_int_equal(d.on_crash, CFG_ACT_COREDUMP_RESTART);
	assert_int_equal(d.ndisks, 3);
	assert_string_equal(d.disks[0].target, "/dev/vg/guest");
	assert_string_equal(d.disks[0].vdev, "xvda");
	assert_int_equal(d.disks[0].vdev_num, 51712);
	assert_false(d.disks[0].readonly);
	assert_true(d.disks[1].cdrom);
	assert_true(d.disks[1].readonly);
	assert_string_equal(d.disks[1].vdev, "hdc");
	assert_int_equal(d.disks[1].vdev_num, (22 << 8));
	assert_string_equal(d.disks[2].target, "/img/a,b.q2");
	assert_int_equal(d.disks[2].format, CFG_FMT_QCOW2);
	assert_true(d.disks[2].readonly);
	assert_int_equal(d.nvifs, 2);
	assert_true(d.vifs[0].has_mac);
	assert_int_equal(d.vifs[0].mac[5], 3);
	assert_string_equal(d.vifs[0].bridge, "br0");
	assert_string_equal(d.vifs[0].ip, "10.0.0.2");
	assert_int_equal(d.vifs[0].devid, 0);
	assert_int_equal(d.vifs[1].devid, 5);
	assert_string_equal(d.vifs[1].model, "e1000");
}

static void defaults_and_overrides(void **state)
{
	const char *ov[] = { "memory=256", "name = 'other'", "vcpus=4",
			     "extra+=' quiet'" };

	assert_int_equal(load("name='a'\nkernel='k'\nextra='x'\n", NULL, 0), 0);
	assert_int_equal(d.memory_mb, 128);
	assert_int_equal(d.maxmem_mb, 128);
	assert_int_equal(d.vcpus, 1);
	assert_int_equal(d.on_poweroff, CFG_ACT_DESTROY);
	assert_int_equal(d.on_reboot, CFG_ACT_RESTART);
	assert_int_equal(d.on_crash, CFG_ACT_DESTROY);
	assert_string_equal(d.cmdline, "x");
	assert_int_equal(load("name='a'\nkernel='k'\nextra='x'\n", ov, 4), 0);
	assert_int_equal(d.memory_mb, 256);
	assert_int_equal(d.maxmem_mb, 256);
	assert_string_equal(d.name, "other");
	assert_int_equal(d.vcpus, 4);
	assert_string_equal(d.cmdline, "x quiet");
	/* cmdline wins over root/extra; later settings win; strings as
	 * numbers; hex numbers. */
	assert_int_equal(load("name='a';kernel='k';cmdline='c';extra='x'\n"
			      "memory=\"64\"\nmemory=0x100", NULL, 0), 0);
	assert_string_equal(d.cmdline, "c");
	assert_int_equal(d.memory_mb, 256);
	/* Escapes in double quotes; none in single quotes. */
	assert_int_equal(load("name='a'\nkernel=\"/k\\x41\\\"\"\n"
			      "ramdisk='a\\n'", NULL, 0), 0);
	assert_string_equal(d.kernel, "/kA\"");
	assert_string_equal(d.ramdisk, "a\\n");
	/* Lists append with +=. */
	assert_int_equal(load("name='a'\nkernel='k'\ndisk=['/a,,xvda']\n"
			      "disk+=['/b,,xvdb']", NULL, 0), 0);
	assert_int_equal(d.ndisks, 2);
}

static void syntax_errors(void **state)
{
	BAD("name='a'\nkernel='k'\nmemory=\n", "t.cfg:3: missing value");
	BAD("name='a\nkernel='k'\n", "t.cfg:1: unterminated string");
	BAD("name=a\n", "t.cfg:1: unexpected 'a'");
	BAD("name='a' 'b'\n", "unexpected text after the value");
	BAD("= 'a'\n", "expected a setting name");
	BAD("name 'a'\n", "expected '=' after 'name'");
	BAD("disk=[ '/a,,xvda'\n", "unterminated list");
	BAD("disk=[ ['x'] ]\n", "nested lists");
	BAD("disk=[ 'a' 'b' ]\n", "expected ',' or ']'");
	BAD("memory=12abc\n", "bad number");
	BAD("name=\"\\q\"\n", "unknown escape");
	BAD("name=\"\\x00\"\n", "bad \\x escape");
	{
		char nul[] = "name='a\0b'\n";

		assert_int_equal(cfg_load_buf("t.cfg", nul, sizeof(nul) - 1,
					      NULL, 0, &d, err, sizeof(err)),
				 -EINVAL);
	}
	{
		const char *ov[] = { "memory" };

		assert_int_equal(load("name='a'\nkernel='k'\n", ov, 1), -EINVAL);
		assert_non_null(strstr(err, "<command line>"));
	}
}

static void semantic_errors(void **state)
{
	BAD("kernel='k'\n", "name is required");
	BAD("name='a'\n", "kernel is required");
	BAD("name='a/b'\nkernel='k'\n", "t.cfg:1: name: 'a/b' is not a valid");
	BAD("name='123'\nkernel='k'\n", "not a valid name");
	BAD("name=1\nkernel='k'\n", "t.cfg:1: name: expected a quoted string");
	BAD("name='a'\nkernel='k'\nmemory=0\n", "t.cfg:3: memory: 0 out of range");
	BAD("name='a'\nkernel='k'\nmemory=99999999999999999999\n",
	    "memory: expected a number");
	BAD("name='a'\nkernel='k'\nmemory=256\nmaxmem=128\n",
	    "t.cfg:4: maxmem: 128 MiB is less than memory");
	BAD("name='a'\nkernel='k'\nvcpus=0\n", "vcpus: 0 out of range");
	BAD("name='a'\nkernel='k'\nconsole_log_max=2\n",
	    "console_log_max: 2 out of range");
	BAD("name='a'\nkernel='k'\nvcpus=['1']\n", "vcpus: expected");
	BAD("name='a'\nkernel='k'\non_crash='explode'\n",
	    "t.cfg:3: on_crash: unknown action 'explode'");
	BAD("name='a'\nkernel='k'\non_reboot='soft-reset'\n", "unknown action");
	BAD("name='a'\nkernel='k'\ndisk='/a,,xvda'\n", "disk: expected a list");
	BAD("name='a'\nkernel='k'\ndisk=[1]\n", "item 1: expected a quoted");
	BAD("name='a'\nkernel='k'\ndisk=['/a,,xvda','/b,,xvda']\n",
	    "item 2: vdev xvda used twice");
	BAD("name='a'\nkernel='k'\nvif=['mac=01:00:00:00:00:01']\n",
	    "multicast");
	BAD("name='a'\nkernel='k'\nvif=['bridge=br0','devid=0']\n",
	    "devid 0 used twice");
	BAD("name='a'\nkernel='k'\nvif=['bridg=br0']\n",
	    "t.cfg:3: vif: item 1: unknown vif parameter 'bridg'");
	{
		const char *ov[] = { "memory=0" };

		assert_int_equal(load("name='a'\nkernel='k'\n", ov, 1), -EINVAL);
		assert_string_equal(err, "<command line>: memory: 0 out of "
				    "range 1..1048576");
	}
}

static void disks(void **state)
{
	struct cfg_disk k;
	char e[256];

	assert_int_equal(cfg_parse_disk("/dev/vg/g,,hda", &k, e, sizeof(e)), 0);
	assert_int_equal(k.vdev_num, 3 << 8);
	assert_int_equal(cfg_parse_disk("/dev/vg/g,raw,hda,rw", &k, e,
					sizeof(e)), 0);
	assert_int_equal(cfg_parse_disk("raw:/dev/vg/g,hda,w", &k, e,
					sizeof(e)), 0);
	assert_string_equal(k.target, "/dev/vg/g");
	assert_int_equal(cfg_parse_disk("raw:/root/i.iso,hdc:cdrom,ro", &k, e,
					sizeof(e)), 0);
	assert_true(k.cdrom);
	assert_true(k.readonly);
	assert_int_equal(cfg_parse_disk("vdev=xvdc,devtype=cdrom", &k, e,
					sizeof(e)), 0);	/* empty cdrom */
	assert_int_equal(cfg_parse_disk("sdb1, vdev=xvdq", &k, e, sizeof(e)),
			 0);
	assert_string_equal(k.target, "/dev/sdb1");
	assert_int_equal(k.vdev_num, (1u << 28) | (16 << 8));
	assert_int_equal(cfg_parse_disk("/a,,xvda1", &k, e, sizeof(e)), 0);
	assert_int_equal(k.vdev_num, 51713);
	assert_int_equal(cfg_parse_disk("/a,,d3p2", &k, e, sizeof(e)), 0);
	assert_int_equal(k.vdev_num, (202 << 8) | (3 << 4) | 2);

	assert_int_equal(cfg_parse_disk("/a", &k, e, sizeof(e)), -EINVAL);
	assert_non_null(strstr(e, "no vdev"));
	assert_int_equal(cfg_parse_disk(",,xvda", &k, e, sizeof(e)), -EINVAL);
	assert_non_null(strstr(e, "no target"));
	assert_int_equal(cfg_parse_disk("/a,iso9660,xvda", &k, e, sizeof(e)),
			 -EINVAL);
	/* Beyond xl's formats: what qemu-storage-daemon reads for us. */
	assert_int_equal(cfg_parse_disk("/a,vmdk,xvda", &k, e, sizeof(e)), 0);
	assert_int_equal(k.format, CFG_FMT_VMDK);
	assert_string_equal(cfg_disk_format_name(k.format), "vmdk");
	assert_int_equal(cfg_parse_disk("format=vdi,vdev=xvdb,target=/a", &k,
					e, sizeof(e)), 0);
	assert_int_equal(k.format, CFG_FMT_VDI);
	assert_int_equal(cfg_parse_disk("/a,,xvda,rx", &k, e, sizeof(e)),
			 -EINVAL);
	assert_int_equal(cfg_parse_disk("/a,,floppy0", &k, e, sizeof(e)),
			 -EINVAL);
	assert_int_equal(cfg_parse_disk("/a,,xvda,rw,extra", &k, e, sizeof(e)),
			 -EINVAL);
	assert_int_equal(cfg_parse_disk("/a,vdev=xvda,vdev=xvdb", &k, e,
					sizeof(e)), -EINVAL);
	assert_int_equal(cfg_parse_disk("/a,,xvda,colour=red", &k, e,
					sizeof(e)), -EINVAL);
	assert_int_equal(cfg_parse_disk("nbd:/x,xvda", &k, e, sizeof(e)),
			 -EINVAL);
	assert_int_equal(cfg_parse_disk("/a,,xvda0", &k, e, sizeof(e)),
			 -EINVAL);
	assert_int_equal(cfg_parse_disk("/a,,hdz", &k, e, sizeof(e)), -EINVAL);
}

/* rate=: xl's units and libxl's bytes-per-interval arithmetic. */
static void vif_rates(void **state)
{
	static const struct {
		const char *rate;
		uint64_t bytes;
		uint32_t usec;
	} good[] = {
		{ "10Mb/s@20ms", 25000, 20000 },	/* 1.25 MB/s */
		{ "1MB/s", 50000, 50000 },		/* powers of 1000; 50ms */
		{ "100KB/s@1s", 100000, 1000000 },
		{ "1GB/s@100us", 100000, 100 },
		{ "1Gb/s", 6250000, 50000 },
		{ "5MB/s@20m", 100000, 20000 },		/* the "s" may go */
		{ "8b/s@1", 1, 1000000 },		/* no unit: seconds */
		/* the largest both: the product just fits in 64 bits */
		{ "4294967295B/s@4294967295us", 18446744065119ull,
		  4294967295u },
	};
	static const struct {
		const char *rate, *msg;
	} bad[] = {
		{ "", "expected RATE[@INTERVAL]" },
		{ "10MB", "expected RATE[@INTERVAL]" },
		{ "10mb/s", "expected RATE[@INTERVAL]" },
		{ "10 MB/s", "expected RATE[@INTERVAL]" },
		{ "10MB/sx", "expected RATE[@INTERVAL]" },
		{ "-1MB/s", "expected RATE[@INTERVAL]" },
		{ "0MB/s", "is zero" },
		{ "4294967296B/s", "number too large" },
		{ "99999999999999999999999B/s", "number too large" },
		{ "1b/s", "less than a byte per second" },
		{ "1B/s@1us", "less than a byte per interval" },
		{ "10MB/s@", "interval '' is not a number" },
		{ "10MB/s@20ms@3", "interval '20ms@3' is not" },
		{ "10MB/s@20ns", "is not a number and s, ms or us" },
		{ "10MB/s@0ms", "zero interval" },
		{ "10MB/s@5000s", "longer than 4294967295 us" },
		{ "4294967295GB/s@4294967295us", "overflows" },
	};
	uint64_t bytes;
	uint32_t usec;
	char e[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (cfg_parse_vif_rate(good[i].rate, &bytes, &usec, e,
				       sizeof(e)))
			fail_msg("rate '%s': %s", good[i].rate, e);
		if (bytes != good[i].bytes || usec != good[i].usec)
			fail_msg("rate '%s': %llu bytes / %u us", good[i].rate,
				 (unsigned long long)bytes, usec);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e[0] = '\0';
		if (cfg_parse_vif_rate(bad[i].rate, &bytes, &usec, e,
				       sizeof(e)) != -EINVAL)
			fail_msg("rate '%s' accepted", bad[i].rate);
		if (!strstr(e, bad[i].msg))
			fail_msg("rate '%s': error '%s' lacks '%s'",
				 bad[i].rate, e, bad[i].msg);
	}
}

static void vif_specs(void **state)
{
	static const struct {
		const char *spec, *msg;
	} bad[] = {
		{ "mac=01:16:3e:00:00:01", "multicast" },
		{ "mac=00:00:00:00:00:00", "all zeros" },
		{ "mac=00:16:3e:00:00", "bad mac" },
		{ "bridge=br/0", "bridge 'br/0' is not an interface name" },
		{ "bridge=br 0", "bridge 'br 0' is not an interface name" },
		{ "bridge=abcdefghijklmnop", "at most 15" },
		{ "vifname=..", "vifname '..' is not" },
		{ "vifname=web$0", "vifname 'web$0' is not" },
		{ "gatewaydev=eth0;x", "gatewaydev" },
		{ "ip=10.0.0.256", "ip '10.0.0.256' is not an IPv4 or IPv6" },
		{ "ip=10.0.0.2 10.0.0.2/24", "ip '10.0.0.2/24'" },
		{ "ip=fd00::1::2", "ip 'fd00::1::2'" },
		{ "script=../x", "script '../x' is neither" },
		{ "script=..", "script '..'" },
		{ "script=vif bridge", "script 'vif bridge'" },
		{ "script=/etc/xen/my script", "without spaces" },
		{ "rate=10MB", "rate '10MB'" },
		{ "mtu=67", "bad mtu" },
		{ "mtu=65536", "bad mtu" },
		{ "devid=65536", "bad devid" },
		{ "type=tap", "bad vif type" },
	};
	struct cfg_vif v;
	char e[256];

	assert_int_equal(cfg_parse_vif("bridge=xenbr0.100, vifname=web-0_a.b, "
				       "ip=10.0.0.2  fd00::2 ,script=vif-route,"
				       "rate=10Mb/s@20ms, mtu=68", &v, e,
				       sizeof(e)), 0);
	assert_string_equal(v.bridge, "xenbr0.100");
	assert_string_equal(v.ip, "10.0.0.2  fd00::2");
	assert_int_equal(v.credit_bytes, 25000);
	assert_int_equal(v.credit_usec, 20000);
	assert_int_equal(v.mtu, 68);
	assert_int_equal(v.devid, -1);
	assert_false(v.has_mac);
	assert_int_equal(cfg_parse_vif("script=/etc/xen/scripts/vif-nat,"
				       "bridge=abcdefghijklmno", &v, e,
				       sizeof(e)), 0);
	/* No rate: no limit. */
	assert_int_equal(cfg_parse_vif("bridge=br0", &v, e, sizeof(e)), 0);
	assert_int_equal(v.credit_bytes, 0);
	assert_int_equal(v.credit_usec, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e[0] = '\0';
		if (cfg_parse_vif(bad[i].spec, &v, e, sizeof(e)) != -EINVAL)
			fail_msg("vif '%s' accepted", bad[i].spec);
		if (!strstr(e, bad[i].msg))
			fail_msg("vif '%s': error '%s' lacks '%s'",
				 bad[i].spec, e, bad[i].msg);
	}
	BAD("name='a'\nkernel='k'\nvif=['vifname=w0','vifname=w0']\n",
	    "t.cfg:3: vif: item 2: vifname w0 used twice");
	BAD("name='a'\nkernel='k'\nvif=['rate=1MB/s@0']\n",
	    "t.cfg:3: vif: item 1: rate '1MB/s@0': zero interval");
}

static void vif_default_macs(void **state)
{
	uint8_t a[6], b[6], c[6];
	/* xxh64sum of "web" (seed 0): f3ae1ec77c51590c */
	static const uint8_t web0[6] = { 0x00, 0x16, 0x3e, 0x51, 0x59, 0x0c };

	cfg_vif_default_mac("web", 0, a);
	assert_memory_equal(a, web0, 6);
	cfg_vif_default_mac("web", 0, b);
	assert_memory_equal(a, b, 6);		/* stable */
	cfg_vif_default_mac("web", 1, b);
	cfg_vif_default_mac("db", 0, c);
	assert_memory_not_equal(a, b, 3 + 3);	/* per vif */
	assert_memory_not_equal(a, c, 6);	/* per domain */
	assert_memory_equal(b, web0, 3);	/* Xen's OUI */
	assert_int_equal(b[0] & 1, 0);		/* unicast */
	assert_int_equal(c[0] & 1, 0);
}

/* What pvctl sends is what pvisord parses: the same struct both sides. */
static void vif_canonical(void **state)
{
	static const char *const specs[] = {
		"",
		"bridge=br0",
		"mac=00:16:3E:AA:bb:cc, bridge=br0, ip=10.0.0.2 fd00::2, "
		"model=e1000, type=ioemu, vifname=web0, script=vif-bridge, "
		"backend=0, rate=10Mb/s@20ms, gatewaydev=eth0, devid=3, "
		"mtu=9000, trusted",
		"script=/etc/xen/scripts/vif-nat,devid=0,rate=1GB/s",
		/* the later wins, and nothing of the earlier stays */
		"bridge=longbridge0,bridge=br1,type=ioemu,type=vif",
	};
	struct cfg_vif v, w;
	char e[256], out[2048];

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		if (cfg_parse_vif(specs[i], &v, e, sizeof(e)))
			fail_msg("'%s': %s", specs[i], e);
		assert_int_equal(cfg_vif_format(&v, out, sizeof(out)), 0);
		if (cfg_parse_vif(out, &w, e, sizeof(e)))
			fail_msg("'%s' -> '%s': %s", specs[i], out, e);
		if (memcmp(&v, &w, sizeof(v)))
			fail_msg("'%s' -> '%s' parses differently", specs[i],
				 out);
	}
	assert_int_equal(cfg_parse_vif(specs[2], &v, e, sizeof(e)), 0);
	assert_int_equal(cfg_vif_format(&v, out, sizeof(out)), 0);
	assert_string_equal(out, "mac=00:16:3e:aa:bb:cc,devid=3,type=ioemu,"
			    "mtu=9000,bridge=br0,ip=10.0.0.2 fd00::2,"
			    "model=e1000,vifname=web0,script=vif-bridge,"
			    "backend=0,rate=10Mb/s@20ms,gatewaydev=eth0");
	assert_int_equal(cfg_vif_format(&v, out, 20), -ENOSPC);
	assert_int_equal(cfg_vif_format(&v, out, 0), -ENOSPC);
	assert_int_equal(cfg_parse_vif("", &v, e, sizeof(e)), 0);
	assert_int_equal(cfg_vif_format(&v, out, 1), 0);
	assert_string_equal(out, "");
}

/* type = pv|pvh|hvm, xl's builder= fallback, pv by default. */
static void guest_types(void **state)
{
	static const char *const pvh[] = { "type=\"pvh\"" };

	(void)state;
	assert_int_equal(load("name='g'\nkernel='k'\n", NULL, 0), 0);
	assert_int_equal(d.type, CFG_TYPE_PV);
	assert_int_equal(load("name='g'\nkernel='k'\ntype='pvh'\n", NULL, 0),
			 0);
	assert_int_equal(d.type, CFG_TYPE_PVH);
	assert_int_equal(load("name='g'\nkernel='k'\ntype='hvm'\n", NULL, 0),
			 0);
	assert_int_equal(d.type, CFG_TYPE_HVM);
	assert_int_equal(load("name='g'\nkernel='k'\nbuilder='hvm'\n", NULL,
			      0), 0);
	assert_int_equal(d.type, CFG_TYPE_HVM);
	/* type wins over builder, as in xl. */
	assert_int_equal(load("name='g'\nkernel='k'\nbuilder='hvm'\n"
			      "type='pv'\n", NULL, 0), 0);
	assert_int_equal(d.type, CFG_TYPE_PV);
	assert_int_equal(load("name='g'\nkernel='k'\n", pvh, 1), 0);
	assert_int_equal(d.type, CFG_TYPE_PVH);
	assert_int_equal(load("name='g'\nkernel='k'\ntype='xen'\n", NULL, 0),
			 -EINVAL);
	assert_non_null(strstr(err, "t.cfg:3"));
	assert_non_null(strstr(err, "unknown type 'xen'"));
	assert_int_equal(load("name='g'\nkernel='k'\ntype=3\n", NULL, 0),
			 -EINVAL);
	assert_int_equal(load("name='g'\nkernel='k'\nbuilder='x'\n", NULL, 0),
			 -EINVAL);
	assert_string_equal(cfg_type_name(CFG_TYPE_PVH), "pvh");
}

static void file_errors(void **state)
{
	assert_int_equal(cfg_load_file("/nonexistent/x.cfg", NULL, 0, &d, err,
				       sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x.cfg"));
	assert_int_equal(cfg_load_file("/", NULL, 0, &d, err, sizeof(err)),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_example),
		cmocka_unit_test(defaults_and_overrides),
		cmocka_unit_test(syntax_errors),
		cmocka_unit_test(semantic_errors),
		cmocka_unit_test(disks),
		cmocka_unit_test(vif_rates),
		cmocka_unit_test(vif_specs),
		cmocka_unit_test(vif_default_macs),
		cmocka_unit_test(vif_canonical),
		cmocka_unit_test(guest_types),
		cmocka_unit_test(file_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
