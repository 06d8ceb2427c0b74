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
		cmocka_unit_test(file_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
