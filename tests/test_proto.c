#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "herald/escape.h"
#include "proto.h"

static int
split(const char *s, struct proto_words *w, const char **code)
{
	char err[128];

	return proto_split(s, strlen(s), w, code, err, sizeof err);
}

static void
test_split_words(void **state)
{
	static struct proto_words w;
	const char *code;

	(void)state;
	assert_int_equal(split("stories --limit 5", &w, &code), 0);
	assert_int_equal(w.argc, 3);
	assert_string_equal(w.argv[0], "stories");
	assert_string_equal(w.argv[2], "5");
	assert_null(w.argv[3]);
	assert_int_equal(split("  \t  a\t\tb   ", &w, &code), 0);
	assert_int_equal(w.argc, 2);
	assert_string_equal(w.argv[0], "a");
	assert_string_equal(w.argv[1], "b");
	assert_int_equal(split("", &w, &code), 0);
	assert_int_equal(w.argc, 0);
	assert_int_equal(split("   ", &w, &code), 0);
	assert_int_equal(w.argc, 0);
	/* CRLF clients (telnet) work. */
	assert_int_equal(split("version\r", &w, &code), 0);
	assert_int_equal(w.argc, 1);
	assert_string_equal(w.argv[0], "version");
}

static void
test_split_quotes(void **state)
{
	static struct proto_words w;
	const char *code;

	(void)state;
	assert_int_equal(split("search \"climate talks\" 'a \"b\" \\n'", &w, &code), 0);
	assert_int_equal(w.argc, 3);
	assert_string_equal(w.argv[1], "climate talks");
	assert_string_equal(w.argv[2], "a \"b\" \\n");
	assert_int_equal(split("x \"a\\\"b\\\\c\\nd\\te\"", &w, &code), 0);
	assert_string_equal(w.argv[1], "a\"b\\c\nd\te");
	/* Adjacent pieces join; empty quotes are an empty word. */
	assert_int_equal(split("ab\"c d\"'e' \"\" ''", &w, &code), 0);
	assert_int_equal(w.argc, 3);
	assert_string_equal(w.argv[0], "abc de");
	assert_string_equal(w.argv[1], "");
	assert_string_equal(w.argv[2], "");
	assert_int_equal(split("caf\xc3\xa9 \"\xe2\x82\xac\"", &w, &code), 0);
	assert_string_equal(w.argv[1], "\xe2\x82\xac");
}

static void
test_split_errors(void **state)
{
	static struct proto_words w;
	const char *code;
	char err[128];
	char *big;

	(void)state;
	assert_int_equal(split("show \"12", &w, &code), -1);
	assert_string_equal(code, HERALD_E_BADARG);
	assert_int_equal(w.argc, 0);
	assert_int_equal(split("show '12", &w, &code), -1);
	assert_int_equal(split("x \"bad \\q escape\"", &w, &code), -1);
	assert_string_equal(code, HERALD_E_BADARG);
	assert_int_equal(split("x \"trailing\\", &w, &code), -1);
	assert_int_equal(split("x \x01y", &w, &code), -1);
	assert_int_equal(split("x \x7f", &w, &code), -1);
	assert_int_equal(split("x \"in\nquotes\"", &w, &code), -1);
	/* Non-UTF-8: a lone continuation byte, an overlong form, a surrogate,
	 * a truncated sequence. */
	assert_int_equal(split("x \x80", &w, &code), -1);
	assert_int_equal(split("x \xc0\xaf", &w, &code), -1);
	assert_int_equal(split("x \xed\xa0\x80", &w, &code), -1);
	assert_int_equal(split("x \xe2\x82", &w, &code), -1);
	assert_string_equal(code, HERALD_E_BADARG);
	/* Embedded NUL: a C string would hide it, the length does not. */
	assert_int_equal(proto_split("read 1\0 2", 9, &w, &code, err, sizeof err), -1);
	assert_string_equal(code, HERALD_E_BADARG);
	assert_non_null(strstr(err, "NUL"));

	big = malloc(HERALD_MAX_LINE + 2);
	assert_non_null(big);
	memset(big, 'a', HERALD_MAX_LINE + 1);
	assert_int_equal(proto_split(big, HERALD_MAX_LINE + 1, &w, &code, err, sizeof err), -1);
	assert_string_equal(code, HERALD_E_TOOLONG);
	/* Exactly the limit is fine: one word of HERALD_MAX_LINE bytes. */
	assert_int_equal(proto_split(big, HERALD_MAX_LINE, &w, &code, err, sizeof err), 0);
	assert_int_equal(w.argc, 1);
	assert_int_equal(strlen(w.argv[0]), HERALD_MAX_LINE);
	/* Words at the limit, then one too many. */
	for (int i = 0; i < HERALD_MAX_ARGS + 1; i++)
		big[2 * i] = 'w', big[2 * i + 1] = ' ';
	assert_int_equal(proto_split(big, 2 * HERALD_MAX_ARGS, &w, &code, err, sizeof err), 0);
	assert_int_equal(w.argc, HERALD_MAX_ARGS);
	assert_int_equal(proto_split(big, 2 * HERALD_MAX_ARGS + 1, &w, &code, err, sizeof err), -1);
	assert_string_equal(code, HERALD_E_TOOLONG);
	free(big);
}

