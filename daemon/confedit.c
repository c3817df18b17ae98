/* confedit: changing feeds.conf for add, remove and import without touching
 * the user's other lines. The text is edited as lines, the result is parsed
 * again before it replaces the file, and the replacement is atomic. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "opml.h"
#include "url.h"

#define MAX_SLUG 40

/* ---- feed ids ---- */

/* Host labels that say nothing about the outlet. */
static int
generic_label(const char *s, size_t n)
{
	static const char *const words[] = {"www", "feeds", "feed", "rss", "rssfeeds",
					    "m",   "api",   "xml",  NULL};

	for (int i = 0; words[i]; i++)
		if (strlen(words[i]) == n && strncmp(words[i], s, n) == 0)
			return 1;
	return 0;
}

/* Path words that say nothing about the feed. */
static int
generic_word(const char *s, size_t n)
{
	static const char *const words[] = {
		"rss",  "rdf", "xml",     "feed", "feeds",  "atom",   "index", "all",     "en",
		"news", "php", "html",    "htm",  "aspx",   "json",   "cms",   "xmlfeed", "rss2",
		"api",  "v1",  "default", "home", "latest", "export", NULL};

	for (int i = 0; words[i]; i++)
		if (strlen(words[i]) == n && strncmp(words[i], s, n) == 0)
			return 1;
	return 0;
}

/* Appends s (n bytes) to b as slug characters: lower-case [a-z0-9], runs
 * of anything else as one '-'. */
static int
slug_put(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)s[i]);

		if (!isalnum((unsigned char)c))
			c = '-';
		if (c == '-' && (b->len == 0 || b->data[b->len - 1] == '-'))
			continue;
		if (buf_putc(b, c) < 0)
			return -1;
	}
	return 0;
}

/* The registered name of host: "feeds.bbci.co.uk" -> "bbci". */
static int
slug_host(struct buf *b, const char *host)
{
	const char *labels[16];
	size_t lens[16], n = 0, last;
	const char *p = host;

	while (*p && n < 16) {
		lens[n] = strcspn(p, ".");
		labels[n++] = p;
		p += lens[n - 1];
		if (*p == '.')
			p++;
	}
	if (n == 0)
		return 0;
	last = n > 1 ? n - 2 : 0; /* drop the top-level domain */
	/* A second-level public suffix: co.uk, com.tr, org.au ... */
	if (last > 0 && lens[last] <= 3 &&
	    (strncmp(labels[last], "co", lens[last]) == 0 ||
	     strncmp(labels[last], "com", lens[last]) == 0 ||
	     strncmp(labels[last], "org", lens[last]) == 0 ||
	     strncmp(labels[last], "net", lens[last]) == 0 ||
	     strncmp(labels[last], "gov", lens[last]) == 0 ||
	     strncmp(labels[last], "ac", lens[last]) == 0))
		last--;
	if (generic_label(labels[last], lens[last]) && last + 1 < n)
		last++;
	return slug_put(b, labels[last], lens[last]);
}

/* The last path segment with a meaningful word, as its meaningful words:
 * "/news/world/rss.xml" -> "world", "/rdf/rss-en-world" -> "world". */
static int
slug_path(struct buf *b, const char *path, int keep_ext)
{
	const char *best = NULL, *p = path;
	size_t bestn = 0;

	while (*p) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		for (size_t i = 0; i < n;) {
			size_t w = strcspn(p + i, "-_.+/");

			if (w > n - i)
				w = n - i;
			if (w && !generic_word(p + i, w) && !isdigit((unsigned char)p[i])) {
				best = p;
				bestn = n;
				break;
			}
			i += w + 1;
		}
		p += n;
	}
	if (best == NULL)
		return 0;
	if (!keep_ext) {
		const char *dot = memchr(best, '.', bestn);

		if (dot)
			bestn = (size_t)(dot - best);
	}
	for (size_t i = 0; i < bestn;) {
		size_t w = strcspn(best + i, "-_.+");

		if (w > bestn - i)
			w = bestn - i;
		if (w && !generic_word(best + i, w) &&
		    ((b->len && buf_putc(b, '-') < 0) || slug_put(b, best + i, w) < 0))
			return -1;
		i += w + 1;
	}
	return 0;
}

