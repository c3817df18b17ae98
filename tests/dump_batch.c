/* dump_batch: many "heraldd --dump" runs in one process, for the conformance
 * test (3,000 process start-ups cost more than the parses). Reads lines
 * "INPUT<TAB>OUTPUT<TAB>CONTENT-TYPE<TAB>URL" (empty fields allowed) on stdin
 * and writes each document's feeddump/1 JSON to OUTPUT through dump_stream(),
 * the code heraldd --dump runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

int
main(void)
{
	char line[8192];
	int rc = 0;

	while (fgets(line, sizeof line, stdin)) {
		char *f[4] = {NULL, NULL, NULL, NULL}, *s = line;
		line[strcspn(line, "\n")] = '\0';
		for (int i = 0; i < 4; i++) {
			f[i] = s;
			s = s ? strchr(s, '\t') : NULL;
			if (s)
				*s++ = '\0';
		}
		if (f[0] == NULL || f[1] == NULL)
			continue;
		FILE *in = fopen(f[0], "rb"), *out = fopen(f[1], "wb");
		if (in == NULL || out == NULL) {
			perror(in ? f[1] : f[0]);
			rc = 1;
		} else if (dump_stream(in, f[2] && *f[2] ? f[2] : NULL, f[3] && *f[3] ? f[3] : NULL,
				       out) < 0) {
			rc = 1;
		}
		if (in)
			fclose(in);
		if (out && fclose(out) != 0)
			rc = 1;
	}
	return rc;
}
