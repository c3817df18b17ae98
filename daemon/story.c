/* story: online story folding (see story.h and docs/stories.md).
 *
 * This file keeps the index's state: the item ring and its term arena, the
 * term table with its postings, the stories with their summed vectors, and
 * the expiry, merging and insertion that keep them consistent; and it holds
 * the public entry points. Which stories an item is compared with is
 * story_cand.c's concern, how close it is to each and where it goes
 * story_match.c's; the layout they all share is in story_int.h. */
#include "story.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "story_int.h"
#include "url.h"

/* ---- the item's terms ---- */

/* Fills idx->toks with the item's content terms and its SimHash. */
static int
analyze(struct story_index *idx, const struct story_input *in, uint64_t *sh, int *has_sh)
{
	struct story_term t[STORY_TEXT_TERMS];
	uint32_t n;

	if (story_text_analyze(idx->text, in->title, in->text, in->lang, t, &n, sh, has_sh) < 0)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		idx->toks[i] = (struct tok){.key = t[i].key,
					    .w = t[i].w,
					    .flags = ((t[i].flags & STORY_TEXT_NAME) ? F_NAME : 0) |
						     ((t[i].flags & STORY_TEXT_NUM) ? F_NUM : 0)};
	idx->ntoks = n;
	return 0;
}

/* The hash of the item's canonical link, or 0. */
static uint64_t
link_key(const struct story_input *in)
{
	uint64_t key = 0;

	if (in->link && *in->link) {
		char *c = url_canonical(in->link);
		if (c != NULL) {
			key = story_fnv64(c, strlen(c), 0x1234567887654321ULL);
			free(c);
		}
	}
	return key;
}

/* ---- items, terms, stories ---- */

/* Distance of physical index p after the arena's head. */
static uint32_t
arena_dist(const struct story_index *idx, uint32_t p)
{
	return p >= idx->arena_head ? p - idx->arena_head : p + idx->arena_cap - idx->arena_head;
}

static int
arena_live(const struct story_index *idx, uint32_t ref)
{
	return ref != NONE && arena_dist(idx, ref) < idx->arena_used;
}

/* A reference after the wrapped start of the live range moved past the old
 * end (cap): live ones before the head shift by cap, dead ones end. */
static uint32_t
arena_shift(const struct story_index *idx, uint32_t ref, uint32_t cap)
{
	if (!arena_live(idx, ref))
		return NONE;
	return ref < idx->arena_head ? ref + cap : ref;
}

/* Grows the arena by a quarter when n more terms (and their padding) might
 * not fit. realloc() keeps big blocks in place (mremap), so the peak is not
 * old + new; a wrapped live range then has its start moved past the old end,
 * and the items whose terms lie in that part move by the old capacity. */
static int
arena_reserve(struct story_index *idx, uint32_t n)
{
	uint32_t cap = idx->arena_cap, nc = cap ? cap : 4096, wrap = 0;

	while ((uint64_t)idx->arena_used + 2 * n + 1 > nc)
		nc += nc / 4;
	if (nc == cap)
		return 0;
	if (idx->arena_head + idx->arena_used > cap)
		wrap = idx->arena_head + idx->arena_used - cap;
	if (nc < cap + wrap)
		nc = cap + wrap;
	if (nc > 1u << 31) { /* item offsets have 31 bits */
		snprintf(idx->err, sizeof(idx->err), "story: too many terms in the window");
		return -1;
	}
	iterm *a = realloc(idx->arena, (size_t)nc * sizeof(*a));
	if (a == NULL) {
		snprintf(idx->err, sizeof(idx->err), "story: out of memory growing the postings");
		return -1;
	}
	idx->arena = a;
	if (wrap > 0) {
		for (uint32_t i = 0; i < idx->n; i++) {
			struct item *it = story_item_at(idx, idx->head + i);
			it->off = arena_shift(idx, it->off, cap);
		}
		memcpy(&a[cap], &a[0], (size_t)wrap * sizeof(*a));
	}
	idx->arena_cap = nc;
	return 0;
}

/* Where the next n postings go: after the live ones, or at the start when
 * they would cross the end (the gap is padding, freed with the item). */
static uint32_t
arena_next(const struct story_index *idx, uint32_t n)
{
	uint32_t off = idx->arena_head + idx->arena_used;

	if (off >= idx->arena_cap)
		off -= idx->arena_cap;
	return off + n > idx->arena_cap ? 0 : off;
}

