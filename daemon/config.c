/* config: the feeds.conf reader. One pass over the lines fills struct
 * config and collects every error; cross-checks (intervals against
 * min_interval, duplicate urls, sections without url) run at the end. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libstemmer.h>
#include <utf8proc.h>

#include "buf.h"
#include "url.h"

#define MAX_ERRORS 100
#define MAX_TAGS   32
#define MAX_TAG    64
#define MAX_NAME   256
#define MAX_SOCKET 107 /* sizeof(sun_path) - 1 on Linux */

enum ktype {
	K_PATH,
	K_SOCKET,
	K_STRING,
	K_DURATION,
	K_COUNT,
	K_SIZE,
	K_RATIO,
	K_LANG,
	K_URL,
	K_TAGS
};
enum kscope { GLOBAL = 1, FEED = 2 };

struct key {
	const char *name;
	enum ktype type;
	enum kscope scope;
	size_t off;             /* in struct config or struct config_feed */
	unsigned long min, max; /* durations and counts; sizes */
};

#define G(f) GLOBAL, offsetof(struct config, f)
#define F(f) FEED, offsetof(struct config_feed, f)
static const struct key keys[] = {
	{"database", K_PATH, G(database), 0, 0},
	{"socket", K_SOCKET, G(socket), 0, 0},
	{"socket_group", K_STRING, G(socket_group), 0, 0},
	{"allow_file_feeds", K_PATH, G(allow_file_feeds), 0, 0},
	{"include", K_PATH, G(include), 0, 0},
	{"user_agent", K_STRING, G(user_agent), 0, 0},
	{"http_listen", K_STRING, G(http_listen), 0, 0},
	{"interval", K_DURATION, G(interval), 1, 30 * 86400},
	{"min_interval", K_DURATION, G(min_interval), 1, 86400},
	{"timeout", K_DURATION, G(timeout), 1, 3600},
	{"connect_timeout", K_DURATION, G(connect_timeout), 1, 3600},
	{"max_connections", K_COUNT, G(max_connections), 1, 1024},
	{"max_per_host", K_COUNT, G(max_per_host), 1, 1024},
	{"max_body", K_SIZE, G(max_body), 4096, 1ul << 30},
	{"fold_window", K_DURATION, G(fold_window), 600, 90 * 86400},
	{"fold_max_items", K_COUNT, G(fold_max_items), 0, 10000000},
	{"fold_threshold", K_RATIO, G(fold_threshold), 0, 0},
	{"fold_merge_threshold", K_RATIO, G(fold_merge_threshold), 0, 0},
	{"fold_simhash_radius", K_COUNT, G(fold_simhash_radius), 0, 16},
	{"fold_language", K_LANG, G(fold_language), 0, 0},
	{"keep_read", K_DURATION, G(keep_read), 0, 3650 * 86400u},
	{"keep_unread", K_DURATION, G(keep_unread), 0, 3650 * 86400u},
	{"url", K_URL, F(url), 0, 0},
	{"name", K_STRING, F(name), 0, 0},
	{"interval", K_DURATION, F(interval), 1, 30 * 86400},
	{"tags", K_TAGS, F(tags), 0, 0},
	{"keep_read", K_DURATION, F(keep_read), 0, 3650 * 86400u},
	{"keep_unread", K_DURATION, F(keep_unread), 0, 3650 * 86400u},
};
#undef G
#undef F
#define NKEYS (sizeof keys / sizeof keys[0])

struct perr {
	unsigned line;
	int file; /* 0: the file itself, 1: the one it includes */
	char *msg;
};

/* Where each feed's keys were set, for the end-of-file checks. */
struct fmeta {
	unsigned seen[NKEYS];
};

struct pstate {
	const char *name;
	const char *names[2]; /* the file, and the one it includes (include =) */
	int file;             /* which of them is read: errors are its */
	char *dir;            /* directory of name for relative paths, or NULL */
	struct config *cfg;
	struct perr *errs;
	size_t nerr, caperr;
	int oom, toomany;
	unsigned gseen[NKEYS]; /* line where each global key was set */
	struct fmeta *meta;    /* one per feed */
	size_t capfeeds;       /* room in cfg->feeds and meta */
	struct config_feed *cur;
	struct fmeta *curmeta;
};

static void perr_add(struct pstate *ps, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
perr_add(struct pstate *ps, unsigned line, const char *fmt, ...)
{
	struct buf b = {0};
	va_list ap;

	if (ps->nerr >= MAX_ERRORS) {
		ps->toomany = 1;
		return;
	}
	if (ps->nerr == ps->caperr) {
		size_t ncap = ps->caperr ? ps->caperr * 2 : 8;
		struct perr *n = realloc(ps->errs, ncap * sizeof *n);

		if (n == NULL) {
			ps->oom = 1;
			return;
		}
		ps->errs = n;
		ps->caperr = ncap;
	}
	va_start(ap, fmt);
	if (buf_vprintf(&b, fmt, ap) < 0) {
		ps->oom = 1;
		buf_free(&b);
		va_end(ap);
		return;
	}
	va_end(ap);
	ps->errs[ps->nerr].line = line;
	ps->errs[ps->nerr].file = ps->file;
	ps->errs[ps->nerr].msg = buf_detach(&b);
	if (ps->errs[ps->nerr].msg == NULL)
		ps->oom = 1;
	else
		ps->nerr++;
}

/* ---- index ---- */

/* Open addressing with linear probing. A slot holds the 32-bit hash of its
 * key and the feed's position + 1 (0: empty); keys are never removed. The
 * first feed with a key is the one kept, as a scan in file order finds. */
struct islot {
	uint32_t hash, feed;
};

struct itable {
	struct islot *slot;
	size_t mask, n; /* capacity - 1 (a power of two, or 0 with no slots); keys */
};

struct config_index {
	struct itable id;  /* by feed id */
	struct itable url; /* by url_key(url) */
};

/* FNV-1a, folded to 32 bits. */
static uint32_t
str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return (uint32_t)(h ^ (h >> 32));
}

