/* fetch: libcurl multi on libuv, following curl's multi-uv example:
 * CURLMOPT_SOCKETFUNCTION opens/updates/closes one uv_poll_t per socket,
 * CURLMOPT_TIMERFUNCTION arms the single uv_timer_t, and both call
 * curl_multi_socket_action, after which finished transfers are collected
 * with curl_multi_info_read.
 *
 * Ownership: struct fetch owns the timer, every struct sock (its uv_poll_t)
 * and every request. Handles are closed only through close_handle(), whose
 * callback frees the memory; the fetcher itself is freed when its last
 * handle has closed after fetch_shutdown. */
#include "autoconfig.h"

#include "fetch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "url.h"

/* Bodies of non-2xx answers are read (keeping the connection reusable)
 * but never handed on; past this much we stop reading them. */
#define DISCARD_MAX (64 * 1024)

/* The body of a redirect is read (curl keeps the connection for the next
 * hop) but never used: past this many bytes or this long, the transfer
 * stops (issue #28: a dripping body held a poll to its timeout). */
#define REDIRECT_BODY_MAX (64 * 1024)
#define REDIRECT_BODY_MS  2000

/* Feeds first, but any type is read: servers label feeds loosely. */
#define ACCEPT_VALUE                                                                               \
	"application/rss+xml, application/atom+xml, application/feed+json, "                       \
	"application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, "                       \
	"application/json;q=0.8, */*;q=0.5"

struct sock {
	uv_poll_t poll;
	curl_socket_t fd;
	struct fetch *f;
	struct sock *prev, *next;
};

/* A file:// read on a worker thread (issue #28: a FIFO blocked the loop).
 * The job outlives its request when that is cancelled first: r is then
 * NULL and the job frees itself when the worker is done. */
struct file_job {
	uv_work_t work;
	struct fetch_request *r;
	char *path;
	size_t max;
	char *data; /* what was read */
	size_t len;
	int err;          /* errno of what failed, or 0 */
	const char *what; /* what failed: "open", "read", ... or NULL */
	const char *type; /* not a regular file: what it is */
	int too_big;
};

/* A request is always on exactly one list of its fetcher. */
struct req_list {
	struct fetch_request *head;
	size_t n;
};

struct fetch_request {
	struct fetch *f;
	CURL *easy;
	struct curl_slist *headers;
	struct req_list *list;
	struct fetch_request *prev, *next;
	char *url;
	fetch_data_cb data_cb;
	fetch_done_cb done_cb;
	void *user;
	int in_multi;
	int cancelled; /* by the caller while curl ran: freed once curl returns */
	int finishing; /* inside its done callback */
	int too_big, cb_abort, discard_stop;
	int in_redirect_body; /* the headers of a 3xx with a Location ended */
	int redirect_stop;    /* its body went on too long: stopped */
	curl_off_t redirect_dl_at;
	uint64_t redirect_at; /* uv_now when its body began */
	int paused;  /* its data waits for the next loop turn (slice_ms) */
	int is_file; /* file://: read by a worker (file_job), not by curl */
	struct file_job *job; /* the read in progress, or NULL */
	char *file_data;      /* what it read, handed out in slices */
	size_t file_len, file_pos;
	uint64_t bytes, discarded;
	/* From the response headers; reset at each new status line so that
	 * only the final response counts. */
	long last_status;
	int hops, temporary_hop;
	char *etag, *last_modified, *content_encoding, *location;
	long retry_after;
	char errbuf[CURL_ERROR_SIZE];
};

struct fetch {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	uv_idle_t resume; /* unpauses transfers at the next loop turn */
	int resume_on;
	uint64_t slice_loop_ms; /* uv_now of the turn the slice belongs to */
	uint64_t slice_start;   /* uv_hrtime when this turn first called curl */
	struct fetch_options opts;
	char *user_agent;
	char *ca_file;
	struct req_list running; /* in the multi handle */
	struct req_list pending; /* started from inside curl: added when it returns */
	struct req_list zombies; /* cancelled from inside curl */
	struct req_list files;   /* file:// requests (no curl handle) */
	struct sock *socks;
	unsigned open_handles; /* timer, idle and polls not yet closed */
	int in_curl;           /* inside curl_multi_socket_action */
	int closing;
	int shutdown_pending;
	void (*closed_cb)(void *);
	void *closed_user;
};

static void after_curl(struct fetch *f);
static void on_resume(uv_idle_t *idle);
static void file_deliver(struct fetch_request *r);
static void do_shutdown(struct fetch *f);

const char *
fetch_default_user_agent(void)
{
	return "herald/" PACKAGE_VERSION;
}

/* ---- lists ---- */

static void
list_add(struct req_list *l, struct fetch_request *r)
{
	r->list = l;
	r->prev = NULL;
	r->next = l->head;
	if (l->head)
		l->head->prev = r;
	l->head = r;
	l->n++;
}

static void
list_del(struct fetch_request *r)
{
	struct req_list *l = r->list;

	if (!l)
		return;
	if (r->prev)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	r->list = NULL;
	l->n--;
}

/* ---- handles: the one close path ---- */

static void
maybe_free(struct fetch *f)
{
	void (*cb)(void *) = f->closed_cb;
	void *user = f->closed_user;

	if (!f->closing || f->open_handles > 0)
		return;
	free(f->user_agent);
	free(f->ca_file);
	free(f);
	curl_global_cleanup();
	if (cb)
		cb(user);
}

