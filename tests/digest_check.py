#!/usr/bin/env python3
"""Check a message produced by herald-digest with real parsers (email, html.parser).

usage: digest_check.py MESSAGE TRUTH.json IDS TO [SECTIONS]
  TRUTH: a JSON array of stories as `herald --json stories` prints them, each
         outlet also carrying its item's `time` and `summary` (the lead's
         source); tests/digest_stories.json is one, tests/digest_live.py
         makes one from `herald --json show`.
  IDS:   comma-separated story ids the digest must carry (each exactly once);
         "none" for the "nothing new" note.
  TO:    the expected recipient address(es), comma-separated.
  SECTIONS: optional, "ID=section,ID=section": the section each story must be
         in ("-" for a digest without sections).
Prints one line per failed check and exits 1 if any failed. As a module,
check_message() returns the list of failures.
"""
import email
import email.policy
import email.utils
import html
import json
import re
import sys
from email.parser import BytesParser
from html.parser import HTMLParser

WIDTH = 72


def norm(s):
    return " ".join((s or "").split())


def safe(link):
    return link.lower().startswith(("http://", "https://")) and " " not in link


def expected_lead(summary):
    """The lead must be a prefix of the summary made of whole words."""
    return norm(summary)


class Digest(HTMLParser):
    """The HTML part as sections > articles > (h3 link, paragraphs, outlet items)."""

    def __init__(self):
        HTMLParser.__init__(self, convert_charrefs=True)
        self.sections, self.articles, self.anchors = [], [], []
        self.stack, self.text, self.cur = [], [], None
        self.external_css = self.images = self.scripts = 0
        self.color_scheme = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and (a.get("rel") or "").lower() == "stylesheet":
            self.external_css += 1
        if tag == "img":
            self.images += 1
        if tag == "script":
            self.scripts += 1
        if tag == "meta" and a.get("name") == "color-scheme":
            self.color_scheme = "dark" in (a.get("content") or "")
        if tag == "a":
            self.anchors.append(a.get("href") or "")
        if tag == "article":
            self.cur = {"section": self.sections[-1] if self.sections else "-", "href": None,
                        "title": "", "paras": [], "lis": []}
            self.articles.append(self.cur)
        if tag in ("h2", "h3", "p", "li"):
            self.text = []
            self.stack.append((tag, a))
        if tag == "a" and self.stack and self.cur is not None:
            top = self.stack[-1][0]
            if top == "h3":
                self.cur["href"] = a.get("href")
            if top == "li":
                self.cur.setdefault("li_href", []).append(a.get("href"))

    def handle_endtag(self, tag):
        if tag == "article":
            self.cur = None
        if not self.stack or self.stack[-1][0] != tag:
            return
        self.stack.pop()
        t = norm("".join(self.text))
        if tag == "h2":
            self.sections.append(t)
        elif self.cur is not None and tag == "h3":
            self.cur["title"] = t
        elif self.cur is not None and tag == "p":
            self.cur["paras"].append(t)
        elif self.cur is not None and tag == "li":
            hrefs = self.cur.pop("li_href", [])
            self.cur["lis"].append((t, hrefs[0] if hrefs else None))

    def handle_data(self, data):
        self.text.append(data)


class Checker:
    def __init__(self):
        self.errors = []

    def __call__(self, cond, text):
        if not cond:
            self.errors.append(text)
        return cond


def parts_of(msg, check):
    check(msg.get_content_type() == "multipart/alternative",
          "top-level type is %s, not multipart/alternative" % msg.get_content_type())
    parts = list(msg.iter_parts())
    check([p.get_content_type() for p in parts] == ["text/plain", "text/html"],
          "parts are %s, not text/plain then text/html" % [p.get_content_type() for p in parts])
    for p in parts:
        check(p.get_content_charset() == "utf-8", "%s charset is %s" % (
            p.get_content_type(), p.get_content_charset()))
        cte = p.get("Content-Transfer-Encoding", "").lower()
        ascii_only = all(ord(c) < 128 for c in p.get_content())
        check(cte in ("quoted-printable", "base64") or (cte == "7bit" and ascii_only),
              "%s is sent as %r" % (p.get_content_type(), cte))
    text = next((p.get_content() for p in parts if p.get_content_type() == "text/plain"), "")
    body = next((p.get_content() for p in parts if p.get_content_type() == "text/html"), "")
    return text, body


