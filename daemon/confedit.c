/* confedit: changing feeds.conf for add, remove and import without touching
 * the user's other lines (confedit.h). The text is edited as lines, the
 * result is parsed again before it replaces the file, and the replacement
 * is atomic. */
#include "confedit.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "opml.h"
#include "url.h"

#define MAX_SLUG 40

/* ---- string sets ---- */

/* A set of strings it owns, each with a number, for the ids and urls of a
 * batch of sections: open addressing with linear probing, at most 3/4
 * full. */
struct strslot {
	char *s; /* NULL: empty */
	unsigned val;
};

struct strset {
	struct strslot *slot;
	size_t mask, n; /* capacity - 1 (a power of two; 0 with no slots); strings */
};

/* FNV-1a. */
static size_t
str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return (size_t)(h ^ (h >> 32));
}

/* The slot holding str, or the empty slot where it would go (slots exist). */
static size_t
strset_slot(const struct strset *set, const char *str)
{
	size_t i = str_hash(str) & set->mask;

	while (set->slot[i].s != NULL && strcmp(set->slot[i].s, str) != 0)
		i = (i + 1) & set->mask;
	return i;
}

/* str's number, or NULL when str is not in the set (set may be NULL). */
static unsigned *
strset_val(const struct strset *set, const char *str)
{
	struct strslot *e;

	if (set == NULL || set->slot == NULL)
		return NULL;
	e = &set->slot[strset_slot(set, str)];
	return e->s != NULL ? &e->val : NULL;
}

static int
strset_has(const struct strset *set, const char *str)
{
	return strset_val(set, str) != NULL;
}

/* Adds str (not in the set), which the set then owns, with the number val.
 * 0, or -1 when memory runs out (str is still the caller's). */
static int
strset_add(struct strset *set, char *str, unsigned val)
{
	if (set->slot == NULL || set->n + 1 > (set->mask + 1) / 4 * 3) {
		size_t cap = set->slot ? (set->mask + 1) * 2 : 16;
		struct strset bigger = {.mask = cap - 1, .n = set->n};

		if ((bigger.slot = calloc(cap, sizeof *bigger.slot)) == NULL)
			return -1;
		for (size_t i = 0; set->slot != NULL && i <= set->mask; i++)
			if (set->slot[i].s != NULL)
				bigger.slot[strset_slot(&bigger, set->slot[i].s)] = set->slot[i];
		free(set->slot);
		*set = bigger;
	}
	set->slot[strset_slot(set, str)] = (struct strslot){str, val};
	set->n++;
	return 0;
}

/* Adds a copy of s. 0 or -1. */
static int
strset_add_copy(struct strset *set, const char *s, unsigned val)
{
	char *c = strdup(s);

	if (c == NULL || strset_add(set, c, val) < 0) {
		free(c);
		return -1;
	}
	return 0;
}

static void
strset_free(struct strset *set)
{
	for (size_t i = 0; set->slot != NULL && i <= set->mask; i++)
		free(set->slot[i].s);
	free(set->slot);
	memset(set, 0, sizeof *set);
}

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

/* 1 when id is taken by cfg or by extra (may be NULL). */
static int
id_taken(const struct config *cfg, const struct strset *extra, const char *id)
{
	return config_feed_find(cfg, id) != NULL || strset_has(extra, id);
}

/* A free id for url (see config_feed_id_suggest) against cfg and extra
 * (may be NULL). next (may be NULL) remembers, per slug, the suffix to try
 * first: within a batch, ids are only ever taken, so those below it are. */