static void
on_closed(uv_handle_t *h)
{
	struct fetch *f;

	if (h->type == UV_POLL) {
		struct sock *sk = h->data;

		f = sk->f;
		free(sk);
	} else {
		f = h->data;
	}
	f->open_handles--;
	maybe_free(f);
}

static void
close_handle(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, on_closed);
}

static void
sock_close(struct sock *sk)
{
	struct fetch *f = sk->f;

	if (sk->prev)
		sk->prev->next = sk->next;
	else
		f->socks = sk->next;
	if (sk->next)
		sk->next->prev = sk->prev;
	close_handle((uv_handle_t *)&sk->poll);
}

/* ---- curl -> libuv ---- */

/* All of a loop turn's calls into curl share one time slice (slice_ms). */
static void
slice_begin(struct fetch *f)
{
	if (f->slice_loop_ms == uv_now(f->loop) && f->slice_start)
		return;
	f->slice_loop_ms = uv_now(f->loop);
	f->slice_start = uv_hrtime();
}

static int
slice_spent(const struct fetch *f)
{
	return f->opts.slice_ms &&
	       uv_hrtime() - f->slice_start > (uint64_t)f->opts.slice_ms * 1000000u;
}

/* Next turn: the paused transfers take their data (curl hands it to
 * on_write from inside curl_easy_pause) and read on. */
static void
on_resume(uv_idle_t *idle)
{
	struct fetch *f = idle->data;
	struct fetch_request *r, *next;
	int still = 0, resumed = 0, running;

	slice_begin(f);
	/* From the head each time: a callback may cancel any of them. */
	while (!f->closing && !slice_spent(f)) {
		for (r = f->files.head; r && !r->paused; r = r->next)
			;
		if (r == NULL)
			break;
		file_deliver(r);
	}
	if (f->closing)
		return;
	f->in_curl = 1;
	for (r = f->running.head; r; r = next) {
		next = r->next;
		if (!r->paused || r->cancelled || slice_spent(f))
			continue;
		r->paused = 0;
		resumed = 1;
		curl_easy_pause(r->easy, CURLPAUSE_CONT);
	}
	/* An unpaused transfer is due at once (curl asks for a 0 ms timeout);
	 * drive it now rather than a timer tick later: on a busy machine each
	 * extra wake-up costs more than the slice itself. */
	if (resumed && !slice_spent(f) &&
	    curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running) != CURLM_OK)
		log_err("fetch: curl_multi_socket_action after resuming failed");
	f->in_curl = 0;
	/* Whatever is paused now (again, or still) needs the next turn. */
	for (r = f->running.head; r && !still; r = r->next)
		still = r->paused && !r->cancelled;
	for (r = f->files.head; r && !still; r = r->next)
		still = r->paused;
	if (!still) {
		uv_idle_stop(&f->resume);
		f->resume_on = 0;
	}
	after_curl(f);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	struct sock *sk = p->data;
	struct fetch *f = sk->f;
	int flags = 0, running;
	CURLMcode mc;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	slice_begin(f);
	f->in_curl = 1;
	mc = curl_multi_socket_action(f->multi, sk->fd, flags, &running);
	f->in_curl = 0;
	if (mc != CURLM_OK)
		log_err("fetch: curl_multi_socket_action: %s", curl_multi_strerror(mc));
	after_curl(f);
}

static void
on_timer(uv_timer_t *t)
{
	struct fetch *f = t->data;
	int running;
	CURLMcode mc;

	slice_begin(f);
	f->in_curl = 1;
	mc = curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	f->in_curl = 0;
	if (mc != CURLM_OK)
		log_err("fetch: curl_multi_socket_action: %s", curl_multi_strerror(mc));
	after_curl(f);
}

static int
curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct fetch *f = userp;

	(void)multi;
	if (timeout_ms < 0) {
		uv_timer_stop(&f->timer);
		return 0;
	}
	/* 0 means "act now", but never from inside this callback (curl forbids
	 * the recursion), and as in curl's multi-uv example not with a 0 ms
	 * timer either: libuv would run one restarted from on_timer again in
	 * the same loop turn, and a curl that keeps asking for 0 would starve
	 * the loop. 1 ms puts it on the next turn. */
	if (timeout_ms == 0)
		timeout_ms = 1;
	uv_timer_start(&f->timer, on_timer, (uint64_t)timeout_ms, 0); /* fails only when closing */
	return 0;
}

static struct sock *
sock_new(struct fetch *f, curl_socket_t fd)
{
	struct sock *sk = calloc(1, sizeof *sk);
	int rc;

	if (!sk) {
		log_err("fetch: out of memory for a socket watcher");
		return NULL;
	}
	rc = uv_poll_init_socket(f->loop, &sk->poll, fd);
	if (rc < 0) {
		log_err("fetch: uv_poll_init_socket(%d): %s", (int)fd, uv_strerror(rc));
		free(sk);
		return NULL;
	}
	sk->fd = fd;
	sk->f = f;
	sk->poll.data = sk;
	sk->next = f->socks;
	if (f->socks)
		f->socks->prev = sk;
	f->socks = sk;
	f->open_handles++;
	return sk;
}

