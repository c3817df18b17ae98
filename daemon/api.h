/* api: the Google Reader API served by heraldd (issue 24, docs/api.md).
 *
 * The Reader API's endpoints (ClientLogin, token, user-info,
 * subscription/list, tag/list, unread-count, stream/contents,
 * stream/items/ids, stream/items/contents, edit-tag, mark-all-as-read,
 * subscription/quickadd and /reader/atom/) answered over daemon/http.c,
 * the accounts that may use them, and their login tokens.
 *
 * It reads and marks through the writer exactly as the socket's commands
 * do: writer_store() on the loop thread, one call at a time. While the
 * worker holds the store a request that needs it waits in a queue (at most
 * API_MAX_WAITING; more get 503 with Retry-After), released by api_hold(0)
 * (the writer's busy callback). Password hashes (argon2id) are computed on
 * libuv's thread pool, never on the loop.
 *
 * Accounts and tokens live in the store (store_api.h) and, for the checks
 * every request makes, in memory: api_new loads them. */
#ifndef HERALD_API_H
#define HERALD_API_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct api;
struct config;
struct writer;

#define API_MAX_WAITING  1024 /* requests waiting for the store */
#define API_MAX_NAME     64   /* bytes of an account name */
#define API_MAX_PASSWORD 1024

/* What the API uses of the daemon, borrowed for its life. */
struct api_env {
	struct writer *writer;
	const struct config *cfg; /* the running configuration */
	const char *config_path;
	/* Re-reads feeds.conf after subscription/quickadd and /edit changed it
	 * (the daemon's reload, as `herald add` uses): cb(arg, rc, errors)
	 * later on the loop. Returns 0 or -ENOMEM (cb not called). NULL:
	 * those calls answer 501. */
	int (*reload)(void *daemon, void (*cb)(void *arg, int rc, const char *errors), void *arg);
	void *daemon;
};

/* Loads the accounts and tokens (the store must be free: at start-up). 0
 * and *out, or -1 with err. */
int api_new(uv_loop_t *loop, const struct api_env *env, struct api **out, char *err, size_t errlen);
/* Serves the API on listen (http_listen). 0, or -1 with err. */
int api_listen(struct api *a, const char *listen, char *err, size_t errlen);
/* The HTTP server's address ("127.0.0.1:8080"), or NULL when not serving. */
const char *api_address(const struct api *a);
/* The writer's busy callback: on = 0 lets waiting requests run. Safe on NULL. */
void api_hold(struct api *a, int on);
/* Answers what waits with 503, closes the server, frees a (handles close
 * as the loop runs). Safe on NULL. */
void api_stop(struct api *a);

/* ---- Accounts (herald passwd, through the socket) ---- */

/* Sets user's password (creating the account), revoking its tokens; the
 * hash is made on the thread pool, then cb(arg, 0 or -1, message) on the
 * loop. Returns 0, or -1 with err (bad name or password; cb not called). */
typedef void (*api_done_cb)(void *arg, int rc, const char *msg);
int api_passwd(struct api *a, const char *user, const char *password, api_done_cb cb, void *arg,
	       char *err, size_t errlen);
/* Removes an account and its tokens. 0, STORE_ENOTFOUND or -1, with err.
 * The store must be free (the socket's hold sees to it). */
int api_account_remove(struct api *a, const char *user, char *err, size_t errlen);
/* Sets an account's options (-1: unchanged): folded reading list, and
 * whether marking an item read marks its story read. */
int api_account_options(struct api *a, const char *user, int folded, int mark_story, char *err,
			size_t errlen);
/* Each account: name, folded, mark_story, tokens held. */
typedef int (*api_account_cb)(void *arg, const char *name, int folded, int mark_story,
			      size_t ntokens);
int api_accounts(const struct api *a, api_account_cb cb, void *arg);

/* ---- Pure parts (exposed for tests and the fuzz target) ---- */

/* An item id in any form clients send: "tag:google.com,2005:reader/item/"
 * and 16 hex digits, 16 hex digits alone, or decimal. 0 and *id, or -1. */
int api_parse_item_id(const char *s, int64_t *id);

enum api_stream_kind {
	API_STREAM_READING_LIST,
	API_STREAM_STARRED,
	API_STREAM_READ,
	API_STREAM_FEED,  /* arg: the feed's URL */
	API_STREAM_LABEL, /* arg: the tag */
	API_STREAM_STORY, /* user/-/label/story/<id>: story */
};
struct api_stream {
	enum api_stream_kind kind;
	const char *arg; /* points into the parsed string */
	int64_t story;
};
/* Parses a stream id ("user/-/state/com.google/reading-list", "feed/URL",
 * "user/-/label/TAG", "user/-/label/story/ID"; "user/ID/..." too). 0, or
 * -1 for anything else. */
int api_parse_stream(const char *s, struct api_stream *out);
/* A continuation as stream/contents gives it: "TIME_ID" (the last item
 * given: *a time, *b its id > 0), or folded "fOFFSET" (*a the stories
 * already given). 0, or -1. */
int api_parse_continuation(const char *c, int folded, int64_t *a, int64_t *b);

#endif
