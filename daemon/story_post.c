/* story_post: see story_post.h. */
#include "story_post.h"

#include <stdlib.h>

int
story_post_reserve(struct story_post_pool *pool, uint32_t n)
{
	if (pool->nfree + (pool->cap - pool->used) >= n)
		return 0;
	uint32_t nc = pool->cap ? pool->cap + pool->cap / 2 : 1024;
	while (nc - pool->used + pool->nfree < n)
		nc += nc / 2;
	struct story_post_block *b = realloc(pool->blocks, (size_t)nc * sizeof(*b));
	if (b == NULL)
		return -1;
	pool->blocks = b;
	pool->cap = nc;
	return 0;
}

static uint32_t
block_take(struct story_post_pool *pool)
{
	uint32_t b;

	if (pool->nfree > 0) {
		b = pool->free;
		pool->free = pool->blocks[b].seq[0];
		pool->nfree--;
	} else {
		b = pool->used++;
	}
	return b;
}

void
story_post_push(struct story_post_pool *pool, struct story_posts *ps, uint32_t seq, uint32_t slot)
{
	if (ps->fill == 0) {
		ps->seq0 = seq;
		ps->slot0 = slot;
		ps->fill = 1;
		ps->pos = 1;
		return;
	}
	if (ps->blk == 0) {
		ps->blk = block_take(pool) + 1;
		pool->blocks[ps->blk - 1].seq[0] = ps->seq0;
		pool->blocks[ps->blk - 1].slot[0] = ps->slot0;
	}
	struct story_post_block *b = &pool->blocks[ps->blk - 1];
	b->seq[ps->pos] = seq;
	b->slot[ps->pos] = slot;
	ps->pos = (ps->pos + 1) & (STORY_POST_RING - 1);
	if (ps->fill < STORY_POST_RING)
		ps->fill++;
}

void
story_post_relabel(struct story_post_pool *pool, struct story_posts *ps, uint32_t seq,
		   uint32_t slot)
{
	if (ps->blk == 0) {
		if (ps->fill && ps->seq0 == seq)
			ps->slot0 = slot;
		return;
	}
	/* While the ring is not full, its postings sit at 0 .. fill - 1. */
	struct story_post_block *b = &pool->blocks[ps->blk - 1];
	for (unsigned k = 0; k < ps->fill; k++)
		if (b->seq[k] == seq)
			b->slot[k] = slot;
}

void
story_post_clear(struct story_post_pool *pool, struct story_posts *ps)
{
	if (ps->blk != 0) {
		pool->blocks[ps->blk - 1].seq[0] = pool->free;
		pool->free = ps->blk - 1;
		pool->nfree++;
	}
	*ps = (struct story_posts){0};
}

void
story_post_pool_free(struct story_post_pool *pool)
{
	free(pool->blocks);
	*pool = (struct story_post_pool){0};
}
