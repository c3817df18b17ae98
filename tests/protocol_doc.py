#!/usr/bin/env python3
"""include/herald/protocol.h and docs/protocol.md say the same thing.

- Commands: every HERALD_CMD_* is a request in the doc's Commands table,
  and every request there is a HERALD_CMD_*.
- Error codes: the same, with the doc's table of codes.
- Numbers: every numeric HERALD_* constant is a row of the doc's table of
  constants with the same value, and every row there is one; every
  `HERALD_*` name the doc mentions exists.
- Record keys: every kind in the header's "KIND: KEY..." list has its
  paragraph under "### Kinds" naming each key, and every kind there is in
  the list.
- The other constants (greeting, terminators, socket places) show in the
  doc as their values; a new constant the test does not know fails, so
  that someone decides how the doc shows it.

Then it checks itself: the doc with one command, one code, one key or one
number taken out (or a command added) must fail.

Usage: protocol_doc.py [PROTOCOL_H DOC_MD]; standard library only.
"""
import os
import re
import sys

SRCDIR = os.environ.get("HERALD_SRCDIR", os.path.join(os.path.dirname(__file__), ".."))

# The string constants that are neither commands nor error codes, and the
# doc text each value must appear in ({v}: the value, {version}:
# HERALD_PROTOCOL_VERSION).
SHOWN_AS = {
    "HERALD_GREETING": "\n    {v} {version}\n",  # the Session's greeting line
    "HERALD_OK": "\n    {v}\n",
    "HERALD_ERR": "\n    {v} <code> <message>\n",
    "HERALD_KEY_OUTLET": "`{v}: ITEM<TAB>FEED<TAB>NAME<TAB>TITLE<TAB>LINK`",
    "HERALD_SOCKET_ENV": "`${v}`",
    "HERALD_SOCKET_NAME": "`$RUNTIME_DIRECTORY/{v}`",
    "HERALD_SOCKET_SUBDIR": "`$XDG_RUNTIME_DIR/{v}/heraldd.sock`",
    "HERALD_SYSTEM_SOCKET": "`{v}`",
}


def c_int(expr):
    """The value of a constant integer expression like (8u << 20), or None."""
    e = re.sub(r"(?<=\d)[uUlL]+\b", "", expr.strip())
    if not re.fullmatch(r"[0-9\s()<>+*-]+", e):
        return None
    try:
        return int(eval(e, {"__builtins__": {}}))  # digits and operators only
    except (SyntaxError, ValueError, TypeError):
        return None


def parse_header(text):
    h = {"cmd": {}, "err": {}, "num": {}, "str": {}, "kinds": {}}
    body = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    for name, value in re.findall(r"^#define[ \t]+(HERALD_\w+)[ \t]*(.*?)[ \t]*$", body, re.M):
        if name == "HERALD_PROTOCOL_H":  # the include guard
            continue
        if value.startswith('"'):
            v = value.strip('"')
            kind = "cmd" if name.startswith("HERALD_CMD_") else \
                "err" if name.startswith("HERALD_E_") else "str"
            h[kind][name] = v
        elif c_int(value) is not None:
            h["num"][name] = c_int(value)
        else:
            raise ValueError("protocol.h: cannot read %s = %s" % (name, value))
    m = re.search(r"/\* Record kinds and their keys(.*?)\*/", text, re.S)
    if m is None:
        raise ValueError("protocol.h: no 'Record kinds and their keys' comment")
    kind = None
    for raw in m.group(1).splitlines():
        ln = raw.lstrip(" *").rstrip()
        km = re.fullmatch(r"([a-z_]+): ([a-z0-9_* ]+)", ln)
        if km and raw.startswith(" * " + km.group(1)):
            kind = km.group(1)
            h["kinds"][kind] = km.group(2).split()
        elif kind and re.fullmatch(r"[a-z0-9_* ]+", ln) and raw.startswith(" *  "):
            h["kinds"][kind] += ln.split()  # a continuation line, indented
        else:
            kind = None
    if not h["kinds"]:
        raise ValueError("protocol.h: no KIND: KEY... lines")
    return h


def section(doc, heading):
    """The text under a heading, up to the next heading of its level or higher."""
    level = heading.split(" ")[0]
    m = re.search(r"^%s\n(.*?)(?=^#{1,%d} |\Z)" % (re.escape(heading), len(level)),
                  doc, re.M | re.S)
    return m.group(1) if m else ""


def table_rows(text):
    """Cells of each markdown table row (header and rule rows dropped)."""
    rows = []
    for ln in text.splitlines():
        if ln.startswith("|") and not re.fullmatch(r"[|\s:-]+", ln):
            rows.append([c.strip() for c in ln.strip().strip("|").split("|")])
    return rows


