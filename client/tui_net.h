/* tui_net: herald tui's requests to the daemon, made on a thread of their
 * own so the screen never waits for an answer.
 *
 * The reader queues requests (tnet_submit); one worker thread sends them in
 * order over one connection (wire.c), reconnecting when the daemon went away
 * (a request that meets a closed connection is sent once more on a new
 * one), and queues each answer; the pipe behind tnet_fd() becomes readable
 * when an answer waits (tnet_take). Only the worker touches the socket. */
#ifndef HERALD_CLIENT_TUI_NET_H
#define HERALD_CLIENT_TUI_NET_H

#include "wire.h"

enum tnet_status {
	TNET_OK,    /* resp holds the answer: OK (resp.ok) or ERR (resp.code) */
	TNET_DOWN,  /* nobody listens on the socket */
	TNET_ERROR, /* connection or framing error: err says */
};

/* What the reader wants back with the answer: copied through untouched. */
struct tnet_tag {
	int kind;
	unsigned gen;
	long long id;
	int arg;
};

struct tnet_result {
	struct tnet_tag tag;
	enum tnet_status status;
	struct response resp; /* owned by the taker: response_free() */
	char err[256];
};

struct tnet;

/* Starts the worker for the socket at path (copied). NULL with a message when
 * the thread cannot start. */
struct tnet *tnet_start(const char *path, char *err, size_t errlen);
/* Readable while answers wait. */
int tnet_fd(const struct tnet *t);
/* Queues argv (argc words, copied) with tag. */
void tnet_submit(struct tnet *t, const struct tnet_tag *tag, int argc, const char *const *argv);
/* Drops the queued requests (not the one being answered) of this kind. */
void tnet_drop(struct tnet *t, int kind);
/* Takes the oldest answer into *out: 1, or 0 when none waits. */
int tnet_take(struct tnet *t, struct tnet_result *out);
/* Requests queued or being answered. */
int tnet_pending(struct tnet *t);
/* Stops the worker (a request in flight is cut off), frees everything. */
void tnet_stop(struct tnet *t);

#endif
