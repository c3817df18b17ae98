/* Tests for daemon/url.c, with libcurl's URL API as the reference.
 *
 * url.c is our own RFC 3986 code; until it was, it wrapped libcurl, and its
 * results must stay libcurl's. curl_resolve() below is that old resolver,
 * kept here (only the test links libcurl for it): every case of the tables
 * and of the generated combinations must give what it gives, except the
 * deliberate differences listed in resolve_diffs[] and strict_diffs[], each
 * with our exact result and its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "url.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------ libcurl, as before */

/* url_resolve as it was: libcurl resolves, and the reference comes back as
 * written when libcurl refuses it (or the base). */
static char *
curl_resolve(const char *base, const char *ref)
{
	static const unsigned flags = CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE;
	CURLU *u = curl_url();
	char *out = NULL, *res = NULL;

	if (ref == NULL)
		ref = "";
	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, ref, flags) == CURLUE_OK)
		goto get;
	if (base == NULL || *base == '\0' ||
	    curl_url_set(u, CURLUPART_URL, base, flags) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, ref, flags) != CURLUE_OK) {
		res = strdup(ref);
		goto out;
	}
get:
	if (curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK || out == NULL)
		res = strdup(ref);
	else
		res = strdup(out);
out:
	curl_free(out);
	curl_url_cleanup(u);
	return res;
}

/* One part of s as libcurl's URL API reads it (no encoding), malloc'd, or
 * NULL when libcurl refuses s or s has no such part. */
static char *
curl_part(const char *s, CURLUPart part)
{
	CURLU *u = curl_url();
	char *p = NULL, *res = NULL;

	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, s, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, part, &p, 0) == CURLUE_OK && p != NULL)
		res = strdup(p);
	curl_free(p);
	curl_url_cleanup(u);
	return res;
}

static void
lower(char *s)
{
	for (; s != NULL && *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 'a' - 'A');
}

/* url_check as it was, on libcurl's parts: 0 or -1. */
static int
curl_check(const char *s, int allow_file)
{
	char *scheme = curl_part(s, CURLUPART_SCHEME), *host = NULL, *path = NULL;
	int rc = -1;

	if (scheme == NULL)
		return -1;
	if (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) {
		host = curl_part(s, CURLUPART_HOST);
		rc = host != NULL && *host ? 0 : -1;
	} else if (strcmp(scheme, "file") == 0 && allow_file) {
		path = curl_part(s, CURLUPART_PATH);
		rc = path != NULL && strcmp(path, "/") != 0 ? 0 : -1;
	}
	free(scheme);
	free(host);
	free(path);
	return rc;
}

/* -------------------------------------------------------- the differences */

/* Where url_resolve and libcurl differ on purpose: our result, and why. A
 * pair that differs and is not here fails the test, as does one here that
 * no longer differs or gives another result. */
struct diff {
	const char *base, *ref, *ours, *why;
};

/* The reasons. */
static const char rfc_empty[] = "RFC 3986 5.2.2: an empty reference is the base (without its "
				"fragment); curl gave the base's directory";
static const char rfc_frag[] = "RFC 3986 5.2.2: a fragment alone keeps the base's path and query; "
			       "curl dropped its last segment";
static const char base_frag[] =
	"a '/' or '?' in the base's fragment is part of the fragment; curl took it for the path's";
static const char plus[] =
	"a space in a query is %20 (RFC 3986 2.1); curl wrote '+', a space only in form data";
static const char frag_enc[] = "a fragment is encoded as the path is, absolute or resolved; curl "
			       "kept it raw in an absolute URL (refusing a space)";
static const char dot_slash[] = "\"./\" or \"../\" then '/' leaves an empty segment (RFC 3986 "
				"5.2.4); curl's joining dropped it";
static const char ipv4_num[] = "RFC 3986 3.2.2: a host that is not four decimal numbers is a name, "
			       "kept as written; curl rewrote it as inet_aton reads it";
static const char host_pct[] = "a host with '%' left after decoding is refused (it would not "
			       "decode to itself); curl wrote it back as %25";
static const char file_rel[] =
	"file:x/y has a path relative to nothing, refused; curl made x its host";
static const char zone[] =
	"an IPv6 zone id is \"%25\" and 1 to 15 unreserved characters (RFC 6874); curl took more";
static const char long_scheme[] =
	"RFC 3986 3.1 sets no length to a scheme; curl took one over 40 characters for a path";
static const char digit_scheme[] = "a first segment with ':' is no relative reference (RFC 3986 "
				   "4.2) and \"1h\" no scheme: kept as written";