/* Room for want keys at a load of at most 3/4. 0 or -1. */
static int
itable_reserve(struct itable *t, size_t want)
{
	size_t cap = 16;
	struct islot *s;

	if (t->slot != NULL && want <= (t->mask + 1) / 4 * 3)
		return 0;
	while (cap / 4 * 3 < want)
		cap *= 2;
	if ((s = calloc(cap, sizeof *s)) == NULL)
		return -1;
	for (size_t i = 0; t->slot != NULL && i <= t->mask; i++) {
		size_t j = t->slot[i].hash & (cap - 1);

		if (t->slot[i].feed == 0)
			continue;
		while (s[j].feed != 0)
			j = (j + 1) & (cap - 1);
		s[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = s;
	t->mask = cap - 1;
	return 0;
}

static int
itable_add(struct itable *t, uint32_t hash, size_t feed)
{
	size_t i;

	if (feed >= UINT32_MAX || itable_reserve(t, t->n + 1) < 0)
		return -1;
	for (i = hash & t->mask; t->slot[i].feed != 0; i = (i + 1) & t->mask)
		;
	t->slot[i].hash = hash;
	t->slot[i].feed = (uint32_t)(feed + 1);
	t->n++;
	return 0;
}

/* Walks the feeds whose key has this hash: *pos starts at 0; returns the
 * next feed's position + 1, or 0 at the end. */
static size_t
itable_next(const struct itable *t, uint32_t hash, size_t *pos)
{
	size_t i;

	if (t->slot == NULL)
		return 0;
	if (*pos == 0)
		*pos = (hash & t->mask) + 1;
	for (i = *pos - 1; t->slot[i].feed != 0; i = (i + 1) & t->mask) {
		if (t->slot[i].hash == hash) {
			*pos = ((i + 1) & t->mask) + 1;
			return t->slot[i].feed;
		}
	}
	*pos = i + 1;
	return 0;
}

static void
index_free(struct config_index *x)
{
	if (x == NULL)
		return;
	free(x->id.slot);
	free(x->url.slot);
	free(x);
}

/* ---- durations, numbers ---- */

int
config_parse_duration(const char *s, unsigned *secs)
{
	static const struct {
		char c;
		unsigned mult;
	} units[] = {{'w', 604800}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
	uint64_t total = 0;
	size_t next = 0; /* units must come in decreasing order, once each */
	const char *p = s;

	if (s == NULL || *s == '\0')
		return -1;
	while (*p) {
		uint64_t n = 0;
		size_t u;

		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			n = n * 10 + (uint64_t)(*p - '0');
			if (n > UINT_MAX)
				return -1;
		}
		if (*p == '\0' && p == s + strspn(s, "0123456789")) {
			total = n; /* bare seconds */
			break;
		}
		for (u = next; u < sizeof units / sizeof units[0]; u++)
			if (units[u].c == *p)
				break;
		if (u == sizeof units / sizeof units[0])
			return -1;
		next = u + 1;
		total += n * units[u].mult;
		if (total > UINT_MAX)
			return -1;
		p++;
	}
	*secs = (unsigned)total;
	return 0;
}

char *
config_format_duration(unsigned secs, char *out, size_t outlen)
{
	static const struct {
		char c;
		unsigned mult;
	} units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
	size_t len = 0;

	if (outlen == 0)
		return out;
	out[0] = '\0';
	if (secs == 0) {
		snprintf(out, outlen, "0s");
		return out;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0] && len < outlen; i++) {
		if (secs / units[i].mult == 0)
			continue;
		int n = snprintf(out + len, outlen - len, "%u%c", secs / units[i].mult, units[i].c);
		if (n < 0)
			break;
		len += (size_t)n;
		secs %= units[i].mult;
	}
	return out;
}

/* Digits only, no sign, no overflow. */
static int
parse_count(const char *s, unsigned long *out)
{
	unsigned long n = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || n > (ULONG_MAX - 9) / 10)
			return -1;
		n = n * 10 + (unsigned long)(*s - '0');
	}
	*out = n;
	return 0;
}

/* "16M", "512k", "1MiB", "65536": binary multiples. */
static int
parse_size(const char *s, unsigned long *out)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} sfx[] = {{"", 0},    {"k", 10},   {"K", 10}, {"KB", 10}, {"KiB", 10}, {"M", 20},
		   {"MB", 20}, {"MiB", 20}, {"G", 30}, {"GB", 30}, {"GiB", 30}};
	size_t nd = strspn(s, "0123456789");
	char digits[32];
	unsigned long n;

	if (nd == 0 || nd >= sizeof digits)
		return -1;
	memcpy(digits, s, nd);
	digits[nd] = '\0';
	if (parse_count(digits, &n) < 0)
		return -1;
	for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		if (strcmp(s + nd, sfx[i].suffix) != 0)
			continue;
		if (n > (ULONG_MAX >> sfx[i].shift))
			return -1;
		*out = n << sfx[i].shift;
		return 0;
	}
	return -1;
}

/* "0.5", "1", ".75", "0": no sign, exponent, inf or nan. */
static int
parse_ratio(const char *s, double *out)
{
	size_t a = strspn(s, "0123456789"), b = 0;

	if (s[a] == '.') {
		b = strspn(s + a + 1, "0123456789");
		if (b == 0 || s[a + 1 + b] != '\0')
			return -1;
	} else if (s[a] != '\0') {
		return -1;
	}
	if (a == 0 && b == 0)
		return -1;
	*out = strtod(s, NULL);
	return 0;
}

/* ---- text checks ---- */

/* 0, or -1 with an error for the line: invalid UTF-8 or control bytes. */
static int
check_text(struct pstate *ps, unsigned line, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l;

		if (u[i] >= 0x20 && u[i] < 0x7f) { /* printable ASCII: most bytes */
			i++;
			continue;
		}
		if ((l = buf_utf8_len(u + i, n - i)) == 0) {
			perr_add(ps, line, "invalid UTF-8 (byte 0x%02x at column %zu)", u[i],
				 i + 1);
			return -1;
		}
		if (l == 1 && ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)) {
			perr_add(ps, line, "control character 0x%02x at column %zu", u[i], i + 1);
			return -1;
		}
		i += l;
	}
	return 0;
}

/* Optimal string alignment distance (edits plus adjacent swaps). */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[33][33];

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* The closest of names to word, if close enough to be a likely typo. */
static const char *
did_you_mean(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX, wl = strlen(word);
	size_t limit = wl <= 4 ? 1 : wl <= 8 ? 2 : 3;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, names[i]);

		if (d < bestd) {
			bestd = d;
			best = names[i];
		}
	}
	return bestd <= limit ? best : NULL;
}

