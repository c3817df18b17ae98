/* fuzz_proto: libFuzzer target for the control protocol's request splitter
 * (proto_split), plus the unescape/quote round trip on each word.
 *
 * On success: argc within HERALD_MAX_ARGS, argv NULL-terminated, every word
 * inside w.store, NUL-terminated, valid UTF-8 with no control bytes but the
 * \t \n \r escapes, and
 * proto_quote of each word splits back to the same word. On failure: code
 * is TOOLONG or BADARG and err is set. Build and run: see mk/fuzz.am. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "proto.h"

static void
check_word(const struct proto_words *w, const char *word)
{
	size_t n;

	if (word < w->store || word >= w->store + sizeof w->store)
		abort();
	n = strnlen(word, (size_t)(w->store + sizeof w->store - word));
	if (word + n >= w->store + sizeof w->store)
		abort();
	if (n > HERALD_MAX_LINE)
		abort();
	for (size_t i = 0, k; i < n; i += k)
		if ((k = buf_utf8_len((const unsigned char *)word + i, n - i)) == 0)
			abort();
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)word[i] < 0x20 && !strchr("\t\n\r", word[i])) ||
		    word[i] == 0x7f)
			abort(); /* only the \t \n \r escapes give control bytes */
}

/* proto_quote must give a line that splits back to exactly word. */
static void
check_quote(const char *word)
{
	static struct proto_words w2;
	struct buf b = {0};
	const char *code = NULL;
	char err[256];

	if (proto_quote(&b, word) < 0) {
		buf_free(&b);
		return;
	}
	/* A quoted word may exceed the line limit (escapes grow it). */
	if (b.len <= HERALD_MAX_LINE) {
		if (proto_split(b.data, b.len, &w2, &code, err, sizeof err) < 0)
			abort();
		if (w2.argc != 1 || strcmp(w2.argv[0], word) != 0)
			abort();
	}
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proto_words w;
	const char *code = NULL;
	char err[256];

	err[0] = '\0';
	if (proto_split((const char *)data, size, &w, &code, err, sizeof err) < 0) {
		if (code == NULL || err[0] == '\0')
			abort();
		if (strcmp(code, HERALD_E_TOOLONG) != 0 && strcmp(code, HERALD_E_BADARG) != 0)
			abort();
		return 0;
	}
	if (size > HERALD_MAX_LINE + 1)
		abort(); /* over the limit must be refused (+1: a trailing CR) */
	if (w.argc < 0 || w.argc > HERALD_MAX_ARGS || w.argv[w.argc] != NULL)
		abort();
	for (int i = 0; i < w.argc; i++) {
		if (w.argv[i] == NULL)
			abort();
		check_word(&w, w.argv[i]);
		check_quote(w.argv[i]);
	}
	return 0;
}
