/* parse_decode: charset choice and transcoding to clean UTF-8; see parse_decode.h. */
#include "parse_decode.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SNIFF_MAX 1024

static const char fffd[] = "\xEF\xBF\xBD";

static void
set_bozo(struct pdec *d, const char *why)
{
	if (!d->bozo)
		snprintf(d->reason, sizeof d->reason, "%s", why);
	d->bozo = 1;
}

/* Lower-cased, unquoted copy of a charset name; canonical aliases. */
static void
norm_charset(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	while (n && (isspace((unsigned char)*s) || *s == '"' || *s == '\''))
		s++, n--;
	while (n && (isspace((unsigned char)s[n - 1]) || s[n - 1] == '"' || s[n - 1] == '\''))
		n--;
	for (size_t i = 0; i < n && o + 1 < outlen; i++)
		out[o++] = (char)tolower((unsigned char)s[i]);
	out[o] = '\0';
	if (!strcmp(out, "utf8"))
		snprintf(out, outlen, "utf-8");
	else if (!strcmp(out, "gb2312") || !strcmp(out, "gbk") || !strcmp(out, "x-gbk"))
		snprintf(out, outlen, "gb18030");
	else if (!strcmp(out, "latin1") || !strcmp(out, "latin-1") || !strcmp(out, "iso8859-1") ||
		 !strcmp(out, "iso_8859-1"))
		snprintf(out, outlen, "iso-8859-1");
	else if (!strcmp(out, "ascii") || !strcmp(out, "ansi_x3.4-1968"))
		snprintf(out, outlen, "us-ascii");
}

void
pdec_init(struct pdec *d, const char *ct)
{
	memset(d, 0, sizeof *d);
	d->cd = (iconv_t)-1;
	if (ct == NULL || *ct == '\0')
		return;
	size_t mlen = strcspn(ct, ";");
	char media[96];
	norm_charset(ct, mlen < sizeof media ? mlen : sizeof media - 1, media, sizeof media);
	d->text_media = strncmp(media, "text/", 5) == 0;
	if (strstr(media, "xml") == NULL && strstr(media, "rss") == NULL &&
	    strstr(media, "atom") == NULL && strcmp(media, "application/octet-stream") != 0)
		d->not_xml_media = 1;
	for (const char *p = ct + mlen; *p == ';';) {
		p++;
		size_t seg = strcspn(p, ";");
		const char *eq = memchr(p, '=', seg);
		const char *n = p;
		while (n < p + seg && isspace((unsigned char)*n))
			n++;
		if (eq && eq - n >= 7 && strncasecmp(n, "charset", 7) == 0) {
			const char *e = n + 7;
			while (e < eq && isspace((unsigned char)*e))
				e++;
			if (e == eq)
				norm_charset(eq + 1, (size_t)(p + seg - eq - 1), d->http_charset,
					     sizeof d->http_charset);
		}
		p += seg;
	}
}

/* BOM or the '<?' pattern in UTF-16/32; returns the charset and BOM length. */
static const char *
sniff_unicode(const unsigned char *b, size_t n, size_t *bom)
{
	*bom = 0;
	if (n >= 4 && !memcmp(b, "\x00\x00\xFE\xFF", 4))
		return *bom = 4, "utf-32be";
	if (n >= 4 && !memcmp(b, "\xFF\xFE\x00\x00", 4))
		return *bom = 4, "utf-32le";
	if (n >= 3 && !memcmp(b, "\xEF\xBB\xBF", 3))
		return *bom = 3, "utf-8";
	if (n >= 2 && !memcmp(b, "\xFE\xFF", 2))
		return *bom = 2, "utf-16be";
	if (n >= 2 && !memcmp(b, "\xFF\xFE", 2))
		return *bom = 2, "utf-16le";
	if (n >= 4 && !memcmp(b, "\x00\x00\x00\x3C", 4))
		return "utf-32be";
	if (n >= 4 && !memcmp(b, "\x3C\x00\x00\x00", 4))
		return "utf-32le";
	if (n >= 4 && !memcmp(b, "\x00\x3C\x00\x3F", 4))
		return "utf-16be";
	if (n >= 4 && !memcmp(b, "\x3C\x00\x3F\x00", 4))
		return "utf-16le";
	return NULL;
}

