/* Placeholder until the config module lands. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

int
config_load(const char *path, struct config *cfg, char **errors)
{
	(void)path;
	memset(cfg, 0, sizeof *cfg);
	*errors = strdup("config: not built yet");
	return -1;
}

void
config_free(struct config *cfg)
{
	(void)cfg;
}

char *
config_default_path(void)
{
	return strdup("feeds.conf");
}
