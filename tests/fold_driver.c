/* fold_driver: runs fold_main() ("heraldd --fold") without the daemon's
 * main(), so the yardstick and the benchmark work on any branch. Usage:
 * fold_driver FILE.tsv [options], options as for heraldd --fold. */
#include <stdio.h>

#include "fold.h"

int
main(int argc, char **argv)
{
	argv[0] = "--fold";
	return fold_main(argc, argv, NULL);
}