static int
ring_reserve(struct story_index *idx)
{
	if (idx->n < idx->ring_cap)
		return 0;
	if (idx->ring_cap >= (1u << SEQ_BITS) / 2) {
		snprintf(idx->err, sizeof(idx->err), "story: more than %u items in the window",
			 idx->ring_cap);
		return -1;
	}
	uint32_t nc = idx->ring_cap ? idx->ring_cap * 2 : 1024;
	/* An item per cache line: the walks touch items at random. */
	struct item *r = aligned_alloc(64, (size_t)nc * sizeof(*r));
	if (r == NULL)
		goto oom;
	for (uint32_t i = 0; i < idx->n; i++)
		r[(idx->head + i) & (nc - 1)] = *story_item_at(idx, idx->head + i);
	free(idx->ring);
	idx->ring = r;
	idx->ring_cap = nc;
	return 0;
oom:
	snprintf(idx->err, sizeof(idx->err), "story: out of memory growing the item ring");
	return -1;
}

/* Room for more new terms, before anything changes. */
static int
tab_reserve(struct story_index *idx, uint32_t more)
{
	struct termtab *tab = &idx->terms;

	if (story_map_grow(&tab->map, tab->map.n + more) < 0)
		goto oom;
	if (tab->nfree < more && tab->used + more > tab->cap) {
		uint32_t nc = tab->cap ? tab->cap * 2 : 1024;
		while (nc < tab->used + more)
			nc *= 2;
		if (nc > TID_MASK + 1u) {
			snprintf(idx->err, sizeof(idx->err), "story: too many distinct terms");
			return -1;
		}
		struct term *t = realloc(tab->t, (size_t)nc * sizeof(*t));
		if (t == NULL)
			goto oom;
		tab->t = t;
		uint32_t *fr = realloc(tab->free, (size_t)nc * sizeof(*fr));
		if (fr == NULL)
			goto oom;
		tab->free = fr;
		double *l = realloc(tab->ldf, (size_t)nc * sizeof(*l));
		if (l == NULL)
			goto oom;
		tab->ldf = l;
		tab->cap = nc;
	}
	return 0;
oom:
	snprintf(idx->err, sizeof(idx->err), "story: out of memory growing the term table");
	return -1;
}

static double
ldf_of(const struct story_index *idx, uint32_t df)
{
	return df < LDF_TABLE ? idx->ldf_small[df] : log(df + 0.5);
}

/* Looks up or creates each token's term and counts the item in its df. */
static void
terms_count(struct story_index *idx)
{
	struct termtab *tab = &idx->terms;

	/* The lookups are independent: start all their cache misses first. */
	for (uint32_t i = 0; i < idx->ntoks; i++)
		story_map_prefetch(&tab->map, idx->toks[i].key);
	for (uint32_t i = 0; i < idx->ntoks; i++) {
		struct tok *t = &idx->toks[i];
		uint32_t *v = story_map_get(&tab->map, t->key);
		if (v == NULL) {
			uint32_t id = tab->nfree ? tab->free[--tab->nfree] : tab->used++;
			tab->t[id] = (struct term){.key = t->key};
			tab->ldf[id] = ldf_of(idx, 0);
			story_map_put(&tab->map, t->key, id);
			t->tid = id;
		} else {
			t->tid = *v;
			__builtin_prefetch(&tab->t[t->tid], 1);
		}
	}
	for (uint32_t i = 0; i < idx->ntoks; i++)
		tab->t[idx->toks[i].tid].df++;
	/* The terms in term id order, for merging with story vectors: sorted
	 * as tid << 8 | index, so the sort compares plain numbers. */
	uint64_t k[MAX_TERMS];
	for (uint32_t i = 0; i < idx->ntoks; i++) {
		uint64_t x = (uint64_t)idx->toks[i].tid << 8 | i;
		uint32_t j = i;
		for (; j > 0 && k[j - 1] > x; j--)
			k[j] = k[j - 1];
		k[j] = x;
	}
	for (uint32_t i = 0; i < idx->ntoks; i++)
		idx->byid[i] = (uint8_t)(k[i] & 0xff);
	idx->nbyid = idx->ntoks;
}

