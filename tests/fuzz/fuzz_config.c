// SPDX-License-Identifier: MIT
/* libFuzzer target: arbitrary bytes as a domain config file, and as
 * disk and vif specs (a vif's canonical spec must parse back the same). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pvconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg_domain d;
	static const char *const ov[] = { "memory=64", "vif+=['bridge=x']" };
	char err[256], *s;

	cfg_load_buf("fuzz.cfg", (const char *)data, size, ov,
		     size && (data[0] & 1) ? 2 : 0, &d, err, sizeof(err));
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	{
		struct cfg_disk k;
		struct cfg_vif v;
		uint32_t n;

		cfg_parse_disk(s, &k, err, sizeof(err));
		/* A spec that parses round-trips through its canonical form:
		 * what pvctl sends is what pvisord gets. */
		if (!cfg_parse_vif(s, &v, err, sizeof(err))) {
			static char canon[8192];
			struct cfg_vif w;

			if (cfg_vif_format(&v, canon, sizeof(canon)) ||
			    cfg_parse_vif(canon, &w, err, sizeof(err)) ||
			    memcmp(&v, &w, sizeof(v)))
				abort();
		}
		cfg_vdev_number(s, &n);
	}
	free(s);
	return 0;
}
