/* fuzz_repair: libFuzzer target for parse_repair, the recovery of broken
 * XML (issue 28: inputs of some shapes took it quadratic time).
 *
 * Input: the document. Checks beyond "no crash": the repair ends within a
 * time budget per input (run with -timeout; fuzz-smoke gives 2 s for at most
 * 64 KiB, which a quadratic repair of a hostile 64 KiB passes by far), its
 * output stays within a linear bound of the input, and, for input without
 * "<!" or "<?" (comments, CDATA, doctypes and PIs are copied as they are),
 * no numeric character reference in it names a character XML forbids
 * (those become U+FFFD).
 * Build and run: see mk/fuzz.am ("make fuzz"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "parse.h"
#include "parse_repair.h"

/* Whether the numeric reference at s ("&#...;", n bytes left) names an
 * XML character; 1 when it is not a complete numeric reference. */
static int
ref_ok(const char *s, size_t n)
{
	size_t i = 2;
	unsigned long cp = 0;
	int hex = 0, digits = 0;

	if (n < 3 || s[1] != '#')
		return 1;
	if (s[2] == 'x')
		hex = 1, i++;
	for (; i < n && s[i] != ';'; i++, digits++) {
		int c = s[i], d = c >= '0' && c <= '9'          ? c - '0'
				  : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
				  : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
								: -1;
		if (d < 0)
			return 1; /* not a reference the repair let through as one */
		if (cp <= 0x10ffff)
			cp = cp * (hex ? 16 : 10) + (unsigned long)d;
	}
	if (i >= n || digits == 0)
		return 1;
	return cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
	       (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = {0};
	size_t bad = 0;

	if (parse_repair((const char *)data, size, PARSE_MAX_DEPTH, &out, &bad) == 0) {
		/* escapes grow a byte to at most 6 ("&quot;"), an undeclared
		 * prefix's declaration is written once, end tags close what
		 * was opened: far below this */
		if (out.len > 64 * size + 4096)
			abort();
		int raw = memmem(data, size, "<!", 2) || memmem(data, size, "<?", 2);
		for (size_t i = 0; i < out.len && !raw; i++)
			if (out.data[i] == '&' && !ref_ok(out.data + i, out.len - i))
				abort();
	}
	buf_free(&out);
	return 0;
}