static const struct diff resolve_diffs[] = {
	{"http://a/b/c/d;p?q", "", "http://a/b/c/d;p?q", rfc_empty},
	{"http://example.com/feed", "", "http://example.com/feed", rfc_empty},
	{"http://a/b/c/d;p?q#f", "", "http://a/b/c/d;p?q", rfc_empty},
	{"http://a/b/c/d;p?q", "#s", "http://a/b/c/d;p?q#s", rfc_frag},
	{"http://a/b/c/d;p?q", "#", "http://a/b/c/d;p?q", rfc_frag},
	{"http://example.com/feed", "#f", "http://example.com/feed#f", rfc_frag},
	{"https://example.com/a/b.xml", "#f", "https://example.com/a/b.xml#f", rfc_frag},
	{"http://example.com/a/b?x=1#old", "#new", "http://example.com/a/b?x=1#new", rfc_frag},
	{"http://example.com/a/b", "#a b", "http://example.com/a/b#a%20b", rfc_frag},
	{"http://example.com/a/b", "#\xc3\xa9", "http://example.com/a/b#%c3%a9", rfc_frag},
	{"file:///tmp/a/b.xml", "#f", "file:///tmp/a/b.xml#f", rfc_frag},
	{"http://h/a#f/g", "x", "http://h/x", base_frag},
	{"http://h/a#f/g", "?q", "http://h/a?q", base_frag},
	{"http://h/a#f", "?q", "http://h/a?q", base_frag},
	{"http://example.com#f", "?q=1", "http://example.com/?q=1", base_frag},
	{"http://a/b/c/d", "?a b", "http://a/b/c/d?a%20b", plus},
	{"http://a/b/c/d", "x?a b#c d", "http://a/b/c/x?a%20b#c%20d", plus},
	{"http://a/b/c/d", "?c#e f", "http://a/b/c/d?c#e%20f", plus},
	{NULL, "http://h/a?b c", "http://h/a?b%20c", plus},
	{NULL, "http://example.com/a?b c", "http://example.com/a?b%20c", plus},
	{"http://a/b/c/d;p?q", ".//x", "http://a/b/c//x", dot_slash},
	{"http://a/b/c/d;p?q", "..//x", "http://a/b//x", dot_slash},
	{"http://example.com/", "..//x", "http://example.com//x", dot_slash},
	{"http://example.com/a//b/c", ".//x", "http://example.com/a//b//x", dot_slash},
	{NULL, "http://h/a#\xc3\xa9", "http://h/a#%c3%a9", frag_enc},
	{NULL, "http://h/a#e f", "http://h/a#e%20f", frag_enc},
	{NULL, "http://h/a?q#e f", "http://h/a?q#e%20f", frag_enc},
	{"http://a/b/", "//127.1/x", "http://127.1/x", ipv4_num},
	{NULL, "http://127.1/", "http://127.1/", ipv4_num},
	{NULL, "http://0x7f.1/", "http://0x7f.1/", ipv4_num},
	{NULL, "http://1.2.3/", "http://1.2.3/", ipv4_num},
	{NULL, "http://010.1.1.1/", "http://010.1.1.1/", ipv4_num},
	{NULL, "http://1.2.3.04/", "http://1.2.3.04/", ipv4_num},
	{NULL, "http://4294967295/", "http://4294967295/", ipv4_num},
	{NULL, "http://0/", "http://0/", ipv4_num},
	{"http://0/a", "b", "http://0/b", ipv4_num},
	{NULL, "http://h%zz/", "http://h%zz/", host_pct},
	{NULL, "http://h%/", "http://h%/", host_pct},
	{NULL, "file:tmp/x", "file:tmp/x", file_rel},
	{NULL, "http://[::1%25]/", "http://[::1%25]/", zone},
	{NULL, "http://[fe80::1%eth0]/", "http://[fe80::1%eth0]/", zone},
	{"http://a/b/c", "aaaaaaaaaabbbbbbbbbbccccccccccddddddddddx:y",
	 "aaaaaaaaaabbbbbbbbbbccccccccccddddddddddx:y", long_scheme},
	{"http://a/b/c", "1h://h/x/../y", "1h://h/x/../y", digit_scheme},
	{NULL, "1h://h/x/../y", "1h://h/x/../y", digit_scheme},
};

/* Where url_check, url_host or url_scheme read an absolute URL otherwise
 * than libcurl: our host (NULL: refused), and why. */
