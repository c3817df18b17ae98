/* story_vec: see story_vec.h. */
#include "story_vec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int
story_vec_reserve(struct story_vec *sv, uint32_t more)
{
	if (sv->nv + more <= sv->cv)
		return 0;
	uint32_t nc = sv->nv + more;
	if (sv->cv > 0)
		nc += 4;
	struct story_vent *v = realloc(sv->v, (size_t)nc * sizeof(*v));
	if (v == NULL)
		return -1;
	sv->v = v;
	sv->cv = nc;
	return 0;
}

uint32_t
story_vec_missing(const struct story_vec *sv, const uint32_t *tid, unsigned m)
{
	uint32_t p = 0, n = 0;

	for (unsigned j = 0; j < m; j++) {
		p = story_vec_seek(sv, p, tid[j]);
		n += !(p < sv->nv && sv->v[p].tid == tid[j]);
	}
	return n;
}

/* Galloping, so a run of ascending lookups reads the vector once, front to
 * back. */
uint32_t
story_vec_seek(const struct story_vec *sv, uint32_t lo, uint32_t tid)
{
	const struct story_vent *v = sv->v;
	uint32_t n = sv->nv, hi = lo, step = 1;

	while (hi < n && v[hi].tid < tid) {
		lo = hi + 1;
		hi += step;
		step *= 2;
	}
	if (hi > n)
		hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Known terms in place, then new ones by moving each stretch of the vector
 * once, from the back. */
void
story_vec_add(struct story_vec *sv, const struct story_vdelta *d, unsigned m, uint8_t *added)
{
	struct story_vent *v = sv->v;
	uint32_t pos[STORY_VEC_DELTAS], p = 0, nnew = 0, end = sv->nv;

	for (unsigned j = 0; j < m; j++) {
		pos[j] = p = story_vec_seek(sv, p, d[j].tid);
		if (p < sv->nv && v[p].tid == d[j].tid) {
			v[p].c += d[j].w;
			if (d[j].name && v[p].names < 255)
				v[p].names++;
			added[j] = 0;
		} else {
			nnew++;
			added[j] = 1;
		}
	}
	sv->nv += nnew;
	for (unsigned j = m; j-- > 0 && nnew > 0;) {
		p = pos[j];
		if (p < end && v[p].tid == d[j].tid)
			continue;
		memmove(&v[p + nnew], &v[p], (end - p) * sizeof(*v));
		nnew--;
		v[p + nnew] = (struct story_vent){d[j].tid, d[j].name ? 1 : 0, d[j].w};
		end = p;
	}
}

/* The entries left empty go in one compaction pass. */
void
story_vec_sub(struct story_vec *sv, const struct story_vdelta *d, unsigned m, uint8_t *dropped)
{
	struct story_vent *v = sv->v;
	uint32_t p = 0, out = UINT32_MAX, last = 0, gone = 0;

	for (unsigned j = 0; j < m; j++) {
		dropped[j] = 0;
		p = story_vec_seek(sv, p, d[j].tid);
		if (p >= sv->nv || v[p].tid != d[j].tid)
			continue;
		if (d[j].name && v[p].names > 0)
			v[p].names--;
		if ((v[p].c -= d[j].w) > 1e-5f)
			continue;
		dropped[j] = 1;
		if (out == UINT32_MAX) {
			out = p;
		} else {
			memmove(&v[out], &v[last + 1], (p - last - 1) * sizeof(*v));
			out += p - last - 1;
		}
		last = p;
		gone++;
	}
	if (out != UINT32_MAX)
		memmove(&v[out], &v[last + 1], (sv->nv - last - 1) * sizeof(*v));
	sv->nv -= gone;
	if (sv->nv > 0 && sv->nv * 2 < sv->cv) {
		uint32_t nc = sv->nv + sv->nv / 4;
		v = realloc(sv->v, (size_t)nc * sizeof(*v));
		if (v != NULL) { /* else it keeps its room */
			sv->v = v;
			sv->cv = nc;
		}
	}
}

double
story_vec_norm(const struct story_vec *sv, const double *ldf, double ln_n)
{
	double s = 0;

	for (uint32_t i = 0; i < sv->nv; i++) {
		double x = (double)sv->v[i].c * (ln_n - ldf[sv->v[i].tid]);
		s += x * x;
	}
	return sqrt(s);
}

double
story_vec_cosine(const struct story_vec *a, const struct story_vec *b, const double *ldf,
		 double ln_n)
{
	double dot = 0, na = 0, nb = 0;
	uint32_t i = 0, j = 0;

	while (i < a->nv || j < b->nv) {
		if (j >= b->nv || (i < a->nv && a->v[i].tid < b->v[j].tid)) {
			double x = a->v[i].c * (ln_n - ldf[a->v[i].tid]);
			na += x * x;
			i++;
		} else if (i >= a->nv || b->v[j].tid < a->v[i].tid) {
			double y = b->v[j].c * (ln_n - ldf[b->v[j].tid]);
			nb += y * y;
			j++;
		} else {
			double d = ln_n - ldf[a->v[i].tid];
			double x = a->v[i].c * d, y = b->v[j].c * d;
			na += x * x;
			nb += y * y;
			dot += x * y;
			i++;
			j++;
		}
	}
	return (na > 0 && nb > 0) ? dot / sqrt(na * nb) : 0;
}

int
story_vec_merge(const struct story_vec *a, const struct story_vec *b, struct story_vec *out)
{
	uint32_t cap = a->nv + b->nv, i = 0, j = 0, k = 0;
	struct story_vent *v = malloc((size_t)(cap ? cap : 1) * sizeof(*v)), *shrunk;

	if (v == NULL)
		return -1;
	while (i < a->nv || j < b->nv) {
		if (j >= b->nv || (i < a->nv && a->v[i].tid < b->v[j].tid)) {
			v[k++] = a->v[i++];
		} else if (i >= a->nv || b->v[j].tid < a->v[i].tid) {
			v[k++] = b->v[j++];
		} else {
			v[k] = a->v[i++];
			v[k].names =
				v[k].names + b->v[j].names > 255 ? 255 : v[k].names + b->v[j].names;
			v[k++].c += b->v[j++].c;
		}
	}
	/* Shared terms make the sum shorter than the two. */
	if (k < cap && k > 0 && (shrunk = realloc(v, (size_t)k * sizeof(*v))) != NULL) {
		v = shrunk;
		cap = k;
	}
	out->v = v;
	out->nv = k;
	out->cv = cap ? cap : 1;
	return 0;
}

void
story_vec_free(struct story_vec *sv)
{
	free(sv->v);
	sv->v = NULL;
	sv->nv = sv->cv = 0;
}
