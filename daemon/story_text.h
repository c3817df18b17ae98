/* story_text: an item's title and summary as the weighted terms story folding
 * compares (docs/stories.md, "Text"), and a SimHash of its wording.
 *
 * Words are cut by Unicode category, NFKC-normalized and case-folded
 * (utf8proc), stop words dropped, stemmed with Snowball (libstemmer) by
 * script and language; a term is the 64-bit hash of a stem. Pure: no I/O.
 *
 * Ownership: story_text_new() returns an analyser the caller frees with
 * story_text_free(); it keeps scratch space, so one analyser serves one
 * thread. Inputs are borrowed for the duration of the call. */
#ifndef HERALD_STORY_TEXT_H
#define HERALD_STORY_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define STORY_TEXT_TERMS 32 /* distinct content terms kept per item, title first */
#define STORY_TEXT_W_MAX 31 /* a term's weight saturates here */

/* Flags of a title term, for the guards. */
#define STORY_TEXT_NAME 1u /* capitalized inside a sentence-case title, or an acronym */
#define STORY_TEXT_NUM  2u /* a number */

struct story_term {
	uint64_t key;   /* hash of the stem (never 0) */
	uint32_t w;     /* 2 per title occurrence, 1 per summary one (<= W_MAX) */
	uint32_t flags; /* STORY_TEXT_NAME, STORY_TEXT_NUM */
};

struct story_text;

/* language: Snowball name for Latin-script text ("english", ...). NULL with
 * a reason in err for an unknown language or out of memory. */
struct story_text *story_text_new(const char *language, char *err, size_t errlen);

void story_text_free(struct story_text *tx);

/* Loads the bilingual table at path (lines "lang<TAB>word<TAB>english", as
 * scripts/gen-fold-lex.py writes them): a word of that language whose stem
 * is in it becomes its English translation's term. 0, or -1 with a reason
 * naming the file (and line) in err; entries read before a bad line stay. */
int story_text_lexicon(struct story_text *tx, const char *path, char *err, size_t errlen);

/* The table's entries, and its bytes in *bytes when not NULL. */
size_t story_text_lexicon_size(const struct story_text *tx, size_t *bytes);

/* The language of the item analysed last (a story_lang: declared, else
 * detected, else the configured language's). */
int story_text_lang(const struct story_text *tx);

/* Fills out[0 .. *n) (at most STORY_TEXT_TERMS, distinct keys, title words
 * first) and the SimHash of the wording (of the summary when it has enough
 * words, else of the whole item; *has_simhash 0 when too short). title,
 * text and lang (the declared language code; NULL or "": detected) may be
 * NULL. 0, or -1 out of memory. */
int story_text_analyze(struct story_text *tx, const char *title, const char *text, const char *lang,
		       struct story_term *out, uint32_t *n, uint64_t *simhash, int *has_simhash);

#endif
