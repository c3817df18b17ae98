/* parse_expat: expat alone as herald's parser sets it up, for bench/parse.
 * Same input handling as parse_bench (FILE mapped, fed in 4 KiB chunks), same
 * expat settings (namespace processing, the HTML entity set as a foreign
 * DTD, element and character data handlers), but the handlers do nothing:
 * what is left is the floor for any parser built on expat this way. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef XML_DTD
#define XML_DTD 1
#endif
#include <expat.h>

#include "parse_entities.h"

static void XMLCALL
on_start(void *u, const XML_Char *name, const XML_Char **atts)
{
	(void)u, (void)name, (void)atts;
}

static void XMLCALL
on_end(void *u, const XML_Char *name)
{
	(void)u, (void)name;
}

static void XMLCALL
on_text(void *u, const XML_Char *s, int len)
{
	(void)u, (void)s, (void)len;
}

static int XMLCALL
on_external(XML_Parser xp, const XML_Char *context, const XML_Char *base, const XML_Char *sysid,
	    const XML_Char *pubid)
{
	(void)base, (void)sysid, (void)pubid;
	if (context != NULL)
		return XML_STATUS_OK;
	XML_Parser ep = XML_ExternalEntityParserCreate(xp, NULL, NULL);
	if (ep == NULL)
		return XML_STATUS_ERROR;
	enum XML_Status st =
		XML_Parse(ep, parse_html_entities_dtd, (int)parse_html_entities_dtd_len, 1);
	XML_ParserFree(ep);
	return st;
}

int
main(int argc, char **argv)
{
	struct stat st;
	const char *doc;
	size_t len;
	int fd, rc = 0;

	if (argc != 2 || (fd = open(argv[1], O_RDONLY)) < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "usage: parse_expat FILE\n");
		return 2;
	}
	len = (size_t)st.st_size;
	doc = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : "";
	close(fd);
	XML_Parser xp = XML_ParserCreateNS("UTF-8", '\x01');
	if (doc == MAP_FAILED || xp == NULL) {
		fprintf(stderr, "parse_expat: cannot map the file or create the parser\n");
		return 1;
	}
	XML_SetElementHandler(xp, on_start, on_end);
	XML_SetCharacterDataHandler(xp, on_text);
	XML_SetExternalEntityRefHandler(xp, on_external);
	XML_SetParamEntityParsing(xp, XML_PARAM_ENTITY_PARSING_UNLESS_STANDALONE);
	XML_UseForeignDTD(xp, XML_TRUE);
	for (size_t off = 0;; off += 4096) {
		size_t n = len - off < 4096 ? len - off : 4096;
		if (XML_Parse(xp, doc + off, (int)n, off + n == len) == XML_STATUS_ERROR) {
			fprintf(stderr, "parse_expat: %s\n", XML_ErrorString(XML_GetErrorCode(xp)));
			rc = 1;
			break;
		}
		if (off + n == len)
			break;
	}
	XML_ParserFree(xp);
	if (len)
		munmap((void *)doc, len);
	return rc;
}
