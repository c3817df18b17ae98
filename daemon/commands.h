/* commands: the daemon's side of the control socket: each protocol command
 * (include/herald/protocol.h) answered from the store, the configuration
 * and the running daemon. */
#ifndef HERALD_COMMANDS_H
#define HERALD_COMMANDS_H

#include <stddef.h>

struct herald;

/* Listens on h->sock_path (or systemd's socket). 0, or -1 with err. */
int commands_start(struct herald *h, char *err, size_t errlen);

/* Closes the socket and its connections; safe when not started. */
void commands_stop(struct herald *h);

#endif