/* ---- paths ---- */

static char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd pw, *res = NULL;
	char pwbuf[4096];

	if (h && *h == '/')
		return strdup(h);
	if (getpwuid_r(getuid(), &pw, pwbuf, sizeof pwbuf, &res) == 0 && res && res->pw_dir &&
	    *res->pw_dir == '/')
		return strdup(res->pw_dir);
	return NULL;
}

/* Appends the value of $name (n bytes); -1 with an error when unset. */
static int
expand_var(struct pstate *ps, unsigned line, const char *key, struct buf *b, const char *name,
	   size_t n)
{
	char var[256];
	const char *v;

	if (n == 0 || n >= sizeof var) {
		perr_add(ps, line, "bad variable name in '%s'", key);
		return -1;
	}
	memcpy(var, name, n);
	var[n] = '\0';
	v = getenv(var);
	if (v == NULL || *v == '\0') {
		perr_add(ps, line, "variable '%s' is not set (in '%s')", var, key);
		return -1;
	}
	return buf_puts(b, v) < 0 ? (ps->oom = 1, -1) : 0;
}

/* ~, ~/..., $VAR, ${VAR}; a relative result is taken from the directory of
 * the config file. Malloc'd, or NULL after an error. */
static char *
expand_path(struct pstate *ps, unsigned line, const char *key, const char *v)
{
	struct buf b = {0};
	const char *p = v;

	if (p[0] == '~') {
		char *home;

		if (p[1] != '\0' && p[1] != '/') {
			perr_add(ps, line, "'~user' is not supported in '%s': write the full path",
				 key);
			goto fail;
		}
		home = home_dir();
		if (home == NULL) {
			perr_add(ps, line, "no home directory for '~' in '%s'", key);
			goto fail;
		}
		if (buf_puts(&b, home) < 0)
			ps->oom = 1;
		free(home);
		p++;
	}
	while (*p && !ps->oom) {
		if (p[0] == '$' && p[1] == '{') {
			const char *end = strchr(p + 2, '}');

			if (end == NULL) {
				perr_add(ps, line, "unterminated '${' in '%s'", key);
				goto fail;
			}
			if (expand_var(ps, line, key, &b, p + 2, (size_t)(end - p - 2)) < 0)
				goto fail;
			p = end + 1;
		} else if (p[0] == '$' && (isalpha((unsigned char)p[1]) || p[1] == '_')) {
			size_t n = 1;

			while (isalnum((unsigned char)p[n]) || p[n] == '_')
				n++;
			if (expand_var(ps, line, key, &b, p + 1, n - 1) < 0)
				goto fail;
			p += n;
		} else if (buf_putc(&b, *p++) < 0) {
			ps->oom = 1;
		}
	}
	if (ps->oom)
		goto fail;
	if (b.data[0] != '/' && ps->dir) {
		struct buf abs = {0};

		if (buf_printf(&abs, "%s/%s", ps->dir, b.data) < 0) {
			ps->oom = 1;
			buf_free(&abs);
			goto fail;
		}
		buf_free(&b);
		b = abs;
	}
	return buf_detach(&b);
fail:
	buf_free(&b);
	return NULL;
}

/* $dirvar/leaf when dirvar is set (systemd), else $xdgvar/herald/leaf, else
 * ~/fallback/herald/leaf (fallback NULL: none). */
static char *
default_path(const char *dirvar, const char *xdgvar, const char *fallback, const char *leaf)
{
	const char *d = getenv(dirvar);
	struct buf b = {0};
	char *home;

	if (d && *d == '/') {
		/* systemd joins several directories with ':'; the first is ours. */
		size_t n = strcspn(d, ":");

		if (buf_append(&b, d, n) < 0 || buf_printf(&b, "/%s", leaf) < 0)
			goto fail;
		return buf_detach(&b);
	}
	d = getenv(xdgvar);
	if (d && *d == '/') {
		if (buf_printf(&b, "%s/herald/%s", d, leaf) < 0)
			goto fail;
		return buf_detach(&b);
	}
	if (fallback == NULL || (home = home_dir()) == NULL)
		return NULL;
	if (buf_printf(&b, "%s/%s/herald/%s", home, fallback, leaf) < 0) {
		free(home);
		goto fail;
	}
	free(home);
	return buf_detach(&b);
fail:
	buf_free(&b);
	return NULL;
}

char *
config_default_path(void)
{
	return default_path("CONFIGURATION_DIRECTORY", "XDG_CONFIG_HOME", ".config", "feeds.conf");
}

char *
config_default_database(void)
{
	return default_path("STATE_DIRECTORY", "XDG_STATE_HOME", ".local/state", "herald.db");
}

/* $XDG_RUNTIME_DIR has no fallback in the XDG spec: without it the socket
 * lives beside the database, in the state directory. */
char *
config_default_socket(void)
{
	char *s = default_path("RUNTIME_DIRECTORY", "XDG_RUNTIME_DIR", NULL, "heraldd.sock");

	if (s)
		return s;
	return default_path("STATE_DIRECTORY", "XDG_STATE_HOME", ".local/state", "heraldd.sock");
}

/* ---- values ---- */

static int
store_string(struct pstate *ps, char **field, const char *v)
{
	char *s = strdup(v);

	if (s == NULL) {
		ps->oom = 1;
		return -1;
	}
	free(*field);
	*field = s;
	return 0;
}

/* Lower-cases a tag with Unicode rules; malloc'd or NULL. */
static char *
tag_lower(const char *s)
{
	struct buf b = {0};
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;

	while (*p && (n = utf8proc_iterate(p, -1, &cp)) > 0) {
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t m = utf8proc_encode_char(utf8proc_tolower(cp), enc);

		if (buf_append(&b, enc, (size_t)m) < 0) {
			buf_free(&b);
			return NULL;
		}
		p += n;
	}
	return buf_detach(&b);
}

