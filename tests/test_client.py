#!/usr/bin/env python3
"""herald (the client) against a scripted daemon on a temporary Unix socket.

The fake daemon speaks the protocol of include/herald/protocol.h: it records
each request's words (and payload) and answers with canned records, so this
checks what the client sends, how it validates arguments before connecting,
its exit codes, its JSON and its human output."""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

BUILD = os.environ.get("HERALD_BUILDDIR", os.path.join(os.path.dirname(__file__), ".."))
SRCDIR = os.environ.get("HERALD_SRCDIR", os.path.join(os.path.dirname(__file__), ".."))
HERALD = os.path.join(BUILD, "herald")
NOW = int(time.time())
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def record(*pairs):
    return "".join("%s: %s\n" % (k, v) for k, v in pairs) + "\n"


STORY = record(
    ("story", "12"), ("title", "Court \\\\ blocks\\nmerger \\xff"), ("state", "new"),
    ("starred", "1"), ("digested", "0"), ("first_seen", str(NOW - 3 * 3600)),
    ("last_seen", str(NOW - 3 * 3600)), ("items", "2"), ("unread", "2"),
    ("outlet", "345\tnyt\tNYT\tCourt blocks merger\thttps://nyt.example/a"),
    ("outlet", "346\tbbc\tBBC\tJudge\\thalts deal\thttps://bbc.example/b"),
    ("tag", "news"), ("feed", "nyt"), ("feed", "bbc"))
ITEM = record(("item", "345"), ("story", "12"), ("feed", "nyt"), ("feed_name", "NYT"),
              ("title", "Court blocks merger"), ("link", "https://nyt.example/a"),
              ("author", "A. Writer"), ("published", str(NOW - 120)), ("read", "0"),
              ("starred", "0"), ("snippet", "the [court] said"), ("rank", "-1.5"))
FEED = record(("feed", "nyt"), ("name", "NYT"), ("url", "https://nyt.example/rss"),
              ("title", "NYT"), ("interval", "1800"), ("last_poll", str(NOW - 300)),
              ("next_poll", str(NOW + 1500)), ("status", "200"), ("error", ""),
              ("items", "40"), ("unread", "7"), ("tag", "news"))

# A feed whose feeds.conf id is all digits ("2024"), named "2024", with an
# item titled "1984": every one of those is text and must stay a JSON string.
# show --item 777: a release published three months ago, first seen 3 h ago;
# 778: published and first seen within the same hour (one age is shown).
DATED_ITEM = record(("item", "777"), ("story", "70"), ("feed", "gh"), ("feed_name", "Releases"),
                    ("title", "herald 1.2.0 released"), ("link", "https://gh.example/v1.2.0"),
                    ("author", ""), ("published", str(NOW - 92 * 86400)),
                    ("time", str(NOW - 92 * 86400)), ("first_seen", str(NOW - 3 * 3600)),
                    ("read", "0"), ("starred", "0"), ("text", "Bug fixes."))
SAME_ITEM = DATED_ITEM.replace("item: 777", "item: 778").replace(
    str(NOW - 92 * 86400), str(NOW - 5 * 3600 - 100)).replace(str(NOW - 3 * 3600),
                                                               str(NOW - 5 * 3600))

DIGITS_STORY = record(
    ("story", "12"), ("title", "1984"), ("state", "new"), ("starred", "0"), ("digested", "0"),
    ("first_seen", str(NOW - 60)), ("last_seen", str(NOW - 60)), ("items", "1"), ("unread", "1"),
    ("outlets", "1"), ("outlet", "345\t2024\t2024\t1984\thttps://n.example/1984"),
    ("tag", "2024"), ("feed", "2024"))
DIGITS_ITEM = record(("item", "345"), ("story", "12"), ("feed", "2024"), ("feed_name", "2024"),
                     ("title", "1984"), ("link", "https://n.example/1984"), ("author", "42"),
                     ("published", str(NOW - 60)), ("time", str(NOW - 60)), ("read", "0"),
                     ("starred", "1"))
DIGITS_FEED = record(("feed", "2024"), ("name", "2024"), ("url", "https://n.example/rss"),
                     ("moved_to", ""), ("title", "1984"), ("active", "1"), ("interval", "1800"),
                     ("last_poll", str(NOW - 300)), ("next_poll", str(NOW + 1500)),
                     ("status", "200"), ("error", ""), ("failures", "0"), ("items", "40"),
                     ("unread", "7"), ("tag", "2024"))
DIGITS = {"stories": DIGITS_STORY, "items": DIGITS_ITEM, "show": DIGITS_STORY + DIGITS_ITEM,
          "feeds": DIGITS_FEED}

