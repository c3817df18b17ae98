/* wire: the client's side of the control protocol (herald/protocol.h):
 * finding the socket, sending one request, reading records back. */
#ifndef HERALD_CLIENT_WIRE_H
#define HERALD_CLIENT_WIRE_H

#include <stddef.h>

struct field {
	char *key;
	char *value; /* unescaped, NUL-terminated */
	size_t len;
	/* A tuple (literal TABs on the wire): its parts, each unescaped on
	 * its own so that an escaped TAB in data stays data. NULL when the
	 * value had no literal TAB. */
	char **parts;
	size_t nparts;
};

struct record {
	struct field *f;
	size_t n, cap;
};

struct response {
	struct record *r;
	size_t n, cap;
	int ok;        /* 1: OK, 0: ERR */
	char *code;    /* ERR code, or NULL */
	char *message; /* ERR message, or NULL */
};

/* The value of the first field named key, or NULL. Borrowed. */
const char *record_get(const struct record *r, const char *key);
void response_free(struct response *resp);

/* Outcomes of wire_connect. */
enum { WIRE_OK = 0, WIRE_DOWN = -3, WIRE_ERROR = -1 };

/* The socket path: opt (--socket), else $HERALD_SOCKET, else the first
 * existing of the daemon's defaults (the first default when none exists).
 * Malloc'd; *tried gets a "PATH, PATH" list of the defaults looked at
 * (malloc'd, or NULL when opt/env decided). */
char *wire_socket_path(const char *opt, char **tried);

/* Connects and reads the greeting. Returns the fd, WIRE_DOWN when nobody
 * listens there (no socket file or connection refused), or WIRE_ERROR with
 * a message (permission denied, refused by the daemon, wrong protocol). */
int wire_connect(const char *path, char *err, size_t errlen);

/* Sends argv as one request (each word quoted), then payload (len bytes)
 * when payload is not NULL, and reads the response. Returns 0 (resp
 * filled; check resp->ok) or -1 with a message (connection lost, broken
 * framing). */
int wire_request(int fd, int argc, char **argv, const char *payload, size_t len,
		 struct response *resp, char *err, size_t errlen);

#endif
