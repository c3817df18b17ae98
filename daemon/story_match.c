/* story_match: how close an item is to each candidate story, and which
 * story it joins. A candidate is scored by the cosine of the item and the
 * story's summed vector with today's IDF, less guards for names and numbers
 * the story never saw; the work per candidate is kept to the item's terms
 * (a filter and hash of them, a cached story length) so that a big story
 * costs little more than a small one. */
#include "story_int.h"

#include <math.h>
#include <string.h>

static double
idf(const struct story_index *idx, uint32_t tid)
{
	return idx->ln_n - idx->terms.ldf[tid];
}

static double
story_weight(float c)
{
	return (double)c;
}

/* Is the story's cached length still good? IDF drifts slowly with the
 * window, so the length is kept until the vector changes or the window's
 * size moves by 1/64: this keeps the cost of a comparison independent of
 * story size. */
static int
story_norm_fresh(const struct story_index *idx, const struct story *st)
{
	uint32_t n = idx->n + 1;

	return st->norm_n != 0 && st->norm_n - n / 64 <= n && n <= st->norm_n + n / 64;
}

/* Does the story have a core name (a title name in at least half of its
 * items) that the item lacks? With a name of the item the story never saw,
 * that is "A met B" against "A met C": two events. */
static int
story_core_name_missing(const struct story_index *idx, const struct story *st,
			const struct story_vec *sv)
{
	for (uint32_t i = 0; i < sv->nv; i++) {
		if (sv->v[i].names * 2 < st->nitems || sv->v[i].names == 0)
			continue;
		uint32_t j;
		for (j = 0; j < idx->ntoks; j++)
			if (idx->toks[j].tid == sv->v[i].tid)
				break;
		if (j == idx->ntoks)
			return 1;
	}
	return 0;
}

/* The index in toks of term tid, or -1. */
static int
query_find(const struct story_index *idx, uint32_t tid)
{
	if (!((idx->qbits[(tid / 64) % (QBITS / 64)] >> (tid % 64)) & 1))
		return -1;
	for (uint32_t h = (tid * 0x9e3779b1u) % QHASH; idx->qhash[h] != 0; h = (h + 1) % QHASH)
		if (idx->toks[idx->qhash[h] - 1].tid == tid)
			return idx->qhash[h] - 1;
	return -1;
}

void
story_query_index(struct story_index *idx)
{
	memset(idx->qbits, 0, sizeof(idx->qbits));
	memset(idx->qhash, 0, sizeof(idx->qhash));
	for (uint32_t i = 0; i < idx->ntoks; i++) {
		uint32_t tid = idx->toks[i].tid, h = (tid * 0x9e3779b1u) % QHASH;
		idx->qbits[(tid / 64) % (QBITS / 64)] |= 1ull << (tid % 64);
		while (idx->qhash[h] != 0)
			h = (h + 1) % QHASH;
		idx->qhash[h] = (uint8_t)(i + 1);
	}
}

/* Fills c[i] with the story's weight for toks[i], or -1 when it has none,
 * and returns whether the story has a core name the item lacks. A vector
 * not much longer than the item is scanned once, which also sums its
 * squared length into *sq when sq is not NULL; a longer one is searched for
 * each term (and scanned for core names only when asked), and -1 returned. */
static int
story_lookup(const struct story_index *idx, const struct story *st, const struct story_vec *sv,
	     float *c, double *sq)
{
	if (sv->nv > SCAN_MAX * idx->nbyid) {
		uint32_t p = 0;
		for (uint32_t j = 0; j < idx->nbyid; j++) {
			const struct tok *tk = &idx->toks[idx->byid[j]];
			p = story_vec_seek(sv, p, tk->tid);
			c[idx->byid[j]] =
				(p < sv->nv && sv->v[p].tid == tk->tid) ? sv->v[p].c : -1.0f;
		}
		return -1; /* not known yet */
	}
	int core_missing = 0;
	/* A local sum: through sq, every step would wait for the last store,
	 * since sq might alias the IDF table. */
	double sum = 0;
	for (uint32_t i = 0; i < idx->ntoks; i++)
		c[i] = -1.0f;
	for (uint32_t i = 0; i < sv->nv; i++) {
		if (sq != NULL) { /* story_vec_norm()'s sum, in its order */
			double x = (double)sv->v[i].c * (idx->ln_n - idx->terms.ldf[sv->v[i].tid]);
			sum += x * x;
		}
		int k = query_find(idx, sv->v[i].tid);
		if (k >= 0)
			c[k] = sv->v[i].c;
		else if (sv->v[i].names != 0 && sv->v[i].names * 2 >= st->nitems)
			core_missing = 1;
	}
	if (sq != NULL)
		*sq += sum;
	return core_missing;
}

