/* client/width.c: cells of every script, cutting with an ellipsis, wrapping
 * at word boundaries (CJK anywhere), controls made visible. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "width.h"

/* Titles in the scripts of the rendering tests. */
static const char *const titles[] = {
	"Court blocks merger of the two largest grocery chains in the country",
	"Суд заблокировал слияние двух крупнейших продуктовых сетей страны",
	"İstanbul'da şiddetli yağış: ulaşım aksadı, okullar bir gün kapalı kalacak",
	"東京で震度5強の地震、新幹線が一時運転を見合わせ、けが人の情報なし",
	"北京发生地震，暂无人员伤亡报告，铁路部门启动应急预案",
	"Launch day 🚀🎉 for the new rocket 👩‍🚀 crew: café naïve e\xcc\x81",
	"한국어 제목도 두 칸씩 차지합니다",
};

static void
test_cells(void **state)
{
	(void)state;
	assert_int_equal(width_str("abc"), 3);
	assert_int_equal(width_str("Суд"), 3);
	assert_int_equal(width_str("地震"), 4);
	assert_int_equal(width_str("e\xcc\x81"), 1); /* e + combining acute */
	assert_int_equal(width_str("🚀"), 2);
	assert_int_equal(width_str("☺\xef\xb8\x8f"), 2);                    /* with VS16 */
	assert_int_equal(width_str("\xf0\x9f\x87\xaf\xf0\x9f\x87\xb5"), 2); /* a flag */
	assert_int_equal(width_str("\xff"), 1);                             /* invalid: U+FFFD */
	assert_int_equal(width_str(""), 0);
}

static void
test_fit(void **state)
{
	struct sb b = {0};

	(void)state;
	assert_int_equal(width_fit(&b, "hello", 10, 0), 5);
	assert_string_equal(sb_str(&b), "hello");
	b.len = 0;
	assert_int_equal(width_fit(&b, "hello", 10, 1), 10);
	assert_string_equal(sb_str(&b), "hello     ");
	b.len = 0;
	assert_int_equal(width_fit(&b, "hello world", 6, 0), 6);
	assert_string_equal(sb_str(&b), "hello…");
	/* A wide character is never cut in half: the cell left is padding. */
	b.len = 0;
	assert_int_equal(width_fit(&b, "地震が発生", 6, 1), 6);
	assert_string_equal(sb_str(&b), "地震… ");
	/* Combining marks stay with their letter. */
	b.len = 0;
	width_fit(&b, "e\xcc\x81\xcc\x81xyz", 2, 0);
	assert_string_equal(sb_str(&b), "e\xcc\x81\xcc\x81…");
	b.len = 0;
	assert_int_equal(width_rpad(&b, "3h ago", 8), 8);
	assert_string_equal(sb_str(&b), "  3h ago");
	sb_free(&b);
}

static void
test_fit_every_width(void **state)
{
	struct sb b = {0};

	(void)state;
	for (size_t t = 0; t < sizeof titles / sizeof *titles; t++)
		for (size_t cols = 1; cols < 90; cols++) {
			b.len = 0;
			width_fit(&b, titles[t], cols, 1);
			assert_int_equal(width_str(sb_str(&b)), cols);
		}
	sb_free(&b);
}

static void
test_clean(void **state)
{
	struct sb b = {0};
	const char evil[] = "Title\nsecond\r\x1b[31mred\x07\x7f \xc2\x9b"
			    "2J\t\xe2\x80\xa8x";

	(void)state;
	width_clean(&b, evil, sizeof evil - 1);
	assert_string_equal(sb_str(&b), "Title second ^[[31mred^G^? <U+009B>2J  x");
	for (size_t i = 0; i < b.len; i++)
		assert_true((unsigned char)b.data[i] >= 0x20 && b.data[i] != 0x7f);
	sb_free(&b);
}

static void
assert_lines_fit(const struct width_lines *l, size_t cols)
{
	for (size_t i = 0; i < l->n; i++) {
		if (width_str(l->v[i]) > cols)
			fail_msg("line %zu is %zu cells wide (max %zu): '%s'", i,
				 width_str(l->v[i]), cols, l->v[i]);
	}
}

static void
test_wrap_words(void **state)
{
	struct width_lines l = {0};
	const char *t = "The quick brown fox jumps over the lazy dog.\n\nNew paragraph here.";

	(void)state;
	width_wrap(&l, t, strlen(t), 16, NULL);
	assert_int_equal(l.n, 6);
	assert_string_equal(l.v[0], "The quick brown");
	assert_string_equal(l.v[1], "fox jumps over");
	assert_string_equal(l.v[2], "the lazy dog.");
	assert_string_equal(l.v[3], "");
	assert_string_equal(l.v[4], "New paragraph");
	assert_string_equal(l.v[5], "here.");
	width_lines_free(&l);
	/* No word is split when it fits on a line of its own. */
	width_wrap(&l, "aaaa bbbbbbbb cc", 16, 10, "  ");
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0], "  aaaa");
	assert_string_equal(l.v[1], "  bbbbbbbb");
	assert_string_equal(l.v[2], "  cc");
	width_lines_free(&l);
	/* A word longer than a line is cut. */
	width_wrap(&l, "abcdefghijkl", 12, 5, NULL);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0], "abcde");
	assert_string_equal(l.v[2], "kl");
	width_lines_free(&l);
}

static void
test_wrap_cjk(void **state)
{
	struct width_lines l = {0};
	const char *t = "東京で地震が発生しました";

	(void)state;
	width_wrap(&l, t, strlen(t), 10, NULL);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0], "東京で地震");
	assert_string_equal(l.v[1], "が発生しま");
	assert_string_equal(l.v[2], "した");
	width_lines_free(&l);
}

static void
test_wrap_every_width(void **state)
{
	struct width_lines l = {0};

	(void)state;
	for (size_t t = 0; t < sizeof titles / sizeof *titles; t++)
		for (size_t cols = 2; cols < 90; cols++) {
			struct sb joined = {0};

			width_wrap(&l, titles[t], strlen(titles[t]), cols, NULL);
			assert_lines_fit(&l, cols);
			/* Nothing is lost: the lines hold every non-space byte. */
			for (size_t i = 0; i < l.n; i++)
				for (const char *p = l.v[i]; *p; p++)
					if (*p != ' ')
						sb_putc(&joined, *p);
			for (const char *p = titles[t], *q = sb_str(&joined); *p; p++)
				if (*p != ' ')
					assert_int_equal(*p, *q++);
			sb_free(&joined);
			width_lines_free(&l);
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_fit_every_width),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_wrap_words),
		cmocka_unit_test(test_wrap_cjk),
		cmocka_unit_test(test_wrap_every_width),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