static int
set_tags(struct pstate *ps, unsigned line, struct config_feed *f, const char *v)
{
	const char *p = v;

	while (*p) {
		size_t n = strcspn(p, ",");
		const char *s = p, *e = p + n;
		char tmp[MAX_TAG + 1], *t, **nt;
		int dup = 0;

		p = *e ? e + 1 : e;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (s == e)
			continue;
		if ((size_t)(e - s) > MAX_TAG) {
			perr_add(ps, line, "tag '%.*s...' is too long (at most %d bytes)", 16, s,
				 MAX_TAG);
			return -1;
		}
		if (f->ntags == MAX_TAGS) {
			perr_add(ps, line, "too many tags (at most %d)", MAX_TAGS);
			return -1;
		}
		memcpy(tmp, s, (size_t)(e - s));
		tmp[e - s] = '\0';
		if ((t = tag_lower(tmp)) == NULL) {
			ps->oom = 1;
			return -1;
		}
		for (size_t i = 0; i < f->ntags; i++)
			dup |= strcmp(f->tags[i], t) == 0;
		if (dup) {
			free(t);
			continue;
		}
		if ((nt = realloc(f->tags, (f->ntags + 1) * sizeof *nt)) == NULL) {
			free(t);
			ps->oom = 1;
			return -1;
		}
		f->tags = nt;
		f->tags[f->ntags++] = t;
	}
	if (f->ntags == 0) {
		perr_add(ps, line, "empty tag list in 'tags'");
		return -1;
	}
	return 0;
}

static int
set_lang(struct pstate *ps, unsigned line, char **field, const char *v)
{
	const char **langs = sb_stemmer_list();
	size_t n = 0;
	const char *hint;

	for (; langs[n]; n++)
		if (strcmp(langs[n], v) == 0)
			return store_string(ps, field, v);
	hint = did_you_mean(v, langs, n);
	if (hint)
		perr_add(ps, line, "unknown fold_language '%s' (did you mean '%s'?)", v, hint);
	else
		perr_add(ps, line,
			 "unknown fold_language '%s' (Snowball stemmer names such as "
			 "'english', 'french', 'german', 'russian', 'turkish')",
			 v);
	return -1;
}

static int
set_number(struct pstate *ps, unsigned line, const struct key *k, void *field, const char *v)
{
	unsigned long n;
	unsigned secs;
	char a[32], b[32];

	switch (k->type) {
	case K_DURATION:
		if (config_parse_duration(v, &secs) < 0) {
			perr_add(ps, line,
				 "bad duration '%s' for '%s' (use e.g. 90s, 15m, 2h, 1d, 1h30m)", v,
				 k->name);
			return -1;
		}
		if (secs < k->min || secs > k->max) {
			perr_add(ps, line, "%s must be between %s and %s, got %s", k->name,
				 config_format_duration((unsigned)k->min, a, sizeof a),
				 config_format_duration((unsigned)k->max, b, sizeof b), v);
			return -1;
		}
		*(unsigned *)field = secs;
		return 0;
	case K_COUNT:
		if (parse_count(v, &n) < 0 || n < k->min || n > k->max) {
			perr_add(ps, line,
				 "%s must be a whole number between %lu and %lu, got '%s'", k->name,
				 k->min, k->max, v);
			return -1;
		}
		*(unsigned *)field = (unsigned)n;
		return 0;
	case K_SIZE:
		if (parse_size(v, &n) < 0) {
			perr_add(ps, line, "bad size '%s' for '%s' (use e.g. 512k, 16M, 1G)", v,
				 k->name);
			return -1;
		}
		if (n < k->min || n > k->max) {
			perr_add(ps, line, "%s must be between 4k and 1G, got '%s'", k->name, v);
			return -1;
		}
		*(size_t *)field = n;
		return 0;
	default: return -1;
	}
}

static int
set_value(struct pstate *ps, unsigned line, const struct key *k, void *base, const char *v)
{
	void *field = (char *)base + k->off;
	char err[512];
	char *s;

	switch (k->type) {
	case K_PATH:
	case K_SOCKET:
		if ((s = expand_path(ps, line, k->name, v)) == NULL)
			return -1;
		if (k->type == K_SOCKET && strlen(s) > MAX_SOCKET) {
			perr_add(ps, line, "socket path too long (%zu bytes, at most %d): '%s'",
				 strlen(s), MAX_SOCKET, s);
			free(s);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = s;
		return 0;
	case K_STRING:
		if (k->off == offsetof(struct config, socket_group) && k->scope == GLOBAL &&
		    (strlen(v) > 32 || v[0] == '-' ||
		     v[strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_."
				 "-")])) {
			perr_add(ps, line, "bad group name '%s' in 'socket_group'", v);
			return -1;
		}
		if (k->off == offsetof(struct config, http_listen) && k->scope == GLOBAL) {
			struct config_listen l;

			if (config_listen_parse(v, &l, err, sizeof err) < 0) {
				perr_add(ps, line, "http_listen: %s", err);
				return -1;
			}
		}
		if (strlen(v) > MAX_NAME) {
			perr_add(ps, line, "%s is too long (%zu bytes, at most %d)", k->name,
				 strlen(v), MAX_NAME);
			return -1;
		}
		return store_string(ps, field, v);
	case K_URL:
		if (url_check(v, 1, err, sizeof err) < 0) {
			perr_add(ps, line, "%s", err);
			return -1;
		}
		return store_string(ps, field, v);
	case K_RATIO:
		if (parse_ratio(v, (double *)field) < 0 || *(double *)field > 1.0) {
			perr_add(ps, line, "%s must be a number between 0 and 1, got '%s'", k->name,
				 v);
			return -1;
		}
		return 0;
	case K_LANG: return set_lang(ps, line, field, v);
	case K_TAGS: return set_tags(ps, line, base, v);
	default: return set_number(ps, line, k, field, v);
	}
}

/* ---- lines ---- */

static const struct key *
key_find(const char *name, enum kscope scope)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].scope == scope && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static void
unknown_key(struct pstate *ps, unsigned line, const char *name)
{
	enum kscope here = ps->cur ? FEED : GLOBAL;
	const char *names[NKEYS];
	const char *hint;
	size_t n = 0;

	if (key_find(name, here == FEED ? GLOBAL : FEED)) {
		if (here == GLOBAL)
			perr_add(ps, line, "'%s' is a feed key: put it in a [feed \"ID\"] section",
				 name);
		else
			perr_add(ps, line,
				 "'%s' is a global key: put it before the first [feed] section",
				 name);
		return;
	}
	/* Suggest a key valid here first, then any key. */
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].scope == here)
			names[n++] = keys[i].name;
	hint = did_you_mean(name, names, n);
	if (hint == NULL) {
		n = 0;
		for (size_t i = 0; i < NKEYS; i++)
			names[n++] = keys[i].name;
		hint = did_you_mean(name, names, n);
	}
	if (hint)
		perr_add(ps, line, "unknown key '%s' (did you mean '%s'?)", name, hint);
	else
		perr_add(ps, line, "unknown key '%s'", name);
}