/* The encoding="..." of an XML declaration at the start of b. */
static int
decl_charset(const char *b, size_t n, char *out, size_t outlen)
{
	const char *end, *e;

	if (n < 6 || memcmp(b, "<?xml", 5) != 0)
		return -1;
	end = memchr(b, '>', n);
	if (end == NULL)
		return -1;
	e = memmem(b, (size_t)(end - b), "encoding", 8);
	if (e == NULL)
		return -1;
	e += 8;
	while (e < end && (isspace((unsigned char)*e) || *e == '='))
		e++;
	if (e >= end || (*e != '"' && *e != '\''))
		return -1;
	const char *q = memchr(e + 1, *e, (size_t)(end - e - 1));
	if (q == NULL)
		return -1;
	norm_charset(e + 1, (size_t)(q - e - 1), out, outlen);
	return 0;
}

static int
wide(const char *cs)
{
	return strncmp(cs, "utf-16", 6) == 0 || strncmp(cs, "utf-32", 6) == 0 ||
	       strcmp(cs, "ucs-2") == 0 || strcmp(cs, "ucs-4") == 0;
}

/* Chooses the charset from what the head shows; returns the BOM length. */
static size_t
choose(struct pdec *d)
{
	const unsigned char *b = (const unsigned char *)d->head.data;
	size_t n = d->head.len, bom;
	const char *uni = sniff_unicode(b, n, &bom);
	char decl[48] = "";

	if (uni == NULL || !wide(uni))
		decl_charset((const char *)b + bom, n - bom, decl, sizeof decl);
	if (d->http_charset[0] && !(uni && wide(uni) && !wide(d->http_charset)))
		snprintf(d->encoding, sizeof d->encoding, "%s", d->http_charset);
	else if (uni)
		snprintf(d->encoding, sizeof d->encoding, "%s", uni);
	else if (decl[0])
		snprintf(d->encoding, sizeof d->encoding, "%s", decl);
	else
		snprintf(d->encoding, sizeof d->encoding, "utf-8");
	if (d->text_media && !d->http_charset[0])
		d->ascii_label = 1;
	if ((!strcmp(d->encoding, "utf-16") || !strcmp(d->encoding, "utf-32")) && uni && wide(uni))
		snprintf(d->encoding, sizeof d->encoding, "%s", uni);
	if (wide(d->encoding) && (uni == NULL || !wide(uni))) {
		set_bozo(d, "document declared a 16/32-bit charset but is not; read as UTF-8");
		snprintf(d->encoding, sizeof d->encoding, "utf-8");
	}
	if (uni && !strcmp(uni, "utf-8") && strcmp(d->encoding, "utf-8") != 0)
		snprintf(d->encoding, sizeof d->encoding, "utf-8");
	return bom;
}

static void
open_iconv(struct pdec *d)
{
	const char *from = d->encoding;
	char msg[128];

	if (!strcmp(from, "utf-8") || !strcmp(from, "us-ascii"))
		return;
	if (!strcmp(from, "iso-8859-1"))
		from = "WINDOWS-1252"; /* what "latin-1" feeds really hold */
	d->cd = iconv_open("UTF-8", from);
	if (d->cd == (iconv_t)-1) {
		snprintf(msg, sizeof msg, "unknown charset '%.40s', read as UTF-8", d->encoding);
		set_bozo(d, msg);
		snprintf(d->encoding, sizeof d->encoding, "utf-8");
	}
}

/* Validates UTF-8 and drops what XML forbids, appending to out. */
static int
clean(struct pdec *d, const unsigned char *s, size_t n, int final, struct buf *out)
{
	size_t i = 0, run = 0;

	while (i < n) {
		unsigned char c = s[i];
		if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
			if (c < 0x80) {
				i++;
				continue;
			}
		}
		if (i > run && buf_append(out, s + run, i - run) < 0)
			return -1;
		if (c < 0x80) { /* a control character XML forbids */
			set_bozo(d, "control character in document, dropped");
			run = ++i;
			continue;
		}
		size_t len = c >= 0xC2 && c <= 0xDF   ? 2
			     : c >= 0xE0 && c <= 0xEF ? 3
			     : c >= 0xF0 && c <= 0xF4 ? 4
						      : 0;
		if (len && i + len > n && !final) {
			size_t k = 1;
			while (i + k < n && (s[i + k] & 0xC0) == 0x80)
				k++;
			if (i + k == n) { /* incomplete: wait for the next chunk */
				memcpy(d->carry, s + i, n - i);
				d->ncarry = n - i;
				return 0;
			}
		}
		int ok = len && i + len <= n;
		for (size_t k = 1; ok && k < len; k++)
			ok = (s[i + k] & 0xC0) == 0x80;
		if (ok && len == 3)
			ok = !(c == 0xE0 && s[i + 1] < 0xA0) && !(c == 0xED && s[i + 1] > 0x9F) &&
			     !(c == 0xEF && s[i + 1] == 0xBF && s[i + 2] >= 0xBE);
		if (ok && len == 4)
			ok = !(c == 0xF0 && s[i + 1] < 0x90) && !(c == 0xF4 && s[i + 1] > 0x8F);
		if (!ok) {
			set_bozo(d, "invalid byte sequence for the charset, replaced");
			if (buf_append(out, fffd, 3) < 0)
				return -1;
			run = ++i;
			continue;
		}
		d->nonascii = 1;
		run = i;
		i += len;
	}
	if (n > run && buf_append(out, s + run, n - run) < 0)
		return -1;
	return 0;
}

