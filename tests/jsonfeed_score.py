#!/usr/bin/env python3
"""JSON Feed score: every field each JSON Feed input of gofeed's corpus states,
found in `heraldd --dump` (issue 25).

Inputs: the JSON Feed files of ../shared/corpora/gofeed/testdata (parser/json,
translator/json, parser/universal; not the *_expected.json outputs). For each
input every leaf it states (items[0].attachments[0].mime_type, ...) is mapped
to where the dump carries it (MAP below) and compared: strings as written,
dates as instants (seconds), numbers as their digits. A field herald does not
keep (NOT_KEPT: user_comment, next_url, expired, avatars, banner_image, an
attachment's title, hubs) is reported, and counts against the score. An input
that is not valid JSON must give the dump an error.

Prints the score and each miss; fails when a field herald keeps is wrong or
missing (the floor is every kept field). Usage: jsonfeed_score.py [-v]
(exit 77: no ../shared).
"""
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timezone

SRCDIR = os.environ.get("HERALD_SRCDIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILDDIR = os.environ.get("HERALD_BUILDDIR") or os.path.join(SRCDIR, "build")
SHARED = os.environ.get("HERALD_SHARED") or os.path.join(SRCDIR, "..", "shared")
TESTDATA = os.path.join(SHARED, "corpora", "gofeed", "testdata")
DIRS = ("parser/json", "parser/json/invalid", "translator/json", "parser/universal")

# Fields a JSON Feed states that herald has no place for, and why.
NOT_KEPT = {
    "user_comment": "a note for people reading the feed file, not the feed",
    "next_url": "pagination: herald reads the newest page",
    "expired": "herald keeps polling a feed until it is removed",
    "hubs": "WebSub is not supported",
    "avatar": "herald keeps no author pictures",
    "banner_image": "herald keeps one image per item (image)",
    "attachments.title": "an enclosure keeps url, type, length, duration",
    "items.language": "herald keeps the feed's language only",
}


def leaves(v, path=""):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from leaves(x, f"{path}.{k}" if path else k)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from leaves(x, f"{path}[{i}]")
    else:
        yield path, v


def get(obj, path):
    for t in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if t.startswith("["):
            i = int(t[1:-1])
            obj = obj[i] if isinstance(obj, list) and i < len(obj) else None
        else:
            obj = obj.get(t) if isinstance(obj, dict) else None
        if obj is None:
            return None
    return obj


def link(links, rel):
    for k in links or []:
        if k.get("rel") == rel:
            return k.get("href")
    return None


def content(entry, mime):
    for c in entry.get("content") or []:
        if c.get("type") == mime:
            return c.get("value")
    return None


def epoch(s):
    try:
        d = datetime.fromisoformat(str(s).replace("Z", "+00:00"))
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return int(d.timestamp())


def person(doc, who, k, has_list):
    """The dump value for an author field of the feed or an entry."""
    path = re.sub(r"\[\d+\]", "", who)
    m = re.match(r"^(authors\[(\d+)\]|author)\.(\w+)$", k)
    if not m:
        return None
    if m.group(1) == "author" and has_list:
        return "SKIP"  # 1.1 "authors" replaces the deprecated "author"
    i = int(m.group(2) or 0)
    field = {"name": "name", "url": "uri"}.get(m.group(3))
    return get(doc, f"{path}authors[{i}].{field}") if field else None


def expected(dump, path, inp):
    """(dump value, kind) for an input path; kind 'na' when not kept."""
    m = re.match(r"^items\[(\d+)\]\.(.*)$", path)
    if m:
        i, k = int(m.group(1)), m.group(2)
        e = get(dump, f"entries[{i}]") or {}
        item = inp["items"][i]
        base = re.sub(r"\[\d+\]", "", k).split(".")[0]
        leaf = k.rsplit(".", 1)[-1]
        if leaf == "avatar":
            return None, "na"
        if base in ("author", "authors"):
            v = person({"authors": e.get("authors")}, "", k, "authors" in item)
            return v, "skip" if v == "SKIP" else "text"
        if base == "tags":
            j = int(re.search(r"\[(\d+)\]", k).group(1))
            return get(e, f"categories[{j}].term"), "text"
        if base == "attachments":
            j = int(re.search(r"\[(\d+)\]", k).group(1))
            f = {"url": "url", "mime_type": "type", "size_in_bytes": "length",
                 "duration_in_seconds": "duration"}.get(leaf)
            if f is None:
                return None, "na"
            return get(e, f"enclosures[{j}].{f}"), "text"
        simple = {"id": ("id", "text"), "url": ("link", "text"), "title": ("title", "text"),
                  "summary": ("summary", "text"), "image": ("image", "text"),
                  "date_published": ("published", "date"), "date_modified": ("updated", "date")}
        if k in simple:
            return e.get(simple[k][0]), simple[k][1]
        if k == "external_url":
            return link(e.get("links"), "related"), "text"
        if k == "content_html":
            return content(e, "text/html"), "text"
        if k == "content_text":
            return content(e, "text/plain"), "text"
        if f"items.{k}" in NOT_KEPT or k in NOT_KEPT:
            return None, "na"
        return None, "unmapped"
    f = dump.get("feed") or {}
    base = re.sub(r"\[\d+\]", "", path).split(".")[0]
    leaf = path.rsplit(".", 1)[-1]
    if leaf == "avatar":
        return None, "na"
    if base in ("author", "authors"):
        v = person({"authors": f.get("authors")}, "", path, "authors" in inp)
        return v, "skip" if v == "SKIP" else "text"
    simple = {"version": (dump.get("version"), "text"), "title": (f.get("title"), "text"),
              "home_page_url": (f.get("link"), "text"),
              "feed_url": (link(f.get("links"), "self"), "text"),
              "description": (f.get("subtitle"), "text"),
              "icon": (get(f, "image.url"), "text"), "favicon": (f.get("icon"), "text"),
              "language": (f.get("language"), "text")}
    if path in simple:
        return simple[path]
    if base in NOT_KEPT:
        return None, "na"
    return None, "unmapped"


def same(got, want, kind):
    if kind == "date":
        return got is not None and epoch(got) == epoch(want)
    if isinstance(want, bool):
        return got == want
    return got is not None and str(got) == str(want)


def main():
    verbose = "-v" in sys.argv
    if not os.path.isdir(TESTDATA):
        print("jsonfeed_score: no ../shared corpora; skipped")
        return 77
    heraldd = os.path.join(BUILDDIR, "heraldd")
    inputs = []
    for d in DIRS:
        full = os.path.join(TESTDATA, d)
        for n in sorted(os.listdir(full)):
            if n.endswith(".json") and not n.endswith("_expected.json"):
                inputs.append(os.path.join(d, n))
    ok = total = na = bad = 0
    misses = []
    for rel in inputs:
        path = os.path.join(TESTDATA, rel)
        r = subprocess.run([heraldd, "--dump", path], capture_output=True, text=True)
        dump = json.loads(r.stdout)
        try:
            inp = json.load(open(path, encoding="utf-8"))
        except ValueError:
            total += 1
            if dump.get("error"):
                ok += 1
            else:
                bad += 1
                misses.append(f"{rel}: invalid JSON gave no error")
            continue
        for p, want in leaves(inp):
            got, kind = expected(dump, p, inp)
            if kind == "skip":
                continue
            total += 1
            if kind == "na":
                na += 1
                misses.append(f"{rel}: {p}: not kept")
            elif kind == "unmapped":
                bad += 1
                misses.append(f"{rel}: {p}: no mapping")
            elif same(got, want, kind):
                ok += 1
            else:
                bad += 1
                misses.append(f"{rel}: {p}: want {want!r}, got {got!r}")
    for m in misses:
        if verbose or "not kept" not in m:
            print(m)
    kept = total - na
    print(f"JSON Feed score (gofeed corpus, {len(inputs)} inputs): {ok}/{total} stated fields "
          f"in the dump ({100.0 * ok / total:.1f}%); {ok}/{kept} of the fields herald keeps "
          f"({100.0 * ok / kept:.1f}%); {na} not kept: " + ", ".join(sorted(NOT_KEPT)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
