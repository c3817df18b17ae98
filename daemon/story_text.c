/* story_text: see story_text.h and docs/stories.md. */
#include "story_text.h"

#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "story_map.h"
#include "story_words.h"

#define TOKEN_MAX    64 /* code points; longer runs are not words */
#define TITLE_WEIGHT 2  /* a title occurrence counts this many summary ones */
#define SIMHASH_MIN  10 /* tokens needed before SimHash says anything */

/* A word's stem hash, remembered: Snowball costs about 2,000 instructions a
 * word and news repeats its words all day. Two-way set-associative (a set
 * is half a cache line; the newer entry first), keyed by the word's 64-bit
 * hash and stemmer, as terms themselves are keyed by hash. */
#define STEM_CACHE (1u << 16) /* entries */
struct stem_slot {
	uint64_t word; /* word hash ^ stemmer; 0 = empty */
	uint64_t key;  /* its stem's hash */
};

enum script {
	SCRIPT_OTHER,
	SCRIPT_LATIN,
	SCRIPT_CYRILLIC,
	SCRIPT_GREEK,
	SCRIPT_ARABIC,
	SCRIPT_HAN
};

/* One word of the text, as found. */
struct rawtok {
	const uint8_t *s;
	size_t n;
	int ascii, upper, allcaps, digit;
	enum script script;
	size_t ncp;
};

/* ASCII byte classes: the word scan's fast path (most news is ASCII). */
enum { A_WORD = 1, A_UPPER = 2, A_LOWER = 4, A_DIGIT = 8 };

/* Words are found in batches of this many, so that their stop-word and stem
 * cache lookups (cache misses: the stem cache is 1 MB) overlap. */
#define SCAN_WORDS 64

struct story_text {
	char language[32];
	uint8_t aclass[128];
	struct sb_stemmer *stem_main, *stem_ru, *stem_tr, *stem_ar, *stem_el;
	struct stem_slot *stem_cache; /* in stem_mem, aligned to a cache line */
	void *stem_mem;
	struct story_map stop; /* folded stop word hash -> STOP_* bits */
	uint64_t spread[256];  /* byte -> its bits, one per byte (SimHash) */

	/* the item being analysed */
	struct story_term toks[STORY_TEXT_TERMS];
	uint32_t ntoks;
	struct rawtok scan_tok[SCAN_WORDS];
	uint8_t tokhash[4 * STORY_TEXT_TERMS]; /* 1 + index into toks by key, 0 = empty */
	uint64_t *seq_hashes;                  /* content token hashes, in order, for SimHash */
	size_t nseq, cseq;
};

/* Stop word lists a word is on, as bits of its value in the stop map. */
enum { STOP_EN = 1, STOP_RU = 2, STOP_TR = 4, STOP_MAIN = 8 };

/* The hash of a folded word: its term key when it is not stemmed. */
static uint64_t
word_hash(const char *w, size_t n)
{
	return story_fnv64(w, n, 0xcbf29ce484222325ULL);
}

static int
stop_load(struct story_map *m, const char *const *words, unsigned lang)
{
	for (size_t i = 0; words[i] != NULL; i++) {
		uint64_t k = word_hash(words[i], strlen(words[i]));
		if (story_map_grow(m, m->n + 1) < 0)
			return -1;
		uint32_t *v = story_map_get(m, k);
		if (v != NULL)
			*v |= lang;
		else
			story_map_put(m, k, lang);
	}
	return 0;
}

static const char *const *
stop_list(const char *language)
{
	if (strcmp(language, "german") == 0)
		return story_stop_german;
	if (strcmp(language, "french") == 0)
		return story_stop_french;
	if (strcmp(language, "spanish") == 0)
		return story_stop_spanish;
	if (strcmp(language, "russian") == 0)
		return story_stop_russian;
	if (strcmp(language, "turkish") == 0)
		return story_stop_turkish;
	return story_stop_english;
}