/* Garbage never crashes and never yields words outside the store. */
static void
test_split_garbage(void **state)
{
	static struct proto_words w;
	const char *code;
	char err[128], line[300];
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = (seed >> 3) % sizeof line;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			line[i] = " \t\"'\\ab\xc3\xa9\n"[(seed >> 16) % 11];
		}
		seed = seed * 1103515245u + 12345u;
		if (proto_split(line, n, &w, &code, err, sizeof err) == 0) {
			for (int i = 0; i < w.argc; i++) {
				assert_true(w.argv[i] >= w.store);
				assert_true(w.argv[i] + strlen(w.argv[i]) <= w.store + n);
			}
			assert_null(w.argv[w.argc]);
		} else {
			assert_true(strcmp(code, HERALD_E_BADARG) == 0);
		}
	}
}

static void
test_escape_roundtrip(void **state)
{
	struct buf b = {0};
	const char raw[] = "line1\nline2\ttab\\back\r\x01\x7f end \xc3\xa9";
	char *copy;
	long n;

	(void)state;
	assert_int_equal(proto_field(&b, "title", raw, sizeof raw - 1), 0);
	assert_string_equal(buf_str(&b),
			    "title: line1\\nline2\\ttab\\\\back\\r\\x01\\x7f end \xc3\xa9\n");
	/* One line, whatever the data. */
	assert_ptr_equal(strchr(buf_str(&b), '\n'), buf_str(&b) + b.len - 1);
	copy = strdup(buf_str(&b) + 7);
	n = herald_unescape(copy, copy, strlen(copy) - 1);
	assert_int_equal(n, sizeof raw - 1);
	assert_memory_equal(copy, raw, sizeof raw - 1);
	free(copy);
	assert_int_equal(proto_field(&b, "Bad Key", "x", 1), -1);
	assert_int_equal(proto_field(&b, "", "x", 1), -1);
	buf_free(&b);
}

/* What herald_escape must write for byte c alone. */
static const char *
expected_escape(unsigned char c, char *tmp)
{
	switch (c) {
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default:
		if (c < 0x20 || c == 0x7f)
			snprintf(tmp, 8, "\\x%02x", c);
		else
			tmp[0] = (char)c, tmp[1] = '\0';
		return tmp;
	}
}

/* Every byte value, alone and all 256 in one value, escapes to a line
 * with no control byte and unescapes to itself. */
static void
test_escape_every_byte(void **state)
{
	struct buf b = {0};
	char all[256], tmp[8], out[4 * 256 + 1];
	long n;

	(void)state;
	for (int c = 0; c < 256; c++) {
		buf_reset(&b);
		all[c] = (char)c;
		assert_int_equal(proto_escape(&b, &all[c], 1), 0);
		assert_string_equal(buf_str(&b), expected_escape((unsigned char)c, tmp));
		n = herald_unescape(out, b.data, b.len);
		assert_int_equal(n, 1);
		assert_int_equal((unsigned char)out[0], c);
		assert_int_equal(out[1], '\0');
	}
	buf_reset(&b);
	assert_int_equal(proto_escape(&b, all, sizeof all), 0);
	for (size_t i = 0; i < b.len; i++)
		assert_true((unsigned char)b.data[i] >= 0x20 && b.data[i] != 0x7f);
	assert_true(b.len <= sizeof out - 1);
	n = herald_unescape(out, b.data, b.len);
	assert_int_equal(n, sizeof all);
	assert_memory_equal(out, all, sizeof all);
	/* In place, as the old proto_unescape did. */
	n = herald_unescape(b.data, b.data, b.len);
	assert_int_equal(n, sizeof all);
	assert_memory_equal(b.data, all, sizeof all);
	/* Upper-case hex is read too; \x00 gives a NUL inside the value. */
	assert_int_equal(herald_unescape(out, "\\x7F\\x00z", 9), 3);
	assert_memory_equal(out, "\x7f\0z", 3);
	assert_int_equal(herald_unescape(out, "", 0), 0);
	assert_int_equal(out[0], '\0');
	buf_free(&b);
}

