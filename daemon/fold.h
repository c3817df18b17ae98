/* fold: "heraldd --fold FILE.tsv" runs the daemon's story code over a TSV
 * stream and prints item_id<TAB>story_id lines (docs/stories.md). */
#ifndef HERALD_FOLD_H
#define HERALD_FOLD_H

struct config;

/* argv[0] is "--fold"; cfg holds the fold_* settings to use (defaults or
 * from -c FILE). Returns the process exit status. */
int fold_main(int argc, char **argv, const struct config *cfg);

#endif