static void
term_release(struct story_index *idx, uint32_t tid)
{
	struct termtab *tab = &idx->terms;
	struct term *t = &tab->t[tid];

	if (--t->df > 0)
		return;
	story_post_clear(&idx->pool, &t->posts);
	story_map_del(&tab->map, t->key);
	tab->free[tab->nfree++] = tid;
}

/* One story more (d = 1) or fewer (-1) holds term tid. */
static void
sdf_move(struct story_index *idx, uint32_t tid, int d)
{
	struct term *t = &idx->terms.t[tid];

	if (d < 0 && t->sdf == 0) /* a rounding residue outliving its term: never wrap */
		return;
	t->sdf += (uint32_t)d;
	idx->terms.ldf[tid] = ldf_of(idx, t->sdf);
}

/* Adds (sign > 0) or removes an item's weights to a story vector, and
 * counts the story in or out of the sdf of the terms it gains or loses. An
 * item keeps its terms in term id order. A story's first item and its last
 * are neither added nor removed: such a story has no vector. */
static void
vec_apply(struct story_index *idx, struct story *st, const iterm *tw, unsigned nterms, int sign,
	  float scale)
{
	struct story_vdelta d[MAX_TERMS] = {{0}}; /* (gcc cannot see nterms <= MAX_TERMS) */
	uint8_t moved[MAX_TERMS];
	unsigned m = 0;

	st->norm_n = 0;
	/* A story's first item brings all its terms, its last takes them. */
	if ((sign > 0 && st->nitems == 0) || (sign < 0 && story_implicit(st))) {
		for (unsigned i = 0; i < nterms; i++)
			sdf_move(idx, tw[i] & TID_MASK, sign);
		return;
	}
	for (; m < nterms; m++)
		d[m] = (struct story_vdelta){tw[m] & TID_MASK, story_item_weight(idx, tw[m], scale),
					     (tw[m] & F_NAME) != 0};
	if (sign > 0)
		story_vec_add(&st->vec, d, m, moved);
	else
		story_vec_sub(&st->vec, d, m, moved);
	for (unsigned i = 0; i < m; i++)
		if (moved[i])
			sdf_move(idx, tw[i] & TID_MASK, sign);
}

/* 1 / the length of the item's TF vector, summed in text order. */
static float
item_scale(const struct story_index *idx)
{
	double s = 0;

	for (unsigned i = 0; i < idx->ntoks; i++) {
		double x = idx->wlog[idx->toks[i].w & W_MAX];
		s += x * x;
	}
	return s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
}

/* Room in story st for the item's terms it lacks. A story of one item
 * gets its own vector first (the same values), so item_insert() cannot
 * fail. */
static int
vec_reserve(struct story_index *idx, struct story *st)
{
	uint32_t tid[MAX_TERMS] = {0}; /* (gcc cannot see nbyid <= MAX_TERMS) */

	if (st->nitems == 0)
		return 0;
	const struct story_vec *sv = story_vec_of(idx, st, 0);
	for (uint32_t j = 0; j < idx->nbyid; j++)
		tid[j] = idx->toks[idx->byid[j]].tid;
	uint32_t more = story_vec_missing(sv, tid, idx->nbyid);
	if (sv != &st->vec) {
		struct story_vec own = {0};
		if (story_vec_reserve(&own, sv->nv + more) < 0)
			goto oom;
		if (sv->nv > 0)
			memcpy(own.v, sv->v, sv->nv * sizeof(*sv->v));
		own.nv = sv->nv;
		st->vec = own;
		return 0;
	}
	if (story_vec_reserve(&st->vec, more) < 0)
		goto oom;
	return 0;
oom:
	snprintf(idx->err, sizeof(idx->err), "story: out of memory growing a story");
	return -1;
}

/* A new empty story in a free slot; returns the slot or NONE. */
static uint32_t
story_create(struct story_index *idx, int64_t id)
{
	uint32_t s;

	if (idx->ids_kept && story_map_grow(&idx->story_map, idx->story_map.n + 1) < 0)
		goto oom;
	if (idx->nsfree == 0 && idx->nst_used == idx->nst_cap) {
		uint32_t nc = idx->nst_cap ? idx->nst_cap + idx->nst_cap / 2 : 256;
		struct story *p = realloc(idx->stories, (size_t)nc * sizeof(*p));
		if (p == NULL)
			goto oom;
		idx->stories = p;
		uint32_t *f = realloc(idx->sfree, (size_t)nc * sizeof(*f));
		if (f == NULL)
			goto oom;
		idx->sfree = f;
		idx->nst_cap = nc;
	}
	s = idx->nsfree ? idx->sfree[--idx->nsfree] : idx->nst_used++;
	memset(&idx->stories[s], 0, sizeof(idx->stories[s]));
	idx->stories[s].id = id;
	idx->stories[s].head = idx->stories[s].tail = NONE;
	if (idx->ids_kept)
		story_map_put(&idx->story_map, (uint64_t)id, s);
	idx->nlive_st++;
	if (id >= idx->next_id)
		idx->next_id = id + 1;
	return s;
oom:
	snprintf(idx->err, sizeof(idx->err), "story: out of memory adding a story");
	return NONE;
}

