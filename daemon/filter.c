/* filter: match expressions over items and the rules that use them
 * (filter.h). A recursive-descent parser builds a small tree; regexes are
 * PCRE2 with a match limit; '=' and 'contains' compare case-folded text. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "filter.h"

#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define MAX_DEPTH 64 /* nesting of not and parentheses */

enum node_kind { N_OR, N_AND, N_NOT, N_COND };
enum cond_op { OP_REGEX, OP_EQUAL, OP_CONTAINS };

struct node {
	enum node_kind kind;
	struct node *a, *b; /* OR, AND: both; NOT: a */
	/* N_COND */
	enum filter_field field;
	enum cond_op op;
	char *needle; /* case-folded, for OP_EQUAL and OP_CONTAINS */
	pcre2_code *re;
};

struct filter_expr {
	struct node *root;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	/* During one filter_expr_match: the item's fields case-folded, made
	 * when a condition first needs them. */
	char *folded[FILTER_NFIELDS];
	int limited;
};

static const char *const field_names[FILTER_NFIELDS] = {
	[FILTER_TITLE] = "title",   [FILTER_SUMMARY] = "summary",   [FILTER_CONTENT] = "content",
	[FILTER_AUTHOR] = "author", [FILTER_CATEGORY] = "category", [FILTER_LINK] = "link",
	[FILTER_FEED] = "feed",     [FILTER_TAG] = "tag",
};

struct parser {
	const char *s;
	size_t pos;
	int depth;
	struct filter_error *err;
	int oom;
};

static void __attribute__((format(printf, 3, 4)))
perror_at(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (p->err->msg[0])
		return; /* the first error is the one to show */
	p->err->pos = pos;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
	va_end(ap);
}

static void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	node_free(n->a);
	node_free(n->b);
	free(n->needle);
	pcre2_code_free(n->re);
	free(n);
}

static struct node *
node_new(struct parser *p, enum node_kind kind)
{
	struct node *n = calloc(1, sizeof *n);

	if (n == NULL)
		p->oom = 1;
	else
		n->kind = kind;
	return n;
}

/* Unicode case folding (and NFC), malloc'd; NULL when out of memory. A
 * string that is not UTF-8 is folded byte by byte in ASCII. */
static char *
fold(const char *s)
{
	utf8proc_uint8_t *out = NULL;
	char *d;

	if (s == NULL)
		s = "";
	if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
			 UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
				 UTF8PROC_CASEFOLD) >= 0)
		return (char *)out;
	if ((d = strdup(s)) == NULL)
		return NULL;
	for (char *c = d; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return d;
}

static void
skip_space(struct parser *p)
{
	while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
	       p->s[p->pos] == '\r')
		p->pos++;
}

static int
word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* The next word if it is kw (case-insensitive, whole word): consumed. */
static int
accept_word(struct parser *p, const char *kw)
{
	size_t n = strlen(kw);

	skip_space(p);
	for (size_t i = 0; i < n; i++) {
		char c = p->s[p->pos + i];

		if (c == '\0' || (c | 0x20) != kw[i])
			return 0;
	}
	if (word_char(p->s[p->pos + n]))
		return 0;
	p->pos += n;
	return 1;
}

/* A "quoted string" or a bare word, malloc'd. */
static char *
parse_string(struct parser *p)
{
	size_t start, len = 0;
	char *v;

	skip_space(p);
	start = p->pos;
	if (p->s[p->pos] != '"') {
		while (p->s[p->pos] && p->s[p->pos] != ' ' && p->s[p->pos] != '\t' &&
		       p->s[p->pos] != '(' && p->s[p->pos] != ')')
			p->pos++;
		if (p->pos == start) {
			perror_at(p, start, "a value expected (a word or a \"quoted string\")");
			return NULL;
		}
		if ((v = strndup(p->s + start, p->pos - start)) == NULL)
			p->oom = 1;
		return v;
	}
	if ((v = malloc(strlen(p->s + start))) == NULL) {
		p->oom = 1;
		return NULL;
	}
	for (p->pos++; p->s[p->pos] != '"'; p->pos++) {
		if (p->s[p->pos] == '\0') {
			perror_at(p, start, "unterminated string");
			free(v);
			return NULL;
		}
		if (p->s[p->pos] == '\\' && (p->s[p->pos + 1] == '"' || p->s[p->pos + 1] == '\\'))
			p->pos++;
		v[len++] = p->s[p->pos];
	}
	p->pos++;
	v[len] = '\0';
	return v;
}

