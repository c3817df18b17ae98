/* date: the date formats feeds use, to Unix seconds (UTC).
 *
 * Pure: no I/O, no locale, no global state. Understood: RFC 822/1123 (2- and
 * 4-digit years, named and military zones, missing seconds or time, stray
 * commas), RFC 3339 / W3CDTF (partial dates, fractions), ISO 8601 variants
 * (2-digit years, ordinal days, basic format), asctime, "YYYY/MM/DD" and a few
 * localised forms seen in the wild (Korean, Greek, Hungarian). A date without
 * a zone is taken as UTC. Values out of range (month 13, hour 25, zone
 * -99:99, years outside 1..9999 after conversion) are rejected, not guessed. */
#ifndef HERALD_DATE_H
#define HERALD_DATE_H

#include <stddef.h>
#include <stdint.h>

/* Parses s; returns 0 and sets *out to seconds since 1970-01-01T00:00:00Z,
 * or -1 when s is not a date this module understands (*out untouched). */
int date_parse(const char *s, int64_t *out);

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes).
 * Returns 0, or -1 when t is outside years 1..9999 or outlen is short. */
int date_format(int64_t t, char *out, size_t outlen);

#endif
