/* api: the Google Reader API (see api.h and docs/api.md).
 *
 * Sources: api.c (requests, accounts, tokens, the routes), api_stream.c
 * (the stream endpoints: contents, ids, items, unread counts, Atom) and
 * api_int.h, what they share. */
#include "api.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "api_int.h"
#include "buf.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "store_api.h"
#include "writer.h"

/* Failed logins: per client address, at most API_FAIL_MAX in
 * API_FAIL_WINDOW seconds, then 429 until the window ends. */
#define API_FAIL_MAX    5
#define API_FAIL_WINDOW 60
#define API_FAIL_SLOTS  64
/* Hashes computed at once on the thread pool (64 MiB each). */
#define API_MAX_HASHING 2
/* Serving time one loop turn may spend; past it, requests wait for the
 * next turn (the loop's other work, curl's sockets and the control
 * socket, comes between). One request is never cut: the bounded pages
 * (n) bound it. */
#define API_TURN_BUDGET_NS (10 * 1000000ull)
/* Tokens kept per account: a new login past this drops the oldest. */
#define API_MAX_TOKENS 32

struct account {
	char *name;
	char *hash;
	int folded, mark_story;
};

struct token {
	unsigned char h[API_HASH_BYTES];
	char *account;
};

struct fail {
	char addr[48];
	unsigned n;
	int64_t since;
};

enum call_kind { CALL_REQUEST, CALL_LOGIN, CALL_PASSWD, CALL_RELOAD };

/* A request, a login or a passwd the API holds past one loop callback. */
struct call {
	struct call *next, *prev; /* the API's live calls */
	struct call *wnext;       /* waiting for the store */
	int waiting, in_pool;
	enum call_kind kind;
	struct api *a;
	struct http_req *req; /* NULL for passwd, or once the connection went */
	uv_work_t work;
	char *user, *password, *hash;
	char *body; /* CALL_RELOAD: the answer once reloaded */
	int ok;     /* the pool's result */
	api_done_cb done;
	void *done_arg;
};

struct api {
	uv_loop_t *loop;
	struct api_env env;
	struct http *http;
	struct account *acc;
	size_t nacc;
	struct token *tok;
	size_t ntok;
	unsigned char secret[32]; /* keys the T tokens */
	struct call *calls;       /* live */
	struct call *whead, *wtail;
	size_t nwait;
	unsigned hashing;
	struct fail fails[API_FAIL_SLOTS];
	int stopping;
	int dead; /* stopped: freed by the last of the calls and the handle */
	/* Runs deferred requests on the next loop turn. An idle handle, not
	 * a zero timer: libuv runs a timer restarted at 0 from its own
	 * callback again in the same timer phase, which never ends. */
	uv_idle_t defer;
	int defer_open;             /* the handle is the loop's until its close callback */
	struct call *dhead, *dtail; /* deferred to the next turn */
	uint64_t turn;              /* uv_now() of the turn being counted */
	uint64_t spent;             /* ns spent serving in it */
};

/* ---- calls ---- */

static struct call *
call_new(struct api *a, enum call_kind kind, struct http_req *req)
{
	struct call *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->a = a;
	c->kind = kind;
	c->req = req;
	c->next = a->calls;
	if (a->calls)
		a->calls->prev = c;
	a->calls = c;
	return c;
}

static void
call_free(struct call *c)
{
	struct api *a = c->a;

	if (c->prev)
		c->prev->next = c->next;
	else
		a->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->password)
		sodium_memzero(c->password, strlen(c->password));
	free(c->user);
	free(c->password);
	free(c->hash);
	free(c->body);
	free(c);
	if (a->dead && a->calls == NULL && !a->defer_open)
		free(a);
}

static void
on_req_abort(void *arg)
{
	struct call *c = arg;

	c->req = NULL;
}

/* Waits for the store: run again by api_hold(0). 0, or -1 when too many
 * wait (the caller answers 503). */
static int
call_wait(struct call *c)
{
	struct api *a = c->a;

	if (a->nwait >= API_MAX_WAITING)
		return -1;
	c->waiting = 1;
	c->wnext = NULL;
	if (a->wtail)
		a->wtail->wnext = c;
	else
		a->whead = c;
	a->wtail = c;
	a->nwait++;
	if (c->req)
		http_req_on_abort(c->req, on_req_abort, c);
	return 0;
}

/* ---- answers ---- */

void
api_text(struct http_req *req, unsigned status, const char *text)
{
	http_respond(req, status, "text/plain; charset=utf-8", text, strlen(text), NULL);
}

