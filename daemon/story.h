/* story: fold items that tell the same event into one story (docs/stories.md).
 *
 * Pure and in memory: no loop, no I/O, no SQLite. Online and deterministic:
 * each item is assigned once, in arrival order, from the item and the index's
 * state alone. The index keeps the items of the last `window` seconds (of the
 * newest item time seen) and the stories they belong to; older items expire,
 * so memory is bounded by the window and the cost per item stays flat.
 *
 * Ownership: story_new() returns an index the caller frees with story_free().
 * Inputs are borrowed for the duration of the call only. The merged list in a
 * story_result belongs to the index and is valid until the next call. */
#ifndef HERALD_STORY_H
#define HERALD_STORY_H

#include <stddef.h>
#include <stdint.h>

/* Defaults (config keys fold_window, fold_max_items, fold_threshold,
 * fold_merge_threshold, fold_simhash_radius, fold_language must use the
 * same). */
#define STORY_DEFAULT_WINDOW          (72 * 3600)
#define STORY_DEFAULT_MAX_ITEMS       50000
#define STORY_MAX_ITEMS_LIMIT         10000000
#define STORY_DEFAULT_THRESHOLD       0.155
#define STORY_DEFAULT_MERGE_THRESHOLD 0.20
#define STORY_DEFAULT_SIMHASH_RADIUS  3
#define STORY_DEFAULT_LANGUAGE        "english"
#define STORY_DEFAULT_GUARD           0.03
#define STORY_DEFAULT_CONFLICT_GUARD  0.60
#define STORY_DEFAULT_NUMBER_GUARD    0.03
#define STORY_DEFAULT_PAIR_THRESHOLD  0.28
#define STORY_DEFAULT_CROSS_BONUS     0.16
#define STORY_DEFAULT_TIME_GUARD      0.30
#define STORY_TIME_SLACK              (12 * 3600) /* seconds apart that cost nothing */

struct story_params {
	unsigned window;         /* seconds; items older than newest - window expire */
	unsigned max_items;      /* 0, or the most items kept: the oldest expire early,
				  * so memory stays bounded however many feeds there are */
	double threshold;        /* join the best story at this similarity (0..1] */
	double merge_threshold;  /* merge two stories both this close to the item */
	unsigned simhash_radius; /* near-duplicate text within this many bits (0..3) */
	const char *language;    /* Snowball stemmer for Latin text: "english", ... */
	double guard;            /* similarity lost per title name a story never saw */
	double number_guard;     /* ...and per title number it never saw */
	double conflict_guard;   /* lost when, besides, the story has a core name the item lacks */
	double pair_threshold;   /* ...and merge only stories this close to each other */
	double cross_bonus;      /* added when the item's language is none of the story's:
				  * fewer of its words can meet the story's */
	double time_guard;       /* lost per STORY_TIME_SLACK the item lies beyond
				  * STORY_TIME_SLACK from the story's items' times */
	const char *lexicon;     /* NULL, or the bilingual table to load (story_text.h) */
};

struct story_input {
	int64_t item_id;
	int64_t time;     /* Unix seconds: published, else fetch time */
	const char *feed; /* outlet key, may be NULL */
	const char *title;
	const char *text; /* plain summary/lead text, may be NULL */
	const char *link; /* may be NULL */
	const char *lang; /* the feed's declared language ("de", "ru-RU", ...), may be
			   * NULL or "": then it is detected from the text */
};

struct story_result {
	int64_t story_id;
	const int64_t *merged; /* ids merged INTO story_id by this item */
	size_t nmerged;
};

struct story_index;

/* The defaults above. */
struct story_params story_params_default(void);

/* Returns a new index, or NULL with a reason in err (unknown language,
 * out-of-range parameter, out of memory). params is copied. */
struct story_index *story_new(const struct story_params *params, char *err, size_t errlen);

void story_free(struct story_index *idx);

/* Assigns the item to a story: an existing one it matches, or a new one with
 * the next id. Returns 0, or -1 (out of memory; see story_error()) leaving
 * the index as it was. */
int story_assign(struct story_index *idx, const struct story_input *in, struct story_result *out);

/* Re-adds an item whose story is known (the daemon's restart: replay the
 * items of the last window in time order). Creates the story if needed and
 * keeps the next id above it. 0 or -1. */
int story_restore(struct story_index *idx, const struct story_input *in, int64_t story_id);

/* Ids of new stories start here (the daemon seeds it from the store). Ids are
 * >= 1; a value at or below an id already used is ignored. */
void story_set_next_id(struct story_index *idx, int64_t next_id);

/* Items and stories currently in the window. */
size_t story_count_items(const struct story_index *idx);
size_t story_count_stories(const struct story_index *idx);

/* The reason for the last failure. Borrowed. */
const char *story_error(const struct story_index *idx);

#endif
