/* story_int: what story.c, story_cand.c and story_match.c share. Not for
 * other modules.
 *
 * Items live in a ring in arrival order and expire from its head once older
 * than the window. Every distinct term of an item is a posting chained from
 * its term's record (newest first), so a chain walk stops at the first
 * expired posting and nothing is ever unlinked. Stories hold the summed term
 * weights of their live items (sorted by term id) and a list of their items,
 * so an expiring item is subtracted and a merge relabels the smaller story.
 * The special signals (canonical link, SimHash bands) take no part in the
 * cosine and are almost all unique, so they get no term records: items with
 * the same band value or link are chained through the items themselves,
 * newest first, from a head table (direct-indexed for bands, a map for
 * links). A walk stops at the first expired item, as with postings.
 *
 * The small accessors are static inline: the walks and comparisons call
 * them for every posting and story they touch. */
#ifndef HERALD_STORY_INT_H
#define HERALD_STORY_INT_H

#include <stdint.h>

#include "story.h"
#include "story_map.h"
#include "story_post.h"
#include "story_text.h"
#include "story_vec.h"

#define SEQ_BITS   26
#define SEQ_MASK   ((1u << SEQ_BITS) - 1)
#define MAX_TERMS  STORY_TEXT_TERMS
#define NONE       0xffffffffu
#define TID_MASK   0xffffffu
#define W_SHIFT    24
#define W_MAX      31u
#define F_NUM      (1u << 29)
#define F_NAME     (1u << 30)
#define BANDS      4
#define BAND_BITS  16  /* a band is 16 bits of the SimHash */
#define WALK_LIMIT 8   /* postings looked at per term */
#define TOP_K      6   /* stories compared exactly */
#define DF_CAP     256 /* a term in more live items finds no candidates */
#define WALK_TERMS 20  /* rarest terms of an item whose postings are walked */
/* Postings one item can walk: its rarest terms, its link and SimHash bands. */
#define CAND_MAX  ((WALK_TERMS + 1 + BANDS) * WALK_LIMIT)
#define CAND_BITS 10 /* the candidate hash: 1024 entries, > 4 * CAND_MAX */
#define QHASH     (4 * MAX_TERMS)
#define QBITS     1024
#define SCAN_MAX  16 /* scan story vectors up to this many times the item's terms */

/* ---- state ---- */

/* An item's term: term id | weight << W_SHIFT | F_NUM | F_NAME. */
typedef uint32_t iterm;

/* 64 bytes: the ring is the largest per-item structure but the arena. */
struct item {
	int64_t time;
	uint64_t simhash;
	uint64_t link;                /* hash of its canonical link, 0 = none */
	float scale;                  /* 1 / length of its TF vector */
	uint32_t story : 26;          /* story slot (slots < ring size <= 2^25) */
	uint32_t nterms : 6;          /* <= STORY_TEXT_TERMS */
	uint32_t sprev, snext;        /* neighbours in the story's item list (seq) */
	uint32_t off : 31;            /* its terms: arena[off .. off + nterms), never wrapping */
	uint32_t has_simhash : 1;     /* and so its bands are chained (radius > 0) */
	uint32_t bnext[BANDS], lnext; /* next older item with the same band value, link */
};

_Static_assert(sizeof(struct item) == 64, "an item fills one cache line");

/* IDF counts stories, not items: a term that fifty outlets' items share
 * because they all tell one event is that event's evidence, not a common
 * word. So ldf follows sdf, the live stories holding the term (a story of
 * one item holds its item's terms; merging two that both hold it leaves
 * one), while df, the live items, decides which terms' postings are walked
 * and when a term is freed. */
struct term {
	uint64_t key;
	uint32_t df;  /* live items with the term */
	uint32_t sdf; /* live stories with the term */
	struct story_posts posts;
};

/* Content terms: ids stay dense, so their ln(sdf + 0.5) (IDF without a log
 * call) packs into a small array. */
struct termtab {
	struct term *t;
	double *ldf;
	uint32_t cap, used, *free, nfree;
	struct story_map map;
};

/* A story of one item has no vector of its own (see story_vec_of). */
struct story {
	int64_t id, first, last;
	uint32_t nitems, head, tail; /* item list by seq */
	struct story_vec vec;        /* its items' weights, each item of unit length */
	double norm;                 /* cached length with the IDF of norm_n items... */
	uint32_t norm_n;             /* ...or 0 when the vector changed since */
	uint32_t langs;              /* 1 << the story_lang of each item it had */
};

/* One analysed token of the incoming item. */
struct tok {
	uint64_t key;
	uint32_t w;
	uint32_t flags;
	uint32_t tid;
	double idf, q; /* its IDF now, and its weight in the item's vector */
};

#define LDF_TABLE 1024

struct story_index {
	struct story_params p;
	/* Logarithms the hot paths need, computed once: 1 + ln(w) for each
	 * term weight, ln(sdf + 0.5) for small sdf. Same values as log(). */
	double wlog[W_MAX + 1];
	double ldf_small[LDF_TABLE];
	struct story_text *text;
	char language[32]; /* p.language points here */

	struct item *ring;
	uint32_t ring_cap, head, n; /* live seqs are [head, head + n) */
	int64_t now;
	double ln_n; /* ln(live stories + 1) while an item is assigned */

	/* The terms of live items in arrival order: a ring, so expiry frees
	 * its head. */
	iterm *arena;
	uint32_t arena_cap, arena_head, arena_used; /* physical indices */

	struct termtab terms;
	struct story_post_pool pool;
	/* Chain heads: band b's value v at band_head[b << BAND_BITS | v] as
	 * ~seq of the newest item, so that 0 is NONE and the 1 MiB table
	 * costs only the pages that bands touch; links by hash. */
	uint32_t *band_head;
	struct story_map links;

