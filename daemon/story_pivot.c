/* story_pivot: see story_pivot.h and docs/stories.md. */
#include "story_pivot.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

#define PIVOT_UCHARS 256 /* a word's UTF-16 room, transliterated (words are <= 64 code points) */

struct story_pivot {
	UTransliterator *any, *ru;
	UChar buf[PIVOT_UCHARS];
};

static const struct {
	const char *code, *stemmer;
} langs[SL_N] = {
	[SL_MAIN] = {"", NULL},      [SL_EN] = {"en", "english"}, [SL_DE] = {"de", "german"},
	[SL_FR] = {"fr", "french"},  [SL_ES] = {"es", "spanish"}, [SL_TR] = {"tr", "turkish"},
	[SL_RU] = {"ru", "russian"}, [SL_AR] = {"ar", "arabic"},  [SL_ZH] = {"zh", NULL},
	[SL_OTHER] = {"", NULL},
};

enum story_lang
story_lang_of_code(const char *code)
{
	char c[3];

	if (code == NULL)
		return SL_MAIN;
	while (*code == ' ' || *code == '\t')
		code++;
	if (*code == '\0')
		return SL_MAIN;
	if (!isalpha((unsigned char)code[0]) || !isalpha((unsigned char)code[1]) ||
	    isalpha((unsigned char)code[2]))
		return SL_OTHER; /* not a two-letter code (three-letter ones are rare in feeds) */
	c[0] = (char)tolower((unsigned char)code[0]);
	c[1] = (char)tolower((unsigned char)code[1]);
	c[2] = '\0';
	for (int l = SL_EN; l < SL_OTHER; l++)
		if (strcmp(langs[l].code, c) == 0)
			return (enum story_lang)l;
	return SL_OTHER;
}

const char *
story_lang_code(enum story_lang l)
{
	return l < SL_N ? langs[l].code : "";
}

const char *
story_lang_stemmer(enum story_lang l)
{
	return l < SL_N ? langs[l].stemmer : NULL;
}

static UTransliterator *
open_translit(const char *id, char *err, size_t errlen)
{
	UChar uid[64];
	UErrorCode e = U_ZERO_ERROR;

	u_uastrncpy(uid, id, 63);
	uid[63] = 0;
	UTransliterator *t = utrans_openU(uid, -1, UTRANS_FORWARD, NULL, 0, NULL, &e);
	if (U_FAILURE(e)) {
		snprintf(err, errlen, "story: ICU transliterator \"%s\": %s", id, u_errorName(e));
		return NULL;
	}
	return t;
}

struct story_pivot *
story_pivot_new(char *err, size_t errlen)
{
	struct story_pivot *pv = calloc(1, sizeof(*pv));

	if (pv == NULL) {
		snprintf(err, errlen, "story: out of memory");
		return NULL;
	}
	pv->any = open_translit("Any-Latin; Latin-ASCII", err, errlen);
	if (pv->any != NULL)
		pv->ru = open_translit("Russian-Latin/BGN; Latin-ASCII", err, errlen);
	if (pv->ru == NULL) {
		story_pivot_free(pv);
		return NULL;
	}
	return pv;
}

void
story_pivot_free(struct story_pivot *pv)
{
	if (pv == NULL)
		return;
	if (pv->any != NULL)
		utrans_close(pv->any);
	if (pv->ru != NULL)
		utrans_close(pv->ru);
	free(pv);
}

size_t
story_pivot_ascii(struct story_pivot *pv, const char *s, size_t n, int cyrillic, char *out,
		  size_t cap)
{
	UErrorCode e = U_ZERO_ERROR;
	int32_t len = 0, lim;
	size_t k = 0;

	if (cap == 0)
		return 0;
	/* A third of the room: transliteration lengthens (щ -> shch). */
	u_strFromUTF8(pv->buf, PIVOT_UCHARS / 3, &len, s, (int32_t)n, &e);
	if (U_FAILURE(e))
		goto none;
	lim = len;
	utrans_transUChars(cyrillic ? pv->ru : pv->any, pv->buf, &len, PIVOT_UCHARS, 0, &lim, &e);
	if (U_FAILURE(e) || len > PIVOT_UCHARS)
		goto none;
	for (int32_t i = 0; i < len && k + 1 < cap; i++) {
		UChar c = pv->buf[i];
		if (c < 0x80 && isalnum(c))
			out[k++] = (char)tolower(c);
	}
none:
	out[k] = '\0';
	return k;
}

/* Replaces s[i .. i + from) by the letter to, returning the new length. */
static size_t
subst(char *s, size_t n, size_t i, size_t from, char to)
{
	s[i] = to;
	memmove(s + i + 1, s + i + from, n - i - from);
	return n - from + 1;
}

size_t
story_pivot_norm(char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (s[i] >= '0' && s[i] <= '9')
			return n; /* numbers and codes are what they are */
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (!(c >= 'a' && c <= 'z'))
			continue;
		s[k++] = c == 'c' || c == 'q' ? 'k' : c == 'w' ? 'v' : c;
	}
	n = k;
	for (i = 0; i + 1 < n;) { /* a replaced pair is looked at again (kiyev -> kiev -> kiv) */
		char a = s[i], b = s[i + 1];
		if ((a == 'p' && b == 'h') || (a == 'k' && b == 'h'))
			n = subst(s, n, i, 2, a == 'p' ? 'f' : 'h');
		else if ((a == 'i' && b == 'y') || (a == 'y' && b == 'i') || (a == 'i' && b == 'e'))
			n = subst(s, n, i, 2, 'i');
		else
			i++;
	}
	k = 0;
	for (i = 0; i < n; i++)
		if (k == 0 || s[k - 1] != s[i])
			s[k++] = s[i];
	n = k;
	if (n > 3 && (s[n - 1] == 'i' || s[n - 1] == 'y' || s[n - 1] == 'j')) {
		while (n > 3 && (s[n - 1] == 'i' || s[n - 1] == 'y' || s[n - 1] == 'j'))
			n--;
		s[n++] = 'i';
	}
	return n;
}