void
api_busy(struct http_req *req)
{
	static const char *const hdr[] = {"Retry-After", "1", NULL};
	static const char msg[] = "busy: try again in a second\n";

	http_respond(req, 503, "text/plain; charset=utf-8", msg, sizeof msg - 1, hdr);
}

void
api_buf(struct http_req *req, unsigned status, const char *ctype, struct buf *b, int failed)
{
	size_t len = b->len;
	char *body;

	if (failed || (body = buf_detach(b)) == NULL) {
		buf_free(b);
		api_text(req, 500, "out of memory\n");
		return;
	}
	http_respond_take(req, status, ctype, body, len, NULL);
}

void
api_store_error(struct http_req *req, const char *err)
{
	log_warn("api: %s", err);
	api_text(req, 500, "the store failed: see the daemon's log\n");
}

/* ---- accounts and tokens in memory ---- */

static struct account *
account_find(const struct api *a, const char *name)
{
	for (size_t i = 0; i < a->nacc; i++)
		if (strcmp(a->acc[i].name, name) == 0)
			return &a->acc[i];
	return NULL;
}

static void
account_drop_tokens(struct api *a, const char *name)
{
	size_t j = 0;

	for (size_t i = 0; i < a->ntok; i++) {
		if (strcmp(a->tok[i].account, name) == 0) {
			free(a->tok[i].account);
			continue;
		}
		a->tok[j++] = a->tok[i];
	}
	a->ntok = j;
}

static int
account_put(struct api *a, const char *name, const char *hash, int folded, int mark_story)
{
	struct account *ac = account_find(a, name), *v;
	char *h = strdup(hash);

	if (h == NULL)
		return -1;
	if (ac) {
		free(ac->hash);
		ac->hash = h;
		return 0;
	}
	if ((v = realloc(a->acc, (a->nacc + 1) * sizeof *v)) == NULL) {
		free(h);
		return -1;
	}
	a->acc = v;
	ac = &a->acc[a->nacc];
	if ((ac->name = strdup(name)) == NULL) {
		free(h);
		return -1;
	}
	ac->hash = h;
	ac->folded = folded;
	ac->mark_story = mark_story;
	a->nacc++;
	return 0;
}

static int
token_put(struct api *a, const unsigned char *h, const char *account)
{
	struct token *v;
	size_t held = 0, oldest = SIZE_MAX;

	for (size_t i = 0; i < a->ntok; i++)
		if (strcmp(a->tok[i].account, account) == 0) {
			held++;
			if (oldest == SIZE_MAX)
				oldest = i;
		}
	if (held >= API_MAX_TOKENS) {
		free(a->tok[oldest].account);
		memmove(&a->tok[oldest], &a->tok[oldest + 1],
			(a->ntok - oldest - 1) * sizeof *a->tok);
		a->ntok--;
	}
	if ((v = realloc(a->tok, (a->ntok + 1) * sizeof *v)) == NULL)
		return -1;
	a->tok = v;
	memcpy(v[a->ntok].h, h, API_HASH_BYTES);
	if ((v[a->ntok].account = strdup(account)) == NULL)
		return -1;
	a->ntok++;
	return 0;
}

static int
load_account(const struct store_api_account *sa, void *user)
{
	return account_put(user, sa->name, sa->hash, sa->folded, sa->mark_story) < 0 ? -1 : 0;
}

static int
load_token(const void *h, size_t len, const char *account, void *user)
{
	if (len != API_HASH_BYTES)
		return 0; /* not one of ours */
	return token_put(user, h, account) < 0 ? -1 : 0;
}

static void
token_hash(const char *token, unsigned char out[API_HASH_BYTES])
{
	crypto_generichash(out, API_HASH_BYTES, (const unsigned char *)token, strlen(token), NULL,
			   0);
}

/* The account of the request's Authorization header, or NULL. */
static const struct account *
authorize(struct api *a, struct http_req *req, unsigned char th[API_HASH_BYTES])
{
	const char *h = http_req_header(req, "Authorization"), *t = NULL;

	if (h == NULL)
		return NULL;
	if (strncasecmp(h, "GoogleLogin auth=", 17) == 0)
		t = h + 17;
	else if (strncasecmp(h, "Bearer ", 7) == 0)
		t = h + 7;
	if (t == NULL || strlen(t) != API_TOKEN_CHARS)
		return NULL;
	token_hash(t, th);
	for (size_t i = 0; i < a->ntok; i++)
		if (sodium_memcmp(a->tok[i].h, th, API_HASH_BYTES) == 0)
			return account_find(a, a->tok[i].account);
	return NULL;
}

