/* url: URL joining and normalising of our own, after RFC 3986.
 *
 * A reference is split into its five parts (appendix B), resolved against
 * a base by section 5.2 and written back normalised. The normalisation is
 * the one libcurl's URL API (7.88) gave when this module wrapped it, so that
 * links come out as they did: the scheme in lower case, the host as written
 * (its escapes decoded), the port as a number, dot segments removed, an
 * empty path written "/", an empty query or fragment dropped, and a space
 * and every byte >= 0x80 percent-encoded (lower-case hex) in the path,
 * query and fragment; every other byte, '%' escapes included, stays as
 * written. tests/test_url.c
 * compares the results with libcurl's over many cases and lists the few
 * deliberate differences (marked "curl:" in the comments below).
 *
 * Only hierarchical URLs with an authority ("scheme://host...") and file:
 * URLs are handled; anything else a caller gets back as written. */
#include "url.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* n bytes at p; p is NULL when the part is absent, which is not the same as
 * present and empty ("http://h/a?" has an empty query). */
struct span {
	const char *p;
	size_t n;
};

/* A reference split by RFC 3986 appendix B, before any check. */
struct uref {
	struct span scheme, auth, path, query, frag;
};

/* A normalised URL: s owns the string, the rest are offsets into it. */
struct url {
	char *s;
	size_t scheme_n; /* s[0..scheme_n) */
	size_t host, host_n;
	size_t path, path_n;
	size_t query, query_n; /* query_n 0: none */
	int file;
};

/* Normalising either encodes what a URL may not hold (a reference found in
 * a document) or refuses it (a URL the user configured). */
enum url_mode { URL_ENCODE, URL_STRICT };

/* Why a URL was refused; url_check shows the text. */
enum url_err {
	URL_OK,
	URL_ENOMEM,
	URL_ESCHEME,
	URL_ESLASH,
	URL_ECTRL,
	URL_ESPACE,
	URL_EFILE,
	URL_EUSER,
	URL_ENOHOST,
	URL_EHOST,
	URL_EIPV6,
	URL_EPORT,
};

static const char *const url_err_text[] = {
	[URL_OK] = "no error",
	[URL_ENOMEM] = "out of memory",
	[URL_ESCHEME] = "Bad scheme",
	[URL_ESLASH] = "not one to three slashes after the scheme",
	[URL_ECTRL] = "control character",
	[URL_ESPACE] = "space (write it %20)",
	[URL_EFILE] = "bad file:// URL (a host other than localhost, or no absolute path)",
	[URL_EUSER] = "bad user name",
	[URL_ENOHOST] = "no host",
	[URL_EHOST] = "bad host name",
	[URL_EIPV6] = "bad IPv6 address",
	[URL_EPORT] = "port is not a number from 0 to 65535",
};

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
hexval(int c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int
is_ctrl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static int
span_ieq(struct span s, const char *lit)
{
	size_t i;

	for (i = 0; i < s.n; i++)
		if (lit[i] == '\0' || lower((unsigned char)s.p[i]) != lit[i])
			return 0;
	return lit[i] == '\0';
}

/* Splits s (n bytes) into its parts, RFC 3986 appendix B. A scheme is
 * ALPHA *(ALPHA / DIGIT / "+" / "-" / ".") before the first ':'. */
static void
split(const char *s, size_t n, struct uref *r)
{
	size_t i = 0, j;

	memset(r, 0, sizeof *r);
	if (n > 0 && is_alpha((unsigned char)s[0])) {
		for (j = 1;
		     j < n && (is_alpha((unsigned char)s[j]) || is_digit((unsigned char)s[j]) ||
			       s[j] == '+' || s[j] == '-' || s[j] == '.');
		     j++)
			;
		if (j < n && s[j] == ':') {
			r->scheme = (struct span){s, j};
			i = j + 1;
		}
	}
	if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
		for (j = i + 2; j < n && s[j] != '/' && s[j] != '?' && s[j] != '#'; j++)
			;
		r->auth = (struct span){s + i + 2, j - i - 2};
		i = j;
	}
	for (j = i; j < n && s[j] != '?' && s[j] != '#'; j++)
		;
	r->path = (struct span){s + i, j - i};
	i = j;
	if (i < n && s[i] == '?') {
		for (j = i + 1; j < n && s[j] != '#'; j++)
			;
		r->query = (struct span){s + i + 1, j - i - 1};
		i = j;
	}
	if (i < n && s[i] == '#')
		r->frag = (struct span){s + i + 1, n - i - 1};
}

