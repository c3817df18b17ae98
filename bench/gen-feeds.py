#!/usr/bin/env python3
"""bench/gen-feeds.py: a deterministic set of N feeds with M items each.

    gen-feeds.py OUTDIR [-n N] [-m M] [--seed S] [--round R] [--new K]
                 [--share F] [--base ISO-TIME]

Writes OUTDIR/fNNNNN.rss (RSS 2.0, half of the feeds), .atom (Atom 1.0, three
in ten) and .rdf (RSS 1.0, one in five), and OUTDIR/feeds.txt listing the file
names, one a line, in feed order. Same arguments, same bytes: every choice
comes from a PRNG seeded by (seed, feed, item).

Each item has a headline, a link, a guid, an author, one to three categories,
a date and an HTML description (paragraphs, links, emphasis, HTML entities such
as &eacute; and &#8217;) carried escaped in some feeds and in CDATA in others,
about 1.06 KB of XML per item (1,000 x 50 is 53 MB; issue #13's anchors had
44 MB). A share of the items (--share, default 0.25) report an event that
about four other outlets report at about the same time, each in its own words:
different templates, synonyms and sentence order, as story folding sees them.

Dates: items are spaced ~72 minutes apart per feed, the newest one just before
--base (default 2026-11-24T12:00:00Z, fixed so that output is reproducible).
--round R makes feeds that changed R times: K (--new, default 5) new items per
round on top, the oldest dropped, dates moved forward by K slots, as a feed
that keeps publishing does (for the memory-over-time benchmark). Python
stdlib only.
"""
import argparse
import datetime
import os
import random
import sys

SLOT = 72 * 60  # seconds between two items of a feed

PLACES = ("Northfield", "Port Allen", "Kessler County", "Marivale", "Lowbridge", "the Calder Valley",
          "Eastmoor", "Santa Ines", "New Harwick", "Dunmore", "the Ostrava region", "Belgrave",
          "Tamsin Bay", "Greyhaven", "the northern provinces", "Almora", "Riverside", "Coldwater",
          "São Rafael", "Zürichsee", "Kraków", "Montréal", "Ålesund", "Bergamo", "Lagos", "Quito")
ACTORS = (("Dock workers", "dockers", "port staff"), ("Nurses", "hospital staff", "health workers"),
          ("Farmers", "growers", "agricultural workers"), ("Teachers", "school staff", "educators"),
          ("Rail workers", "train drivers", "railway staff"), ("The central bank", "the bank",
          "rate-setters"), ("The city council", "councillors", "local officials"),
          ("Residents", "locals", "householders"), ("Pilots", "flight crews", "aircrew"),
          ("Ministers", "the cabinet", "the government"), ("Engineers", "technicians", "repair crews"),
          ("Students", "undergraduates", "campus groups"), ("Shareholders", "investors", "the board"),
          ("Firefighters", "fire crews", "emergency services"), ("Scientists", "researchers",
          "a team of scientists"))
EVENTS = (  # (verb variants, object variants)
    (("strike over", "walk out over", "stop work in a dispute over"), ("pay", "wages", "a pay offer")),
    (("approve", "back", "vote through"), ("a new tram line", "the tram extension", "light rail plans")),
    (("protest against", "rally against", "march against"), ("fuel prices", "the fuel tax", "petrol costs")),
    (("warn of", "raise alarm over", "sound warning on"), ("flood risk", "rising rivers", "flooding")),
    (("reject", "turn down", "throw out"), ("a budget plan", "the spending plan", "proposed cuts")),
    (("hold", "leave unchanged", "keep steady"), ("interest rates", "the base rate", "borrowing costs")),
    (("unveil", "announce", "present"), ("a housing plan", "new homes targets", "housing reforms")),
    (("probe", "investigate", "look into"), ("a data breach", "a cyber attack", "leaked records")),
    (("clear", "repair", "restore"), ("storm damage", "power lines", "blocked roads")),
    (("celebrate", "mark", "honour"), ("a centenary", "100 years of the bridge", "the anniversary")),
    (("sign", "agree", "seal"), ("a trade deal", "a trade pact", "an export agreement")),
    (("discover", "identify", "find"), ("a new species", "a rare orchid", "an unknown beetle")))