/* The T token of a session: keyed by the daemon's secret of this run, so a
 * restart or a new password (new session) makes it stale. */
static void
edit_token(const struct api *a, const unsigned char th[API_HASH_BYTES], char out[41])
{
	unsigned char t[20];

	crypto_generichash(t, sizeof t, th, API_HASH_BYTES, a->secret, sizeof a->secret);
	sodium_bin2hex(out, 41, t, sizeof t);
}

/* ---- failed logins ---- */

static struct fail *
fail_slot(struct api *a, const char *addr, int create)
{
	struct fail *old = &a->fails[0];

	for (size_t i = 0; i < API_FAIL_SLOTS; i++) {
		if (strcmp(a->fails[i].addr, addr) == 0)
			return &a->fails[i];
		if (a->fails[i].since < old->since)
			old = &a->fails[i];
	}
	if (!create)
		return NULL;
	memset(old, 0, sizeof *old);
	snprintf(old->addr, sizeof old->addr, "%s", addr);
	return old;
}

static int
login_blocked(struct api *a, const char *addr)
{
	struct fail *f = fail_slot(a, addr, 0);

	return f && f->n >= API_FAIL_MAX && time(NULL) - f->since < API_FAIL_WINDOW;
}

static void
login_failed(struct api *a, const char *addr, const char *user)
{
	struct fail *f = fail_slot(a, addr, 1);
	int64_t now = time(NULL);

	if (now - f->since >= API_FAIL_WINDOW) {
		f->n = 0;
		f->since = now;
	}
	f->n++;
	log_warn("api: failed login for '%s' from %s (%u in %ds)", user, addr, f->n,
		 API_FAIL_WINDOW);
}

/* ---- ClientLogin ---- */

static void
login_work(uv_work_t *w)
{
	struct call *c = w->data;

	c->ok = c->hash && crypto_pwhash_str_verify(c->hash, c->password, strlen(c->password)) == 0;
}

static void login_finish(struct call *c);
static void passwd_finish(struct call *c);

/* A login's or a passwd's hash is done (or was cancelled): back on the loop. */
static void
hash_after(uv_work_t *w, int status)
{
	struct call *c = w->data;

	c->in_pool = 0;
	c->a->hashing--;
	if (status < 0)
		c->ok = 0;
	if (c->kind == CALL_LOGIN)
		login_finish(c);
	else
		passwd_finish(c);
}

/* After the hash: a token, stored (waiting for the store if need be). */
static void
login_finish(struct call *c)
{
	struct api *a = c->a;
	char err[256], token[API_TOKEN_CHARS + 1], body[3 * (API_TOKEN_CHARS + 8)];
	unsigned char raw[API_TOKEN_CHARS / 2], th[API_HASH_BYTES];
	struct store *st;

	if (c->req == NULL || a->stopping)
		goto out;
	if (!c->ok) {
		login_failed(a, http_req_addr(c->req), c->user);
		api_text(c->req, 401, "Error=BadAuthentication\n");
		goto out;
	}
	if (account_find(a, c->user) == NULL) { /* removed meanwhile */
		api_text(c->req, 401, "Error=BadAuthentication\n");
		goto out;
	}
	if ((st = writer_store(a->env.writer)) == NULL) {
		if (call_wait(c) == 0)
			return;
		api_busy(c->req);
		goto out;
	}
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(token, sizeof token, raw, sizeof raw);
	token_hash(token, th);
	if (store_api_token_add(st, th, sizeof th, c->user, time(NULL), err, sizeof err) < 0 ||
	    token_put(a, th, c->user) < 0) {
		api_store_error(c->req, err);
		goto out;
	}
	log_info("api: '%s' logged in from %s", c->user, http_req_addr(c->req));
	snprintf(body, sizeof body, "SID=%s\nLSID=%s\nAuth=%s\n", token, token, token);
	api_text(c->req, 200, body);
out:
	call_free(c);
}

