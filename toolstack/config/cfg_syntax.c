// SPDX-License-Identifier: MIT
/*
 * The xl.cfg syntax: `KEY = VALUE` or `KEY += VALUE` statements ended by
 * a newline or ';', '#' comments, values that are strings ('...' raw,
 * "..." with C escapes), numbers, or one-level lists `[ v, v, ]` which
 * may span lines.  Input is untrusted: every length is bounded and every
 * error names the line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvconfig.h"

#define STR_MAX		4096
#define LIST_MAX	256
#define SETTINGS_MAX	1024

struct lexer {
	const char *fname;
	const char *p, *end;
	int line;
	char *err;
	size_t errlen;
	bool cmdline;
};

static int fail(struct lexer *lx, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(lx->err, lx->errlen, "%s:%d: ", lx->fname, lx->line);
	if (n < 0 || (size_t)n >= lx->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Skip blanks and comments; newlines too if nl. */
static void skip(struct lexer *lx, bool nl)
{
	while (lx->p < lx->end) {
		char c = *lx->p;

		if (c == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else if (c == '\n' && nl) {
			lx->line++;
			lx->p++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			lx->p++;
		} else {
			return;
		}
	}
}

static void value_free(struct cfg_value *v)
{
	free(v->str);
	for (unsigned int i = 0; i < v->n; i++)
		value_free(&v->items[i]);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int lex_string(struct lexer *lx, struct cfg_value *v)
{
	char q = *lx->p++, *out = malloc(STR_MAX + 1);
	size_t n = 0;

	if (!out)
		return -ENOMEM;
	for (;;) {
		char c;

		if (lx->p >= lx->end || *lx->p == '\n') {
			free(out);
			return fail(lx, "unterminated string");
		}
		c = *lx->p++;
		if (c == q)
			break;
		if (c == '\0') {
			free(out);
			return fail(lx, "NUL byte in string");
		}
		if (c == '\\' && q == '"') {
			if (lx->p >= lx->end) {
				free(out);
				return fail(lx, "unterminated string");
			}
			c = *lx->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '\\': case '"': case '\'': break;
			case 'x': {
				int h = lx->end - lx->p >= 2 ? hexval(lx->p[0]) : -1;
				int l = h >= 0 ? hexval(lx->p[1]) : -1;

				if (l < 0 || (h == 0 && l == 0)) {
					free(out);
					return fail(lx, "bad \\x escape");
				}
				c = (char)(h * 16 + l);
				lx->p += 2;
				break;
			}
			default:
				free(out);
				return fail(lx, "unknown escape '\\%c'", c);
			}
		}
		if (n >= STR_MAX) {
			free(out);
			return fail(lx, "string longer than %d bytes", STR_MAX);
		}
		out[n++] = c;
	}
	out[n] = '\0';
	v->type = CFG_V_STRING;
	v->str = out;
	return 0;
}

static int lex_number(struct lexer *lx, struct cfg_value *v)
{
	const char *s = lx->p;

	while (lx->p < lx->end && (isalnum((unsigned char)*lx->p) ||
				   *lx->p == '.'))
		lx->p++;
	if (lx->p - s > 32)
		return fail(lx, "number too long");
	v->type = CFG_V_NUMBER;
	v->str = strndup(s, (size_t)(lx->p - s));
	if (!v->str)
		return -ENOMEM;
	/* Decimal or 0x hex; anything else is a typo, not a number. */
	{
		const char *d = v->str;
		int base = 10;

		if (d[0] == '0' && (d[1] == 'x' || d[1] == 'X') && d[2]) {
			d += 2;
			base = 16;
		}
		for (; *d; d++)
			if (base == 10 ? !isdigit((unsigned char)*d) :
					 hexval(*d) < 0)
				return fail(lx, "bad number '%s'", v->str);
	}
	return 0;
}

static int lex_scalar(struct lexer *lx, struct cfg_value *v)
{
	v->line = lx->line;
	if (lx->p >= lx->end)
		return fail(lx, "missing value");
	if (*lx->p == '"' || *lx->p == '\'')
		return lex_string(lx, v);
	if (isdigit((unsigned char)*lx->p))
		return lex_number(lx, v);
	if (*lx->p == '[')
		return fail(lx, "nested lists are not supported");
	if (*lx->p == '\n' || *lx->p == ';')
		return fail(lx, "missing value");
	return fail(lx, "unexpected '%c' in value (strings need quotes)",
		    isprint((unsigned char)*lx->p) ? *lx->p : '?');
}

static int lex_value(struct lexer *lx, struct cfg_value *v)
{
	int r;

	skip(lx, false);
	if (lx->p >= lx->end || *lx->p != '[')
		return lex_scalar(lx, v);
	lx->p++;
	v->type = CFG_V_LIST;
	v->line = lx->line;
	for (;;) {
		struct cfg_value *it;

		skip(lx, true);
		if (lx->p >= lx->end)
			return fail(lx, "unterminated list");
		if (*lx->p == ']') {
			lx->p++;
			return 0;
		}
		if (v->n >= LIST_MAX)
			return fail(lx, "list longer than %d items", LIST_MAX);
		it = realloc(v->items, (v->n + 1) * sizeof(*it));
		if (!it)
			return -ENOMEM;
		v->items = it;
		memset(&v->items[v->n], 0, sizeof(*it));
		r = lex_scalar(lx, &v->items[v->n]);
		v->n++;
		if (r)
			return r;
		skip(lx, true);
		if (lx->p < lx->end && *lx->p == ',')
			lx->p++;
		else if (lx->p < lx->end && *lx->p != ']')
			return fail(lx, "expected ',' or ']' in list");
	}
}

/* Set or append (+=) a value; later settings of a key replace earlier. */
static int store(struct lexer *lx, struct cfg_file *f, char *key,
		 struct cfg_value *v, bool append)
{
	struct cfg_setting *s;

	for (unsigned int i = 0; i < f->n; i++) {
		struct cfg_value *o = &f->s[i].v;

		if (strcmp(f->s[i].key, key))
			continue;
		free(key);
		if (!append) {
			value_free(o);
			*o = *v;
			f->s[i].line = v->line;
			f->s[i].cmdline = lx->cmdline;
			return 0;
		}
		if (o->type != v->type || o->type == CFG_V_NUMBER)
			return fail(lx, "'+=' needs a string or list like the "
				    "earlier value");
		if (o->type == CFG_V_STRING) {
			size_t a = strlen(o->str), b = strlen(v->str);
			char *c;

			if (a + b > STR_MAX)
				return fail(lx, "string longer than %d bytes",
					    STR_MAX);
			c = realloc(o->str, a + b + 1);
			if (!c)
				return -ENOMEM;
			memcpy(c + a, v->str, b + 1);
			o->str = c;
		} else {
			struct cfg_value *it;

			if (o->n + v->n > LIST_MAX)
				return fail(lx, "list longer than %d items",
					    LIST_MAX);
			it = realloc(o->items, (o->n + v->n + 1) * sizeof(*it));
			if (!it)
				return -ENOMEM;
			memcpy(it + o->n, v->items, v->n * sizeof(*it));
			o->items = it;
			o->n += v->n;
			free(v->items);
			v->items = NULL;
			v->n = 0;
		}
		value_free(v);
		return 0;
	}
	if (f->n >= SETTINGS_MAX) {
		free(key);
		return fail(lx, "more than %d settings", SETTINGS_MAX);
	}
	s = realloc(f->s, (f->n + 1) * sizeof(*s));
	if (!s) {
		free(key);
		return -ENOMEM;
	}
	f->s = s;
	s[f->n].key = key;
	s[f->n].line = v->line;
	s[f->n].cmdline = lx->cmdline;
	s[f->n].v = *v;
	f->n++;
	return 0;
}

static int parse(struct lexer *lx, struct cfg_file *f, bool single)
{
	for (;;) {
		struct cfg_value v = { 0 };
		const char *k;
		bool append = false;
		char *key;
		int r;

		skip(lx, true);
		while (lx->p < lx->end && *lx->p == ';') {
			lx->p++;
			skip(lx, true);
		}
		if (lx->p >= lx->end)
			return 0;
		k = lx->p;
		if (!isalpha((unsigned char)*k) && *k != '_')
			return fail(lx, "expected a setting name");
		while (lx->p < lx->end && (isalnum((unsigned char)*lx->p) ||
					   *lx->p == '_'))
			lx->p++;
		if (lx->p - k > 64)
			return fail(lx, "setting name too long");
		key = strndup(k, (size_t)(lx->p - k));
		if (!key)
			return -ENOMEM;
		skip(lx, false);
		if (lx->end - lx->p >= 2 && lx->p[0] == '+' && lx->p[1] == '=') {
			append = true;
			lx->p += 2;
		} else if (lx->p < lx->end && *lx->p == '=') {
			lx->p++;
		} else {
			r = fail(lx, "expected '=' after '%s'", key);
			free(key);
			return r;
		}
		r = lex_value(lx, &v);
		if (r) {
			value_free(&v);
			free(key);
			return r;
		}
		skip(lx, false);
		if (lx->p < lx->end && *lx->p != '\n' && *lx->p != ';') {
			value_free(&v);
			free(key);
			return fail(lx, "unexpected text after the value");
		}
		r = store(lx, f, key, &v, append);
		if (r) {
			value_free(&v);
			return r;
		}
		if (single) {
			skip(lx, true);
			return lx->p < lx->end ?
				fail(lx, "one setting expected") : 0;
		}
	}
}

int cfg_syntax_parse(const char *fname, const char *buf, size_t len,
		     struct cfg_file *out, char *err, size_t errlen)
{
	struct lexer lx = { fname, buf, buf + len, 1, err, errlen, false };
	int r;

	memset(out, 0, sizeof(*out));
	if (len > CFG_FILE_MAX)
		return fail(&lx, "file larger than %u bytes", CFG_FILE_MAX);
	r = parse(&lx, out, false);
	if (r)
		cfg_file_free(out);
	return r;
}

int cfg_syntax_override(struct cfg_file *f, const char *kv, char *err,
			size_t errlen)
{
	struct lexer lx = { "<command line>", kv, kv + strlen(kv), 1, err,
			    errlen, true };

	return parse(&lx, f, true);
}

void cfg_file_free(struct cfg_file *f)
{
	for (unsigned int i = 0; i < f->n; i++) {
		free(f->s[i].key);
		value_free(&f->s[i].v);
	}
	free(f->s);
	memset(f, 0, sizeof(*f));
}