static void
test_unescape_malformed(void **state)
{
	static const char *const bad[] = {
		"\\",    "a\\",   "\\q",      "\\N",  "\\x", "\\x4", "\\xzz",
		"\\x4g", "\\xg4", "ok\\\\\\", "\\\"", "\\'", "\\ ",  "\\0",
	};
	char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(herald_unescape(out, bad[i], strlen(bad[i])), -1);
	/* The length, not a NUL, ends the input: a cut escape is malformed. */
	assert_int_equal(herald_unescape(out, "\\x41", 3), -1);
	assert_int_equal(herald_unescape(out, "\\x41", 4), 1);
	assert_int_equal(out[0], 'A');
}

/* A tuple's parts are escaped one by one and joined by literal TABs, so
 * a TAB inside a part is data and survives the split. */
static void
test_tuple(void **state)
{
	static const char *const parts[] = {"345", "nyt",      "N\tY\tT", "back\\t\\slash",
					    "",    "new\nline"};
	const size_t nparts = sizeof parts / sizeof *parts;
	struct buf b = {0};
	const char *p;
	size_t pos = 0, len, k = 0;
	char out[64];

	(void)state;
	for (size_t i = 0; i < nparts; i++) {
		if (i)
			assert_int_equal(buf_putc(&b, '\t'), 0);
		assert_int_equal(proto_escape(&b, parts[i], strlen(parts[i])), 0);
	}
	assert_string_equal(buf_str(&b), "345\tnyt\tN\\tY\\tT\tback\\\\t\\\\slash\t\tnew\\nline");
	while (herald_tuple_next(b.data, b.len, &pos, &p, &len)) {
		assert_true(k < nparts);
		assert_int_equal(herald_unescape(out, p, len), strlen(parts[k]));
		assert_string_equal(out, parts[k]);
		k++;
	}
	assert_int_equal(k, nparts);
	/* No literal TAB: one part; a TAB at either end: an empty part there. */
	pos = 0, k = 0;
	while (herald_tuple_next("x\\ty", 4, &pos, &p, &len))
		assert_true(k++ == 0 && len == 4);
	assert_int_equal(k, 1);
	pos = 0, k = 0;
	while (herald_tuple_next("\ta\t", 3, &pos, &p, &len)) {
		assert_int_equal(len, k == 1 ? 1 : 0);
		k++;
	}
	assert_int_equal(k, 3);
	pos = 0, k = 0;
	while (herald_tuple_next(NULL, 0, &pos, &p, &len))
		assert_true(k++ == 0 && len == 0);
	assert_int_equal(k, 1);
	buf_free(&b);
}

static int
put_fail_second(void *ctx, const char *p, size_t n)
{
	int *calls = ctx;

	(void)p, (void)n;
	return ++*calls == 2 ? -7 : 0;
}

/* A failing callback stops the writer, which returns its value. */
static void
test_escape_put_fails(void **state)
{
	int calls = 0;

	(void)state;
	assert_int_equal(herald_escape("a\nb", 3, put_fail_second, &calls), -7);
	assert_int_equal(calls, 2);
	calls = 0;
	assert_int_equal(herald_quote("a\"b", 3, put_fail_second, &calls), -7);
	assert_int_equal(calls, 2);
	calls = 0;
	assert_int_equal(herald_escape("", 0, put_fail_second, &calls), 0);
	assert_int_equal(calls, 0);
}

static void
test_err_and_quote(void **state)
{
	struct buf b = {0};
	static struct proto_words w;
	const char *code;
	const char *words[] = {"plain", "two words", "q\"uo'te", "back\\slash", "new\nline", ""};

	(void)state;
	assert_int_equal(proto_err_line(&b, HERALD_E_NOTFOUND, "no story 12\nsecond"), 0);
	assert_string_equal(buf_str(&b), "ERR notfound no story 12 second\n");
	buf_reset(&b);
	for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
		assert_int_equal(proto_quote(&b, words[i]), 0);
		assert_int_equal(buf_putc(&b, ' '), 0);
	}
	assert_int_equal(split(buf_str(&b), &w, &code), 0);
	assert_int_equal(w.argc, 6);
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		assert_string_equal(w.argv[i], words[i]);
	buf_free(&b);
}