static void
client_login(struct api *a, struct http_req *req)
{
	const char *user = http_req_arg(req, "Email"), *pw = http_req_arg(req, "Passwd");
	const struct account *ac;
	struct call *c;

	if (login_blocked(a, http_req_addr(req))) {
		static const char *const hdr[] = {"Retry-After", "60", NULL};
		static const char msg[] = "Error=TooManyFailedLogins\n";

		log_warn("api: login refused for %s: too many failed logins", http_req_addr(req));
		http_respond(req, 429, "text/plain; charset=utf-8", msg, sizeof msg - 1, hdr);
		return;
	}
	if (user == NULL || pw == NULL || strlen(user) > API_MAX_NAME ||
	    strlen(pw) > API_MAX_PASSWORD) {
		api_text(req, 401, "Error=BadAuthentication\n");
		return;
	}
	if (a->hashing >= API_MAX_HASHING) {
		api_busy(req);
		return;
	}
	ac = account_find(a, user);
	if ((c = call_new(a, CALL_LOGIN, req)) == NULL || (c->user = strdup(user)) == NULL ||
	    (c->password = strdup(pw)) == NULL || (ac && (c->hash = strdup(ac->hash)) == NULL)) {
		if (c)
			call_free(c);
		api_text(req, 500, "out of memory\n");
		return;
	}
	/* An unknown user is hashed too (against nothing): the answer takes
	 * as long, so timing tells no names. */
	c->work.data = c;
	http_req_on_abort(req, on_req_abort, c);
	if (uv_queue_work(a->loop, &c->work, login_work, hash_after) < 0) {
		call_free(c);
		api_text(req, 500, "cannot queue the login\n");
		return;
	}
	c->in_pool = 1;
	a->hashing++;
}

/* ---- passwd (the socket) ---- */

static int
name_ok(const char *user, char *err, size_t errlen)
{
	size_t n = strlen(user);

	if (n == 0 || n > API_MAX_NAME) {
		snprintf(err, errlen, "an account name has 1 to %d bytes", API_MAX_NAME);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)user[i] <= 0x20 || user[i] == 0x7f) {
			snprintf(err, errlen,
				 "an account name has no spaces or control characters");
			return -1;
		}
	return 0;
}

