/* herald/protocol.h: the control socket protocol, shared by heraldd and the
 * herald client (the only thing they share). docs/protocol.md is the prose.
 *
 * Session: the daemon greets with "HERALD <version>\n". The client sends
 * one request per line: words separated by spaces or tabs; "double quotes"
 * take backslash escapes (\\ \" \n \t \r), 'single quotes' are literal,
 * adjacent pieces join into one word. The daemon answers each request, in
 * order, with zero or more records and then a terminator line: "OK" or
 * "ERR <code> <message>".
 *
 * Record: "key: value" lines ending with one empty line. Keys are
 * [a-z0-9_]; the first key names the record's kind ("story: 12"). A key
 * may repeat (one "tag:" line per tag). Values are escaped so that data
 * can never break the framing: backslash -> \\, newline -> \n, CR -> \r,
 * TAB -> \t, other bytes below 0x20 and 0x7f -> \xHH. A literal TAB in a
 * value therefore separates the sub-fields of a tuple ("outlet:").
 *
 * A request whose command takes a payload (import) ends with its byte
 * count; exactly that many raw bytes follow the request's newline. */
#ifndef HERALD_PROTOCOL_H
#define HERALD_PROTOCOL_H

#define HERALD_PROTOCOL_VERSION 1
#define HERALD_GREETING         "HERALD" /* "HERALD 1" */

/* Limits. A longer request line gets "ERR toolong" and is skipped; the
 * connection stays usable. */
#define HERALD_MAX_LINE      8192       /* bytes, without the newline */
#define HERALD_MAX_ARGS      64         /* words, the command included */
#define HERALD_MAX_PAYLOAD   (8u << 20) /* bytes after a payload request */
#define HERALD_DEFAULT_LIMIT 50         /* listing size when no --limit */
#define HERALD_MAX_LIMIT     10000      /* largest --limit accepted */

/* Terminators. */
#define HERALD_OK  "OK"
#define HERALD_ERR "ERR"

/* Stable error codes: scripts may test them; the message is for humans. */
#define HERALD_E_USAGE    "usage"    /* wrong arguments for the command */
#define HERALD_E_UNKNOWN  "unknown"  /* no such command */
#define HERALD_E_BADARG   "badarg"   /* malformed request or argument value */
#define HERALD_E_NOTFOUND "notfound" /* no story, item or feed with that id */
#define HERALD_E_TOOLONG  "toolong"  /* line, argument count or payload too big */
#define HERALD_E_INTERNAL "internal" /* daemon-side failure (database, memory) */
#define HERALD_E_BUSY     "busy"     /* too many clients, or try again later */
#define HERALD_E_DENIED   "denied"   /* peer credentials refused */
#define HERALD_E_EXISTS   "exists"   /* add: a feed with that id or URL exists */

/* Commands. Options are written as on the herald command line; times on
 * the wire (--since, --before) are Unix seconds (the client converts "2h",
 * "2026-11-20" and friends). Ids are positive decimal integers.
 *
 * stories [--all|--starred|--undigested] [--feed F] [--tag T] [--since T]
 *         [--limit N] [--offset N]            -> story records, newest first
 * items   [same filters] [--story ID]         -> item records, newest first
 * show    [--item] ID                         -> a story record then its item
 *                                                records (with text); or one item
 * read    [--item] ID... | --all [--feed F] [--before T]
 * unread | star | unstar  [--item] ID...
 * search  [--limit N] [--offset N] QUERY      -> item records + snippet, rank
 * feeds                                       -> feed records
 * add     URL [--id K] [--name N] [--interval D] [--tags T,U] -> a feed record
 * remove  FEED                                (its feeds.conf id)
 * import  LENGTH + OPML payload               -> "import" records: import (N-th
 *                                                outline), url, status
 *                                                (added|exists|error), error
 * export                                      -> one record "opml: DOCUMENT"
 * refresh [FEED] | reload | digested ID...
 * stats                                       -> one "stats" record
 * version                                     -> "version: X", "protocol: N"
 * help (built in)                             -> "command:", "usage:" records
 * quit (built in)                             -> OK, then the daemon closes */
#define HERALD_CMD_STORIES  "stories"
#define HERALD_CMD_ITEMS    "items"
#define HERALD_CMD_SHOW     "show"
#define HERALD_CMD_READ     "read"
#define HERALD_CMD_UNREAD   "unread"
#define HERALD_CMD_STAR     "star"
#define HERALD_CMD_UNSTAR   "unstar"
#define HERALD_CMD_SEARCH   "search"
#define HERALD_CMD_FEEDS    "feeds"
#define HERALD_CMD_ADD      "add"
#define HERALD_CMD_REMOVE   "remove"
#define HERALD_CMD_IMPORT   "import"
#define HERALD_CMD_EXPORT   "export"
#define HERALD_CMD_REFRESH  "refresh"
#define HERALD_CMD_RELOAD   "reload"
#define HERALD_CMD_STATS    "stats"
#define HERALD_CMD_VERSION  "version"
#define HERALD_CMD_DIGESTED "digested"
#define HERALD_CMD_HELP     "help"
#define HERALD_CMD_QUIT     "quit"

/* Record keys. The first key of a record is its kind and carries the id.
 *
 * story: ID, title, state (new|updated|read), starred (0|1), digested (0|1),
 *   first_seen, last_seen (Unix s), items, unread (counts), then repeated:
 *   outlet: ITEM<TAB>FEED<TAB>NAME<TAB>TITLE<TAB>LINK (one per item: the
 *   item id, the feed's id and display name, the item's own title
 *   and link), tag: T (distinct tags of its feeds), feed: FEED (distinct ids).
 * item: ID, story, feed, feed_name, title, link, author, published (Unix s,
 *   0 unknown), read (0|1), starred (0|1); show adds text; search adds
 *   snippet (matches between [ and ]) and rank.
 * feed: ID (the feeds.conf section id), name, url, title (from the
 *   feed), interval (s), last_poll, next_poll (Unix s, 0 never), status (HTTP
 *   status or "error"/"never"), error (message or empty), items, unread, tag
 *   (repeated).
 * stats: feeds, items, stories, unread, starred, db_size (bytes), uptime (s),
 *   clients.  */
#define HERALD_KEY_OUTLET    "outlet"
#define HERALD_OUTLET_FIELDS 5

/* Where the daemon listens when neither --socket nor $HERALD_SOCKET says:
 * $RUNTIME_DIRECTORY/heraldd.sock (systemd), else
 * $XDG_RUNTIME_DIR/herald/heraldd.sock; the client also tries the system
 * service's socket. */
#define HERALD_SOCKET_ENV    "HERALD_SOCKET"
#define HERALD_SOCKET_NAME   "heraldd.sock"
#define HERALD_SOCKET_SUBDIR "herald"
#define HERALD_SYSTEM_SOCKET "/run/herald/heraldd.sock"

#endif
