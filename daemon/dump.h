/* dump: "heraldd --dump FILE [--content-type CT] [--url URI]" prints the
 * parse of one document as feeddump/1 JSON (../shared/corpora/compare.py). */
#ifndef HERALD_DUMP_H
#define HERALD_DUMP_H

#include <stdio.h>

/* Parses the document read from in (fed in 4 KiB chunks) and writes its
 * feeddump/1 JSON to out. Returns 0, 1 when the document gave no feed (the
 * JSON then carries the error), or -1 on I/O or memory failure. */
int dump_stream(FILE *in, const char *content_type, const char *url, FILE *out);

/* argv[0] is "--dump". Returns the process exit status. */
int dump_main(int argc, char **argv);

#endif