def check_headers(raw, msg, to, check):
    check(all(b < 0x80 for b in raw), "the message is not 7-bit clean")
    check(all(len(line) <= 998 for line in raw.split(b"\n")), "a line longer than 998 octets")
    for h in ("Date", "Message-ID", "From", "To", "Subject", "MIME-Version"):
        check(len(msg.get_all(h, [])) == 1, "header %s appears %d times" % (h, len(msg.get_all(h, []))))
    check(msg["MIME-Version"] == "1.0", "MIME-Version is %r" % msg["MIME-Version"])
    try:
        email.utils.parsedate_to_datetime(msg["Date"])
    except (TypeError, ValueError):
        check(False, "Date %r does not parse" % msg["Date"])
    # A long id may be folded onto its own line ("Message-ID:\n <id>"), as
    # RFC 5322 allows: the blanks of the fold are not the id's.
    check(re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", (msg["Message-ID"] or "").strip()) is not None,
          "Message-ID %r is malformed" % msg["Message-ID"])
    check(sorted(a.addr_spec for a in msg["To"].addresses) == sorted(to),
          "To is %r, not %r" % (str(msg["To"]), to))
    check(len(msg["From"].addresses) == 1 and msg["From"].addresses[0].domain,
          "From %r is not one address with a domain" % msg["From"])
    head = raw.split(b"\n\n", 1)[0]
    m = re.search(rb"^Subject:(.*(?:\n[ \t].*)*)", head, re.M)
    return m.group(1).decode("ascii", "replace") if m else ""


def rank(s):
    return (-s["outlets_count"], -s["last_seen"], s["id"])


def check_text(text, stories, check):
    lines = text.split("\n")
    links = {}
    in_links = False
    for ln in lines:
        if ln == "Links:":
            in_links = True
            continue
        m = re.fullmatch(r"\[(\d+)\] (\S+)", ln) if in_links else None
        if m:
            links[int(m.group(1))] = m.group(2)
        else:
            check(len(ln) <= WIDTH, "text part: a line of %d columns: %r" % (len(ln), ln))
    flat = norm(text)
    refs = [int(n) for n in re.findall(r"\[(\d+)\]", flat.split(" Links: ")[0])]
    check(all(n in links for n in refs), "text part: a [n] reference with no link under Links:")
    heads = [ln for ln in lines if re.match(r"\d+\. ", ln)]
    check(len(heads) == len(stories), "text part: %d numbered stories, not %d"
          % (len(heads), len(stories)))
    for s in stories:
        outs = s["outlets"]
        first = next((o["link"] for o in sorted(outs, key=lambda o: (o["time"], o["item"]))
                      if safe(o["link"])), None)
        if first:
            n = next((k for k, v in links.items() if v == first), None)
            check(n is not None and (norm(s["title"]) + " [%d]" % n) in flat,
                  "text part: story %d's title is not followed by its link's number" % s["id"])
        for o in outs:
            check(norm(o["title"]) in flat, "text part: outlet title %r missing" % o["title"])
            check(norm(o["name"]) in flat, "text part: outlet %r missing" % o["name"])
            if safe(o["link"]):
                check(o["link"] in links.values(), "text part: link %s missing" % o["link"])
        check("%d outlet" % s["outlets_count"] in flat,
              "text part: story %d does not say %d outlets" % (s["id"], s["outlets_count"]))


