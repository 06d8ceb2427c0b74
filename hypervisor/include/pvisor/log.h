/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_LOG_H
#define PVISOR_LOG_H

#include <stdarg.h>

struct domain;

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Host-side messages (never guest-triggered). */
void pv_log(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pv_log_set_level(enum log_level level);
/* Where messages go; stderr by default. */
void pv_log_set_sink(void (*sink)(enum log_level, const char *line));

/*
 * Guest-triggered messages: prefixed with the domain, and rate limited
 * per domain (CONFIG_GUEST_LOG_LIMIT) so a guest cannot flood the log.
 */
void dom_log(struct domain *d, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define pr_err(...)   pv_log(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  pv_log(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  pv_log(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) pv_log(LOG_DEBUG, __VA_ARGS__)

#endif