static void
passwd_work(uv_work_t *w)
{
	struct call *c = w->data;
	char out[crypto_pwhash_STRBYTES];

	c->ok = crypto_pwhash_str_alg(
			out, c->password, strlen(c->password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) == 0 &&
		(c->hash = strdup(out)) != NULL;
}

static void
passwd_finish(struct call *c)
{
	struct api *a = c->a;
	char err[256];
	struct store *st;

	if (a->stopping) {
		c->done(c->done_arg, -1, "the daemon is stopping");
		goto out;
	}
	if (!c->ok) {
		c->done(c->done_arg, -1, "cannot hash the password (out of memory)");
		goto out;
	}
	if ((st = writer_store(a->env.writer)) == NULL) {
		if (call_wait(c) == 0)
			return;
		c->done(c->done_arg, -1, "the store is busy: try again");
		goto out;
	}
	if (store_api_account_set(st, c->user, c->hash, time(NULL), err, sizeof err) < 0) {
		c->done(c->done_arg, -1, err);
		goto out;
	}
	account_drop_tokens(a, c->user);
	if (account_put(a, c->user, c->hash, 0, 0) < 0) {
		c->done(c->done_arg, -1, "out of memory");
		goto out;
	}
	log_info("api: password set for '%s' (its sessions revoked)", c->user);
	c->done(c->done_arg, 0, c->user);
out:
	call_free(c);
}

int
api_passwd(struct api *a, const char *user, const char *password, api_done_cb cb, void *arg,
	   char *err, size_t errlen)
{
	struct call *c;

	if (name_ok(user, err, errlen) < 0)
		return -1;
	if (strlen(password) < 8 || strlen(password) > API_MAX_PASSWORD) {
		snprintf(err, errlen, "a password has 8 to %d bytes", API_MAX_PASSWORD);
		return -1;
	}
	if ((c = call_new(a, CALL_PASSWD, NULL)) == NULL || (c->user = strdup(user)) == NULL ||
	    (c->password = strdup(password)) == NULL) {
		if (c)
			call_free(c);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->done = cb;
	c->done_arg = arg;
	c->work.data = c;
	if (uv_queue_work(a->loop, &c->work, passwd_work, hash_after) < 0) {
		call_free(c);
		snprintf(err, errlen, "cannot queue the hash");
		return -1;
	}
	c->in_pool = 1;
	a->hashing++;
	return 0;
}

int
api_account_remove(struct api *a, const char *user, char *err, size_t errlen)
{
	struct store *st = writer_store(a->env.writer);
	struct account *ac;
	int rc;

	if (st == NULL) {
		snprintf(err, errlen, "the store is busy: try again");
		return -1;
	}
	if ((rc = store_api_account_remove(st, user, err, errlen)) < 0)
		return rc;
	account_drop_tokens(a, user);
	if ((ac = account_find(a, user)) != NULL) {
		free(ac->name);
		free(ac->hash);
		*ac = a->acc[--a->nacc];
	}
	log_info("api: account '%s' removed", user);
	return 0;
}

int
api_account_options(struct api *a, const char *user, int folded, int mark_story, char *err,
		    size_t errlen)
{
	struct store *st = writer_store(a->env.writer);
	struct account *ac;
	int rc;

	if (st == NULL) {
		snprintf(err, errlen, "the store is busy: try again");
		return -1;
	}
	if ((rc = store_api_account_options(st, user, folded, mark_story, err, errlen)) < 0)
		return rc;
	if ((ac = account_find(a, user)) != NULL) {
		if (folded >= 0)
			ac->folded = folded;
		if (mark_story >= 0)
			ac->mark_story = mark_story;
	}
	return 0;
}

int
api_accounts(const struct api *a, api_account_cb cb, void *arg)
{
	for (size_t i = 0; i < a->nacc; i++) {
		size_t n = 0;
		int rc;

		for (size_t j = 0; j < a->ntok; j++)
			n += strcmp(a->tok[j].account, a->acc[i].name) == 0;
		if ((rc = cb(arg, a->acc[i].name, a->acc[i].folded, a->acc[i].mark_story, n)) != 0)
			return rc;
	}
	return 0;
}

/* ---- subscription edits: reload, then answer ---- */

const char *
api_edit_path(const struct api_session *s)
{
	return s->cfg->include ? s->cfg->include : s->api->env.config_path;
}

int
api_can_edit(const struct api_session *s)
{
	return s->api->env.reload != NULL;
}

static void
reloaded(void *arg, int rc, const char *errors)
{
	struct call *c = arg;

	c->in_pool = 0;
	if (c->req && !c->a->stopping) {
		if (rc == 0) {
			http_respond(c->req, 200, API_JSON, c->body, strlen(c->body), NULL);
		} else {
			struct buf b = {0};

			if (buf_printf(&b, "feeds.conf was edited but its reload failed: %s\n",
				       errors ? errors : strerror(-rc)) < 0)
				api_text(c->req, 500, "out of memory\n");
			else
				api_buf(c->req, 500, "text/plain; charset=utf-8", &b, 0);
		}
	}
	call_free(c);
}

void
api_reload_then(const struct api_session *s, struct http_req *req, char *ok_body)
{
	struct api *a = s->api;
	struct call *c = call_new(a, CALL_RELOAD, req);

	if (c == NULL) {
		free(ok_body);
		api_text(req, 500, "out of memory\n");
		return;
	}
	c->body = ok_body;
	http_req_on_abort(req, on_req_abort, c);
	/* Held by the daemon's reload until reloaded() (as a pool job is). */
	c->in_pool = 1;
	if (a->env.reload(a->env.daemon, reloaded, c) < 0) {
		c->in_pool = 0;
		api_text(req, 500,
			 "feeds.conf was edited but cannot be reloaded (out of memory)\n");
		call_free(c);
	}
}

/* ---- the simple endpoints ---- */

static void
user_info(struct http_req *req, const struct account *ac)
{
	struct buf b = {0};
	int bad = 0;

	bad |= buf_puts(&b, "{\"userId\":\"1\",\"userProfileId\":\"1\",\"userName\":") < 0;
	bad |= buf_json_string(&b, ac->name, strlen(ac->name)) < 0;
	bad |= buf_puts(&b, ",\"userEmail\":") < 0;
	bad |= buf_json_string(&b, ac->name, strlen(ac->name)) < 0;
	bad |= buf_puts(&b, ",\"isBloggerUser\":false,\"signupTimeSec\":0,\"isMultiLoginEnabled\":"
			    "false}") < 0;
	api_buf(req, 200, API_JSON, &b, bad);
}

static int
put_tags(struct buf *b, const struct config *cfg)
{
	int bad = 0;
	size_t ntags = 0;
	const char **tags = api_config_tags(cfg, &ntags);

	if (tags == NULL && ntags)
		return -1;
	bad |= buf_puts(b, "{\"tags\":[{\"id\":\"user/-/state/com.google/starred\"}") < 0;
	for (size_t i = 0; i < ntags; i++) {
		bad |= buf_puts(b, ",{\"id\":") < 0;
		bad |= api_json_label(b, tags[i]) < 0;
		bad |= buf_puts(b, ",\"type\":\"folder\"}") < 0;
	}
	bad |= buf_puts(b, "]}") < 0;
	free(tags);
	return bad ? -1 : 0;
}

/* The display name of feed f: its name in feeds.conf, else its own title
 * (the store's), else its id. */
static const char *
feed_title(const struct config_feed *f, const struct store_feed_list *l)
{
	if (f->name)
		return f->name;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, f->id) == 0)
			return l->v[i].name;
	return f->id;
}