TEMPLATES = ("{Actor} {verb} {obj} in {place}",
             "{Place}: {actor} {verb} {obj}",
             "{Actor} in {place} {verb} {obj}",
             "{Actor} {verb} {obj} as {n} join in {place}",
             "Why {actor} in {place} {verb} {obj}",
             "{Place} {actor} {verb} {obj}, {n} affected")
NOUNS = ("minister", "market", "storm", "court", "election", "team", "season", "company", "price",
         "study", "hospital", "school", "bridge", "festival", "airport", "museum", "harbour",
         "library", "river", "budget", "report", "police", "union", "village", "factory", "orchestra",
         "mayor", "ferry", "vaccine", "satellite", "reservoir", "stadium", "archive", "vineyard")
VERBS = ("opens", "closes", "delays", "wins", "loses", "reviews", "expands", "cuts", "plans",
         "defends", "questions", "rebuilds", "tests", "launches", "suspends", "restores", "sells")
ADJS = ("new", "old", "local", "national", "rural", "coastal", "historic", "troubled", "record",
        "disputed", "surprise", "long-awaited", "émigré", "naïve", "second", "final")
FILLER = ("officials said", "according to a statement", "the report found", "witnesses told reporters",
          "figures released on Monday show", "a spokesperson confirmed", "sources close to the talks said",
          "the committee heard", "critics argue", "supporters say")
WORDS = ("the council", "its budget", "local businesses", "the regional authority", "a spokesperson",
         "the plan", "nearby towns", "residents' groups", "the harbour master", "the opposition",
         "commuters", "a €2m fund", "the 2027 season", "“long delays”", "café owners", "the co‑op",
         "the rail operator", "an independent review", "visitors", "the press office")
CATEGORIES = ("World", "Business", "Politics", "Science", "Health", "Sport", "Culture", "Local",
              "Environment", "Technology", "Education", "Transport", "Weather", "Opinion")
