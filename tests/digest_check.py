#!/usr/bin/env python3
"""Check a message produced by herald-digest with a real MIME parser.

usage: digest_check.py MESSAGE STORIES.json IDS TO
  IDS: comma-separated story ids the digest must carry (each exactly once);
       "none" for the "nothing new" note.
  TO:  the expected recipient address.
Prints one line per failed check and exits 1 if any failed.
"""
import email
import email.policy
import email.utils
import html
import json
import re
import sys
from email.parser import BytesParser

errors = []


def check(cond, text):
    if not cond:
        errors.append(text)
    return cond


def parts_of(msg):
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


def check_raw(raw):
    check(all(b < 0x80 for b in raw), "the message is not 7-bit clean")
    head = raw.split(b"\n\n", 1)[0]
    for line in raw.split(b"\n"):
        check(len(line) <= 998, "a line longer than 998 octets")
    subject = re.search(rb"^Subject:(.*(?:\n[ \t].*)*)", head, re.M)
    return subject.group(1).decode("ascii") if subject else ""


def check_headers(msg, raw_subject, to):
    for h in ("Date", "Message-ID", "From", "To", "Subject", "MIME-Version"):
        check(len(msg.get_all(h, [])) == 1, "header %s appears %d times" % (h, len(msg.get_all(h, []))))
    check(msg["MIME-Version"] == "1.0", "MIME-Version is %r" % msg["MIME-Version"])
    try:
        email.utils.parsedate_to_datetime(msg["Date"])
    except (TypeError, ValueError):
        check(False, "Date %r does not parse" % msg["Date"])
    check(re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", msg["Message-ID"] or "") is not None,
          "Message-ID %r is malformed" % msg["Message-ID"])
    check([a.addr_spec for a in msg["To"].addresses] == [to], "To is %r" % msg["To"])
    check(len(msg["From"].addresses) == 1 and msg["From"].addresses[0].domain,
          "From %r is not one address with a domain" % msg["From"])
    return raw_subject


def check_stories(text, body, stories, ids, raw_subject, subject):
    by_id = {s["id"]: s for s in stories}
    others = [s for s in stories if s["id"] not in ids]
    if any(ord(c) > 127 for s in ids for c in by_id[s]["title"]):
        check("=?utf-8?" in raw_subject.lower(), "non-ASCII subject is not RFC 2047 encoded: %r" % raw_subject)
    check(any(by_id[i]["title"] in subject for i in ids), "subject %r names no story" % subject)
    # In HTML, text must be escaped: no element from a title may survive.
    check("<script" not in body.lower(), "a <script> from a title reached the HTML part")
    check(not any(h.lower().startswith("javascript:") for h in re.findall(r'href="([^"]*)"', body)),
          "a javascript: link became an anchor")
    unescaped = html.unescape(re.sub(r"<[^>]*>", "", body))
    for i in ids:
        s = by_id[i]
        check(text.count(s["title"]) == 1, "text part: story %d title appears %d times" % (i, text.count(s["title"])))
        check(unescaped.count(s["title"]) == 1,
              "html part: story %d title appears %d times" % (i, unescaped.count(s["title"])))
        check(html.escape(s["title"], quote=True) in body, "html part: story %d title not escaped" % i)
        for o in s["outlets"]:
            check(o["link"] in text, "text part: story %d link %s missing" % (i, o["link"]))
            check(html.escape(o["link"], quote=True) in body, "html part: story %d link %s missing" % (i, o["link"]))
            check(o["name"] in text and html.escape(o["name"]) in body,
                  "story %d outlet %s missing" % (i, o["name"]))
            if o["title"] != s["title"]:
                check(o["title"] in text, "text part: outlet title %r missing" % o["title"])
                check(html.escape(o["title"], quote=True) in body, "html part: outlet title %r missing" % o["title"])
    for s in others:
        check(s["title"] not in text and s["title"] not in unescaped,
              "story %d is not due but was mailed" % s["id"])


def main(argv):
    if len(argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], "rb") as f:
        raw = f.read()
    with open(argv[2], encoding="utf-8") as f:
        stories = json.load(f)
    ids = [] if argv[3] == "none" else [int(x) for x in argv[3].split(",")]
    msg = BytesParser(policy=email.policy.default).parsebytes(raw)
    raw_subject = check_raw(raw)
    check_headers(msg, raw_subject, argv[4])
    subject = str(msg["Subject"])
    text, body = parts_of(msg)
    if ids:
        check_stories(text, body, stories, ids, raw_subject, subject)
    else:
        check("nothing new" in subject, "the note's subject is %r" % subject)
        check("No new stories" in text and "No new stories" in body, "the note says nothing")
    for e in errors:
        print("digest_check: " + e)
    return 1 if errors else 0


sys.exit(main(sys.argv))