/* RFC 3986 5.2.4 on p[0..n), in place; returns the new length. Only whole
 * "." and ".." segments count: "%2e" is not a dot (as with libcurl). */
static size_t
remove_dots(char *p, size_t n)
{
	size_t in = 0, out = 0;

	while (in < n) {
		const char *s = p + in;
		size_t left = n - in;

		if (left >= 3 && memcmp(s, "../", 3) == 0) {
			in += 3; /* A: a relative path's leading dots go */
		} else if (left >= 2 && memcmp(s, "./", 2) == 0) {
			in += 2;
		} else if (left >= 3 && memcmp(s, "/./", 3) == 0) {
			in += 2; /* B: "/./" -> "/" */
		} else if (left == 2 && memcmp(s, "/.", 2) == 0) {
			in += 1;
			p[in] = '/';
		} else if ((left >= 4 && memcmp(s, "/../", 4) == 0) ||
			   (left == 3 && memcmp(s, "/..", 3) == 0)) {
			/* C: "/../" -> "/", and the last output segment goes */
			in += left == 3 ? 2 : 3;
			p[in] = '/';
			while (out > 0 && p[out - 1] != '/')
				out--;
			if (out > 0)
				out--;
		} else if ((left == 1 && s[0] == '.') || (left == 2 && memcmp(s, "..", 2) == 0)) {
			in = n; /* D */
		} else {
			/* E: the first segment, with its leading '/', moves over */
			size_t k = 1;

			while (k < left && s[k] != '/')
				k++;
			memmove(p + out, s, k);
			out += k;
			in += k;
		}
	}
	return out;
}

/* Appends s[0..n) to o, encoding a space and bytes >= 0x80 (URL_ENCODE) or
 * refusing a space (URL_STRICT). A control is refused in both. */
static enum url_err
put_encoded(char **o, const char *s, size_t n, enum url_mode mode)
{
	static const char hex[] = "0123456789abcdef";
	char *w = *o;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c > ' ' && c != 0x7f && (c < 0x80 || mode == URL_STRICT)) {
			*w++ = (char)c; /* the common case first */
			continue;
		}
		if (is_ctrl(c))
			return URL_ECTRL;
		if (c == ' ' && mode == URL_STRICT)
			return URL_ESPACE;
		if (c == ' ' || (c >= 0x80 && mode == URL_ENCODE)) {
			*w++ = '%';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		} else {
			*w++ = (char)c;
		}
	}
	*o = w;
	return URL_OK;
}

/* The bracketed IPv6 literal in h (brackets included) to o: the shorter of
 * the address as written and inet_ntop's form, and a zone id (RFC 6874,
 * "%25" and up to 15 unreserved characters) as written. */
static enum url_err
put_ipv6(char **o, struct span h)
{
	char addr[64], norm[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	size_t n = 0, zone = h.n - 1;

	while (n + 1 < h.n - 1 &&
	       (hexval((unsigned char)h.p[n + 1]) >= 0 || h.p[n + 1] == ':' || h.p[n + 1] == '.'))
		n++;
	if (n == 0 || n >= sizeof addr)
		return URL_EIPV6;
	if (n + 1 < h.n - 1) {
		/* curl: also took a bare '%' and any 15 characters */
		size_t z = n + 1;

		if (h.n - 1 - z < 4 || memcmp(h.p + z, "%25", 3) != 0 || h.n - 1 - z - 3 > 15)
			return URL_EIPV6;
		for (size_t k = z + 3; k < h.n - 1; k++) {
			int c = (unsigned char)h.p[k];
			if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
			      c == '~'))
				return URL_EIPV6;
		}
		zone = z;
	}
	memcpy(addr, h.p + 1, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET6, addr, bin) != 1)
		return URL_EIPV6;
	if (inet_ntop(AF_INET6, bin, norm, sizeof norm) != NULL && strlen(norm) < n) {
		memcpy(addr, norm, strlen(norm) + 1);
		n = strlen(norm);
	}
	*(*o)++ = '[';
	memcpy(*o, addr, n);
	*o += n;
	memcpy(*o, h.p + zone, h.n - zone);
	*o += h.n - zone;
	return URL_OK;
}