static void
subscription_list(const struct api_session *s, struct http_req *req)
{
	const struct config *cfg = s->cfg;
	struct store_feed_list l = {0};
	struct buf b = {0};
	char err[256] = "";
	int bad = buf_puts(&b, "{\"subscriptions\":[") < 0;

	if (store_feeds_state(s->st, &l, err, sizeof err) < 0) {
		store_feed_list_free(&l);
		buf_free(&b);
		api_store_error(req, err);
		return;
	}
	for (size_t i = 0; i < cfg->nfeeds; i++) {
		const struct config_feed *f = &cfg->feeds[i];
		const char *title = feed_title(f, &l);

		bad |= buf_puts(&b, i ? ",{\"id\":" : "{\"id\":") < 0;
		bad |= api_json_feed_id(&b, f->url) < 0;
		bad |= buf_puts(&b, ",\"title\":") < 0;
		bad |= buf_json_string(&b, title, strlen(title)) < 0;
		bad |= buf_puts(&b, ",\"categories\":[") < 0;
		for (size_t t = 0; t < f->ntags; t++) {
			bad |= buf_puts(&b, t ? ",{\"id\":" : "{\"id\":") < 0;
			bad |= api_json_label(&b, f->tags[t]) < 0;
			bad |= buf_puts(&b, ",\"label\":") < 0;
			bad |= buf_json_string(&b, f->tags[t], strlen(f->tags[t])) < 0;
			bad |= buf_puts(&b, "}") < 0;
		}
		bad |= buf_puts(&b, "],\"url\":") < 0;
		bad |= buf_json_string(&b, f->url, strlen(f->url)) < 0;
		bad |= buf_puts(&b, ",\"htmlUrl\":") < 0;
		bad |= buf_json_string(&b, f->url, strlen(f->url)) < 0;
		bad |= buf_puts(&b, ",\"iconUrl\":\"\",\"sortid\":") < 0;
		bad |= buf_printf(&b, "\"%08zX\",\"firstitemmsec\":\"0\"}", i) < 0;
	}
	bad |= buf_puts(&b, "]}") < 0;
	store_feed_list_free(&l);
	api_buf(req, 200, API_JSON, &b, bad);
}

/* ---- routing ---- */

#define API_PREFIX "/reader/api/0/"

/* Whether a route reads or writes the store. */
static int
needs_store(const char *path)
{
	static const char *const free_routes[] = {"token", "user-info", "tag/list", NULL};

	if (strncmp(path, API_PREFIX, sizeof API_PREFIX - 1) != 0)
		return strncmp(path, "/reader/atom/", 13) == 0;
	path += sizeof API_PREFIX - 1;
	for (size_t i = 0; free_routes[i]; i++)
		if (strcmp(path, free_routes[i]) == 0)
			return 0;
	return 1;
}

static void serve(struct api *a, struct http_req *req);

/* Whether this loop turn spent its serving budget (a new turn starts a
 * new count: uv_now() moves once per turn). */
static int
over_budget(struct api *a)
{
	if (uv_now(a->loop) != a->turn) {
		a->turn = uv_now(a->loop);
		a->spent = 0;
	}
	return a->spent > API_TURN_BUDGET_NS;
}

static void
on_defer(uv_idle_t *t)
{
	struct api *a = t->data;
	struct call *c = a->dhead, *next;

	/* A new turn, a new budget; those deferred again go to a new list,
	 * for the turn after (the handle restarts for it). */
	uv_idle_stop(t);
	a->turn = uv_now(a->loop);
	a->spent = 0;
	a->dhead = a->dtail = NULL;
	for (; c; c = next) {
		struct http_req *req = c->req;

		next = c->wnext;
		call_free(c);
		if (req) {
			http_req_on_abort(req, NULL, NULL); /* c is gone */
			serve(a, req);
		}
	}
}