def check_html(body, stories, sections, check):
    d = Digest()
    d.feed(body)
    d.close()
    check(d.external_css == 0 and d.scripts == 0 and d.images == 0,
          "html part: external CSS, scripts or images")
    check(d.color_scheme, "html part: no color-scheme meta for dark mode")
    check(not any(h.lower().startswith(("javascript:", "data:")) for h in d.anchors),
          "html part: a javascript: or data: link became an anchor")
    check("<script" not in body.lower(), "html part: a <script> reached the HTML part")
    by_title = {}
    for a in d.articles:
        by_title.setdefault(a["title"], []).append(a)
    check(len(d.articles) == len(stories), "html part: %d stories, not %d"
          % (len(d.articles), len(stories)))
    for s in stories:
        arts = by_title.get(norm(s["title"]), [])
        if not check(len(arts) == 1, "html part: story %d (%r) appears %d times"
                     % (s["id"], s["title"], len(arts))):
            continue
        a = arts[0]
        outs = sorted(s["outlets"], key=lambda o: (o["time"], o["item"]))
        first = next((o["link"] for o in outs if safe(o["link"])), None)
        check(a["href"] == first, "html part: story %d's title links to %r, not %r"
              % (s["id"], a["href"], first))
        summary = next((o["summary"] for o in outs if norm(o["summary"])), "")
        told = [p for p in a["paras"] if "outlet" in p]
        if summary:
            lead = a["paras"][0] if a["paras"] else ""
            body_lead = lead.rstrip("…")
            check(lead and expected_lead(summary).startswith(body_lead),
                  "html part: story %d's lead %r is not the start of %r"
                  % (s["id"], lead, summary[:80]))
            check(lead.endswith("…") or len(body_lead) == len(norm(summary))
                  or norm(summary)[len(body_lead)] == " ",
                  "html part: story %d's lead is cut inside a word: %r" % (s["id"], lead))
            check(1 <= len(re.findall(r"[.!?…](?:\s|$)", lead)) <= 3 or lead.endswith("…")
                  or len(lead) == len(norm(summary)),
                  "html part: story %d's lead is not one to three sentences: %r" % (s["id"], lead))
        check(told and told[0].startswith("%d outlet" % s["outlets_count"]),
              "html part: story %d says %r, not %d outlets" % (s["id"], told, s["outlets_count"]))
        check(len(a["lis"]) == len(outs), "html part: story %d lists %d outlets' items, not %d"
              % (s["id"], len(a["lis"]), len(outs)))
        for (text, href), o in zip(a["lis"], outs):
            check(text.startswith(norm(o["name"]) + ": " + norm(o["title"] or "(untitled)")),
                  "html part: story %d: item %r, not %s: %s" % (s["id"], text, o["name"], o["title"]))
            check(href == (o["link"] if safe(o["link"]) else None),
                  "html part: story %d: %s links to %r, not %r" % (s["id"], o["name"], href, o["link"]))
        if sections is not None and s["id"] in sections:
            check(a["section"] == sections[s["id"]], "story %d is in section %r, not %r"
                  % (s["id"], a["section"], sections[s["id"]]))
    # Within a section: the most outlets, then the newest, first.
    order = {norm(s["title"]): s for s in stories}
    for sec in dict.fromkeys(a["section"] for a in d.articles):
        got = [order[a["title"]] for a in d.articles if a["section"] == sec and a["title"] in order]
        check(got == sorted(got, key=rank), "section %r is not ordered by outlets, then newest: %s"
              % (sec, [s["id"] for s in got]))
    return d


def check_message(raw, truth, ids, to, sections=None):
    check = Checker()
    msg = BytesParser(policy=email.policy.default).parsebytes(raw)
    raw_subject = check_headers(raw, msg, to, check)
    subject = str(msg["Subject"])
    text, body = parts_of(msg, check)
    by_id = {s["id"]: s for s in truth}
    stories = [by_id[i] for i in ids]
    if ids:
        if any(ord(c) > 127 for c in str(msg["Subject"])):
            check("=?utf-8?" in raw_subject.lower(),
                  "non-ASCII subject is not RFC 2047 encoded: %r" % raw_subject)
        top = sorted(stories, key=rank)[0]
        check(norm(top["title"]) in subject, "subject %r does not name the top story %r"
              % (subject, top["title"]))
        check_text(text, stories, check)
        check_html(body, stories, sections, check)
        flat = norm(text) + norm(html.unescape(body))
        for s in truth:
            if s["id"] not in ids:
                check(norm(s["title"]) not in flat, "story %d is not due but was mailed" % s["id"])
    else:
        check("nothing new" in subject, "the note's subject is %r" % subject)
        check("No new stories" in text and "No new stories" in body, "the note says nothing")
    return check.errors


def main(argv):
    if len(argv) not in (5, 6):
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], "rb") as f:
        raw = f.read()
    with open(argv[2], encoding="utf-8") as f:
        truth = json.load(f)
    ids = [] if argv[3] == "none" else [int(x) for x in argv[3].split(",")]
    sections = None
    if len(argv) == 6:
        sections = {int(k): v for k, v in (p.split("=", 1) for p in argv[5].split(","))}
    errors = check_message(raw, truth, ids, argv[4].split(","), sections)
    for e in errors[:20]:
        print("digest_check: " + e)
    if len(errors) > 20:
        print("digest_check: and %d more" % (len(errors) - 20))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
