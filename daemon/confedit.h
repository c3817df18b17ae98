/* confedit: changing feeds.conf for the client's add, remove and import, and
 * the OPML export of a configuration. Not pure: edits write the file.
 *
 * Each edit reads path, checks it parses cleanly, changes only the lines of
 * the sections concerned (every other byte, comments and order included, is
 * kept), parses the result again with config_parse, and only then replaces
 * the file: a temporary file in the same directory, fsync, rename, fsync of
 * the directory. A failed edit leaves the file untouched. A missing file is
 * an empty one (an edit creates it). A symlinked path edits its target.
 * Errors go to err ("FILE:LINE: ..." when the problem is a line of the
 * file); err is always terminated when errlen > 0. */
#ifndef HERALD_CONFEDIT_H
#define HERALD_CONFEDIT_H

#include <stddef.h>

#include "config.h"

/* One section to write. Every string is borrowed. */
struct confedit_feed {
	const char *id;          /* NULL: config_feed_id_suggest() */
	const char *url;         /* http(s), or file:// with CONFEDIT_ALLOW_FILE */
	const char *name;        /* or NULL; control characters become spaces */
	const char *interval;    /* a duration as written, or NULL */
	const char *const *tags; /* ntags tags; commas become spaces */
	size_t ntags;
};

enum {
	CONFEDIT_ALLOW_FILE = 1,    /* accept file:// URLs */
	CONFEDIT_SKIP_EXISTING = 2, /* skip a url already present, no error */
};

/* Appends one [feed "id"] section per entry, in order. A url already in the
 * file or earlier in feeds (compared as config_feed_find_url does) is an
 * error, or skipped with CONFEDIT_SKIP_EXISTING. *added (may be NULL) gets
 * the number of sections written. Returns 0 or -1 (nothing written). */
int confedit_append(const char *path, const struct confedit_feed *feeds, size_t n, int flags,
		    size_t *added, char *err, size_t errlen);

/* One feed, file:// allowed (the same rules as writing the file by hand).
 * tags is comma-separated or NULL; id NULL picks one from the url. id_out
 * (may be NULL) receives the id written. Returns 0 or -1. */
int confedit_add(const char *path, const char *id, const char *url, const char *name,
		 const char *interval, const char *tags, char *id_out, size_t id_outlen, char *err,
		 size_t errlen);

/* Removes the section of feed id, with the comment lines directly above its
 * header (no blank line between) and the blank lines that ended it.
 * Returns 0, or -1 (no such feed, or any error). */
int confedit_remove(const char *path, const char *id, char *err, size_t errlen);

/* Rewrites the value of feed id's url line with url (an http(s) URL, as
 * a permanent redirect gave it): the key, the blanks around '=' and a
 * comment after the value stay, as does every other line. A url another
 * feed of the file has (compared as config_feed_find_url does) is an
 * error; the url the feed has already is no edit (the file is not
 * written). Returns 0 or -1 (no such feed, or any error). */
int confedit_set_url(const char *path, const char *id, const char *url, char *err, size_t errlen);

/* Sets feed id's name or tags (key) to value, or removes the key's line
 * when value is NULL: an existing value is replaced in place (the key, its
 * blanks and a comment stay), a missing key gets a line after the url's.
 * The result must parse. Returns 0 or -1 (no such feed, another key, the
 * value refused by the configuration's rules, or any error). */
int confedit_set_key(const char *path, const char *id, const char *key, const char *value,
		     char *err, size_t errlen);

/* ---- OPML ---- */

/* What became of one entry (outline with an xmlUrl) of an imported OPML
 * document. */
enum confedit_status {
	CONFEDIT_ADDED,   /* a section was written for it */
	CONFEDIT_EXISTS,  /* its url is configured, or repeats an earlier entry's */
	CONFEDIT_INVALID, /* not an http(s) URL (file:// never is imported): see error */
};

struct confedit_import_entry {
	char *url; /* as in the document */
	enum confedit_status status;
	char *id;    /* ADDED: the id written; EXISTS: the configured feed's id, or
		      * NULL when the url repeats an earlier entry of the document */
	char *error; /* INVALID: why (url_check's message); else NULL */
};

struct confedit_import {
	struct confedit_import_entry *entries; /* one per entry, in document order */
	size_t n;
	size_t added, existing, invalid; /* entries of each status */
};

/* Imports an OPML document (data, len bytes; name is used in its error
 * messages): one section per new http(s) feed, with the OPML title as name
 * and its folders and categories as tags, written to path in one edit (the
 * file is not touched, nor even read, when no entry is new). Each entry is,
 * in this order: EXISTS when its url is in cfg (the configuration in use;
 * may be NULL) or is an earlier entry's that is being added; INVALID when
 * url_check refuses it (no file://); EXISTS when the file as it is now has
 * it; else ADDED. Urls compare as config_feed_find_url does. *out gets the
 * outcome of every entry (free it with confedit_import_free), also when
 * none is added. Returns 0; or -1 when the document is malformed (err:
 * "NAME:LINE: message"), -2 when the file could not be edited (invalid,
 * unwritable; out of memory): nothing written, *out empty either way. */
int confedit_import_opml(const char *path, const struct config *cfg, const char *name,
			 const char *data, size_t len, struct confedit_import *out, char *err,
			 size_t errlen);

void confedit_import_free(struct confedit_import *imp);

/* Export: cfg's feeds as an OPML 2.0 document titled "herald
 * subscriptions" (each feed's title: its name, else its id; tags as folders
 * and categories). date is the Unix time for dateCreated (0: none). A
 * password in a feed's URL is masked (url_redact): it stays in feeds.conf.
 * Malloc'd, caller frees; NULL when memory runs out. */
char *confedit_export_opml(const struct config *cfg, long long date);

#endif
