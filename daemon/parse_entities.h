/* parse_entities: the HTML 4 named entities as an XML DTD, embedded so the
 * parser never loads an external file (generated: see parse_entities.c). */
#ifndef HERALD_PARSE_ENTITIES_H
#define HERALD_PARSE_ENTITIES_H

#include <stddef.h>

extern const char parse_html_entities_dtd[];
extern const size_t parse_html_entities_dtd_len;

#endif