/* Serves req on the next loop turn. */
static void
defer(struct api *a, struct http_req *req)
{
	struct call *c = call_new(a, CALL_REQUEST, req);

	if (c == NULL) {
		api_busy(req);
		return;
	}
	if (a->dtail)
		a->dtail->wnext = c;
	else
		a->dhead = c;
	a->dtail = c;
	http_req_on_abort(req, on_req_abort, c);
	if (!uv_is_active((uv_handle_t *)&a->defer))
		uv_idle_start(&a->defer, on_defer);
}

static void
route(struct api *a, struct http_req *req, const struct api_session *s, const char *path)
{
	path += sizeof API_PREFIX - 1;
	char t[41];

	if (strcmp(path, "token") == 0) {
		edit_token(a, s->token_hash, t);
		t[40] = '\n';
		http_respond(req, 200, "text/plain; charset=utf-8", t, 41, NULL);
	} else if (strcmp(path, "user-info") == 0) {
		user_info(req, s->account);
	} else if (strcmp(path, "subscription/list") == 0) {
		subscription_list(s, req);
	} else if (strcmp(path, "tag/list") == 0) {
		struct buf b = {0};

		api_buf(req, 200, API_JSON, &b, put_tags(&b, a->env.cfg) < 0);
	} else if (strcmp(path, "unread-count") == 0) {
		api_unread_count(s, req);
	} else if (strncmp(path, "stream/contents", 15) == 0 &&
		   (path[15] == 0 || path[15] == '/')) {
		api_stream_contents(s, req, path[15] ? path + 16 : NULL, 0);
	} else if (strcmp(path, "stream/items/ids") == 0) {
		api_stream_ids(s, req);
	} else if (strcmp(path, "stream/items/contents") == 0) {
		api_items_contents(s, req);
	} else if (strcmp(path, "edit-tag") == 0) {
		api_edit_tag(s, req);
	} else if (strcmp(path, "mark-all-as-read") == 0) {
		api_mark_all_read(s, req);
	} else if (strcmp(path, "subscription/quickadd") == 0 ||
		   strcmp(path, "subscription/edit") == 0) {
		api_subscription_edit(s, req, strcmp(path, "subscription/quickadd") == 0);
	} else {
		api_text(req, 404, "no such API call\n");
	}
}

static void
serve(struct api *a, struct http_req *req)
{
	const char *path = http_req_path(req), *method = http_req_method(req);

	/* "http://host/" + "/accounts/ClientLogin" (newsboat with a trailing
	 * slash in feedhq-url) is the same call. */
	while (path[0] == '/' && path[1] == '/')
		path++;
	struct api_session s = {.api = a, .cfg = a->env.cfg};
	const struct account *ac;
	char t[41];
	const char *tparam;
	uint64_t t0;

	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 &&
	    strcmp(method, "HEAD") != 0) {
		api_text(req, 405, "GET or POST\n");
		return;
	}
	if (http_req_bad_body(req)) {
		api_text(req, 400, "the body is not a valid form\n");
		return;
	}
	if (strcmp(path, "/accounts/ClientLogin") == 0) {
		client_login(a, req);
		return;
	}
	if (strcmp(path, "/reader/ping") == 0) {
		api_text(req, 200, "OK");
		return;
	}
	if (strncmp(path, API_PREFIX, sizeof API_PREFIX - 1) != 0 &&
	    strncmp(path, "/reader/atom/", 13) != 0) {
		api_text(req, 404, "not found: the API is under /reader/api/0/\n");
		return;
	}
	if ((ac = authorize(a, req, s.token_hash)) == NULL) {
		api_text(req, 401, "Unauthorized: log in with /accounts/ClientLogin\n");
		return;
	}
	s.account_name = ac->name;
	s.folded = ac->folded;
	s.mark_story = ac->mark_story;
	s.account = ac;
	if (strcmp(method, "POST") == 0 && strcmp(path, API_PREFIX "token") != 0) {
		edit_token(a, s.token_hash, t);
		tparam = http_req_arg(req, "T");
		if (tparam == NULL || strlen(tparam) != 40 || sodium_memcmp(tparam, t, 40) != 0) {
			static const char *const hdr[] = {"X-Reader-Google-Bad-Token", "true",
							  NULL};
			static const char msg[] = "Unauthorized: missing or stale T token\n";

			http_respond(req, 401, "text/plain; charset=utf-8", msg, sizeof msg - 1,
				     hdr);
			return;
		}
	}
	if (needs_store(path) && (s.st = writer_store(a->env.writer)) == NULL) {
		struct call *c = call_new(a, CALL_REQUEST, req);

		if (c == NULL || call_wait(c) < 0) {
			if (c)
				call_free(c);
			api_busy(req);
		} else {
			log_debug("api: %s waits for the store", path);
		}
		return;
	}
	if (over_budget(a)) {
		defer(a, req);
		return;
	}
	t0 = uv_hrtime();
	if (strncmp(path, "/reader/atom/", 13) == 0)
		api_atom(&s, req, path + 13);
	else
		route(a, req, &s, path);
	a->spent += uv_hrtime() - t0;
}