/* A registered name or IPv4 address to o, its escapes decoded (as libcurl
 * does). A host holds no delimiter, space or control once decoded.
 * curl: also writes '%' back as "%25" for "%25" or a bad escape; we refuse
 * those, since the result would not decode to the host again. curl: also
 * rewrites numeric hosts the inet_aton way ("127.1" -> "127.0.0.1"); RFC
 * 3986 reads those as registered names, and so do we (as written). */
static enum url_err
put_host(char **o, struct span h)
{
	/* bit c set: byte c may not be in a host (controls, space and
	 * !"#$%&'()*+,/:;<=>?@[\]^`{}, as libcurl refused) */
	static const uint64_t bad[2] = {0xfc009fffffffffffULL, 0xa800000178000001ULL};
	char *w = *o;

	if (h.n == 0)
		return URL_ENOHOST;
	for (size_t i = 0; i < h.n; i++) {
		unsigned char c = (unsigned char)h.p[i];
		int hi, lo;

		if (c == '%') {
			if (h.n - i < 3 || (hi = hexval((unsigned char)h.p[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)h.p[i + 2])) < 0)
				return URL_EHOST;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c < 128 && (bad[c >> 6] >> (c & 63) & 1))
			return URL_EHOST;
		*w++ = (char)c;
	}
	*o = w;
	return URL_OK;
}

/* ":" and the port as a number, nothing for an empty port. */
static enum url_err
put_port(char **o, struct span p)
{
	char digits[8];
	unsigned v = 0;
	size_t n = 0;

	for (size_t i = 0; i < p.n; i++) {
		if (!is_digit((unsigned char)p.p[i]))
			return URL_EPORT;
		v = v * 10 + (unsigned)(p.p[i] - '0');
		if (v > 65535)
			return URL_EPORT;
	}
	if (p.n == 0)
		return URL_OK;
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	*(*o)++ = ':';
	while (n > 0)
		*(*o)++ = digits[--n];
	return URL_OK;
}

/* The authority of a non-file URL: [userinfo "@"] host [":" port]. */
static enum url_err
put_authority(char **o, struct url *u, const char *base, struct span a)
{
	const char *at = memchr(a.p, '@', a.n);
	struct span h = a, port = {NULL, 0};
	enum url_err e;

	if (at != NULL) {
		/* userinfo as written; libcurl refused only a space and controls */
		size_t un = (size_t)(at - a.p);

		for (size_t i = 0; i < un; i++)
			if (a.p[i] == ' ' || is_ctrl((unsigned char)a.p[i]))
				return URL_EUSER;
		memcpy(*o, a.p, un + 1);
		*o += un + 1;
		h = (struct span){at + 1, a.n - un - 1};
	}
	if (h.n > 0 && h.p[0] == '[') {
		const char *end = memchr(h.p, ']', h.n);

		if (end == NULL)
			return URL_EIPV6;
		port.p = end + 1;
		port.n = h.n - (size_t)(port.p - h.p);
		h.n = (size_t)(port.p - h.p);
		if (port.n > 0 && *port.p != ':')
			return URL_EPORT;
	} else {
		const char *colon = memchr(h.p, ':', h.n);

		if (colon != NULL) {
			port.p = colon;
			port.n = h.n - (size_t)(colon - h.p);
			h.n = (size_t)(colon - h.p);
		}
	}
	if (port.n > 0) {
		port.p++;
		port.n--;
	}
	u->host = (size_t)(*o - base);
	e = h.n > 0 && h.p[0] == '[' ? put_ipv6(o, h) : put_host(o, h);
	if (e != URL_OK)
		return e;
	u->host_n = (size_t)(*o - base) - u->host;
	return put_port(o, port);
}

/* file: URLs, RFC 8089: "file:///p", "file://localhost/p" or "file:/p",
 * all written "file:///p". curl: also read "file:p/q" as "file://p/q"
 * (host p); it is a path relative to nothing, and we refuse it. The
 * query is dropped, as libcurl does (a file has none). */