requests = []


def split_words(line):
    words, cur, i, inword, q = [], [], 0, False, None
    while i < len(line):
        c = line[i]
        if q == "'":
            if c == "'":
                q = None
            else:
                cur.append(c)
        elif q == '"':
            if c == '"':
                q = None
            elif c == "\\":
                i += 1
                cur.append({"n": "\n", "t": "\t", "r": "\r"}.get(line[i], line[i]))
            else:
                cur.append(c)
        elif c in " \t":
            if inword:
                words.append("".join(cur))
                cur, inword = [], False
        else:
            inword = True
            if c in "\"'":
                q = c
            else:
                cur.append(c)
        i += 1
    if inword:
        words.append("".join(cur))
    return words


# Stories and items that exist, for the id look-ups: 50 is both.
STORY_IDS = {"12", "13", "50", "70", "2024"}
ITEM_IDS = {"345", "346", "7", "8", "50", "777", "778"}
TAGGED = record(("feed", "ru"), ("name", "Лента"), ("url", "https://ru.example/rss"),
                ("status", "200"), ("error", ""), ("items", "3"), ("unread", "1"),
                ("tag", "Новости"))
HTML_ITEM = record(("item", "345"), ("story", "12"), ("feed", "nyt"), ("feed_name", "NYT"),
                   ("title", "Court blocks merger"), ("link", "https://nyt.example/a"),
                   ("author", "A. Writer"), ("published", str(NOW - 120)), ("read", "0"),
                   ("starred", "0"), ("text", "plain"),
                   ("html", "<p>The judge <a href=\"https://court.example/ruling\">ruled</a> "
                    "that the merger of the two largest grocery chains would harm shoppers "
                    "in every state. 判決は東京でも報じられ、株価は大きく下落した。</p>"
                    "<p>Read <a href=\"https://nyt.example/more\">more</a>.</p>"))
WIDE = [("s%d" % n, t) for n, t in enumerate([
    "Court blocks merger of the two largest grocery chains in the country",
    "Суд заблокировал слияние двух крупнейших продуктовых сетей страны",
    "İstanbul'da şiddetli yağış: ulaşım aksadı, okullar bir gün kapalı",
    "東京で震度5強の地震、新幹線が一時運転を見合わせ、けが人の情報なし",
    "北京发生地震，暂无人员伤亡报告，铁路部门启动应急预案",
    "Launch day 🚀🎉 for the new rocket crew: café naïve",
], 100)]


def wide_stories():
    out = ""
    for i, (_, t) in enumerate(WIDE):
        out += record(("story", str(100 + i)), ("title", t), ("state", ["new", "updated", "read"][i % 3]),
                      ("starred", str(i % 2)), ("digested", "0"), ("first_seen", str(NOW - 60 * i)),
                      ("last_seen", str(NOW - 4000 * i)), ("items", "2"), ("unread", "1"),
                      ("outlets", "2"),
                      ("outlet", "1\tbbc\tBBC Ворлд 東京\tx\thttps://b.example/"),
                      ("outlet", "2\tnyt\tNew York Times\ty\thttps://n.example/"))
    return out


def answer(words, payload):
    cmd = words[0]
    if "2024" in words[1:] and cmd in DIGITS:
        return DIGITS[cmd] + "OK\n"
    if cmd == "stories" and words[-2:] == ["--offset", "7"]:
        return wide_stories() + "OK\n"
    if cmd == "stories" and "--tag" in words and words[words.index("--tag") + 1] != "news":
        return "OK\n"
    if cmd == "stories" and len(words) >= 5 and words[-4] == "--offset" and words[-2:] == ["--limit", "1"]:
        # The count's look-ups: 5 stories in all (records 0 to 4).
        return (STORY if int(words[-3]) < 5 else "") + "OK\n"
    if cmd == "stories":
        return STORY + "OK\n"
    if cmd in ("items", "search"):
        return ITEM + "OK\n"
    if cmd == "show":
        if "--item" in words and words[-1] not in ITEM_IDS:
            return "ERR notfound no item %s\n" % words[-1]
        if "--item" not in words and words[-1] not in STORY_IDS:
            return "ERR notfound no story %s\n" % words[-1]
        if words[-1] == "345":
            return HTML_ITEM + "OK\n"
        if words[-1] == "13":
            return STORY.replace("Court \\\\ blocks", "\\x1b[2JEvil\u009b title\\nsecond") + "OK\n"
        if "--item" in words and words[-1] not in ("777", "778"):
            return ITEM.replace("snippet", "text").replace("item: 345", "item: " + words[-1]) + "OK\n"
        if words[-1] in ("777", "778"):
            return (DATED_ITEM if words[-1] == "777" else SAME_ITEM) + "OK\n"
        if words[-1] == "404":
            return "ERR notfound no story 404\n"
        return STORY + ITEM.replace("snippet", "text") + "OK\n"
    if cmd == "feeds":
        return (FEED + FEED.replace("feed: nyt", "feed: bbc").replace("error: ", "error: timed out")
                + TAGGED + DIGITS_FEED + "OK\n")
    if cmd == "import":
        return record(("import", "1"), ("url", "https://a.example/feed"), ("status", "added")) + "OK\n"
    if cmd == "export":
        return record(("opml", "<opml version=\"2.0\">\\n</opml>")) + "OK\n"
    if cmd == "stats":
        return record(("stats", "1"), ("feeds", "2"), ("db_size", "2097152"), ("uptime", "3700")) + "OK\n"
    if cmd == "version":
        return record(("version", "0.1.0"), ("protocol", "1")) + "OK\n"
    if cmd == "purge":
        return record(("purge", "dry-run" if "--dry-run" in words else "done"), ("items", "120"),
                      ("stories", "80"), ("bytes", "1572864"), ("vacuumed", "0"),
                      ("chunks", "5"), ("longest_chunk_us", "2100")) + "OK\n"
    return "OK\n"


