/* commands: the daemon's side of the control socket: each protocol command
 * (include/herald/protocol.h) described once in a table (its options and
 * its count of other words, parsed by control before the handler runs) and
 * answered from the store, through the writer, and the configuration. */
#ifndef HERALD_COMMANDS_H
#define HERALD_COMMANDS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct api;
struct commands;
struct config;
struct poller;
struct fetch;
struct retention;
struct writer;

typedef void (*commands_reload_cb)(void *arg, int rc, const char *errors);

/* What the commands use of the daemon: narrow handles, borrowed for the
 * life of the commands. */
struct commands_env {
	struct writer *writer;       /* the store, while the worker does not hold it */
	struct poller *poller;       /* refresh */
	struct fetch *fetch;         /* add: the URL is fetched first (NULL: not) */
	struct retention *retention; /* purge */
	struct api *api;             /* passwd: the Reader API's accounts, or NULL */
	const struct config *cfg;    /* the running configuration (a reload
				      * replaces its contents, not the pointer) */
	const char *config_path;
	int64_t started;      /* Unix seconds */
	unsigned max_clients; /* socket clients at once; 0: control's default */
	/* Re-reads the configuration file and applies it (off the loop: see
	 * daemon.c). cb(arg, rc, errors) is called once, later, on the loop:
	 * rc 0, or a negative errno-style code with errors for people
	 * ("FILE:LINE: message" lines when the file is at fault). Returns 0,
	 * or -ENOMEM (cb is not called). */
	int (*reload)(void *daemon, commands_reload_cb cb, void *arg);
	void *daemon;
};

/* Listens on sock_path (or systemd's socket); group (may be NULL) is
 * socket_group. env is copied. 0 and *out, or -1 with err. */
int commands_start(uv_loop_t *loop, const struct commands_env *env, const char *sock_path,
		   const char *group, struct commands **out, char *err, size_t errlen);

/* Holds the requests that touch the store (on = 1) or lets them go (0):
 * the writer's busy callback. Safe on NULL. */
void commands_hold(struct commands *c, int on);

/* Closes the socket and its connections (memory released as the loop
 * runs its close callbacks) and frees c. Safe on NULL. */
void commands_stop(struct commands *c);

#endif
