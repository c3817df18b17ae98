/* story_vec: a story's term vector, sparse and sorted by term id: the summed
 * unit-length TF weights of its items and how many of their titles had each
 * term as a name. IDF is applied when vectors are compared, from the caller's
 * ln(df + 0.5) per term and ln(N + 1), so the vector needs no update when
 * the window moves. Pure arithmetic, no I/O.
 *
 * Ownership: a vector is a value the caller zero-initialises and releases
 * with story_vec_free(). */
#ifndef HERALD_STORY_VEC_H
#define HERALD_STORY_VEC_H

#include <stdint.h>

struct story_vent {
	uint32_t tid : 24;
	uint32_t names : 8; /* items whose title has it as a name (saturates) */
	float c;            /* summed item weights */
};

struct story_vec {
	struct story_vent *v;
	uint32_t nv, cv;
};

/* One item's weight for a term; lists of them are sorted by tid and hold at
 * most STORY_VEC_DELTAS. */
#define STORY_VEC_DELTAS 64
struct story_vdelta {
	uint32_t tid;
	float w;
	uint32_t name; /* 1 when a title name */
};

/* Room for more entries: exactly that many in a new vector, four more in
 * one that grows (a story grows by a few terms an item; memory counts more
 * than the realloc). 0, or -1 out of memory (unchanged). */
int story_vec_reserve(struct story_vec *sv, uint32_t more);

/* How many of the ascending term ids tid[0 .. m) sv lacks. */
uint32_t story_vec_missing(const struct story_vec *sv, const uint32_t *tid, unsigned m);

/* Adds d[0 .. m) (room for m new entries reserved); added[j] says whether
 * d[j]'s term is new to the vector. */
void story_vec_add(struct story_vec *sv, const struct story_vdelta *d, unsigned m,
		   uint8_t *added);

/* Subtracts d[0 .. m); entries left at (about) zero are dropped (dropped[j]
 * says whether d[j]'s was), and the room of a vector that shrank to under
 * half is given back. */
void story_vec_sub(struct story_vec *sv, const struct story_vdelta *d, unsigned m,
		   uint8_t *dropped);

/* The first index at or after lo whose term id is at least tid. */
uint32_t story_vec_seek(const struct story_vec *sv, uint32_t lo, uint32_t tid);

/* Length with IDF ln_n - ldf[tid]. */
double story_vec_norm(const struct story_vec *sv, const double *ldf, double ln_n);

/* Cosine of a and b with IDF ln_n - ldf[tid]. */
double story_vec_cosine(const struct story_vec *a, const struct story_vec *b, const double *ldf,
			double ln_n);

/* *out = a + b, in a new array of just its size (out's old array, if any,
 * is the caller's to free; a and b may be views). 0, or -1 out of memory
 * (out unchanged). */
int story_vec_merge(const struct story_vec *a, const struct story_vec *b, struct story_vec *out);

void story_vec_free(struct story_vec *sv);

#endif
