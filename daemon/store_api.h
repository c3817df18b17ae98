/* store_api: the store's queries for the Google Reader API (daemon/api.c,
 * issue 24): its accounts and login tokens, item streams paged by a
 * (time, id) key, items by id, and the story of an item. Part of the store
 * module (the only one that speaks SQL): the same rules as store.h (0, -1
 * with err, STORE_ENOTFOUND), and every call is made on the loop thread
 * while the writer lends the store (writer_store()).
 *
 * Statements are prepared per call (each call is one HTTP request; a
 * prepare costs microseconds next to the page it answers). Rows are handed
 * to a callback, borrowed for the call: nothing is copied, so a stream of
 * 10,000 ids costs no memory in the store. */
#ifndef HERALD_STORE_API_H
#define HERALD_STORE_API_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Migration 4 (issue 24): the API's tables; store_sql.c appends it. */
extern const char store_api_migration_sql[];

/* ---- Accounts ---- */

struct store_api_account {
	const char *name;
	const char *hash; /* the password's encoded hash (libsodium argon2id) */
	int folded;       /* reading-list folded: one entry per story */
	int mark_story;   /* marking an item read marks its story read */
	int64_t created;
};
typedef int (*store_api_account_cb)(const struct store_api_account *a, void *user);
/* Every account, by name. A non-zero return of cb stops and is returned. */
int store_api_accounts(struct store *st, store_api_account_cb cb, void *user, char *err,
		       size_t errlen);
/* Creates the account or replaces its password hash; either way its tokens
 * are revoked (deleted). */
int store_api_account_set(struct store *st, const char *name, const char *hash, int64_t now,
			  char *err, size_t errlen);
/* Sets its options (-1: unchanged). STORE_ENOTFOUND. */
int store_api_account_options(struct store *st, const char *name, int folded, int mark_story,
			      char *err, size_t errlen);
/* Removes the account and its tokens. STORE_ENOTFOUND. */
int store_api_account_remove(struct store *st, const char *name, char *err, size_t errlen);

/* ---- Tokens (stored hashed: a stolen database gives no session) ---- */

typedef int (*store_api_token_cb)(const void *hash, size_t len, const char *account, void *user);
int store_api_tokens(struct store *st, store_api_token_cb cb, void *user, char *err, size_t errlen);
int store_api_token_add(struct store *st, const void *hash, size_t len, const char *account,
			int64_t now, char *err, size_t errlen);

/* ---- Items ---- */

/* One stream page. A zeroed query is every item, newest first. */
struct store_api_query {
	const char *feed;     /* a feed id, or NULL */
	const char *tag;      /* a feed tag, or NULL */
	int64_t story;        /* a (surviving) story id, or 0 */
	int unread;           /* only unread items (xt=read) */
	int read;             /* only read items (the read state stream) */
	int starred;          /* only starred items */
	int64_t since, until; /* time >= since (ot), time < until (nt); 0: any */
	int oldest_first;     /* r=o */
	/* Continuation: only items after (time, id) in the order asked;
	 * after_id 0 = from the start. */
	int64_t after_time, after_id;
	unsigned limit; /* rows at most */
	int full;       /* fill the HTML columns (summary_html, content_html) */
	/* Only id and time (the other fields read 0 and ""): read from the
	 * indexes alone, never the rows (whose text comes first). */
	int ids_only;
};
/* Rows are struct store_item_row (store.h) borrowed for the callback; with
 * full 0 the HTML columns read "". A non-zero return of cb stops the walk
 * and is returned. */
typedef int (*store_api_item_cb)(const struct store_item_row *r, void *user);
int store_api_items(struct store *st, const struct store_api_query *q, store_api_item_cb cb,
		    void *user, char *err, size_t errlen);
/* The items of ids (n of them, in that order, those that exist), full. */
int store_api_items_by_id(struct store *st, const int64_t *ids, size_t n, store_api_item_cb cb,
			  void *user, char *err, size_t errlen);
/* The (surviving) story of item id, 0 when it has none. STORE_ENOTFOUND. */
int store_api_item_story(struct store *st, int64_t id, int64_t *story, char *err, size_t errlen);
/* Gives item id the tag label (add) or takes it away: the item tags filter
 * rules give too (herald stories --tag finds them). Nothing for an id that
 * is no item. 0, or -1 with err. */
int store_api_item_label(struct store *st, int64_t id, const char *label, int add, char *err,
			 size_t errlen);
/* Unread items per feed and the newest item time of each, by feed id. */
typedef int (*store_api_count_cb)(const char *feed, int64_t unread, int64_t newest, void *user);
int store_api_unread_counts(struct store *st, store_api_count_cb cb, void *user, char *err,
			    size_t errlen);
/* Stories with unread items (the folded reading list's count). */
int store_api_unread_stories(struct store *st, int64_t *out, char *err, size_t errlen);

#endif
