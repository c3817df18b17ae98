/* story_map: the hash map and hashes story folding is built on: uint64 keys
 * (never 0) to uint32 values, open addressing with linear probing, deletion
 * by backward shift (no tombstones). Lookups are inline: they sit on the hot
 * path of every word and term.
 *
 * Ownership: a map is a value the caller zero-initialises and releases with
 * story_map_free(). Pointers returned by story_map_get() are valid until the
 * next grow, put or delete. */
#ifndef HERALD_STORY_MAP_H
#define HERALD_STORY_MAP_H

#include <stddef.h>
#include <stdint.h>

/* Key and value side by side: a lookup costs one cache miss, not two. */
struct story_map_ent {
	uint64_t key; /* 0 = empty */
	uint32_t val;
};

struct story_map {
	struct story_map_ent *e;
	size_t cap, n; /* cap is 0 or a power of 2 */
};

/* A 64-bit finalizer (MurmurHash3's): spreads every input bit. */
static inline uint64_t
story_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* FNV-1a of n bytes from seed h; never 0, so usable as a map key. */
uint64_t story_fnv64(const void *p, size_t n, uint64_t h);

/* The slot of key, or of the empty slot where it would go (cap > 0). */
static inline size_t
story_map_find(const struct story_map *m, uint64_t key)
{
	size_t mask = m->cap - 1, i = story_mix64(key) & mask;

	while (m->e[i].key != 0 && m->e[i].key != key)
		i = (i + 1) & mask;
	return i;
}

/* A pointer to key's value, or NULL. */
static inline uint32_t *
story_map_get(const struct story_map *m, uint64_t key)
{
	if (m->cap == 0)
		return NULL;
	size_t i = story_map_find(m, key);
	return m->e[i].key ? &m->e[i].val : NULL;
}

/* Starts loading key's slot, so that lookups of many keys overlap. */
static inline void
story_map_prefetch(const struct story_map *m, uint64_t key)
{
	if (m->cap)
		__builtin_prefetch(&m->e[story_mix64(key) & (m->cap - 1)]);
}

/* Room for want keys (load at most 1/2). 0, or -1 out of memory (the map is
 * unchanged). */
int story_map_grow(struct story_map *m, size_t want);

/* Inserts a key known to be absent; room reserved by story_map_grow(). */
void story_map_put(struct story_map *m, uint64_t key, uint32_t val);

/* Removes key if present. */
void story_map_del(struct story_map *m, uint64_t key);

void story_map_free(struct story_map *m);

#endif
