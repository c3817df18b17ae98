#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

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
	char line[2048], *big = NULL, *clean;
	const char *msg = line;
	va_list ap;
	int n;

	if (lvl == LOG_LVL_DEBUG && !log_cfg.verbose)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof line && (big = malloc((size_t)n + 1)) != NULL) {
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		msg = big;
	}
	/* A feed URL may carry a password (https://user:pw@host/): no line
	 * shows it, whichever module wrote the URL into it. */
	clean = strchr(msg, '@') ? url_redact(msg) : NULL;
	if (log_cfg.journal)
		fprintf(stderr, "<%d>", (int)lvl);
	else
		fprintf(stderr, "heraldd: %s: ", names[lvl]);
	if (clean == NULL && strchr(msg, '@'))
		fputs("(a line withheld: out of memory while masking its credentials)", stderr);
	else
		fputs(clean ? clean : msg, stderr);
	fputc('\n', stderr);
	free(clean);
	free(big);
}