/* Cosine of the item and a story's summed vector, with today's IDF, less
 * the guard for names and numbers of the item the story never saw. */
static double
similarity(struct story_index *idx, struct story *st, double qnorm)
{
	const struct story_vec *sv = story_vec_of(idx, st, 0);
	double dot = 0, sq = 0;
	unsigned unseen = 0, unseen_num = 0;
	float c[MAX_TERMS];
	int fresh = story_norm_fresh(idx, st);
	int core_missing = story_lookup(idx, st, sv, c, fresh ? NULL : &sq);

	if (!fresh) {
		st->norm = core_missing >= 0 ? sqrt(sq)
					     : story_vec_norm(sv, idx->terms.ldf, idx->ln_n);
		st->norm_n = idx->n + 1;
	}
	double snorm = st->norm;

	/* Summed in text order. */
	for (uint32_t i = 0; i < idx->ntoks; i++) {
		const struct tok *tk = &idx->toks[i];
		if (c[i] >= 0) {
			dot += tk->q * story_weight(c[i]) * tk->idf;
		} else if (tk->flags & F_NAME) {
			unseen++;
		} else if (tk->flags & F_NUM) {
			unseen_num++;
		}
	}
	if (snorm <= 0 || qnorm <= 0)
		return 0;
	double sim =
		dot / (snorm * qnorm) - idx->p.guard * unseen - idx->p.number_guard * unseen_num;
	if (unseen > 0 && core_missing < 0)
		core_missing = story_core_name_missing(idx, st, sv);
	if (unseen > 0 && core_missing)
		sim -= idx->p.conflict_guard;
	if (!(st->langs & idx->qlang))
		sim += idx->p.cross_bonus;
	return sim;
}

/* Sets each token's IDF and weight; returns the item vector's length. */
double
story_query_norm(struct story_index *idx)
{
	double s = 0;

	for (uint32_t i = 0; i < idx->ntoks; i++) {
		struct tok *tk = &idx->toks[i];
		tk->idf = idf(idx, tk->tid);
		tk->q = idx->wlog[tk->w] * tk->idf;
		s += tk->q * tk->q;
	}
	return sqrt(s);
}

static double
cand_score(const struct cand *c)
{
	return c->flags ? 1.0 + c->sim : c->sim;
}

/* What the item's distance in time from the story's items costs: one
 * event's reports lie within hours of each other. The same link or a
 * near-duplicate text pays nothing (a live blog is updated for days). */
static double
time_cost(const struct story_index *idx, const struct story *st)
{
	int64_t dt = idx->qtime > st->last    ? idx->qtime - st->last
		     : idx->qtime < st->first ? st->first - idx->qtime
					      : 0;

	if (dt <= STORY_TIME_SLACK)
		return 0;
	return idx->p.time_guard * (double)(dt - STORY_TIME_SLACK) / STORY_TIME_SLACK;
}

/* Scores the candidates; returns the best one or NULL. */
struct cand *
story_choose(struct story_index *idx, double qn)
{
	struct cand *best = NULL;

	for (size_t i = 0; i < idx->ncands; i++) {
		struct cand *c = &idx->cands[i];
		c->sim = similarity(idx, story_slot(idx, c->slot), qn);
		if (!c->flags)
			c->sim -= time_cost(idx, story_slot(idx, c->slot));
		if (best == NULL || cand_score(c) > cand_score(best) ||
		    (cand_score(c) == cand_score(best) &&
		     story_slot(idx, c->slot)->id < story_slot(idx, best->slot)->id))
			best = c;
	}
	if (best != NULL && cand_score(best) < idx->p.threshold)
		best = NULL;
	return best;
}

/* Merges into *target (best's slot) every other candidate the item is
 * close to as well. Each merge frees only the smaller of the two slots
 * involved, and neither is a candidate still to visit. */
int
story_merge_close(struct story_index *idx, const struct cand *best, uint32_t *target)
{
	uint32_t todo[TOP_K];
	size_t k = 0;

	if (cand_score(best) < idx->p.merge_threshold)
		return 0;
	for (size_t i = 0; i < idx->ncands; i++) {
		const struct cand *c = &idx->cands[i];
		if (c->slot == *target || cand_score(c) < idx->p.merge_threshold)
			continue;
		/* Close to the item is not enough: the two stories must share
		 * their core too, or one broad item would chain events. */
		if (c->flags ||
		    story_vec_cosine(story_vec_of(idx, story_slot(idx, c->slot), 0),
				     story_vec_of(idx, story_slot(idx, *target), 1), idx->terms.ldf,
				     idx->ln_n) >= idx->p.pair_threshold)
			todo[k++] = c->slot;
	}
	for (size_t i = 0; i < k; i++)
		if (story_merge(idx, target, todo[i]) < 0)
			return -1;
	return 0;
}