def parse_doc(doc):
    d = {"cmd": set(), "err": set(), "num": {}, "names": set(), "kinds": {}}
    for row in table_rows(section(doc, "## Commands")):
        for code in re.findall(r"`([^`]+)`", row[0]):
            word = code.split()[0]
            if re.fullmatch(r"[a-z]+", word):
                d["cmd"].add(word)
    for row in table_rows(section(doc, "## Session")):
        m = re.fullmatch(r"`([a-z]+)`", row[0])
        if m:
            d["err"].add(m.group(1))
    for row in table_rows(doc):
        m = re.fullmatch(r"`(HERALD_\w+)`", row[0])
        if m and len(row) > 1:
            v = re.match(r"\d+", row[1])
            d["num"][m.group(1)] = int(v.group(0)) if v else None
    d["names"] = set(re.findall(r"`(HERALD_[A-Z_]+)`", doc))
    for para in section(doc, "### Kinds").split("\n\n"):
        m = re.match(r"`([a-z_]+)` [—-]", para.strip())
        if m:
            d["kinds"][m.group(1)] = re.findall(r"`([^`]+)`", para)
    return d


def check(h, doc):
    """The list of disagreements (empty: they agree)."""
    d = parse_doc(doc)
    bad = []
    cmds = set(h["cmd"].values())
    for c in sorted(cmds - d["cmd"]):
        bad.append("command %r is in protocol.h, not in the doc's Commands table" % c)
    for c in sorted(d["cmd"] - cmds):
        bad.append("command %r is in the doc's Commands table, not in protocol.h" % c)
    codes = set(h["err"].values())
    for c in sorted(codes - d["err"]):
        bad.append("error code %r is in protocol.h, not in the doc's table of codes" % c)
    for c in sorted(d["err"] - codes):
        bad.append("error code %r is in the doc's table of codes, not in protocol.h" % c)
    for name, v in sorted(h["num"].items()):
        if name not in d["num"]:
            bad.append("%s (%d) is not in the doc's table of constants" % (name, v))
        elif d["num"][name] != v:
            bad.append("%s is %d in protocol.h, %s in the doc" % (name, v, d["num"][name]))
    known = set(h["num"]) | set(h["cmd"]) | set(h["err"]) | set(h["str"])
    for name in sorted((set(d["num"]) | d["names"]) - known):
        bad.append("the doc names %s, which protocol.h does not define" % name)
    for name, v in sorted(h["str"].items()):
        if name not in SHOWN_AS:
            bad.append("%s is new: say in tests/protocol_doc.py how the doc shows it" % name)
            continue
        want = SHOWN_AS[name].format(v=v, version=h["num"].get("HERALD_PROTOCOL_VERSION"))
        if want not in doc:
            bad.append("%s (%r) does not show in the doc as %r" % (name, v, want))
    for kind, keys in sorted(h["kinds"].items()):
        if kind not in d["kinds"]:
            bad.append("record kind %r has no paragraph under the doc's Kinds" % kind)
            continue
        for key in keys:
            key = key.rstrip("*")
            if not any(t == key or t.startswith(key + ":") for t in d["kinds"][kind]):
                bad.append("record %r: key %r is not in the doc's paragraph" % (kind, key))
    for kind in sorted(set(d["kinds"]) - set(h["kinds"])):
        bad.append("the doc's Kinds has %r, which protocol.h does not list" % kind)
    return bad


def drifted(doc):
    """Copies of doc each with one disagreement, and what was done."""
    out = []
    m = re.search(r"^\| `feeds[^\n]*\n", doc, re.M)
    out.append(("the feeds row taken out", doc[:m.start()] + doc[m.end():] if m else doc))
    m = re.search(r"^\| `exists`[^\n]*\n", doc, re.M)
    out.append(("the exists code taken out", doc[:m.start()] + doc[m.end():] if m else doc))
    out.append(("a command that does not exist added",
                doc.replace("| `reload` |", "| `rewind` | goes back |\n| `reload` |", 1)))
    out.append(("the item's `author` taken out",
                doc.replace("`link`, `author`, `published`", "`link`, `published`", 1)))
    out.append(("HERALD_MAX_LINE changed",
                re.sub(r"(\| `HERALD_MAX_LINE` +\| )8192", r"\g<1>8193", doc, 1)))
    out.append(("the outlet tuple renamed", doc.replace("`outlet: ITEM<TAB>", "`outlets: ITEM<TAB>")))
    return out


def main(argv):
    hpath = argv[1] if len(argv) > 2 else os.path.join(SRCDIR, "include", "herald", "protocol.h")
    dpath = argv[2] if len(argv) > 2 else os.path.join(SRCDIR, "docs", "protocol.md")
    with open(hpath, encoding="utf-8") as f:
        try:
            h = parse_header(f.read())
        except ValueError as e:
            print("FAIL: %s" % e)
            return 1
    with open(dpath, encoding="utf-8") as f:
        doc = f.read()
    bad = check(h, doc)
    for b in bad:
        print("FAIL: %s" % b)
    print("%s and %s: %d commands, %d error codes, %d numbers, %d record kinds (%d keys)"
          % (os.path.basename(hpath), os.path.basename(dpath), len(h["cmd"]), len(h["err"]),
             len(h["num"]), len(h["kinds"]), sum(len(k) for k in h["kinds"].values())))
    if len(argv) <= 2:
        # The check must see drift, or its passing means nothing.
        for what, copy in drifted(doc):
            if copy == doc or not check(h, copy):
                print("FAIL: self-check: %s, and the check did not notice" % what)
                bad.append(what)
    if bad:
        print("%d disagreement(s): fix docs/protocol.md or include/herald/protocol.h" % len(bad))
        return 1
    print("protocol.h and protocol.md agree")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