static enum url_err
check_file(const struct uref *t)
{
	struct span a = t->auth;

	if (a.p != NULL && a.n > 0 && !span_ieq(a, "localhost") && !span_ieq(a, "127.0.0.1"))
		return URL_EFILE;
	if (t->path.n == 0 || t->path.p[0] != '/')
		return URL_EFILE;
	for (size_t i = 0; i < t->query.n; i++) /* dropped, but no URL either */
		if (is_ctrl((unsigned char)t->query.p[i]))
			return URL_ECTRL;
	return URL_OK;
}

/* The authority and path of a URL other than file:, which must have an
 * authority. As libcurl, browsers and feedparser do, one or three slashes
 * after the scheme are read as two: "http:/h/p" and "http:///h/p" are
 * "http://h/p" (RFC 3986 would read a path with no host, which an http URL
 * cannot be). Four or more, or none ("mailto:a@b"), are refused. */
static enum url_err
slashes(const struct uref *t, struct span *a, struct span *path)
{
	size_t k = 1;

	*a = t->auth;
	*path = t->path;
	if (a->p != NULL && a->n > 0)
		return URL_OK;
	if (a->p != NULL && path->n == 0)
		return URL_ENOHOST;
	if (path->n == 0 || path->p[0] != '/' || (path->n > 1 && path->p[1] == '/'))
		return URL_ESLASH;
	while (k < path->n && path->p[k] != '/')
		k++;
	*a = (struct span){path->p + 1, k - 1};
	*path = (struct span){path->p + k, path->n - k};
	return URL_OK;
}

/* Writes t normalised into u (u->s malloc'd). On failure u->s is NULL. */
static enum url_err
build(const struct uref *t, enum url_mode mode, struct url *u)
{
	size_t bound = 16 + t->scheme.n + t->auth.n + 3 * (t->path.n + t->query.n + t->frag.n);
	struct span a = t->auth, path = t->path;
	enum url_err e = URL_OK;
	char *o, *p;
	size_t pn;

	memset(u, 0, sizeof *u);
	if (t->scheme.p == NULL || t->scheme.n == 0)
		return URL_ESCHEME;
	u->file = span_ieq(t->scheme, "file");
	if (u->file && (e = check_file(t)) != URL_OK)
		return e;
	if (!u->file && (e = slashes(t, &a, &path)) != URL_OK)
		return e;
	if ((u->s = malloc(bound)) == NULL)
		return URL_ENOMEM;
	o = u->s;
	for (size_t i = 0; i < t->scheme.n; i++)
		*o++ = (char)lower((unsigned char)t->scheme.p[i]);
	u->scheme_n = t->scheme.n;
	memcpy(o, "://", 3);
	o += 3;
	if (!u->file && (e = put_authority(&o, u, u->s, a)) != URL_OK)
		goto fail;
	/* the path, dots removed in place where it is written */
	u->path = (size_t)(o - u->s);
	p = o + 2 * path.n + 1; /* room to encode it in front of itself */
	if (path.n == 0) {
		*p = '/';
		pn = 1;
	} else {
		memcpy(p, path.p, path.n);
		pn = remove_dots(p, path.n);
	}
	if ((e = put_encoded(&o, p, pn, mode)) != URL_OK)
		goto fail;
	u->path_n = (size_t)(o - u->s) - u->path;
	/* curl: wrote a space in the query as '+' (and so in a fragment after
	 * a query, when resolving); '+' means a space only in form data, and
	 * RFC 3986 2.1 has "%20", as for the path. */
	if (!u->file && t->query.n > 0) {
		*o++ = '?';
		u->query = (size_t)(o - u->s);
		if ((e = put_encoded(&o, t->query.p, t->query.n, mode)) != URL_OK)
			goto fail;
		u->query_n = (size_t)(o - u->s) - u->query;
	}
	/* curl: kept a fragment as written in an absolute URL, refusing a space
	 * and letting non-ASCII through; encoded it only when resolving. We
	 * encode it in both, as the path and the query. */
	if (t->frag.n > 0) {
		*o++ = '#';
		if ((e = put_encoded(&o, t->frag.p, t->frag.n, mode)) != URL_OK)
			goto fail;
	}
	*o = '\0';
	return URL_OK;
fail:
	free(u->s);
	u->s = NULL;
	return e;
}