def serve(sock):
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        with conn:
            conn.sendall(b"HERALD 1\n")
            f = conn.makefile("rb")
            while True:
                line = f.readline()
                if not line:
                    break
                words = split_words(line.decode("utf-8").rstrip("\n"))
                payload = None
                if words and words[0] == "import":
                    payload = f.read(int(words[-1]))
                requests.append((words, payload))
                conn.sendall(answer(words, payload).encode("utf-8", "surrogateescape"))


def herald(*args, env=None, stdin=None):
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e["HERALD_SOCKET"] = SOCK
    e["XDG_STATE_HOME"] = os.path.join(tmp, "state")
    e.update(env or {})
    requests.clear()
    p = subprocess.run([HERALD, *args], capture_output=True, env=e, input=stdin, timeout=20)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


tmp = tempfile.mkdtemp()
SOCK = os.path.join(tmp, "h.sock")
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(SOCK)
srv.listen(16)
threading.Thread(target=serve, args=(srv,), daemon=True).start()

# JSON contract of stories.
rc, out, err = herald("--json", "stories", "--limit", "5")
check(rc == 0, "stories --json exits 0 (%d %s)" % (rc, err))
check(requests and requests[0][0] == ["stories", "--limit", "5"], "stories request words %r" % requests)
data = json.loads(out)
s = data[0]
check(isinstance(data, list) and len(data) == 1, "stories is an array")
check(s["id"] == 12 and s["state"] == "new" and s["starred"] is True, "story scalars %r" % s)
check(s["title"] == "Court \\ blocks\nmerger \ufffd", "title unescaped, bad byte U+FFFD: %r" % s["title"])
check(s["first_seen"] == NOW - 3 * 3600 and s["items"] == 2 and s["unread"] == 2, "story numbers")
check(s["outlets"][1] == {"item": 346, "feed": "bbc", "name": "BBC", "title": "Judge\thalts deal",
                          "link": "https://bbc.example/b"}, "outlet object %r" % s["outlets"])
check(s["tags"] == ["news"] and s["feeds"] == ["nyt", "bbc"], "tags and feeds lists")
out.encode("utf-8")

# Human output: aligned, relative times, no colour off a terminal.
rc, out, err = herald("--width", "100", "stories")
check(rc == 0 and "3h ago" in out and "Court \\ blocks merger" in out, "human stories: %r" % out)
check("(NYT, BBC)" in out and "\033[" not in out, "outlets shown, no colour when piped: %r" % out)
check(out.startswith("s12 * new "), "a story's id reads s12: %r" % out)
rc, out, err = herald("--width", "100", "--color=always", "stories")
check("\033[" in out, "--color=always colours")
rc, out, err = herald("--width", "100", "--color=always", "stories", env={"NO_COLOR": "1"})
check("\033[" not in out, "NO_COLOR wins")
# Not a terminal: tab-separated full fields, stable for scripts.
rc, out, err = herald("stories")
f = out.rstrip("\n").split("\t")
check(rc == 0 and f[:3] == ["s12", "new", "starred"] and re.match(r"\d{4}-\d\d-\d\dT", f[3])
      and f[4] == "2" and f[5] == "Court \\ blocks merger \ufffd" and f[6] == "NYT,BBC",
      "stories piped: tab-separated fields %r" % f)