static void
story_kill(struct story_index *idx, uint32_t s)
{
	struct story *st = story_slot(idx, s);

	if (idx->ids_kept)
		story_map_del(&idx->story_map, (uint64_t)st->id);
	st->id = 0;                               /* a free slot (ids_build) */
	for (uint32_t i = 0; i < st->vec.nv; i++) /* none left, but for rounding */
		sdf_move(idx, st->vec.v[i].tid, -1);
	story_vec_free(&st->vec);
	idx->sfree[idx->nsfree++] = s;
	idx->nlive_st--;
}

/* The expiring item seq heads its chains if it is the newest with its band
 * values or link: those chains end. */
static void
specials_unchain(struct story_index *idx, const struct item *it, uint32_t seq)
{
	if (it->has_simhash && idx->p.simhash_radius > 0) {
		for (unsigned b = 0; b < BANDS; b++) {
			uint32_t *h = story_band_slot(idx, b, it->simhash);
			if (~*h == seq)
				*h = ~NONE;
		}
	}
	if (it->link != 0) {
		uint32_t *v = story_map_get(&idx->links, it->link);
		if (v != NULL && *v == seq)
			story_map_del(&idx->links, it->link);
	}
}

/* Drops the oldest item: its df, its weights, its place in its story. */
static void
expire_one(struct story_index *idx)
{
	struct item *it = story_item_at(idx, idx->head);
	struct story *st = story_slot(idx, it->story);

	iterm *terms = story_item_terms(idx, it);

	for (unsigned i = 0; i < it->nterms; i++)
		__builtin_prefetch(&idx->terms.t[terms[i] & TID_MASK], 1);
	vec_apply(idx, st, terms, it->nterms, -1, it->scale);
	for (unsigned i = 0; i < it->nterms; i++)
		term_release(idx, terms[i] & TID_MASK);
	specials_unchain(idx, it, idx->head);
	if (it->sprev != NONE)
		story_item_at(idx, story_seq_full(idx, it->sprev))->snext = it->snext;
	else
		st->head = it->snext;
	if (it->snext != NONE)
		story_item_at(idx, story_seq_full(idx, it->snext))->sprev = it->sprev;
	else
		st->tail = it->sprev;
	if (--st->nitems == 0)
		story_kill(idx, it->story);
	idx->head++;
	idx->n--;
	/* The arena's head moves to the next item's postings (past any pad). */
	if (idx->n == 0) {
		idx->arena_head = idx->arena_used = 0;
	} else {
		uint32_t next = story_item_at(idx, idx->head)->off;
		idx->arena_used -= arena_dist(idx, next);
		idx->arena_head = next;
	}
}

static void
expire(struct story_index *idx, int64_t now)
{
	if (now > idx->now)
		idx->now = now;
	while (idx->n > 0 &&
	       story_item_at(idx, idx->head)->time < idx->now - (int64_t)idx->p.window)
		expire_one(idx);
	/* Room for the item about to come in. */
	while (idx->p.max_items > 0 && idx->n >= idx->p.max_items)
		expire_one(idx);
}

/* Stories a and b become one: a term both held is in one story fewer. */
static void
sdf_merged(struct story_index *idx, const struct story_vec *a, const struct story_vec *b)
{
	for (uint32_t i = 0, j = 0; i < a->nv && j < b->nv;) {
		if (a->v[i].tid < b->v[j].tid) {
			i++;
		} else if (a->v[i].tid > b->v[j].tid) {
			j++;
		} else {
			sdf_move(idx, a->v[i].tid, -1);
			i++;
			j++;
		}
	}
}

