/* herald/protocol.h: the control socket protocol, shared by heraldd and the
 * herald client (with herald/escape.h, the only thing they share). Its
 * names and values are here; docs/protocol.md is the full description,
 * and tests/protocol_doc.py checks that the two agree: every command,
 * error code, limit and record key below appears there, the same.
 *
 * Session: the daemon greets with "HERALD <version>\n". The client sends
 * one request per line: words separated by spaces or tabs; "double quotes"
 * take backslash escapes (\\ \" \' \n \t \r), 'single quotes' are literal,
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
 * "2026-11-20" and friends). Ids are positive decimal integers. A feed is
 * named by its feeds.conf id. docs/protocol.md, "Commands", says what each
 * takes and answers. */
#define HERALD_CMD_STORIES  "stories"  /* [filters] -> story records */
#define HERALD_CMD_ITEMS    "items"    /* [filters] [--story ID] -> item records */
#define HERALD_CMD_SHOW     "show"     /* [--item] ID -> a story and its items, or an item */
#define HERALD_CMD_READ     "read"     /* [--item] ID... | --all [--feed F] [--before T] */
#define HERALD_CMD_UNREAD   "unread"   /* [--item] ID... */
#define HERALD_CMD_STAR     "star"     /* [--item] ID... */
#define HERALD_CMD_UNSTAR   "unstar"   /* [--item] ID... */
#define HERALD_CMD_SEARCH   "search"   /* [--limit N] [--offset N] QUERY -> item records */
#define HERALD_CMD_FEEDS    "feeds"    /* [FEED] -> feed records */
#define HERALD_CMD_ADD      "add"      /* URL [--id K] [--name N] [--interval D] [--tags T,U] */
#define HERALD_CMD_REMOVE   "remove"   /* FEED */
#define HERALD_CMD_IMPORT   "import"   /* LENGTH, then the OPML -> import records */
#define HERALD_CMD_EXPORT   "export"   /* -> one opml record */
#define HERALD_CMD_REFRESH  "refresh"  /* [FEED] */
#define HERALD_CMD_RELOAD   "reload"   /* (re-reads feeds.conf) */
#define HERALD_CMD_STATS    "stats"    /* -> one stats record */
#define HERALD_CMD_VERSION  "version"  /* -> one version record */
#define HERALD_CMD_DIGESTED "digested" /* ID... */
#define HERALD_CMD_PURGE    "purge"    /* [--dry-run] -> one purge record */
#define HERALD_CMD_PASSWD   "passwd"   /* USER PASSWORD | --remove USER | --list | options USER */
#define HERALD_CMD_HELP     "help"     /* -> command records (built in) */
#define HERALD_CMD_QUIT     "quit"     /* -> OK, then the daemon closes (built in) */

/* Record kinds and their keys, in the order heraldd writes them, one
 * "KIND: KEY..." line per kind (the first key is the kind and carries the
 * id; KEY* may repeat; docs/protocol.md, "Kinds", says what each means).
 *
 * story: story title state starred digested first_seen last_seen items
 *        unread outlets outlet* tag* feed*
 * item: item story feed feed_name title link author published time
 *       first_seen read starred summary text html snippet rank image
 *       enclosure*
 * feed: feed name url moved_to merged_into title active interval last_poll
 *       next_poll status error failures items unread tag*
 * stats: stats feeds active_feeds items stories unread starred db_size
 *        uptime clients polls polls_failed
 * import: import url status error
 * version: version protocol
 * command: command usage
 * opml: opml
 * marked: marked
 * purge: purge items stories bytes vacuumed chunks longest_chunk_us
 * account: account folded mark_story sessions
 *
 * outlet: ITEM<TAB>FEED<TAB>NAME<TAB>TITLE<TAB>LINK, one per item of the
 * story: the item's id, its feed's id and display name, its own title and
 * link. enclosure: URL<TAB>TYPE<TAB>LENGTH<TAB>DURATION, one per enclosure
 * of an item that show gives (length in bytes, duration in seconds, 0:
 * unknown). A feed's id is its feeds.conf section name ("bbc", "2024"): text,
 * whatever it looks like; story and item ids are numbers. Times are Unix
 * seconds (0: unknown or never); starred, read, digested, active are 0|1. */
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
