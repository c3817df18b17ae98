#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static void
test_append_printf(void **state)
{
	struct buf b = {0};

	(void)state;
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_puts(&b, "abc"), 0);
	assert_int_equal(buf_printf(&b, "-%d-%s", 42, "x"), 0);
	assert_string_equal(buf_str(&b), "abc-42-x");
	assert_int_equal(b.len, 8);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_putc(&b, 'z'), 0);
	assert_int_equal(b.len, 1008);
	buf_reset(&b);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
}

static void
test_limit(void **state)
{
	struct buf b = {.limit = 4};

	(void)state;
	assert_int_equal(buf_puts(&b, "abcd"), 0);
	assert_int_equal(buf_puts(&b, "e"), -1);
	assert_string_equal(buf_str(&b), "abcd");
	assert_int_equal(buf_printf(&b, "%s", "xyz"), -1);
	assert_string_equal(buf_str(&b), "abcd");
	buf_free(&b);
}

static void
test_json(void **state)
{
	struct buf b = {0};
	const char in[] = "a\"b\\c\n\x01\xc3\xa9\xff\xe2\x82";
	char *s;

	(void)state;
	assert_int_equal(buf_json_string(&b, in, sizeof in - 1), 0);
	assert_string_equal(buf_str(&b),
			    "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	s = buf_detach(&b);
	assert_non_null(s);
	assert_null(b.data);
	free(s);
	s = buf_detach(&b);
	assert_string_equal(s, "");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_printf),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
