/* fold: "heraldd --fold FILE.tsv" runs the daemon's story code over a TSV
 * stream (item_id, unix_time, outlet, title, summary per line) and prints
 * item_id<TAB>story_id lines. See docs/stories.md.
 *
 * The lines are printed at the end of the stream, each with its item's story
 * as the daemon's store holds it then: when story B merges into A, the store
 * moves B's items to A, so an item assigned to B before the merge is printed
 * with A, as a reader would see it. */
#include "fold.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

#include "buf.h"
#include "config.h"
#include "story.h"

#define FOLD_LINE_MAX (1u << 20)

/* The stream's items and their stories, kept until the end so that merges
 * reach the items assigned before them. */
struct fold_out {
	struct buf ids; /* item ids, each with its NUL, in input order */
	int64_t *story; /* each item's story when it was assigned */
	size_t n, cap;
	int64_t *into; /* into[id]: the story id merged into, 0 if none */
	size_t into_cap;
};

/* p with room for need elements of size bytes (*cap grows by doubling), or
 * NULL out of memory (p is then still valid). */
static void *
grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t nc = *cap ? *cap : 1024;
	while (nc < need)
		nc *= 2;
	void *np = realloc(p, nc * size);
	if (np != NULL)
		*cap = nc;
	return np;
}

/* Records an item's story and the stories merged into it. 0 or -1 out of memory. */
static int
fold_out_add(struct fold_out *o, const char *item_id, const struct story_result *r)
{
	int64_t top = r->story_id; /* the largest id (ids are positive), sizing into */

	for (size_t i = 0; i < r->nmerged; i++)
		top = r->merged[i] > top ? r->merged[i] : top;
	int64_t *story = grow(o->story, &o->cap, o->n + 1, sizeof(*story));
	if (story == NULL)
		return -1;
	o->story = story;
	size_t old = o->into_cap;
	int64_t *into = grow(o->into, &o->into_cap, (size_t)top + 1, sizeof(*into));
	if (into == NULL)
		return -1;
	o->into = into;
	memset(o->into + old, 0, (o->into_cap - old) * sizeof(*o->into));
	if (buf_append(&o->ids, item_id, strlen(item_id) + 1) < 0)
		return -1;
	o->story[o->n++] = r->story_id;
	for (size_t i = 0; i < r->nmerged; i++)
		o->into[r->merged[i]] = r->story_id;
	return 0;
}

/* The story that id became by the end of the stream: merges followed, the
 * path shortened on the way. */
static int64_t
fold_out_resolve(struct fold_out *o, int64_t id)
{
	int64_t root = id;

	while (o->into[root] != 0)
		root = o->into[root];
	while (o->into[id] != 0) {
		int64_t next = o->into[id];
		o->into[id] = root;
		id = next;
	}
	return root;
}

static void
fold_out_print(struct fold_out *o)
{
	const char *id = buf_str(&o->ids);

	for (size_t i = 0; i < o->n; i++) {
		printf("%s\t%lld\n", id, (long long)fold_out_resolve(o, o->story[i]));
		id += strlen(id) + 1;
	}
}

static void
fold_out_free(struct fold_out *o)
{
	buf_free(&o->ids);
	free(o->story);
	free(o->into);
}

static void
fold_usage(void)
{
	fprintf(stderr,
		"usage: heraldd --fold FILE.tsv [-c FILE] [--threshold X] [--merge-threshold X]\n"
		"         [--simhash-radius N] [--window SECONDS] [--language NAME] [--guard X]\n"
		"         [--number-guard X] [--conflict-guard X] [--pair-threshold X]\n"
		"         [--cross-bonus X] [--time-guard X] [--max-items N] [--lexicon FILE]\n"
		"         [--titles-only]\n"
		"FILE.tsv: item_id, unix_time, outlet, title[, summary[, declared language]]\n");
}

/* Params from the config's fold_* keys; a zero (unset) field keeps the default. */
static struct story_params
fold_params(const struct config *cfg)
{
	struct story_params p = story_params_default();

	if (cfg == NULL)
		return p;
	if (cfg->fold_window)
		p.window = cfg->fold_window;
	p.max_items = cfg->fold_max_items; /* set even when the key is absent */
	if (cfg->fold_threshold > 0)
		p.threshold = cfg->fold_threshold;
	if (cfg->fold_merge_threshold > 0)
		p.merge_threshold = cfg->fold_merge_threshold;
	if (cfg->fold_window || cfg->fold_threshold > 0)
		p.simhash_radius = cfg->fold_simhash_radius;
	if (cfg->fold_language && *cfg->fold_language)
		p.language = cfg->fold_language;
	return p;
}

static int
parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return (errno || end == s || *end) ? -1 : 0;
}

