// SPDX-License-Identifier: MIT
/* Logging: host messages and rate-limited guest-triggered messages. */
#include <stdio.h>
#include <string.h>

#include "pvisor/domain.h"
#include "pvisor/log.h"

static enum log_level max_level = LOG_INFO;
static void (*log_sink)(enum log_level, const char *);

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void pv_log_set_level(enum log_level level)
{
	max_level = level;
}

void pv_log_set_sink(void (*sink)(enum log_level, const char *))
{
	log_sink = sink;
}

static void log_emit(enum log_level level, const char *line)
{
	if (log_sink)
		log_sink(level, line);
	else
		fprintf(stderr, "pvisor: %s: %s", level_names[level], line);
}

void pv_log(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_emit(level, line);
}

void dom_log(struct domain *d, enum log_level level, const char *fmt, ...)
{
	char msg[900], line[1024];
	va_list ap;

	if (level > max_level)
		return;
	if (__atomic_load_n(&d->log_budget, __ATOMIC_RELAXED) == 0 ||
	    __atomic_sub_fetch(&d->log_budget, 1, __ATOMIC_RELAXED) ==
	    (unsigned int)-1) {
		__atomic_store_n(&d->log_budget, 0, __ATOMIC_RELAXED);
		__atomic_fetch_add(&d->stats.log_dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "d%u: %s", d->id, msg);
	log_emit(level, line);
}