rc, out, err = herald("items")
f = out.rstrip("\n").split("\t")
check(rc == 0 and f[:3] == ["i345", "s12", "new"] and f[5:] == ["nyt", "NYT", "Court blocks merger",
                                                                "https://nyt.example/a"],
      "items piped: tab-separated fields %r" % f)


def cells(line):
    import unicodedata
    n = 0
    for ch in line:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


# Fits the terminal: every line exactly the width, in display cells, at
# 40, 60, 80 and 120 columns, titles in six scripts and emoji; the dates
# right-aligned (they end every line), the state never touching them.
for width in (40, 60, 80, 120):
    rc, out, err = herald("--width", str(width), "stories", "--offset", "7")
    lines = out.rstrip("\n").split("\n")
    check(rc == 0 and len(lines) == len(WIDE), "wide stories at %d: %d lines" % (width, len(lines)))
    for line in lines:
        check(cells(line) == width, "at %d columns a line is %d cells: %r" % (width, cells(line), line))
        check(re.search(r"(just now|\d+[mhd] ago)$", line), "the date ends the line: %r" % line)
    check(len({cells(l[:l.index("…") if "…" in l else 0]) for l in lines if "…" in l}) <= 2,
          "titles are cut at a cell boundary with an ellipsis at %d" % width)
for width in (40, 60, 80, 120):
    for args in (["items"], ["search", "court"], ["feeds"]):
        rc, out, err = herald("--width", str(width), *args)
        wide = [l for l in out.rstrip("\n").split("\n") if cells(l) > width]
        check(rc == 0 and out and not wide, "%s at %d: no line wider: %r" % (args[0], width, wide))
rc, out, err = herald("--width", "40", "stories", "--offset", "7")
check("…" in out and "(" not in out, "at 40 columns the titles are cut and the outlets left out: %r" % out)
rc, out, err = herald("--width", "120", "stories", "--offset", "7")
check("東京で震度5強の地震" in out and "(BBC Ворлд 東京, New" in out, "at 120 the outlets show: %r" % out)

# Options after the command, time conversion, search words joined.
rc, out, err = herald("items", "--since", "2h", "--json", "--feed=nyt")
w = requests[-1][0]
check(rc == 0 and w[:2] == ["items", "--since"] and abs(int(w[2]) - (NOW - 7200)) < 60, "since: %r" % w)
check(w[3:] == ["--feed", "nyt"], "--feed=nyt sent as two words: %r" % w)
check(json.loads(out)[0]["read"] is False and json.loads(out)[0]["rank"] == -1.5, "item json types")
rc, out, err = herald("search", "climate", "talks \"quoted\"")
check(requests[0][0] == ["search", 'climate talks "quoted"'], "search query: %r" % requests)
check("the [court] said" in out, "snippet shown")
rc, out, err = herald("--width", "80", "search", "court")
check(re.search(r"\n +the \[court\] said\n", out), "snippet under the hit on a terminal: %r" % out)

# Single objects, actions, errors.
rc, out, err = herald("--json", "show", "12")
o = json.loads(out)
check(o["id"] == 12 and o["entries"][0]["id"] == 345 and "text" in o["entries"][0], "show json %r" % o)
rc, out, err = herald("show", "12")
check("Court blocks merger" in out and "https://nyt.example/a" in out, "show human")
check(re.search(r"item i345 · NYT · \d+m ago · A\. Writer · new", out),
      "show: an item record without first_seen shows one age: %r" % out)
check(["show", "--item", "345"] in [r[0] for r in requests], "show fetches each item whole")
# Wrapped at word boundaries (CJK anywhere), links numbered and listed.
for width in (40, 60, 80):
    rc, out, err = herald("--width", str(width), "show", "s12")
    lines = out.split("\n")
    check(rc == 0 and all(cells(l) <= width for l in lines if "://" not in l),
          "show at %d: no line wider: %r" % (width, [l for l in lines if cells(l) > width]))
    check("ruled [1]" in out and "more [2]" in out and "  [1] https://court.example/ruling" in out
          and "  [2] https://nyt.example/more" in out, "show: links numbered and listed %r" % out)
    words = " ".join(out.split()).split()
    check("grocery" in words and "shoppers" in words, "show: words are never split at %d" % width)
check(out.startswith("Court") and "1/1  Court blocks merger" in out, "show numbers the outlets")
# Controls from a title are shown, never sent to the terminal (issue 28).
rc, out, err = herald("show", "s13")
check(rc == 0 and "\033" not in out and "\x9b" not in out and "^[[2JEvil<U+009B> title second" in out,
      "show escapes controls and newlines in titles: %r" % out[:80])