struct strict_diff {
	const char *url, *host, *why;
};

static const struct strict_diff strict_diffs[] = {
	{"http://127.1/", "127.1", ipv4_num},   {"http://0x7f.1/x", "0x7f.1", ipv4_num},
	{"http://h%zz/", NULL, host_pct},       {"http://a%25b/x", NULL, host_pct},
	{"http://[fe80::1%eth0]/", NULL, zone},
};

static const struct diff *
find_diff(const char *base, const char *ref)
{
	for (size_t i = 0; i < N(resolve_diffs); i++) {
		const struct diff *d = &resolve_diffs[i];

		if (strcmp(d->ref, ref) == 0 && ((d->base == NULL && base == NULL) ||
						 (d->base && base && strcmp(d->base, base) == 0)))
			return d;
	}
	return NULL;
}

/* Compares url_resolve with libcurl on one pair; returns 1 when it fails
 * (printing why, with a line to paste into resolve_diffs when meant). */
static int
compare_one(const char *base, const char *ref)
{
	char *ours = url_resolve(base, ref), *curls = curl_resolve(base, ref);
	const struct diff *d = find_diff(base, ref);
	int bad = 0;

	assert_non_null(ours);
	assert_non_null(curls);
	if (d != NULL) {
		if (strcmp(ours, d->ours) != 0) {
			print_message("resolve(\"%s\", \"%s\") = \"%s\", listed as \"%s\"\n",
				      base ? base : "NULL", ref, ours, d->ours);
			bad = 1;
		} else if (strcmp(ours, curls) == 0) {
			print_message("resolve(\"%s\", \"%s\") no longer differs from libcurl\n",
				      base ? base : "NULL", ref);
			bad = 1;
		}
	} else if (strcmp(ours, curls) != 0) {
		print_message("resolve(\"%s\", \"%s\") = \"%s\", libcurl \"%s\"\n",
			      base ? base : "NULL", ref, ours, curls);
		bad = 1;
	}
	free(ours);
	free(curls);
	return bad;
}

/* ------------------------------------------------------------------ tables */

/* RFC 3986 5.4.1 and 5.4.2 against "http://a/b/c/d;p?q", with the RFC's
 * answers; "//g" is "http://g/" here (an empty http path is written "/"). */
static const char *const rfc_cases[][2] = {
	{"g:h", "g:h"},
	{"g", "http://a/b/c/g"},
	{"./g", "http://a/b/c/g"},
	{"g/", "http://a/b/c/g/"},
	{"/g", "http://a/g"},
	{"//g", "http://g/"},
	{"?y", "http://a/b/c/d;p?y"},
	{"g?y", "http://a/b/c/g?y"},
	{"#s", "http://a/b/c/d;p?q#s"},
	{"g#s", "http://a/b/c/g#s"},
	{"g?y#s", "http://a/b/c/g?y#s"},
	{";x", "http://a/b/c/;x"},
	{"g;x", "http://a/b/c/g;x"},
	{"g;x?y#s", "http://a/b/c/g;x?y#s"},
	{"", "http://a/b/c/d;p?q"},
	{".", "http://a/b/c/"},
	{"./", "http://a/b/c/"},
	{"..", "http://a/b/"},
	{"../", "http://a/b/"},
	{"../g", "http://a/b/g"},
	{"../..", "http://a/"},
	{"../../", "http://a/"},
	{"../../g", "http://a/g"},
	/* 5.4.2, abnormal */
	{"../../../g", "http://a/g"},
	{"../../../../g", "http://a/g"},
	{"/./g", "http://a/g"},
	{"/../g", "http://a/g"},
	{"g.", "http://a/b/c/g."},
	{".g", "http://a/b/c/.g"},
	{"g..", "http://a/b/c/g.."},
	{"..g", "http://a/b/c/..g"},
	{"./../g", "http://a/b/g"},
	{"./g/.", "http://a/b/c/g/"},
	{"g/./h", "http://a/b/c/g/h"},
	{"g/../h", "http://a/b/c/h"},
	{"g;x=1/./y", "http://a/b/c/g;x=1/y"},
	{"g;x=1/../y", "http://a/b/c/y"},
	{"g?y/./x", "http://a/b/c/g?y/./x"},
	{"g?y/../x", "http://a/b/c/g?y/../x"},
	{"g#s/./x", "http://a/b/c/g#s/./x"},
	{"g#s/../x", "http://a/b/c/g#s/../x"},
	{"http:g", "http:g"},
};

