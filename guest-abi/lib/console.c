/* SPDX-License-Identifier: MIT */
/*
 * Formatted console output over console_io(CONSOLEIO_write).
 *
 * Supports what the tests need: %d %i %u %x %X %o %c %s %p %%, the l/ll/z
 * length modifiers, a width, a precision for %s, and the '0', '-' and '#'
 * flags.  One hypercall per printk keeps the exit count down on hosts where
 * exits are expensive.
 */
#include <pvguest/pvguest.h>

struct outbuf {
	char *buf;
	size_t size;
	size_t len;	/* would-be length, may exceed size */
};

static void out_char(struct outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct outbuf *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

static void out_str(struct outbuf *o, const char *s, int width, int prec,
		    bool left)
{
	int n = (int)(prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s));
	int i;

	if (!left)
		out_pad(o, ' ', width - n);
	for (i = 0; i < n; i++)
		out_char(o, s[i]);
	if (left)
		out_pad(o, ' ', width - n);
}

static void out_num(struct outbuf *o, uint64_t v, unsigned int base,
		    bool neg, bool upper, int width, bool zero, bool left,
		    const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t start = o->len;
	char tmp[24];
	int n = 0, plen = (int)strlen(prefix) + (neg ? 1 : 0);

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);

	if (!left && !zero)
		out_pad(o, ' ', width - n - plen);
	if (neg)
		out_char(o, '-');
	while (*prefix)
		out_char(o, *prefix++);
	if (!left && zero)
		out_pad(o, '0', width - n - plen);
	while (n)
		out_char(o, tmp[--n]);
	if (left)
		out_pad(o, ' ', width - (int)(o->len - start));
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct outbuf o = { .buf = buf, .size = size, .len = 0 };

	for (; *fmt; fmt++) {
		bool zero = false, left = false, upper = false, alt = false;
		int width = 0, prec = -1, lng = 0;
		uint64_t u;
		int64_t s;

		if (*fmt != '%') {
			out_char(&o, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '0')
				zero = true;
			else if (*fmt == '-')
				left = true;
			else if (*fmt == '#')
				alt = true;
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				prec = prec * 10 + (*fmt++ - '0');
		}
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}

		switch (*fmt) {
		case 'd':
		case 'i':
			s = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			u = s < 0 ? -(uint64_t)s : (uint64_t)s;
			out_num(&o, u, 10, s < 0, false, width, zero, left, "");
			break;
		case 'u':
			u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
			out_num(&o, u, 10, false, false, width, zero, left, "");
			break;
		case 'X':
			upper = true;
			/* fall through */
		case 'x':
			u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
			out_num(&o, u, 16, false, upper, width, zero, left,
				alt ? "0x" : "");
			break;
		case 'o':
			u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
			out_num(&o, u, 8, false, false, width, zero, left, "");
			break;
		case 'p':
			u = (uint64_t)(uintptr_t)va_arg(ap, void *);
			out_num(&o, u, 16, false, false, 16, true, false, "0x");
			break;
		case 'c':
			out_char(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);

			out_str(&o, str ? str : "(null)", width, prec, left);
			break;
		}
		case '%':
			out_char(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			out_char(&o, '%');
			out_char(&o, *fmt);
			break;
		}
	}
	if (o.size)
		o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void console_write(const char *s, size_t len)
{
	while (len) {
		unsigned int chunk = len > 4096 ? 4096 : (unsigned int)len;

		if (HYPERVISOR_console_io(CONSOLEIO_write, chunk, s) < 0)
			return;		/* nowhere else to say it */
		s += chunk;
		len -= chunk;
	}
}

int vprintk(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	console_write(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}
