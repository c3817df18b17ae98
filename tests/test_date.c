/* test_date: every vector in $HERALD_SHARED/corpora/{feedparser,gofeed}/derived/
 * date_vectors.json, plus our own cases. The vectors file is an array of flat
 * objects; a small reader below takes "input" and "expected_iso" from each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "date.h"

static void
check(const char *in, const char *want)
{
	int64_t t = 0;
	char got[32];
	int rc = date_parse(in, &t);

	if (want == NULL) {
		if (rc == 0) {
			date_format(t, got, sizeof got);
			fail_msg("'%s' should be rejected, got %s", in, got);
		}
		return;
	}
	if (rc != 0)
		fail_msg("'%s' rejected, want %s", in, want);
	assert_int_equal(date_format(t, got, sizeof got), 0);
	if (strcmp(got, want) != 0)
		fail_msg("'%s': got %s, want %s", in, got, want);
}

/* ---- a tiny JSON reader for the vectors file ---- */

struct json {
	const char *s;
	int ok;
};

static void
ws(struct json *j)
{
	while (*j->s == ' ' || *j->s == '\n' || *j->s == '\t' || *j->s == '\r')
		j->s++;
}

static void
put_utf8(struct buf *b, unsigned c)
{
	char o[4];
	size_t n;

	if (c < 0x80)
		o[0] = (char)c, n = 1;
	else if (c < 0x800)
		o[0] = (char)(0xC0 | c >> 6), o[1] = (char)(0x80 | (c & 0x3F)), n = 2;
	else if (c < 0x10000)
		o[0] = (char)(0xE0 | c >> 12), o[1] = (char)(0x80 | ((c >> 6) & 0x3F)),
		o[2] = (char)(0x80 | (c & 0x3F)), n = 3;
	else
		o[0] = (char)(0xF0 | c >> 18), o[1] = (char)(0x80 | ((c >> 12) & 0x3F)),
		o[2] = (char)(0x80 | ((c >> 6) & 0x3F)), o[3] = (char)(0x80 | (c & 0x3F)), n = 4;
	buf_append(b, o, n);
}

/* A string literal into out (decoded); the cursor is on the opening quote. */
static void
jstring(struct json *j, struct buf *out)
{
	buf_reset(out);
	buf_puts(out, "");
	if (*j->s++ != '"') {
		j->ok = 0;
		return;
	}
	while (*j->s && *j->s != '"') {
		if (*j->s != '\\') {
			buf_putc(out, *j->s++);
			continue;
		}
		j->s++;
		char e = *j->s++;
		if (e == 'u') {
			unsigned c = (unsigned)strtoul(
				(char[5]){j->s[0], j->s[1], j->s[2], j->s[3], 0}, NULL, 16);
			j->s += 4;
			if (c >= 0xD800 && c < 0xDC00 && j->s[0] == '\\' && j->s[1] == 'u') {
				unsigned lo = (unsigned)strtoul(
					(char[5]){j->s[2], j->s[3], j->s[4], j->s[5], 0}, NULL, 16);
				c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
				j->s += 6;
			}
			put_utf8(out, c);
		} else {
			buf_putc(out, e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e);
		}
	}
	if (*j->s == '"')
		j->s++;
	else
		j->ok = 0;
}

/* Skips any value (used for the keys we do not need). */
static void
jskip(struct json *j)
{
	struct buf tmp = {0};
	int depth = 0;

	ws(j);
	do {
		if (*j->s == '"') {
			jstring(j, &tmp);
			continue;
		}
		if (*j->s == '[' || *j->s == '{')
			depth++;
		else if (*j->s == ']' || *j->s == '}')
			depth--;
		else if (*j->s == '\0') {
			j->ok = 0;
			break;
		}
		j->s++;
		ws(j);
	} while (depth > 0 || (*j->s != ',' && *j->s != '}' && *j->s != ']'));
	buf_free(&tmp);
}

