/* SPDX-License-Identifier: MIT */
#ifndef PVCTL_TEST_SERVICE_H
#define PVCTL_TEST_SERVICE_H

#include <sys/types.h>

struct domain;

/*
 * `pvctl run --test-service NAME`: an opt-in dom0 service for a self-test
 * kernel, run in a child process that uses only the domain's memfds
 * through the dom0 libraries, as a real backend would. Start it after the
 * domain is built and before its vCPUs run; stop it once the domain ended.
 *
 * Services: "grants" (tests/guests/grants: map/copy/revoke over a
 * granted mailbox page, see tests/guests/grants/mbox.h).
 */
int test_service_valid(const char *name);
/* Fork the service; returns its pid, or negative errno. */
pid_t test_service_start(const char *name, struct domain *d);
/* Stop it; returns 0 if it had ended (or ends now) without an error. */
int test_service_stop(pid_t pid);

#endif