rc, out, err = herald("show", "404")
check(rc == 1 and "no story or item 404" in err, "daemon error -> exit 1: %d %r" % (rc, err))
rc, out, err = herald("show", "s404")
check(rc == 1 and "no story 404" in err, "show s404: the daemon's error: %d %r" % (rc, err))

# Ids cannot be confused: s and i say which; a bare number is looked up as
# both and refused when it is both; an item id alone is acted on as one.
rc, out, err = herald("read", "50")
check(rc == 2 and "s50" in err and "i50" in err and not any(r[0][0] == "read" for r in requests),
      "a bare id that is a story and an item is refused with both: %d %r" % (rc, err))
rc, out, err = herald("--json", "read", "50")
check(rc == 2 and json.loads(out)["error"]["code"] == "ambiguous", "--json ambiguous: %r" % out)
rc, out, err = herald("star", "346")
check(rc == 0 and requests[-1][0] == ["star", "--item", "346"] and out == "starred: i346\n",
      "an item id where a story is expected acts on the item and says so: %r %r" % (out, requests))
rc, out, err = herald("read", "s12", "i346", "--yes")
marks = [r[0] for r in requests if r[0][0] == "read"]
check(rc == 0 and marks == [["read", "12"], ["read", "--item", "346"]]
      and out == "marked read: s12, i346\n", "read s12 i346: %r %r" % (out, requests))
# undo: the marks the items had before, read from the daemon first.
check(["items", "--story", "12", "--limit", "10000"] in [r[0] for r in requests] and
      ["show", "--item", "346"] in [r[0] for r in requests], "a mark records the items' marks first")
undo_file = os.path.join(tmp, "state", "herald", "undo")
check(os.path.exists(undo_file) and oct(os.stat(undo_file).st_mode & 0o777) == "0o600",
      "the undo record is a private file")
rc, out, err = herald("undo")
check(rc == 0 and requests[-1][0] == ["unread", "--item", "345", "346"]
      and out == "undone: read s12, i346 (2 items set back)\n" and not os.path.exists(undo_file),
      "undo sets the items back: %r %r %r" % (out, err, requests))
rc, out, err = herald("--json", "undo")
check(rc == 1 and json.loads(out)["error"]["code"] == "notfound", "nothing to undo: %r" % out)
rc, out, err = herald("read", "--item", "50")
check(rc == 0 and requests[-1][0] == ["read", "--item", "50"], "--item makes a bare id an item")
rc, out, err = herald("show", "i777")
check(rc == 0 and requests[0][0] == ["show", "--item", "777"], "show i777")

# open: the story's first (or Nth) outlet's link, through $BROWSER.
opened = os.path.join(tmp, "opened")
browser = os.path.join(tmp, "browser.sh")
with open(browser, "w") as fh:
    fh.write("#!/bin/sh\nprintf '%%s\\n' \"$1\" >> %s\n" % opened)
os.chmod(browser, 0o755)
rc, out, err = herald("open", "s12", env={"BROWSER": browser})
rc2, out2, err2 = herald("open", "i345", env={"BROWSER": browser})
got = open(opened).read() if os.path.exists(opened) else ""
check(rc == 0 and rc2 == 0 and got == "https://nyt.example/a\nhttps://nyt.example/a\n"
      and out == "opened https://nyt.example/a\n", "open runs $BROWSER with the link: %r %r" % (got, err))
rc, out, err = herald("open", "s12", "5", env={"BROWSER": browser})
check(rc == 2 and "1 outlet" in err, "open s12 5: no such outlet %r" % err)

# --feed and --tag must exist; tags compare case-folded in every script.
rc, out, err = herald("stories", "--feed", "nty")
check(rc == 1 and "no feed 'nty'; did you mean 'nyt'?" in err and
      not any(r[0][0] == "stories" for r in requests), "--feed typo: %d %r" % (rc, err))
rc, out, err = herald("--json", "items", "--tag", "nws")
e = json.loads(out) if out.startswith("{") else {}
check(rc == 1 and e.get("error", {}).get("code") == "notfound" and "news" in e["error"]["message"],
      "--tag typo --json: %r" % out)
rc, out, err = herald("stories", "--tag", "новости")
check(rc == 0 and requests[-1][0] == ["stories", "--tag", "Новости"],
      "--tag новости finds Новости: %r" % requests)
rc, out, err = herald("stories", "--tag", "NEWS")
check(rc == 0 and requests[-1][0] == ["stories", "--tag", "news"], "--tag NEWS is news")