/* Bases for the generated combinations: no fragment (see base_frag), some
 * unusable (the reference then comes back as written). */
static const char *const bases[] = {
	"http://a/b/c/d;p?q",
	"http://example.com/feed",
	"https://example.com/a/b.xml",
	"http://example.com/a/",
	"http://example.com",
	"http://example.com/",
	"http://ex-1.example.org/a/b/c?x=1",
	"http://EXAMPLE.com/a/b",
	"HTTP://Example.COM/A/B",
	"hTtPs://example.com/",
	"http://example.com:8080/a/b",
	"http://example.com:80/a/b",
	"https://example.com:443/",
	"http://example.com:/a",
	"http://example.com:0080/a",
	"http://u@example.com/a",
	"http://u:p@example.com/a/b",
	"http://@example.com/a",
	"http://[::1]/a/b",
	"http://[::1]:8080/a",
	"http://[2001:db8::7]/x/",
	"http://[0:0::1]/a",
	"http://[::FFFF:1.2.3.4]/a",
	"http://[fe80::1%25eth0]/a",
	"http://example.com/a/./b",
	"http://example.com/a/../b",
	"http://example.com/a/b/../../../c",
	"http://example.com/a%20b/c",
	"http://example.com/a b/c",
	"http://example.com/%7e/x",
	"http://example.com/\xc3\xa9/x",
	"http://example.com/a?b c",
	"http://example.com/a?\xc3\xa9",
	"ftp://example.com/a/b",
	"x-y+z.w://h/p/q",
	"http://example.com/.",
	"http://example.com/a/b/..",
	"http://example.com?q",
	"http://example.com?",
	"http://example.com/~u/x_y-z.html",
	"http://127.0.0.1/x/y",
	"http://example.com./a",
	"http://example.com/a/.b/c",
	"http://example.com/a/..b/c",
	"http://example.com/a;p/b;q",
	"http://example.com/a//b/c",
	"http://h%41/x",
	"http://xn--e-9ja.com/p",
	"http://\xc3\xa9.com/p",
	"http://h_x/p",
	"http:///example.com/test/",
	"http:/example.com/a",
	"file:///tmp/a/b.xml",
	"file://localhost/tmp/x",
	"FILE://LOCALHOST/tmp/x",
	"file://127.0.0.1/tmp/x",
	"file:/tmp/x",
	"file:///",
	/* unusable */
	"",
	"mailto:a@b",
	"urn:x:y",
	"not a url",
	"/rel/base",
	"//host/only",
	"http://",
	"http:x",
	"http:////x",
	"http://a b/",
	"http://h!x/",
	"http://h:99999/",
	"http://h:x/",
	"http://[::1/",
	"http://[zz::1]/",
	"http://[::1]x/",
	"http://u p@h/",
	"file://host/x",
	"file://",
	"http://h/a\tb",
};

/* References for the generated combinations: neither empty nor a fragment
 * alone (see rfc_empty, rfc_frag), no space in a query (plus). */
static const char *const refs[] = {
	"g",
	"./g",
	"g/",
	"/g",
	"//g",
	"?y",
	"g?y",
	"g#s",
	"g?y#s",
	";x",
	"g;x=1/../y",
	".",
	"./",
	"..",
	"../",
	"../g",
	"../..",
	"../../../../g",
	"/./g",
	"/../g",
	"g.",
	"..g",
	"./g/.",
	"g/../h",
	"g?y/../x",
	"g#s/../x",
	"http:g",
	"g:h",
	"/rel/1",
	"img/1.jpg",
	"x?a=1&b=2",
	"/x?a=b/c",
	"a.b/c..d",
	"a/.../b",
	"x y",
	" x",
	"x ",
	"x%20y",
	"%7e",
	"%7E/%2F",
	"%zz",
	"%",
	"\xc3\x80",
	"\xe9",
	"a\xc3\xa9?q=\xc3\xa9#\xc3\xa9",
	"a#e f",
	"HTTP://x/",
	"HTTPS://X.ORG:443/a/../b",
	"http://x",
	"http:/x",
	"http:///x",
	"http:////x",
	"https://h:080/x?",
	"ftp://h/x",
	"file:///etc/x",
	"file:/etc/x",
	"file://localhost/etc/x",
	"file://h/etc/x",
	"mailto:a@b",
	"x:y",
	"./x:y",
	"x/y:z",
	"~u/p",
	"-a",
	"_b",
	"a//b",
	"/a/",
	"x?",
	"?",
	"?x",
	"x?a=1#f",
	"x?#f",
	".hidden",
	"a/..x",
	"//other.org/p",
	"//other.org",
	"//other.org?q",
	"//other.org#f",
	"//u:p@o.org:81/p",
	"//u@o.org",
	"//@o.org/",
	"//[::1]/p",
	"//[::1]:8080",
	"//[::FFFF:1.2.3.4]/",
	"//[0:0:0:0:0:0:0:1]/",
	"//[fe80::1%25eth0]/",
	"//[::1",
	"//[v1.x]/",
	"//h:/x",
	"//h:0/x",
	"//h:080/x",
	"//h:65535/",
	"//h:65536/",
	"//h:x/",
	"//h:-1/",
	"//a b/",
	"//h!x/",
	"//h%41/",
	"//h%2f/",
	"//\xc3\xa9.org/",
	"//",
	"///x",
	"////x",
	"a\"b",
	"a<b>",
	"a{b}|c",
	"a\\b",
	"a^b`c",
	"a[b]",
	"a@b",
	"a!$&'()*+,;=b",
	"a\tb",
	"a\nb",
	"a\x01",
	"a\x7f",
	"?\x01",
	"#\x01",
	"//h\x01/",
	"a%00b",
	"/%2e%2e/x",
	"%2e%2e/x",
	"a/%2E/b",
	"?q=a/../b",
	"//h/a/../b",
	"/..//x",
	"g?y?z",
	"g??",
	"g##",
	"//h/?",
	"//h/#",
};

