/* SPDX-License-Identifier: MIT */
#ifndef PVCTL_H
#define PVCTL_H

#include <stdbool.h>
#include <stddef.h>

int cmd_run(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_domain(int argc, char **argv);
int cmd_xenstore(int argc, char **argv);
int cmd_block_attach(int argc, char **argv);
int cmd_network_attach(int argc, char **argv);
int cmd_network_detach(int argc, char **argv);
int cmd_network_list(int argc, char **argv);

struct cfg_disk;
/*
 * Open a disk's image as the caller, for the access it asks; *canon is
 * "disk=SPEC" for pvisord (caller frees). 0, or -1 with a message.
 */
int pvctl_open_disk(const struct cfg_disk *d, int *fd, char **canon);

struct cfg_vif;
/* *arg is "vif=SPEC", v's canonical spec, for pvisord (caller frees). */
int pvctl_vif_arg(const struct cfg_vif *v, char **arg);

/* client.c: the pvisord control socket. */
const char *pvctl_socket_path(void);
/* A connected UNIX stream socket, or negative errno. */
int unix_connect(const char *path);
/* A connected socket, or negative errno (explained on stderr unless quiet). */
int pvctl_connect(bool quiet);
/* Send argv, print the reply; returns the process exit status. */
int pvctl_request(int argc, char *const argv[], bool print);
/* The same, passing open files along (the daemon never opens paths). */
int pvctl_request_fds(int argc, char *const argv[], const int *fds, int nfds,
		      bool print);
int pvctl_console(const char *dom);


/* Read a whole file; NULL with errno set on failure. */
void *read_file(const char *path, size_t *len);

#endif