/* /pattern/flags after '~': compiled into n->re. */
static int
parse_regex(struct parser *p, struct node *n)
{
	size_t start, len = 0;
	uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
	char *pat;
	int errcode;
	PCRE2_SIZE erroff;

	skip_space(p);
	start = p->pos;
	if (p->s[p->pos] != '/') {
		perror_at(p, start, "a regular expression expected after '~' (/like this/i)");
		return -1;
	}
	if ((pat = malloc(strlen(p->s + start) + 1)) == NULL) {
		p->oom = 1;
		return -1;
	}
	for (p->pos++; p->s[p->pos] != '/'; p->pos++) {
		if (p->s[p->pos] == '\0') {
			perror_at(p, start, "unterminated regular expression (no closing '/')");
			free(pat);
			return -1;
		}
		/* \/ is a slash; every other escape is PCRE2's. */
		if (p->s[p->pos] == '\\' && p->s[p->pos + 1] == '/')
			p->pos++;
		else if (p->s[p->pos] == '\\' && p->s[p->pos + 1] != '\0')
			pat[len++] = p->s[p->pos++];
		pat[len++] = p->s[p->pos];
	}
	pat[len] = '\0';
	for (p->pos++; word_char(p->s[p->pos]); p->pos++) {
		switch (p->s[p->pos]) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		default:
			perror_at(p, p->pos, "unknown regular expression flag '%c' (i, m, s or x)",
				  p->s[p->pos]);
			free(pat);
			return -1;
		}
	}
	n->re = pcre2_compile((PCRE2_SPTR)pat, len, opts, &errcode, &erroff, NULL);
	free(pat);
	if (n->re == NULL) {
		PCRE2_UCHAR msg[120];

		pcre2_get_error_message(errcode, msg, sizeof msg);
		/* erroff counts in the pattern: +1 for the opening '/' (close
		 * enough where \/ escapes come before it). */
		perror_at(p, start + 1 + erroff, "bad regular expression: %s", (char *)msg);
		return -1;
	}
	/* JIT when the platform has it; the interpreter otherwise. */
	(void)pcre2_jit_compile(n->re, PCRE2_JIT_COMPLETE);
	return 0;
}

static struct node *parse_or(struct parser *p);

static struct node *
parse_cond(struct parser *p)
{
	struct node *n;
	size_t start;
	char *v;
	int f;

	skip_space(p);
	start = p->pos;
	for (f = 0; f < FILTER_NFIELDS; f++)
		if (accept_word(p, field_names[f]))
			break;
	if (f == FILTER_NFIELDS) {
		if (p->s[start] == '\0')
			perror_at(p, start, "the expression ends where a condition was expected");
		else
			perror_at(p, start,
				  "a field expected (title, summary, content, author, category, "
				  "link, feed or tag)");
		return NULL;
	}
	if ((n = node_new(p, N_COND)) == NULL)
		return NULL;
	n->field = (enum filter_field)f;
	skip_space(p);
	if (p->s[p->pos] == '~') {
		p->pos++;
		n->op = OP_REGEX;
		if (parse_regex(p, n) < 0)
			goto fail;
		return n;
	}
	if (p->s[p->pos] == '=')
		p->pos++, n->op = OP_EQUAL;
	else if (accept_word(p, "contains"))
		n->op = OP_CONTAINS;
	else {
		perror_at(p, p->pos, "an operator expected after '%s' (~, = or contains)",
			  field_names[f]);
		goto fail;
	}
	if ((v = parse_string(p)) == NULL)
		goto fail;
	n->needle = fold(v);
	free(v);
	if (n->needle == NULL) {
		p->oom = 1;
		goto fail;
	}
	return n;
fail:
	node_free(n);
	return NULL;
}

static struct node *
parse_unary(struct parser *p)
{
	struct node *n, *a;
	size_t start;

	skip_space(p);
	start = p->pos;
	if (++p->depth > MAX_DEPTH) {
		perror_at(p, start, "nested more than %d deep", MAX_DEPTH);
		return NULL;
	}
	if (accept_word(p, "not")) {
		if ((a = parse_unary(p)) == NULL || (n = node_new(p, N_NOT)) == NULL) {
			node_free(a);
			return NULL;
		}
		n->a = a;
	} else if (p->s[p->pos] == '(') {
		p->pos++;
		if ((n = parse_or(p)) == NULL)
			return NULL;
		skip_space(p);
		if (p->s[p->pos] != ')') {
			perror_at(p, p->pos, "')' expected to close the '(' at column %zu",
				  start + 1);
			node_free(n);
			return NULL;
		}
		p->pos++;
	} else {
		n = parse_cond(p);
	}
	p->depth--;
	return n;
}

