// SPDX-License-Identifier: MIT
/* xl-style config files for pvctl create (see toolstack/config). */
#include <stdio.h>

#include "pvctl.h"

int pvctl_config_to_args(const char *path, char **req, int max)
{
	(void)req;
	(void)max;
	fprintf(stderr, "pvctl create: reading %s: config files are not "
		"supported yet; pass key=value settings\n", path);
	return -1;
}