static enum script
script_of(int32_t c)
{
	if (c < 0x250)
		return SCRIPT_LATIN;
	if (c >= 0x370 && c < 0x400)
		return SCRIPT_GREEK;
	if (c >= 0x400 && c < 0x530)
		return SCRIPT_CYRILLIC;
	if ((c >= 0x600 && c < 0x700) || (c >= 0x750 && c < 0x780) || (c >= 0xfb50 && c < 0xff00))
		return SCRIPT_ARABIC;
	if ((c >= 0x1e00 && c < 0x1f00))
		return SCRIPT_LATIN;
	if ((c >= 0x3040 && c < 0x3100) || (c >= 0x3400 && c < 0xa000) ||
	    (c >= 0xac00 && c < 0xd7b0))
		return SCRIPT_HAN;
	return SCRIPT_OTHER;
}

static int
is_word_cat(int32_t c)
{
	utf8proc_category_t cat = utf8proc_category(c);

	return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO);
}

/* Turkish letters outside ASCII pick the Turkish stemmer and stop words. */
static int
text_is_turkish(const char *s)
{
	/* ğ ı İ Ğ are C4 9F, C4 B1, C4 B0, C4 9E; ş Ş are C5 9F, C5 9E. */
	for (const char *c = s ? strpbrk(s, "\xc4\xc5") : NULL; c; c = strpbrk(c + 1, "\xc4\xc5")) {
		const uint8_t *p = (const uint8_t *)c;
		if (*p == 0xc4 && (p[1] == 0x9f || p[1] == 0xb1 || p[1] == 0xb0 || p[1] == 0x9e))
			return 1;
		if (*p == 0xc5 && (p[1] == 0x9f || p[1] == 0x9e))
			return 1;
	}
	return 0;
}

/* NFKC + case folding of one non-ASCII token into out (UTF-8); returns its
 * length (ASCII words are folded in word_add()). A
 * combining dot after i (the fold of Turkish İ) is dropped so İstanbul and
 * Istanbul agree. */
