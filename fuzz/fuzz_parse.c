/* fuzz_parse: libFuzzer target for the feed parser.
 *
 * Input: byte 0 picks the Content-Type, byte 1 the chunk size, the rest is
 * the body, fed in chunks as fetch would. Every string the parser hands out
 * must be valid UTF-8 without NUL; the sanitizers catch the rest.
 * Build and run: see mk/fuzz.am ("make fuzz"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "parse.h"

static const char *const types[] = {
	NULL,
	"application/rss+xml",
	"application/atom+xml; charset=utf-8",
	"text/xml",
	"text/xml; charset=windows-1251",
	"application/xml; charset=koi8-r",
	"text/plain",
	"application/xml; charset=utf-16",
	"application/xml; charset=big5",
	"application/rss+xml; charset=\"gb2312\"",
	"text/html; charset=iso-8859-1",
	"application/xml; charset=bogus-charset",
};

static int
on_item(const struct parse_item *it, void *user)
{
	(void)user;
	check_str(it->guid);
	check_str(it->link);
	check_text(&it->title);
	check_text(&it->summary);
	for (size_t i = 0; i < it->ncontent; i++)
		check_text(&it->content[i]);
	check_str(it->published_raw);
	check_lists(&it->l);
	for (size_t i = 0; i < it->nenclosures; i++)
		check_str(it->enclosures[i].url);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const char *ct = types[data[0] % (sizeof types / sizeof types[0])];
	size_t chunk = 1 + (size_t)(data[1] % 64) * (data[1] & 0x80 ? 67 : 1);
	struct parse *p =
		parse_new(ct, data[0] & 0x80 ? "http://example.com/feed/" : NULL, on_item, NULL);

	if (p == NULL)
		return 0;
	data += 2, size -= 2;
	for (size_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		if (parse_feed(p, data + off, n) < 0)
			break;
	}
	parse_finish(p);
	const struct parse_meta *m = parse_meta(p);
	check_text(&m->title);
	check_text(&m->subtitle);
	check_str(m->link);
	check_lists(&m->l);
	check_str(m->bozo_reason);
	check_str(m->encoding);
	check_str(parse_error(p));
	parse_free(p);
	return 0;
}
