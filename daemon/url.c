#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

static const unsigned url_flags = CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE;

static int
safe_path_char(int c)
{
	return isalnum(c) || c == '/' || c == '_' || c == '.' || c == '~' || c == '-';
}

/* s[0..n) holds no "." or ".." segment (which libcurl would remove). */
static int
no_dot_segments(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '.' && (i == 0 || s[i - 1] == '/')) {
			size_t k = i + 1 + (i + 1 < n && s[i + 1] == '.');
			if (k == n || s[k] == '/' || s[k] == '?')
				return 0;
		}
	return 1;
}

/* The common case without libcurl: base an "http(s)://host/path" with a
 * lower-case host, no port, user or escapes, and ref a plain path (absolute
 * or relative) of unreserved characters, with an optional simple query.
 * Returns the result libcurl gives for these (tests compare the two), NULL
 * with *handled = 0 for anything else. */
static char *
resolve_simple(const char *base, const char *ref, int *handled)
{
	size_t hs, he, pe, rl, i, q = 0;
	const char *dir;
	char *out;

	*handled = 0;
	if (strncmp(base, "http://", 7) == 0)
		hs = 7;
	else if (strncmp(base, "https://", 8) == 0)
		hs = 8;
	else
		return NULL;
	for (he = hs; islower((unsigned char)base[he]) || isdigit((unsigned char)base[he]) ||
		      base[he] == '.' || base[he] == '-';
	     he++)
		;
	if (he == hs || (base[he] != '/' && base[he] != '\0'))
		return NULL;
	for (pe = he; safe_path_char((unsigned char)base[pe]); pe++)
		;
	if ((base[pe] != '\0' && base[pe] != '?' && base[pe] != '#') ||
	    !no_dot_segments(base + he, pe - he))
		return NULL;
	if (ref[0] == '\0' || ref[0] == '.' || ref[0] == '?' || (ref[0] == '/' && ref[1] == '/'))
		return NULL;
	for (i = 0; ref[i] != '\0'; i++) {
		unsigned char c = (unsigned char)ref[i];
		if (c == '?' && q == 0)
			q = i;
		else if (!(safe_path_char(c) || (q && (c == '=' || c == '&'))))
			return NULL;
	}
	rl = i;
	if ((q && q + 1 == rl) ||
	    !no_dot_segments(ref, q ? q : rl)) /* libcurl drops an empty query */
		return NULL;
	/* the directory of the base path: up to its last '/' */
	dir = base + pe;
	if (ref[0] != '/') {
		while (dir > base + he && dir[-1] != '/')
			dir--;
	} else {
		dir = base + he;
	}
	*handled = 1;
	if ((out = malloc((size_t)(dir - base) + rl + 2)) == NULL)
		return NULL;
	memcpy(out, base, (size_t)(dir - base));
	i = (size_t)(dir - base);
	if (dir == base + he && ref[0] != '/')
		out[i++] = '/';
	memcpy(out + i, ref, rl + 1);
	return out;
}

char *
url_resolve(const char *base, const char *ref)
{
	int handled = 0;
	char *fast;

	if (base != NULL && ref != NULL &&
	    ((fast = resolve_simple(base, ref, &handled)) != NULL || handled))
		return fast;
	return url_resolve_curl(base, ref);
}

char *
url_resolve_curl(const char *base, const char *ref)
{
	CURLU *u = NULL;
	char *out = NULL, *res = NULL;

	if (ref == NULL)
		ref = "";
	u = curl_url();
	if (u == NULL)
		return NULL;
	/* An absolute reference needs no base. */
	if (curl_url_set(u, CURLUPART_URL, ref, url_flags) == CURLUE_OK)
		goto get;
	if (base == NULL || *base == '\0' ||
	    curl_url_set(u, CURLUPART_URL, base, url_flags) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, ref, url_flags) != CURLUE_OK) {
		res = strdup(ref);
		goto out;
	}
