/* tui: herald tui, the interactive reader (man herald, "herald tui";
 * docs/tui.md). It speaks only the socket protocol, like any client. */
#ifndef HERALD_CLIENT_TUI_H
#define HERALD_CLIENT_TUI_H

struct tui_opts {
	const char *socket; /* --socket, or NULL for the usual places */
	int color;          /* -1 auto (NO_COLOR turns it off), 0 never, 1 always */
};

/* Runs the reader until the user quits (or SIGINT, SIGTERM, SIGHUP) and
 * leaves the terminal as it found it, on every way out. Returns the exit
 * status: 0, 1 on an error, 2 when stdin or stdout is not a terminal. */
int tui_main(const struct tui_opts *o);

#endif
