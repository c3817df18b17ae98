/* store_fts: the "herald" FTS5 tokenizer of items_fts (issue 23: search in
 * every script).
 *
 * FTS5's unicode61 tokenizer splits text at spaces and punctuation, which
 * Chinese and Japanese do not write between words: "東京で地震が発生" is one
 * token to it, so a search for 地震 found nothing. "herald" is unicode61
 * (remove_diacritics 2, as before) with one change: a token holding CJK
 * characters (Han, kana, hangul) is split so that each such character is
 * a token of its own, the runs of other characters between them staying
 * tokens as unicode61 makes them. A query goes through the same tokenizer,
 * so 地震 becomes the phrase "地" "震": adjacent characters, in order. Every
 * token keeps its byte offsets in the text, so snippets highlight exactly
 * the matched characters.
 *
 * Characters as tokens rather than pairs (bigrams): a one-character word
 * (雨) is found, and the index is smaller (each character once); a phrase
 * of n characters costs n position lists to intersect, which FTS5 does fast.
 * docs/performance.md has the index size and speed.
 *
 * Every connection that reads or writes items_fts must register it
 * (store_open does); sqlite3 tools without it get "no such tokenizer:
 * herald" (tests/fts_check.c checks the index with it). */
#include "store.h"
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

struct tok {
	fts5_tokenizer inner;
	Fts5Tokenizer *inner_tok;
};

/* The callback of a tokenize call, and what the split needs. */
struct split {
	struct tok *t;
	void *ctx;
	int (*token)(void *ctx, int flags, const char *p, int n, int start, int end);
	const char *text; /* the whole text being tokenized */
	int flags;        /* the FTS5_TOKENIZE_* reason */
	int base;         /* offset of the text given to the inner tokenizer */
};

/* The code point at s (n > 0 bytes) and its length; 1 byte for anything
 * malformed (unicode61 has already taken it as it is). */
static int
decode(const unsigned char *s, int n, unsigned *cp)
{
	int len = s[0] < 0x80 ? 1 : s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 1;

	if (len > n) {
		*cp = s[0];
		return 1;
	}
	*cp = len == 1 ? s[0] : s[0] & (0x7f >> len);
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = s[0];
			return 1;
		}
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return len;
}

int
store_fts_is_cjk(unsigned cp)
{
	return (cp >= 0x3040 && cp <= 0x30ff) || /* hiragana, katakana */
	       (cp >= 0x31f0 && cp <= 0x31ff) || /* katakana extensions */
	       (cp >= 0x3400 && cp <= 0x4dbf) || /* Han extension A */
	       (cp >= 0x4e00 && cp <= 0x9fff) || /* Han */
	       (cp >= 0xac00 && cp <= 0xd7af) || /* hangul syllables */
	       (cp >= 0xf900 && cp <= 0xfaff) || /* Han compatibility */
	       (cp >= 0xff66 && cp <= 0xff9f) || /* halfwidth katakana */
	       (cp >= 0x20000 && cp <= 0x3134f); /* Han extensions B-G */
}

static int inner_token(void *ctx, int tflags, const char *p, int n, int start, int end);

/* The tokens of the CJK character at text[i] (len bytes), followed by one
 * of nlen bytes (0: none) and preceded by one when prev. In a document,
 * the pair it starts (a bigram) and, at the same position, the character
 * alone; in a query, the pairs of a run of two or more (the phrase of
 * pairs: 新幹線 is 新幹 幹線 at adjacent positions) and a lone character
 * as itself. A pair is found by one lookup, where characters alone would
 * need the position lists of common characters intersected (~30 times
 * slower: docs/performance.md), and one-character words are still found. */
static int
cjk_tokens(struct split *sp, int tflags, int i, int len, int nlen, int prev)
{
	const char *c = sp->text + i;
	int rc;

	if (sp->flags & FTS5_TOKENIZE_QUERY) {
		if (nlen)
			return sp->token(sp->ctx, tflags, c, len + nlen, i, i + len + nlen);
		return prev ? SQLITE_OK : sp->token(sp->ctx, tflags, c, len, i, i + len);
	}
	if (nlen == 0)
		return sp->token(sp->ctx, tflags, c, len, i, i + len);
	rc = sp->token(sp->ctx, tflags, c, len + nlen, i, i + len + nlen);
	return rc != SQLITE_OK
		       ? rc
		       : sp->token(sp->ctx, tflags | FTS5_TOKEN_COLOCATED, c, len, i, i + len);
}