static int
curl_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct fetch *f = userp;
	struct sock *sk = socketp;
	int events = 0, rc;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		/* curl calls this before it closes s, so the fd leaves epoll
		 * (uv_close stops the poll at once) before it can be reused. */
		if (sk) {
			curl_multi_assign(f->multi, s, NULL);
			sock_close(sk);
		}
		return 0;
	}
	/* On failure we return 0 all the same: -1 would make libcurl declare
	 * the whole multi handle dead. The unwatched transfer then ends by its
	 * own timeout, as a per-feed error. */
	if (!sk) {
		sk = sock_new(f, s);
		if (!sk)
			return 0;
		curl_multi_assign(f->multi, s, sk);
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= UV_READABLE;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= UV_WRITABLE;
	rc = uv_poll_start(&sk->poll, events, on_poll);
	if (rc < 0)
		log_err("fetch: uv_poll_start(%d): %s", (int)s, uv_strerror(rc));
	return 0;
}

/* ---- response headers and body ---- */

static char *
header_value(const char *v, size_t n)
{
	char *s;

	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 &&
	       (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	s = malloc(n + 1);
	if (s) {
		memcpy(s, v, n);
		s[n] = '\0';
	}
	return s;
}

/* Retry-After is delta-seconds or an HTTP date; returns seconds from now,
 * or -1 when unreadable. */
static long
parse_retry_after(const char *v)
{
	const char *p = v;
	time_t t, now;

	if (*p >= '0' && *p <= '9') {
		long n = 0;

		for (; *p >= '0' && *p <= '9'; p++)
			n = n > 100000000L ? n : n * 10 + (*p - '0');
		return *p == '\0' ? n : -1;
	}
	t = curl_getdate(v, NULL);
	if (t == (time_t)-1)
		return -1;
	now = time(NULL);
	return t > now ? (long)(t - now) : 0;
}

static void
reset_response(struct fetch_request *r)
{
	free(r->etag);
	free(r->last_modified);
	free(r->content_encoding);
	free(r->location);
	r->etag = r->last_modified = r->content_encoding = r->location = NULL;
	r->retry_after = -1;
}

static void
on_status_line(struct fetch_request *r, const char *buf, size_t len)
{
	long code = 0;
	size_t i = 5;

	while (i < len && buf[i] != ' ')
		i++;
	for (i++; i < len && buf[i] >= '0' && buf[i] <= '9'; i++)
		code = code * 10 + (buf[i] - '0');
	reset_response(r);
	r->in_redirect_body = 0;
	if (code < 200)
		return; /* 1xx: informational, more to come */
	if (r->last_status) {
		/* The previous response was a hop: it led here. */
		r->hops++;
		if (r->last_status != 301 && r->last_status != 308)
			r->temporary_hop = 1;
	}
	r->last_status = code;
}

static int
store_header(char **slot, const char *v, size_t n)
{
	free(*slot);
	*slot = header_value(v, n);
	return *slot ? 0 : -1;
}

int
fetch_validator_ok(const char *v)
{
	size_t i = 0;

	if (v == NULL)
		return 0;
	for (; v[i] && i <= FETCH_MAX_VALIDATOR; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
			return 0;
	return i <= FETCH_MAX_VALIDATOR;
}

/* A validator just received: kept when fetch_validator_ok, else dropped
 * (*slot NULL) with a log line saying what was wrong. */
static void
check_validator(struct fetch_request *r, char **slot, const char *name)
{
	size_t n;

	if (*slot == NULL || fetch_validator_ok(*slot))
		return;
	n = strlen(*slot);
	log_warn("fetch %s: %s dropped, not stored: %s (%zu bytes; at most %d, no control "
		 "characters)",
		 r->url, name, n > FETCH_MAX_VALIDATOR ? "too long" : "a control character in it",
		 n, FETCH_MAX_VALIDATOR);
	free(*slot);
	*slot = NULL;
}

static size_t
on_header(char *buf, size_t size, size_t n, void *userp)
{
	struct fetch_request *r = userp;
	size_t len = size * n, nl;
	const char *colon, *v;
	int rc = 0;

	if (r->cancelled)
		return 0;
	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		on_status_line(r, buf, len);
		return len;
	}
	if ((len == 2 && buf[0] == '\r') || (len == 1 && buf[0] == '\n')) {
		/* The end of the headers: a redirect's body follows, unused. */
		if (r->last_status >= 300 && r->last_status < 400 && r->location) {
			r->in_redirect_body = 1;
			r->redirect_at = uv_now(r->f->loop);
			r->redirect_dl_at = 0;
			curl_easy_getinfo(r->easy, CURLINFO_SIZE_DOWNLOAD_T, &r->redirect_dl_at);
		}
		return len;
	}
	colon = memchr(buf, ':', len);
	if (!colon)
		return len;
	nl = (size_t)(colon - buf);
	v = colon + 1;
	if (nl == 4 && strncasecmp(buf, "etag", 4) == 0) {
		rc = store_header(&r->etag, v, len - nl - 1);
		check_validator(r, &r->etag, "ETag");
	} else if (nl == 13 && strncasecmp(buf, "last-modified", 13) == 0) {
		rc = store_header(&r->last_modified, v, len - nl - 1);
		check_validator(r, &r->last_modified, "Last-Modified");
	} else if (nl == 16 && strncasecmp(buf, "content-encoding", 16) == 0) {
		rc = store_header(&r->content_encoding, v, len - nl - 1);
	} else if (nl == 8 && strncasecmp(buf, "location", 8) == 0) {
		rc = store_header(&r->location, v, len - nl - 1);
	} else if (nl == 11 && strncasecmp(buf, "retry-after", 11) == 0) {
		char *s = header_value(v, len - nl - 1);

		if (!s)
			return 0;
		r->retry_after = parse_retry_after(s);
		free(s);
	}
	return rc < 0 ? 0 : len;
}

static size_t
on_write(char *data, size_t size, size_t n, void *userp)
{
	struct fetch_request *r = userp;
	struct fetch *f = r->f;
	size_t len = size * n;
	long code = 0;

	if (r->cancelled)
		return 0;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code != 0 && (code < 200 || code > 299)) {
		r->discarded += len;
		if (r->discarded > DISCARD_MAX) {
			r->discard_stop = 1;
			return 0;
		}
		return len;
	}
	if (len > f->opts.max_body || r->bytes > f->opts.max_body - len) {
		r->too_big = 1;
		return 0;
	}
	if (!r->is_file && slice_spent(f)) {
		/* curl keeps this chunk and hands it over again on resume. */
		r->paused = 1;
		if (!f->resume_on && uv_idle_start(&f->resume, on_resume) == 0)
			f->resume_on = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	r->bytes += len;
	if (r->data_cb && r->data_cb(r, data, len, r->user) != 0) {
		r->cb_abort = 1;
		return 0;
	}
	return r->cancelled ? 0 : len;
}

/* Stops a redirect whose body goes on past REDIRECT_BODY_MAX bytes or
 * REDIRECT_BODY_MS. curl calls this at least about once a second. */
static int
on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct fetch_request *r = userp;

	(void)dltotal, (void)ultotal, (void)ulnow;
	if (!r->in_redirect_body)
		return 0;
	if (dlnow - r->redirect_dl_at > REDIRECT_BODY_MAX ||
	    uv_now(r->f->loop) - r->redirect_at > REDIRECT_BODY_MS) {
		r->redirect_stop = 1;
		return 1;
	}
	return 0;
}