/* ------------------------------------------------------------------- tests */

static void
check_resolve(const char *base, const char *ref, const char *want)
{
	char *got = url_resolve(base, ref);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_resolve(void **state)
{
	(void)state;
	check_resolve("http://example.com/a/b.xml", "c.html", "http://example.com/a/c.html");
	check_resolve("http://example.com/a/b.xml", "/x", "http://example.com/x");
	check_resolve("http://example.com/a/", "../up", "http://example.com/up");
	check_resolve("http://example.com/a/", "https://other.org/p", "https://other.org/p");
	check_resolve(NULL, "rel/only", "rel/only");
	check_resolve("", "rel/only", "rel/only");
	check_resolve("http://example.com/", "mailto:a@b.c", "mailto:a@b.c");
	check_resolve("http://example.com/", NULL, "http://example.com/");
	check_resolve(NULL, NULL, "");
	/* read as "http://", as feedparser does (its malformed_base case) */
	check_resolve("http:///example.com/test/", "test.html",
		      "http://example.com/test/test.html");
}

/* RFC 3986's own examples give the RFC's answers. */
static void
test_rfc_examples(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(rfc_cases); i++)
		check_resolve("http://a/b/c/d;p?q", rfc_cases[i][0], rfc_cases[i][1]);
}

static void
check_iri(const char *base, const char *ref, const char *want)
{
	char *got = url_resolve_iri(base, ref);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_resolve_iri(void **state)
{
	(void)state;
	/* Non-ASCII stays as written; url_resolve encodes it. */
	check_iri("http://any.test/", "\xc3\x80", "http://any.test/\xc3\x80");
	check_iri("http://any.test/a/b", "../\xe2\x82\xac?q=\xc3\xa9#\xc3\xa9",
		  "http://any.test/\xe2\x82\xac?q=\xc3\xa9#\xc3\xa9");
	check_resolve("http://any.test/", "\xc3\x80", "http://any.test/%c3%80");
	/* A space is still encoded; ASCII results equal url_resolve's. */
	check_iri("http://any.test/", "a b", "http://any.test/a%20b");
	check_iri("http://example.com/a/", "../up", "http://example.com/up");
	/* Escapes already written: url_resolve's result, untouched. */
	check_iri("http://any.test/", "%C3%80/\xc3\x80", "http://any.test/%C3%80/%c3%80");
	check_iri("http://any.test/%7e/", "\xc3\x80", "http://any.test/%7e/%c3%80");
	check_iri(NULL, "\xc3\x80", "\xc3\x80");
}

/* Every listed difference, RFC examples, every base with every reference,
 * and every reference alone: libcurl's result or the listed one. */
static void
test_resolve_same_as_curl(void **state)
{
	int fails = 0;

	(void)state;
	for (size_t i = 0; i < N(resolve_diffs); i++)
		fails += compare_one(resolve_diffs[i].base, resolve_diffs[i].ref);
	for (size_t i = 0; i < N(rfc_cases); i++)
		fails += compare_one("http://a/b/c/d;p?q", rfc_cases[i][0]);
	for (size_t i = 0; i < N(bases); i++)
		for (size_t j = 0; j < N(refs); j++)
			fails += compare_one(bases[i], refs[j]);
	for (size_t j = 0; j < N(refs); j++)
		fails += compare_one(NULL, refs[j]);
	/* every base alone, as an absolute reference */
	for (size_t i = 0; i < N(bases); i++)
		fails += compare_one(NULL, bases[i]);
	if (fails > 0)
		fail_msg("%d results differ from libcurl's and are not listed", fails);
}

/* url_resolve's result resolves to itself (it is already absolute and
 * normalised), and a relative reference's result is absolute. */
static void
test_resolve_idempotent(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(bases); i++)
		for (size_t j = 0; j < N(refs); j++) {
			char *a = url_resolve(bases[i], refs[j]);
			char *b = url_resolve(NULL, a);
			char *c = url_resolve(a, ""), sch[64];
			size_t k = strcspn(a, "#");

			assert_non_null(a);
			assert_non_null(b);
			assert_non_null(c);
			if (strcmp(a, b) != 0)
				fail_msg("resolve(%s, %s) = %s, then %s", bases[i], refs[j], a, b);
			/* a URL against itself: the same, less its fragment */
			if (url_scheme(a, sch, sizeof sch) == 0 &&
			    (strlen(c) != k || strncmp(a, c, k) != 0))
				fail_msg("resolve(%s, \"\") = %s", a, c);
			free(a);
			free(b);
			free(c);
		}
}

