/* fts_check DB: FTS5's integrity-check of items_fts, with the "herald"
 * tokenizer registered (store_fts.c), for tests/daemonkit.py: Python's
 * sqlite3 cannot register an FTS5 tokenizer. Prints nothing and exits 0
 * when the index matches the items, else prints why and exits 1. */
#include <sqlite3.h>
#include <stdio.h>

#include "store.h"

int
main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: fts_check DB\n");
		return 2;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    store_fts_register(db) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", argv[1], db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 30000);
	if (sqlite3_exec(db, "INSERT INTO items_fts(items_fts) VALUES('integrity-check')", NULL,
			 NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s\n", sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(db);
	return rc;
}