FIRST = ("Anna", "Ben", "Chloé", "David", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kofi",
         "Lena", "Marta", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Zoë")
LAST = ("Adeyemi", "Brennan", "Castro", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ivanova",
        "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "O'Neill", "Petrova", "Rossi",
        "Schmidt", "Tanaka", "Usman", "Varga", "Walsh", "Yilmaz", "Zhou")
TOWNS = ("Northfield", "Lowbridge", "Marivale", "Eastmoor", "Greyhaven", "Coldwater", "Belgrave",
         "Dunmore", "Kessler", "Almora", "Tamsin", "Harwick", "Calder", "Riverside")
PAPERS = ("Courier", "Herald", "Gazette", "Observer", "Post", "Chronicle", "Echo", "Times", "Daily",
          "Express", "Mercury", "Journal", "Tribune", "Sentinel", "Record", "Standard")


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cap(s):
    return s[:1].upper() + s[1:]


def event(seed, e):
    """The facts of shared event e: every outlet telling it starts from these."""
    r = random.Random("%s-event-%d" % (seed, e))
    return {"actor": r.randrange(len(ACTORS)), "what": r.randrange(len(EVENTS)),
            "place": r.choice(PLACES), "n": r.choice(("hundreds", "thousands", "dozens", "2,000",
                                                       "about 300", "more than 1,500")),
            "detail": [r.choice(FILLER) for _ in range(3)]}


def told(r, ev):
    """Headline and lead of an event in one outlet's words."""
    actor = ACTORS[ev["actor"]][r.randrange(3)]
    verbs, objs = EVENTS[ev["what"]]
    v = {"actor": actor, "Actor": cap(actor), "verb": r.choice(verbs), "obj": r.choice(objs),
         "place": ev["place"], "Place": cap(ev["place"]), "n": ev["n"]}
    head = r.choice(TEMPLATES).format(**v)
    lead = ("%s %s %s in %s, %s. %s were involved." %
            (v["Actor"], v["verb"], v["obj"], v["place"], r.choice(ev["detail"]), cap(ev["n"])))
    return head, lead


def unique(r):
    """A headline and lead no other outlet has."""
    town = r.choice(TOWNS)
    noun, noun2 = r.choice(NOUNS), r.choice(NOUNS)
    head = r.choice(("%s %s %s %s %s" % (town, noun, r.choice(VERBS), r.choice(ADJS), noun2),
                     "%s %s: %s %s %s" % (cap(r.choice(ADJS)), noun, town, r.choice(VERBS), noun2),
                     "%s's %s %s plans for %s %s" % (town, noun, r.choice(VERBS), r.choice(ADJS),
                                                      noun2)))
    lead = "The %s %s in %s %s, %s." % (r.choice(ADJS), noun, town, r.choice(VERBS), r.choice(FILLER))
    return head, lead


def body_html(r, lead, link):
    """An article summary in HTML: entities, a link, emphasis, 2-3 paragraphs."""
    paras = ["<p>%s</p>" % xml_escape(lead)]
    for _ in range(r.randint(1, 2)):
        words = [r.choice(WORDS) for _ in range(r.randint(4, 8))]
        s = ", ".join(words)
        paras.append("<p>%s &ndash; %s, <em>%s</em> &amp; <a href=\"%s#more\">%s</a>&#8217;s "
                     "view &eacute;tat &nbsp;d&eacute;tail.</p>"
                     % (cap(s), r.choice(FILLER), r.choice(WORDS), link, r.choice(WORDS)))
    return "".join(paras)


def rfc822(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%a, %d %b %Y %H:%M:%S +0000")


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def items(a, i):
    """The item dicts of feed i, newest first."""
    first = a.round * a.new
    fr = random.Random("%s-feed-%d" % (a.seed, i))
    jitter = fr.randrange(SLOT // 2)
    per_slot = max(1, int(a.n * a.share / 4))
    out = []
    for j in range(first + a.m - 1, first - 1, -1):
        r = random.Random("%s-%d-%d" % (a.seed, i, j))
        t = a.base + (j - first - a.m) * SLOT + a.round * a.new * SLOT - jitter
        if r.random() < a.share:
            head, lead = told(r, event(a.seed, j * per_slot + r.randrange(per_slot)))
        else:
            head, lead = unique(r)
        slug = "-".join(head.lower().replace(":", "").replace(",", "").split()[:6])
        link = "http://outlet%d.example.com/%d/%s-%d.html" % (i, 2026, slug, j)
        out.append({"title": head, "link": link, "guid": "urn:bench:%d:%d" % (i, j),
                    "time": t, "author": "%s %s" % (r.choice(FIRST), r.choice(LAST)),
                    "cats": r.sample(CATEGORIES, r.randint(1, 3)), "html": body_html(r, lead, link),
                    "cdata": r.random() < 0.5})
    return out


def outlet(i):
    r = random.Random("outlet-%d" % i)
    return "The %s %s" % (r.choice(TOWNS), r.choice(PAPERS)), "http://outlet%d.example.com/" % i


def html_field(it):
    return ("<![CDATA[%s]]>" % it["html"]) if it["cdata"] else xml_escape(it["html"])


def rss2(i, its):
    name, home = outlet(i)
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n'
           '<channel>\n<title>%s &amp; World</title>\n<link>%s</link>\n'
           '<description>News from %s</description>\n<language>en-gb</language>\n'
           '<lastBuildDate>%s</lastBuildDate>\n<ttl>15</ttl>\n'
           % (xml_escape(name), home, xml_escape(name), rfc822(its[0]["time"]))]
    for it in its:
        cats = "".join("<category>%s</category>" % c for c in it["cats"])
        out.append("<item>\n<title>%s</title>\n<link>%s</link>\n<guid isPermaLink=\"false\">%s</guid>\n"
                   "<pubDate>%s</pubDate>\n<dc:creator>%s</dc:creator>\n%s\n"
                   "<description>%s</description>\n</item>\n"
                   % (xml_escape(it["title"]), it["link"], it["guid"], rfc822(it["time"]),
                      xml_escape(it["author"]), cats, html_field(it)))
    out.append("</channel>\n</rss>\n")
    return "".join(out)


def atom(i, its):
    name, home = outlet(i)
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
           'xml:lang="en">\n<title type="text">%s</title>\n<id>%s</id>\n'
           '<link rel="alternate" href="%s"/>\n<updated>%s</updated>\n'
           % (xml_escape(name), home, home, iso(its[0]["time"]))]
    for it in its:
        cats = "".join('<category term="%s"/>' % c for c in it["cats"])
        out.append('<entry>\n<title type="html">%s</title>\n<link rel="alternate" href="%s"/>\n'
                   "<id>%s</id>\n<published>%s</published>\n<updated>%s</updated>\n"
                   "<author><name>%s</name></author>\n%s\n<summary type=\"html\">%s</summary>\n"
                   "</entry>\n"
                   % (xml_escape(xml_escape(it["title"])), it["link"], it["guid"],
                      iso(it["time"]), iso(it["time"]), xml_escape(it["author"]), cats,
                      html_field(it)))
    out.append("</feed>\n")
    return "".join(out)


def rss1(i, its):
    name, home = outlet(i)
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF '
           'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel rdf:about="%s">\n'
           "<title>%s</title>\n<link>%s</link>\n<description>News from %s</description>\n"
           "<items><rdf:Seq>%s</rdf:Seq></items>\n</channel>\n"
           % (home, xml_escape(name), home, xml_escape(name),
              "".join('<rdf:li rdf:resource="%s"/>' % it["link"] for it in its))]
    for it in its:
        cats = "".join("<dc:subject>%s</dc:subject>" % c for c in it["cats"])
        out.append('<item rdf:about="%s">\n<title>%s</title>\n<link>%s</link>\n<dc:date>%s</dc:date>\n'
                   "<dc:creator>%s</dc:creator>\n%s\n<description>%s</description>\n</item>\n"
                   % (it["link"], xml_escape(it["title"]), it["link"], iso(it["time"]),
                      xml_escape(it["author"]), cats, html_field(it)))
    out.append("</rdf:RDF>\n")
    return "".join(out)