static const struct strict_diff *
find_strict(const char *s)
{
	for (size_t i = 0; i < N(strict_diffs); i++)
		if (strcmp(strict_diffs[i].url, s) == 0)
			return &strict_diffs[i];
	return NULL;
}

/* url_host, url_scheme and url_check's verdict against libcurl's reading of
 * the same URL, over every base and every absolute result. */
static int
compare_strict(const char *s)
{
	const struct strict_diff *d = find_strict(s);
	char *host = url_host(s), *chost = curl_part(s, CURLUPART_HOST);
	char *cscheme = curl_part(s, CURLUPART_SCHEME), scheme[64], err[512];
	int sc = url_scheme(s, scheme, sizeof scheme), bad = 0;

	lower(chost);
	lower(cscheme);
	if (d != NULL) {
		if ((host == NULL) != (d->host == NULL) || (host && strcmp(host, d->host) != 0)) {
			print_message("host(\"%s\") = %s, listed as %s\n", s, host ? host : "NULL",
				      d->host ? d->host : "NULL");
			bad = 1;
		} else if ((host == NULL) == (chost == NULL) && (!host || !strcmp(host, chost))) {
			print_message("host(\"%s\") no longer differs from libcurl\n", s);
			bad = 1;
		}
		goto out;
	}
	if ((host == NULL) != (chost == NULL) || (host && strcmp(host, chost) != 0)) {
		print_message("host(\"%s\") = %s, libcurl %s\n", s, host ? host : "NULL",
			      chost ? chost : "NULL");
		bad = 1;
	}
	if ((sc == 0) != (cscheme != NULL) || (sc == 0 && strcmp(scheme, cscheme) != 0)) {
		print_message("scheme(\"%s\") = %s, libcurl %s\n", s, sc == 0 ? scheme : "-1",
			      cscheme ? cscheme : "NULL");
		bad = 1;
	}
	for (int allow = 0; allow < 2; allow++)
		if (url_check(s, allow, err, sizeof err) != curl_check(s, allow)) {
			print_message("check(\"%s\", %d) = %s, libcurl the other\n", s, allow, err);
			bad = 1;
		}
out:
	free(host);
	free(chost);
	free(cscheme);
	return bad;
}

static void
test_strict_same_as_curl(void **state)
{
	int fails = 0;

	(void)state;
	for (size_t i = 0; i < N(strict_diffs); i++)
		fails += compare_strict(strict_diffs[i].url);
	for (size_t i = 0; i < N(bases); i++)
		fails += compare_strict(bases[i]);
	for (size_t i = 0; i < N(refs); i++)
		fails += compare_strict(refs[i]);
	for (size_t i = 0; i < N(bases); i++)
		for (size_t j = 0; j < N(refs); j++) {
			char *a = url_resolve(bases[i], refs[j]);

			assert_non_null(a);
			fails += compare_strict(a);
			free(a);
		}
	if (fails > 0)
		fail_msg("%d readings differ from libcurl's and are not listed", fails);
}