/* Parses and normalises the absolute URL s into u. */
static enum url_err
url_parse(const char *s, enum url_mode mode, struct url *u)
{
	struct uref r;

	split(s, strlen(s), &r);
	return build(&r, mode, u);
}

/* RFC 3986 5.2.3: the base path up to its last '/', then the reference's
 * path, into a malloc'd buffer (dots are removed when it is written). */
static char *
merge(const struct uref *b, struct span ref, size_t *n)
{
	size_t keep = b->path.n;
	char *m;

	while (keep > 0 && b->path.p[keep - 1] != '/')
		keep--;
	if ((m = malloc(keep + ref.n + 2)) == NULL)
		return NULL;
	if (b->auth.p != NULL && b->path.n == 0) {
		m[0] = '/';
		keep = 1;
	} else {
		memcpy(m, b->path.p, keep);
	}
	memcpy(m + keep, ref.p, ref.n);
	*n = keep + ref.n;
	m[*n] = '\0';
	return m;
}

/* RFC 3986 5.2.2, strictly (a scheme in the reference always wins). b is a
 * normalised base. The normalised result into u; *mp holds a merged path,
 * for the caller to free. */
static enum url_err
resolve(const struct uref *b, const struct uref *r, struct url *u, char **mp)
{
	struct uref t = *r;
	size_t mn;

	*mp = NULL;
	t.scheme = b->scheme;
	if (r->auth.p != NULL)
		return build(&t, URL_ENCODE, u);
	t.auth = b->auth;
	if (r->path.n == 0) {
		t.path = b->path;
		if (r->query.p == NULL)
			t.query = b->query;
	} else if (r->path.p[0] == '/') {
		t.path = r->path;
	} else {
		if ((*mp = merge(b, r->path, &mn)) == NULL)
			return URL_ENOMEM;
		t.path = (struct span){*mp, mn};
	}
	return build(&t, URL_ENCODE, u);
}

static int
colon_first_segment(struct span path)
{
	for (size_t i = 0; i < path.n && path.p[i] != '/'; i++)
		if (path.p[i] == ':')
			return 1;
	return 0;
}

/* curl: differed in four ways here, each a slip of its string joining that
 * RFC 3986 5.2 settles (tests/test_url.c lists them): an empty reference
 * gave the base's directory, not the base; a fragment alone ("#s") replaced
 * the base's last segment and query; a '/' or '?' in the base's fragment
 * was taken for the path's; and ".//x" or "..//x" lost its empty segment.
 * The callers keep "" and "#..." away from here anyway. A scheme of any
 * length counts (curl: over 40 characters, a path). */
char *
url_resolve(const char *base, const char *ref)
{
	struct uref r, b;
	struct url bu = {0}, u = {0};
	char *merged = NULL, *res = NULL;

	if (ref == NULL)
		ref = "";
	split(ref, strlen(ref), &r);
	if (r.scheme.p != NULL) {
		if (build(&r, URL_ENCODE, &u) == URL_OK)
			return u.s;
		return strdup(ref);
	}
	/* A ':' in the first segment makes no relative reference (RFC 3986
	 * 4.2: such a path is written "./a:b"); "1a:b" is not a scheme either. */
	if (r.auth.p == NULL && colon_first_segment(r.path))
		return strdup(ref);
	if (base == NULL || *base == '\0' || url_parse(base, URL_ENCODE, &bu) != URL_OK)
		return strdup(ref);
	split(bu.s, strlen(bu.s), &b);
	if (resolve(&b, &r, &u, &merged) == URL_OK)
		res = u.s;
	else
		res = strdup(ref);
	free(merged);
	free(bu.s);
	return res;
}

