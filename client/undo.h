/* undo: what `herald undo` puts back, kept in a file between runs.
 *
 * Before a mark (read, unread, star, unstar; read --all) the client
 * records the marks of every item it will touch, as the daemon reports
 * them (the items of each story, each item, or the unread items read --all
 * will mark, at most HERALD_MAX_LIMIT); `herald undo` sets each item back
 * and forgets the record (one level). The file is
 * $XDG_STATE_HOME/herald/undo (~/.local/state/herald/undo), mode 0600:
 *
 *     herald-undo 1
 *     /run/user/1000/herald/heraldd.sock   (the daemon's socket)
 *     read s12, i345          (what was done, for people)
 *     read                    (which mark: read or starred)
 *     ITEM READ STARRED       (one line per item, 0|1)
 */
#ifndef HERALD_CLIENT_UNDO_H
#define HERALD_CLIENT_UNDO_H

#include <stddef.h>

#include "util.h"
#include "wire.h"

struct undo_item {
	char id[24];
	int read, starred;
};

struct undo {
	char socket[256]; /* the daemon it was done on: undo goes there only */
	char what[256];   /* "read s12, i345" */
	int starring;     /* the mark was star/unstar (else read/unread) */
	struct undo_item *v;
	size_t n, cap;
};

/* Adds the item records of resp (kind "item": id, read, starred). */
void undo_add(struct undo *u, const struct response *resp);

/* Sorts the items by id and drops repeats (a story and one of its items
 * both named): the first record of each id stays. */
void undo_unique(struct undo *u);

/* The file's path, malloc'd (NULL when neither XDG_STATE_HOME nor HOME
 * says where). */
char *undo_path(void);

/* Writes u to the file (replacing it atomically), or removes the file
 * when u is NULL. 0, or -1 with a message. */
int undo_save(const struct undo *u, char *err, size_t errlen);

/* Reads the file into u (zeroed by the caller). 0; 1 when there is
 * nothing to undo; -1 with a message (unreadable, malformed). */
int undo_load(struct undo *u, char *err, size_t errlen);

void undo_free(struct undo *u);

#endif
