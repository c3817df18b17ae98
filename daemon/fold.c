/* Placeholder: the real driver lands with its module. */
#include "fold.h"

#include <stdio.h>

int
fold_main(int argc, char **argv, const struct config *cfg)
{
	(void)argc;
	(void)argv;
	(void)cfg;
	fprintf(stderr, "heraldd: --fold is not built yet\n");
	return 1;
}