/* 1 when id is taken by cfg or by one of extra (n ids). */
static int
id_taken(const struct config *cfg, char *const *extra, size_t n, const char *id)
{
	if (config_feed_find(cfg, id))
		return 1;
	for (size_t i = 0; i < n; i++)
		if (extra[i] && strcmp(extra[i], id) == 0)
			return 1;
	return 0;
}

static char *
id_suggest(const struct config *cfg, char *const *extra, size_t nextra, const char *url)
{
	char scheme[16] = "", *host = NULL, *path = NULL, *res = NULL;
	struct buf b = {0};
	const char *p;

	url_scheme(url, scheme, sizeof scheme);
	/* The path: what follows "scheme://authority". */
	p = strstr(url, "://");
	p = p ? p + 3 : url;
	p += strcspn(p, "/?#");
	if ((path = strndup(p, strcspn(p, "?#"))) == NULL)
		goto out;
	if (strcmp(scheme, "file") != 0 && (host = url_host(url)) != NULL &&
	    slug_host(&b, host) < 0)
		goto out;
	if (slug_path(&b, path, 0) < 0)
		goto out;
	while (b.len && b.data[b.len - 1] == '-')
		b.data[--b.len] = '\0';
	if (b.len > MAX_SLUG)
		b.data[b.len = MAX_SLUG] = '\0';
	while (b.len && b.data[b.len - 1] == '-')
		b.data[--b.len] = '\0';
	if (b.len == 0 && buf_puts(&b, "feed") < 0)
		goto out;
	if (!id_taken(cfg, extra, nextra, b.data)) {
		res = buf_detach(&b);
		goto out;
	}
	for (unsigned i = 2; i < 100000; i++) {
		char cand[MAX_SLUG + 16];

		snprintf(cand, sizeof cand, "%s-%u", b.data, i);
		if (!id_taken(cfg, extra, nextra, cand)) {
			res = strdup(cand);
			break;
		}
	}
out:
	buf_free(&b);
	free(host);
	free(path);
	return res;
}

char *
config_feed_id_suggest(const struct config *cfg, const char *url)
{
	return id_suggest(cfg, NULL, 0, url);
}

/* ---- files ---- */

/* Reads path whole into b. A missing file reads as empty (*exists = 0). */
static int
read_all(const char *path, struct buf *b, int *exists, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	char chunk[8192];
	size_t n;
	int rc = 0;

	*exists = fp != NULL;
	if (fp == NULL) {
		if (errno == ENOENT)
			return buf_puts(b, "");
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	b->limit = CONFIG_MAX_FILE;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		if (buf_append(b, chunk, n) < 0) {
			snprintf(err, errlen, "%s: file too large", path);
			rc = -1;
			break;
		}
	if (rc == 0 && ferror(fp)) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(fp);
	if (rc == 0 && b->data == NULL)
		rc = buf_puts(b, "");
	return rc;
}

/* Replaces path with data: a temporary file beside it, fsync, rename,
 * fsync of the directory. mode is the new file's permission bits. */
static int
write_atomic(const char *path, const char *data, size_t len, mode_t mode, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	struct buf tmp = {0}, dir = {0};
	int fd = -1, rc = -1, created = 0;
	size_t off = 0;

	if (slash ? buf_append(&dir, path, slash == path ? 1 : (size_t)(slash - path)) < 0
		  : buf_puts(&dir, ".") < 0)
		goto oom;
	if (buf_printf(&tmp, "%s/.%s.XXXXXX", dir.data, slash ? slash + 1 : path) < 0)
		goto oom;
	if ((fd = mkstemp(tmp.data)) < 0) {
		snprintf(err, errlen, "%s: cannot create a temporary file: %s", dir.data,
			 strerror(errno));
		goto out;
	}
	created = 1;
	if (fchmod(fd, mode) < 0)
		goto syserr;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto syserr;
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto syserr;
	if (close(fd) < 0) {
		fd = -1;
		goto syserr;
	}
	fd = -1;
	if (rename(tmp.data, path) < 0)
		goto syserr;
	/* The rename is durable once the directory is. */
	if ((fd = open(dir.data, O_RDONLY | O_DIRECTORY)) >= 0) {
		fsync(fd);
		close(fd);
	}
	fd = -1;
	rc = 0;
	goto out;
syserr:
	snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && created)
		unlink(tmp.data);
	buf_free(&tmp);
	buf_free(&dir);
	return rc;
}