/* ---- request set-up ---- */

static int
add_header(struct fetch_request *r, const char *name, const char *value)
{
	char line[FETCH_MAX_VALIDATOR + 64];
	struct curl_slist *l;

	if (snprintf(line, sizeof line, "%s: %s", name, value) >= (int)sizeof line)
		return -1;
	l = curl_slist_append(r->headers, line);
	if (!l)
		return -1;
	r->headers = l;
	return 0;
}

static int
set_options(struct fetch_request *r, const struct fetch_request_opts *ro)
{
	struct fetch *f = r->f;
	CURL *e = r->easy;
	CURLcode c = CURLE_OK;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (c == CURLE_OK)                                                                 \
			c = curl_easy_setopt(e, opt, val);                                         \
	} while (0)
	SET(CURLOPT_URL, r->url);
	SET(CURLOPT_PRIVATE, r);
	SET(CURLOPT_ERRORBUFFER, r->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, r);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, r);
	SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	SET(CURLOPT_ACCEPT_ENCODING, ""); /* everything this libcurl decodes */
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRECTS);
	SET(CURLOPT_PROTOCOLS_STR, ro->allow_file ? "http,https,file" : "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_USERAGENT, ro->user_agent ? ro->user_agent : f->user_agent);
	if (ro->proxy) /* "" turns off every proxy, the environment's too */
		SET(CURLOPT_PROXY, strcmp(ro->proxy, "none") == 0 ? "" : ro->proxy);
	if (ro->cookie)
		SET(CURLOPT_COOKIE, ro->cookie);
	if (ro->username && ro->password) {
		SET(CURLOPT_USERNAME, ro->username);
		SET(CURLOPT_PASSWORD, ro->password);
		SET(CURLOPT_HTTPAUTH, (long)(CURLAUTH_BASIC | CURLAUTH_DIGEST));
	}
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)f->opts.connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, (long)f->opts.timeout_ms);
	SET(CURLOPT_LOW_SPEED_LIMIT, (long)f->opts.low_speed_limit);
	SET(CURLOPT_LOW_SPEED_TIME, (long)f->opts.low_speed_time);
	/* HTTP/2 over TLS where offered; streams share a connection once one
	 * to the host is up. No CURLOPT_PIPEWAIT: libcurl 7.88 parks waiting
	 * transfers until an HTTP/1.1 connection to the host *finishes*, so
	 * one stalled feed would hold back every other feed on its host. */
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->opts.max_body);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	if (f->opts.ca_file)
		SET(CURLOPT_CAINFO, f->opts.ca_file);
	if (c != CURLE_OK)
		return -1;
	if (add_header(r, "Accept", ACCEPT_VALUE) < 0)
		return -1;
	for (size_t i = 0; i < ro->nheaders; i++) {
		struct curl_slist *l = curl_slist_append(r->headers, ro->headers[i]);

		if (l == NULL)
			return -1;
		r->headers = l;
	}
	/* a bad stored validator (from before they were checked) is not
	 * sent: the poll goes on without it */
	if (ro->etag && *ro->etag && fetch_validator_ok(ro->etag) &&
	    add_header(r, "If-None-Match", ro->etag) < 0)
		return -1;
	if (ro->last_modified && *ro->last_modified && fetch_validator_ok(ro->last_modified) &&
	    add_header(r, "If-Modified-Since", ro->last_modified) < 0)
		return -1;
	SET(CURLOPT_HTTPHEADER, r->headers);