/* Moves every item of story b into a and frees b's slot (the caller owns the
 * surviving id). The new vector is allocated first, so failure changes
 * nothing. */
static int
story_absorb(struct story_index *idx, uint32_t a, uint32_t b)
{
	struct story *sa = story_slot(idx, a), *sb = story_slot(idx, b);
	const struct story_vec *va = story_vec_of(idx, sa, 0), *vb = story_vec_of(idx, sb, 1);
	struct story_vec sum;

	if (story_vec_merge(va, vb, &sum) < 0) {
		snprintf(idx->err, sizeof(idx->err), "story: out of memory merging stories");
		return -1;
	}
	sdf_merged(idx, va, vb);
	story_vec_free(&sa->vec);
	story_vec_free(&sb->vec); /* a's now: story_kill() must not count them out */
	sa->vec = sum;
	sa->norm_n = 0;
	for (uint32_t s = sb->head; s != NONE;) {
		uint32_t seq = story_seq_full(idx, s);
		struct item *it = story_item_at(idx, seq);
		const iterm *terms = story_item_terms(idx, it);
		it->story = a;
		for (unsigned t = 0; t < it->nterms; t++)
			story_post_relabel(&idx->pool, &idx->terms.t[terms[t] & TID_MASK].posts,
					   seq, a);
		s = it->snext;
	}
	if (sa->tail != NONE) {
		story_item_at(idx, story_seq_full(idx, sa->tail))->snext = sb->head;
		story_item_at(idx, story_seq_full(idx, sb->head))->sprev = sa->tail;
	} else {
		sa->head = sb->head;
	}
	sa->tail = sb->tail;
	sa->nitems += sb->nitems;
	sa->first = sb->first < sa->first ? sb->first : sa->first;
	sa->last = sb->last > sa->last ? sb->last : sa->last;
	story_kill(idx, b);
	return 0;
}

static int
merged_push(struct story_index *idx, int64_t id)
{
	if (idx->nmerged == idx->cmerged) {
		size_t nc = idx->cmerged ? idx->cmerged * 2 : 8;
		int64_t *p = realloc(idx->merged, nc * sizeof(*p));
		if (p == NULL) {
			snprintf(idx->err, sizeof(idx->err), "story: out of memory");
			return -1;
		}
		idx->merged = p;
		idx->cmerged = nc;
	}
	idx->merged[idx->nmerged++] = id;
	return 0;
}

/* Merges story slot o into slot *t; the older (smaller) id survives, the
 * other is reported as merged. *t is updated to the surviving slot. */
int
story_merge(struct story_index *idx, uint32_t *t, uint32_t o)
{
	struct story *st = story_slot(idx, *t), *so = story_slot(idx, o);
	int64_t keep = st->id < so->id ? st->id : so->id;
	int64_t gone = st->id < so->id ? so->id : st->id;
	uint32_t big = st->nitems >= so->nitems ? *t : o, small = big == *t ? o : *t;
	uint32_t langs = st->langs | so->langs;

	if (merged_push(idx, gone) < 0)
		return -1;
	if (story_absorb(idx, big, small) < 0) {
		idx->nmerged--;
		return -1;
	}
	struct story *sb = story_slot(idx, big);
	if (sb->id != keep && idx->ids_kept) {
		story_map_del(&idx->story_map, (uint64_t)sb->id);
		story_map_put(&idx->story_map, (uint64_t)keep, big);
	}
	sb->id = keep;
	sb->langs = langs;
	*t = big;
	return 0;
}

/* Puts item seq at the head of its band and link chains (the link map has
 * room reserved). */
static void
specials_chain(struct story_index *idx, struct item *it, uint32_t seq)
{
	if (it->has_simhash && idx->p.simhash_radius > 0) {
		for (unsigned b = 0; b < BANDS; b++) {
			uint32_t *h = story_band_slot(idx, b, it->simhash);
			it->bnext[b] = ~*h;
			*h = ~seq;
		}
	}
	it->link = idx->link;
	it->lnext = NONE;
	if (it->link != 0) {
		uint32_t *v = story_map_get(&idx->links, it->link);
		if (v != NULL) {
			it->lnext = *v;
			*v = seq;
		} else {
			story_map_put(&idx->links, it->link, seq);
		}
	}
}

/* Puts the analysed item into the ring, its postings and story slot s.
 * terms is the item's allocated posting array (ownership passes). */
