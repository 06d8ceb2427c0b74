// SPDX-License-Identifier: MIT
/*
 * make bench, network: one side of a throughput measurement, the same
 * static binary in the guest and on the host.
 *
 *   netbench tcp-send ADDR PORT SECS     stream for SECS seconds
 *   netbench tcp-recv PORT               take one stream to its end
 *   netbench udp-send ADDR PORT SECS SIZE  datagrams of SIZE bytes
 *   netbench udp-recv PORT SECS          count datagrams for SECS
 *   netbench send-file ADDR PORT FILE    FILE over one stream
 *   netbench recv-file PORT FILE         one stream into FILE
 *
 * Each prints one line: NETBENCH mode=.. bytes=.. packets=.. secs=..
 * mbit=.. pps=.., the file modes also xxh64=.. of the bytes, as
 * xxh64sum prints it. Large reads and writes: in a PV guest every
 * system call is a trip through the hypervisor.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#define FILE_BUF	(1u << 20)

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void report(const char *mode, unsigned long long bytes,
		   unsigned long long pkts, double secs)
{
	if (secs <= 0)
		secs = 1e-9;
	printf("NETBENCH mode=%s bytes=%llu packets=%llu secs=%.3f mbit=%.1f "
	       "pps=%.0f\n", mode, bytes, pkts, secs, bytes * 8 / secs / 1e6,
	       pkts / secs);
	fflush(stdout);
}

static int addr_of(const char *ip, const char *port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)atoi(port));
	if (!ip)
		return 0;
	return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -EINVAL;
}

static int listener(int type, const char *port)
{
	struct sockaddr_in sa;
	int one = 1, fd = socket(AF_INET, type, 0);

	addr_of(NULL, port, &sa);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (void *)&sa, sizeof(sa)) ||
	    (type == SOCK_STREAM && listen(fd, 1))) {
		perror("netbench: bind");
		exit(1);
	}
	return fd;
}

static int tcp_send(const char *ip, const char *port, double secs)
{
	static char buf[1 << 16];
	unsigned long long bytes = 0;
	struct sockaddr_in sa;
	double t0, end;
	int fd = -1;

	if (addr_of(ip, port, &sa))
		return 1;
	/* The receiver may not listen yet: retry for 30 s. */
	for (int i = 0; i < 300; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (!connect(fd, (void *)&sa, sizeof(sa)))
			break;
		close(fd);
		fd = -1;
		usleep(100000);
	}
	if (fd < 0) {
		perror("netbench: connect");
		return 1;
	}
	memset(buf, 0x5a, sizeof(buf));
	t0 = now();
	end = t0 + secs;
	while (now() < end) {
		ssize_t n = write(fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		bytes += (unsigned long long)n;
	}
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	report("tcp-send", bytes, 0, now() - t0);
	close(fd);
	return 0;
}

static int tcp_recv(const char *port)
{
	static char buf[1 << 16];
	unsigned long long bytes = 0;
	int ls = listener(SOCK_STREAM, port), fd;
	double t0 = 0;
	ssize_t n;

	puts("NETBENCH listening");
	fflush(stdout);
	fd = accept(ls, NULL, NULL);
	if (fd < 0)
		return 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (!bytes)
			t0 = now();
		bytes += (unsigned long long)n;
	}
	report("tcp-recv", bytes, 0, bytes ? now() - t0 : 0);
	close(fd);
	close(ls);
	return 0;
}

static int udp_send(const char *ip, const char *port, double secs, int size)
{
	static char buf[65536];
	unsigned long long pkts = 0;
	struct sockaddr_in sa;
	double t0, end;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (size < 1 || size > 65507 || addr_of(ip, port, &sa) ||
	    connect(fd, (void *)&sa, sizeof(sa)))
		return 1;
	t0 = now();
	end = t0 + secs;
	while (now() < end)
		if (send(fd, buf, (size_t)size, 0) == size)
			pkts++;
	report("udp-send", pkts * (unsigned long long)size, pkts, now() - t0);
	return 0;
}