static size_t
fold_token(const uint8_t *s, size_t n, char *out, size_t outcap)
{
	int32_t buf[TOKEN_MAX * 4];
	utf8proc_ssize_t m, k = 0;
	m = utf8proc_decompose(s, (utf8proc_ssize_t)n, buf, TOKEN_MAX * 3,
			       UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
	if (m <= 0 || m > TOKEN_MAX * 3)
		return 0;
	for (utf8proc_ssize_t i = 0; i < m; i++)
		if (!(buf[i] == 0x307 && k > 0 && buf[k - 1] == 'i'))
			buf[k++] = buf[i];
	k = utf8proc_reencode(buf, k, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (k <= 0 || (size_t)k >= outcap)
		return 0;
	memcpy(out, buf, (size_t)k);
	return (size_t)k;
}

/* Updates the word's properties with a non-ASCII code point; -1 when the
 * code point must start a new word (Han script words are one character). */
static int
word_char_other(struct rawtok *t, int32_t c)
{
	enum script sc = script_of(c);
	utf8proc_category_t cat = utf8proc_category(c);

	if (t->ncp > 0 && (sc == SCRIPT_HAN || t->script == SCRIPT_HAN))
		return -1;
	if (t->ncp == 0) {
		t->script = sc;
		t->upper = (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT);
	}
	if (cat == UTF8PROC_CATEGORY_LL)
		t->allcaps = 0;
	if (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO)
		t->digit = 1;
	t->ascii = 0;
	return 0;
}

/* Skips separators; returns the start of the next word or NULL. */
static const uint8_t *
skip_separators(const struct story_text *tx, const uint8_t *p, const uint8_t *end)
{
	int32_t c;

	while (p < end) {
		if (*p < 0x80) {
			if (tx->aclass[*p] & A_WORD)
				return p;
			p++;
			continue;
		}
		utf8proc_ssize_t k = utf8proc_iterate(p, end - p, &c);
		if (k <= 0) {
			p++; /* invalid byte: a separator */
			continue;
		}
		if (is_word_cat(c))
			return p;
		p += (size_t)k;
	}
	return NULL;
}

/* Finds the next word (a run of letters, marks and digits; a Han/kana/hangul
 * code point is a word by itself). Returns the position after it, or NULL. */
static const uint8_t *
next_word(const struct story_text *tx, const uint8_t *p, const uint8_t *end, struct rawtok *t)
{
	int32_t c;

	memset(t, 0, sizeof(*t));
	p = skip_separators(tx, p, end);
	if (p == NULL)
		return NULL;
	t->s = p;
	t->ascii = 1;
	t->allcaps = 1;
	while (p < end) {
		if (*p < 0x80) {
			unsigned cl = tx->aclass[*p], seen = 0;
			if (!(cl & A_WORD))
				break;
			if (t->ncp == 0) {
				t->script = SCRIPT_LATIN;
				t->upper = (cl & A_UPPER) != 0;
			} else if (t->script == SCRIPT_HAN) {
				break;
			}
			/* The whole ASCII run at once. */
			const uint8_t *q = p;
			do {
				seen |= cl;
				q++;
			} while (q < end && *q < 0x80 && ((cl = tx->aclass[*q]) & A_WORD));
			if (seen & A_LOWER)
				t->allcaps = 0;
			if (seen & A_DIGIT)
				t->digit = 1;
			t->ncp += (size_t)(q - p);
			p = q;
			continue;
		}
		utf8proc_ssize_t k = utf8proc_iterate(p, end - p, &c);
		if (k <= 0 || !is_word_cat(c) || word_char_other(t, c) < 0)
			break;
		t->ncp++;
		p += (size_t)k;
	}
	t->n = (size_t)(p - t->s);
	return p;
}

struct field_ctx {
	int turkish, title, titlecase;
	uint32_t pos;
};

/* Adds one term occurrence to the item's distinct terms. */
static void
tok_add(struct story_text *tx, uint64_t key, uint32_t w, uint32_t flags)
{
	uint32_t mask = 4 * STORY_TEXT_TERMS - 1, h = (uint32_t)(key ^ key >> 32) & mask;

	for (; tx->tokhash[h] != 0; h = (h + 1) & mask) {
		struct story_term *tk = &tx->toks[tx->tokhash[h] - 1];
		if (tk->key == key) {
			tk->w = tk->w + w > STORY_TEXT_W_MAX ? STORY_TEXT_W_MAX : tk->w + w;
			tk->flags |= flags;
			return;
		}
	}
	if (tx->ntoks >= STORY_TEXT_TERMS)
		return;
	tx->tokhash[h] = (uint8_t)(tx->ntoks + 1);
	tx->toks[tx->ntoks].key = key;
	tx->toks[tx->ntoks].w = w;
	tx->toks[tx->ntoks].flags = flags;
	tx->ntoks++;
}

static int
seq_push(struct story_text *tx, uint64_t h)
{
	if (tx->nseq == tx->cseq) {
		size_t nc = tx->cseq ? tx->cseq * 2 : 256;
		uint64_t *p = realloc(tx->seq_hashes, nc * sizeof(*p));
		if (p == NULL)
			return -1;
		tx->seq_hashes = p;
		tx->cseq = nc;
	}
	tx->seq_hashes[tx->nseq++] = h;
	return 0;
}

/* h: the folded word's hash. */
static int
is_stop(const struct story_text *tx, uint64_t h, const struct rawtok *t, int turkish)
{
	if (t->script != SCRIPT_CYRILLIC && t->script != SCRIPT_LATIN)
		return 0;
	const uint32_t *v = story_map_get(&tx->stop, h);
	if (v == NULL)
		return 0;
	if (t->script == SCRIPT_CYRILLIC)
		return (*v & STOP_RU) != 0;
	return (*v & (STOP_EN | STOP_MAIN)) || (turkish && (*v & STOP_TR));
}

static struct sb_stemmer *
stemmer_for(const struct story_text *tx, const struct rawtok *t, int turkish)
{
	if (t->digit)
		return NULL;
	switch (t->script) {
	case SCRIPT_LATIN: return turkish && tx->stem_tr ? tx->stem_tr : tx->stem_main;
	case SCRIPT_CYRILLIC: return tx->stem_ru;
	case SCRIPT_GREEK: return tx->stem_el;
	case SCRIPT_ARABIC: return tx->stem_ar;
	default: return NULL;
	}
}

/* Folds word t into w (cap bytes, *n used) and returns the folded word's
 * hash, or 0 when t is not a word to keep. */
static uint64_t
word_fold(const struct story_text *tx, const struct rawtok *t, char *w, size_t cap, size_t *n)
{
	uint64_t h;

	if (t->ncp > TOKEN_MAX || (t->ncp < 2 && !t->digit && t->script != SCRIPT_HAN))
		return 0;
	if (!t->ascii) {
		*n = fold_token(t->s, t->n, w, cap);
		return *n ? word_hash(w, *n) : 0;
	}
	/* Folded and hashed in one pass: story_fnv64() of the lower case. */
	*n = t->n < cap ? t->n : cap - 1;
	h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < *n; i++) {
		uint8_t b = t->s[i];
		w[i] = (char)((tx->aclass[b] & A_UPPER) ? b + 32 : b);
		h = (h ^ (uint8_t)w[i]) * 0x100000001b3ULL;
	}
	return h ? h : 1;
}

/* The stem cache's key for a word hash h and stemmer st, and its slot. */
static uint64_t
stem_word(const struct sb_stemmer *st, uint64_t h)
{
	return (h ^ (uint64_t)(uintptr_t)st * 0x9e3779b97f4a7c15ULL) | 1;
}

/* The set of the word: two slots. */
static struct stem_slot *
stem_slot(const struct story_text *tx, uint64_t word)
{
	return &tx->stem_cache[2 * (story_mix64(word) & (STEM_CACHE / 2 - 1))];
}

/* The hash of word t's stem (h: the folded word's hash). */
static uint64_t
stem_key(struct story_text *tx, struct sb_stemmer *st, const struct rawtok *t, uint64_t h)
{
	uint64_t word = stem_word(st, h), key;
	struct stem_slot *slot = stem_slot(tx, word);
	char w[TOKEN_MAX * 4 * 4];
	size_t n;

	if (slot[0].word == word)
		return slot[0].key;
	if (slot[1].word == word) {
		struct stem_slot hit = slot[1];
		slot[1] = slot[0];
		slot[0] = hit;
		return hit.key;
	}
	word_fold(tx, t, w, sizeof(w), &n);
	const sb_symbol *r = sb_stemmer_stem(st, (const sb_symbol *)w, (int)n);
	if (r != NULL && sb_stemmer_length(st) > 0)
		key = word_hash((const char *)r, (size_t)sb_stemmer_length(st));
	else
		key = h;
	slot[1] = slot[0];
	slot[0] = (struct stem_slot){.word = word, .key = key};
	return key;
}

/* Filters and stems one word (h: its folded hash), then records it. */
static int
word_add(struct story_text *tx, const struct rawtok *t, uint64_t h, struct field_ctx *f)
{
	uint32_t flags = 0;

	if (is_stop(tx, h, t, f->turkish))
		return 0;
	struct sb_stemmer *st = stemmer_for(tx, t, f->turkish);
	uint64_t key = st ? stem_key(tx, st, t, h) : h;
	if (f->title && t->digit)
		flags |= STORY_TEXT_NUM;
	else if (f->title &&
		 ((t->allcaps && t->ncp >= 2) || (t->upper && f->pos > 0 && !f->titlecase)))
		flags |= STORY_TEXT_NAME;
	f->pos++;
	tok_add(tx, key, f->title ? TITLE_WEIGHT : 1, flags);
	return seq_push(tx, key);
}

/* Adds the words t[0 .. n), in order, their lookups started together. */
static int
words_add(struct story_text *tx, const struct rawtok *t, unsigned n, struct field_ctx *f)
{
	uint64_t h[SCAN_WORDS];
	char w[TOKEN_MAX * 4 * 4];
	size_t len;

	for (unsigned i = 0; i < n; i++) {
		h[i] = word_fold(tx, &t[i], w, sizeof(w), &len);
		if (h[i] == 0)
			continue;
		story_map_prefetch(&tx->stop, h[i]);
		const struct sb_stemmer *st = stemmer_for(tx, &t[i], f->turkish);
		if (st != NULL)
			__builtin_prefetch(stem_slot(tx, stem_word(st, h[i])));
	}
	for (unsigned i = 0; i < n; i++)
		if (h[i] != 0 && word_add(tx, &t[i], h[i], f) < 0)
			return -1;
	return 0;
}

static int
field_scan(struct story_text *tx, const char *s, struct field_ctx *f)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + strlen(s);
	unsigned n;

	do {
		for (n = 0; n < SCAN_WORDS; n++)
			if ((p = next_word(tx, p, end, &tx->scan_tok[n])) == NULL)
				break;
		if (words_add(tx, tx->scan_tok, n, f) < 0)
			return -1;
	} while (p != NULL);
	return 0;
}

