/* store_enclosure: an item's enclosures and image (schema 4, issue 25).
 *
 * Written with the item (store_item_upsert: on insert, and on a change,
 * where the old ones are replaced whole) and read for `show`. The rows go
 * with their item by trigger (items_enclosures_ad), so purges, removals and
 * feed merges need nothing here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"

#define FNV_PRIME 0x100000001b3ULL

static uint64_t
fold_str(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * FNV_PRIME;
	return (h ^ 0xff) * FNV_PRIME; /* a separator: "ab","c" is not "a","bc" */
}

static uint64_t
fold_i64(uint64_t h, int64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		h = (h ^ (uint64_t)(v & 0xff)) * FNV_PRIME;
	return h;
}

uint64_t
store_enclosures_hash(uint64_t h, const struct store_item *it)
{
	for (size_t i = 0; i < it->nenclosures; i++) {
		const struct store_enclosure *e = &it->enclosures[i];
		h = fold_i64(fold_i64(fold_str(fold_str(h, e->url), e->type), e->length),
			     e->duration);
	}
	if (it->image && *it->image)
		h = fold_str(fold_str(h, "image"), it->image);
	return h;
}

int
store_enclosures_put(struct store *st, int64_t item_id, const struct store_item *it, int fresh,
		     char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int64_t pos = 0;

	if (!fresh) {
		s = store_stmt(st, S_ENC_CLEAR);
		sqlite3_bind_int64(s, 1, item_id);
		if (store_exec_stmt(st, s, err, errlen, "clear enclosures") < 0)
			return -1;
	}
	for (size_t i = 0; i < it->nenclosures; i++) {
		const struct store_enclosure *e = &it->enclosures[i];

		if (e->url == NULL || *e->url == '\0')
			continue;
		s = store_stmt(st, S_ENC_ADD);
		sqlite3_bind_int64(s, 1, item_id);
		sqlite3_bind_int64(s, 2, pos++);
		store_bind_str(s, 3, e->url);
		store_bind_str(s, 4, e->type);
		sqlite3_bind_int64(s, 5, e->length > 0 ? e->length : 0);
		sqlite3_bind_int64(s, 6, e->duration > 0 ? e->duration : 0);
		if (store_exec_stmt(st, s, err, errlen, "add enclosure") < 0)
			return -1;
	}
	if (fresh && (it->image == NULL || *it->image == '\0'))
		return 0;
	s = store_stmt(st, S_ITEM_SET_IMAGE);
	sqlite3_bind_int64(s, 1, item_id);
	store_bind_str(s, 2, it->image);
	return store_exec_stmt(st, s, err, errlen, "set item image");
}

static char *
column_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return strdup(v ? (const char *)v : "");
}

int
store_item_enclosures(struct store *st, int64_t item_id, struct store_enclosure_list *out,
		      char *err, size_t errlen)
{
	sqlite3_stmt *s = store_stmt(st, S_ENC_LIST);
	int rc;

	memset(out, 0, sizeof *out);
	sqlite3_bind_int64(s, 1, item_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_enclosure *v = realloc(out->v, (out->n + 1) * sizeof *v);
		if (v == NULL)
			goto oom;
		out->v = v;
		struct store_enclosure *e = &v[out->n];
		e->url = column_dup(s, 0);
		e->type = column_dup(s, 1);
		e->length = sqlite3_column_int64(s, 2);
		e->duration = sqlite3_column_int64(s, 3);
		out->n++;
		if (e->url == NULL || e->type == NULL)
			goto oom;
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, err, errlen, "list enclosures");
		goto fail;
	}
	sqlite3_reset(s);
	s = store_stmt(st, S_ITEM_IMAGE);
	sqlite3_bind_int64(s, 1, item_id);
	rc = sqlite3_step(s);
	out->image = rc == SQLITE_ROW ? column_dup(s, 0) : strdup("");
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_fail(st, err, errlen, "item image");
		goto fail;
	}
	sqlite3_reset(s);
	if (out->image == NULL)
		goto oom;
	return 0;
oom:
	snprintf(err, errlen, "store: list enclosures: out of memory");
fail:
	sqlite3_reset(s);
	store_enclosure_list_free(out);
	return -1;
}

void
store_enclosure_list_free(struct store_enclosure_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free((char *)l->v[i].url), free((char *)l->v[i].type);
	free(l->v);
	free(l->image);
	memset(l, 0, sizeof *l);
}
