/* parse_vocab: what the elements of RSS 0.9x/1.0/2.0, Atom 0.3/1.0, CDF and
 * the extension namespaces (dc, dcterms, content, media, itunes, xhtml) mean
 * to the parser: which capture an element starts, and where the captured
 * text is stored when it closes (see parse_int.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "date.h"
#include "parse_int.h"

/* ---------------------------------------------------------------- authors, links */

/* "email (Name)", "Name <email>", "email" or "Name". */
static int
split_author(const char *s, struct parse_person *who)
{
	const char *at = strchr(s, '@');
	char *name = NULL, *email = NULL;

	if (at) {
		const char *st = at, *en = at;
		while (st > s && !isspace((unsigned char)st[-1]) && st[-1] != '(' && st[-1] != '<')
			st--;
		while (*en && !isspace((unsigned char)*en) && *en != ')' && *en != '>')
			en++;
		email = dupn(st, (size_t)(en - st));
		if (st > s && (st[-1] == '<' || st[-1] == '('))
			st--;
		if (*en == '>' || *en == ')')
			en++;
		struct buf b = {0};
		if (buf_append(&b, s, (size_t)(st - s)) < 0 || buf_puts(&b, en) < 0) {
			buf_free(&b);
			free(email);
			return -1;
		}
		/* what is left, without the parentheses around a name */
		char *rest = buf_detach(&b);
		if (rest == NULL) {
			free(email);
			return -1;
		}
		char *r = rest;
		size_t n = strlen(r);
		while (n && (isspace((unsigned char)*r) || *r == '('))
			r++, n--;
		while (n && (isspace((unsigned char)r[n - 1]) || r[n - 1] == ')'))
			n--;
		name = n ? dupn(r, n) : NULL;
		free(rest);
	} else {
		name = dup0(s);
	}
	who->name = name;
	who->email = email;
	return 0;
}

static int
add_author_string(struct parse *p, struct parse_lists *l, const char *s)
{
	if (*s == '\0')
		return 0;
	if (parse_grow((void **)&l->authors, &l->nauthors, sizeof *l->authors) < 0)
		return 0; /* past the list limit: ignored */
	return split_author(s, &l->authors[l->nauthors - 1]);
	(void)p;
}

static struct parse_lists *
lists(struct parse *p)
{
	return p->initem ? &p->item.l : &p->meta.l;
}

/* Sets the item's or feed's link from an alternate HTML link. */
static void
maybe_link(struct parse *p, const struct parse_link *k)
{
	char **link = p->initem ? &p->item.link : &p->meta.link;

	if (k->href && *k->href && !strcmp(k->rel, "alternate") &&
	    (!strcmp(k->type, "text/html") || !strcmp(k->type, "application/xhtml+xml")))
		set_str(link, dup0(k->href));
}

static void
add_enclosure_of(struct parse *p, const struct parse_link *k)
{
	if (!p->initem || strcmp(k->rel, "enclosure") != 0 || k->href == NULL || !*k->href ||
	    parse_grow((void **)&p->item.enclosures, &p->item.nenclosures,
		       sizeof *p->item.enclosures) < 0)
		return;
	struct parse_enclosure *e = &p->item.enclosures[p->item.nenclosures - 1];
	e->url = dup0(k->href);
	e->type = dup0(k->type);
	e->length = dup0(k->length);
}

/* A link element; without href its text gives the href (F_LINK). */
static void
add_link(struct parse *p, const XML_Char **atts, const char *href, int atom)
{
	struct parse_lists *l = lists(p);
	const char *rel = parse_attr(atts, "rel"), *type = parse_attr(atts, "type");
	char *h = href ? parse_resolve(frame_base(p), href) : dup0("");

	if (h == NULL)
		return;
	if (rel == NULL || *rel == '\0')
		rel = "alternate";
	if (type == NULL)
		type = !strcmp(rel, "self") ? "application/atom+xml" : "text/html";
	if (parse_grow((void **)&l->links, &l->nlinks, sizeof *l->links) < 0) {
		free(h);
		return;
	}
	struct parse_link *k = &l->links[l->nlinks - 1];
	k->href = h;
	k->rel = dup0(rel);
	k->type = dup0(type);
	k->title = dup0(parse_attr(atts, "title"));
	k->length = dup0(parse_attr(atts, "length"));
	k->hreflang = dup0(parse_attr(atts, "hreflang"));
	if (href) {
		maybe_link(p, k);
		add_enclosure_of(p, k);
	} else {
		parse_begin(p, F_LINK);
		p->cap.permalink = (int)l->nlinks; /* which link the text completes */
	}
	(void)atom;
}