/* Parses the value after '=' in place: quoted ("..." with \" and \\) or
 * bare up to a '#' or ';' that follows a space. NULL after an error. */
static char *
parse_value(struct pstate *ps, unsigned line, char *p)
{
	char *out, *w, *end;

	p += strspn(p, " \t");
	if (*p != '"') {
		for (end = p; *end; end++)
			if ((*end == '#' || *end == ';') &&
			    (end == p || end[-1] == ' ' || end[-1] == '\t'))
				break;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
		return p;
	}
	out = w = p++;
	for (; *p && *p != '"'; p++) {
		if (*p == '\\') {
			p++;
			if (*p == '"' || *p == '\\')
				*w++ = *p;
			else {
				perr_add(ps, line,
					 "bad escape '\\%c' in quoted value (use \\\" or \\\\)",
					 *p ? *p : ' ');
				return NULL;
			}
		} else {
			*w++ = *p;
		}
	}
	if (*p != '"') {
		perr_add(ps, line, "unterminated quoted value");
		return NULL;
	}
	p++;
	p += strspn(p, " \t");
	if (*p && *p != '#' && *p != ';') {
		perr_add(ps, line, "text after the closing quote");
		return NULL;
	}
	*w = '\0';
	return out;
}

/* Room for want feeds in cfg->feeds and ps->meta. 0 or -1. */
static int
reserve_feeds(struct pstate *ps, size_t want)
{
	struct config *cfg = ps->cfg;
	struct config_feed *f;
	struct fmeta *m;

	if (want <= ps->capfeeds)
		return 0;
	if ((f = realloc(cfg->feeds, want * sizeof *f)) == NULL)
		return -1;
	cfg->feeds = f;
	if ((m = realloc(ps->meta, want * sizeof *m)) == NULL)
		return -1;
	ps->meta = m;
	ps->capfeeds = want;
	return 0;
}

/* The number of lines that may be section headers (their first non-blank
 * byte is '['): room for that many feeds is made once, up front. */
static size_t
count_headers(const char *text, size_t len)
{
	size_t n = 0;

	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		while (pos < len && (text[pos] == ' ' || text[pos] == '\t'))
			pos++;
		n += pos < len && text[pos] == '[';
		pos = nl ? (size_t)(nl - text) + 1 : len;
	}
	return n;
}

static int
grow_feeds(struct pstate *ps)
{
	size_t n = ps->cfg->nfeeds;

	if (n == ps->capfeeds && reserve_feeds(ps, n ? n * 2 : 1) < 0)
		return -1;
	memset(&ps->cfg->feeds[n], 0, sizeof ps->cfg->feeds[n]);
	memset(&ps->meta[n], 0, sizeof ps->meta[n]);
	return 0;
}

/* [feed "id"] with optional spaces and a trailing comment. */
static void
parse_section(struct pstate *ps, unsigned line, char *p)
{
	char *id, *q;
	const struct config_feed *prev;

	p++;
	p += strspn(p, " \t");
	if (strncmp(p, "feed", 4) != 0 || (p[4] != ' ' && p[4] != '\t')) {
		size_t n = strcspn(p, " \t\"]");

		perr_add(ps, line, "unknown section '%.*s' (expected [feed \"ID\"])", (int)n, p);
		ps->cur = NULL;
		return;
	}
	p += 4;
	p += strspn(p, " \t");
	if (*p != '"' || (q = strchr(p + 1, '"')) == NULL) {
		perr_add(ps, line, "malformed section header (expected [feed \"ID\"])");
		goto skip;
	}
	id = p + 1;
	*q++ = '\0';
	q += strspn(q, " \t");
	if (*q != ']' ||
	    (q[1 + strspn(q + 1, " \t")] != '\0' && q[1 + strspn(q + 1, " \t")] != '#' &&
	     q[1 + strspn(q + 1, " \t")] != ';')) {
		perr_add(ps, line, "malformed section header (expected [feed \"ID\"])");
		goto skip;
	}
	if (!config_id_valid(id)) {
		perr_add(ps, line,
			 "bad feed id '%s' (1 to %d letters, digits, '-', '_' or '.', starting "
			 "with a letter or digit)",
			 id, CONFIG_MAX_ID);
		goto skip;
	}
	if ((prev = config_feed_find(ps->cfg, id)) != NULL) {
		if (prev->included == ps->file)
			perr_add(ps, line, "duplicate feed id '%s' (first defined on line %u)", id,
				 prev->line);
		else
			perr_add(ps, line, "duplicate feed id '%s' (first defined in %s, line %u)",
				 id, ps->names[prev->included], prev->line);
		goto skip;
	}
	if (grow_feeds(ps) < 0) {
		ps->oom = 1;
		return;
	}
	ps->cur = &ps->cfg->feeds[ps->cfg->nfeeds];
	ps->curmeta = &ps->meta[ps->cfg->nfeeds];
	ps->cfg->nfeeds++;
	ps->cur->line = line;
	ps->cur->included = ps->file;
	/* Global keys come before the first section: a feed starts with them. */
	ps->cur->keep_read = ps->cfg->keep_read;
	ps->cur->keep_unread = ps->cfg->keep_unread;
	if ((ps->cur->id = strdup(id)) == NULL ||
	    itable_add(&ps->cfg->index->id, str_hash(id), ps->cfg->nfeeds - 1) < 0)
		ps->oom = 1;
	return;
skip:
	/* Keys up to the next header belong to no feed; a throwaway section
	 * still checks them. */
	ps->cur = NULL;
	ps->curmeta = NULL;
}

/* ASCII letters, digits, '_', '.' and '-' (whatever the locale). */
static int
key_char(unsigned char c)
{
	return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '-';
}

