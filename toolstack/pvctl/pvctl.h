/* SPDX-License-Identifier: MIT */
#ifndef PVCTL_H
#define PVCTL_H

#include <stdbool.h>
#include <stddef.h>

int cmd_run(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_domain(int argc, char **argv);

/* client.c: the pvisord control socket. */
const char *pvctl_socket_path(void);
/* A connected socket, or negative errno (explained on stderr unless quiet). */
int pvctl_connect(bool quiet);
/* Send argv, print the reply; returns the process exit status. */
int pvctl_request(int argc, char *const argv[], bool print);
int pvctl_console(const char *dom);

/*
 * config.c: parse an xl-style CONFIG into key=value strings for the
 * create request (req[1..]); returns the new count or -1 (explained).
 */
int pvctl_config_to_args(const char *path, char **req, int max);

/* Read a whole file; NULL with errno set on failure. */
void *read_file(const char *path, size_t *len);

#endif