static void
item_insert(struct story_index *idx, const struct story_input *in, uint64_t sh, int has_sh,
	    uint32_t s, iterm *terms)
{
	uint32_t seq = idx->head + idx->n, mseq = seq & SEQ_MASK;
	struct item *it = story_item_at(idx, seq);
	struct story *st = story_slot(idx, s);

	it->time = in->time;
	it->simhash = sh;
	it->has_simhash = has_sh != 0;
	it->story = s;
	it->nterms = idx->ntoks;
	it->off = arena_next(idx, idx->ntoks);
	it->scale = item_scale(idx);
	/* Its terms in term id order. */
	for (uint32_t j = 0; j < idx->nbyid; j++) {
		const struct tok *tk = &idx->toks[idx->byid[j]];
		terms[j] = tk->tid | (tk->w & W_MAX) << W_SHIFT | tk->flags;
		story_post_push(&idx->pool, &idx->terms.t[tk->tid].posts, seq, s);
	}
	specials_chain(idx, it, seq);
	vec_apply(idx, st, terms, it->nterms, +1, it->scale);
	it->snext = NONE;
	it->sprev = st->tail;
	if (st->tail != NONE)
		story_item_at(idx, story_seq_full(idx, st->tail))->snext = mseq;
	else
		st->head = mseq;
	st->tail = mseq;
	if (st->nitems == 0 || in->time < st->first)
		st->first = in->time;
	if (st->nitems == 0 || in->time > st->last)
		st->last = in->time;
	st->langs |= 1u << story_text_lang(idx->text);
	st->nitems++;
	idx->n++;
	idx->arena_used = arena_dist(idx, it->off) + idx->ntoks;
}

int
story_check_counts(struct story_index *idx)
{
	uint32_t *count = calloc(idx->terms.used + 1, sizeof(*count));
	int rc = 0;

	if (count == NULL)
		return -2;
	for (uint32_t s = 0; s < idx->nst_used; s++) {
		const struct story *st = story_slot(idx, s);
		if (st->id == 0) /* a free slot */
			continue;
		const struct story_vec *sv = story_vec_of(idx, st, 0);
		for (uint32_t i = 0; i < sv->nv; i++)
			count[sv->v[i].tid]++;
	}
	for (uint32_t t = 0; t < idx->terms.used && rc == 0; t++) {
		const struct term *tm = &idx->terms.t[t];
		uint32_t want = tm->df == 0 ? 0 : tm->sdf; /* freed: no story may hold it */
		if (count[t] != want || (tm->df > 0 && idx->terms.ldf[t] != ldf_of(idx, tm->sdf))) {
			snprintf(idx->err, sizeof(idx->err),
				 "story: term %u: %u stories hold it, sdf %u, df %u", t, count[t],
				 tm->sdf, tm->df);
			rc = -1;
		}
	}
	free(count);
	return rc;
}

/* ---- public ---- */

struct story_params
story_params_default(void)
{
	return (struct story_params){
		.window = STORY_DEFAULT_WINDOW,
		.max_items = STORY_DEFAULT_MAX_ITEMS,
		.threshold = STORY_DEFAULT_THRESHOLD,
		.merge_threshold = STORY_DEFAULT_MERGE_THRESHOLD,
		.simhash_radius = STORY_DEFAULT_SIMHASH_RADIUS,
		.language = STORY_DEFAULT_LANGUAGE,
		.guard = STORY_DEFAULT_GUARD,
		.pair_threshold = STORY_DEFAULT_PAIR_THRESHOLD,
		.number_guard = STORY_DEFAULT_NUMBER_GUARD,
		.conflict_guard = STORY_DEFAULT_CONFLICT_GUARD,
		.cross_bonus = STORY_DEFAULT_CROSS_BONUS,
		.time_guard = STORY_DEFAULT_TIME_GUARD,
	};
}