#undef SET
	return c == CURLE_OK ? 0 : -1;
}

static void
req_free(struct fetch_request *r)
{
	list_del(r);
	if (r->easy) {
		if (r->in_multi)
			curl_multi_remove_handle(r->f->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	if (r->job)
		r->job->r = NULL; /* the worker's job frees itself */
	curl_slist_free_all(r->headers);
	reset_response(r);
	free(r->file_data);
	free(r->url);
	free(r);
}

/* ---- file:// ---- */

static const char *
file_type(mode_t m)
{
	return S_ISFIFO(m)   ? "a FIFO"
	       : S_ISDIR(m)  ? "a directory"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISSOCK(m) ? "a socket"
			     : "not a regular file";
}

/* On a worker thread: nothing but the job. Opened without blocking (a
 * FIFO with no writer would wait for one), only a regular file is read,
 * and at most max bytes of it. */
static void
file_work(uv_work_t *w)
{
	struct file_job *j = w->data;
	struct stat sb;
	size_t cap;
	int fd = open(j->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		j->what = "cannot open it";
		j->err = errno;
		return;
	}
	if (fstat(fd, &sb) < 0) {
		j->what = "cannot stat it";
		j->err = errno;
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		j->type = file_type(sb.st_mode);
		goto out;
	}
	if ((uint64_t)sb.st_size > j->max) {
		j->too_big = 1;
		goto out;
	}
	/* One byte more than its size tells whether it grew meanwhile. */
	cap = (size_t)sb.st_size + 1;
	if ((j->data = malloc(cap + 1)) == NULL) {
		j->what = "cannot read it";
		j->err = ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, j->data + j->len, cap - j->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			j->what = "cannot read it";
			j->err = errno;
			break;
		}
		if (n == 0)
			break;
		j->len += (size_t)n;
		if (j->len > j->max) {
			j->too_big = 1;
			break;
		}
		if (j->len == cap) {
			char *more = cap > j->max ? NULL : realloc(j->data, cap * 2 + 1);

			if (more == NULL) {
				j->too_big = cap > j->max;
				j->what = j->too_big ? NULL : "cannot read it";
				j->err = j->too_big ? 0 : ENOMEM;
				break;
			}
			j->data = more;
			cap = cap * 2 > j->max + 1 ? j->max + 1 : cap * 2;
		}
	}
out:
	close(fd);
}

static void
file_job_free(struct file_job *j)
{
	free(j->path);
	free(j->data);
	free(j);
}

/* Ends a file:// request with its outcome, as finish() does for curl's. */
static void
file_finish(struct fetch_request *r, enum fetch_error e, const char *text)
{
	struct fetch_outcome out = {0};

	out.error = e;
	out.error_text = e == FETCH_OK ? NULL : text;
	out.status = e == FETCH_OK ? 200 : 0;
	out.url = r->url;
	out.final_url = r->url;
	out.retry_after = -1;
	out.bytes = r->bytes;
	out.wire_bytes = r->bytes;
	list_del(r);
	r->finishing = 1;
	if (r->done_cb)
		r->done_cb(r, &out, r->user);
	req_free(r);
}

static void
arm_resume(struct fetch *f)
{
	if (!f->resume_on && uv_idle_start(&f->resume, on_resume) == 0)
		f->resume_on = 1;
}

/* Hands what was read to the data callback, a slice's worth per loop turn
 * (slice_ms), then finishes. The callbacks run as curl's do (in_curl):
 * what they start, cancel or shut down takes effect in after_curl. */
static void
file_deliver(struct fetch_request *r)
{
	struct fetch *f = r->f;
	int rc = 0;

	r->paused = 0;
	while (r->file_pos < r->file_len) {
		size_t n = r->file_len - r->file_pos;

		if (slice_spent(f)) {
			r->paused = 1;
			arm_resume(f);
			break;
		}
		n = n > 65536 ? 65536 : n;
		f->in_curl = 1;
		if (r->data_cb)
			rc = r->data_cb(r, r->file_data + r->file_pos, n, r->user);
		f->in_curl = 0;
		if (r->cancelled || f->shutdown_pending)
			goto out; /* a zombie now, or about to be finished */
		r->file_pos += n;
		r->bytes += n;
		if (rc != 0) {
			file_finish(r, FETCH_ERR_ABORTED, "aborted by the data callback");
			goto out;
		}
	}
	if (!r->paused)
		file_finish(r, FETCH_OK, NULL);
out:
	after_curl(f);
}

static void
file_after(uv_work_t *w, int status)
{
	struct file_job *j = w->data;
	struct fetch_request *r = j->r;
	char text[PATH_MAX + 160];

	if (r == NULL) {
		file_job_free(j);
		return;
	}
	r->job = NULL;
	slice_begin(r->f);
	if (status < 0) {
		snprintf(text, sizeof text, "file %s: %s", j->path, uv_strerror(status));
		file_finish(r, FETCH_ERR_TRANSFER, text);
	} else if (j->type) {
		snprintf(text, sizeof text, "file %s is %s: only a regular file is read", j->path,
			 j->type);
		file_finish(r, FETCH_ERR_TRANSFER, text);
	} else if (j->too_big) {
		snprintf(text, sizeof text, "body larger than %zu bytes (file %s)", j->max,
			 j->path);
		file_finish(r, FETCH_ERR_TOO_BIG, text);
	} else if (j->what) {
		snprintf(text, sizeof text, "file %s: %s: %s", j->path, j->what, strerror(j->err));
		file_finish(r, FETCH_ERR_TRANSFER, text);
	} else {
		r->file_data = j->data;
		r->file_len = j->len;
		j->data = NULL;
		file_deliver(r);
	}
	file_job_free(j);
}

/* Starts reading r's file on a worker: 0, or -1 with err. */
static int
file_start(struct fetch_request *r, char *err, size_t errlen)
{
	struct fetch *f = r->f;
	struct file_job *j = calloc(1, sizeof *j);
	int rc;

	if (j == NULL || (j->path = url_file_path(r->url)) == NULL) {
		snprintf(err, errlen, "fetch %s: %s", r->url,
			 j ? "names no local file" : "out of memory");
		free(j);
		return -1;
	}
	j->r = r;
	j->max = f->opts.max_body;
	j->work.data = j;
	if ((rc = uv_queue_work(f->loop, &j->work, file_work, file_after)) < 0) {
		snprintf(err, errlen, "fetch %s: %s", r->url, uv_strerror(rc));
		file_job_free(j);
		return -1;
	}
	r->job = j;
	list_add(&f->files, r);
	return 0;
}

struct fetch_request *
fetch_start(struct fetch *f, const struct fetch_request_opts *ro, char *err, size_t errlen)
{
	struct fetch_request *r = NULL;
	CURLMcode mc;

	if (f->closing || f->shutdown_pending) {
		snprintf(err, errlen, "fetch: shutting down");
		return NULL;
	}
	if (!ro->url || url_check(ro->url, ro->allow_file, err, errlen) < 0)
		return NULL;
	if ((ro->etag && *ro->etag && !fetch_validator_ok(ro->etag)) ||
	    (ro->last_modified && *ro->last_modified && !fetch_validator_ok(ro->last_modified)))
		log_warn("fetch %s: a stored ETag or Last-Modified is not sent: too long or "
			 "with a control character",
			 ro->url);
	r = calloc(1, sizeof *r);
	if (!r || !(r->url = strdup(ro->url)) || !(r->easy = curl_easy_init())) {
		snprintf(err, errlen, "fetch %s: out of memory", ro->url);
		goto fail;
	}
	r->f = f;
	r->data_cb = ro->data_cb;
	r->done_cb = ro->done_cb;
	r->user = ro->user;
	r->retry_after = -1;
	r->is_file = strncasecmp(ro->url, "file:", 5) == 0;
	if (r->is_file) {
		/* Not curl's: its file:// reads block the loop. */
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
		if (file_start(r, err, errlen) < 0)
			goto fail;
		return r;
	}
	if (set_options(r, ro) < 0) {
		snprintf(err, errlen, "fetch %s: cannot set up the transfer (out of memory?)",
			 ro->url);
		goto fail;
	}
	if (f->in_curl) {
		/* curl refuses new handles from inside its callbacks. */
		list_add(&f->pending, r);
		return r;
	}
	mc = curl_multi_add_handle(f->multi, r->easy);
	if (mc != CURLM_OK) {
		snprintf(err, errlen, "fetch %s: %s", ro->url, curl_multi_strerror(mc));
		goto fail;
	}
	r->in_multi = 1;
	list_add(&f->running, r);
	return r;
fail:
	if (r)
		req_free(r);
	return NULL;
}

/* ---- completion ---- */

static void
error_text(char *out, size_t outlen, CURLcode rc, const char *errbuf)
{
	size_t n = strlen(errbuf);

	while (n > 0 && (errbuf[n - 1] == '\n' || errbuf[n - 1] == '\r'))
		n--;
	if (n)
		snprintf(out, outlen, "%s: %.*s", curl_easy_strerror(rc), (int)n, errbuf);
	else
		snprintf(out, outlen, "%s", curl_easy_strerror(rc));
}

static enum fetch_error
classify(struct fetch_request *r, CURLcode rc, char *text, size_t textlen)
{
	switch (rc) {
	case CURLE_OK: return FETCH_OK;
	case CURLE_WRITE_ERROR:
		if (r->too_big) {
			snprintf(text, textlen, "body larger than %zu bytes (after decompression)",
				 r->f->opts.max_body);
			return FETCH_ERR_TOO_BIG;
		}
		if (r->cb_abort) {
			snprintf(text, textlen, "aborted by the data callback");
			return FETCH_ERR_ABORTED;
		}
		if (r->discard_stop)
			return FETCH_OK; /* an error page we stopped reading */
		break;
	case CURLE_OUT_OF_MEMORY:
		/* libcurl 7.88 says "Out of memory" for a header line over its
		 * 100 KB limit and for a Content-Encoding it will not undo: say
		 * which part of the response it was */
		if (r->bytes == 0) {
			snprintf(text, textlen,
				 "response headers refused by libcurl: a header line over its "
				 "100 KB limit or a Content-Encoding chain it cannot undo "
				 "(libcurl: Out of memory)");
			return FETCH_ERR_TRANSFER;
		}
		snprintf(text, textlen,
			 "decoding the body failed after %llu bytes: a compression bomb or an "
			 "encoding libcurl cannot undo (libcurl: Out of memory)",
			 (unsigned long long)r->bytes);
		return FETCH_ERR_TRANSFER;
	case CURLE_FILESIZE_EXCEEDED:
		snprintf(text, textlen, "body larger than %zu bytes (Content-Length)",
			 r->f->opts.max_body);
		return FETCH_ERR_TOO_BIG;
	case CURLE_OPERATION_TIMEDOUT:
		error_text(text, textlen, rc, r->errbuf);
		return FETCH_ERR_TIMEOUT;
	case CURLE_ABORTED_BY_CALLBACK:
		if (r->redirect_stop) {
			snprintf(
				text, textlen,
				"the body of a redirect (%ld to %s) went on past %d bytes or %d ms",
				r->last_status, r->location ? r->location : "?", REDIRECT_BODY_MAX,
				REDIRECT_BODY_MS);
			return FETCH_ERR_REDIRECT;
		}
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		error_text(text, textlen, rc, r->errbuf);
		return FETCH_ERR_REDIRECT;
	case CURLE_UNSUPPORTED_PROTOCOL:
		if (r->last_status >= 300 && r->last_status < 400 && r->location) {
			snprintf(text, textlen, "redirect to a refused scheme: %s", r->location);
			return FETCH_ERR_REDIRECT;
		}
		break;
	default: break;
	}
	error_text(text, textlen, rc, r->errbuf);
	return FETCH_ERR_TRANSFER;
}

static void
finish(struct fetch_request *r, CURLcode rc, int shutting_down)
{
	struct fetch_outcome out = {0};
	char text[CURL_ERROR_SIZE + 128] = "";
	char *scheme = NULL, *eff = NULL, *ctype = NULL;
	long redirects = 0, httpver = 0;
	curl_off_t wire = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &out.status);
	curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &eff);
	curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ctype);
	curl_easy_getinfo(r->easy, CURLINFO_SCHEME, &scheme);
	curl_easy_getinfo(r->easy, CURLINFO_REDIRECT_COUNT, &redirects);
	curl_easy_getinfo(r->easy, CURLINFO_SIZE_DOWNLOAD_T, &wire);
	curl_easy_getinfo(r->easy, CURLINFO_HTTP_VERSION, &httpver);
	if (shutting_down) {
		out.error = FETCH_ERR_ABORTED;
		snprintf(text, sizeof text, "aborted: shutting down");
	} else {
		out.error = classify(r, rc, text, sizeof text);
	}
	if (out.error == FETCH_OK && out.status == 0 && scheme && strcasecmp(scheme, "file") == 0)
		out.status = 200;
	out.error_text = out.error == FETCH_OK ? NULL : text;
	out.not_modified = out.status == 304;
	out.url = r->url;
	out.final_url = eff ? eff : r->url;
	out.redirects = (int)redirects;
	if (out.error == FETCH_OK && r->hops > 0 && !r->temporary_hop)
		out.moved_to = out.final_url;
	out.etag = r->etag;
	out.last_modified = r->last_modified;
	out.content_type = ctype;
	out.content_encoding = r->content_encoding;
	out.retry_after = r->retry_after;
	out.bytes = r->bytes;
	out.wire_bytes = wire > 0 ? (uint64_t)wire : 0;
	out.http_version = httpver == CURL_HTTP_VERSION_1_0   ? 10
			   : httpver == CURL_HTTP_VERSION_1_1 ? 11
			   : httpver == CURL_HTTP_VERSION_2_0 ? 20
			   : httpver == CURL_HTTP_VERSION_3   ? 30
							      : 0;
	/* Off the multi handle first: the callback may start new requests. */
	if (r->in_multi) {
		curl_multi_remove_handle(r->f->multi, r->easy);
		r->in_multi = 0;
	}
	list_del(r);
	r->finishing = 1;
	if (r->done_cb)
		r->done_cb(r, &out, r->user);
	req_free(r);
}