static void
on_request(void *ctx, struct http_req *req)
{
	struct api *a = ctx;

	if (a->stopping) {
		api_busy(req);
		return;
	}
	serve(a, req);
}

/* ---- life ---- */

int
api_new(uv_loop_t *loop, const struct api_env *env, struct api **out, char *err, size_t errlen)
{
	struct api *a;
	struct store *st = writer_store(env->writer);

	*out = NULL;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "api: libsodium cannot start");
		return -1;
	}
	if (st == NULL) {
		snprintf(err, errlen, "api: the store is busy");
		return -1;
	}
	if ((a = calloc(1, sizeof *a)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->loop = loop;
	a->env = *env;
	if (uv_idle_init(loop, &a->defer) < 0) {
		free(a);
		snprintf(err, errlen, "api: cannot create an idle handle");
		return -1;
	}
	a->defer.data = a;
	a->defer_open = 1;
	randombytes_buf(a->secret, sizeof a->secret);
	if (store_api_accounts(st, load_account, a, err, errlen) != 0 ||
	    store_api_tokens(st, load_token, a, err, errlen) != 0) {
		if (!*err)
			snprintf(err, errlen, "api: out of memory loading the accounts");
		api_stop(a);
		return -1;
	}
	*out = a;
	return 0;
}

int
api_listen(struct api *a, const char *listen, char *err, size_t errlen)
{
	struct http_options o = {.listen = listen};

	if (http_start(a->loop, &o, on_request, a, &a->http, err, errlen) < 0)
		return -1;
	log_info("api: serving the Google Reader API on %s (%zu account%s)", http_address(a->http),
		 a->nacc, a->nacc == 1 ? "" : "s");
	if (a->nacc == 0)
		log_warn("api: no account yet: create one with 'herald passwd USER'");
	return 0;
}

const char *
api_address(const struct api *a)
{
	return a && a->http ? http_address(a->http) : NULL;
}

void
api_hold(struct api *a, int on)
{
	struct call *c;

	if (a == NULL || on)
		return;
	/* Each runs once; one that finds the store busy again queues anew. */
	while (a->whead && !writer_busy(a->env.writer)) {
		c = a->whead;
		a->whead = c->wnext;
		if (a->whead == NULL)
			a->wtail = NULL;
		a->nwait--;
		c->waiting = 0;
		if (c->kind == CALL_LOGIN) {
			login_finish(c);
		} else if (c->kind == CALL_PASSWD) {
			passwd_finish(c);
		} else {
			struct http_req *req = c->req;

			call_free(c);
			if (req) {
				http_req_on_abort(req, NULL, NULL); /* c is gone */
				serve(a, req);
			}
		}
	}
}

static void
on_defer_closed(uv_handle_t *h)
{
	struct api *a = h->data;

	a->defer_open = 0;
	if (a->calls == NULL)
		free(a);
}

void
api_stop(struct api *a)
{
	struct call *c, *next;

	if (a == NULL)
		return;
	a->stopping = 1;
	for (c = a->calls; c; c = next) {
		next = c->next;
		if (c->in_pool) {
			/* Its after-work callback comes and frees it (stopping). */
			if (c->req)
				api_busy(c->req);
			c->req = NULL;
			continue;
		}
		if (c->kind == CALL_PASSWD)
			c->done(c->done_arg, -1, "the daemon is stopping");
		else if (c->req)
			api_busy(c->req);
		call_free(c);
	}
	a->whead = a->wtail = NULL;
	a->nwait = 0;
	http_stop(a->http);
	a->http = NULL;
	for (size_t i = 0; i < a->nacc; i++) {
		free(a->acc[i].name);
		free(a->acc[i].hash);
	}
	for (size_t i = 0; i < a->ntok; i++)
		free(a->tok[i].account);
	free(a->acc);
	free(a->tok);
	a->dhead = a->dtail = NULL;
	a->dead = 1; /* freed by on_defer_closed or the last call_free */
	uv_close((uv_handle_t *)&a->defer, on_defer_closed);
}