# Lists say when there is more.
rc, out, err = herald("stories", "--limit", "1")
check(rc == 0 and "1 of 5 shown (1-1); more with --offset 1" in err and
      requests[1][0] == ["stories", "--offset", "1", "--limit", "1"] and len(requests) < 10,
      "a full page says how many there are: %r %r" % (err, requests))
rc, out, err = herald("stories", "--limit", "1", "--offset", "2")
check(rc == 0 and "1 of 5 shown (3-3); more with --offset 3" in err, "... from an offset: %r" % err)
rc, out, err = herald("stories", "--limit", "1", "--offset", "4")
check(rc == 0 and "shown" not in err, "no hint when nothing is left: %r" % err)
rc, out, err = herald("search", "--limit", "1", "court")
check(rc == 0 and requests[1][0] == ["search", "--offset", "1", "--limit", "1", "court"]
      and "more than" in err, "search pages too (the fake has no end): %r" % err)

# --json errors are JSON, with the exit status.
rc, out, err = herald("--json", "show", "s404")
check(rc == 1 and json.loads(out) == {"error": {"code": "notfound", "message": "no story 404"}},
      "--json daemon error: %d %r" % (rc, out))
rc, out, err = herald("stories", "--bogus", "--json")
check(rc == 2 and json.loads(out)["error"]["code"] == "usage", "--json usage error: %r" % out)
rc, out, err = herald("--json", "feeds", env={"HERALD_SOCKET": os.path.join(tmp, "none.sock")})
check(rc == 3 and json.loads(out)["error"]["code"] == "down", "--json daemon down: %r" % out)

# read --all: a script must say --yes; it says what it changed.
rc, out, err = herald("read", "--all")
check(rc == 2 and "--yes" in err and not requests, "read --all off a terminal needs --yes")
# Published months ago, first seen hours ago: both; within the same hour: one.
rc, out, err = herald("show", "--item", "777")
day = time.strftime("%Y-%m-%d", time.localtime(NOW - 92 * 86400))
check(rc == 0 and ("published %s · first seen 3h ago" % day) in out,
      "show: published and first seen when they differ: %r" % out)
rc, out, err = herald("--json", "show", "--item", "777")
o = json.loads(out)
check(o["first_seen"] == NOW - 3 * 3600 and o["published"] == NOW - 92 * 86400,
      "show --json: first_seen and published are numbers: %r" % o)
rc, out, err = herald("show", "--item", "778")
check(rc == 0 and " · 5h ago · " in out and "first seen" not in out,
      "show: one age when published and first seen read the same: %r" % out)
rc, out, err = herald("digested", "1", "2")
check(rc == 0 and out == "" and requests[0][0] == ["digested", "1", "2"], "digested prints nothing")
rc, out, err = herald("--json", "read", "--item", "7")
check(rc == 0 and json.loads(out) == {"ok": True} and requests[-1][0] == ["read", "--item", "7"], "read json")
rc, out, err = herald("read", "--all", "--before", "2026-01-02", "--yes")
check(rc == 0 and requests[-1][0][:3] == ["read", "--all", "--before"] and
      requests[0][0][:4] == ["items", "--limit", "10000", "--before"],
      "read --all --before, its unread items recorded for undo first: %r" % requests)
rc, out, err = herald("--width", "100", "feeds")
check(rc == 0 and "nyt" in out and "bbc" in out and "7/40" in out and ("in 25m" in out or "in 24m" in out) and "timed out" in out, "feeds: %r" % out)
rc, out, err = herald("stats")
check("2.0 MiB" in out and "1h 1m" in out, "stats human: %r" % out)
rc, out, err = herald("purge")
check(rc == 0 and out == "removed 120 items and 80 stories, 1.5 MiB freed\n", "purge human: %r" % out)
rc, out, err = herald("purge", "--dry-run")
check(rc == 0 and out.startswith("would remove 120 items and 80 stories"), "purge --dry-run human: %r" % out)
rc, out, err = herald("--json", "purge")
pj = json.loads(out) if rc == 0 else {}
check(pj.get("purge") == "done" and pj.get("items") == 120 and pj.get("bytes") == 1572864 and
      pj.get("longest_chunk_us") == 2100, "purge --json: counts are numbers %r" % out)
rc, out, err = herald("export")
check(out == '<opml version="2.0">\n</opml>\n', "export prints the OPML: %r" % out)
rc, out, err = herald("--json", "version")
v = json.loads(out)
check(v["version"] == "0.1.0" and v["protocol"] == 1 and "client" in v, "version json %r" % v)

# import sends the file's bytes after the request.
opml = os.path.join(tmp, "in.opml")
body = b'<?xml version="1.0"?>\n<opml><body><outline xmlUrl="https://a.example/feed"/></body></opml>\n'
with open(opml, "wb") as f:
    f.write(body)