static void
check_multi_info(struct fetch *f)
{
	CURLMsg *m;
	int left;

	while (!f->closing && (m = curl_multi_info_read(f->multi, &left))) {
		struct fetch_request *r = NULL;
		CURLcode rc = m->data.result;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (!r)
			continue;
		if (r->cancelled)
			req_free(r);
		else
			finish(r, rc, 0);
	}
}

/* Runs deferred work once curl has returned to us. */
static void
after_curl(struct fetch *f)
{
	struct fetch_request *r;
	CURLMcode mc;

	check_multi_info(f);
	if (f->closing)
		return;
	while ((r = f->zombies.head))
		req_free(r);
	while (!f->shutdown_pending && (r = f->pending.head)) {
		list_del(r);
		mc = curl_multi_add_handle(f->multi, r->easy);
		if (mc != CURLM_OK) {
			snprintf(r->errbuf, sizeof r->errbuf, "%s", curl_multi_strerror(mc));
			finish(r, CURLE_FAILED_INIT, 0);
			if (f->closing)
				return;
			continue;
		}
		r->in_multi = 1;
		list_add(&f->running, r);
	}
	if (f->shutdown_pending)
		do_shutdown(f);
}

void
fetch_cancel(struct fetch_request *r)
{
	struct fetch *f;

	if (!r || r->finishing || r->cancelled)
		return;
	f = r->f;
	if (f->in_curl) {
		/* Can't touch the multi handle now: the write callback refuses
		 * further data and after_curl() frees it. */
		r->cancelled = 1;
		list_del(r);
		list_add(&f->zombies, r);
		return;
	}
	req_free(r);
}

