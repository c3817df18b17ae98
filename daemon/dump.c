/* Placeholder: the real driver lands with its module. */
#include "dump.h"

#include <stdio.h>

int
dump_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "heraldd: --dump is not built yet\n");
	return 1;
}
