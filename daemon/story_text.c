/* story_text: see story_text.h and docs/stories.md. */
#include "story_text.h"

#include <errno.h>
#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "story_map.h"
#include "story_pivot.h"
#include "story_words.h"

#define TOKEN_MAX    64 /* code points; longer runs are not words */
#define TITLE_WEIGHT 2  /* a title occurrence counts this many summary ones */
#define SIMHASH_MIN  10 /* tokens needed before SimHash says anything */
#define DETECT_WORDS 48 /* words looked at to tell an undeclared item's language */

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
	struct sb_stemmer *stem_by[SL_N]; /* per item language (Latin script); NULL: stem_main */
	struct story_pivot *pv;
	/* The bilingual table: hash of (language, stem of a source word) ->
	 * index of the English translation's term key in lex_key. */
	struct story_map lex;
	uint64_t *lex_key;
	size_t nlex, clex;
	struct stem_slot *stem_cache; /* in stem_mem, aligned to a cache line */
	void *stem_mem;
	struct story_map stop; /* folded stop word hash -> STOP_* bits */
	uint64_t spread[256];  /* byte -> its bits, one per byte (SimHash) */

	/* the item being analysed */
	enum story_lang lang;
	enum story_lang main_lang; /* the configured language's */
	struct story_term toks[STORY_TEXT_TERMS];
	uint32_t ntoks;
	struct rawtok scan_tok[SCAN_WORDS];
	uint8_t tokhash[4 * STORY_TEXT_TERMS]; /* 1 + index into toks by key, 0 = empty */
	uint64_t *seq_hashes;                  /* content token hashes, in order, for SimHash */
	size_t nseq, cseq;
};

/* Stop word lists a word is on, as bits of its value in the stop map. */
enum {
	STOP_EN = 1,
	STOP_RU = 2,
	STOP_TR = 4,
	STOP_MAIN = 8,
	STOP_DE = 16,
	STOP_FR = 32,
	STOP_ES = 64
};

/* The stop list bit of an item language, 0 for none. */
static uint32_t
stop_bit(enum story_lang l)
{
	switch (l) {
	case SL_EN: return STOP_EN;
	case SL_DE: return STOP_DE;
	case SL_FR: return STOP_FR;
	case SL_ES: return STOP_ES;
	case SL_TR: return STOP_TR;
	default: return 0;
	}
}

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

static int
digit3(const struct story_text *tx, const uint8_t *p)
{
	return p[0] < 0x80 && p[1] < 0x80 && p[2] < 0x80 && (tx->aclass[p[0]] & A_DIGIT) &&
	       (tx->aclass[p[1]] & A_DIGIT) && (tx->aclass[p[2]] & A_DIGIT);
}

/* Finds the next word (a run of letters, marks and digits; a Han/kana/hangul
 * code point is a word by itself). Returns the position after it, or NULL. */
static const uint8_t *
next_word(const struct story_text *tx, const uint8_t *p, const uint8_t *end, struct rawtok *t)
{
	int32_t c;
	int num = 1; /* digits only so far */

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
			num = num && !(seen & (A_UPPER | A_LOWER));
			/* A group separator inside a number (3,000 and 3.000 are 3000):
			 * a comma or point followed by exactly three digits. */
			if (num && end - p >= 4 && (*p == ',' || *p == '.') && digit3(tx, p + 1) &&
			    (end - p == 4 || p[4] >= 0x80 || !(tx->aclass[p[4]] & A_DIGIT))) {
				p++;
				t->ncp++;
			}
			continue;
		}
		utf8proc_ssize_t k = utf8proc_iterate(p, end - p, &c);
		if (k <= 0 || !is_word_cat(c) || word_char_other(t, c) < 0)
			break;
		num = 0;
		t->ncp++;
		p += (size_t)k;
	}
	t->n = (size_t)(p - t->s);
	return p;
}