const char *
fetch_content_type(struct fetch_request *r)
{
	char *ct = NULL;

	if (r->easy == NULL)
		return NULL;
	curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
	return ct;
}

const char *
fetch_effective_url(struct fetch_request *r)
{
	char *u = NULL;

	if (r->easy == NULL)
		return r->url;
	curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &u);
	return u ? u : r->url;
}

void *
fetch_user(const struct fetch_request *r)
{
	return r->user;
}

size_t
fetch_active(const struct fetch *f)
{
	return f->running.n + f->pending.n + f->files.n;
}

/* ---- life cycle ---- */

static void
apply_defaults(struct fetch_options *o)
{
	if (!o->connect_timeout_ms)
		o->connect_timeout_ms = 15000;
	if (!o->timeout_ms)
		o->timeout_ms = 60000;
	if (!o->low_speed_limit)
		o->low_speed_limit = 1;
	if (!o->low_speed_time)
		o->low_speed_time = 30;
	if (!o->max_connections)
		o->max_connections = 32;
	if (!o->max_per_host)
		o->max_per_host = 4;
	if (!o->max_body)
		o->max_body = 16u << 20;
}

static int
multi_setup(struct fetch *f)
{
	CURLMcode mc = CURLM_OK;

#define MSET(opt, val)                                                                             \
	do {                                                                                       \
		if (mc == CURLM_OK)                                                                \
			mc = curl_multi_setopt(f->multi, opt, val);                                \
	} while (0)
	MSET(CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
	MSET(CURLMOPT_SOCKETDATA, f);
	MSET(CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	MSET(CURLMOPT_TIMERDATA, f);
	MSET(CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	MSET(CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)f->opts.max_connections);
	MSET(CURLMOPT_MAX_HOST_CONNECTIONS, (long)f->opts.max_per_host);
	MSET(CURLMOPT_MAXCONNECTS, (long)f->opts.max_connections);
#undef MSET
	return mc == CURLM_OK ? 0 : -1;
}

struct fetch *
fetch_new(uv_loop_t *loop, const struct fetch_options *opts, char *err, size_t errlen)
{
	struct fetch *f;
	CURLcode gc;

	gc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (gc != CURLE_OK) {
		snprintf(err, errlen, "fetch: curl_global_init: %s", curl_easy_strerror(gc));
		return NULL;
	}
	f = calloc(1, sizeof *f);
	if (!f) {
		snprintf(err, errlen, "fetch: out of memory");
		goto fail;
	}
	if (opts)
		f->opts = *opts;
	apply_defaults(&f->opts);
	f->user_agent =
		strdup(f->opts.user_agent && *f->opts.user_agent ? f->opts.user_agent
								 : fetch_default_user_agent());
	f->opts.user_agent = f->user_agent;
	if (f->opts.ca_file) {
		f->ca_file = strdup(f->opts.ca_file);
		f->opts.ca_file = f->ca_file;
	}
	f->multi = curl_multi_init();
	if (!f->user_agent || (opts && opts->ca_file && !f->ca_file) || !f->multi) {
		snprintf(err, errlen, "fetch: out of memory");
		goto fail;
	}
	if (multi_setup(f) < 0) {
		snprintf(err, errlen, "fetch: cannot configure the curl multi handle");
		goto fail;
	}
	f->loop = loop;
	uv_timer_init(loop, &f->timer); /* cannot fail */
	f->timer.data = f;
	uv_idle_init(loop, &f->resume);
	f->resume.data = f;
	f->open_handles = 2;
	return f;
fail:
	if (f) {
		if (f->multi)
			curl_multi_cleanup(f->multi);
		free(f->user_agent);
		free(f->ca_file);
		free(f);
	}
	curl_global_cleanup();
	return NULL;
}

static void
do_shutdown(struct fetch *f)
{
	struct fetch_request *r;

	f->closing = 1;
	f->shutdown_pending = 0;
	/* Each gets its done callback; new starts are refused meanwhile. */
	while ((r = f->running.head) || (r = f->pending.head))
		finish(r, CURLE_ABORTED_BY_CALLBACK, 1);
	while ((r = f->files.head))
		file_finish(r, FETCH_ERR_ABORTED, "aborted: shutting down");
	while ((r = f->zombies.head))
		req_free(r);
	/* curl may report sockets it closes now; the rest we close. */
	curl_multi_cleanup(f->multi);
	f->multi = NULL;
	while (f->socks)
		sock_close(f->socks);
	close_handle((uv_handle_t *)&f->timer);
	close_handle((uv_handle_t *)&f->resume);
}

void
fetch_shutdown(struct fetch *f, void (*closed_cb)(void *), void *closed_user)
{
	if (!f || f->closing)
		return;
	f->closed_cb = closed_cb;
	f->closed_user = closed_user;
	if (f->in_curl) {
		f->shutdown_pending = 1;
		return;
	}
	do_shutdown(f);
}
