/* url: URL joining and normalising after RFC 3986, of our own (url.c).
 *
 * pure: no libcurl. url.o calls no curl_ function (nm libherald.a shows it);
 * tests/test_url.c compares it with libcurl's URL API. No network either.
 *
 * Every returned string is malloc'd and owned by the caller; arguments are
 * borrowed. */
#ifndef HERALD_URL_H
#define HERALD_URL_H

#include <stddef.h>

/* Resolves ref against base (either may be NULL or empty), RFC 3986 5.2.
 * An absolute ref is returned normalized; a relative ref with no usable
 * base, or a result that is no URL (a control character, a bad host or
 * port, a scheme without "//" other than file:), is returned as written.
 * The normalization: the scheme in lower case, the port as a number, dot
 * segments removed, an empty path written "/", an empty query or fragment
 * dropped, a space and each byte >= 0x80 percent-encoded; the host and
 * existing escapes are kept as written. Returns NULL only when memory runs
 * out. */
char *url_resolve(const char *base, const char *ref);

/* As url_resolve, but the non-ASCII characters of ref stay as written (an
 * IRI, RFC 3987) instead of coming back percent-encoded: "À" against
 * "http://h/" gives "http://h/À". When base or ref already holds a '%', the
 * result is url_resolve's (encoded) one, since the escapes url_resolve added
 * could not be told from those written. NULL only when memory runs out. */
char *url_resolve_iri(const char *base, const char *ref);

/* Checks that s is an absolute http(s) URL with a host, or (when allow_file)
 * a file:// URL with a path. Returns 0, or -1 with a reason in err:
 * "bad URL '<s>': <why>", "file:// URL not allowed here: '<s>'" or
 * "bad URL '<s>': scheme must be http or https". A space or a control
 * character anywhere makes s a bad URL. */
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

/* The file name a file:// URL names (escapes decoded: "file:///a%20b" gives
 * "/a b"), malloc'd; NULL when s is not a file URL with a local path, or
 * holds an escaped NUL. */
char *url_file_path(const char *s);

/* s with the credentials of every URL in it masked: "http://u:pw@h/"
 * becomes "http://u:***@h/", a lone user name ("https://token@h/") is masked whole.
 * s may be free text (a log line, an error message): every "scheme://"
 * in it is looked at. Malloc'd; NULL only when memory runs out. */
char *url_redact(const char *s);

/* Whether s may be shown as a link: 1 for a relative reference or an
 * http, https or mailto URL, 0 for any other scheme (javascript:, data:,
 * file:, vbscript:, ...). Read as a browser reads it: leading spaces and
 * controls, and tabs and newlines anywhere, do not hide a scheme. NULL
 * is 1 (no link). */
int url_link_ok(const char *s);

#endif