static void
check_err(const char *s, int allow_file, const char *want)
{
	char err[256];

	assert_int_equal(url_check(s, allow_file, err, sizeof err), -1);
	assert_string_equal(err, want);
}

static void
test_check(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(url_check("https://feeds.bbci.co.uk/news/rss.xml", 0, err, sizeof err), 0);
	assert_int_equal(url_check("ftp://x.org/f", 0, err, sizeof err), -1);
	assert_non_null(strstr(err, "scheme"));
	assert_int_equal(url_check("file:///tmp/x.xml", 0, err, sizeof err), -1);
	assert_int_equal(url_check("file:///tmp/x.xml", 1, err, sizeof err), 0);
	assert_int_equal(url_check("not a url", 0, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a url"));
	check_err("not a url", 0, "bad URL 'not a url': Bad scheme");
	check_err("ftp://x.org/f", 1,
		  "bad URL 'ftp://x.org/f': scheme must be http or https (or file)");
	check_err("mailto:a@b", 0, "bad URL 'mailto:a@b': scheme must be http or https");
	check_err("file:///etc/passwd", 0, "file:// URL not allowed here: 'file:///etc/passwd'");
	check_err("file:///", 1, "bad URL 'file:///': no path");
	check_err("http://", 0, "bad URL 'http://': no host");
	check_err("http:x", 0, "bad URL 'http:x': not one to three slashes after the scheme");
	check_err("http://h:80x/", 0,
		  "bad URL 'http://h:80x/': port is not a number from 0 to 65535");
	check_err("http://h!/", 0, "bad URL 'http://h!/': bad host name");
	check_err("http://[::g]/", 0, "bad URL 'http://[::g]/': bad IPv6 address");
	check_err("http://u p@h/", 0, "bad URL 'http://u p@h/': bad user name");
	check_err("http://h/a b", 0, "bad URL 'http://h/a b': space (write it %20)");
	check_err("http://h/a\tb", 0, "bad URL 'http://h/a\tb': control character");
	check_err("file://h/x", 1,
		  "bad URL 'file://h/x': bad file:// URL (a host other than localhost, or no "
		  "absolute path)");
}

static void
test_canonical(void **state)
{
	char *a = url_canonical("https://www.Example.com/news/1?utm_source=rss&id=7#top");
	char *b = url_canonical("http://example.com/news/1?id=7&fbclid=zz");
	char *c = url_canonical("file:///tmp/x");
	char *d = url_canonical("HTTP://WWW.X.COM:80/A/./b/../c?&a=1&&utm_x=2&gclid=3&b&#F");
	char *e = url_canonical("http://x.com/p?utm_a=1&fbclid=2");
	char *f = url_canonical("http://x.com/a b");

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, "example.com/news/1?id=7");
	assert_string_equal(a, b);
	assert_null(c);
	assert_string_equal(d, "x.com/A/c?a=1&b");
	assert_string_equal(e, "x.com/p");
	assert_null(f);
	assert_null(url_canonical(NULL));
	free(a);
	free(b);
	free(d);
	free(e);
}

static void
test_host_scheme(void **state)
{
	char sch[16];
	char *h = url_host("https://Feeds.BBCI.co.uk:8443/x");

	(void)state;
	assert_string_equal(h, "feeds.bbci.co.uk");
	free(h);
	assert_int_equal(url_scheme("HTTPS://a.b/", sch, sizeof sch), 0);
	assert_string_equal(sch, "https");
	assert_int_equal(url_scheme("https://a.b/", sch, 5), -1);
	h = url_host("http://[::1]:80/");
	assert_string_equal(h, "[::1]");
	free(h);
	assert_null(url_host("file:///x"));
}

/* The file a file:// URL names, as libcurl opens it. */
static void
test_file_path(void **state)
{
	static const struct {
		const char *url, *path; /* NULL: refused */
	} cases[] = {
		{"file:///srv/feeds/a.xml", "/srv/feeds/a.xml"},
		{"file://localhost/srv/a.xml", "/srv/a.xml"},
		{"FILE:///srv/a%20b.xml", "/srv/a b.xml"},
		{"file:///srv/%2e%2e/etc/passwd", "/srv/../etc/passwd"},
		{"file:///srv/../etc/passwd", "/etc/passwd"},
		{"file:///srv/a%00b", NULL},
		{"file://otherhost/srv/a.xml", NULL},
		{"file:relative.xml", NULL},
		{"https://example.org/feed.xml", NULL},
		{"", NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = url_file_path(cases[i].url);

		if (cases[i].path == NULL) {
			assert_null(got);
			continue;
		}
		assert_non_null(got);
		assert_string_equal(got, cases[i].path);
		free(got);
	}
	assert_null(url_file_path(NULL));
}

/* Credentials are masked wherever a URL stands in a line of text. */
static void
test_redact(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"https://u:pw@h.example/f.xml", "https://u:***@h.example/f.xml"},
		{"https://token@h.example/f", "https://***@h.example/f"},
		{"http://u:p%40ss@h:8080/x?y=@z", "http://u:***@h:8080/x?y=@z"},
		{"http://u:p@ss@h/", "http://u:***@h/"},
		{"http://@h/", "http://***@h/"},
		{"http://h.example:8080/a@b", "http://h.example:8080/a@b"},
		{"feed a (https://a:b@x/f): Couldn't connect; retry in 1m",
		 "feed a (https://a:***@x/f): Couldn't connect; retry in 1m"},
		{"bad URL 'http://u:s3cret@h/' and 'ftp://k@h'",
		 "bad URL 'http://u:***@h/' and 'ftp://***@h'"},
		{"mail bob@example.org, no URL", "mail bob@example.org, no URL"},
		{"moved: http://a:b@h/x -> http://c:d@i/y",
		 "moved: http://a:***@h/x -> http://c:***@i/y"},
		{"://@", "://***@"},
		{"", ""},
	};
	char text[512], pw[40], *got;
	unsigned seed = 28;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		got = url_redact(cases[i].in);
		assert_non_null(got);
		assert_string_equal(got, cases[i].out);
		free(got);
	}
	/* Generated: passwords of 1 to 39 bytes from the userinfo alphabet,
	 * one to three URLs in a line; none may survive, the hosts must. */
	for (int round = 0; round < 2000; round++) {
		static const char alpha[] = "abcXYZ019-._~!$&'()*+,;=%:";
		size_t pn = 1 + (size_t)(rand_r(&seed) % 39), len = 0;
		int urls = 1 + rand_r(&seed) % 3;

		for (size_t k = 0; k < pn; k++)
			pw[k] = alpha[rand_r(&seed) % (sizeof alpha - 1)];
		pw[pn] = '\0';
		pw[0] = 'Q'; /* never empty, never part of the surrounding text */
		for (int u = 0; u < urls; u++)
			len += (size_t)snprintf(text + len, sizeof text - len,
						"%s http%s://user%d:%s@host%d.example/p%d",
						u ? ";" : "x", rand_r(&seed) % 2 ? "s" : "", u, pw,
						u, u);
		got = url_redact(text);
		assert_non_null(got);
		assert_null(strstr(got, pw));
		for (int u = 0; u < urls; u++) {
			char want[64];

			snprintf(want, sizeof want, "://user%d:***@host%d.example/p%d", u, u, u);
			assert_non_null(strstr(got, want));
		}
		free(got);
	}
}