struct field_ctx {
	int title, titlecase;
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

/* h: the folded word's hash. English stop words count in every Latin-script
 * item, as do the configured language's and the item's own. */
static int
is_stop(const struct story_text *tx, uint64_t h, const struct rawtok *t)
{
	if (t->script != SCRIPT_CYRILLIC && t->script != SCRIPT_LATIN)
		return 0;
	const uint32_t *v = story_map_get(&tx->stop, h);
	if (v == NULL)
		return 0;
	if (t->script == SCRIPT_CYRILLIC)
		return (*v & STOP_RU) != 0;
	return (*v & (STOP_EN | STOP_MAIN | stop_bit(tx->lang))) != 0;
}

static struct sb_stemmer *
stemmer_for(const struct story_text *tx, const struct rawtok *t)
{
	if (t->digit)
		return NULL;
	switch (t->script) {
	case SCRIPT_LATIN: return tx->stem_by[tx->lang] ? tx->stem_by[tx->lang] : tx->stem_main;
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
	size_t k = 0;
	for (size_t i = 0; i < *n; i++) {
		uint8_t b = t->s[i];
		if (!(tx->aclass[b] & A_WORD))
			continue; /* a number's group separator: 3,000 is 3000 */
		w[k] = (char)((tx->aclass[b] & A_UPPER) ? b + 32 : b);
		h = (h ^ (uint8_t)w[k++]) * 0x100000001b3ULL;
	}
	*n = k;
	return h ? h : 1;
}

/* How a word becomes a term (docs/stories.md, "Across languages"): which
 * bilingual table it is looked up in (a language, or SL_MAIN for none), and
 * whether it is taken as a name when the table lacks it. Part of the stem
 * cache's key, with the stemmer. */
static unsigned
word_route(const struct story_text *tx, const struct rawtok *t)
{
	enum story_lang l = SL_MAIN;

	if (t->script == SCRIPT_CYRILLIC)
		l = SL_RU;
	else if (t->script == SCRIPT_ARABIC)
		l = SL_AR;
	else if (t->script == SCRIPT_LATIN && tx->lang != SL_EN && tx->lang != SL_MAIN &&
		 tx->lang != SL_OTHER)
		l = tx->lang;
	if (l == SL_MAIN)
		return SL_MAIN; /* English (or the configured language): stemmed as it was */
	return (unsigned)l << 1 | (unsigned)(t->upper != 0);
}

/* The stem cache's key for a word hash h, stemmer st and route, and its slot. */
static uint64_t
stem_word(const struct sb_stemmer *st, unsigned route, uint64_t h)
{
	return (h ^ (uint64_t)(uintptr_t)st * 0x9e3779b97f4a7c15ULL ^
		(uint64_t)route * 0xc2b2ae3d27d4eb4fULL) |
	       1;
}

/* The set of the word: two slots. */
static struct stem_slot *
stem_slot(const struct story_text *tx, uint64_t word)
{
	return &tx->stem_cache[2 * (story_mix64(word) & (STEM_CACHE / 2 - 1))];
}

/* Stems w[0 .. *n) in place with st (when it says anything). */
static void
stem_into(struct sb_stemmer *st, char *w, size_t *n, size_t cap)
{
	const sb_symbol *r = sb_stemmer_stem(st, (const sb_symbol *)w, (int)*n);
	int len = r != NULL ? sb_stemmer_length(st) : 0;

	if (len > 0 && (size_t)len < cap) {
		memcpy(w, r, (size_t)len);
		*n = (size_t)len;
	}
}

/* A Russian name without its case ending (Путина, Лаврова, Эрдоганом ->
 * Путин, Лавров, Эрдоган): Snowball would cut Лавров itself to Лавр. */
static void
name_stem_ru(char *w, size_t *n)
{
	static const char *const endings[] = {"ого", "ому", "ым", "ом", "ой", "ей", "ую",
					      "а",   "у",   "е",  "ы",  "я",  "ю",  NULL};
	for (size_t i = 0; endings[i] != NULL; i++) {
		size_t k = strlen(endings[i]);
		if (*n >= k + 6 && memcmp(w + *n - k, endings[i], k) == 0) { /* 3+ letters left */
			*n -= k;
			return;
		}
	}
}

/* The hash of an ASCII-or-not word once transliterated and normalised. */
static uint64_t
pivot_hash(struct story_text *tx, const char *w, size_t n, int cyrillic)
{
	char a[TOKEN_MAX * 4 * 4];
	size_t k = 0;

	for (k = 0; k < n && (unsigned char)w[k] < 0x80; k++)
		;
	if (k < n) {
		k = story_pivot_ascii(tx->pv, w, n, cyrillic, a, sizeof(a));
		if (k == 0)
			return word_hash(w, n); /* a script ICU cannot write in Latin */
	} else {
		memcpy(a, w, n);
	}
	k = story_pivot_norm(a, k);
	return k ? word_hash(a, k) : word_hash(w, n);
}

/* The bilingual table's key of a stem in language l. */
static uint64_t
lex_hash(enum story_lang l, const char *w, size_t n)
{
	return story_fnv64(w, n, 0xcbf29ce484222325ULL ^ ((uint64_t)l * 0x9e3779b97f4a7c15ULL));
}

/* The term key of word t (h: its folded hash) on the given route: its
 * English translation's key when the bilingual table has its stem; else, if
 * it is a name (capitalized in another language), its Latin spelling
 * stemmed as English; else its own stem; all transliterated and normalised. */
static uint64_t
pivot_key(struct story_text *tx, struct sb_stemmer *st, unsigned route, const struct rawtok *t,
	  uint64_t h)
{
	char w[TOKEN_MAX * 4 * 4];
	size_t n, n0;
	enum story_lang l = (enum story_lang)(route >> 1);
	int cyr = t->script == SCRIPT_CYRILLIC;

	word_fold(tx, t, w, sizeof(w), &n);
	n0 = n;
	if (route == SL_MAIN) {
		stem_into(st, w, &n, sizeof(w));
		return n ? pivot_hash(tx, w, n, cyr) : h;
	}
	char s[sizeof(w)];
	size_t sn = n;
	memcpy(s, w, n);
	stem_into(st, s, &sn, sizeof(s));
	if (tx->nlex > 0) {
		const uint32_t *v = story_map_get(&tx->lex, lex_hash(l, s, sn));
		if (v == NULL)
			v = story_map_get(&tx->lex, lex_hash(l, w, n));
		if (v != NULL)
			return tx->lex_key[*v];
	}
	if (!(route & 1)) /* not a name: its own stem */
		return pivot_hash(tx, s, sn, cyr);
	if (cyr)
		name_stem_ru(w, &n);
	char a[sizeof(w)];
	size_t k = story_pivot_ascii(tx->pv, w, n, cyr, a, sizeof(a));
	if (k == 0)
		return pivot_hash(tx, w, n0, cyr);
	stem_into(tx->stem_by[SL_EN], a, &k, sizeof(a));
	k = story_pivot_norm(a, k);
	return k ? word_hash(a, k) : h;
}

/* The term key of word t (h: the folded word's hash), through the cache. */
static uint64_t
stem_key(struct story_text *tx, struct sb_stemmer *st, const struct rawtok *t, uint64_t h)
{
	unsigned route = word_route(tx, t);
	uint64_t word = stem_word(st, route, h), key;
	struct stem_slot *slot = stem_slot(tx, word);

	if (slot[0].word == word)
		return slot[0].key;
	if (slot[1].word == word) {
		struct stem_slot hit = slot[1];
		slot[1] = slot[0];
		slot[0] = hit;
		return hit.key;
	}
	key = pivot_key(tx, st, route, t, h);
	slot[1] = slot[0];
	slot[0] = (struct stem_slot){.word = word, .key = key};
	return key;
}

/* Filters and stems one word (h: its folded hash), then records it. */
static int
word_add(struct story_text *tx, const struct rawtok *t, uint64_t h, struct field_ctx *f)
{
	uint32_t flags = 0;

	if (is_stop(tx, h, t))
		return 0;
	struct sb_stemmer *st = stemmer_for(tx, t);
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
		const struct sb_stemmer *st = stemmer_for(tx, &t[i]);
		if (st != NULL)
			__builtin_prefetch(
				stem_slot(tx, stem_word(st, word_route(tx, &t[i]), h[i])));
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

/* Counts the script and stop-word evidence of up to DETECT_WORDS words of s. */
static void
detect_count(const struct story_text *tx, const char *s, unsigned *seen, unsigned *script,
	     unsigned *stop)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + strlen(s);
	struct rawtok t;
	char w[TOKEN_MAX * 4 * 4];
	size_t n;

	while (*seen < DETECT_WORDS && (p = next_word(tx, p, end, &t)) != NULL) {
		(*seen)++;
		script[t.script]++;
		if (t.script != SCRIPT_LATIN || t.digit)
			continue;
		uint64_t h = word_fold(tx, &t, w, sizeof(w), &n);
		const uint32_t *v = h ? story_map_get(&tx->stop, h) : NULL;
		if (v == NULL)
			continue;
		for (unsigned b = 0; b < 8; b++)
			stop[b] += (*v >> b) & 1;
	}
}

/* The item's language: the declared one, else what the text shows: its
 * script, and for Latin script which language's stop words it uses (at
 * least two, one word in eight, and twice English's: a lemmatised English
 * text's "die" and "war" are no German); else SL_MAIN. One Turkish letter in
 * an English name decides nothing. */
static enum story_lang
item_lang(const struct story_text *tx, const char *title, const char *text, const char *code)
{
	enum story_lang l = story_lang_of_code(code);
	unsigned seen = 0, script[SCRIPT_HAN + 1] = {0}, stop[8] = {0}, best = 0;
	static const struct {
		unsigned bit;
		enum story_lang lang;
	} cand[] = {{2, SL_TR}, {4, SL_DE}, {5, SL_FR}, {6, SL_ES}};

	if (l != SL_MAIN)
		return l;
	if (title)
		detect_count(tx, title, &seen, script, stop);
	if (text)
		detect_count(tx, text, &seen, script, stop);
	unsigned latin = script[SCRIPT_LATIN];
	if (script[SCRIPT_CYRILLIC] > latin)
		return SL_RU;
	if (script[SCRIPT_ARABIC] > latin)
		return SL_AR;
	if (script[SCRIPT_HAN] > latin)
		return SL_ZH;
	for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]); i++)
		if (stop[cand[i].bit] >= 2 && stop[cand[i].bit] * 8 >= seen &&
		    stop[cand[i].bit] > 2 * stop[0] && stop[cand[i].bit] > best) {
			best = stop[cand[i].bit];
			l = cand[i].lang;
		}
	return l;
}

