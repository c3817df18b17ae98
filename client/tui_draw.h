/* tui_draw: herald tui's state and how it is drawn. tui.c owns the loop
 * (keys, requests, answers); this file turns the state into the screen:
 * a title bar, the view, a message line and the key help line. Everything
 * is measured in terminal cells (tui_text.h), cut with an ellipsis, never
 * wrapped by the terminal: any width from 40 columns up fits (narrower
 * works, with less shown). */
#ifndef HERALD_CLIENT_TUI_DRAW_H
#define HERALD_CLIENT_TUI_DRAW_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>
#include <time.h>

#include "textdoc.h"
#include "util.h"
#include "wire.h"

#define TUI_MIN_COLUMN 36 /* cells of an outlet's column side by side */

enum tview { TV_STORIES, TV_STORY, TV_FEEDS, TV_SEARCH, TV_HELP };

/* A list view's records and where the cursor is. */
struct tlist {
	struct response resp; /* owned */
	int cur, top;
	int loaded; /* an answer has arrived */
};

enum tattr { TA_TEXT, TA_TITLE, TA_HEAD, TA_META, TA_LINK };

struct tline {
	char *s; /* owned, one screen line */
	int attr;
	int outlet; /* the outlet (item) it belongs to, -1 for the story's header */
};

struct tdoc {
	struct tline *l;
	int n, cap;
};

enum tprompt { TP_NONE, TP_SEARCH, TP_LINK };

struct tui {
	enum tview view;
	enum tview back[8]; /* where q goes */
	int nback;
	int color; /* colors in use */

	struct tlist stories; /* unread stories first, then read ones */
	char *feed;           /* the stories of one feed (feeds view, Enter), or NULL */
	int hide_read;
	struct tlist feeds;
	struct tlist search;
	char *query;

	struct response story; /* show ID: the story record, then its items */
	/* Each item's HTML as text with its links (show --item, as they
	 * arrive; an empty one falls back to the item's plain text). */
	struct textdoc *bodies;
	size_t nbodies;
	long long story_id;
	int story_loaded;
	int sbs;          /* outlets side by side (else one after another) */
	int sbs_pending;  /* sbs is chosen when the story arrives (wide enough for two) */
	int first_outlet; /* side by side: the leftmost one shown */
	int scroll;
	/* The story laid out for a width: docs[0] stacked, or one per outlet. */
	struct tdoc *docs;
	int ndocs, doc_width, doc_sbs;
	long long doc_story;
	int help_scroll;

	enum tprompt prompt;
	struct sb input;

	char msg[320];
	int msg_err;
	int down;    /* the daemon did not answer the last request */
	int spinner; /* -1: no request slow enough to show one */
	time_t now;
};

/* Sets up the color pairs (after start_color's checks: has_colors()). */
void tdraw_init_colors(void);
/* Draws the whole screen. */
void tdraw(struct tui *t);
/* Lays out the story for the current size (a no-op when it already is). */
void tdraw_layout_story(struct tui *t);
void tdraw_free_docs(struct tui *t);
/* Content rows between the title bar and the two bottom lines. */
int tdraw_body_rows(void);
/* Rows of one entry of a list view (search results take two). */
int tdraw_row_height(enum tview v);
/* The outlet in focus in the story view (the leftmost side by side, the
 * one at the top one after another): the one o and 1-9 open links of. */
int tdraw_focused_outlet(struct tui *t);
/* The scroll limit of the story view. */
int tdraw_story_max_scroll(struct tui *t);
/* Help lines for the help view, and the one-line hint of a view. */
int tdraw_help_lines(void);

/* "5m", "3h", "2d", "Nov 20" or "2024": at most 6 cells. */
const char *tdraw_age(long long t, time_t now, char *buf, size_t n);
/* A field of a record ("" when absent), as a number (0 when absent). */
const char *tget(const struct record *r, const char *key);
long long tnum(const struct record *r, const char *key);

#endif