rc, out, err = herald("import", opml)
check(rc == 0 and requests[0] == (["import", str(len(body))], body), "import payload %r" % requests)
check("1 of 1 feeds added" in out, "import summary")
rc, out, err = herald("import", "-", stdin=body)
check(rc == 0 and requests[0][1] == body, "import from stdin")
rc, out, err = herald("import", os.path.join(tmp, "missing.opml"))
check(rc == 1 and not requests, "missing file: exit 1 before connecting")

# Ids are typed by key, never by their look: a feed "2024" is a string like
# "bbc", so is a title "1984", while item and story ids, counts and times
# stay numbers and flags booleans.
def is_num(v):
    return type(v) is int


def is_str(v):
    return type(v) is str


rc, out, err = herald("--json", "feeds", "2024")
f = json.loads(out)[0] if rc == 0 else {}
check('"id":"2024"' in out, "feeds --json: an all-digit feed id is a JSON string: %s" % out)
check(f.get("id") == "2024" and is_str(f.get("name")) and f.get("title") == "1984"
      and f.get("status") == "200" and f.get("tags") == ["2024"], "feed text fields are strings %r" % f)
check(all(is_num(f.get(k)) for k in ("interval", "last_poll", "next_poll", "failures", "items",
                                     "unread")) and f.get("active") is True,
      "feed numbers stay numbers %r" % f)
rc, out, err = herald("--json", "items", "--feed", "2024")
i = json.loads(out)[0] if rc == 0 else {}
check(i.get("feed") == "2024" and i.get("feed_name") == "2024" and i.get("title") == "1984"
      and i.get("author") == "42", "item: feed, feed_name, title, author are strings %r" % i)
check(i.get("id") == 345 and is_num(i.get("id")) and i.get("story") == 12 and is_num(i.get("story"))
      and is_num(i.get("published")) and is_num(i.get("time")) and i.get("starred") is True,
      "item: ids and times are numbers %r" % i)
rc, out, err = herald("--json", "stories", "--feed", "2024")
s = json.loads(out)[0] if rc == 0 else {}
o = (s.get("outlets") or [{}])[0]
check(s.get("id") == 12 and is_num(s.get("id")) and s.get("title") == "1984"
      and s.get("feeds") == ["2024"] and s.get("tags") == ["2024"]
      and is_num(s.get("outlets_count")), "story: id a number, feed ids strings %r" % s)
check(o == {"item": 345, "feed": "2024", "name": "2024", "title": "1984",
            "link": "https://n.example/1984"} and is_num(o["item"]), "outlet types %r" % o)
rc, out, err = herald("--json", "show", "s2024")
sh = json.loads(out) if rc == 0 else {}
check(sh.get("id") == 12 and sh.get("entries", [{}])[0].get("feed") == "2024",
      "show --json: entries keep the feed id a string %r" % sh)
rc, out, err = herald("--json", "stats")
st = json.loads(out) if rc == 0 else {}
check(all(is_num(st.get(k)) for k in ("feeds", "db_size", "uptime")), "stats are numbers %r" % st)
rc, out, err = herald("--width", "80", "feeds", "2024")
check(rc == 0 and "2024" in out and "7/40" in out, "human feeds with a digit id: %r" % out)

# Every command of the protocol (include/herald/protocol.h) is a client
# command but the session's own help and quit, is listed by --help, has its
# own --help, and sends the request words it should: options first, in
# the order given, then the positionals.
with open(os.path.join(SRCDIR, "include", "herald", "protocol.h")) as fh:
    proto_cmds = set(re.findall(r'^#define HERALD_CMD_\w+\s+"([a-z]+)"', fh.read(), re.M))
rc, out, err = herald("--help")
listed = set(re.findall(r"^  ([a-z]+) ", out.split("Commands:")[1].split("\n\n")[0], re.M))
CLIENT_ONLY = {"open", "undo", "tui"}  # the client's own: no request of their name
check(len(proto_cmds) > 15 and listed == (proto_cmds - {"help", "quit"}) | CLIENT_ONLY,
      "herald --help lists the protocol's commands: %r vs %r" % (sorted(listed), sorted(proto_cmds)))
