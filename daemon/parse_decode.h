/* parse_decode: the bytes of a response body to clean UTF-8, streamed.
 *
 * Internal to parse. Picks the charset (HTTP charset, BOM, XML declaration,
 * UTF-8; RFC 3023's us-ascii label for text/ types without a charset),
 * transcodes with iconv where needed, and guarantees the output is valid UTF-8
 * holding only characters XML allows: invalid sequences become U+FFFD and
 * forbidden control characters are dropped, each setting bozo. */
#ifndef HERALD_PARSE_DECODE_H
#define HERALD_PARSE_DECODE_H

#include <iconv.h>
#include <stddef.h>

#include "buf.h"

struct pdec {
	int sniffed;
	struct buf head;         /* bytes held until the charset is known */
	iconv_t cd;              /* (iconv_t)-1 when the input is UTF-8 */
	unsigned char icarry[8]; /* incomplete input sequence for iconv */
	size_t nicarry;
	unsigned char carry[4]; /* incomplete UTF-8 sequence */
	size_t ncarry;
	char http_charset[48];
	int text_media;    /* Content-Type text/...: RFC 3023 us-ascii default */
	int not_xml_media; /* e.g. text/plain, text/html: bozo */
	int ascii_label;   /* report "us-ascii" while the input stays ASCII */
	int nonascii;
	char encoding[48]; /* charset in use, lower case */
	int bozo;
	char reason[160];
};

void pdec_init(struct pdec *d, const char *content_type);

/* Decodes len bytes of in, appending UTF-8 to out; final flushes what is
 * held. Returns 0, or -1 when memory runs out. */
int pdec_feed(struct pdec *d, const void *in, size_t len, int final, struct buf *out);

/* The charset to report: encoding, or "us-ascii" under the RFC 3023 rule. */
const char *pdec_encoding(const struct pdec *d);

void pdec_free(struct pdec *d);

#endif
