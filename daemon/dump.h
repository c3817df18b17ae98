/* dump: "heraldd --dump FILE [--content-type CT] [--url URI]" prints the
 * parse of one document as feeddump/1 JSON (../shared/corpora/compare.py). */
#ifndef HERALD_DUMP_H
#define HERALD_DUMP_H

/* argv[0] is "--dump". Returns the process exit status. */
int dump_main(int argc, char **argv);

#endif