static int udp_recv(const char *port, double secs)
{
	static char buf[65536];
	unsigned long long pkts = 0, bytes = 0;
	int fd = listener(SOCK_DGRAM, port);
	double t0 = 0, last = 0, end = 0;

	puts("NETBENCH listening");
	fflush(stdout);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int wait = end ? (int)((end - now()) * 1000) : -1;
		ssize_t n;

		if (end && wait <= 0)
			break;
		if (poll(&p, 1, wait) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			continue;
		if (!pkts) {
			t0 = now();
			end = t0 + secs;
		}
		last = now();
		pkts++;
		bytes += (unsigned long long)n;
	}
	report("udp-recv", bytes, pkts, last - t0);
	return 0;
}

static int connect_retry(const char *ip, const char *port)
{
	struct sockaddr_in sa;
	int fd = -1;

	if (addr_of(ip, port, &sa))
		return -1;
	/* The receiver may not listen yet: retry for 60 s. */
	for (int i = 0; i < 600; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (!connect(fd, (void *)&sa, sizeof(sa)))
			return fd;
		close(fd);
		usleep(100000);
	}
	perror("netbench: connect");
	return -1;
}

static void report_file(const char *mode, unsigned long long bytes,
			XXH64_state_t *h, double secs)
{
	if (secs <= 0)
		secs = 1e-9;
	printf("NETBENCH mode=%s bytes=%llu xxh64=%016llx secs=%.3f mbit=%.1f\n",
	       mode, bytes, (unsigned long long)XXH64_digest(h), secs,
	       bytes * 8 / secs / 1e6);
	fflush(stdout);
}

static int send_file(const char *ip, const char *port, const char *path)
{
	static char buf[FILE_BUF];
	unsigned long long bytes = 0;
	XXH64_state_t *h = XXH64_createState();
	int in = open(path, O_RDONLY), fd;
	double t0;
	ssize_t n;

	if (in < 0 || !h) {
		perror(path);
		return 1;
	}
	fd = connect_retry(ip, port);
	if (fd < 0)
		return 1;
	XXH64_reset(h, 0);
	t0 = now();
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t done = 0, w; done < n; done += w) {
			w = write(fd, buf + done, (size_t)(n - done));
			if (w <= 0) {
				perror("netbench: write");
				return 1;
			}
		}
		XXH64_update(h, buf, (size_t)n);
		bytes += (unsigned long long)n;
	}
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	report_file("send-file", bytes, h, now() - t0);
	return n < 0;
}

static int recv_file(const char *port, const char *path)
{
	static char buf[FILE_BUF];
	unsigned long long bytes = 0;
	XXH64_state_t *h = XXH64_createState();
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ls = listener(SOCK_STREAM, port), fd;
	double t0 = 0;
	ssize_t n;

	if (out < 0 || !h) {
		perror(path);
		return 1;
	}
	XXH64_reset(h, 0);
	puts("NETBENCH listening");
	fflush(stdout);
	fd = accept(ls, NULL, NULL);
	if (fd < 0)
		return 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (!bytes)
			t0 = now();
		if (write(out, buf, (size_t)n) != n) {
			perror(path);
			return 1;
		}
		XXH64_update(h, buf, (size_t)n);
		bytes += (unsigned long long)n;
	}
	report_file("recv-file", bytes, h, bytes ? now() - t0 : 0);
	return close(out) || n < 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "send-file"))
		return send_file(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "recv-file"))
		return recv_file(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "tcp-send"))
		return tcp_send(argv[2], argv[3], atof(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "tcp-recv"))
		return tcp_recv(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "udp-send"))
		return udp_send(argv[2], argv[3], atof(argv[4]), atoi(argv[5]));
	if (argc == 4 && !strcmp(argv[1], "udp-recv"))
		return udp_recv(argv[2], atof(argv[3]));
	fprintf(stderr, "usage: netbench tcp-send ADDR PORT SECS | tcp-recv PORT"
		" | udp-send ADDR PORT SECS SIZE | udp-recv PORT SECS"
		" | send-file ADDR PORT FILE | recv-file PORT FILE\n");
	return 2;
}