/* Title Case Headlines capitalize every word, so capitals say nothing: the
 * title's words are found first to tell, then added (kept from the first
 * scan unless the title has more than SCAN_WORDS). */
static int
title_scan(struct story_text *tx, const char *s, struct field_ctx *f)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + strlen(s);
	struct rawtok t;
	unsigned words = 0, caps = 0, nt = 0;
	int kept = 1;

	while ((p = next_word(tx, p, end, &t)) != NULL) {
		if (nt < SCAN_WORDS)
			tx->scan_tok[nt++] = t;
		else
			kept = 0;
		if (t.ncp < 4 || t.digit)
			continue;
		words++;
		caps += t.upper;
	}
	f->titlecase = words >= 3 && caps * 10 >= words * 7;
	return kept ? words_add(tx, tx->scan_tok, nt, f) : field_scan(tx, s, f);
}

/* Sets a bit where more than half of the token bigram hashes have it set.
 * Counted eight bits at a time, one byte counter per bit. */
static uint64_t
simhash(const struct story_text *tx, const uint64_t *h, size_t n)
{
	uint64_t acc[8] = {0}, r = 0;
	uint32_t cnt[64] = {0};
	size_t pairs = n > 0 ? n - 1 : 0;

	for (size_t i = 0; i < pairs; i++) {
		uint64_t f = story_mix64(h[i] * 31 + h[i + 1]);
		for (int k = 0; k < 8; k++)
			acc[k] += tx->spread[(f >> (8 * k)) & 0xff];
		if (i % 255 == 254 || i + 1 == pairs) {
			for (int b = 0; b < 64; b++)
				cnt[b] += (acc[b % 8] >> (8 * (b / 8))) & 0xff;
			memset(acc, 0, sizeof(acc));
		}
	}
	for (int b = 0; b < 64; b++)
		if (2 * cnt[b] > pairs)
			r |= 1ULL << b;
	return r;
}