char *
url_resolve_iri(const char *base, const char *ref)
{
	char *res = url_resolve(base, ref);
	size_t i, j;
	int hi, lo;

	if (res == NULL || ref == NULL || strchr(ref, '%') != NULL ||
	    (base != NULL && strchr(base, '%') != NULL))
		return res;
	/* Every escape in res was added by url_resolve; it encodes each byte of
	 * a non-ASCII character, so decoding the escapes of bytes >= 0x80 gives
	 * back the UTF-8 written (spaces and the like stay encoded). */
	for (i = j = 0; res[i] != '\0'; i++) {
		if (res[i] == '%' && (hi = hexval((unsigned char)res[i + 1])) >= 8 &&
		    (lo = hexval((unsigned char)res[i + 2])) >= 0) {
			res[j++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			res[j++] = res[i];
		}
	}
	res[j] = '\0';
	return res;
}

int
url_scheme(const char *s, char *out, size_t outlen)
{
	struct url u;

	if (s == NULL || url_parse(s, URL_STRICT, &u) != URL_OK)
		return -1;
	if (u.scheme_n >= outlen) {
		free(u.s);
		return -1;
	}
	memcpy(out, u.s, u.scheme_n);
	out[u.scheme_n] = '\0';
	free(u.s);
	return 0;
}

static int
scheme_is(const struct url *u, const char *name)
{
	return u->scheme_n == strlen(name) && memcmp(u->s, name, u->scheme_n) == 0;
}

static int
span_is_scheme(struct span sc, const char *name)
{
	return sc.p != NULL && span_ieq(sc, name);
}

int
url_check(const char *s, int allow_file, char *err, size_t errlen)
{
	struct uref r;
	struct url u;
	enum url_err e;
	int rc = -1;

	/* a scheme we never fetch is named as such before any other fault */
	split(s, strlen(s), &r);
	if (r.scheme.p != NULL && !span_is_scheme(r.scheme, "http") &&
	    !span_is_scheme(r.scheme, "https") && !span_is_scheme(r.scheme, "file")) {
		snprintf(err, errlen, "bad URL '%s': scheme must be http or https%s", s,
			 allow_file ? " (or file)" : "");
		return -1;
	}
	if ((e = build(&r, URL_STRICT, &u)) == URL_ENOMEM) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (e != URL_OK) {
		snprintf(err, errlen, "bad URL '%s': %s", s, url_err_text[e]);
		return -1;
	}
	if (!u.file) {
		rc = 0; /* http(s); build() refused an empty host */
	} else {
		if (!allow_file)
			snprintf(err, errlen, "file:// URL not allowed here: '%s'", s);
		else if (u.path_n == 1)
			snprintf(err, errlen, "bad URL '%s': no path", s);
		else
			rc = 0;
	}
	free(u.s);
	return rc;
}

char *
url_host(const char *s)
{
	struct url u;
	char *res, *zone;
	size_t i;

	if (s == NULL || url_parse(s, URL_STRICT, &u) != URL_OK)
		return NULL;
	if (u.host_n == 0 || (res = malloc(u.host_n + 1)) == NULL) {
		free(u.s);
		return NULL;
	}
	for (i = 0; i < u.host_n; i++)
		res[i] = (char)lower((unsigned char)u.s[u.host + i]);
	res[i] = '\0';
	/* an IPv6 zone id names the local interface, not the host (as libcurl) */
	if (res[0] == '[' && (zone = strchr(res, '%')) != NULL)
		memcpy(zone, "]", 2);
	free(u.s);
	return res;
}

char *
url_file_path(const char *s)
{
	struct url u;
	char *res, *o;

	if (s == NULL || url_parse(s, URL_STRICT, &u) != URL_OK)
		return NULL;
	if (!u.file || (res = malloc(u.path_n + 1)) == NULL) {
		free(u.s);
		return NULL;
	}
	/* The path as the file system names it: every escape decoded, as
	 * libcurl does when it opens the file. A %00 would end the name
	 * early: no such file. */
	o = res;
	for (size_t i = 0; i < u.path_n; i++) {
		const char *c = u.s + u.path + i;
		int hi, lo;

		if (c[0] == '%' && i + 2 < u.path_n && (hi = hexval((unsigned char)c[1])) >= 0 &&
		    (lo = hexval((unsigned char)c[2])) >= 0) {
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else {
			*o++ = *c;
		}
	}
	*o = '\0';
	free(u.s);
	if (strlen(res) != (size_t)(o - res)) {
		free(res);
		return NULL;
	}
	return res;
}

/* Query parameters that identify a campaign or a click, not a page. */
static int
tracking_param(const char *kv, size_t n)
{
	static const char *const names[] = {
		"fbclid", "gclid", "dclid", "msclkid", "mc_cid",    "mc_eid",      "yclid",
		"igshid", "_ga",   "ocid",  "cmpid",   "at_medium", "at_campaign", NULL};
	const char *eq = memchr(kv, '=', n);

	if (n >= 4 && strncmp(kv, "utm_", 4) == 0)
		return 1;
	if (eq != NULL)
		n = (size_t)(eq - kv);
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n && strncmp(kv, names[i], n) == 0)
			return 1;
	return 0;
}

/* Appends q's parameters but the empty and tracking ones to o, joined by
 * '&', with a '?' before the first. */
static char *
put_query(char *o, const char *q, size_t n)
{
	int first = 1;

	for (size_t i = 0; i < n;) {
		size_t k = i;

		while (k < n && q[k] != '&')
			k++;
		if (k > i && !tracking_param(q + i, k - i)) {
			*o++ = first ? '?' : '&';
			memcpy(o, q + i, k - i);
			o += k - i;
			first = 0;
		}
		i = k + 1;
	}
	return o;
}

char *
url_canonical(const char *s)
{
	struct url u;
	char *res = NULL, *o;
	size_t h, hn;

	if (s == NULL || url_parse(s, URL_STRICT, &u) != URL_OK)
		return NULL;
	if (!scheme_is(&u, "http") && !scheme_is(&u, "https"))
		goto out;
	h = u.host;
	hn = u.host_n;
	if (hn >= 4 && strncasecmp(u.s + h, "www.", 4) == 0) {
		h += 4;
		hn -= 4;
	}
	if ((res = malloc(hn + u.path_n + u.query_n + 2)) == NULL)
		goto out;
	for (size_t i = 0; i < hn; i++)
		res[i] = (char)lower((unsigned char)u.s[h + i]);
	memcpy(res + hn, u.s + u.path, u.path_n);
	o = put_query(res + hn + u.path_n, u.s + u.query, u.query_n);
	*o = '\0';
out:
	free(u.s);
	return res;
}

/* ---------------------------------------------------------------- secrets */

static int
isspace_ascii(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Where the authority that starts at s[i] (after a "://") ends. */
static size_t
authority_end(const char *s, size_t i)
{
	while (s[i] && !strchr("/?#\"<>\\", s[i]) && !isspace_ascii((unsigned char)s[i]))
		i++;
	return i;
}

char *
url_redact(const char *s)
{
	size_t n = strlen(s), i = 0, o = 0;
	char *res;

	/* Each userinfo becomes at most "***" more than itself. */
	if ((res = malloc(n + n / 2 * 3 + 4)) == NULL)
		return NULL;
	while (s[i]) {
		const char *sep = strstr(s + i, "://");
		size_t a, end, at = 0, colon = 0;

		if (sep == NULL)
			break;
		a = (size_t)(sep - s) + 3;
		end = authority_end(s, a);
		for (size_t k = a; k < end; k++) {
			if (s[k] == '@')
				at = k;
			else if (s[k] == ':' && at == 0 && colon == 0)
				colon = k;
		}
		if (at == 0) {
			memcpy(res + o, s + i, end - i);
			o += end - i;
			i = end;
			continue;
		}
		/* "user:password@" keeps the user; a lone "token@" goes whole. */
		if (colon == 0 || colon > at)
			colon = a - 1;
		memcpy(res + o, s + i, colon + 1 - i);
		o += colon + 1 - i;
		memcpy(res + o, "***", 3);
		o += 3;
		i = at;
	}
	memcpy(res + o, s + i, n - i + 1);
	return res;
}

/* ---------------------------------------------------------------- links */

int
url_link_ok(const char *s)
{
	char scheme[16];
	size_t n = 0;

	if (s == NULL)
		return 1;
	/* As a browser reads it: leading spaces and controls skipped, tabs
	 * and newlines anywhere ignored ("java\tscript:"). */
	while (*s && (unsigned char)*s <= ' ')
		s++;
	if (!is_alpha((unsigned char)*s))
		return 1; /* relative: no scheme of its own */
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == ':')
			break;
		if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
			return 1; /* a path with a ':' later on, not a scheme */
		if (n == sizeof scheme - 1)
			return 0; /* no scheme we accept is this long */
		scheme[n++] = (char)lower(c);
	}
	if (*s != ':')
		return 1;
	scheme[n] = '\0';
	return strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ||
	       strcmp(scheme, "mailto") == 0;
}
