/* fetch: HTTP(S) (and local file://) transfers with libcurl's multi interface
 * driven by a libuv loop. Knows nothing of feeds, parsing or storage.
 *
 * One struct fetch per loop owns the curl multi handle, one uv_timer_t and a
 * uv_poll_t per socket curl asks to watch. A request streams its body to a
 * data callback chunk by chunk (already decompressed) and ends with exactly
 * one done callback, unless the caller cancels it first.
 *
 * Politeness and safety per request: Accept-Encoding for every encoding curl
 * supports, HTTP/2 multiplexing where offered, connect/total timeouts, a
 * low-speed abort, a body cap after decompression, at most 5 redirects, only
 * http/https (file:// only when the request allows it, never via a redirect),
 * TLS verification on, conditional GET from the request's validators, the
 * body of a redirect read for at most 64 KiB or 2 s.
 *
 * file:// is not curl's: a worker thread (uv_queue_work) opens the file
 * without blocking, reads it only when it is a regular file of at most
 * max_body bytes, and the loop hands it to the data callback in slices. A
 * FIFO, a device or a directory is an error naming what it is.
 *
 * Re-entrancy: from inside any fetch callback the caller may call
 * fetch_start, fetch_cancel and fetch_shutdown; they take effect once curl
 * has returned (curl forbids calling it back from its own callbacks). */
#ifndef HERALD_FETCH_H
#define HERALD_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define FETCH_MAX_REDIRECTS 5
/* An ETag or Last-Modified longer than this, or holding a control
 * character (CR, LF, ...), is dropped on receipt with a log line, never
 * handed on to be stored, and never sent (issue 28: a stored one made every
 * later poll fail). */
#define FETCH_MAX_VALIDATOR 1024

struct fetch;
struct fetch_request;

/* Limits for every request of one struct fetch. Zero fields take the
 * defaults in brackets. */
struct fetch_options {
	const char *user_agent;      /* ["herald/" PACKAGE_VERSION]; copied */
	unsigned connect_timeout_ms; /* [15000] */
	unsigned timeout_ms;         /* [60000] whole transfer */
	unsigned low_speed_limit;    /* [1] bytes/s; abort when slower ... */
	unsigned low_speed_time;     /* [30] ... for this many seconds */
	unsigned max_connections;    /* [32] open connections, all hosts */
	unsigned max_per_host;       /* [4] open connections to one host */
	size_t max_body;             /* [16 MiB] bytes after decompression */
	const char *ca_file;         /* [system store] PEM CA bundle to verify servers
				      against instead (private CAs, tests); copied */
	unsigned slice_ms;           /* [0: off] a loop turn hands body data to the
				      data callbacks for about this long; then the
				      transfers that have more are paused and go on
				      at the next turn, so that parsing a large
				      response never holds the loop; file://
				      alike */
};

enum fetch_error {
	FETCH_OK = 0,       /* transfer completed; look at status */
	FETCH_ERR_TRANSFER, /* curl failed: DNS, connect, TLS, reset, garbage, ... */
	FETCH_ERR_TIMEOUT,  /* connect or total timeout, or too slow */
	FETCH_ERR_TOO_BIG,  /* body passed max_body after decompression */
	FETCH_ERR_REDIRECT, /* too many redirects, or a redirect to a refused scheme */
	FETCH_ERR_ABORTED,  /* the data callback said stop, or fetch_shutdown */
};

/* What a finished request learnt. Every pointer is borrowed and valid only
 * during the done callback. Header-derived fields come from the FINAL
 * response only, never from a redirect hop. The caller decides what to keep:
 * typically apply moved_to only with status 200 or 304, and on a 304 keep
 * the stored validators where etag/last_modified are NULL. */
