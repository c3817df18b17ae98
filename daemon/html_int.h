/* html_int: what the sanitizer's files share (internal to html; see html.h).
 *
 * html.c       the policy tables, the walk that writes sanitized HTML and
 *              text from a tree, and the API;
 * html_gumbo.c gumbo bounded: its memory arena and the depth pre-scan;
 * html_fast.c  the fast path: the tree of simple markup built directly;
 * html_css.c   the CSS rule for style attributes (html_clean_style).
 *
 * Trees (gumbo's or the fast path's) live in an html_arena and are freed
 * with it, by html_arena_free, never node by node. */
#ifndef HERALD_HTML_INT_H
#define HERALD_HTML_INT_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <gumbo.h>

#include "buf.h"
#include "html.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Whether s is in the sorted set of n strings. */
int html_in_set(const char *const *set, size_t n, const char *s);
#define IN(set, s) html_in_set(set, NITEMS(set), s)

/* ---------------------------------------------------------------- byte scans */

/* Text is scanned a word (8 bytes) at a time for the bytes that need a
 * closer look, which are then looked at one by one. A test may flag a byte
 * that needs nothing (a false alarm only costs the closer look), never
 * miss one; it says only whether the word holds such a byte, not where, so
 * byte order does not matter. */
#define SWAR_ONES  0x0101010101010101ULL
#define SWAR_HIGHS 0x8080808080808080ULL

static inline uint64_t
swar_load(const char *s)
{
	uint64_t w;

	memcpy(&w, s, sizeof w);
	return w;
}

/* Nonzero when some byte of w is below c (c <= 0x80). */
static inline uint64_t
swar_below(uint64_t w, unsigned char c)
{
	return (w - SWAR_ONES * c) & ~w & SWAR_HIGHS;
}

/* Nonzero when some byte of w is c. */
static inline uint64_t
swar_eq(uint64_t w, unsigned char c)
{
	return swar_below(w ^ (SWAR_ONES * c), 1);
}

/* CSS and URL white space. */
static inline int
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* ---------------------------------------------------------------- arena */

/* gumbo's memory comes from an arena: parsing makes many small allocations,
 * freeing the whole tree is one walk of the chunk list instead of gumbo's
 * recursive destroy (which a deep tree would overflow), and the arena caps
 * the parser's memory. gumbo cannot report a failed allocation, so a failure
 * jumps back out of gumbo_parse to html_parse_fragment; gumbo holds nothing but
 * arena memory, so nothing leaks. */

struct html_chunk {
	struct html_chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

/* Freed blocks go to a free list per power-of-two size class, so gumbo's
 * grow-by-copy buffers reuse memory as they would with malloc. */
#define ARENA_CLASSES 48

struct html_arena {
	struct html_chunk *head;
	size_t total;
	jmp_buf *jump; /* in the frame of the parse running, else NULL */
	void *free[ARENA_CLASSES];
	unsigned allocs; /* since the parse started */
};

/* gumbo's allocator and deallocator (ud is the arena); html_arena_alloc
 * jumps to *a->jump when the arena is over HTML_MAX_PARSE_MEM, or returns
 * NULL when no parse is running. */
void *html_arena_alloc(void *ud, size_t n);
void html_arena_free_one(void *ud, void *ptr);
/* Frees every block at once; the arena can be used again. */
void html_arena_free(struct html_arena *a);

/* in[0..len) parsed by gumbo as the children of a <body>, in the arena;
 * NULL when the arena ran out. */
GumboOutput *html_parse_fragment(struct html_arena *a, const char *in, size_t len);

/* The pre-scan (html_gumbo.c), run before gumbo parses s: *cut is the
 * length of the part of s gumbo may take: n, or less when the tree
 * builder's nesting would pass the pre-scan limit (HTML_CUT_DEPTH) or a
 * start tag is past HTML_MAX_ELEMENTS (HTML_CUT_ELEMENTS). When some start
 * tag has attributes gumbo is not to see (past HTML_MAX_ATTRS; any on html
 * or body), *filtered holds s[0..*cut) without them (free it with
 * buf_free); else it is left empty (data NULL). Returns HTML_CUT_NONE or
 * the reason of the cut, or -1 when memory runs out. */
enum { HTML_CUT_NONE = 0, HTML_CUT_DEPTH, HTML_CUT_ELEMENTS };
int html_prescan(const char *s, size_t n, size_t *cut, struct buf *filtered);

/* The fast path (html_fast.c): the children of the tree of in, built in the
 * arena, when in is simple markup; NULL otherwise (then gumbo parses it). */
const GumboVector *html_fast_parse(struct html_arena *a, const char *in, size_t len);

/* ---------------------------------------------------------------- walk */

/* One sanitizing walk (html.c): html_clean, html_clean_gumbo and
 * html_to_text each fill one in their frame and run it. */
struct html_walk {
	struct buf *html;         /* NULL: text only; borrowed */
	int no_fast;              /* always parse with gumbo (html_clean_gumbo) */
	struct buf text;          /* the text rendering; the caller frees it */
	const char *base;         /* borrowed */
	struct html_arena *arena; /* the tree's, while html_walk_run runs; else NULL */
	int depth;
	int lenient;         /* text only: skip what is too deep instead of failing */
	int pre;             /* inside <pre>: text whitespace kept */
	int nl, sp;          /* pending newlines (0..2) and space in the text */
	int ol;              /* next number in the innermost <ol>, 0 in a <ul> */
	size_t reparse_left; /* bytes of iframe fallback still to parse again */
	const char *error;   /* why the walk stopped */
};

/* Parses in (len bytes; the fast path unless w->no_fast, else gumbo) and
 * walks the tree into w->html and w->text. 0, or -1 with w->error set. */
int html_walk_run(struct html_walk *w, const char *in, size_t len);

#endif
