/* story_post: a term's newest postings (item seq and, for content terms, the
 * item's story slot). The candidate walk looks at STORY_POST_RING postings
 * of a term at most, so only that many are kept, in a ring: a walk reads one
 * block instead of chasing a chain through memory, and older postings need
 * no unlinking. Most terms occur once: the first posting sits in the term's
 * own record, a second one moves both into a block from the pool.
 *
 * Ownership: the pool and the records are values the caller zero-initialises;
 * story_post_clear() gives a record's block back, story_post_pool_free()
 * frees the pool. */
#ifndef HERALD_STORY_POST_H
#define HERALD_STORY_POST_H

#include <stdint.h>

#define STORY_POST_RING 8

struct story_post_block {
	uint32_t seq[STORY_POST_RING];
	uint32_t slot[STORY_POST_RING];
};

struct story_post_pool {
	struct story_post_block *blocks; /* free ones chained through seq[0] */
	uint32_t cap, used, free, nfree;
};

struct story_posts {
	uint32_t blk;         /* 1 + its block, or 0 while it has one posting */
	uint32_t seq0, slot0; /* that posting */
	uint8_t pos, fill;    /* next ring position; postings held */
};

/* At least n free blocks, so that n pushes cannot fail. 0 or -1 (out of
 * memory; the pool is unchanged). */
int story_post_reserve(struct story_post_pool *pool, uint32_t n);

/* Adds the newest posting (a block reserved). */
void story_post_push(struct story_post_pool *pool, struct story_posts *ps, uint32_t seq,
		     uint32_t slot);

/* The posting of item seq (if still kept) now carries slot. */
void story_post_relabel(struct story_post_pool *pool, struct story_posts *ps, uint32_t seq,
			uint32_t slot);

/* Empties the record and gives its block back. */
void story_post_clear(struct story_post_pool *pool, struct story_posts *ps);

void story_post_pool_free(struct story_post_pool *pool);

/* The k-th newest posting (k < fill). Inline: the walk's inner loop. */
static inline void
story_post_get(const struct story_post_pool *pool, const struct story_posts *ps, unsigned k,
	       uint32_t *seq, uint32_t *slot)
{
	if (ps->blk == 0) {
		*seq = ps->seq0;
		*slot = ps->slot0;
	} else {
		unsigned p = (ps->pos - 1u - k) & (STORY_POST_RING - 1);
		*seq = pool->blocks[ps->blk - 1].seq[p];
		*slot = pool->blocks[ps->blk - 1].slot[p];
	}
}

/* Starts loading the record's block. */
static inline void
story_post_prefetch(const struct story_post_pool *pool, const struct story_posts *ps)
{
	if (ps->blk != 0)
		__builtin_prefetch(&pool->blocks[ps->blk - 1]);
}

#endif