int
story_text_analyze(struct story_text *tx, const char *title, const char *text, const char *lang,
		   struct story_term *out, uint32_t *n, uint64_t *sh, int *has_sh)
{
	struct field_ctx f = {0};
	size_t title_n;

	tx->ntoks = 0;
	tx->nseq = 0;
	*n = 0;
	memset(tx->tokhash, 0, sizeof(tx->tokhash));
	tx->lang = item_lang(tx, title, text, lang);
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
	for (int l = SL_EN; l <= SL_ES; l++)
		if ((tx->stem_by[l] = sb_stemmer_new(story_lang_stemmer(l), "UTF_8")) == NULL)
			goto oom;
	tx->stem_by[SL_TR] = tx->stem_tr;
	tx->main_lang = SL_OTHER;
	for (int l = SL_EN; l < SL_OTHER; l++)
		if (story_lang_stemmer(l) && strcmp(story_lang_stemmer(l), tx->language) == 0)
			tx->main_lang = (enum story_lang)l;
	tx->pv = story_pivot_new(err, errlen);
	if (tx->pv == NULL) {
		story_text_free(tx);
		return NULL;
	}
	if (stop_load(&tx->stop, story_stop_english, STOP_EN) < 0 ||
	    stop_load(&tx->stop, story_stop_russian, STOP_RU) < 0 ||
	    stop_load(&tx->stop, story_stop_turkish, STOP_TR) < 0 ||
	    stop_load(&tx->stop, story_stop_german, STOP_DE) < 0 ||
	    stop_load(&tx->stop, story_stop_french, STOP_FR) < 0 ||
	    stop_load(&tx->stop, story_stop_spanish, STOP_ES) < 0 ||
	    stop_load(&tx->stop, stop_list(tx->language), STOP_MAIN) < 0)
		goto oom;
	return tx;
oom:
	snprintf(err, errlen, "story: out of memory");
	story_text_free(tx);
	return NULL;
}