int
story_text_analyze(struct story_text *tx, const char *title, const char *text,
		   struct story_term *out, uint32_t *n, uint64_t *sh, int *has_sh)
{
	struct field_ctx f = {0};
	size_t title_n;

	tx->ntoks = 0;
	tx->nseq = 0;
	*n = 0;
	memset(tx->tokhash, 0, sizeof(tx->tokhash));
	f.turkish = text_is_turkish(title) || text_is_turkish(text);
	if (title) {
		f.title = 1;
		if (title_scan(tx, title, &f) < 0)
			return -1;
	}
	title_n = tx->nseq;
	f.title = 0;
	if (text && field_scan(tx, text, &f) < 0)
		return -1;
	*has_sh = 0;
	if (tx->nseq - title_n >= SIMHASH_MIN) {
		*sh = simhash(tx, tx->seq_hashes + title_n, tx->nseq - title_n);
		*has_sh = 1;
	} else if (tx->nseq >= SIMHASH_MIN) {
		*sh = simhash(tx, tx->seq_hashes, tx->nseq);
		*has_sh = 1;
	}
	memcpy(out, tx->toks, tx->ntoks * sizeof(*out));
	*n = tx->ntoks;
	return 0;
}

struct story_text *
story_text_new(const char *language, char *err, size_t errlen)
{
	struct story_text *tx;

	if (language == NULL || *language == '\0')
		language = "english";
	if (strlen(language) >= sizeof(tx->language)) {
		snprintf(err, errlen, "story: unknown language \"%s\"", language);
		return NULL;
	}
	tx = calloc(1, sizeof(*tx));
	if (tx == NULL)
		goto oom;
	snprintf(tx->language, sizeof(tx->language), "%s", language);
	for (unsigned x = 0; x < 128; x++)
		tx->aclass[x] = (x >= '0' && x <= '9')   ? A_WORD | A_DIGIT
				: (x >= 'A' && x <= 'Z') ? A_WORD | A_UPPER
				: (x >= 'a' && x <= 'z') ? A_WORD | A_LOWER
							 : 0;
	for (unsigned x = 0; x < 256; x++)
		for (unsigned b = 0; b < 8; b++)
			tx->spread[x] |= (uint64_t)((x >> b) & 1) << (8 * b);
	/* calloc: pages no word has touched cost nothing. */
	tx->stem_mem = calloc(STEM_CACHE + 4, sizeof(*tx->stem_cache));
	if (tx->stem_mem == NULL)
		goto oom;
	tx->stem_cache = (struct stem_slot *)(((uintptr_t)tx->stem_mem + 63) & ~(uintptr_t)63);
	tx->stem_main = sb_stemmer_new(tx->language, "UTF_8");
	if (tx->stem_main == NULL) {
		snprintf(err, errlen, "story: no stemmer for language \"%s\"", tx->language);
		story_text_free(tx);
		return NULL;
	}
	tx->stem_ru = sb_stemmer_new("russian", "UTF_8");
	tx->stem_tr = sb_stemmer_new("turkish", "UTF_8");
	tx->stem_ar = sb_stemmer_new("arabic", "UTF_8");
	tx->stem_el = sb_stemmer_new("greek", "UTF_8");
	if (!tx->stem_ru || !tx->stem_tr || !tx->stem_ar || !tx->stem_el)
		goto oom;
	if (stop_load(&tx->stop, story_stop_english, STOP_EN) < 0 ||
	    stop_load(&tx->stop, story_stop_russian, STOP_RU) < 0 ||
	    stop_load(&tx->stop, story_stop_turkish, STOP_TR) < 0 ||
	    stop_load(&tx->stop, stop_list(tx->language), STOP_MAIN) < 0)
		goto oom;
	return tx;
oom:
	snprintf(err, errlen, "story: out of memory");
	story_text_free(tx);
	return NULL;
}

void
story_text_free(struct story_text *tx)
{
	if (tx == NULL)
		return;
	free(tx->stem_mem);
	story_map_free(&tx->stop);
	sb_stemmer_delete(tx->stem_main);
	sb_stemmer_delete(tx->stem_ru);
	sb_stemmer_delete(tx->stem_tr);
	sb_stemmer_delete(tx->stem_ar);
	sb_stemmer_delete(tx->stem_el);
	free(tx->seq_hashes);
	free(tx);
}