/* kind's operator over operands: and over unary, or over and. */
static struct node *
parse_binary(struct parser *p, enum node_kind kind)
{
	const char *kw = kind == N_OR ? "or" : "and";
	struct node *left, *right, *n;

	left = kind == N_OR ? parse_binary(p, N_AND) : parse_unary(p);
	while (left && accept_word(p, kw)) {
		right = kind == N_OR ? parse_binary(p, N_AND) : parse_unary(p);
		if (right == NULL || (n = node_new(p, kind)) == NULL) {
			node_free(left);
			node_free(right);
			return NULL;
		}
		n->a = left;
		n->b = right;
		left = n;
	}
	return left;
}

static struct node *
parse_or(struct parser *p)
{
	return parse_binary(p, N_OR);
}

int
filter_expr_compile(const char *text, struct filter_expr **out, struct filter_error *err)
{
	struct parser p = {.s = text ? text : "", .err = err};
	struct filter_expr *e = NULL;
	struct node *root;

	*out = NULL;
	err->msg[0] = '\0';
	err->pos = 0;
	root = parse_or(&p);
	skip_space(&p);
	if (root && p.s[p.pos] != '\0') {
		perror_at(&p, p.pos, "'and', 'or' or the end expected");
		node_free(root);
		root = NULL;
	}
	if (root == NULL) {
		if (p.oom || !err->msg[0]) {
			snprintf(err->msg, sizeof err->msg, "out of memory");
			return -ENOMEM;
		}
		return -EINVAL;
	}
	if ((e = calloc(1, sizeof *e)) == NULL ||
	    (e->md = pcre2_match_data_create(1, NULL)) == NULL ||
	    (e->mc = pcre2_match_context_create(NULL)) == NULL) {
		if (e)
			pcre2_match_data_free(e->md);
		free(e);
		node_free(root);
		snprintf(err->msg, sizeof err->msg, "out of memory");
		return -ENOMEM;
	}
	pcre2_set_match_limit(e->mc, FILTER_MATCH_LIMIT);
	pcre2_set_depth_limit(e->mc, FILTER_MATCH_LIMIT / 10);
	e->root = root;
	*out = e;
	return 0;
}

void
filter_expr_free(struct filter_expr *e)
{
	if (e == NULL)
		return;
	node_free(e->root);
	pcre2_match_data_free(e->md);
	pcre2_match_context_free(e->mc);
	free(e);
}

static const char *
field_value(const struct filter_item *it, enum filter_field f)
{
	switch (f) {
	case FILTER_TITLE: return it->title;
	case FILTER_SUMMARY: return it->summary;
	case FILTER_CONTENT: return it->content;
	case FILTER_AUTHOR: return it->author;
	case FILTER_LINK: return it->link;
	case FILTER_FEED: return it->feed;
	default: return NULL;
	}
}

/* One value against a condition. */
static int
test_value(struct filter_expr *e, const struct node *n, const char *v, const char *folded)
{
	int rc;

	if (v == NULL)
		v = "";
	switch (n->op) {
	case OP_REGEX:
		rc = pcre2_match(n->re, (PCRE2_SPTR)v, strlen(v), 0, 0, e->md, e->mc);
		if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
		    rc == PCRE2_ERROR_HEAPLIMIT)
			e->limited = 1;
		return rc >= 0;
	case OP_EQUAL: return folded && strcmp(folded, n->needle) == 0;
	case OP_CONTAINS: return folded && strstr(folded, n->needle) != NULL;
	}
	return 0;
}

/* A multi-valued field: holds when it holds for one value. */
static int
test_list(struct filter_expr *e, const struct node *n, const char *const *v, size_t nv)
{
	for (size_t i = 0; i < nv; i++) {
		char *f = n->op == OP_REGEX ? NULL : fold(v[i]);
		int hit = test_value(e, n, v[i], f);

		free(f);
		if (hit)
			return 1;
	}
	return nv == 0 ? test_value(e, n, "", "") : 0;
}

