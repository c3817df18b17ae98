#!/usr/bin/env python3
"""Filter rules (issue #25, docs/configuration.md "Filter rules") in a running daemon.

Three local feeds and rules of every action: drop (never stored, counted in
the feed's `dropped`), read, star (scoped to one feed), tag (listed by
`--tag`), hide (stored, not listed, not searched, not folded, scoped by a
feed tag); a regex that backtracks without end stopped by its match limit;
`herald filters` and `herald filters test` by name and by expression; a bad
rule refused with its line and column by --check-config and by a reload
that keeps the old rules; rules removed by a reload, after which a dropped
item is stored at the next poll.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ.get("HERALD_SRCDIR", os.path.join(
    os.path.dirname(__file__), "..")), "tests"))
import daemonkit as dk  # noqa: E402

check = dk.Checks()
NOW = int(time.time())


def rfc822(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(t))


def feed(title, items):
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<rss version="2.0"><channel>',
           "<title>%s</title><link>http://example.com/</link><description>d</description>"
           % dk.esc(title)]
    for i, (t, author, cats) in enumerate(items):
        out.append("<item><title>%s</title><guid>%s-%d</guid><link>http://example.com/%s/%d</link>"
                   "<description>Body of %s.</description><author>%s</author>%s"
                   "<pubDate>%s</pubDate></item>"
                   % (dk.esc(t), title, i, title, i, dk.esc(t), dk.esc(author),
                      "".join("<category>%s</category>" % dk.esc(c) for c in cats),
                      rfc822(NOW - 600 * (i + 1))))
    out.append("</channel></rss>\n")
    return "\n".join(out)


FEEDS = {
    "wire": [("Sponsored: a better mattress", "ads@example.com", []),
             ("Storm batters the west coast overnight", "desk@example.com", ["Weather"]),
             ("Notes from the harbour", "Jane Doe", []),
             ("Transfer window opens with record bids", "desk@example.com", []),
             ("A" * 40 + "!", "desk@example.com", [])],
    "sports": [("Cup final ends 2-1 after extra time", "desk@example.com", []),
               ("Coach interview after the match", "desk@example.com", [])],
    "other": [("Notes from the mountains", "Jane Doe", []),
              ("SPONSORED: holidays for less", "ads@example.com", [])],
}

RULES = """
[filter "ads"]
match = title ~ /^sponsored:/i
action = drop

[filter "weather"]
match = category = weather or title contains storm
action = tag weather

[filter "jane"]
match = author = "jane doe"
feeds = wire
action = star

[filter "scores"]
match = title ~ /\\b\\d+-\\d+\\b/
tags = sport
action = hide

[filter "transfers"]
match = title contains transfer
action = read

