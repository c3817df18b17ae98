#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Written once at start-up, before the loop runs; read-only afterwards. */
static struct {
	int verbose;
	int journal;
} log_cfg;

void
log_init(int verbose)
{
	log_cfg.verbose = verbose;
	log_cfg.journal = getenv("JOURNAL_STREAM") != NULL;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = {[LOG_LVL_ERR] = "error", [LOG_LVL_WARN] = "warning",
					    [LOG_LVL_INFO] = "info", [LOG_LVL_DEBUG] = "debug"};
	va_list ap;

	if (lvl == LOG_LVL_DEBUG && !log_cfg.verbose)
		return;
	if (log_cfg.journal)
		fprintf(stderr, "<%d>", (int)lvl);
	else
		fprintf(stderr, "heraldd: %s: ", names[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