/* Cleans s after any carried bytes. */
static int
clean_carry(struct pdec *d, const unsigned char *s, size_t n, int final, struct buf *out)
{
	unsigned char tmp[8];
	size_t take;

	if (d->ncarry == 0)
		return clean(d, s, n, final, out);
	/* complete the carried sequence with up to 4 bytes, then go on */
	take = n < 4 ? n : 4;
	memcpy(tmp, d->carry, d->ncarry);
	memcpy(tmp + d->ncarry, s, take);
	size_t have = d->ncarry + take;
	d->ncarry = 0;
	unsigned char c = tmp[0];
	size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
	if (have < len)
		return clean(d, tmp, have, final, out);
	size_t used = len - (have - take);
	if (clean(d, tmp, len, 1, out) < 0)
		return -1;
	return clean(d, s + used, n - used, final, out);
}

static int
transcode(struct pdec *d, const unsigned char *in, size_t n, int final, struct buf *out)
{
	unsigned char *all = malloc(d->nicarry + n + 1);
	char tmp[8192];
	int rc = -1;
	size_t unit = !strncmp(d->encoding, "utf-32", 6)   ? 4
		      : !strncmp(d->encoding, "utf-16", 6) ? 2
							   : 1;

	if (all == NULL)
		return -1;
	memcpy(all, d->icarry, d->nicarry);
	if (n)
		memcpy(all + d->nicarry, in, n);
	char *ip = (char *)all;
	size_t left = d->nicarry + n;
	d->nicarry = 0;
	while (left > 0) {
		char *op = tmp;
		size_t room = sizeof tmp;
		size_t r = iconv(d->cd, &ip, &left, &op, &room);
		int e = errno;
		if (clean_carry(d, (unsigned char *)tmp, sizeof tmp - room, 0, out) < 0)
			goto out;
		if (r != (size_t)-1 || e == E2BIG)
			continue;
		if (e == EINVAL && !final && left < sizeof d->icarry) {
			memcpy(d->icarry, ip, left);
			d->nicarry = left;
			break;
		}
		set_bozo(d, "invalid byte sequence for the charset, replaced");
		if (clean_carry(d, (const unsigned char *)fffd, 3, 0, out) < 0)
			goto out;
		size_t skip = left < unit ? left : unit;
		ip += skip, left -= skip;
	}
	rc = final ? clean_carry(d, (const unsigned char *)"", 0, 1, out) : 0;
out:
	free(all);
	return rc;
}

static int
run(struct pdec *d, const unsigned char *in, size_t n, int final, struct buf *out)
{
	if (d->cd != (iconv_t)-1)
		return transcode(d, in, n, final, out);
	return clean_carry(d, in, n, final, out);
}

int
pdec_feed(struct pdec *d, const void *in, size_t len, int final, struct buf *out)
{
	if (!d->sniffed) {
		if (buf_append(&d->head, in, len) < 0)
			return -1;
		if (!final && d->head.len < SNIFF_MAX &&
		    memchr(d->head.data, '>', d->head.len) == NULL)
			return 0;
		if (!final && d->head.len < 4)
			return 0;
		d->sniffed = 1;
		size_t bom = choose(d);
		open_iconv(d);
		if (d->not_xml_media)
			set_bozo(d, "Content-Type is not an XML media type");
		int rc = run(d, (unsigned char *)d->head.data + bom, d->head.len - bom, final, out);
		buf_free(&d->head);
		return rc;
	}
	return run(d, in, len, final, out);
}

const char *
pdec_encoding(const struct pdec *d)
{
	if (d->ascii_label && !d->nonascii)
		return "us-ascii";
	return d->encoding[0] ? d->encoding : "utf-8";
}

void
pdec_free(struct pdec *d)
{
	if (d->cd != (iconv_t)-1)
		iconv_close(d->cd);
	d->cd = (iconv_t)-1;
	buf_free(&d->head);
}
