// SPDX-License-Identifier: MIT
/*
 * Path validation: the character set, no empty components, no trailing
 * slash, the length limits of xs_wire.h, and relative paths resolved
 * against /local/domain/<domid> (docs/misc/xenstore.txt).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xs_internal.h"

static bool valid_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '/' || c == '_' ||
	       c == '@';
}

int xs_path_canon(const struct xs_conn *c, const char *in, bool allow_special,
		  char *out)
{
	size_t len = strlen(in), off = 0, local_off = 0;
	unsigned int id;
	int n = 0;

	if (len == 0 || len > XENSTORE_ABS_PATH_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!valid_char(in[i]))
			return -EINVAL;
	if (in[0] == '@') {
		if (!allow_special)
			return -EINVAL;
		memcpy(out, in, len + 1);
		return 0;
	}
	if (in[0] != '/') {
		off = (size_t)snprintf(out, XS_PATH_BUF, "/local/domain/%u/",
				       c->domid);
		local_off = off;
	}
	if (off + len > XENSTORE_ABS_PATH_MAX)
		return -EINVAL;
	memcpy(out + off, in, len + 1);
	len += off;

	if (strstr(out, "//") || (len > 1 && out[len - 1] == '/'))
		return -EINVAL;
	/* Guests are held to the relative limit below their home. */
	if (!local_off && sscanf(out, "/local/domain/%5u/%n", &id, &n) == 1 &&
	    n > 0)
		local_off = (size_t)n;
	if (xs_quota_exceeded(c, XS_Q_PATH, len - local_off + 1))
		return -EINVAL;
	return 0;
}

/* child is parent, or below it (docs/misc/xenstore.txt's definition). */
bool xs_path_is_child(const char *child, const char *parent)
{
	size_t len = strlen(parent);

	if (strcmp(parent, "/") == 0)
		return child[0] == '/';
	return strncmp(child, parent, len) == 0 &&
	       (child[len] == '\0' || child[len] == '/');
}

size_t xs_path_parent_len(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		return slash ? 1 : 0;
	return (size_t)(slash - path);
}