/* Every byte a request may carry (printable ASCII, TAB, newline, CR, and
 * UTF-8) survives herald_quote then proto_split, one word per byte. */
static void
test_quote_every_byte(void **state)
{
	static struct proto_words w;
	struct buf b = {0};
	const char *code;
	char word[2] = {0};

	(void)state;
	for (int c = 1; c < 0x80; c++) {
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			continue;
		buf_reset(&b);
		word[0] = (char)c;
		assert_int_equal(proto_quote(&b, word), 0);
		assert_null(memchr(b.data, '\n', b.len));
		assert_int_equal(split(buf_str(&b), &w, &code), 0);
		assert_int_equal(w.argc, 1);
		assert_string_equal(w.argv[0], word);
	}
	buf_reset(&b);
	assert_int_equal(proto_quote(&b, "caf\xc3\xa9 \xe2\x82\xac"), 0);
	assert_string_equal(buf_str(&b), "\"caf\xc3\xa9 \xe2\x82\xac\"");
	/* Each escape the quoter writes is one herald_unquote_char reads. */
	assert_int_equal(herald_unquote_char('n'), '\n');
	assert_int_equal(herald_unquote_char('t'), '\t');
	assert_int_equal(herald_unquote_char('r'), '\r');
	assert_int_equal(herald_unquote_char('"'), '"');
	assert_int_equal(herald_unquote_char('\''), '\'');
	assert_int_equal(herald_unquote_char('\\'), '\\');
	assert_int_equal(herald_unquote_char('x'), -1);
	assert_int_equal(herald_unquote_char('0'), -1);
	buf_free(&b);
}

static void
test_getopt(void **state)
{
	char *argv[] = {"stories", "--limit", "5", "--all", "x", "--feed=nyt", "--", "--y", NULL};
	struct proto_opt opts[] = {
		{.name = "limit", .has_arg = 1},
		{.name = "all"},
		{.name = "feed", .has_arg = 1},
		{.name = "tag", .has_arg = 1},
	};
	char *pos[4], err[128];
	int npos;
	uint64_t u;
	int64_t id;

	(void)state;
	assert_int_equal(proto_getopt(8, argv, opts, 4, pos, 4, &npos, err, sizeof err), 0);
	assert_string_equal(opts[0].value, "5");
	assert_true(opts[1].seen);
	assert_string_equal(opts[2].value, "nyt");
	assert_false(opts[3].seen);
	assert_int_equal(npos, 2);
	assert_string_equal(pos[0], "x");
	assert_string_equal(pos[1], "--y");

	char *bad1[] = {"x", "--nope"}, *bad2[] = {"x", "--limit"}, *bad3[] = {"x", "--all=1"},
	     *bad4[] = {"x", "a", "b"};
	assert_int_equal(proto_getopt(2, bad1, opts, 4, pos, 4, &npos, err, sizeof err), -1);
	assert_non_null(strstr(err, "--nope"));
	assert_int_equal(proto_getopt(2, bad2, opts, 4, pos, 4, &npos, err, sizeof err), -1);
	assert_int_equal(proto_getopt(2, bad3, opts, 4, pos, 4, &npos, err, sizeof err), -1);
	assert_int_equal(proto_getopt(3, bad4, opts, 4, pos, 1, &npos, err, sizeof err), -1);

	assert_int_equal(proto_parse_id("42", &id), 0);
	assert_int_equal(id, 42);
	assert_int_equal(proto_parse_id("0", &id), -1);
	assert_int_equal(proto_parse_id("-1", &id), -1);
	assert_int_equal(proto_parse_id("12x", &id), -1);
	assert_int_equal(proto_parse_id("", &id), -1);
	assert_int_equal(proto_parse_id("99999999999999999999", &id), -1);
	assert_int_equal(proto_parse_uint("10", 10, &u), 0);
	assert_int_equal(proto_parse_uint("11", 10, &u), -1);
	assert_int_equal(proto_parse_uint(" 1", 10, &u), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_words),        cmocka_unit_test(test_split_quotes),
		cmocka_unit_test(test_split_errors),       cmocka_unit_test(test_split_garbage),
		cmocka_unit_test(test_escape_roundtrip),   cmocka_unit_test(test_escape_every_byte),
		cmocka_unit_test(test_unescape_malformed), cmocka_unit_test(test_tuple),
		cmocka_unit_test(test_escape_put_fails),   cmocka_unit_test(test_err_and_quote),
		cmocka_unit_test(test_quote_every_byte),   cmocka_unit_test(test_getopt),
	};
	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