static int
params_check(const struct story_params *p, char *err, size_t errlen)
{
	if (p->window == 0 || p->window > 365u * 86400u) {
		snprintf(err, errlen, "story: window %u s is out of range (1 s .. 365 d)",
			 p->window);
		return -1;
	}
	if (p->max_items > STORY_MAX_ITEMS_LIMIT) {
		snprintf(err, errlen, "story: max_items %u is above %u", p->max_items,
			 STORY_MAX_ITEMS_LIMIT);
		return -1;
	}
	if (!(p->threshold > 0 && p->threshold <= 1) ||
	    !(p->merge_threshold > 0 && p->merge_threshold <= 1)) {
		snprintf(err, errlen, "story: thresholds must lie in (0, 1]");
		return -1;
	}
	if (p->simhash_radius > 3) {
		snprintf(err, errlen, "story: simhash radius %u is above 3 bits",
			 p->simhash_radius);
		return -1;
	}
	if (!(p->guard >= 0 && p->guard <= 1) ||
	    !(p->pair_threshold >= 0 && p->pair_threshold <= 1) ||
	    !(p->number_guard >= 0 && p->number_guard <= 1) ||
	    !(p->conflict_guard >= 0 && p->conflict_guard <= 1) ||
	    !(p->cross_bonus >= 0 && p->cross_bonus <= 1) ||
	    !(p->time_guard >= 0 && p->time_guard <= 1)) {
		snprintf(err, errlen, "story: guards and pair threshold must lie in [0, 1]");
		return -1;
	}
	return 0;
}

struct story_index *
story_new(const struct story_params *params, char *err, size_t errlen)
{
	struct story_params p = params ? *params : story_params_default();
	struct story_index *idx = NULL;

	if (p.language == NULL || *p.language == '\0')
		p.language = STORY_DEFAULT_LANGUAGE;
	if (params_check(&p, err, errlen) < 0)
		return NULL;
	if (strlen(p.language) >= sizeof(idx->language)) {
		snprintf(err, errlen, "story: unknown language \"%s\"", p.language);
		return NULL;
	}
	idx = calloc(1, sizeof(*idx));
	if (idx == NULL)
		goto oom;
	snprintf(idx->language, sizeof(idx->language), "%s", p.language);
	p.language = idx->language;
	idx->p = p;
	idx->next_id = 1;
	for (unsigned w = 1; w <= W_MAX; w++)
		idx->wlog[w] = 1.0 + log((double)w);
	for (unsigned df = 0; df < LDF_TABLE; df++)
		idx->ldf_small[df] = log(df + 0.5);
	idx->band_head = calloc((size_t)BANDS << BAND_BITS, sizeof(*idx->band_head));
	if (idx->band_head == NULL)
		goto oom;
	idx->text = story_text_new(idx->language, err, errlen);
	if (idx->text == NULL ||
	    (p.lexicon != NULL && story_text_lexicon(idx->text, p.lexicon, err, errlen) < 0)) {
		story_free(idx);
		return NULL;
	}
	idx->p.lexicon = NULL; /* loaded; the path was borrowed */
	return idx;
oom:
	snprintf(err, errlen, "story: out of memory");
	story_free(idx);
	return NULL;
}

void
story_free(struct story_index *idx)
{
	if (idx == NULL)
		return;
	story_text_free(idx->text);
	free(idx->arena);
	free(idx->ring);
	for (uint32_t s = 0; s < idx->nst_used; s++)
		story_vec_free(&idx->stories[s].vec);
	free(idx->stories);
	free(idx->sfree);
	free(idx->terms.t);
	free(idx->terms.free);
	free(idx->terms.ldf);
	story_map_free(&idx->terms.map);
	free(idx->band_head);
	story_map_free(&idx->links);
	story_post_pool_free(&idx->pool);
	story_map_free(&idx->story_map);
	free(idx->merged);
	free(idx);
}

/* Analyses the item, expires the window and reserves everything the item
 * needs, then counts it in df. On failure nothing but the expiry happened. */
static int
prepare(struct story_index *idx, const struct story_input *in, uint64_t *sh, int *has_sh,
	iterm **terms)
{
	if (analyze(idx, in, sh, has_sh) < 0) {
		snprintf(idx->err, sizeof(idx->err), "story: out of memory analysing an item");
		return -1;
	}
	idx->link = link_key(in);
	/* The band heads are read after the expiry: start loading them. */
	for (unsigned b = 0; *has_sh && b < BANDS; b++)
		__builtin_prefetch(story_band_slot(idx, b, *sh));
	expire(idx, in->time);
	if (ring_reserve(idx) < 0 || tab_reserve(idx, idx->ntoks) < 0 ||
	    arena_reserve(idx, idx->ntoks) < 0)
		return -1;
	if (idx->link != 0 && story_map_grow(&idx->links, idx->links.n + 1) < 0) {
		snprintf(idx->err, sizeof(idx->err), "story: out of memory growing the links");
		return -1;
	}
	if (story_post_reserve(&idx->pool, idx->ntoks) < 0) {
		snprintf(idx->err, sizeof(idx->err), "story: out of memory growing the postings");
		return -1;
	}
	*terms = &idx->arena[arena_next(idx, idx->ntoks)];
	terms_count(idx);
	/* IDF = ln((S + 1) / (sdf + 0.5)) over the S live stories. */
	idx->ln_n = log((double)idx->nlive_st + 1.0);
	return 0;
}

