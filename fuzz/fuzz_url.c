/* fuzz_url: libFuzzer target for daemon/url.c.
 *
 * The input, cut at its first NUL, is "base\nref" (or a ref alone, with no
 * base). url_resolve must return a string; that string resolves to itself
 * (url_resolve's results are already normalised, and what it returns as
 * written it returns as written again); a URL resolved against itself with
 * an empty reference is itself less its fragment; url_resolve_iri,
 * url_check, url_scheme, url_host and url_canonical run on everything.
 * Build and run: see mk/fuzz.am ("make fuzz"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

static void
read_all(const char *s)
{
	char err[256], scheme[32];

	free(url_host(s));
	free(url_canonical(s));
	(void)url_check(s, 1, err, sizeof err);
	(void)url_scheme(s, scheme, sizeof scheme);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *ref, *base = NULL, *r = NULL, *again = NULL, *self = NULL;
	char scheme[64];
	size_t k;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if ((ref = strchr(s, '\n')) != NULL) {
		*ref++ = '\0';
		base = s;
	} else {
		ref = s;
	}
	if ((r = url_resolve(base, ref)) == NULL || (again = url_resolve(NULL, r)) == NULL)
		abort();
	if (strcmp(r, again) != 0)
		abort();
	if (url_scheme(r, scheme, sizeof scheme) == 0) {
		k = strcspn(r, "#");
		if ((self = url_resolve(r, "")) == NULL || strlen(self) != k ||
		    strncmp(self, r, k) != 0)
			abort();
	}
	free(url_resolve_iri(base, ref));
	read_all(ref);
	if (base != NULL)
		read_all(base);
	read_all(r);
	free(r);
	free(again);
	free(self);
	free(s);
	return 0;
}
