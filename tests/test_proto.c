#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

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
	n = proto_unescape(copy, strlen(copy) - 1);
	assert_int_equal(n, sizeof raw - 1);
	assert_memory_equal(copy, raw, sizeof raw - 1);
	free(copy);
	assert_int_equal(proto_field(&b, "Bad Key", "x", 1), -1);
	assert_int_equal(proto_field(&b, "", "x", 1), -1);
	{
		char bad1[] = "a\\", bad2[] = "\\x4", bad3[] = "\\q", bad4[] = "\\xzz";
		assert_int_equal(proto_unescape(bad1, 2), -1);
		assert_int_equal(proto_unescape(bad2, 3), -1);
		assert_int_equal(proto_unescape(bad3, 2), -1);
		assert_int_equal(proto_unescape(bad4, 4), -1);
	}
	buf_free(&b);
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
		cmocka_unit_test(test_split_words),      cmocka_unit_test(test_split_quotes),
		cmocka_unit_test(test_split_errors),     cmocka_unit_test(test_split_garbage),
		cmocka_unit_test(test_escape_roundtrip), cmocka_unit_test(test_err_and_quote),
		cmocka_unit_test(test_getopt),
	};
	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