	struct story *stories;
	uint32_t nst_cap, nst_used, *sfree, nsfree, nlive_st;
	/* id -> slot, for story_restore(): only kept while restoring (built
	 * by the first restore, dropped by the next assign), since assigning
	 * never looks a story up by id. */
	struct story_map story_map;
	int ids_kept;
	int64_t next_id;
	uint32_t epoch;

	/* scratch for the item being assigned */
	uint64_t link;  /* its canonical link's hash or 0 */
	int64_t qtime;  /* its time */
	uint32_t qlang; /* 1 << its story_lang */
	struct tok toks[MAX_TERMS];
	uint32_t ntoks;
	/* the vectors of two stories of one item each (story_vec_of) */
	struct story_vent view_ent[2][MAX_TERMS];
	struct story_vec view[2];
	uint8_t byid[MAX_TERMS]; /* content toks in term id order */
	uint32_t nbyid;
	/* The toks by term id, for scanning a story vector: a filter (bit
	 * tid % QBITS) that rules most entries out, and a hash of 1 + toks
	 * index (0 empty). */
	uint64_t qbits[QBITS / 64];
	uint8_t qhash[QHASH];
	struct cand {
		uint32_t slot, flags;
		double acc, sim; /* credit from the walk; similarity */
	} cands[CAND_MAX];
	size_t ncands;
	struct {
		uint32_t stamp, slot, ci; /* in use when stamp == epoch */
	} chash[1u << CAND_BITS];
	int64_t *merged;
	size_t nmerged, cmerged;
	char err[160];
};

/* Candidate flags: found through the item's link, or a near-duplicate
 * SimHash. */
#define C_LINK 1u
#define C_DUP  2u

/* ---- accessors ---- */

static inline uint32_t *
story_band_slot(const struct story_index *idx, unsigned b, uint64_t sh)
{
	return &idx->band_head[b << BAND_BITS | ((sh >> (BAND_BITS * b)) & 0xffff)];
}

static inline struct item *
story_item_at(const struct story_index *idx, uint32_t seq)
{
	return &idx->ring[seq & (idx->ring_cap - 1)];
}

static inline iterm *
story_item_terms(const struct story_index *idx, const struct item *it)
{
	return &idx->arena[it->off];
}

/* The full seq of a live masked seq. */
static inline uint32_t
story_seq_full(const struct story_index *idx, uint32_t mseq)
{
	return idx->head + ((mseq - (idx->head & SEQ_MASK)) & SEQ_MASK);
}

static inline struct story *
story_slot(const struct story_index *idx, uint32_t s)
{
	return &idx->stories[s];
}

/* Most stories in a window have one item, and most of those never get a
 * second: their vector is exactly their item's weights, so they keep none
 * and it is rebuilt from the item when needed. A story that once had more
 * items keeps its own (a sum less an expired item is not bit-equal to the
 * item left). */
static inline int
story_implicit(const struct story *st)
{
	return st->nitems == 1 && st->vec.v == NULL;
}

/* An item's weight for term tw: what story_vec_add() sums. */
static inline float
story_item_weight(const struct story_index *idx, iterm tw, float scale)
{
	return scale * (float)idx->wlog[(tw >> W_SHIFT) & W_MAX];
}

/* The story's vector: its own, or its item's built in view[which] (valid
 * until the next call with the same which). */
static inline const struct story_vec *
story_vec_of(struct story_index *idx, const struct story *st, unsigned which)
{
	if (!story_implicit(st))
		return &st->vec;
	const struct item *it = story_item_at(idx, story_seq_full(idx, st->head));
	const iterm *tw = story_item_terms(idx, it);
	struct story_vec *v = &idx->view[which];

	v->v = idx->view_ent[which];
	for (unsigned i = 0; i < it->nterms; i++)
		v->v[i] = (struct story_vent){.tid = tw[i] & TID_MASK,
					      .names = (tw[i] & F_NAME) != 0,
					      .c = story_item_weight(idx, tw[i], it->scale)};
	v->nv = v->cv = it->nterms;
	return v;
}

/* ---- across the files ---- */

/* story.c: merges story slot o into slot *t; the older (smaller) id
 * survives, the other is reported as merged. *t is updated to the
 * surviving slot. 0, or -1 with idx->err set. */
int story_merge(struct story_index *idx, uint32_t *t, uint32_t o);

/* story.c: recounts every live term's stories from the stories themselves
 * (a story of one item holds its item's terms) and checks them against sdf
 * and the IDF table, and that no story holds a freed term: for tests and the
 * fuzzer. 0; -1 with idx->err naming the first term that differs; -2 out of
 * memory. */
int story_check_counts(struct story_index *idx);

/* story_cand.c: collects in idx->cands the TOP_K stories worth comparing
 * the item with (time t, SimHash sh when has_sh), best first. Needs
 * story_query_norm()'s weights. */
void story_gather(struct story_index *idx, int64_t t, uint64_t sh, int has_sh);

/* story_match.c: sets each token's IDF and weight; returns the item
 * vector's length. */
double story_query_norm(struct story_index *idx);
/* Indexes the toks by term id, for story_choose(). */
void story_query_index(struct story_index *idx);
/* Scores the candidates; returns the best one or NULL. */
struct cand *story_choose(struct story_index *idx, double qn);
/* Merges into *target (best's slot) every other candidate the item is
 * close to as well. 0, or -1 with idx->err set. */
int story_merge_close(struct story_index *idx, const struct cand *best, uint32_t *target);

#endif