SENDS = [
    (["stories", "--all", "--starred", "--undigested", "--feed", "nyt", "--tag", "news",
      "--since", "@1700000000", "--limit", "3", "--offset", "6"],
     ["stories", "--all", "--starred", "--undigested", "--feed", "nyt", "--tag", "news",
      "--since", "1700000000", "--limit", "3", "--offset", "6"]),
    (["items", "--story", "12", "--limit=2"], ["items", "--story", "12", "--limit", "2"]),
    (["show", "12"], ["show", "12"]),
    (["show", "--item", "345"], ["show", "--item", "345"]),
    (["read", "12", "13"], ["read", "12", "13"]),
    (["read", "--all", "--feed", "nyt", "--yes"], ["read", "--all", "--feed", "nyt"]),
    (["unread", "--item", "345"], ["unread", "--item", "345"]),
    (["star", "12"], ["star", "12"]),
    (["unstar", "--item", "7", "8"], ["unstar", "--item", "7", "8"]),
    (["search", "--offset", "2", "court", "ruling"], ["search", "--offset", "2", "court ruling"]),
    (["feeds"], ["feeds"]),
    (["feeds", "nyt"], ["feeds", "nyt"]),
    (["add", "https://x.example/rss", "--id", "x", "--name", "X Y", "--interval", "30m",
      "--tags", "a,b"],
     ["add", "--id", "x", "--name", "X Y", "--interval", "30m", "--tags", "a,b",
      "https://x.example/rss"]),
    (["remove", "nyt"], ["remove", "nyt"]),
    (["import", opml], ["import", str(len(body))]),
    (["export"], ["export"]),
    (["refresh"], ["refresh"]),
    (["refresh", "nyt"], ["refresh", "nyt"]),
    (["reload"], ["reload"]),
    (["stats"], ["stats"]),
    (["version"], ["version"]),
    (["digested", "7", "9"], ["digested", "7", "9"]),
    (["purge"], ["purge"]),
    (["purge", "--dry-run"], ["purge", "--dry-run"]),
    (["filters"], ["filters"]),
    (["filters", "test", "title", "~", "/^ad:/i", "--limit", "5"],
     ["filters", "--limit", "5", "test", "title ~ /^ad:/i"]),
    (["passwd", "--list"], ["passwd", "--list"]),
    (["passwd", "--remove", "alice"], ["passwd", "--remove", "alice"]),
    (["passwd", "--folded", "yes", "alice"], ["passwd", "--folded", "yes", "alice"]),
]
check({a[0] for a, _ in SENDS} == listed - CLIENT_ONLY, "every client command is tried below")
for args, words in SENDS:
    rc, out, err = herald(*args)
    check(rc == 0 and requests and words in [r[0] for r in requests],
          "herald %s sends %r: rc %d, sent %r %s" % (" ".join(args), words, rc, requests, err))
for name in sorted(listed):
    rc, out, err = herald(name, "--help")
    check(rc == 0 and out.startswith("usage: herald %s" % name) and not requests,
          "herald %s --help: rc %d %r" % (name, rc, out[:60]))
    rc, out2, err = herald("help", name)
    check(rc == 0 and out2 == out, "herald help %s is herald %s --help" % (name, name))

rc, out, err = herald("passwd", "alice", stdin=b"a secret pass\n")
check(rc == 0 and requests and requests[0][0] == ["passwd", "alice", "a secret pass"],
      "herald passwd USER sends the password read from standard input: %r" % requests)
rc, out, err = herald("passwd", stdin=b"")
check(rc == 2 and not requests, "herald passwd without USER: a usage error, nothing sent")

# Usage errors exit 2 and never connect.
for args in (["show", "abc"], ["show"], ["read"], ["read", "--all", "5"], ["read", "--feed", "x", "1"],
             ["stories", "--limit", "0"], ["stories", "--bogus"], ["frobnicate"], ["add", "ftp://x"],
             ["stories", "--since", "yesterdayish"], ["star", "0"], ["--color=sometimes", "feeds"],
             ["filters", "check", "x"], ["filters", "test"], []):
    rc, out, err = herald(*args)
    check(rc == 2 and not requests, "usage error for %r: rc %d, sent %r" % (args, rc, requests))
rc, out, err = herald("stories", "--limit")
check(rc == 2 and "needs a value" in err, "missing value message")
rc, out, err = herald("--help")
check(rc == 0 and "digested" in out and "Exit status" in out, "herald --help")
rc, out, err = herald("stories", "--help")
check(rc == 0 and "--undigested" in out and not requests, "herald stories --help")

# Daemon not running: exit 3 with a hint, for a missing or stale socket.
rc, out, err = herald("stories", env={"HERALD_SOCKET": os.path.join(tmp, "none.sock")})
check(rc == 3 and "heraldd -f" in err, "not running: %d %r" % (rc, err))
stale = os.path.join(tmp, "stale.sock")
s2 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s2.bind(stale)
s2.close()
rc, out, err = herald("--socket", stale, "feeds")
check(rc == 3, "stale socket: exit 3")

srv.close()
if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("client: all checks passed")