/* The file an edit replaces: the target of a symlink, else path. */
static char *
edit_target(const char *path)
{
	char *real = realpath(path, NULL);

	return real ? real : strdup(path);
}

/* Reads and parses the file to edit; cfg is loaded on success. */
static int
edit_begin(const char *target, const char *path, struct buf *text, int *exists, mode_t *mode,
	   struct config *cfg, char *err, size_t errlen)
{
	struct stat st;
	char *errors = NULL;

	if (read_all(target, text, exists, err, errlen) < 0)
		return -1;
	*mode = *exists && stat(target, &st) == 0 ? st.st_mode & 07777 : 0644;
	if (config_parse(path, text->data, text->len, cfg, &errors) < 0) {
		snprintf(err, errlen, "%s is not valid; fix it first:\n%s", path,
			 errors ? errors : "out of memory");
		free(errors);
		return -1;
	}
	return 0;
}

/* Parses the edited text as the daemon will, then replaces the file. */
static int
edit_commit(const char *target, const char *path, const struct buf *text, mode_t mode,
	    struct config *check, char *err, size_t errlen)
{
	char *errors = NULL;

	if (config_parse(path, text->data, text->len, check, &errors) < 0) {
		snprintf(err, errlen, "%s", errors ? errors : "out of memory");
		free(errors);
		return -1;
	}
	return write_atomic(target, text->data, text->len, mode, err, errlen);
}

/* ---- add ---- */

/* Writes "key = value\n", quoting value when it would not survive bare. */
static int
put_kv(struct buf *b, const char *key, const char *v)
{
	size_t n = strlen(v);
	int quote = n == 0 || v[0] == ' ' || v[n - 1] == ' ' || v[0] == '"' || v[0] == '#' ||
		    v[0] == ';' || strchr(v, '\\') || strstr(v, " #") || strstr(v, " ;") ||
		    strstr(v, "\t#") || strstr(v, "\t;");

	if (buf_printf(b, "%s = ", key) < 0)
		return -1;
	if (!quote)
		return buf_printf(b, "%s\n", v);
	if (buf_putc(b, '"') < 0)
		return -1;
	for (; *v; v++)
		if ((*v == '"' || *v == '\\') ? buf_putc(b, '\\') < 0 || buf_putc(b, *v) < 0
					      : buf_putc(b, *v) < 0)
			return -1;
	return buf_puts(b, "\"\n");
}

/* A copy of s with control characters (and commas, for tags) as spaces,
 * trimmed, cut to max bytes on a character boundary. */
static char *
clean_text(const char *s, int comma, size_t max)
{
	char *c = strdup(s), *p, *e;

	if (c == NULL)
		return NULL;
	for (p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || (comma && *p == ','))
			*p = ' ';
	for (p = c; *p == ' '; p++)
		;
	memmove(c, p, strlen(p) + 1);
	if (strlen(c) > max) {
		e = c + max;
		while (e > c && ((unsigned char)*e & 0xc0) == 0x80)
			e--;
		*e = '\0';
	}
	for (e = c + strlen(c); e > c && e[-1] == ' '; e--)
		e[-1] = '\0';
	return c;
}

static int
put_tags(struct buf *b, const char *const *tags, size_t ntags)
{
	struct buf line = {0};
	int rc = 0;

	for (size_t i = 0; i < ntags && rc == 0; i++) {
		char *t = clean_text(tags[i], 1, 64);

		if (t == NULL)
			rc = -1;
		else if (*t && (line.len && buf_puts(&line, ", ") < 0))
			rc = -1;
		else if (*t && buf_puts(&line, t) < 0)
			rc = -1;
		free(t);
	}
	if (rc == 0 && line.len)
		rc = put_kv(b, "tags", line.data);
	buf_free(&line);
	return rc;
}