/* Runs check() on each object of the array in text; returns the count. */
static int
run_vectors(const char *text)
{
	struct json j = {text, 1};
	struct buf key = {0}, in = {0}, want = {0};
	int n = 0;

	ws(&j);
	assert_int_equal(*j.s++, '[');
	for (;;) {
		ws(&j);
		if (*j.s == ']')
			break;
		assert_int_equal(*j.s++, '{');
		int have_in = 0, have_want = 0;
		for (;;) {
			ws(&j);
			if (*j.s == '}') {
				j.s++;
				break;
			}
			jstring(&j, &key);
			ws(&j);
			assert_int_equal(*j.s++, ':');
			ws(&j);
			if (!strcmp(buf_str(&key), "input") && *j.s == '"') {
				jstring(&j, &in);
				have_in = 1;
			} else if (!strcmp(buf_str(&key), "expected_iso") && *j.s == '"') {
				jstring(&j, &want);
				have_want = 1;
			} else {
				jskip(&j);
			}
			ws(&j);
			if (*j.s == ',')
				j.s++;
			assert_true(j.ok);
		}
		if (have_in) { /* "input": null (Python's None) has no C form */
			/* the one deliberate divergence, see test_iso */
			if (strcmp(buf_str(&in), "22013") != 0)
				check(buf_str(&in), have_want ? buf_str(&want) : NULL);
			n++;
		}
		ws(&j);
		if (*j.s == ',')
			j.s++;
	}
	buf_free(&key), buf_free(&in), buf_free(&want);
	return n;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = {0};
	char tmp[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_append(&b, tmp, n);
	fclose(f);
	return buf_detach(&b);
}

static void
test_vectors(void **state)
{
	static const char *const corpora[] = {"feedparser", "gofeed"};
	const char *shared = getenv("HERALD_SHARED");
	int total = 0;

	(void)state;
	if (shared == NULL)
		skip();
	for (size_t i = 0; i < 2; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/corpora/%s/derived/date_vectors.json", shared,
			 corpora[i]);
		char *text = slurp(path);
		if (text == NULL)
			skip();
		total += run_vectors(text);
		free(text);
	}
	/* 74 + 18 vectors, one of them a Python None input */
	assert_int_equal(total, 91);
}

static void
test_rfc822(void **state)
{
	(void)state;
	check("Sat, 07 Sep 2002 00:00:01 GMT", "2002-09-07T00:00:01Z");
	check("Sat, 07 Sep 02 00:00:01 GMT", "2002-09-07T00:00:01Z");
	check("Tue, 10 Jun 2003 04:00:00 +0200", "2003-06-10T02:00:00Z");
	check("10 Jun 99 04:00 EST", "1999-06-10T09:00:00Z");
	check("Mon, 1 Jan 2024 12:00:00 Z", "2024-01-01T12:00:00Z");
	check("Mon, 1 Jan 2024 12:00:00 A", "2024-01-01T11:00:00Z"); /* military +1 */
	check("Mon, 1 Jan 2024 12:00:00 Y", "2024-01-02T00:00:00Z"); /* military -12 */
	check("Wednesday, 3 March 2021 08:15:00 PST", "2021-03-03T16:15:00Z");
	check("Mon, 29 Feb 2021 00:00:00 GMT", NULL); /* not a leap year */
	check("Mon, 1 Jan 2024 24:00:00 GMT", NULL);
	check("Mon, 1 Jan 2024 12:00:00 XYZ", NULL);
	check("yesterday", NULL);
	check("", NULL);
	check("   ", NULL);
}

static void
test_iso(void **state)
{
	(void)state;
	check("2024-02-29T23:59:59.999999+00:00", "2024-02-29T23:59:59Z");
	check("2024-02-29t10:00:00z", "2024-02-29T10:00:00Z");
	check("20240229T100000Z", "2024-02-29T10:00:00Z");
	check("2024-060", "2024-02-29T00:00:00Z"); /* ordinal */
	check("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z");
	check("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z");
	check("0001-01-01T00:00:00+01:00", NULL); /* before year 1 in UTC */
	check("2024-13-01", NULL);
	check("2024-02-30", NULL);
	check("2024-01-01T10:00:00+24:00", NULL);
	check("2024-01-01T10:00:00+05:60", NULL);
	check("Sun Jan  4 16:29:06 2004", "2004-01-04T16:29:06Z"); /* asctime */
	/* '22013' is YYDDD to feedparser's ISO 8601 parser and an error to its W3CDTF
	 * parser; we read it as an ordinal date (2022, day 13), like "03335". */
	check("22013", "2022-01-13T00:00:00Z");
}

static void
test_format(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(date_format(0, out, sizeof out), 0);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	assert_int_equal(date_format(-1, out, sizeof out), 0);
	assert_string_equal(out, "1969-12-31T23:59:59Z");
	assert_int_equal(date_format(253402300800LL, out, sizeof out), -1); /* year 10000 */
	assert_int_equal(date_format(0, out, 5), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_rfc822),
		cmocka_unit_test(test_iso),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests_name("date", tests, NULL, NULL);
}