static char *
id_suggest(const struct config *cfg, const struct strset *extra, struct strset *next,
	   const char *url)
{
	char scheme[16] = "", *host = NULL, *path = NULL, *res = NULL;
	struct buf b = {0};
	unsigned i = 2, *from;
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
	if (!id_taken(cfg, extra, b.data)) {
		res = buf_detach(&b);
		goto out;
	}
	if ((from = strset_val(next, b.data)) != NULL)
		i = *from;
	for (; i < 100000; i++) {
		char cand[MAX_SLUG + 16];

		snprintf(cand, sizeof cand, "%s-%u", b.data, i);
		if (!id_taken(cfg, extra, cand)) {
			res = strdup(cand);
			break;
		}
	}
	if (res && next) {
		if (from)
			*from = i + 1;
		else if (strset_add_copy(next, b.data, i + 1) < 0) {
			free(res);
			res = NULL;
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
	return id_suggest(cfg, NULL, NULL, url);
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

/* One edit: the file as read and parsed. */
struct edit {
	char *target;      /* the file replaced: path, or the target of its symlink */
	struct buf text;   /* its bytes (empty when it does not exist) */
	mode_t mode;       /* its permission bits; 0644 for a new file */
	struct config cfg; /* text, parsed */
};

static int
edit_open(struct edit *e, const char *path, char *err, size_t errlen)
{
	int exists;

	memset(e, 0, sizeof *e);
	if ((e->target = edit_target(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return edit_begin(e->target, path, &e->text, &exists, &e->mode, &e->cfg, err, errlen);
}

/* Safe on a zeroed struct edit and after a failed edit_open. */
static void
edit_close(struct edit *e)
{
	config_free(&e->cfg);
	buf_free(&e->text);
	free(e->target);
	memset(e, 0, sizeof *e);
}

/* ---- add ---- */

/* Writes value v, quoted when it would not survive bare. */
static int
put_value(struct buf *b, const char *v)
{
	size_t n = strlen(v);
	int quote = n == 0 || v[0] == ' ' || v[n - 1] == ' ' || v[0] == '"' || v[0] == '#' ||
		    v[0] == ';' || strchr(v, '\\') || strstr(v, " #") || strstr(v, " ;") ||
		    strstr(v, "\t#") || strstr(v, "\t;");

	if (!quote)
		return buf_puts(b, v);
	if (buf_putc(b, '"') < 0)
		return -1;
	for (; *v; v++)
		if ((*v == '"' || *v == '\\') ? buf_putc(b, '\\') < 0 || buf_putc(b, *v) < 0
					      : buf_putc(b, *v) < 0)
			return -1;
	return buf_putc(b, '"');
}

/* Writes "key = value\n". */
static int
put_kv(struct buf *b, const char *key, const char *v)
{
	if (buf_printf(b, "%s = ", key) < 0 || put_value(b, v) < 0)
		return -1;
	return buf_putc(b, '\n');
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
put_section(struct buf *b, const char *id, const struct confedit_feed *f, int blank)
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

/* A batch of sections being appended: the url keys and ids of those
 * accepted so far (the file's own are found through its config's index). */
struct batch {
	struct strset urls, ids;
	struct strset next; /* for id_suggest */
};

static void
batch_free(struct batch *bt)
{
	strset_free(&bt->urls);
	strset_free(&bt->ids);
	strset_free(&bt->next);
}

/* Checks one entry against the file (cfg) and the entries accepted before
 * it. Returns 1 to write it (*id gets the id to use, malloc'd), 0 to skip
 * it, -1 on error. */
static int
check_entry(const struct config *cfg, const struct confedit_feed *f, struct batch *bt, int flags,
	    char **id, char *err, size_t errlen)
{
	const struct config_feed *prev;
	char msg[512], *key;
	unsigned secs;

	*id = NULL;
	if (f->url == NULL || url_check(f->url, flags & CONFEDIT_ALLOW_FILE, msg, sizeof msg) < 0) {
		snprintf(err, errlen, "%s", f->url ? msg : "no url");
		return -1;
	}
	if ((prev = config_feed_find_url(cfg, f->url)) != NULL) {
		if (flags & CONFEDIT_SKIP_EXISTING)
			return 0;
		snprintf(err, errlen, "'%s' is already in the configuration as feed '%s'", f->url,
			 prev->id);
		return -1;
	}
	if ((key = url_key(f->url)) == NULL)
		goto oom;
	if (strset_has(&bt->urls, key)) {
		free(key);
		if (flags & CONFEDIT_SKIP_EXISTING)
			return 0;
		snprintf(err, errlen, "'%s' is listed twice", f->url);
		return -1;
	}
	if (strset_add(&bt->urls, key, 0) < 0) {
		free(key);
		goto oom;
	}
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
	if (f->id && id_taken(cfg, &bt->ids, f->id)) {
		snprintf(err, errlen, "feed id '%s' is already taken", f->id);
		return -1;
	}
	*id = f->id ? strdup(f->id) : id_suggest(cfg, &bt->ids, &bt->next, f->url);
	if (*id == NULL || strset_add_copy(&bt->ids, *id, 0) < 0) {
		free(*id);
		*id = NULL;
		goto oom;
	}
	return 1;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* Appends the sections of feeds to the file of e and writes it (unless
 * every entry was skipped). ids (n slots, zeroed) get the id of each
 * section written, NULL for an entry skipped; *count the sections. */
static int
edit_append(struct edit *e, const char *path, const struct confedit_feed *feeds, size_t n,
	    int flags, char **ids, size_t *count, char *err, size_t errlen)
{
	struct batch bt = {0};
	struct buf add = {0};
	struct config check = {0};
	int crlf, rc = -1;

	*count = 0;
	/* New lines end the way the file's lines do. */
	crlf = e->text.len && memmem(e->text.data, e->text.len, "\r\n", 2) != NULL;
	if (e->text.len && e->text.data[e->text.len - 1] != '\n' && buf_puts(&add, "\n") < 0)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		int r = check_entry(&e->cfg, &feeds[i], &bt, flags, &ids[i], err, errlen);

		if (r < 0)
			goto out;
		if (r == 0)
			continue;
		if (put_section(&add, ids[i], &feeds[i], e->text.len || add.len) < 0)
			goto oom;
		(*count)++;
	}
	e->text.limit = 0;
	if (append_eol(&e->text, &add, crlf) < 0)
		goto oom;
	if (*count && edit_commit(e->target, path, &e->text, e->mode, &check, err, errlen) < 0)
		goto out;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	if (rc < 0)
		*count = 0;
	config_free(&check);
	batch_free(&bt);
	buf_free(&add);
	return rc;
}

int
confedit_append(const char *path, const struct confedit_feed *feeds, size_t n, int flags,
		size_t *added, char *err, size_t errlen)
{
	struct edit e = {0};
	char **ids = calloc(n + 1, sizeof *ids);
	size_t count = 0;
	int rc = -1;

	if (added)
		*added = 0;
	if (ids == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (edit_open(&e, path, err, errlen) < 0 ||
	    edit_append(&e, path, feeds, n, flags, ids, &count, err, errlen) < 0)
		goto out;
	if (added)
		*added = count;
	rc = 0;
out:
	edit_close(&e);
	for (size_t i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
	return rc;
}

int
confedit_add(const char *path, const char *id, const char *url, const char *name,
	     const char *interval, const char *tags, char *id_out, size_t id_outlen, char *err,
	     size_t errlen)
{
	struct confedit_feed f = {.id = id, .url = url, .name = name, .interval = interval};
	char *copy = NULL, *save = NULL, *used = NULL;
	const char *list[64];
	struct edit e = {0};
	size_t count;
	int rc = -1;

	if (id_out && id_outlen)
		id_out[0] = '\0';
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
	if (edit_open(&e, path, err, errlen) < 0 ||
	    edit_append(&e, path, &f, 1, CONFEDIT_ALLOW_FILE, &used, &count, err, errlen) < 0)
		goto out;
	if (id_out && id_outlen && used)
		snprintf(id_out, id_outlen, "%s", used);
	rc = 0;
out:
	edit_close(&e);
	free(used);
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
confedit_remove(const char *path, const char *id, char *err, size_t errlen)
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

/* Writes out over e's file once it parses and feed id in it passes says
 * (what the edit asked for): as edit_commit, with the edit's own check.
 * 0, or -1 with err. */
static int
commit_checked(struct edit *e, const char *path, const struct buf *out, const char *id,
	       int (*says)(const struct config_feed *f, const void *arg), const void *arg,
	       const char *what, char *err, size_t errlen)
{
	struct config check = {0};
	const struct config_feed *f;
	char *errors = NULL;
	int rc = -1;

	if (config_parse(path, out->data, out->len, &check, &errors) < 0)
		snprintf(err, errlen, "%s", errors ? errors : "out of memory");
	else if ((f = config_feed_find(&check, id)) == NULL || !says(f, arg))
		snprintf(err, errlen, "%s: cannot %s of feed '%s'", path, what, id);
	else
		rc = write_atomic(e->target, out->data, out->len, e->mode, err, errlen);
	free(errors);
	config_free(&check);
	return rc;
}

/* ---- set url ---- */

/* Where the value starting at p ends on its line (end excludes the line
 * break), as config.c reads it: after the closing quote of a quoted value;
 * for a bare one, before a '#' or ';' that follows a blank (or starts it)
 * and the blanks before that. */
static const char *
value_end(const char *p, const char *end)
{
	const char *q;

	if (p < end && *p == '"') {
		for (q = p + 1; q < end && *q != '"'; q++)
			if (*q == '\\' && q + 1 < end)
				q++;
		return q < end ? q + 1 : end;
	}
	for (q = p; q < end; q++)
		if ((*q == '#' || *q == ';') && (q == p || q[-1] == ' ' || q[-1] == '\t'))
			break;
	while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	return q;
}

/* 1 when the line [p, end) sets key (any case, any blanks around '='),
 * with its value's bytes in [*vs, *ve); else 0. */
static int
key_line(const char *p, const char *end, const char *key, const char **vs, const char **ve)
{
	const char *k;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (k = p; p < end && (isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '-');
	     p++)
		;
	if ((size_t)(p - k) != strlen(key) || strncasecmp(k, key, strlen(key)) != 0)
		return 0;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p != '=')
		return 0;
	for (p++; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	*vs = p;
	*ve = value_end(p, end);
	return 1;
}

/* The bytes of feed f's value of key in text, found among its section's
 * lines. 0, or -1 when there is none. */
static int
find_key_value(const struct buf *text, const struct lines *ln, const struct config *cfg,
	       const struct config_feed *f, const char *key, const char **vs, const char **ve)
{
	size_t idx = (size_t)(f - cfg->feeds);
	size_t next = idx + 1 < cfg->nfeeds ? cfg->feeds[idx + 1].line - 1 : ln->n;

	/* f->line is the header's, counted from 1: its keys start at index
	 * f->line. */
	for (size_t i = f->line; i < next; i++) {
		const char *p = text->data + ln->start[i], *end = text->data + ln->start[i + 1];

		if (end > p && end[-1] == '\n')
			end--;
		if (end > p && end[-1] == '\r')
			end--;
		if (line_kind(text, ln, i) == 'k' && key_line(p, end, key, vs, ve))
			return 0;
	}
	return -1;
}

static int
has_url(const struct config_feed *f, const void *url)
{
	return strcmp(f->url, url) == 0;
}

/* The name asked for, or none when value is NULL. */
static int
has_name(const struct config_feed *f, const void *value)
{
	return value ? f->name && strcmp(f->name, value) == 0 : f->name == NULL;
}

/* Tags removed when value is NULL (a value the parse accepted is the one
 * written). */
static int
has_tags_or(const struct config_feed *f, const void *value)
{
	return value || f->ntags == 0;
}

int
confedit_set_url(const char *path, const char *id, const char *url, char *err, size_t errlen)
{
	struct edit e = {0};
	struct config check = {0};
	struct buf out = {0};
	struct lines ln = {0};
	const struct config_feed *f, *prev;
	const char *vs, *ve;
	char *errors = NULL;
	int rc = -1;

	if (url_check(url, 0, err, errlen) < 0 || edit_open(&e, path, err, errlen) < 0)
		goto out;
	if ((f = config_feed_find(&e.cfg, id)) == NULL) {
		snprintf(err, errlen, "no feed '%s' in %s", id, path);
		goto out;
	}
	if ((prev = config_feed_find_url(&e.cfg, url)) != NULL && prev != f) {
		snprintf(err, errlen, "'%s' is already in the configuration as feed '%s'", url,
			 prev->id);
		goto out;
	}
	if (strcmp(f->url, url) == 0) {
		rc = 0; /* nothing to change: the file is not written */
		goto out;
	}
	if (split_lines(&e.text, &ln) < 0)
		goto oom;
	if (find_key_value(&e.text, &ln, &e.cfg, f, "url", &vs, &ve) < 0) {
		snprintf(err, errlen, "%s: no url line in the section of feed '%s'", path, id);
		goto out;
	}
	if (buf_append(&out, e.text.data, (size_t)(vs - e.text.data)) < 0 ||
	    put_value(&out, url) < 0 ||
	    buf_append(&out, ve, (size_t)(e.text.data + e.text.len - ve)) < 0 ||
	    buf_puts(&out, "") < 0)
		goto oom;
	rc = commit_checked(&e, path, &out, id, has_url, url, "rewrite the url", err, errlen);
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	free(errors);
	config_free(&check);
	buf_free(&out);
	free(ln.start);
	edit_close(&e);
	return rc;
}

/* ---- set a feed's name or tags ---- */

/* Where the line holding [p] ends, its line break included. */
static const char *
line_after(const struct buf *text, const char *p)
{
	const char *nl = memchr(p, '\n', (size_t)(text->data + text->len - p));

	return nl ? nl + 1 : text->data + text->len;
}

int
confedit_set_key(const char *path, const char *id, const char *key, const char *value, char *err,
		 size_t errlen)
{
	struct edit e = {0};
	struct config check = {0};
	struct buf out = {0};
	struct lines ln = {0};
	const struct config_feed *f;
	const char *vs, *ve, *us, *ue, *cut_from, *cut_to;
	char what[32];
	char *errors = NULL;
	int rc = -1, have;

	if (strcmp(key, "name") != 0 && strcmp(key, "tags") != 0) {
		snprintf(err, errlen, "only a feed's name and tags are set here, not '%s'", key);
		return -1;
	}
	if (edit_open(&e, path, err, errlen) < 0)
		goto out;
	if ((f = config_feed_find(&e.cfg, id)) == NULL) {
		snprintf(err, errlen, "no feed '%s' in %s", id, path);
		goto out;
	}
	if (split_lines(&e.text, &ln) < 0)
		goto oom;
	have = find_key_value(&e.text, &ln, &e.cfg, f, key, &vs, &ve) == 0;
	if (!have && value == NULL) {
		rc = 0; /* nothing to remove: the file is not written */
		goto out;
	}
	if (have && value) { /* the value replaced; the key and a comment stay */
		cut_from = vs;
		cut_to = ve;
	} else if (have) { /* the line goes */
		for (cut_from = vs; cut_from > e.text.data && cut_from[-1] != '\n'; cut_from--)
			;
		cut_to = line_after(&e.text, vs);
	} else { /* a new line after the url's */
		if (find_key_value(&e.text, &ln, &e.cfg, f, "url", &us, &ue) < 0) {
			snprintf(err, errlen, "%s: no url line in the section of feed '%s'", path,
				 id);
			goto out;
		}
		cut_from = cut_to = line_after(&e.text, ue);
	}
	if (buf_append(&out, e.text.data, (size_t)(cut_from - e.text.data)) < 0 ||
	    (!have && value &&
	     ((cut_from > e.text.data && cut_from[-1] != '\n' && buf_putc(&out, '\n') < 0) ||
	      buf_printf(&out, "%s = ", key) < 0)) ||
	    (value && put_value(&out, value) < 0) || (!have && value && buf_putc(&out, '\n') < 0) ||
	    buf_append(&out, cut_to, (size_t)(e.text.data + e.text.len - cut_to)) < 0 ||
	    buf_puts(&out, "") < 0)
		goto oom;
	snprintf(what, sizeof what, "set the %s", key);
	rc = commit_checked(&e, path, &out, id, strcmp(key, "name") == 0 ? has_name : has_tags_or,
			    value, what, err, errlen);
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	free(errors);
	config_free(&check);
	buf_free(&out);
	free(ln.start);
	edit_close(&e);
	return rc;
}

/* ---- OPML ---- */

void
confedit_import_free(struct confedit_import *imp)
{
	for (size_t i = 0; imp->entries && i < imp->n; i++) {
		free(imp->entries[i].url);
		free(imp->entries[i].id);
		free(imp->entries[i].error);
	}
	free(imp->entries);
	memset(imp, 0, sizeof *imp);
}

/* An entry already configured (cfg may be NULL): EXISTS with that feed's
 * id. 1 when it is, 0 when not, -1 out of memory. */
static int
import_exists(const struct config *cfg, struct confedit_import_entry *en)
{
	const struct config_feed *f = cfg ? config_feed_find_url(cfg, en->url) : NULL;

	if (f == NULL)
		return 0;
	en->status = CONFEDIT_EXISTS;
	return (en->id = strdup(f->id)) == NULL ? -1 : 1;
}

/* The outcome of an entry as far as cfg, the entries being added before it
 * (their url keys in keys) and its url tell: EXISTS, INVALID, or ADDED for
 * now (the file may know it: see confedit_import_opml). -1 out of memory. */
static int
import_classify(const struct config *cfg, struct strset *keys, struct confedit_import_entry *en)
{
	char why[512], *key;
	int r;

	if ((r = import_exists(cfg, en)) != 0)
		return r < 0 ? -1 : 0;
	if ((key = url_key(en->url)) == NULL)
		return -1;
	if (strset_has(keys, key)) {
		free(key);
		en->status = CONFEDIT_EXISTS;
		return 0;
	}
	if (url_check(en->url, 0, why, sizeof why) < 0) {
		free(key);
		en->status = CONFEDIT_INVALID;
		return (en->error = strdup(why)) == NULL ? -1 : 0;
	}
	if (strset_add(keys, key, 0) < 0) {
		free(key);
		return -1;
	}
	en->status = CONFEDIT_ADDED;
	return 0;
}

/* Writes the entries still ADDED to the file in one edit; those the file
 * has already become EXISTS. sel[k] is entry which[k]. 0, or -2 (see
 * confedit_import_opml) with err. */
static int
import_write(const char *path, struct confedit_import *imp, struct confedit_feed *sel,
	     size_t *which, size_t nsel, char *err, size_t errlen)
{
	struct edit e = {0};
	char **ids = NULL;
	size_t n = 0, count;
	int rc = -2;

	if (edit_open(&e, path, err, errlen) < 0)
		goto out;
	/* The file may have feeds the configuration in use has not (yet). */
	for (size_t k = 0; k < nsel; k++) {
		int r = import_exists(&e.cfg, &imp->entries[which[k]]);

		if (r < 0)
			goto oom;
		if (r == 0) {
			sel[n] = sel[k];
			which[n++] = which[k];
		}
	}
	if (n > 0) {
		if ((ids = calloc(n, sizeof *ids)) == NULL)
			goto oom;
		if (edit_append(&e, path, sel, n, 0, ids, &count, err, errlen) < 0)
			goto out;
		for (size_t k = 0; k < n; k++) {
			imp->entries[which[k]].id = ids[k];
			ids[k] = NULL;
		}
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	for (size_t k = 0; ids && k < n; k++)
		free(ids[k]);
	free(ids);
	edit_close(&e);
	return rc;
}

int
confedit_import_opml(const char *path, const struct config *cfg, const char *name, const char *data,
		     size_t len, struct confedit_import *out, char *err, size_t errlen)
{
	struct opml o = {0};
	struct strset keys = {0}, ids = {0}, next = {0};
	struct confedit_feed *sel = NULL;
	char **newids = NULL;
	size_t *which = NULL, nsel = 0;
	int rc = -2;

	memset(out, 0, sizeof *out);
	if (opml_parse(name, data, len, &o, err, errlen) < 0) {
		rc = -1;
		goto out;
	}
	if ((out->entries = calloc(o.nfeeds + 1, sizeof *out->entries)) == NULL ||
	    (sel = calloc(o.nfeeds + 1, sizeof *sel)) == NULL ||
	    (which = calloc(o.nfeeds + 1, sizeof *which)) == NULL ||
	    (newids = calloc(o.nfeeds + 1, sizeof *newids)) == NULL)
		goto oom;
	for (size_t i = 0; i < o.nfeeds; i++) {
		const struct opml_feed *f = &o.feeds[i];
		struct confedit_import_entry *en = &out->entries[i];

		out->n++;
		if ((en->url = strdup(f->url)) == NULL || import_classify(cfg, &keys, en) < 0)
			goto oom;
		if (en->status != CONFEDIT_ADDED)
			continue;
		/* The id is free in the whole configuration, not only in path:
		 * path may be the file another one includes (config.h). */
		if ((newids[nsel] = id_suggest(cfg, &ids, &next, f->url)) == NULL ||
		    strset_add_copy(&ids, newids[nsel], 0) < 0)
			goto oom;
		sel[nsel] = (struct confedit_feed){.id = newids[nsel],
						   .url = f->url,
						   .name = f->title,
						   .tags = (const char *const *)f->tags,
						   .ntags = f->ntags};
		which[nsel++] = i;
	}
	if (nsel > 0 && (rc = import_write(path, out, sel, which, nsel, err, errlen)) < 0)
		goto out;
	for (size_t i = 0; i < out->n; i++) {
		out->added += out->entries[i].status == CONFEDIT_ADDED;
		out->existing += out->entries[i].status == CONFEDIT_EXISTS;
		out->invalid += out->entries[i].status == CONFEDIT_INVALID;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	if (rc < 0)
		confedit_import_free(out);
	strset_free(&keys);
	strset_free(&ids);
	strset_free(&next);
	for (size_t i = 0; newids && i <= o.nfeeds; i++)
		free(newids[i]);
	free(newids);
	free(sel);
	free(which);
	opml_free(&o);
	return rc;
}

char *
confedit_export_opml(const struct config *cfg, long long date)
{
	struct opml_feed *list = calloc(cfg->nfeeds + 1, sizeof *list);
	char **urls = calloc(cfg->nfeeds + 1, sizeof *urls);
	char *res = NULL;

	if (list == NULL || urls == NULL)
		goto out;
	for (size_t i = 0; i < cfg->nfeeds; i++) {
		const struct config_feed *f = &cfg->feeds[i];

		/* A password in a URL stays in feeds.conf (issue #28). */
		if ((urls[i] = url_redact(f->url)) == NULL)
			goto out;
		/* Borrowed strings: opml_write only reads them. */
		list[i].url = urls[i];
		list[i].title = f->name ? f->name : f->id;
		list[i].tags = f->tags;
		list[i].ntags = f->ntags;
	}
	res = opml_write("herald subscriptions", list, cfg->nfeeds, (int64_t)date);
out:
	for (size_t i = 0; urls && i < cfg->nfeeds; i++)
		free(urls[i]);
	free(urls);
	free(list);
	return res;
}