/* Appends the section for f with id; errors name the entry. */
static int
put_section(struct buf *b, const char *id, const struct config_edit_feed *f, int blank)
{
	char *name = NULL;
	int rc = -1;

	if (buf_printf(b, "%s[feed \"%s\"]\n", blank ? "\n" : "", id) < 0 ||
	    put_kv(b, "url", f->url) < 0)
		goto out;
	if (f->name && (name = clean_text(f->name, 0, 256)) == NULL)
		goto out;
	if (name && *name && put_kv(b, "name", name) < 0)
		goto out;
	if (f->interval && put_kv(b, "interval", f->interval) < 0)
		goto out;
	if (put_tags(b, f->tags, f->ntags) < 0)
		goto out;
	rc = 0;
out:
	free(name);
	return rc;
}

/* Appends src to dst, with "\r\n" line ends when crlf. */
static int
append_eol(struct buf *dst, const struct buf *src, int crlf)
{
	for (size_t i = 0; i < src->len; i++)
		if ((crlf && src->data[i] == '\n' && buf_putc(dst, '\r') < 0) ||
		    buf_putc(dst, src->data[i]) < 0)
			return -1;
	return 0;
}

/* The form urls are compared in, as config.c does: canonical for http(s),
 * as written otherwise. Malloc'd or NULL. */
static char *
url_key(const char *url)
{
	char *c = url_canonical(url);

	return c ? c : strdup(url);
}

/* The urls an entry must not repeat: the file's feeds (the first nfile
 * keys), then the entries accepted so far. Keys are computed once, so an
 * import of thousands of feeds is not quadratic in URL parsing. */
struct urlset {
	char **keys;
	size_t n, nfile;
};

/* Checks one entry against the file and the entries before it. Returns 1
 * to write it (its key joins us), 0 to skip it, -1 on error. *id gets the
 * id to use. */
static int
check_entry(const struct config *cfg, const struct config_edit_feed *f, char **ids, size_t i,
	    struct urlset *us, int flags, char **id, char *err, size_t errlen)
{
	char msg[512], *key;
	unsigned secs;
	size_t j;