struct fetch_outcome {
	enum fetch_error error;
	const char *error_text; /* one line, why it failed; NULL when FETCH_OK */
	long status;            /* final HTTP status; 0 if none arrived; a
				   successful file:// read reports 200 */
	int not_modified;       /* status 304: no body was delivered */
	const char *url;        /* as requested */
	const char *final_url;  /* after redirects */
	const char *moved_to;   /* the new URL when every redirect hop was
				   301 or 308; NULL when no redirect or any
				   302/303/307 hop. Only set with FETCH_OK. */
	int redirects;          /* hops followed */
	const char *etag;       /* final response's validators, or NULL */
	const char *last_modified;
	const char *content_type;     /* or NULL */
	const char *content_encoding; /* as the server sent it ("gzip"), or NULL */
	long retry_after;             /* seconds from now (Retry-After as seconds or
					 an HTTP date), or -1 when absent */
	uint64_t bytes;               /* body bytes delivered to the data callback */
	uint64_t wire_bytes;          /* body bytes received (before decoding) */
	int http_version;             /* 10, 11, 20 or 30; 0 when none (file://) */
};

/* Called for each chunk of a 2xx body, after decompression. Return 0 to go
 * on, non-zero to abort the request (its done callback then reports
 * FETCH_ERR_ABORTED). Bodies of other statuses are read and discarded
 * (up to 64 KiB) without calling this. */
typedef int (*fetch_data_cb)(struct fetch_request *req, const char *data, size_t len, void *user);
/* Called once per request when it ends, unless it was cancelled. The
 * request is freed right after the callback returns. */
typedef void (*fetch_done_cb)(struct fetch_request *req, const struct fetch_outcome *out,
			      void *user);

struct fetch_request_opts {
	const char *url;           /* copied */
	const char *etag;          /* sent as If-None-Match, or NULL; copied */
	const char *last_modified; /* sent as If-Modified-Since, or NULL; copied */
	int allow_file;            /* the URL may be file:// (feeds.conf only) */
	fetch_data_cb data_cb;     /* may be NULL: body discarded */
	fetch_done_cb done_cb;     /* may be NULL */
	void *user;
};

/* Creates the fetcher on loop. opts may be NULL for all defaults. Returns
 * NULL with a message in err on failure. */
struct fetch *fetch_new(uv_loop_t *loop, const struct fetch_options *opts, char *err,
			size_t errlen);

/* Starts a request. Returns it (owned by the fetcher; valid until its done
 * callback returns or fetch_cancel), or NULL with a message in err: a URL
 * fetch may not use (bad scheme, file:// not allowed, CR/LF in a validator),
 * out of memory, or the fetcher shutting down. No callback is ever called for
 * a request that failed to start. */
struct fetch_request *fetch_start(struct fetch *f, const struct fetch_request_opts *ro, char *err,
				  size_t errlen);

/* Stops a request and frees it. Its callbacks are never called again, even
 * when called from inside its own data callback. */
void fetch_cancel(struct fetch_request *req);

/* Whether v (may be NULL: no) is an ETag or Last-Modified value fetch
 * keeps and sends: at most FETCH_MAX_VALIDATOR bytes, no control
 * character. */
int fetch_validator_ok(const char *v);

/* Readable from the data and done callbacks: the current response's
 * Content-Type (or NULL) and the effective URL (after redirects so far).
 * Borrowed until the callback returns. */
const char *fetch_content_type(struct fetch_request *req);
const char *fetch_effective_url(struct fetch_request *req);
void *fetch_user(const struct fetch_request *req);

/* Requests started and not yet finished or cancelled. */
size_t fetch_active(const struct fetch *f);

/* Aborts every request (each gets its done callback with FETCH_ERR_ABORTED,
 * "aborted: shutting down"), cleans up curl and closes every libuv handle.
 * The memory is released by the close callbacks: keep running the loop
 * (uv_run returns once all are closed). closed_cb, if not NULL, is called
 * when the last handle has closed and f is gone. f must not be used after
 * this call. */
void fetch_shutdown(struct fetch *f, void (*closed_cb)(void *), void *closed_user);

/* The default User-Agent, "herald/VERSION". Static. */
const char *fetch_default_user_agent(void);

#endif
