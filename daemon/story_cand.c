/* story_cand: which stories an item is compared with. Comparing against
 * every live story would cost the window's size per item, so the item's
 * rarest terms, its SimHash bands and its link walk their chains (newest
 * first, a few postings each) and credit the stories they meet; only the
 * best TOP_K of those go on to story_match.c's exact comparison. */
#include "story_int.h"

/* The candidate record of story slot s, created on first sight. */
static struct cand *
cand_get(struct story_index *idx, uint32_t s)
{
	uint32_t mask = (1u << CAND_BITS) - 1, h = (s * 0x9e3779b1u) >> (32 - CAND_BITS);

	while (idx->chash[h].stamp == idx->epoch) {
		if (idx->chash[h].slot == s)
			return &idx->cands[idx->chash[h].ci];
		h = (h + 1) & mask;
	}
	idx->chash[h].stamp = idx->epoch;
	idx->chash[h].slot = s;
	idx->chash[h].ci = (uint32_t)idx->ncands;
	idx->cands[idx->ncands] = (struct cand){.slot = s};
	return &idx->cands[idx->ncands++];
}

/* A story is comparable when its items lie within a window of the item. */
static int
story_in_reach(const struct story_index *idx, const struct story *st, int64_t t)
{
	return st->last >= t - (int64_t)idx->p.window && st->first <= t + (int64_t)idx->p.window;
}

/* Walks one term's postings, newest first, crediting each story met. */
static void
walk_postings(struct story_index *idx, const struct tok *tk, double credit)
{
	const struct term *tm = &idx->terms.t[tk->tid];

	for (unsigned k = 0; k < WALK_LIMIT && k < tm->posts.fill; k++) {
		uint32_t seq, slot;
		story_post_get(&idx->pool, &tm->posts, k, &seq, &slot);
		/* Postings are newest first and items expire oldest first. */
		if (seq - idx->head >= idx->n)
			break;
		cand_get(idx, slot)->acc += credit;
	}
}

/* Is seq a live item? Chains run newest first, so the first that is not
 * ends the walk. */
static int
chain_live(const struct story_index *idx, uint32_t seq)
{
	return seq != NONE && seq - idx->head < idx->n;
}

/* Flags the stories of the newest WALK_LIMIT items with the item's link,
 * and of those with a SimHash within the radius sharing one of its bands. */
static void
walk_specials(struct story_index *idx, uint64_t sh, int has_sh)
{
	if (idx->link != 0) {
		const uint32_t *v = story_map_get(&idx->links, idx->link);
		uint32_t seq = v ? *v : NONE;
		for (unsigned k = 0; k < WALK_LIMIT && chain_live(idx, seq); k++) {
			const struct item *it = story_item_at(idx, seq);
			cand_get(idx, it->story)->flags |= C_LINK;
			seq = it->lnext;
		}
	}
	if (!has_sh || idx->p.simhash_radius == 0)
		return;
	uint32_t head[BANDS];
	for (unsigned b = 0; b < BANDS; b++) {
		head[b] = ~*story_band_slot(idx, b, sh);
		if (chain_live(idx, head[b])) /* the four misses overlap */
			__builtin_prefetch(story_item_at(idx, head[b]));
	}
	for (unsigned b = 0; b < BANDS; b++) {
		uint32_t seq = head[b];
		for (unsigned k = 0; k < WALK_LIMIT && chain_live(idx, seq); k++) {
			const struct item *it = story_item_at(idx, seq);
			if (it->has_simhash && (unsigned)__builtin_popcountll(it->simhash ^ sh) <=
						       idx->p.simhash_radius)
				cand_get(idx, it->story)->flags |= C_DUP;
			seq = it->bnext[b];
		}
	}
}

static int
cmp_cand(const struct story_index *idx, const struct cand *x, const struct cand *y)
{
	if ((x->flags != 0) != (y->flags != 0))
		return x->flags ? -1 : 1;
	if (x->acc != y->acc)
		return x->acc > y->acc ? -1 : 1;
	int64_t a = story_slot(idx, x->slot)->id, b = story_slot(idx, y->slot)->id;
	return a < b ? -1 : a > b;
}

/* Collects candidate stories through the item's link, SimHash bands and
 * rarer terms, in that order. */
void
story_gather(struct story_index *idx, int64_t t, uint64_t sh, int has_sh)
{
	uint32_t pick[WALK_TERMS], npick = 0;

	idx->ncands = 0;
	if (++idx->epoch == 0) {
		for (uint32_t h = 0; h < (1u << CAND_BITS); h++)
			idx->chash[h].stamp = 0;
		idx->epoch = 1;
	}
	walk_specials(idx, sh, has_sh);
	/* The rarest terms find the stories worth comparing; common ones
	 * would only lengthen the walk. Ties keep text order (determinism). */
	for (uint32_t i = 0; i < idx->ntoks; i++) {
		const struct tok *tk = &idx->toks[i];
		uint32_t df = idx->terms.t[tk->tid].df, j;
		if (df > DF_CAP)
			continue;
		if (npick == WALK_TERMS && df >= idx->terms.t[idx->toks[pick[npick - 1]].tid].df)
			continue;
		j = npick < WALK_TERMS ? npick++ : npick - 1;
		while (j > 0 && idx->terms.t[idx->toks[pick[j - 1]].tid].df > df) {
			pick[j] = pick[j - 1];
			j--;
		}
		pick[j] = i;
	}
	/* Memory misses overlap when started together, before they are needed. */
	for (uint32_t i = 0; i < npick; i++) {
		const struct term *tm = &idx->terms.t[idx->toks[pick[i]].tid];
		story_post_prefetch(&idx->pool, &tm->posts);
	}
	for (uint32_t i = 0; i < npick; i++) {
		const struct tok *tk = &idx->toks[pick[i]];
		walk_postings(idx, tk, tk->idf * tk->q);
	}
	for (size_t i = 0; i < idx->ncands; i++)
		__builtin_prefetch(story_slot(idx, idx->cands[i].slot));
	/* Keep the TOP_K best in order: insertion into a short sorted prefix. */
	size_t k = 0;
	for (size_t i = 0; i < idx->ncands; i++) {
		struct cand c = idx->cands[i];
		if (!story_in_reach(idx, story_slot(idx, c.slot), t))
			continue;
		if (k == TOP_K && cmp_cand(idx, &c, &idx->cands[k - 1]) >= 0)
			continue;
		size_t j = k < TOP_K ? k++ : k - 1;
		while (j > 0 && cmp_cand(idx, &c, &idx->cands[j - 1]) < 0) {
			idx->cands[j] = idx->cands[j - 1];
			j--;
		}
		idx->cands[j] = c;
	}
	idx->ncands = k;
	for (size_t i = 0; i < k; i++) {
		const struct story_vec *sv = &story_slot(idx, idx->cands[i].slot)->vec;
		if (sv->v != NULL) /* the comparisons stream the vectors from here */
			__builtin_prefetch(sv->v);
	}
}