static void
parse_keyline(struct pstate *ps, unsigned line, char *p)
{
	size_t n = 0;
	char name[64], *v;
	const struct key *k;
	unsigned *seen;
	size_t ki;

	while (key_char((unsigned char)p[n]))
		n++;
	if (n == 0 || p[n + strspn(p + n, " \t")] != '=') {
		perr_add(ps, line, "malformed line (expected 'key = value' or '[feed \"ID\"]')");
		return;
	}
	if (n >= sizeof name) {
		perr_add(ps, line, "unknown key '%.*s...'", 20, p);
		return;
	}
	for (size_t i = 0; i < n; i++)
		name[i] = (char)tolower((unsigned char)p[i]);
	name[n] = '\0';
	p += n;
	p += strspn(p, " \t") + 1;
	if (ps->cur == NULL && ps->file == 1) {
		perr_add(
			ps, line,
			"only [feed] sections may be in a file included by %s ('%s' belongs there)",
			ps->names[0], name);
		return;
	}
	if ((k = key_find(name, ps->cur ? FEED : GLOBAL)) == NULL) {
		unknown_key(ps, line, name);
		return;
	}
	if ((v = parse_value(ps, line, p)) == NULL)
		return;
	if (*v == '\0') {
		perr_add(ps, line, "empty value for '%s'", name);
		return;
	}
	ki = (size_t)(k - keys);
	seen = ps->cur ? &ps->curmeta->seen[ki] : &ps->gseen[ki];
	if (*seen) {
		perr_add(ps, line, "duplicate key '%s' (already set on line %u)", name, *seen);
		return;
	}
	/* Marked even when the value is bad: one mistake, one message. */
	*seen = line;
	set_value(ps, line, k, ps->cur ? (void *)ps->cur : (void *)ps->cfg, v);
}

static void
parse_line(struct pstate *ps, unsigned line, char *p, int in_bad_section)
{
	p += strspn(p, " \t");
	if (*p == '\0' || *p == '#' || *p == ';')
		return;
	if (*p == '[') {
		parse_section(ps, line, p);
		return;
	}
	if (in_bad_section)
		return;
	parse_keyline(ps, line, p);
}

/* ---- end-of-file checks ---- */

/* The form two urls are compared in: canonical for http(s), as written
 * for file://. Malloc'd or NULL. */
static char *
url_key(const char *url)
{
	char *c = url_canonical(url);

	return c ? c : strdup(url);
}

/* The feed before i with the same url key as ukey[i] (the first one in the
 * file), or NULL; ukey[i] joins the index when it has none. */
static const struct config_feed *
url_seen(struct pstate *ps, char **ukey, size_t i)
{
	struct itable *t = &ps->cfg->index->url;
	uint32_t h = str_hash(ukey[i]);
	size_t pos = 0, f;

	while ((f = itable_next(t, h, &pos)) != 0)
		if (strcmp(ukey[f - 1], ukey[i]) == 0)
			return &ps->cfg->feeds[f - 1];
	if (itable_add(t, h, i) < 0)
		ps->oom = 1;
	return NULL;
}

static void
check_feeds(struct pstate *ps)
{
	struct config *cfg = ps->cfg;
	size_t kurl = (size_t)(key_find("url", FEED) - keys);
	size_t kint = (size_t)(key_find("interval", FEED) - keys);
	char **ukey = calloc(cfg->nfeeds + 1, sizeof *ukey);
	char a[32], b[32];

	if (ukey == NULL || itable_reserve(&cfg->index->url, cfg->nfeeds) < 0) {
		ps->oom = 1;
		free(ukey);
		return;
	}
	for (size_t i = 0; i < cfg->nfeeds && !ps->oom; i++) {
		struct config_feed *f = &cfg->feeds[i];
		const struct config_feed *prev;

		ps->file = f->included; /* the errors below are its file's */
		if (f->url == NULL) {
			if (ps->meta[i].seen[kurl] == 0)
				perr_add(ps, f->line, "feed '%s' has no url", f->id);
			continue;
		}
		if (f->interval && f->interval < cfg->min_interval)
			perr_add(ps, ps->meta[i].seen[kint], "interval %s is below min_interval %s",
				 config_format_duration(f->interval, a, sizeof a),
				 config_format_duration(cfg->min_interval, b, sizeof b));
		if ((ukey[i] = url_key(f->url)) == NULL) {
			ps->oom = 1;
			break;
		}
		if ((prev = url_seen(ps, ukey, i)) != NULL && prev->included == f->included)
			perr_add(ps, ps->meta[i].seen[kurl],
				 "feed '%s' has the same url as feed '%s' (line %u)", f->id,
				 prev->id, ps->meta[prev - cfg->feeds].seen[kurl]);
		else if (prev != NULL)
			perr_add(ps, ps->meta[i].seen[kurl],
				 "feed '%s' has the same url as feed '%s' (%s, line %u)", f->id,
				 prev->id, ps->names[prev->included],
				 ps->meta[prev - cfg->feeds].seen[kurl]);
	}
	ps->file = 0;
	for (size_t i = 0; i < cfg->nfeeds; i++)
		free(ukey[i]);
	free(ukey);
}

static void
check_global(struct pstate *ps)
{
	struct config *cfg = ps->cfg;
	char a[32], b[32];
	unsigned l;

	if (cfg->interval < cfg->min_interval) {
		l = ps->gseen[(size_t)(key_find("interval", GLOBAL) - keys)];
		perr_add(ps, l ? l : ps->gseen[(size_t)(key_find("min_interval", GLOBAL) - keys)],
			 "interval %s is below min_interval %s",
			 config_format_duration(cfg->interval, a, sizeof a),
			 config_format_duration(cfg->min_interval, b, sizeof b));
	}
	if (cfg->connect_timeout > cfg->timeout) {
		l = ps->gseen[(size_t)(key_find("connect_timeout", GLOBAL) - keys)];
		perr_add(ps, l ? l : ps->gseen[(size_t)(key_find("timeout", GLOBAL) - keys)],
			 "connect_timeout %s is longer than timeout %s",
			 config_format_duration(cfg->connect_timeout, a, sizeof a),
			 config_format_duration(cfg->timeout, b, sizeof b));
	}
	if (cfg->max_per_host > cfg->max_connections) {
		l = ps->gseen[(size_t)(key_find("max_per_host", GLOBAL) - keys)];
		perr_add(ps,
			 l ? l : ps->gseen[(size_t)(key_find("max_connections", GLOBAL) - keys)],
			 "max_per_host %u is above max_connections %u", cfg->max_per_host,
			 cfg->max_connections);
	}
}

/* ---- driver ---- */

