/* fuzz_config: libFuzzer target for feeds.conf parsing (config_parse).
 *
 * On success the config must be consistent (every feed has a valid, unique
 * id and a url, and the index finds it by both; nfeeds and the array agree); on failure the error text must
 * be non-empty and every line must name the file ("fuzz.conf:"), so a user
 * can find each mistake. Build and run: see mk/fuzz.am ("make fuzz"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static void
check_ok(const struct config *cfg)
{
	if ((cfg->nfeeds == 0) != (cfg->feeds == NULL && cfg->nfeeds == 0))
		abort();
	if (cfg->nfeeds > 0 && cfg->feeds == NULL)
		abort();
	if (cfg->path == NULL || strcmp(cfg->path, "fuzz.conf") != 0)
		abort();
	for (size_t i = 0; i < cfg->nfeeds; i++) {
		const struct config_feed *f = &cfg->feeds[i];

		if (f->id == NULL || f->url == NULL || !config_id_valid(f->id))
			abort();
		if (f->ntags > 0 && f->tags == NULL)
			abort();
		for (size_t t = 0; t < f->ntags; t++)
			if (f->tags[t] == NULL)
				abort();
		if (config_feed_find(cfg, f->id) != f || config_feed_find_url(cfg, f->url) != f)
			abort();
	}
	if (cfg->index == NULL)
		abort();
}

static void
check_errors(const char *errors)
{
	if (errors == NULL || errors[0] == '\0')
		abort();
	if (strcmp(errors, "out of memory") == 0)
		return;
	for (const char *line = errors; line != NULL;) {
		if (strncmp(line, "fuzz.conf:", 10) != 0)
			abort();
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char *errors = NULL;

	memset(&cfg, 0, sizeof cfg);
	if (config_parse("fuzz.conf", (const char *)data, size, &cfg, &errors) == 0) {
		if (errors != NULL)
			abort();
		check_ok(&cfg);
	} else {
		check_errors(errors);
	}
	config_free(&cfg);
	free(errors);
	return 0;
}