def kind(i):
    k = (i * 7) % 10
    return ("rss", rss2) if k < 5 else ("atom", atom) if k < 8 else ("rdf", rss1)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("outdir")
    p.add_argument("-n", type=int, default=100, help="number of feeds (default 100)")
    p.add_argument("-m", type=int, default=50, help="items per feed (default 50)")
    p.add_argument("--seed", default="herald", help="PRNG seed (default herald)")
    p.add_argument("--round", type=int, default=0, help="how many times the feeds changed")
    p.add_argument("--new", type=int, default=5, help="new items per round (default 5)")
    p.add_argument("--share", type=float, default=0.25, help="share of items told by several outlets")
    p.add_argument("--base", default="2026-11-24T12:00:00Z", help="time of the newest item")
    a = p.parse_args(argv[1:])
    a.base = int(datetime.datetime.fromisoformat(a.base.replace("Z", "+00:00")).timestamp())
    os.makedirs(a.outdir, exist_ok=True)
    names = []
    for i in range(a.n):
        ext, fn = kind(i)
        name = "f%05d.%s" % (i, ext)
        text = fn(i, items(a, i)).encode("utf-8")
        path = os.path.join(a.outdir, name)
        with open(path + ".tmp", "wb") as fh:  # rename: nginx never serves half a file
            fh.write(text)
        os.replace(path + ".tmp", path)
        names.append(name)
    with open(os.path.join(a.outdir, "feeds.txt"), "w") as fh:
        fh.write("\n".join(names) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
