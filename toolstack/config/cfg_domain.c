// SPDX-License-Identifier: MIT
/*
 * From settings to a validated struct cfg_domain, with xl's defaults:
 * memory 128 MiB, maxmem = memory, vcpus 1, on_poweroff/on_crash
 * destroy, on_reboot restart.  cmdline wins over root + extra.  Keys
 * pvisor does not use are ignored, as xl ignores keys it does not know.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvconfig.h"

struct ctx {
	const char *fname;
	char *err;
	size_t errlen;
};

static int sfail(struct ctx *c, const struct cfg_setting *s,
		 const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s)
		n = s->cmdline ?
		    snprintf(c->err, c->errlen, "<command line>: %s: ", s->key) :
		    snprintf(c->err, c->errlen, "%s:%d: %s: ", c->fname,
			     s->line, s->key);
	else
		n = snprintf(c->err, c->errlen, "%s: ", c->fname);
	if (n < 0 || (size_t)n >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const struct cfg_setting *find(const struct cfg_file *f,
				      const char *key)
{
	for (unsigned int i = 0; i < f->n; i++)
		if (!strcmp(f->s[i].key, key))
			return &f->s[i];
	return NULL;
}

static int get_string(struct ctx *c, const struct cfg_file *f,
		      const char *key, char *dst, size_t cap,
		      const struct cfg_setting **where)
{
	const struct cfg_setting *s = find(f, key);

	if (where)
		*where = s;
	if (!s)
		return 0;
	if (s->v.type != CFG_V_STRING)
		return sfail(c, s, "expected a quoted string");
	if (strlen(s->v.str) >= cap)
		return sfail(c, s, "longer than %zu bytes", cap - 1);
	strcpy(dst, s->v.str);
	return 1;
}

static int get_number(struct ctx *c, const struct cfg_file *f,
		      const char *key, uint64_t min, uint64_t max,
		      uint64_t *out, const char *what)
{
	const struct cfg_setting *s = find(f, key);
	unsigned long long v;
	char *end;

	if (!s)
		return 0;
	/* xl accepts numbers written as strings too ("256"). */
	if (s->v.type == CFG_V_LIST || !s->v.str[0])
		return sfail(c, s, "expected %s", what);
	errno = 0;
	v = strtoull(s->v.str, &end, 0);
	if (*end || errno || s->v.str[0] == '-' || s->v.str[0] == '+' ||
	    s->v.str[0] == ' ')
		return sfail(c, s, "expected %s", what);
	if (v < min || v > max)
		return sfail(c, s, "%llu out of range %llu..%llu", v,
			     (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 1;
}

static const char *const action_names[] = {
	[CFG_ACT_DESTROY] = "destroy",
	[CFG_ACT_RESTART] = "restart",
	[CFG_ACT_PRESERVE] = "preserve",
	[CFG_ACT_RENAME_RESTART] = "rename-restart",
	[CFG_ACT_COREDUMP_DESTROY] = "coredump-destroy",
	[CFG_ACT_COREDUMP_RESTART] = "coredump-restart",
	[CFG_ACT_SOFT_RESET] = "soft-reset",
};

const char *cfg_action_name(enum cfg_action a)
{
	return (unsigned int)a < sizeof(action_names) / sizeof(action_names[0])
	       ? action_names[a] : "?";
}

static int get_action(struct ctx *c, const struct cfg_file *f,
		      const char *key, enum cfg_action *out)
{
	const struct cfg_setting *s;
	char v[32];
	int r = get_string(c, f, key, v, sizeof(v), &s);

	if (r <= 0)
		return r == 0 || !s ? r :
		       sfail(c, s, "expected one of destroy, restart, "
			     "preserve, rename-restart, coredump-destroy, "
			     "coredump-restart");
	/* soft-reset belongs to on_soft_reset only. */
	for (unsigned int i = 0; i < CFG_ACT_SOFT_RESET; i++) {
		if (!strcmp(v, action_names[i])) {
			*out = (enum cfg_action)i;
			return 0;
		}
	}
	return sfail(c, s, "unknown action '%s' (destroy, restart, preserve, "
		     "rename-restart, coredump-destroy, coredump-restart)", v);
}

static const char *const type_names[] = { "pv", "pvh", "hvm" };

const char *cfg_type_name(enum cfg_type t)
{
	return (unsigned int)t < sizeof(type_names) / sizeof(type_names[0])
	       ? type_names[t] : "?";
}

int cfg_type_parse(const char *name, enum cfg_type *out)
{
	for (unsigned int i = 0; i < sizeof(type_names) / sizeof(type_names[0]);
	     i++) {
		if (!strcmp(name, type_names[i])) {
			*out = (enum cfg_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * type = "pv" | "pvh" | "hvm", as xl. Without it, xl's older
 * builder = "generic" | "hvm" decides; with neither, pv.
 */
static int get_type(struct ctx *c, const struct cfg_file *f,
		    enum cfg_type *out)
{
	const struct cfg_setting *s;
	char v[16];
	int r = get_string(c, f, "type", v, sizeof(v), &s);

	*out = CFG_TYPE_PV;
	if (r < 0)
		return r;
	if (r > 0) {
		if (cfg_type_parse(v, out))
			return sfail(c, s, "unknown type '%s' (pv, pvh, hvm)", v);
		return 0;
	}
	r = get_string(c, f, "builder", v, sizeof(v), &s);
	if (r < 0)
		return r;
	if (r == 0 || !strcmp(v, "generic"))
		return 0;
	if (!strcmp(v, "hvm")) {
		*out = CFG_TYPE_HVM;
		return 0;
	}
	return sfail(c, s, "unknown builder '%s' (generic, hvm)", v);
}

static bool name_ok(const char *n)
{
	bool digits_only = true;

	if (!*n)
		return false;
	for (; *n; n++) {
		char ch = *n;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		      ch == '.'))
			return false;
		if (ch < '0' || ch > '9')
			digits_only = false;
	}
	/* An all-digit name could be mistaken for a domain id. */
	return !digits_only;
}

static int get_cmdline(struct ctx *c, const struct cfg_file *f,
		       struct cfg_domain *d)
{
	char root[CFG_CMDLINE_MAX] = "", extra[CFG_CMDLINE_MAX] = "";
	const struct cfg_setting *s;
	int r;

	r = get_string(c, f, "cmdline", d->cmdline, sizeof(d->cmdline), &s);
	if (r < 0)
		return r;
	if (r > 0)
		return 0;	/* cmdline wins, as in xl */
	if (get_string(c, f, "root", root, sizeof(root), NULL) < 0 ||
	    get_string(c, f, "extra", extra, sizeof(extra), NULL) < 0)
		return -EINVAL;
	if (root[0])
		r = snprintf(d->cmdline, sizeof(d->cmdline), "root=%s%s%s",
			     root, extra[0] ? " " : "", extra);
	else
		r = snprintf(d->cmdline, sizeof(d->cmdline), "%s", extra);
	if (r < 0 || (size_t)r >= sizeof(d->cmdline))
		return sfail(c, find(f, "extra"), "command line too long");
	return 0;
}

static int get_list(struct ctx *c, const struct cfg_file *f, const char *key,
		    const struct cfg_setting **out)
{
	const struct cfg_setting *s = find(f, key);

	*out = s;
	if (!s)
		return 0;
	if (s->v.type != CFG_V_LIST)
		return sfail(c, s, "expected a list [ '...', ... ]");
	for (unsigned int i = 0; i < s->v.n; i++)
		if (s->v.items[i].type != CFG_V_STRING)
			return sfail(c, s, "item %u: expected a quoted string",
				     i + 1);
	return 1;
}

static int validate(struct ctx *c, const struct cfg_file *f,
		    struct cfg_domain *d)
{
	const struct cfg_setting *s;
	uint64_t v;
	char err[256];
	int r;

	memset(d, 0, sizeof(*d));
	d->memory_mb = 128;
	d->vcpus = 1;
	d->on_poweroff = CFG_ACT_DESTROY;
	d->on_reboot = CFG_ACT_RESTART;
	d->on_crash = CFG_ACT_DESTROY;

	r = get_string(c, f, "name", d->name, sizeof(d->name), &s);
	if (r < 0)
		return r;
	if (r == 0)
		return sfail(c, NULL, "name is required");
	if (!name_ok(d->name))
		return sfail(c, s, "'%s' is not a valid name ([A-Za-z0-9._-], "
			     "not all digits)", d->name);
	if (get_type(c, f, &d->type))
		return -EINVAL;
	r = get_string(c, f, "kernel", d->kernel, sizeof(d->kernel), &s);
	if (r < 0)
		return r;
	if (r == 0 || !d->kernel[0])
		return sfail(c, s, "kernel is required");
	if (get_string(c, f, "ramdisk", d->ramdisk, sizeof(d->ramdisk),
		       NULL) < 0)
		return -EINVAL;
	if (get_cmdline(c, f, d))
		return -EINVAL;

	/* Up to 1 TiB: anything bigger is a typo on this kind of host. */
	r = get_number(c, f, "memory", 1, 1u << 20, &d->memory_mb,
		       "a number of MiB");
	if (r < 0)
		return r;
	d->maxmem_mb = d->memory_mb;
	r = get_number(c, f, "maxmem", 1, 1u << 20, &d->maxmem_mb,
		       "a number of MiB");
	if (r < 0)
		return r;
	if (d->maxmem_mb < d->memory_mb)
		return sfail(c, find(f, "maxmem"),
			     "%llu MiB is less than memory (%llu MiB)",
			     (unsigned long long)d->maxmem_mb,
			     (unsigned long long)d->memory_mb);
	r = get_number(c, f, "vcpus", 1, CFG_MAX_VCPUS, &v, "a vCPU count");
	if (r < 0)
		return r;
	if (r)
		d->vcpus = (unsigned int)v;
	d->maxvcpus = d->vcpus;
	r = get_number(c, f, "maxvcpus", 1, CFG_MAX_VCPUS, &v, "a vCPU count");
	if (r < 0)
		return r;
	if (r) {
		if (v < d->vcpus)
			return sfail(c, find(f, "maxvcpus"),
				     "%llu is less than vcpus (%u)",
				     (unsigned long long)v, d->vcpus);
		d->maxvcpus = (unsigned int)v;
	}
	/* pvisor's own key: how big the console log may grow (KiB). */
	r = get_number(c, f, "console_log_max", 4, 1u << 30,
		       &d->console_log_max_kb, "a size in KiB (at least 4)");
	if (r < 0)
		return r;
	if (get_action(c, f, "on_poweroff", &d->on_poweroff) ||
	    get_action(c, f, "on_reboot", &d->on_reboot) ||
	    get_action(c, f, "on_crash", &d->on_crash))
		return -EINVAL;

	r = get_list(c, f, "disk", &s);
	if (r < 0)
		return r;
	if (r) {
		if (s->v.n > CFG_MAX_DISKS)
			return sfail(c, s, "more than %d disks", CFG_MAX_DISKS);
		for (unsigned int i = 0; i < s->v.n; i++) {
			if (cfg_parse_disk(s->v.items[i].str, &d->disks[i], err,
					   sizeof(err)))
				return sfail(c, s, "item %u: %s", i + 1, err);
			for (unsigned int j = 0; j < i; j++)
				if (d->disks[j].vdev_num == d->disks[i].vdev_num)
					return sfail(c, s, "item %u: vdev %s "
						     "used twice", i + 1,
						     d->disks[i].vdev);
			d->ndisks++;
		}
	}
	r = get_list(c, f, "vif", &s);
	if (r < 0)
		return r;
	if (r) {
		if (s->v.n > CFG_MAX_VIFS)
			return sfail(c, s, "more than %d vifs", CFG_MAX_VIFS);
		for (unsigned int i = 0; i < s->v.n; i++) {
			struct cfg_vif *vf = &d->vifs[i];

			if (cfg_parse_vif(s->v.items[i].str, vf, err,
					  sizeof(err)))
				return sfail(c, s, "item %u: %s", i + 1, err);
			if (vf->devid < 0)
				vf->devid = (int)i;
			for (unsigned int j = 0; j < i; j++) {
				if (d->vifs[j].devid == vf->devid)
					return sfail(c, s, "item %u: devid %d "
						     "used twice", i + 1,
						     vf->devid);
				if (vf->has_mac && d->vifs[j].has_mac &&
				    !memcmp(vf->mac, d->vifs[j].mac, 6))
					return sfail(c, s, "item %u: mac used "
						     "twice", i + 1);
				if (vf->vifname[0] &&
				    !strcmp(vf->vifname, d->vifs[j].vifname))
					return sfail(c, s, "item %u: vifname "
						     "%s used twice", i + 1,
						     vf->vifname);
			}
			d->nvifs++;
		}
	}
	return 0;
}

int cfg_load_buf(const char *fname, const char *buf, size_t len,
		 const char *const *overrides, int noverrides,
		 struct cfg_domain *d, char *err, size_t errlen)
{
	struct ctx c = { fname, err, errlen };
	struct cfg_file f;
	int r;

	if (errlen)
		err[0] = '\0';
	r = cfg_syntax_parse(fname, buf, len, &f, err, errlen);
	if (r)
		return r;
	for (int i = 0; i < noverrides && !r; i++)
		r = cfg_syntax_override(&f, overrides[i], err, errlen);
	if (!r)
		r = validate(&c, &f, d);
	cfg_file_free(&f);
	return r;
}

int cfg_load_file(const char *path, const char *const *overrides,
		  int noverrides, struct cfg_domain *d, char *err,
		  size_t errlen)
{
	struct stat sb;
	char *buf;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > CFG_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %u "
			 "bytes", path, CFG_FILE_MAX);
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, buf, (size_t)sb.st_size);
	close(fd);
	if (n != sb.st_size) {
		snprintf(err, errlen, "%s: short read", path);
		free(buf);
		return -EIO;
	}
	r = cfg_load_buf(path, buf, (size_t)n, overrides, noverrides, d, err,
			 errlen);
	free(buf);
	return r;
}
