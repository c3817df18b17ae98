/* filter: rules that act on an item before it is stored and folded
 * (issue #25, docs/configuration.md "Filter rules"). Pure: PCRE2 and
 * utf8proc, no loop, no I/O, no SQL.
 *
 * A rule's match expression:
 *
 *   expr  := and ('or' and)*
 *   and   := unary ('and' unary)*
 *   unary := 'not' unary | '(' expr ')' | FIELD OP VALUE
 *   FIELD := title | summary | content | author | category | link | feed | tag
 *   OP    := '~' /REGEX/FLAGS | '=' STRING | 'contains' STRING
 *
 * STRING is "double-quoted" (\" and \\ inside) or one bare word. '=' and
 * 'contains' compare case-insensitively (Unicode case folding); a regex is
 * PCRE2 in UTF mode, case-sensitive unless its flags say i (also m, s, x).
 * category and tag hold several values: a condition on them holds when it
 * holds for one. A missing field is the empty string.
 *
 * A compiled expression is used by one thread at a time (it owns PCRE2
 * match data). */
#ifndef HERALD_FILTER_H
#define HERALD_FILTER_H

#include <stddef.h>

/* Backtracking steps one regex may take on one field: past it the
 * condition does not hold and the match says it was cut short. */
#define FILTER_MATCH_LIMIT 200000u

enum filter_field {
	FILTER_TITLE,
	FILTER_SUMMARY,
	FILTER_CONTENT,
	FILTER_AUTHOR,
	FILTER_CATEGORY,
	FILTER_LINK,
	FILTER_FEED,
	FILTER_TAG,
	FILTER_NFIELDS
};

/* What an item offers to rules; every string borrowed, NULL is empty. */
struct filter_item {
	const char *title, *summary, *content, *author, *link, *feed;
	const char *const *categories;
	size_t ncategories;
	const char *const *tags; /* its feed's tags */
	size_t ntags;
};

/* Why an expression did not compile: msg, and the byte offset in the
 * expression where the problem is (pos). */
struct filter_error {
	size_t pos;
	char msg[200];
};

struct filter_expr;

/* Compiles text. 0 and *out (free with filter_expr_free), or -EINVAL with
 * the reason in err (or -ENOMEM). */
int filter_expr_compile(const char *text, struct filter_expr **out, struct filter_error *err);
void filter_expr_free(struct filter_expr *e);

/* 1 when it matches it, else 0. *limited (may be NULL) is set to 1 when a
 * regex hit FILTER_MATCH_LIMIT (that condition counted as not holding). */
int filter_expr_match(struct filter_expr *e, const struct filter_item *it, int *limited);

enum filter_action {
	FILTER_DO_DROP, /* never stored */
	FILTER_DO_READ, /* stored read */
	FILTER_DO_STAR, /* stored starred */
	FILTER_DO_TAG,  /* stored with a tag of the rule's */
	FILTER_DO_HIDE  /* stored, neither listed nor folded */
};

/* "drop", "read", "star", "hide" or "tag NAME": 0 with *action (and *tag,
 * malloc'd, for tag), or -EINVAL. */
int filter_action_parse(const char *s, enum filter_action *action, char **tag);
const char *filter_action_name(enum filter_action a);

/* One [filter "NAME"] section. feeds and tags scope it (none: every feed);
 * config owns the strings. */
struct filter_rule {
	char *name;
	char *text; /* the match expression as written */
	struct filter_expr *match;
	char **feeds;
	size_t nfeeds;
	char **tags;
	size_t ntags;
	enum filter_action action;
	char *tag; /* FILTER_DO_TAG's */
	unsigned line;
};

void filter_rule_clear(struct filter_rule *r);

/* What the rules that match an item do to it, in their order. */
#define FILTER_MAX_TAGS 16
struct filter_verdict {
	unsigned drop : 1, read : 1, star : 1, hide : 1;
	unsigned limited : 1;              /* some regex was cut short */
	const char *tags[FILTER_MAX_TAGS]; /* borrowed from the rules */
	size_t ntags;
	const char *by; /* the first matching rule's name, or NULL */
};

/* Applies rules[0..n) to it (a rule applies when it is in scope: its feeds
 * name it->feed, or its tags one of it->tags, or it has neither). */
void filter_apply(struct filter_rule *rules, size_t n, const struct filter_item *it,
		  struct filter_verdict *v);

#endif