static int
defaults(struct config *cfg, const char *name)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->interval = CONFIG_DEFAULT_INTERVAL;
	cfg->min_interval = CONFIG_DEFAULT_MIN_INTERVAL;
	cfg->timeout = CONFIG_DEFAULT_TIMEOUT;
	cfg->connect_timeout = CONFIG_DEFAULT_CONNECT_TIMEOUT;
	cfg->max_connections = CONFIG_DEFAULT_MAX_CONNECTIONS;
	cfg->max_per_host = CONFIG_DEFAULT_MAX_PER_HOST;
	cfg->max_body = CONFIG_DEFAULT_MAX_BODY;
	cfg->fold_window = CONFIG_DEFAULT_FOLD_WINDOW;
	cfg->fold_max_items = CONFIG_DEFAULT_FOLD_MAX_ITEMS;
	cfg->fold_threshold = CONFIG_DEFAULT_FOLD_THRESHOLD;
	cfg->fold_merge_threshold = CONFIG_DEFAULT_FOLD_MERGE_THRESHOLD;
	cfg->fold_simhash_radius = CONFIG_DEFAULT_FOLD_SIMHASH_RADIUS;
	cfg->keep_read = CONFIG_DEFAULT_KEEP_READ;
	cfg->keep_unread = CONFIG_DEFAULT_KEEP_UNREAD;
	cfg->path = strdup(name);
	cfg->fold_language = strdup(CONFIG_DEFAULT_FOLD_LANGUAGE);
	return cfg->path && cfg->fold_language ? 0 : -1;
}

/* Joins the errors sorted by line into one malloc'd string. */
static char *
join_errors(struct pstate *ps)
{
	struct buf b = {0};

	/* Stable (insertion) sort by line: n <= MAX_ERRORS, and errors of one
	 * line keep the order they were found in. */
	for (size_t i = 1; i < ps->nerr; i++)
		for (size_t j = i; j > 0 && (ps->errs[j - 1].file > ps->errs[j].file ||
					     (ps->errs[j - 1].file == ps->errs[j].file &&
					      ps->errs[j - 1].line > ps->errs[j].line));
		     j--) {
			struct perr t = ps->errs[j];

			ps->errs[j] = ps->errs[j - 1];
			ps->errs[j - 1] = t;
		}
	for (size_t i = 0; i < ps->nerr; i++) {
		const char *name = ps->names[ps->errs[i].file];

		if (ps->errs[i].line)
			buf_printf(&b, "%s%s:%u: %s", i ? "\n" : "", name, ps->errs[i].line,
				   ps->errs[i].msg);
		else
			buf_printf(&b, "%s%s: %s", i ? "\n" : "", name, ps->errs[i].msg);
	}
	if (ps->toomany)
		buf_printf(&b, "\n%s: too many errors, stopped after %d", ps->name, MAX_ERRORS);
	return buf_detach(&b);
}

/* Splits text into lines and hands each valid one to parse_line. */
static void
parse_text(struct pstate *ps, const char *text, size_t len)
{
	char line[CONFIG_MAX_LINE + 2];
	unsigned lineno = 0;
	int bad_section = 0;
	size_t pos = 0;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3; /* a UTF-8 byte order mark */
	while (pos < len && !ps->oom && !ps->toomany) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (n > 0 && text[pos + n - 1] == '\r')
			n--;
		if (n > CONFIG_MAX_LINE) {
			perr_add(ps, lineno, "line too long (%zu bytes, at most %d)", n,
				 CONFIG_MAX_LINE);
		} else if (check_text(ps, lineno, text + pos, n) == 0) {
			size_t before = ps->nerr;

			memcpy(line, text + pos, n);
			line[n] = '\0';
			parse_line(ps, lineno, line, bad_section);
			/* After a header that failed, skip that section's keys. */
			if (line[strspn(line, " \t")] == '[')
				bad_section = ps->nerr > before && ps->cur == NULL;
		}
		pos += (nl ? (size_t)(nl - (text + pos)) + 1 : len - pos);
	}
}

/* Reads path into b (at most CONFIG_MAX_FILE bytes). 0; 1 when the file
 * does not exist and missing_ok; -1 with the reason in *errors. */
static int
read_text(const char *path, struct buf *b, int missing_ok, char **errors)
{
	FILE *fp = fopen(path, "rb");
	struct buf e = {0};
	char chunk[8192];
	size_t n;
	int rc = -1;

	b->limit = CONFIG_MAX_FILE;
	if (fp == NULL) {
		if (missing_ok && errno == ENOENT)
			return 1;
		buf_printf(&e, "%s: cannot open: %s", path, strerror(errno));
		*errors = buf_detach(&e);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
		if (buf_append(b, chunk, n) < 0) {
			buf_printf(&e, "%s: file too large (at most %u bytes)", path,
				   CONFIG_MAX_FILE);
			*errors = buf_detach(&e);
			goto out;
		}
	}
	if (ferror(fp)) {
		buf_printf(&e, "%s: read error: %s", path, strerror(errno));
		*errors = buf_detach(&e);
		goto out;
	}
	rc = 0;
out:
	fclose(fp);
	return rc;
}

/* The feed sections of the file cfg->include names, after the file's own
 * (a missing file has none). 0, or -1 with *errors (the file unreadable). */
static int
parse_include(struct pstate *ps, char **errors)
{
	struct buf b = {0};
	int rc = read_text(ps->cfg->include, &b, 1, errors);

	if (rc < 0) {
		buf_free(&b);
		return -1;
	}
	ps->names[1] = ps->cfg->include;
	ps->file = 1;
	ps->cur = NULL;
	ps->curmeta = NULL;
	if (reserve_feeds(ps, ps->cfg->nfeeds + count_headers(b.data ? b.data : "", b.len)) < 0)
		ps->oom = 1;
	else
		parse_text(ps, b.data ? b.data : "", b.len);
	ps->file = 0;
	buf_free(&b);
	return 0;
}

/* Parses text (the file name); with follow, reads the file its include key
 * names as well. */
