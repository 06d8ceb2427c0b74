/* SPDX-License-Identifier: MIT */
#ifndef PVCTL_H
#define PVCTL_H

int cmd_run(int argc, char **argv);
int cmd_info(int argc, char **argv);

/* Read a whole file; NULL with errno set on failure. */
void *read_file(const char *path, size_t *len);

#endif