static void
unprepare(struct story_index *idx, iterm *terms)
{
	for (uint32_t i = 0; i < idx->ntoks; i++)
		term_release(idx, idx->toks[i].tid);
	(void)terms; /* reserved arena space is simply not used */
}

int
story_assign(struct story_index *idx, const struct story_input *in, struct story_result *out)
{
	uint64_t sh = 0;
	int has_sh = 0;
	iterm *terms = NULL;
	uint32_t s = NONE;

	if (idx->ids_kept) { /* restoring is over */
		story_map_free(&idx->story_map);
		idx->ids_kept = 0;
	}
	idx->nmerged = 0;
	out->story_id = 0;
	out->merged = NULL;
	out->nmerged = 0;
	if (prepare(idx, in, &sh, &has_sh, &terms) < 0)
		return -1;
	idx->qtime = in->time;
	idx->qlang = 1u << story_text_lang(idx->text);
	double qn = story_query_norm(idx);
	story_query_index(idx);
	story_gather(idx, in->time, sh, has_sh);
	const struct cand *best = story_choose(idx, qn);
	if (best == NULL) {
		s = story_create(idx, idx->next_id);
		if (s == NONE)
			goto fail;
	} else {
		s = best->slot;
		if (story_merge_close(idx, best, &s) < 0)
			goto fail;
	}
	if (vec_reserve(idx, story_slot(idx, s)) < 0)
		goto fail;
	item_insert(idx, in, sh, has_sh, s, terms);
	out->story_id = story_slot(idx, s)->id;
	out->merged = idx->merged;
	out->nmerged = idx->nmerged;
	return 0;
fail:
	/* A failed merge may have happened in part; the index stays consistent. */
	if (s != NONE && story_slot(idx, s)->nitems == 0)
		story_kill(idx, s);
	unprepare(idx, terms);
	return -1;
}

/* The id map of the live stories, for a run of restores. 0 or -1. */
static int
ids_build(struct story_index *idx)
{
	if (idx->ids_kept)
		return 0;
	if (story_map_grow(&idx->story_map, (size_t)idx->nlive_st + 1) < 0) {
		snprintf(idx->err, sizeof(idx->err), "story: out of memory indexing stories");
		return -1;
	}
	for (uint32_t s = 0; s < idx->nst_used; s++)
		if (idx->stories[s].id != 0)
			story_map_put(&idx->story_map, (uint64_t)idx->stories[s].id, s);
	idx->ids_kept = 1;
	return 0;
}

int
story_restore(struct story_index *idx, const struct story_input *in, int64_t story_id)
{
	uint64_t sh = 0;
	int has_sh = 0;
	iterm *terms = NULL;

	if (story_id <= 0) {
		snprintf(idx->err, sizeof(idx->err), "story: bad story id %lld",
			 (long long)story_id);
		return -1;
	}
	if (ids_build(idx) < 0 || prepare(idx, in, &sh, &has_sh, &terms) < 0)
		return -1;
	uint32_t *v = story_map_get(&idx->story_map, (uint64_t)story_id);
	uint32_t s = v ? *v : story_create(idx, story_id);
	if (s == NONE || vec_reserve(idx, story_slot(idx, s)) < 0) {
		if (s != NONE && story_slot(idx, s)->nitems == 0)
			story_kill(idx, s);
		unprepare(idx, terms);
		return -1;
	}
	item_insert(idx, in, sh, has_sh, s, terms);
	return 0;
}

void
story_set_next_id(struct story_index *idx, int64_t next_id)
{
	if (next_id > idx->next_id)
		idx->next_id = next_id;
}

size_t
story_count_items(const struct story_index *idx)
{
	return idx->n;
}

size_t
story_count_stories(const struct story_index *idx)
{
	return idx->nlive_st;
}

const char *
story_error(const struct story_index *idx)
{
	return idx->err;
}