get:
	if (curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK || out == NULL) {
		res = strdup(ref);
		goto out;
	}
	res = strdup(out);
out:
	curl_free(out);
	curl_url_cleanup(u);
	return res;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
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
	/* Every escape in res was added by libcurl; it encodes each byte of a
	 * non-ASCII character, so decoding the escapes of bytes >= 0x80 gives
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
	CURLU *u = curl_url();
	char *scheme = NULL;
	int rc = -1;

	if (u == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, s, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK && strlen(scheme) < outlen) {
		for (size_t i = 0; scheme[i]; i++)
			out[i] = (char)tolower((unsigned char)scheme[i]);
		out[strlen(scheme)] = '\0';
		rc = 0;
	}
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

int
url_check(const char *s, int allow_file, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *path = NULL;
	CURLUcode uc;
	int rc = -1;

	if (u == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	uc = curl_url_set(u, CURLUPART_URL, s, CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK) {
		snprintf(err, errlen, "bad URL '%s': %s", s, curl_url_strerror(uc));
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (scheme && (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0)) {
		if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host) {
			snprintf(err, errlen, "bad URL '%s': no host", s);
			goto out;
		}
	} else if (scheme && strcmp(scheme, "file") == 0) {
		if (!allow_file) {
			snprintf(err, errlen, "file:// URL not allowed here: '%s'", s);
			goto out;
		}
		if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK || !path ||
		    strcmp(path, "/") == 0) {
			snprintf(err, errlen, "bad URL '%s': no path", s);
			goto out;
		}
	} else {
		snprintf(err, errlen, "bad URL '%s': scheme must be http or https%s", s,
			 allow_file ? " (or file)" : "");
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

char *
url_host(const char *s)
{
	CURLU *u = curl_url();
	char *host = NULL, *res = NULL;

	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, s, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
		res = strdup(host);
		for (char *p = res; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	curl_free(host);
	curl_url_cleanup(u);
	return res;
}

/* Query parameters that identify a campaign or a click, not a page. */
static int
tracking_param(const char *kv)
{
	static const char *const names[] = {
		"fbclid", "gclid", "dclid", "msclkid", "mc_cid",    "mc_eid",      "yclid",
		"igshid", "_ga",   "ocid",  "cmpid",   "at_medium", "at_campaign", NULL};
	size_t n = strcspn(kv, "=");

	if (strncmp(kv, "utm_", 4) == 0)
		return 1;
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n && strncmp(kv, names[i], n) == 0)
			return 1;
	return 0;
}

/* Rebuilds query without tracking parameters; "" when none are left. */
static char *
strip_query(const char *query)
{
	char *copy = strdup(query), *save = NULL, *tok;
	char *res = calloc(1, strlen(query) + 1);

	if (copy == NULL || res == NULL) {
		free(copy);
		free(res);
		return NULL;
	}
	for (tok = strtok_r(copy, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
		if (*tok == '\0' || tracking_param(tok))
			continue;
		if (*res)
			strcat(res, "&");
		strcat(res, tok);
	}
	free(copy);
	return res;
}

char *
url_canonical(const char *s)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *path = NULL, *query = NULL, *q = NULL;
	char *res = NULL;
	const char *h;
	size_t n;

	if (u == NULL || s == NULL)
		goto out;
	if (curl_url_set(u, CURLUPART_URL, s, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query) {
		q = strip_query(query);
		if (q == NULL)
			goto out;
	}
	for (char *p = host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	h = strncmp(host, "www.", 4) == 0 ? host + 4 : host;
	n = strlen(h) + strlen(path) + (q ? strlen(q) : 0) + 4;
	res = malloc(n);
	if (res)
		snprintf(res, n, "%s%s%s%s", h, path, q && *q ? "?" : "", q ? q : "");
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(path);
	curl_free(query);
	free(q);
	curl_url_cleanup(u);
	return res;
}