/* RSS <enclosure url length type>, also a link as feedparser has it; or
 * (media) an item's Media RSS media:content: url, type, fileSize, duration
 * (seconds), not a link (feedparser keeps it apart from links). */
static void
add_enclosure(struct parse *p, const XML_Char **atts, int media)
{
	const char *url = parse_attr(atts, "url");

	if (url == NULL || !p->initem)
		return;
	char *u = parse_resolve(frame_base(p), url);
	if (u == NULL)
		return;
	if (parse_grow((void **)&p->item.enclosures, &p->item.nenclosures,
		       sizeof *p->item.enclosures) < 0) {
		free(u);
		return;
	}
	struct parse_enclosure *e = &p->item.enclosures[p->item.nenclosures - 1];
	e->url = u;
	e->type = dup0(parse_attr(atts, "type"));
	e->length = dup0(parse_attr(atts, media ? "fileSize" : "length"));
	if (media) {
		e->duration = dup0(parse_attr(atts, "duration"));
		return;
	}
	struct parse_lists *l = &p->item.l;
	if (parse_grow((void **)&l->links, &l->nlinks, sizeof *l->links) == 0) {
		struct parse_link *k = &l->links[l->nlinks - 1];
		k->href = dup0(u);
		k->rel = dup0("enclosure");
		k->type = dup0(e->type);
		k->length = dup0(e->length);
	}
}

static void
add_category(struct parse *p, const char *term, const char *scheme, const char *label)
{
	struct parse_lists *l = lists(p);

	if ((term == NULL || *term == '\0') && (label == NULL || *label == '\0') &&
	    (scheme == NULL || *scheme == '\0'))
		return;
	if (parse_grow((void **)&l->categories, &l->ncategories, sizeof *l->categories) < 0)
		return;
	struct parse_category *c = &l->categories[l->ncategories - 1];
	c->term = dup0(term && *term ? term : NULL);
	c->scheme = dup0(scheme && *scheme ? scheme : NULL);
	c->label = dup0(label && *label ? label : NULL);
}

/* ---------------------------------------------------------------- storing */

static struct parse_text *
construct_target(struct parse *p, enum parse_field f)
{
	if (p->initem) {
		switch (f) {
		case F_TITLE: return &p->item.title;
		case F_SUMMARY: return &p->item.summary;
		case F_RIGHTS: return &p->item.rights;
		default: return NULL;
		}
	}
	switch (f) {
	case F_TITLE: return &p->meta.title;
	case F_SUBTITLE: return &p->meta.subtitle;
	case F_RIGHTS: return &p->meta.rights;
	default: return NULL;
	}
}

static void
store_date(char *v, char **raw, int64_t *when)
{
	int64_t t;

	set_str(raw, v);
	*when = date_parse(v, &t) == 0 ? t : 0;
}

static void
store_link_text(struct parse *p, char *v)
{
	struct parse_lists *l = lists(p);
	size_t i = (size_t)p->cap.permalink;

	if (i == 0 || i > l->nlinks) {
		free(v);
		return;
	}
	struct parse_link *k = &l->links[i - 1];
	set_str(&k->href, parse_resolve(frame_base(p), v));
	free(v);
	if (k->href == NULL)
		return;
	maybe_link(p, k);
	add_enclosure_of(p, k);
}

