/* story_pivot: what lets one story be found across spellings, scripts and
 * languages (docs/stories.md, "Across languages"): an item's language, from
 * the feed's declaration or else detected by story_text; a word in another
 * script transliterated to Latin ASCII with ICU; and the spelling
 * normalisation every term key goes through, so that variant spellings of one
 * name meet (Zelensky / Zelenskiy / Зеленский, Assad / Асад, Kiev / Киев).
 *
 * Pure: no I/O. Ownership: story_pivot_new() returns a transliterator the
 * caller frees with story_pivot_free(); it keeps scratch space, so one serves
 * one thread. Strings are borrowed for the duration of a call. */
#ifndef HERALD_STORY_PIVOT_H
#define HERALD_STORY_PIVOT_H

#include <stddef.h>

/* The languages folding knows by name. SL_MAIN: none declared or detected,
 * the configured fold_language applies. */
enum story_lang { SL_MAIN, SL_EN, SL_DE, SL_FR, SL_ES, SL_TR, SL_RU, SL_AR, SL_ZH, SL_OTHER, SL_N };

/* A declared language code ("de", "de-AT", "ru_RU", "EN"): its language, SL_OTHER
 * for a code folding has no words for, or SL_MAIN for NULL or "". */
enum story_lang story_lang_of_code(const char *code);

/* The ISO 639-1 code of l ("en", ...), "" for SL_MAIN and SL_OTHER. */
const char *story_lang_code(enum story_lang l);

/* Snowball's name for l's stemmer, or NULL when it has none. */
const char *story_lang_stemmer(enum story_lang l);

struct story_pivot;

/* NULL with a reason in err when ICU has no transliterator (or out of memory). */
struct story_pivot *story_pivot_new(char *err, size_t errlen);

void story_pivot_free(struct story_pivot *pv);

/* Transliterates the UTF-8 word s[0 .. n) to Latin ASCII into out (cap
 * bytes, NUL-terminated); cyrillic picks Russian's BGN/PCGN romanisation,
 * else ICU's Any-Latin. Returns the length, 0 when nothing is left. */
size_t story_pivot_ascii(struct story_pivot *pv, const char *s, size_t n, int cyrillic, char *out,
			 size_t cap);

/* Normalises a lower-case ASCII word in place and returns its new length:
 * letters and digits only; c and q -> k, w -> v, ph -> f, kh -> h; iy, yi,
 * ie -> i; doubled letters once; a final run of i/y/j -> i. Words of digits
 * only are left alone. */
size_t story_pivot_norm(char *s, size_t n);

#endif
