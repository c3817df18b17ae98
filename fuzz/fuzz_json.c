/* fuzz_json: libFuzzer target for JSON Feed (daemon/parse_json.c through the
 * parse_* API, as fetch feeds it).
 *
 * Input: byte 0 picks the chunk size and whether a document URL is given,
 * the rest is the body, served as application/feed+json. Every string the
 * parser hands out must be valid UTF-8 without NUL; the sanitizers catch the
 * rest. Seeds: fuzz/seeds/json/. Build and run: see mk/fuzz.am. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "parse.h"

static int
on_item(const struct parse_item *it, void *user)
{
	(void)user;
	check_str(it->guid);
	check_str(it->link);
	check_str(it->image);
	check_text(&it->title);
	check_text(&it->summary);
	for (size_t i = 0; i < it->ncontent; i++)
		check_text(&it->content[i]);
	check_str(it->published_raw);
	check_str(it->updated_raw);
	check_lists(&it->l);
	for (size_t i = 0; i < it->nenclosures; i++) {
		const struct parse_enclosure *e = &it->enclosures[i];
		if (e->url == NULL)
			abort(); /* an attachment without url is no enclosure */
		check_str(e->url), check_str(e->type), check_str(e->length), check_str(e->duration);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = 1 + (size_t)(data[0] % 64) * (data[0] & 0x40 ? 67 : 1);
	struct parse *p =
		parse_new("application/feed+json",
			  data[0] & 0x80 ? "http://example.com/feed/" : NULL, on_item, NULL);

	if (p == NULL)
		return 0;
	data += 1, size -= 1;
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
	check_str(m->id);
	check_str(m->icon);
	check_str(m->logo);
	check_str(m->version);
	check_lists(&m->l);
	check_str(m->bozo_reason);
	check_str(parse_error(p));
	parse_free(p);
	return 0;
}
