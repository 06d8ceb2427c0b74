/* SPDX-License-Identifier: MIT */
/*
 * Domain configuration files in xl.cfg(5) syntax, parsed and validated.
 *
 *   name = "guest"          # strings in '...' or "..."
 *   memory = 256            # numbers (MiB)
 *   disk = [ 'phy:/dev/vg/g,xvda,w', ]   # lists, trailing comma allowed
 *   extra = "console=hvc0"; root = "/dev/xvda1"   # ';' separates too
 *
 * Errors name the file, the line and the reason, e.g.
 * "guest.cfg:7: memory: expected a number of MiB".
 */
#ifndef PVCONFIG_H
#define PVCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_NAME_MAX	64
#define CFG_PATH_MAX	1024
#define CFG_CMDLINE_MAX	2048
#define CFG_MAX_DISKS	16
#define CFG_MAX_VIFS	8
#define CFG_MAX_VCPUS	128
#define CFG_FILE_MAX	(1u << 20)

/* ------------------------------------------------ the raw syntax -- */
enum cfg_vtype { CFG_V_STRING, CFG_V_NUMBER, CFG_V_LIST };

struct cfg_value {
	enum cfg_vtype type;
	int line;
	char *str;			/* strings and numbers (as written) */
	struct cfg_value *items;	/* lists: strings and numbers only */
	unsigned int n;
};

struct cfg_setting {
	char *key;
	int line;
	bool cmdline;			/* from an override, not the file */
	struct cfg_value v;
};

struct cfg_file {
	struct cfg_setting *s;
	unsigned int n;
};

/* Parse text into settings (later ones win).  0, or -EINVAL with err. */
int cfg_syntax_parse(const char *fname, const char *buf, size_t len,
		     struct cfg_file *out, char *err, size_t errlen);
/* One "key=value" override, value in the same syntax. */
int cfg_syntax_override(struct cfg_file *f, const char *kv, char *err,
			size_t errlen);
void cfg_file_free(struct cfg_file *f);

/* ------------------------------------------------- the domain -- */
enum cfg_action {
	CFG_ACT_DESTROY,
	CFG_ACT_RESTART,
	CFG_ACT_PRESERVE,
	CFG_ACT_RENAME_RESTART,
	CFG_ACT_COREDUMP_DESTROY,
	CFG_ACT_COREDUMP_RESTART,
	CFG_ACT_SOFT_RESET,
};

enum cfg_disk_format {
	CFG_FMT_RAW, CFG_FMT_QCOW, CFG_FMT_QCOW2, CFG_FMT_VHD, CFG_FMT_QED,
	CFG_FMT_VMDK, CFG_FMT_VDI,	/* beyond xl's list: QEMU reads them */
};

/* The format's name in a disk spec ("raw", "qcow2", ...). */
const char *cfg_disk_format_name(enum cfg_disk_format f);

struct cfg_disk {
	char target[CFG_PATH_MAX];	/* "" only for an empty cdrom */
	char vdev[16];
	uint32_t vdev_num;		/* xen-vbd-interface(7) number */
	enum cfg_disk_format format;
	bool readonly;
	bool cdrom;
	bool discard;			/* default on */
	bool direct_io_safe;
	char backend[CFG_NAME_MAX];
	char backendtype[16];
	char script[CFG_PATH_MAX];
};

/* Linux's IFNAMSIZ less the NUL: bridge, vifname, gatewaydev. */
#define CFG_IFNAME_MAX	15

struct cfg_vif {
	bool has_mac;
	uint8_t mac[6];
	char bridge[CFG_NAME_MAX];	/* an interface name */
	char ip[256];			/* addresses, space-separated */
	char model[32];
	char type[16];			/* "vif" (default) or "ioemu" */
	char vifname[16];
	char script[CFG_PATH_MAX];	/* a bare name or an absolute path */
	char backend[CFG_NAME_MAX];
	char rate[64];			/* as written: RATE[@INTERVAL] */
	char gatewaydev[CFG_NAME_MAX];
	int devid;			/* -1: by position */
	unsigned int mtu;		/* 0: default */
	/* rate= as libxl computes it: credit_bytes every credit_usec;
	 * both 0 without a rate. */
	uint64_t credit_bytes;
	uint32_t credit_usec;
};

/* xl's type= (and legacy builder=): how the guest runs. Default pv. */
enum cfg_type { CFG_TYPE_PV, CFG_TYPE_PVH, CFG_TYPE_HVM };

/* "pv", "pvh", "hvm"; and back: 0, or -EINVAL for another name. */
const char *cfg_type_name(enum cfg_type t);
int cfg_type_parse(const char *name, enum cfg_type *out);

struct cfg_domain {
	char name[CFG_NAME_MAX];
	enum cfg_type type;
	char kernel[CFG_PATH_MAX];
	char ramdisk[CFG_PATH_MAX];
	char cmdline[CFG_CMDLINE_MAX];	/* cmdline, or root= + extra */
	uint64_t memory_mb;
	uint64_t maxmem_mb;
	unsigned int vcpus;
	unsigned int maxvcpus;
	enum cfg_action on_poweroff, on_reboot, on_crash;
	uint64_t console_log_max_kb;	/* 0: the daemon's default */
	struct cfg_disk disks[CFG_MAX_DISKS];
	unsigned int ndisks;
	struct cfg_vif vifs[CFG_MAX_VIFS];
	unsigned int nvifs;
};

/*
 * Read and validate a config file, then apply "key=value" overrides
 * (as `xl create cfg memory=256`).  0, or a negative errno with a
 * message "file:line: reason" in err.
 */
int cfg_load_file(const char *path, const char *const *overrides,
		  int noverrides, struct cfg_domain *d, char *err,
		  size_t errlen);
int cfg_load_buf(const char *fname, const char *buf, size_t len,
		 const char *const *overrides, int noverrides,
		 struct cfg_domain *d, char *err, size_t errlen);

/* Parts, exposed for tests and for pvctl's error messages. */
int cfg_parse_disk(const char *spec, struct cfg_disk *d, char *err,
		   size_t errlen);
int cfg_parse_vif(const char *spec, struct cfg_vif *v, char *err,
		  size_t errlen);
int cfg_vdev_number(const char *vdev, uint32_t *num);
/*
 * xl's vif rate, RATE[@INTERVAL]: RATE is a number and B/s, KB/s, MB/s,
 * GB/s or b/s, Kb/s, Mb/s, Gb/s (powers of 1000; b is bits); INTERVAL a
 * number and s, ms or us (the "s" may be left out; no unit: seconds),
 * 50ms if absent. The credit is RATE's bytes per INTERVAL.
 */
int cfg_parse_vif_rate(const char *rate, uint64_t *credit_bytes,
		       uint32_t *credit_usec, char *err, size_t errlen);
/*
 * The MAC a vif gets without mac=: Xen's OUI 00:16:3e and three bytes
 * of XXH64 of the domain's name, seeded by devid: the same at every
 * start, different for each vif.
 */
void cfg_vif_default_mac(const char *domname, unsigned int devid,
			 uint8_t mac[6]);
/*
 * The canonical spec of v: only the keys it sets, which cfg_parse_vif
 * turns back into the same struct. 0, or -ENOSPC if len is too small.
 */
int cfg_vif_format(const struct cfg_vif *v, char *out, size_t len);
const char *cfg_action_name(enum cfg_action a);

#endif /* PVCONFIG_H */