static int
eval(struct filter_expr *e, const struct node *n, const struct filter_item *it)
{
	const char *v;

	switch (n->kind) {
	case N_OR: return eval(e, n->a, it) || eval(e, n->b, it);
	case N_AND: return eval(e, n->a, it) && eval(e, n->b, it);
	case N_NOT: return !eval(e, n->a, it);
	case N_COND: break;
	}
	if (n->field == FILTER_CATEGORY)
		return test_list(e, n, it->categories, it->ncategories);
	if (n->field == FILTER_TAG)
		return test_list(e, n, it->tags, it->ntags);
	v = field_value(it, n->field);
	if (n->op != OP_REGEX && e->folded[n->field] == NULL)
		e->folded[n->field] = fold(v);
	/* Out of memory folding: the condition does not hold. */
	return test_value(e, n, v, e->folded[n->field]);
}

int
filter_expr_match(struct filter_expr *e, const struct filter_item *it, int *limited)
{
	int hit;

	e->limited = 0;
	hit = eval(e, e->root, it);
	for (int f = 0; f < FILTER_NFIELDS; f++) {
		free(e->folded[f]);
		e->folded[f] = NULL;
	}
	if (limited)
		*limited = e->limited;
	return hit;
}

/* ---- rules ---- */

static const char *const action_names[] = {
	[FILTER_DO_DROP] = "drop", [FILTER_DO_READ] = "read", [FILTER_DO_STAR] = "star",
	[FILTER_DO_TAG] = "tag",   [FILTER_DO_HIDE] = "hide",
};

const char *
filter_action_name(enum filter_action a)
{
	return (size_t)a < sizeof action_names / sizeof *action_names ? action_names[a] : "?";
}

int
filter_action_parse(const char *s, enum filter_action *action, char **tag)
{
	size_t n;

	*tag = NULL;
	for (size_t i = 0; i < sizeof action_names / sizeof *action_names; i++) {
		n = strlen(action_names[i]);
		if (strncmp(s, action_names[i], n) != 0)
			continue;
		if (i != FILTER_DO_TAG) {
			if (s[n] != '\0')
				continue;
			*action = (enum filter_action)i;
			return 0;
		}
		if (s[n] != ' ' && s[n] != '\t')
			return -EINVAL; /* "tag" alone names no tag */
		for (s += n; *s == ' ' || *s == '\t'; s++)
			;
		if (*s == '\0' || strpbrk(s, " \t,") != NULL)
			return -EINVAL;
		if ((*tag = strdup(s)) == NULL)
			return -ENOMEM;
		*action = FILTER_DO_TAG;
		return 0;
	}
	return -EINVAL;
}

static void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
filter_rule_clear(struct filter_rule *r)
{
	free(r->name);
	free(r->text);
	filter_expr_free(r->match);
	strv_free(r->feeds, r->nfeeds);
	strv_free(r->tags, r->ntags);
	free(r->tag);
	memset(r, 0, sizeof *r);
}

static int
in_scope(const struct filter_rule *r, const struct filter_item *it)
{
	if (r->nfeeds == 0 && r->ntags == 0)
		return 1;
	for (size_t i = 0; i < r->nfeeds; i++)
		if (it->feed && strcmp(r->feeds[i], it->feed) == 0)
			return 1;
	for (size_t i = 0; i < r->ntags; i++)
		for (size_t j = 0; j < it->ntags; j++)
			if (strcmp(r->tags[i], it->tags[j]) == 0)
				return 1;
	return 0;
}

void
filter_apply(struct filter_rule *rules, size_t n, const struct filter_item *it,
	     struct filter_verdict *v)
{
	memset(v, 0, sizeof *v);
	for (size_t i = 0; i < n && !v->drop; i++) {
		struct filter_rule *r = &rules[i];
		int limited = 0;

		if (r->match == NULL || !in_scope(r, it))
			continue;
		if (!filter_expr_match(r->match, it, &limited)) {
			v->limited |= limited;
			continue;
		}
		v->limited |= limited;
		if (v->by == NULL)
			v->by = r->name;
		switch (r->action) {
		case FILTER_DO_DROP: v->drop = 1; break;
		case FILTER_DO_READ: v->read = 1; break;
		case FILTER_DO_STAR: v->star = 1; break;
		case FILTER_DO_HIDE: v->hide = 1; break;
		case FILTER_DO_TAG:
			if (v->ntags < FILTER_MAX_TAGS)
				v->tags[v->ntags++] = r->tag;
			break;
		}
	}
}