/* A token of unicode61 at [start, end) of the text: as it is, or split at
 * its CJK characters (from the text, which a CJK character is the same in
 * as in the folded token: it has no case and no diacritics). */
static int
split_token(struct split *sp, int tflags, const char *p, int n, int start, int end)
{
	const unsigned char *s = (const unsigned char *)sp->text;
	int i = start, run = -1, k = 0, prev = 0, rc;
	unsigned cp;

	/* Most tokens hold no CJK character: they go as they are. */
	while (k < n) {
		int len = decode((const unsigned char *)p + k, n - k, &cp);

		if (store_fts_is_cjk(cp))
			break;
		k += len;
	}
	if (k >= n)
		return sp->token(sp->ctx, tflags, p, n, start, end);
	while (i <= end) {
		int len = i < end ? decode(s + i, end - i, &cp) : 0;
		int cjk = i < end && store_fts_is_cjk(cp);

		if ((cjk || i == end) && run >= 0) {
			/* The other characters before it, tokenized (folded) again. */
			struct split inner = *sp;

			inner.base = run;
			rc = sp->t->inner.xTokenize(sp->t->inner_tok, &inner, sp->flags,
						    sp->text + run, i - run, inner_token);
			if (rc != SQLITE_OK)
				return rc;
			run = -1;
		}
		if (i == end)
			break;
		if (cjk) {
			unsigned next = 0;
			int nlen = i + len < end ? decode(s + i + len, end - i - len, &next) : 0;
			int ncjk = nlen && store_fts_is_cjk(next);

			if ((rc = cjk_tokens(sp, tflags, i, len, ncjk ? nlen : 0, prev)) !=
			    SQLITE_OK)
				return rc;
		} else if (run < 0) {
			run = i;
		}
		prev = cjk;
		i += len;
	}
	return SQLITE_OK;
}

/* Tokens of a non-CJK run inside a split token: offsets moved back to the
 * whole text. */
static int
inner_token(void *ctx, int tflags, const char *p, int n, int start, int end)
{
	struct split *sp = ctx;

	return sp->token(sp->ctx, tflags, p, n, start + sp->base, end + sp->base);
}

static int
outer_token(void *ctx, int tflags, const char *p, int n, int start, int end)
{
	return split_token(ctx, tflags, p, n, start, end);
}

static int
tok_tokenize(Fts5Tokenizer *tk, void *ctx, int flags, const char *text, int n,
	     int (*token)(void *, int, const char *, int, int, int))
{
	struct tok *t = (struct tok *)tk;
	struct split sp = {.t = t, .ctx = ctx, .token = token, .text = text, .flags = flags};

	return t->inner.xTokenize(t->inner_tok, &sp, flags, text, n, outer_token);
}

static void
tok_delete(Fts5Tokenizer *tk)
{
	struct tok *t = (struct tok *)tk;

	if (t->inner_tok)
		t->inner.xDelete(t->inner_tok);
	sqlite3_free(t);
}

/* "herald" takes unicode61's arguments; remove_diacritics 2 unless said. */
static int
tok_create(void *api_ptr, const char **argv, int argc, Fts5Tokenizer **out)
{
	fts5_api *api = api_ptr;
	const char *dflt[] = {"remove_diacritics", "2"};
	void *udata = NULL;
	struct tok *t = sqlite3_malloc(sizeof *t);
	int rc;

	*out = NULL;
	if (t == NULL)
		return SQLITE_NOMEM;
	memset(t, 0, sizeof *t);
	rc = api->xFindTokenizer(api, "unicode61", &udata, &t->inner);
	if (rc == SQLITE_OK)
		rc = t->inner.xCreate(udata, argc ? argv : dflt, argc ? argc : 2, &t->inner_tok);
	if (rc != SQLITE_OK) {
		tok_delete((Fts5Tokenizer *)t);
		return rc;
	}
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

int
store_fts_register(sqlite3 *db)
{
	static fts5_tokenizer herald = {tok_create, tok_delete, tok_tokenize};
	fts5_api *api = NULL;
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(s);
	rc = sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return rc;
	if (api == NULL || api->iVersion < 2)
		return SQLITE_ERROR;
	return api->xCreateTokenizer(api, STORE_FTS_TOKENIZER, api, &herald, NULL);
}
