/* url: URL helpers on libcurl's URL API (no network; fetch alone transfers).
 *
 * Every returned string is malloc'd and owned by the caller. */
#ifndef HERALD_URL_H
#define HERALD_URL_H

#include <stddef.h>

/* Resolves ref against base (either may be NULL or empty). An absolute ref
 * is returned normalized; a relative ref with no usable base is returned as
 * written. Returns NULL only when memory runs out. */
char *url_resolve(const char *base, const char *ref);

/* url_resolve always through libcurl. url_resolve does the simplest cases
 * (a plain path against an http(s) base) itself, with the same result;
 * tests compare the two. */
char *url_resolve_curl(const char *base, const char *ref);

/* As url_resolve, but the non-ASCII characters of ref stay as written (an
 * IRI, RFC 3987) instead of coming back percent-encoded: "À" against
 * "http://h/" gives "http://h/À". When base or ref already holds a '%', the
 * result is url_resolve's (encoded) one, since the escapes libcurl added
 * could not be told from those written. NULL only when memory runs out. */
char *url_resolve_iri(const char *base, const char *ref);

/* Checks that s is an absolute http(s) URL with a host, or (when allow_file)
 * a file:// URL with a path. Returns 0, or -1 with a reason in err. */
int url_check(const char *s, int allow_file, char *err, size_t errlen);

/* The URL's scheme in lower case ("http", "file", ...) into out; 0 or -1. */
int url_scheme(const char *s, char *out, size_t outlen);

/* The URL's host name, lower case, malloc'd; NULL if none. */
char *url_host(const char *s);

/* A canonical form for comparing links across feeds: lower-case host without
 * a leading "www.", no fragment, no tracking parameters (utm_*, fbclid,
 * gclid, ...), no default port, "http" and "https" treated alike. NULL when
 * s is not an http(s) URL. */
char *url_canonical(const char *s);

#endif