/* Folds a dictionary word as item words are folded (case, NFKC), into w. */
static size_t
lex_fold(const char *s, size_t n, char *w, size_t cap)
{
	size_t i;

	for (i = 0; i < n && (unsigned char)s[i] < 0x80; i++)
		;
	if (i < n)
		return fold_token((const uint8_t *)s, n, w, cap);
	if (n >= cap)
		return 0;
	for (i = 0; i < n; i++)
		w[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	return n;
}

/* Adds one "lang<TAB>word<TAB>english" entry. 0, 1 when the line is not
 * one (its reason in *why), -1 out of memory. */
static int
lex_add(struct story_text *tx, char *line, const char **why)
{
	char *word = strchr(line, '\t'), *eng = word ? strchr(word + 1, '\t') : NULL;
	char w[TOKEN_MAX * 4 * 4], e[TOKEN_MAX * 4 * 4];
	size_t wn, en;

	if (eng == NULL || strchr(eng + 1, '\t') != NULL) {
		*why = "expected lang<TAB>word<TAB>english";
		return 1;
	}
	*word++ = '\0';
	*eng++ = '\0';
	enum story_lang l = story_lang_of_code(line);
	struct sb_stemmer *st = l == SL_RU   ? tx->stem_ru
				: l == SL_AR ? tx->stem_ar
					     : tx->stem_by[l];
	if (l == SL_MAIN || l == SL_OTHER || l == SL_EN || st == NULL) {
		*why = "not a language folding maps to English (de, fr, es, tr, ru, ar)";
		return 1;
	}
	wn = lex_fold(word, strlen(word), w, sizeof(w));
	en = lex_fold(eng, strlen(eng), e, sizeof(e));
	if (wn == 0 || en == 0) {
		*why = "empty or over-long word";
		return 1;
	}
	stem_into(st, w, &wn, sizeof(w));
	stem_into(tx->stem_by[SL_EN], e, &en, sizeof(e));
	uint64_t k = lex_hash(l, w, wn);
	if (story_map_get(&tx->lex, k) != NULL)
		return 0; /* the first sense of a stem wins */
	if (tx->nlex == tx->clex) {
		size_t nc = tx->clex ? tx->clex * 2 : 4096;
		uint64_t *p = realloc(tx->lex_key, nc * sizeof(*p));
		if (p == NULL)
			return -1;
		tx->lex_key = p;
		tx->clex = nc;
	}
	if (story_map_grow(&tx->lex, tx->lex.n + 1) < 0)
		return -1;
	tx->lex_key[tx->nlex] = pivot_hash(tx, e, en, 0);
	story_map_put(&tx->lex, k, (uint32_t)tx->nlex);
	tx->nlex++;
	return 0;
}

int
story_text_lexicon(struct story_text *tx, const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = -1;

	if (fp == NULL) {
		snprintf(err, errlen, "story: lexicon %s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, fp)) >= 0) {
		const char *why = NULL;
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		int r = lex_add(tx, line, &why);
		if (r < 0) {
			snprintf(err, errlen, "story: lexicon %s: out of memory", path);
			goto out;
		}
		if (r > 0) {
			snprintf(err, errlen, "story: lexicon %s:%zu: %s", path, lineno, why);
			goto out;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "story: lexicon %s: read error", path);
		goto out;
	}
	rc = 0;
out:
	free(line);
	fclose(fp);
	return rc;
}

int
story_text_lang(const struct story_text *tx)
{
	return tx->lang == SL_MAIN ? tx->main_lang : tx->lang;
}

size_t
story_text_lexicon_size(const struct story_text *tx, size_t *bytes)
{
	if (bytes != NULL)
		*bytes = tx->clex * sizeof(*tx->lex_key) + tx->lex.cap * sizeof(*tx->lex.e);
	return tx->nlex;
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
	for (int l = SL_EN; l <= SL_ES; l++)
		sb_stemmer_delete(tx->stem_by[l]);
	story_pivot_free(tx->pv);
	story_map_free(&tx->lex);
	free(tx->lex_key);
	free(tx->seq_hashes);
	free(tx);
}
