/* story_map: see story_map.h. */
#include "story_map.h"

#include <stdlib.h>

uint64_t
story_fnv64(const void *p, size_t n, uint64_t h)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h ? h : 1;
}

int
story_map_grow(struct story_map *m, size_t want)
{
	struct story_map nm;

	if (m->cap && want * 2 <= m->cap)
		return 0;
	nm.cap = m->cap ? m->cap : 64;
	while (want * 2 > nm.cap)
		nm.cap *= 2;
	nm.n = m->n;
	nm.e = calloc(nm.cap, sizeof(*nm.e));
	if (nm.e == NULL)
		return -1;
	for (size_t i = 0; i < m->cap; i++)
		if (m->e[i].key != 0)
			nm.e[story_map_find(&nm, m->e[i].key)] = m->e[i];
	free(m->e);
	*m = nm;
	return 0;
}

void
story_map_put(struct story_map *m, uint64_t key, uint32_t val)
{
	size_t i = story_map_find(m, key);

	m->e[i].key = key;
	m->e[i].val = val;
	m->n++;
}

void
story_map_del(struct story_map *m, uint64_t key)
{
	if (m->cap == 0)
		return;
	size_t mask = m->cap - 1, i = story_map_find(m, key), j = i;

	if (m->e[i].key == 0)
		return;
	m->n--;
	for (;;) {
		m->e[i].key = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (m->e[j].key == 0)
				return;
			size_t home = story_mix64(m->e[j].key) & mask;
			/* j's key may move to i unless its home lies in (i, j]. */
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		m->e[i] = m->e[j];
		i = j;
	}
}

void
story_map_free(struct story_map *m)
{
	free(m->e);
	m->e = NULL;
	m->cap = m->n = 0;
}
