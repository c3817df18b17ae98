/* client/textdoc.c: an item's HTML as wrapped-ready text, links numbered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "textdoc.h"

static void
doc(struct textdoc *d, const char *html)
{
	memset(d, 0, sizeof *d);
	assert_int_equal(textdoc_from_html(d, html, strlen(html)), 0);
}

static void
test_paragraphs_and_links(void **state)
{
	struct textdoc d;

	(void)state;
	doc(&d, "<p>The  court <a href=\"https://a.example/r\">ruled</a>   today.</p>"
		"<p>See <a href='https://b.example/'>the filing</a> and "
		"<a href=\"https://a.example/r\">again</a>.<br>Next line</p>"
		"<ul><li>one</li><li>two <a href=\"javascript:alert(1)\">x</a></li></ul>");
	assert_string_equal(sb_str(&d.text), "The court ruled [1] today.\n\n"
					     "See the filing [2] and again [1].\nNext line\n\n"
					     "\xe2\x80\xa2 one\n\xe2\x80\xa2 two x");
	assert_int_equal(d.nlinks, 2);
	assert_string_equal(d.links[0], "https://a.example/r");
	assert_string_equal(d.links[1], "https://b.example/");
	textdoc_free(&d);
}

static void
test_pre_images_and_junk(void **state)
{
	struct textdoc d;

	(void)state;
	doc(&d, "<pre>a  b\n  c</pre><img src=\"x.png\" alt=\"a chart\"><script>x()</script>"
		"<a href=\"data:text/html,hi\">d</a><a href=\"MAILTO:x@y.example\">m</a>");
	assert_string_equal(sb_str(&d.text), "a  b\n  c\n\n[image: a chart] dm [1]");
	assert_int_equal(d.nlinks, 1);
	textdoc_free(&d);
	doc(&d, "");
	assert_string_equal(sb_str(&d.text), "");
	assert_int_equal(d.nlinks, 0);
	textdoc_free(&d);
	assert_true(textdoc_link_ok("HTTPS://x.example/"));
	assert_false(textdoc_link_ok("https://"));
	assert_false(textdoc_link_ok("file:///etc/passwd"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paragraphs_and_links),
		cmocka_unit_test(test_pre_images_and_junk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
