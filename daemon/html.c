/* Placeholder until the gumbo-based sanitizer lands (issue #12): escapes
 * everything, so nothing executable can pass, and strips tags for text. */
#include "html.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

char *
html_to_text(const char *in, size_t len)
{
	struct buf b = {0};
	int intag = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == '<')
			intag = 1;
		else if (in[i] == '>' && intag)
			intag = 0;
		else if (!intag && buf_putc(&b, in[i]) < 0)
			goto fail;
	}
	return buf_detach(&b);
fail:
	buf_free(&b);
	return NULL;
}

int
html_clean(const char *in, size_t len, const char *base, struct html_result *out,
	   char *err, size_t errlen)
{
	struct buf b = {0};

	(void)base;
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < len; i++) {
		const char *e = in[i] == '<' ? "&lt;" : in[i] == '>' ? "&gt;" : in[i] == '&' ? "&amp;" : NULL;
		if (e ? buf_puts(&b, e) : buf_putc(&b, in[i]))
			goto fail;
	}
	out->html = buf_detach(&b);
	out->text = html_to_text(in, len);
	if (out->html && out->text)
		return 0;
fail:
	buf_free(&b);
	html_result_free(out);
	if (errlen)
		strncpy(err, "out of memory", errlen - 1), err[errlen - 1] = '\0';
	return -1;
}

void
html_result_free(struct html_result *r)
{
	free(r->html);
	free(r->text);
	r->html = r->text = NULL;
}