[filter "backtrack"]
match = title ~ /^(A|AA)+$/
action = drop
"""


def items_of(db, **where):
    con = dk.db_connect(db)
    try:
        cond = " AND ".join("%s = ?" % k for k in where) or "1"
        return con.execute("SELECT feed, title, read, starred, hidden, story_id FROM items WHERE "
                           + cond + " ORDER BY id", tuple(where.values())).fetchall()
    finally:
        con.close()


def herald(sock, *args):
    p = subprocess.run([dk.HERALD, "--socket", sock] + list(args), capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def titles(rows):
    return sorted(r["title"] for r in rows)


def main():
    tmp = tempfile.mkdtemp(prefix="herald-filters-")
    proc = None
    try:
        for name, its in FEEDS.items():
            dk.write_atomic(os.path.join(tmp, name + ".xml"), feed(name, its))
        db, sock = os.path.join(tmp, "h.db"), os.path.join(tmp, "h.sock")
        base = dk.config_text(db, sock, [(n, "file://%s/%s.xml" % (tmp, n)) for n in FEEDS])
        base = base.replace('[feed "sports"]\n', '[feed "sports"]\ntags = sport\n')
        conf = os.path.join(tmp, "h.conf")
        dk.write_atomic(conf, base + RULES)
        p = subprocess.run([dk.HERALDD, "--check-config", "-c", conf], capture_output=True,
                           text=True)
        check(p.returncode == 0, "--check-config takes the rules (%r)" % p.stderr.strip())
        log = open(os.path.join(tmp, "daemon.log"), "ab")
        proc = dk.start_daemon(conf, log)
        check(dk.wait_for(lambda: dk.can_connect(sock), 30), "the daemon starts")
        t0 = time.monotonic()
        dk.client(sock, "refresh")
        check(dk.wait_for(lambda: len(items_of(db)) == 7, 30), "the feeds are stored (7 items kept)")
        check(time.monotonic() - t0 < 10, "a backtracking regex stalls nothing (%.1f s)"
              % (time.monotonic() - t0))

        stored = {r[1]: r for r in items_of(db)}
        check(not any(t.lower().startswith("sponsored") for t in stored),
              "drop: no sponsored item is stored (%s)" % sorted(stored))
        check(("A" * 40 + "!") in stored,
              "a regex past its match limit does not match: the item is kept")
        with open(os.path.join(tmp, "daemon.log"), errors="replace") as fh:
            check("feed wire: a filter rule's regular expression hit its match limit on 1 items"
                  in fh.read(), "the log names the feed whose item hit the match limit")
        feeds = {f["id"]: f for f in dk.client(sock, "feeds")}
        check(int(feeds["wire"]["dropped"]) == 1 and int(feeds["other"]["dropped"]) == 1 and
              int(feeds["sports"]["dropped"]) == 0,
              "feeds: dropped counts the items of each feed's document that rules dropped (%s)"
              % {k: f["dropped"] for k, f in feeds.items()})
        check(stored["Notes from the harbour"][3] == 1 and
              stored["Notes from the mountains"][3] == 0,
              "star: Jane Doe starred in wire only (the rule's feeds)")
        check(stored["Transfer window opens with record bids"][2] == 1, "read: stored read")
        cup = stored["Cup final ends 2-1 after extra time"]
        check(cup[4] == 1 and cup[2] == 1 and cup[5] is None,
              "hide: stored hidden, read, in no story (%r)" % (cup,))
        check(stored["Coach interview after the match"][4] == 0, "hide: other items stay")
        every = dk.client(sock, "items", "--all", "--limit", "100")
        check("Cup final ends 2-1 after extra time" not in titles(every) and len(every) == 6,
              "hide: items does not list it (%d listed)" % len(every))
        check(dk.client(sock, "search", "final") == [], "hide: search does not find it")
        tagged = dk.client(sock, "stories", "--all", "--tag", "weather")
        check(len(tagged) == 1 and "Storm" in tagged[0]["title"],
              "tag: stories --tag weather finds the tagged story (%s)" % titles(tagged))
        check(titles(dk.client(sock, "items", "--all", "--tag", "weather")) ==
              ["Storm batters the west coast overnight"], "tag: items --tag weather")

        rules = dk.client(sock, "filters")
        check([r["filter"] for r in rules] ==
              ["ads", "weather", "jane", "scores", "transfers", "backtrack"] and
              rules[1]["action"] == "tag" and rules[1]["tag"] == "weather" and
              rules[2]["feed"] == "wire" and rules[3]["scope_tag"] == "sport",
              "filters lists the rules with action, tag and scope")
        got = dk.client(sock, "filters", "test", "jane")
        check(titles(got) == ["Notes from the harbour", "Notes from the mountains"],
              "filters test NAME: the stored items the rule's match finds (%s)" % titles(got))
        got = dk.client(sock, "filters", "test", "title contains notes and feed = other")
        check(titles(got) == ["Notes from the mountains"],
              "filters test EXPRESSION (%s)" % titles(got))
        got = dk.client(sock, "filters", "test", "title contains notes", "--feed", "wire")
        check(titles(got) == ["Notes from the harbour"], "filters test --feed (%s)" % titles(got))
        rc, out, err = herald(sock, "--json", "filters", "test", "title ~ /(notes/")
        check(rc != 0 and '"badarg"' in out and "column 16" in out and "parenthesis" in out,
              "filters test of a bad expression: badarg naming the column (%r)" % out.strip())
        rc, out, err = herald(sock, "filters", "test", "title contains harbour")
        check(rc == 0 and "Notes from the harbour" in out, "filters test, human output")

        # A bad rule: --check-config names line and column; a reload keeps the old rules.
        dk.write_atomic(conf, base + RULES + '\n[filter "bad"]\nmatch = title ~ /(x/\n'
                        'action = drop\n')
        p = subprocess.run([dk.HERALDD, "--check-config", "-c", conf], capture_output=True,
                           text=True)
        line = (base + RULES).count("\n") + 3
        check(p.returncode != 0 and ("h.conf:%d: filter 'bad': match, column 12: bad regular "
                                     "expression" % line) in p.stderr,
              "--check-config: FILE:LINE and the column (%r)" % p.stderr.strip())
        rc, out, err = herald(sock, "reload")
        check(rc != 0 and "reload failed: " in err and "edited" not in err and "column 12" in err,
              "reload refuses the bad rule (%r)" % err.strip())
        check(len(dk.client(sock, "filters")) == 6, "the old rules stay")

        # Rules gone: what they dropped is stored at the next poll; marks stay.
        dk.write_atomic(conf, base)
        dk.client(sock, "reload")
        check(dk.client(sock, "filters") == [], "a reload without rules: none left")
        dk.write_atomic(os.path.join(tmp, "wire.xml"),
                        feed("wire", FEEDS["wire"]).replace("Body of", "Text of"))
        dk.client(sock, "refresh")
        check(dk.wait_for(lambda: any(r[1].startswith("Sponsored") for r in items_of(db)), 30),
              "without the rule, the dropped item is stored at the next poll")
        check(dk.wait_for(lambda: int(dk.client(sock, "feeds", "wire")[0]["dropped"]) == 0, 10),
              "wire's dropped count follows its latest document (0)")
        check(items_of(db, title="Notes from the harbour")[0][3] == 1,
              "a mark a rule gave stays when the rule goes")
        check(dk.stop_daemon(proc) == 0, "clean exit")
        proc = None
        dk.consistency(db, check)
    finally:
        if proc is not None:
            dk.kill(proc)
        if not os.environ.get("HERALD_KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % len(check.fails))
    return 1 if check.fails else 0


if __name__ == "__main__":
    sys.exit(main())