	*id = NULL;
	if (f->url == NULL ||
	    url_check(f->url, flags & CONFIG_EDIT_ALLOW_FILE, msg, sizeof msg) < 0) {
		snprintf(err, errlen, "%s", f->url ? msg : "no url");
		return -1;
	}
	if ((key = url_key(f->url)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (j = 0; j < us->n && strcmp(us->keys[j], key) != 0; j++)
		;
	if (j < us->n) {
		free(key);
		if (flags & CONFIG_EDIT_SKIP_EXISTING)
			return 0;
		if (j < us->nfile)
			snprintf(err, errlen, "'%s' is already in the configuration as feed '%s'",
				 f->url, cfg->feeds[j].id);
		else
			snprintf(err, errlen, "'%s' is listed twice", f->url);
		return -1;
	}
	us->keys[us->n++] = key;
	if (f->interval && config_parse_duration(f->interval, &secs) < 0) {
		snprintf(err, errlen, "bad duration '%s' (use e.g. 90s, 15m, 2h, 1d, 1h30m)",
			 f->interval);
		return -1;
	}
	if (f->id && !config_id_valid(f->id)) {
		snprintf(err, errlen,
			 "bad feed id '%s' (1 to %d letters, digits, '-', '_' or '.', starting "
			 "with a letter or digit)",
			 f->id, CONFIG_MAX_ID);
		return -1;
	}
	if (f->id && id_taken(cfg, ids, i, f->id)) {
		snprintf(err, errlen, "feed id '%s' is already taken", f->id);
		return -1;
	}
	*id = f->id ? strdup(f->id) : id_suggest(cfg, ids, i, f->url);
	if (*id == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 1;
}

int
config_edit_append(const char *path, const struct config_edit_feed *feeds, size_t n, int flags,
		   size_t *added, char *err, size_t errlen)
{
	struct config cfg = {0}, check = {0};
	struct buf text = {0}, add = {0};
	char **ids = calloc(n + 1, sizeof *ids);
	struct urlset us = {0};
	char *target = edit_target(path);
	size_t count = 0;
	int exists, crlf, rc = -1;
	mode_t mode;

	if (added)
		*added = 0;
	if (ids == NULL || target == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (edit_begin(target, path, &text, &exists, &mode, &cfg, err, errlen) < 0)
		goto out;
	/* New lines end the way the file's lines do. */
	crlf = text.len && memmem(text.data, text.len, "\r\n", 2) != NULL;
	if (text.len && text.data[text.len - 1] != '\n' && buf_puts(&add, "\n") < 0)
		goto oom;
	if ((us.keys = calloc(cfg.nfeeds + n + 1, sizeof *us.keys)) == NULL)
		goto oom;
	for (; us.n < cfg.nfeeds; us.n++)
		if ((us.keys[us.n] = url_key(cfg.feeds[us.n].url)) == NULL)
			goto oom;
	us.nfile = us.n;
	for (size_t i = 0; i < n; i++) {
		int r = check_entry(&cfg, &feeds[i], ids, i, &us, flags, &ids[i], err, errlen);

		if (r < 0)
			goto out;
		if (r == 0)
			continue;
		if (put_section(&add, ids[i], &feeds[i], text.len || add.len) < 0)
			goto oom;
		count++;
	}
	text.limit = 0;
	if (append_eol(&text, &add, crlf) < 0)
		goto oom;
	if (count && edit_commit(target, path, &text, mode, &check, err, errlen) < 0)
		goto out;
	if (added)
		*added = count;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	config_free(&cfg);
	config_free(&check);
	for (size_t i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
	for (size_t i = 0; i < us.n; i++)
		free(us.keys[i]);
	free(us.keys);
	free(target);
	buf_free(&text);
	buf_free(&add);
	return rc;
}

int
config_edit_add(const char *path, const char *id, const char *url, const char *name,
		const char *interval, const char *tags, char *id_out, size_t id_outlen, char *err,
		size_t errlen)
{
	struct config_edit_feed f = {.id = id, .url = url, .name = name, .interval = interval};
	char *copy = NULL, *save = NULL;
	const char *list[64];
	struct config cfg = {0};
	char *errors = NULL;
	int rc = -1;

	if (tags) {
		if ((copy = strdup(tags)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (char *t = strtok_r(copy, ",", &save); t && f.ntags < 64;
		     t = strtok_r(NULL, ",", &save))
			list[f.ntags++] = t;
		f.tags = list;
	}
	rc = config_edit_append(path, &f, 1, CONFIG_EDIT_ALLOW_FILE, NULL, err, errlen);
	/* Report the id written: the last section whose url is ours. */
	if (rc == 0 && id_out && id_outlen) {
		const struct config_feed *cf;

		id_out[0] = '\0';
		if (config_load(path, &cfg, &errors) == 0 &&
		    (cf = config_feed_find_url(&cfg, url)) != NULL)
			snprintf(id_out, id_outlen, "%s", cf->id);
	}
	config_free(&cfg);
	free(errors);
	free(copy);
	return rc;
}

/* ---- remove ---- */

struct lines {
	size_t *start; /* byte offset of each line; start[n] = text length */
	size_t n;
};

static int
split_lines(const struct buf *text, struct lines *ln)
{
	size_t cap = 64;

	ln->n = 0;
	if ((ln->start = malloc(cap * sizeof *ln->start)) == NULL)
		return -1;
	for (size_t pos = 0; pos < text->len;) {
		const char *nl = memchr(text->data + pos, '\n', text->len - pos);

		if (ln->n + 2 > cap) {
			size_t *s = realloc(ln->start, (cap *= 2) * sizeof *s);

			if (s == NULL)
				return -1;
			ln->start = s;
		}
		ln->start[ln->n++] = pos;
		pos = nl ? (size_t)(nl - text->data) + 1 : text->len;
	}
	ln->start[ln->n] = text->len;
	return 0;
}

/* 'c' comment, 'b' blank, 'k' anything else, for 0-based line i. */
static char
line_kind(const struct buf *text, const struct lines *ln, size_t i)
{
	const char *p = text->data + ln->start[i], *end = text->data + ln->start[i + 1];

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p == end)
		return 'b';
	return *p == '#' || *p == ';' ? 'c' : 'k';
}

/* The 0-based line range [*from, *to) of the section with header line
 * head (0-based) ending before line next (0-based; ln->n at EOF). */
static void
section_range(const struct buf *text, const struct lines *ln, size_t head, size_t next,
	      size_t *from, size_t *to)
{
	size_t last = head, f = head, t;

	/* The comment block directly above the header describes it. */
	while (f > 0 && line_kind(text, ln, f - 1) == 'c')
		f--;
	for (size_t i = head + 1; i < next; i++)
		if (line_kind(text, ln, i) == 'k')
			last = i;
	/* Comments after the last key introduce what follows: keep them. */
	t = last + 1;
	while (t < next && line_kind(text, ln, t) == 'b')
		t++;
	if (t == next || line_kind(text, ln, t) != 'c')
		t = next;
	/* Don't leave two blank lines, or blank lines at the end, behind. */
	if (f > 0 && line_kind(text, ln, f - 1) == 'b' &&
	    (t == ln->n || line_kind(text, ln, t) == 'b'))
		f--;
	*from = f;
	*to = t;
}

int
config_edit_remove(const char *path, const char *id, char *err, size_t errlen)
{
	struct config cfg = {0}, check = {0};
	struct buf text = {0}, out = {0};
	struct lines ln = {0};
	char *target = edit_target(path);
	const struct config_feed *f;
	size_t idx, next, from, to;
	int exists, rc = -1;
	mode_t mode;

	if (target == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (edit_begin(target, path, &text, &exists, &mode, &cfg, err, errlen) < 0)
		goto out;
	if ((f = config_feed_find(&cfg, id)) == NULL) {
		snprintf(err, errlen, "no feed '%s' in %s", id, path);
		goto out;
	}
	if (split_lines(&text, &ln) < 0)
		goto oom;
	idx = (size_t)(f - cfg.feeds);
	/* Sections come in file order; a BOM doesn't move line numbers. */
	next = idx + 1 < cfg.nfeeds ? cfg.feeds[idx + 1].line - 1 : ln.n;
	section_range(&text, &ln, f->line - 1, next, &from, &to);
	if (buf_append(&out, text.data, ln.start[from]) < 0 ||
	    buf_append(&out, text.data + ln.start[to], text.len - ln.start[to]) < 0 ||
	    buf_puts(&out, "") < 0)
		goto oom;
	if (edit_commit(target, path, &out, mode, &check, err, errlen) < 0)
		goto out;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	config_free(&cfg);
	config_free(&check);
	buf_free(&text);
	buf_free(&out);
	free(ln.start);
	free(target);
	return rc;
}

/* ---- OPML ---- */

int
config_import_opml(const char *path, const char *name, const char *data, size_t len, size_t *added,
		   size_t *existing, size_t *invalid, char *err, size_t errlen)
{
	struct opml o;
	struct config_edit_feed *list = NULL;
	size_t n = 0, bad = 0, count = 0;
	char msg[512];
	int rc = -1;

	if (added)
		*added = 0;
	if (opml_parse(name, data, len, &o, err, errlen) < 0)
		return -1;
	if ((list = calloc(o.nfeeds + 1, sizeof *list)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < o.nfeeds; i++) {
		const struct opml_feed *f = &o.feeds[i];

		if (url_check(f->url, 0, msg, sizeof msg) < 0) {
			bad++;
			continue;
		}
		list[n].url = f->url;
		list[n].name = f->title;
		list[n].tags = (const char *const *)f->tags;
		list[n].ntags = f->ntags;
		n++;
	}
	if (config_edit_append(path, list, n, CONFIG_EDIT_SKIP_EXISTING, &count, err, errlen) < 0)
		goto out;
	if (added)
		*added = count;
	if (existing)
		*existing = n - count;
	if (invalid)
		*invalid = bad;
	rc = 0;
out:
	free(list);
	opml_free(&o);
	return rc;
}

char *
config_export_opml(const struct config *cfg, long long date)
{
	struct opml_feed *list = calloc(cfg->nfeeds + 1, sizeof *list);
	char *res;

	if (list == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->nfeeds; i++) {
		const struct config_feed *f = &cfg->feeds[i];

		/* Borrowed strings: opml_write only reads them. */
		list[i].url = f->url;
		list[i].title = f->name ? f->name : f->id;
		list[i].tags = f->tags;
		list[i].ntags = f->ntags;
	}
	res = opml_write(NULL, list, cfg->nfeeds, (int64_t)date);
	free(list);
	return res;
}
