/* api_int: what api.c and api_stream.c share. Not for other modules. */
#ifndef HERALD_API_INT_H
#define HERALD_API_INT_H

#include <stddef.h>
#include <stdint.h>

struct api;
struct buf;
struct config;
struct http_req;
struct store;

#define API_JSON        "application/json; charset=utf-8"
#define API_HASH_BYTES  32 /* BLAKE2b of a token */
#define API_TOKEN_CHARS 64 /* hex of 32 random bytes */

struct account;

/* One authorised request. */
struct api_session {
	struct api *api;
	const struct config *cfg;
	struct store *st; /* the writer's, for this call only; NULL for routes
			   * that do not touch the store */
	const struct account *account;
	const char *account_name;
	int folded, mark_story;
	unsigned char token_hash[API_HASH_BYTES];
};

/* After an edit of feeds.conf: reloads it and answers req with ok_body
 * (JSON, malloc'd, taken) once the reload is done, or with the reload's
 * errors (api.c). */
void api_reload_then(const struct api_session *s, struct http_req *req, char *ok_body);
/* The file subscription edits go to: the one feeds.conf includes, else
 * feeds.conf itself (as herald add). */
const char *api_edit_path(const struct api_session *s);
/* 1 when the daemon can reload feeds.conf for the API. */
int api_can_edit(const struct api_session *s);

/* Answers (api.c). */
void api_text(struct http_req *req, unsigned status, const char *text);
void api_busy(struct http_req *req);
/* Answers with b's contents (taken), or 500 when failed is set. */
void api_buf(struct http_req *req, unsigned status, const char *ctype, struct buf *b, int failed);
void api_store_error(struct http_req *req, const char *err);

/* JSON pieces (api_stream.c): "user/-/label/TAG", "feed/URL". */
int api_json_label(struct buf *b, const char *tag);
int api_json_feed_id(struct buf *b, const char *url);
/* Every distinct tag of the configured feeds, sorted; malloc'd array of
 * borrowed strings (NULL with *n 0 when there are none). */
const char **api_config_tags(const struct config *cfg, size_t *n);

/* The endpoints (api_stream.c). */
void api_unread_count(const struct api_session *s, struct http_req *req);
void api_stream_contents(const struct api_session *s, struct http_req *req, const char *stream,
			 int atom);
void api_stream_ids(const struct api_session *s, struct http_req *req);
void api_items_contents(const struct api_session *s, struct http_req *req);
void api_edit_tag(const struct api_session *s, struct http_req *req);
void api_mark_all_read(const struct api_session *s, struct http_req *req);
void api_subscription_edit(const struct api_session *s, struct http_req *req, int quickadd);
void api_atom(const struct api_session *s, struct http_req *req, const char *stream);

#endif