/* Item links: what may be shown as a link. */
static void
test_link_ok(void **state)
{
	static const struct {
		const char *s;
		int ok;
	} cases[] = {
		{"https://example.org/a", 1},
		{"HTTP://example.org/a", 1},
		{"mailto:a@example.org", 1},
		{"/relative/path", 1},
		{"page.html", 1},
		{"a/b:c", 1},
		{"", 1},
		{"javascript:alert(1)", 0},
		{"JavaScript:alert(1)", 0},
		{" javascript:alert(1)", 0},
		{"\x01\x02javascript:alert(1)", 0},
		{"java\tscript:alert(1)", 0},
		{"java\nscr\ript:alert(1)", 0},
		{"data:text/html,<script>alert(1)</script>", 0},
		{"file:///etc/passwd", 0},
		{"vbscript:x", 0},
		{"averyveryverylongscheme:x", 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (url_link_ok(cases[i].s) != cases[i].ok)
			fail_msg("url_link_ok(\"%s\") should be %d", cases[i].s, cases[i].ok);
	assert_int_equal(url_link_ok(NULL), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_rfc_examples),
		cmocka_unit_test(test_resolve_iri),
		cmocka_unit_test(test_resolve_same_as_curl),
		cmocka_unit_test(test_resolve_idempotent),
		cmocka_unit_test(test_strict_same_as_curl),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_host_scheme),
		cmocka_unit_test(test_file_path),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_link_ok),
	};
	return cmocka_run_group_tests_name("url", tests, NULL, NULL);
}