/* Command-line overrides for experiments (the daemon reads feeds.conf). */
static int
fold_args(int argc, char **argv, struct story_params *p, const char **file, int *titles_only)
{
	double d;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--titles-only") == 0) {
			*titles_only = 1;
			continue;
		}
		if (strcmp(a, "-c") == 0 && v) { /* read by main */
			i++;
			continue;
		}
		if ((a[0] != '-' || a[1] == '\0') && *file == NULL) {
			*file = a;
			continue;
		}
		if (v == NULL)
			goto bad;
		i++;
		if (strcmp(a, "--language") == 0)
			p->language = v;
		else if (strcmp(a, "--lexicon") == 0)
			p->lexicon = *v ? v : NULL;
		else if (parse_double(v, &d) < 0 || d < 0 || d > 4e9)
			goto bad;
		else if (strcmp(a, "--threshold") == 0)
			p->threshold = d;
		else if (strcmp(a, "--merge-threshold") == 0)
			p->merge_threshold = d;
		else if (strcmp(a, "--guard") == 0)
			p->guard = d;
		else if (strcmp(a, "--conflict-guard") == 0)
			p->conflict_guard = d;
		else if (strcmp(a, "--number-guard") == 0)
			p->number_guard = d;
		else if (strcmp(a, "--pair-threshold") == 0)
			p->pair_threshold = d;
		else if (strcmp(a, "--cross-bonus") == 0)
			p->cross_bonus = d;
		else if (strcmp(a, "--time-guard") == 0)
			p->time_guard = d;
		else if (strcmp(a, "--simhash-radius") == 0)
			p->simhash_radius = (unsigned)d;
		else if (strcmp(a, "--window") == 0)
			p->window = (unsigned)d;
		else if (strcmp(a, "--max-items") == 0)
			p->max_items = (unsigned)d;
		else
			goto bad;
	}
	if (*file != NULL)
		return 0;
bad:
	fold_usage();
	return -1;
}

static int
valid_utf8(const char *s, size_t n)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t c;

	while (n > 0) {
		if (*p < 0x80) { /* ASCII needs no decoder */
			p++;
			n--;
			continue;
		}
		utf8proc_ssize_t k = utf8proc_iterate(p, (utf8proc_ssize_t)n, &c);
		if (k <= 0)
			return 0;
		p += k;
		n -= (size_t)k;
	}
	return 1;
}

/* Splits a line into its five or six fields in place (the sixth, the
 * feed's declared language, may be absent or empty). 0 or -1 with a reason. */
static int
split_line(char *line, char **f, const char **why)
{
	size_t nf = 0;
	char *p = line, *tab;

	for (;;) {
		if (nf == 6) {
			*why = "more than 6 tab-separated fields";
			return -1;
		}
		f[nf++] = p;
		tab = strchr(p, '\t');
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	if (nf < 4) {
		*why = "expected item_id, unix_time, outlet, title[, summary]";
		return -1;
	}
	if (nf == 4)
		f[4] = "";
	if (nf <= 5)
		f[5] = "";
	if (*f[0] == '\0') {
		*why = "empty item_id";
		return -1;
	}
	return 0;
}

static int
fold_line(struct story_index *idx, struct fold_out *o, char *line, size_t len, unsigned long lineno,
	  int titles_only, const char *path)
{
	char *f[6], *end;
	const char *why = NULL;
	struct story_result r;
	long long t;

	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len == 0)
		return 0;
	if (memchr(line, '\0', len) != NULL)
		why = "NUL byte in line";
	else if (!valid_utf8(line, len))
		why = "not valid UTF-8";
	else if (split_line(line, f, &why) == 0) {
		errno = 0;
		t = strtoll(f[1], &end, 10);
		if (errno || end == f[1] || *end)
			why = "unix_time is not an integer";
	}
	if (why != NULL) {
		fprintf(stderr, "heraldd: %s:%lu: %s\n", path, lineno, why);
		return -1;
	}
	struct story_input in = {.item_id = (int64_t)lineno,
				 .time = t,
				 .feed = f[2],
				 .title = f[3],
				 .text = titles_only ? NULL : f[4],
				 .lang = f[5]};
	if (story_assign(idx, &in, &r) < 0) {
		fprintf(stderr, "heraldd: %s:%lu: %s\n", path, lineno, story_error(idx));
		return -1;
	}
	if (fold_out_add(o, f[0], &r) < 0) {
		fprintf(stderr, "heraldd: %s:%lu: out of memory\n", path, lineno);
		return -1;
	}
	return 0;
}

int
fold_main(int argc, char **argv, const struct config *cfg)
{
	struct story_params p = fold_params(cfg);
	const char *path = NULL;
	int titles_only = 0, rc = 1;
	char err[256], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;
	struct story_index *idx = NULL;
	struct fold_out o = {0};
	FILE *fp = NULL;

#ifdef HERALD_LEXICON
	if (access(HERALD_LEXICON, R_OK) == 0) /* the installed table, unless --lexicon says */
		p.lexicon = HERALD_LEXICON;
#endif
	if (fold_args(argc, argv, &p, &path, &titles_only) < 0)
		return 2;
	idx = story_new(&p, err, sizeof(err));
	if (idx == NULL) {
		fprintf(stderr, "heraldd: %s\n", err);
		return 1;
	}
	fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (fp == NULL) {
		fprintf(stderr, "heraldd: %s: %s\n", path, strerror(errno));
		goto out;
	}
	while ((n = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		if ((size_t)n > FOLD_LINE_MAX) {
			fprintf(stderr, "heraldd: %s:%lu: line longer than %u bytes\n", path,
				lineno, FOLD_LINE_MAX);
			goto out;
		}
		if (fold_line(idx, &o, line, (size_t)n, lineno, titles_only, path) < 0)
			goto out;
	}
	if (ferror(fp)) {
		fprintf(stderr, "heraldd: %s: read error: %s\n", path, strerror(errno));
		goto out;
	}
	fold_out_print(&o);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "heraldd: writing the result: %s\n", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fp != NULL && fp != stdin)
		fclose(fp);
	free(line);
	fold_out_free(&o);
	story_free(idx);
	return rc;
}