/* The author being read, looked up each time: the list may have moved. */
static struct parse_person *
cur_person(struct parse *p)
{
	struct parse_lists *l = p->person_initem ? &p->item.l : &p->meta.l;

	if (p->person == 0 || p->person > l->nauthors || p->person_initem != p->initem)
		return NULL;
	return &l->authors[p->person - 1];
}

static void
store_person(struct parse *p, enum parse_field f, char *v)
{
	struct parse_person *who = cur_person(p);

	if (who == NULL) {
		free(v);
		return;
	}
	if (f == F_PNAME)
		set_str(&who->name, v);
	else if (f == F_PEMAIL)
		set_str(&who->email, v);
	else {
		set_str(&who->uri, parse_resolve(frame_base(p), v));
		free(v);
	}
}

/* Plain (non-construct) fields. */
static void
store_plain(struct parse *p, enum parse_field f, char *v)
{
	struct parse_item *it = &p->item;
	struct parse_meta *m = &p->meta;
	int in = p->initem;

	switch (f) {
	case F_LINK: store_link_text(p, v); return;
	case F_ID:
	case F_GUID:
		set_str(in ? &it->guid : &m->id, f == F_GUID && !p->cap.permalink
							 ? dup0(v)
							 : parse_resolve(frame_base(p), v));
		if (f == F_GUID && in && p->cap.permalink && it->link == NULL)
			it->link = dup0(it->guid);
		break;
	case F_COMMENTS:
		if (in)
			set_str(&it->comments, parse_resolve(frame_base(p), v));
		break;
	case F_PUBLISHED:
		store_date(v, in ? &it->published_raw : &m->published_raw,
			   in ? &it->published : &m->published);
		return;
	case F_UPDATED:
		store_date(v, in ? &it->updated_raw : &m->updated_raw,
			   in ? &it->updated : &m->updated);
		return;
	case F_DCDATE:
		if ((in ? it->published_raw : m->published_raw) == NULL)
			store_date(dup0(v), in ? &it->published_raw : &m->published_raw,
				   in ? &it->published : &m->published);
		store_date(v, in ? &it->updated_raw : &m->updated_raw,
			   in ? &it->updated : &m->updated);
		return;
	case F_LANGUAGE:
		if (!in)
			set_str(&m->language, v), v = NULL;
		break;
	case F_GENERATOR: set_str(&m->generator, v); return;
	case F_DURATION:
		if (in)
			set_str(&it->duration, v), v = NULL;
		break;
	case F_ICON: set_str(&m->icon, parse_resolve(frame_base(p), v)); break;
	case F_LOGO: set_str(&m->logo, parse_resolve(frame_base(p), v)); break;
	case F_TTL: m->ttl = atoi(v); break;
	case F_AUTHOR: add_author_string(p, lists(p), v); break;
	case F_PNAME:
	case F_PEMAIL:
	case F_PURI: store_person(p, f, v); return;
	case F_CATEGORY: add_category(p, v, p->cap.scheme, p->cap.label); break;
	case F_KEYWORDS:
	case F_TAGS:
		for (char *save, *k = strtok_r(v, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
			char *t = parse_trimmed(k, strlen(k));
			if (t && *t)
				add_category(p, t, f == F_TAGS ? NULL : "http://www.itunes.com/",
					     NULL);
			free(t);
		}
		break;
	case F_IMG_URL: set_str(&m->image_url, parse_resolve(frame_base(p), v)); break;
	case F_IMG_TITLE: set_str(&m->image_title, v); return;
	case F_IMG_LINK: set_str(&m->image_link, parse_resolve(frame_base(p), v)); break;
	default: break;
	}
	free(v);
}

void
parse_vocab_store(struct parse *p)
{
	struct parse_capture *c = &p->cap;

	if (c->construct) {
		/* RSS with both description and summary: the second is content */
		if (c->field == F_SUMMARY && p->initem && !c->atom && p->item.summary.value)
			c->field = F_CONTENT;
		struct parse_text *t = construct_target(p, c->field);
		if (c->field == F_CONTENT && p->initem) {
			if (parse_grow((void **)&p->item.content, &p->item.ncontent,
				       sizeof *p->item.content) < 0)
				return;
			t = &p->item.content[p->item.ncontent - 1];
		}
		if (t)
			parse_text_finish(p, t);
		return;
	}
	char *v = parse_trimmed(buf_str(&c->b), c->b.len);
	if (v == NULL) {
		parse_fail(p, "%s", "out of memory");
		return;
	}
	store_plain(p, c->field, v);
}

/* ---------------------------------------------------------------- items */

static int
text_copy(struct parse_text *dst, const struct parse_text *src)
{
	dst->type = src->type;
	dst->value = dup0(src->value);
	dst->text = src->text == src->value ? dst->value : dup0(src->text);
	dst->mime = dup0(src->mime);
	dst->base = dup0(src->base);
	dst->lang = dup0(src->lang);
	return dst->value && dst->text ? 0 : -1;
}

static void
item_begin(struct parse *p)
{
	parse_item_free(&p->item);
	p->initem = 1;
}

static void
item_end(struct parse *p)
{
	struct parse_item *it = &p->item;

	p->initem = 0;
	if (it->summary.value == NULL && it->ncontent > 0 && it->content[0].mime == NULL)
		text_copy(&it->summary, &it->content[0]);
	if (++p->seen_items > p->skip_items) {
		if (p->meta.nitems >= PARSE_MAX_ITEMS) {
			p->meta.items_dropped++; /* the first ones are kept: say so */
		} else if (p->cb && p->cb(it, p->user) != 0) {
			parse_fail(p, "%s", "stopped by the item callback");
		} else {
			p->meta.nitems++;
		}
	}
	parse_item_free(it);
}

/* ---------------------------------------------------------------- dispatch */

static const struct {
	const char *attr, *format;
} rss_versions[] = {
	{"0.91", "rss091u"}, {"0.92", "rss092"}, {"0.93", "rss093"}, {"0.94", "rss094"},
	{"2.0", "rss20"},    {"2.00", "rss20"},  {"2", "rss20"},
};

/* CDF (Microsoft's Channel Definition Format) keeps link and date in
 * attributes of CHANNEL and ITEM. */
static void
cdf_attrs(struct parse *p, const XML_Char **atts)
{
	int in = p->initem;

	for (int i = 0; atts[i]; i += 2) {
		if (!strcasecmp(atts[i], "href"))
			add_link(p, atts, atts[i + 1], 0);
		else if (!strcasecmp(atts[i], "lastmod"))
			store_date(dup0(atts[i + 1]),
				   in ? &p->item.updated_raw : &p->meta.updated_raw,
				   in ? &p->item.updated : &p->meta.updated);
	}
}

static void
root(struct parse *p, const char *name, enum parse_ns ns, const char *local, const XML_Char **atts)
{
	const char *v = parse_attr(atts, "version");
	struct parse_meta *m = &p->meta;

	if (ns == NS_CORE && !strcmp(local, "rss")) {
		m->format = "rss";
		for (size_t i = 0; v && i < sizeof rss_versions / sizeof rss_versions[0]; i++)
			if (!strcmp(v, rss_versions[i].attr))
				m->format = rss_versions[i].format;
		if (v && !strncmp(v, "2.", 2))
			m->format = "rss20";
		if (p->netscape && !strcmp(m->format, "rss091u"))
			m->format = "rss091n";
		m->version = dup0(v ? v : "");
	} else if (ns == NS_RDF && !strcmp(local, "RDF")) {
		m->format = p->rss090 ? "rss090" : "rss10";
		m->version = dup0(p->rss090 ? "0.9" : "1.0");
	} else if ((ns == NS_ATOM10 || ns == NS_ATOM03 || ns == NS_CORE) &&
		   !strcmp(local, "feed")) {
		int a03 = ns == NS_ATOM03 || (ns == NS_CORE && v && !strcmp(v, "0.3"));
		m->format = a03 ? "atom03" : ns == NS_ATOM10 ? "atom10" : "atom";
		m->version = dup0(v ? v : a03 ? "0.3" : "1.0");
		p->infeed = 1;
		if (ns == NS_CORE)
			p->core_atom = a03 ? NS_ATOM03 : NS_ATOM10;
	} else if (ns == NS_CORE && !strcasecmp(local, "channel")) {
		m->format = "cdf";
		m->version = dup0("");
		p->infeed = 1;
		cdf_attrs(p, atts);
	}
	(void)name;
}

/* The local names of the core vocabularies, matched without case (feeds
 * write pubdate, PubDate, ...): looked up once per element. Sorted. */
/* clang-format off */
#define PARSE_KEYS(X) \
	X(abstract) X(author) X(body) X(category) X(channel) X(comments) X(content) \
	X(contributor) X(copyright) X(description) X(email) X(enclosure) X(entry) \
	X(fullitem) X(generator) X(guid) X(homepage) X(icon) X(id) X(image) X(issued) \
	X(item) X(language) X(lastbuilddate) X(link) X(logo) X(managingeditor) \
	X(modified) X(name) X(pubdate) X(published) X(rights) X(source) X(subtitle) \
	X(summary) X(tagline) X(tags) X(textinput) X(title) X(ttl) X(updated) X(uri) \
	X(url) X(webmaster)
#define PARSE_KEY_ENUM(n) K_##n,
#define PARSE_KEY_NAME(n) #n,
enum key { K_NONE = -1, PARSE_KEYS(PARSE_KEY_ENUM) };
static const char *const key_names[] = {PARSE_KEYS(PARSE_KEY_NAME)};
/* clang-format on */

static int
key_cmp(const void *a, const void *b)
{
	const unsigned char *x = a, *y = *(const unsigned char *const *)b;

	/* most probes differ in the first byte: no call for those */
	return *x != *y ? *x - *y : strcmp((const char *)x, (const char *)y);
}

static enum key
key_of(const char *l)
{
	char low[16];
	size_t n = 0;

	for (; l[n]; n++) {
		if (n == sizeof low - 1)
			return K_NONE;
		low[n] = (char)(l[n] >= 'A' && l[n] <= 'Z' ? l[n] + 32 : l[n]);
	}
	low[n] = '\0';
	const char *const *hit = bsearch(low, key_names, sizeof key_names / sizeof key_names[0],
					 sizeof key_names[0], key_cmp);
	return hit ? (enum key)(hit - key_names) : K_NONE;
}

static int
atomish(enum parse_ns ns)
{
	return ns == NS_ATOM10 || ns == NS_ATOM03;
}

/* Elements of the core vocabularies (RSS, Atom). */
static int
start_core(struct parse *p, enum parse_ns ns, enum key k, const XML_Char **atts)
{
	int in = p->initem;

	if (k == K_title)
		parse_begin_construct(p, F_TITLE, ns, atts, PARSE_TYPE_TEXT);
	else if (k == K_description)
		parse_begin_construct(p, in ? F_SUMMARY : F_SUBTITLE, ns, atts, PARSE_TYPE_HTML);
	else if (k == K_subtitle || k == K_tagline)
		parse_begin_construct(p, F_SUBTITLE, ns, atts, PARSE_TYPE_TEXT);
	else if (k == K_summary && in)
		parse_begin_construct(p, F_SUMMARY, ns, atts, PARSE_TYPE_TEXT);
	else if (k == K_content && in)
		parse_begin_construct(p, F_CONTENT, ns, atts, PARSE_TYPE_TEXT);
	else if (k == K_rights || k == K_copyright)
		parse_begin_construct(p, F_RIGHTS, ns, atts, PARSE_TYPE_TEXT);
	else if (k == K_link)
		add_link(p, atts, parse_attr(atts, "href"), atomish(ns));
	else if (k == K_id)
		parse_begin(p, F_ID);
	else if (k == K_guid) {
		const char *perma = parse_attr(atts, "isPermaLink");
		parse_begin(p, F_GUID);
		p->cap.permalink = perma == NULL || strcasecmp(perma, "false") != 0;
	} else if (k == K_comments)
		parse_begin(p, F_COMMENTS);
	else if (k == K_pubdate || k == K_published || k == K_issued)
		parse_begin(p, F_PUBLISHED);
	else if (k == K_updated || k == K_modified || k == K_lastbuilddate)
		parse_begin(p, F_UPDATED);
	else if (k == K_language)
		parse_begin(p, F_LANGUAGE);
	else if (k == K_generator)
		parse_begin(p, F_GENERATOR);
	else if (k == K_icon)
		parse_begin(p, F_ICON);
	else if (k == K_logo)
		parse_begin(p, F_LOGO);
	else if (k == K_ttl)
		parse_begin(p, F_TTL);
	else if (!atomish(ns) && (k == K_author || (!in && k == K_managingeditor)))
		parse_begin(p, F_AUTHOR);
	else if (k == K_category) {
		const char *term = parse_attr(atts, "term");
		if (atomish(ns) || term)
			add_category(p, term, parse_attr(atts, "scheme"),
				     parse_attr(atts, "label"));
		else {
			parse_begin(p, F_CATEGORY);
			p->cap.scheme = dup0(parse_attr(atts, "domain"));
		}
	} else if (k == K_tags && !atomish(ns))
		parse_begin(p, F_TAGS);
	else if (k == K_enclosure)
		add_enclosure(p, atts, 0);
	else if (k == K_webmaster && !in && p->meta.l.nauthors == 0)
		parse_begin(p, F_AUTHOR);
	else if (k == K_body && in && !atomish(ns))
		parse_begin_construct(p, F_CONTENT, ns, atts, PARSE_TYPE_XHTML);
	else if (k == K_abstract)
		parse_begin_construct(p, in ? F_SUMMARY : F_SUBTITLE, ns, atts, PARSE_TYPE_TEXT);
	else if (k == K_fullitem && in)
		parse_begin_construct(p, F_CONTENT, ns, atts, PARSE_TYPE_HTML);
	else
		return -1;
	return 0;
}

static void
start_ext(struct parse *p, enum parse_ns ns, const char *l, const XML_Char **atts)
{
	struct parse_lists *ls = lists(p);

	switch (ns) {
	case NS_DC:
		if (!strcmp(l, "title"))
			parse_begin_construct(p, F_TITLE, ns, atts, PARSE_TYPE_TEXT);
		else if (!strcmp(l, "description"))
			parse_begin_construct(p, p->initem ? F_SUMMARY : F_SUBTITLE, ns, atts,
					      PARSE_TYPE_HTML);
		else if (!strcmp(l, "creator") || !strcmp(l, "author"))
			parse_begin(p, F_AUTHOR);
		else if (!strcmp(l, "date"))
			parse_begin(p, F_DCDATE);
		else if (!strcmp(l, "subject"))
			parse_begin(p, F_CATEGORY);
		else if (!strcmp(l, "rights"))
			parse_begin_construct(p, F_RIGHTS, ns, atts, PARSE_TYPE_TEXT);
		else if (!strcmp(l, "language"))
			parse_begin(p, F_LANGUAGE);
		break;
	case NS_DCTERMS:
		if (!strcmp(l, "modified"))
			parse_begin(p, F_UPDATED);
		else if (!strcmp(l, "issued"))
			parse_begin(p, F_PUBLISHED);
		break;
	case NS_CONTENT:
		if (!strcmp(l, "encoded") && p->initem)
			parse_begin_construct(p, F_CONTENT, ns, atts, PARSE_TYPE_HTML);
		break;
	case NS_XHTML:
		if (!strcmp(l, "body") && p->initem)
			parse_begin_construct(p, F_CONTENT, ns, atts, PARSE_TYPE_XHTML);
		break;
	case NS_ITUNES:
		if (!strcmp(l, "author") && ls->nauthors == 0)
			parse_begin(p, F_AUTHOR);
		else if (!strcmp(l, "category"))
			add_category(p, parse_attr(atts, "text"), "http://www.itunes.com/", NULL);
		else if (!strcmp(l, "summary") &&
			 !(p->initem ? p->item.summary.value : p->meta.subtitle.value))
			parse_begin_construct(p, p->initem ? F_SUMMARY : F_SUBTITLE, ns, atts,
					      PARSE_TYPE_TEXT);
		else if (!strcmp(l, "keywords"))
			parse_begin(p, F_KEYWORDS);
		else if (!strcmp(l, "link") && !p->initem && !p->meta.image_url &&
			 parse_attr(atts, "rel") && !strcmp(parse_attr(atts, "rel"), "image") &&
			 parse_attr(atts, "href"))
			p->meta.image_url = parse_resolve(frame_base(p), parse_attr(atts, "href"));
		else if (!strcmp(l, "duration") && p->initem)
			parse_begin(p, F_DURATION);
		else if (!strcmp(l, "image") && p->initem && !p->item.image &&
			 parse_attr(atts, "href"))
			p->item.image = parse_resolve(frame_base(p), parse_attr(atts, "href"));
		else if (!strcmp(l, "subtitle") && !p->initem && !p->meta.subtitle.value)
			parse_begin_construct(p, F_SUBTITLE, ns, atts, PARSE_TYPE_TEXT);
		else if (!strcmp(l, "image") && !p->initem && !p->meta.image_url &&
			 (parse_attr(atts, "href") || parse_attr(atts, "url")))
			p->meta.image_url = parse_resolve(
				frame_base(p), parse_attr(atts, "href") ? parse_attr(atts, "href")
									: parse_attr(atts, "url"));
		break;
	case NS_MEDIA:
		if ((!strcmp(l, "content") || !strcmp(l, "thumbnail")) && !p->initem &&
		    !p->meta.image_url && parse_attr(atts, "url")) {
			const char *medium = parse_attr(atts, "medium"),
				   *type = parse_attr(atts, "type");
			if (!strcmp(l, "thumbnail") || (medium && !strcmp(medium, "image")) ||
			    (type && !strncmp(type, "image/", 6)))
				p->meta.image_url =
					parse_resolve(frame_base(p), parse_attr(atts, "url"));
		} else if (!strcmp(l, "content") && p->initem && parse_attr(atts, "url")) {
			add_enclosure(p, atts, 1);
		} else if (!strcmp(l, "category")) {
			const char *sc = parse_attr(atts, "scheme");
			parse_begin(p, F_CATEGORY);
			p->cap.scheme =
				dup0(sc ? sc : "http://search.yahoo.com/mrss/category_schema");
			p->cap.label = dup0(parse_attr(atts, "label"));
		} else if (!strcmp(l, "title") && p->initem && !p->item.title.value) {
			parse_begin_construct(p, F_TITLE, ns, atts, PARSE_TYPE_TEXT);
		} else if (!strcmp(l, "description") && p->initem && !p->item.summary.value) {
			parse_begin_construct(p, F_SUMMARY, ns, atts, PARSE_TYPE_TEXT);
		}
		break;
	default: break;
	}
}

static void
start_person(struct parse *p, enum key k)
{
	if (k == K_name)
		parse_begin(p, F_PNAME);
	else if (k == K_email)
		parse_begin(p, F_PEMAIL);
	else if (k == K_uri || k == K_url || k == K_homepage)
		parse_begin(p, F_PURI);
}

/* ns_of, with the namespace of an unknown Atom-like root taken as Atom. */
static enum parse_ns
ns_of_p(struct parse *p, const char *name, const char **local)
{
	enum parse_ns ns = parse_ns_of(name, local);

	if (ns == NS_CORE && p->core_atom)
		return (enum parse_ns)p->core_atom;
	if (ns == NS_OTHER && p->alias_uri && *local - name - 1 == (long)strlen(p->alias_uri) &&
	    !strncmp(name, p->alias_uri, strlen(p->alias_uri)))
		return p->alias_ns;
	return ns;
}

void
parse_vocab_start(struct parse *p, const char *name, const XML_Char **atts)
{
	const char *l;
	enum parse_ns ns = ns_of_p(p, name, &l);
	int core = ns == NS_CORE || atomish(ns);

	if (!p->root_seen) {
		p->root_seen = 1;
		if (ns == NS_OTHER && !strcmp(l, "feed")) {
			const char *v = parse_attr(atts, "version");
			p->alias_ns = v && !strcmp(v, "0.3") ? NS_ATOM03 : NS_ATOM10;
			p->alias_uri = dupn(name, (size_t)(l - name - 1));
			ns = p->alias_ns;
		}
		root(p, name, ns, l, atts);
		if (p->stack[p->depth].lang && p->meta.language == NULL)
			p->meta.language = dup0(p->stack[p->depth].lang);
		return;
	}
	if (p->insource)
		return;
	enum key k = key_of(l);
	if (core && k == K_channel) {
		p->infeed = 1;
		if (p->meta.format && !strcmp(p->meta.format, "rss10") &&
		    strstr(name, "netscape")) {
			p->meta.format = "rss090";
			set_str(&p->meta.version, dup0("0.9"));
		}
	} else if (core && (k == K_item || (atomish(ns) && k == K_entry))) {
		item_begin(p);
		for (int i = 0; atts[i]; i += 2) {
			const char *al;
			if (parse_ns_of(atts[i], &al) == NS_RDF && !strcmp(al, "about"))
				p->item.guid = parse_resolve(frame_base(p), atts[i + 1]);
		}
		if (p->meta.format && !strcmp(p->meta.format, "cdf"))
			cdf_attrs(p, atts);
	} else if (atomish(ns) && k == K_source && p->initem) {
		p->insource = p->depth;
	} else if (core && !atomish(ns) && k == K_image) {
		p->inimage = p->depth;
	} else if (core && k == K_textinput) {
		p->intextinput = p->depth;
	} else if (p->intextinput) {
		return;
	} else if (atomish(ns) && (k == K_author || k == K_contributor)) {
		struct parse_lists *ls = lists(p);
		p->inperson = p->depth;
		p->person = 0;
		p->person_initem = p->initem;
		if (k == K_author &&
		    parse_grow((void **)&ls->authors, &ls->nauthors, sizeof *ls->authors) == 0)
			p->person = ls->nauthors;
	} else if (p->inperson) {
		if (core)
			start_person(p, k);
	} else if (p->inimage) {
		if (k == K_url)
			parse_begin(p, F_IMG_URL);
		else if (k == K_title)
			parse_begin(p, F_IMG_TITLE);
		else if (k == K_link)
			parse_begin(p, F_IMG_LINK);
	} else if (core) {
		/* an unknown element's children are not the item's or feed's */
		if (start_core(p, ns, k, atts) < 0 && (p->initem || p->infeed))
			p->insource = p->depth;
	} else {
		start_ext(p, ns, l, atts);
	}
}

void
parse_vocab_end(struct parse *p, const char *name)
{
	const char *l;
	enum parse_ns ns;
	enum key k;

	if (p->insource) {
		if (p->depth == p->insource)
			p->insource = 0;
		return;
	}
	if (p->inperson == p->depth) {
		struct parse_lists *ls = lists(p);
		struct parse_person *who = cur_person(p);
		p->inperson = 0;
		/* an author element with nothing in it is no author */
		if (who && p->person == ls->nauthors && !who->name && !who->email && !who->uri)
			ls->nauthors--;
		p->person = 0;
	} else if (p->inimage == p->depth) {
		p->inimage = 0;
	} else if (p->intextinput == p->depth) {
		p->intextinput = 0;
	} else if (p->initem && ((ns = ns_of_p(p, name, &l)) == NS_CORE || atomish(ns)) &&
		   ((k = key_of(l)) == K_item || k == K_entry)) {
		item_end(p);
	}
}