static int
parse_config(const char *name, const char *text, size_t len, int follow, struct config *cfg,
	     char **errors)
{
	struct pstate ps = {.name = name, .names = {name, NULL}, .cfg = cfg};
	const char *slash = strrchr(name, '/');
	int rc = -1;

	*errors = NULL;
	if (defaults(cfg, name) < 0 || (cfg->index = calloc(1, sizeof *cfg->index)) == NULL ||
	    (slash && (ps.dir = strndup(name, (size_t)(slash - name) ? (size_t)(slash - name)
								     : 1)) == NULL)) {
		ps.oom = 1;
		goto out;
	}
	if (reserve_feeds(&ps, count_headers(text, len)) < 0) {
		ps.oom = 1;
		goto out;
	}
	parse_text(&ps, text, len);
	if (follow && cfg->include && !ps.oom && !ps.toomany && parse_include(&ps, errors) < 0)
		goto out;
	if (!ps.oom && !ps.toomany) {
		check_global(&ps);
		check_feeds(&ps);
	}
	if (ps.oom)
		goto out;
	if (ps.nerr == 0) {
		rc = 0;
		goto out;
	}
	*errors = join_errors(&ps);
out:
	if (ps.oom && *errors == NULL)
		*errors = strdup("out of memory");
	if (rc < 0)
		config_free(cfg);
	for (size_t i = 0; i < ps.nerr; i++)
		free(ps.errs[i].msg);
	free(ps.errs);
	free(ps.meta);
	free(ps.dir);
	return rc;
}

int
config_parse(const char *name, const char *text, size_t len, struct config *cfg, char **errors)
{
	return parse_config(name, text, len, 0, cfg, errors);
}

int
config_load(const char *path, struct config *cfg, char **errors)
{
	struct buf b = {0};
	int rc;

	memset(cfg, 0, sizeof *cfg);
	*errors = NULL;
	if (read_text(path, &b, 0, errors) < 0) {
		buf_free(&b);
		return -1;
	}
	rc = parse_config(path, b.data ? b.data : "", b.len, 1, cfg, errors);
	buf_free(&b);
	return rc;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->nfeeds; i++) {
		struct config_feed *f = &cfg->feeds[i];

		free(f->id);
		free(f->url);
		free(f->name);
		for (size_t t = 0; t < f->ntags; t++)
			free(f->tags[t]);
		free(f->tags);
	}
	free(cfg->feeds);
	free(cfg->path);
	free(cfg->database);
	free(cfg->socket);
	free(cfg->socket_group);
	free(cfg->allow_file_feeds);
	free(cfg->include);
	free(cfg->user_agent);
	free(cfg->http_listen);
	free(cfg->fold_language);
	index_free(cfg->index);
	memset(cfg, 0, sizeof *cfg);
}

const struct config_feed *
config_feed_find(const struct config *cfg, const char *id)
{
	size_t pos = 0, f;
	uint32_t h;

	if (cfg == NULL)
		return NULL;
	if (cfg->index == NULL) {
		for (size_t i = 0; i < cfg->nfeeds; i++)
			if (cfg->feeds[i].id && strcmp(cfg->feeds[i].id, id) == 0)
				return &cfg->feeds[i];
		return NULL;
	}
	h = str_hash(id);
	while ((f = itable_next(&cfg->index->id, h, &pos)) != 0)
		if (strcmp(cfg->feeds[f - 1].id, id) == 0)
			return &cfg->feeds[f - 1];
	return NULL;
}

/* 1 when feed f's url has the key want, 0 when not, -1 out of memory. */
static int
url_is(const struct config_feed *f, const char *want)
{
	char *k;
	int same;

	if (f->url == NULL)
		return 0;
	if ((k = url_key(f->url)) == NULL)
		return -1;
	same = strcmp(k, want) == 0;
	free(k);
	return same;
}

const struct config_feed *
config_feed_find_url(const struct config *cfg, const char *url)
{
	const struct config_feed *res = NULL;
	char *want;
	size_t pos = 0, f;

	if (cfg == NULL || (want = url_key(url)) == NULL)
		return NULL;
	if (cfg->index == NULL) {
		for (size_t i = 0; i < cfg->nfeeds && res == NULL; i++)
			if (url_is(&cfg->feeds[i], want) > 0)
				res = &cfg->feeds[i];
	} else {
		uint32_t h = str_hash(want);

		while (res == NULL && (f = itable_next(&cfg->index->url, h, &pos)) != 0)
			if (url_is(&cfg->feeds[f - 1], want) > 0)
				res = &cfg->feeds[f - 1];
	}
	free(want);
	return res;
}

int
config_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONFIG_MAX_ID || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return 0;
	return 1;
}

int
config_listen_parse(const char *v, struct config_listen *out, char *err, size_t errlen)
{
	const char *colon;
	unsigned char addr[16];
	unsigned long port;
	char *end;
	size_t hlen;

	memset(out, 0, sizeof *out);
	if (v[0] == '/') {
		if (strlen(v) >= sizeof out->path) {
			snprintf(err, errlen, "socket path too long (at most %zu bytes): '%s'",
				 sizeof out->path - 1, v);
			return -1;
		}
		out->family = AF_UNIX;
		snprintf(out->path, sizeof out->path, "%s", v);
		return 0;
	}
	if (v[0] == '[') {
		const char *close = strchr(v, ']');

		if (close == NULL || close[1] != ':') {
			snprintf(err, errlen, "'%s': write [IPv6]:PORT", v);
			return -1;
		}
		out->family = AF_INET6;
		hlen = (size_t)(close - v - 1);
		colon = close + 1;
		v++;
	} else {
		if ((colon = strrchr(v, ':')) == NULL) {
			snprintf(err, errlen, "'%s': write HOST:PORT, [IPv6]:PORT or /path", v);
			return -1;
		}
		out->family = AF_INET;
		hlen = (size_t)(colon - v);
	}
	if (hlen == 0 || hlen >= sizeof out->host) {
		snprintf(err, errlen, "'%s': bad address", v);
		return -1;
	}
	memcpy(out->host, v, hlen);
	out->host[hlen] = 0;
	if (out->family == AF_INET && strcmp(out->host, "localhost") == 0)
		snprintf(out->host, sizeof out->host, "127.0.0.1");
	if (inet_pton(out->family, out->host, addr) != 1) {
		snprintf(err, errlen, "'%s' is not an %s address (names other than localhost are not looked up)",
			 out->host, out->family == AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || errno || port < 1 || port > 65535) {
		snprintf(err, errlen, "bad port '%s' (1 to 65535)", colon + 1);
		return -1;
	}
	out->port = (unsigned)port;
	return 0;
}
