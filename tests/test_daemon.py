#!/usr/bin/env python3
"""heraldd end to end against real servers on loopback (issue #4).

A private nginx serves fixture feeds (gzip, ETag, Last-Modified, redirects,
404, 500, 429) and tests/faultserver.py misbehaves (stall, endless body,
gzip bomb, redirect loop, garbage). The daemon runs with --once and in the
foreground with its socket; the database is read back with Python's sqlite3.
Exits 77 (skip) when nginx is missing.
"""

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

SRCDIR = os.environ.get("HERALD_SRCDIR", os.path.join(os.path.dirname(__file__), ".."))
BUILDDIR = os.environ.get("HERALD_BUILDDIR", ".")
sys.path.insert(0, os.path.join(SRCDIR, "tests"))
import daemonkit  # noqa: E402
import harness  # noqa: E402

HERALDD = os.path.join(BUILDDIR, "heraldd")
HERALD = os.path.join(BUILDDIR, "herald")
WRAP = os.environ.get("HERALD_TEST_WRAPPER", "").split()
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def rss(items, title="Fixture"):
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<rss version="2.0"><channel><title>%s</title>' % title,
           "<link>http://example.com/</link><description>fixture feed, padded so that "
           "nginx compresses it: %s</description>" % ("lorem ipsum " * 40)]
    for guid, head, body, day in items:
        out.append("<item><title>%s</title><guid>%s</guid><link>http://example.com/%s</link>"
                   "<description><![CDATA[<p>%s</p>]]></description>"
                   "<pubDate>%s Nov 2026 10:00:00 GMT</pubDate></item>"
                   % (head, guid, guid, body, day))
    out.append("</channel></rss>")
    return "\n".join(out)


ITEMS_A = [("a1", "Port strike ends after dockers accept offer", "Dockers voted to accept.", "20"),
           ("a2", "Storm warning for the west coast", "Gales expected tonight.", "21"),
           ("a3", "New tram line approved", "The council voted 31 to 12.", "22")]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def config(path, db, sock, feeds, extra=""):
    lines = ["database = %s" % db, "socket = %s" % sock, "interval = 1h", "min_interval = 60s",
             "timeout = 3s", "connect_timeout = 2s", "max_body = 1M", extra]
    for fid, url in feeds:
        lines += ["", '[feed "%s"]' % fid, "url = %s" % url]
    write(path, "\n".join(lines) + "\n")


def run_once(conf, timeout=60):
    p = subprocess.run(WRAP + [HERALDD, "--once", "-v", "-c", conf], capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stderr


def db_rows(db, sql, *args):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def feed_row(db, fid):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return con.execute("SELECT * FROM feeds WHERE id = ?", (fid,)).fetchone()
    finally:
        con.close()


def client(sock, *args):
    p = subprocess.run([HERALD, "--socket", sock, "--json"] + list(args), capture_output=True,
                       text=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError("herald %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return json.loads(p.stdout) if p.stdout.strip() else None


def wait_for(cond, timeout=15.0):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.1)
    return False


def once_tests(tmp, ng, fs):
    root = ng.root
    write(os.path.join(root, "a.xml"), rss(ITEMS_A, "Feed A"))
    write(os.path.join(root, "feed.xml"), rss([("m1", "Moved feed item", "x", "20")], "Moved"))
    db = os.path.join(tmp, "once.db")
    conf = os.path.join(tmp, "once.conf")
    feeds = [("a", ng.url("/a.xml")), ("moved", ng.url("/chain301")),
             ("temp", ng.url("/found302")), ("missing", ng.url("/missing.xml")),
             ("broken", ng.url("/error500")), ("limited", ng.url("/limited")),
             ("stall", fs.url("/stall")), ("endless", fs.url("/endless")),
             ("bomb", fs.url("/bomb")), ("loop", fs.url("/loop")),
             ("garbage", fs.url("/garbage")), ("tofile", fs.url("/tofile301"))]
    config(conf, db, os.path.join(tmp, "once.sock"), feeds)

    t0 = time.time()
    rc, log = run_once(conf)
    took = time.time() - t0
    check(rc == 2, "--once exits 2 when a feed failed (got %d)" % rc)
    check(took < 20, "--once with stalled servers ends by its timeouts (%.1f s)" % took)
    n = db_rows(db, "SELECT COUNT(*) FROM items WHERE feed = 'a'")[0][0]
    check(n == 3, "first poll stores the 3 items of feed a (got %d)" % n)
    a = feed_row(db, "a")
    check(a["last_status"] == 200 and a["etag"], "feed a: status 200, ETag stored")
    check(a["failures"] == 0 and not a["last_error"], "feed a: no failure recorded")
    lines = [l for l in ng.access_lines() if '"/a.xml"' in l]
    check(lines and "gzip" in lines[0], "the request offers gzip (Accept-Encoding)")
    check(lines and "bytes=" in lines[0] and
          int(lines[0].split("bytes=")[1].split()[0]) < len(rss(ITEMS_A, "Feed A")),
          "nginx sent the body compressed and it was decoded")
    m = feed_row(db, "moved")
    # The move is recorded (moved_url), then feeds.conf is rewritten and
    # reloaded (url), unless --once stopped before the reload ended.
    check(ng.url("/feed.xml") in (m["moved_url"], m["url"]),
          "301+308 chain records the new URL (%r, %r)" % (m["url"], m["moved_url"]))
    check("moved permanently" in log, "the move is logged")
    check("url = %s\n" % ng.url("/feed.xml") in open(conf).read() and
          "url = %s\n" % ng.url("/chain301") not in open(conf).read(),
          "301+308 chain: feeds.conf has the new URL")
    check("feed moved: url = %s written to %s" % (ng.url("/feed.xml"), conf) in log,
          "the rewrite is logged")
    t = feed_row(db, "temp")
    check(t["moved_url"] is None and t["last_status"] == 200 and t["url"] == ng.url("/found302"),
          "a 302 does not move the feed")
    check("url = %s\n" % ng.url("/found302") in open(conf).read(),
          "a 302 leaves feeds.conf alone")
    check("feed temp: moved" not in log and "feed temp: url" not in log,
          "a 302 logs no move")
    for fid, code in (("missing", 404), ("broken", 500)):
        r = feed_row(db, fid)
        check(r["last_status"] == code and r["failures"] == 1 and "HTTP %d" % code in
              (r["last_error"] or ""), "%s: HTTP %d recorded with one failure" % (fid, code))
        check(r["next_poll"] - r["last_poll"] >= 2 * 3600 * 0.9 - 60,
              "%s: backoff doubles the 1 h interval" % fid)
    lim = feed_row(db, "limited")
    check(lim["last_status"] == 429 and lim["next_poll"] - lim["last_poll"] >= 120,
          "429: Retry-After honoured")
    for fid, words in (("stall", ("timeout", "timed out")), ("endless", ("larger", "too big")),
                       ("bomb", ("larger", "too big")), ("loop", ("redirect",)),
                       ("garbage", ("",)), ("tofile", ("file", "protocol", "redirect"))):
        r = feed_row(db, fid)
        err = (r["last_error"] or "").lower()
        check(r["failures"] == 1 and err and any(w in err for w in words),
              "%s: a clear error (%r)" % (fid, r["last_error"]))
        check(db_rows(db, "SELECT COUNT(*) FROM items WHERE feed = ?", fid)[0][0] == 0,
              "%s: nothing half-stored" % fid)
        check(("feed %s (" % fid) in log, "%s: one log line names the feed" % fid)

    # Second poll: validators sent, 304, no duplicate.
    rc, log = run_once(conf)
    lines = [l for l in ng.access_lines() if '"/a.xml"' in l]
    check(len(lines) == 2 and lines[1].startswith("304") and 'inm=""' not in lines[1],
          "second poll sends If-None-Match and gets 304 (%s)" % (lines[-1] if lines else "-"))
    check("ims=\"-\"" not in lines[1] and "ims=\"\"" not in lines[1],
          "second poll sends If-Modified-Since")
    n = db_rows(db, "SELECT COUNT(*) FROM items WHERE feed = 'a'")[0][0]
    check(n == 3, "a 304 stores nothing new (%d items)" % n)
    lines = [l for l in ng.access_lines() if '"/feed.xml"' in l]
    check(any("chain301" in l for l in ng.access_lines()) and
          sum(1 for l in ng.access_lines() if '"/chain301"' in l) == 1,
          "the moved feed is polled at its new URL")
    m = feed_row(db, "moved")
    check(m["url"] == ng.url("/feed.xml") and m["moved_url"] is None,
          "the database's url is the new one (%r, %r)" % (m["url"], m["moved_url"]))
    check(lines and lines[-1].startswith("304"),
          "the moved feed keeps the new URL's validators across the rewrite (%s)"
          % (lines[-1] if lines else "-"))
    check(db_rows(db, "SELECT COUNT(*) FROM items WHERE feed = 'moved'")[0][0] == 1,
          "the moved feed stores its item once")
    return db


def daemon_tests(tmp, ng, fs):
    root = ng.root
    write(os.path.join(root, "d.xml"), rss(ITEMS_A, "Feed D"))
    write(os.path.join(root, "e.xml"), rss([("e1", "Another outlet's story", "text", "20")]))
    db = os.path.join(tmp, "d.db")
    sock = os.path.join(tmp, "run", "d.sock")
    conf = os.path.join(tmp, "d.conf")
    config(conf, db, sock, [("d", ng.url("/d.xml"))])
    log = open(os.path.join(tmp, "daemon.log"), "w+")
    proc = subprocess.Popen(WRAP + [HERALDD, "-f", "-v", "-c", conf], stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        check(wait_for(lambda: os.path.exists(sock)), "daemon listens on its socket")
        check(wait_for(lambda: len(client(sock, "items", "--all")) == 3), "daemon polls and stores")
        items = {i["title"]: i for i in client(sock, "items", "--all")}
        first = items["Port strike ends after dockers accept offer"]
        client(sock, "read", "--item", str(first["id"]))
        client(sock, "star", "--item", str(first["id"]))
        # The feed changes: a1 edited, a4 new.
        edited = [("a1", ITEMS_A[0][1], "Dockers voted 80% to accept the offer.", "20")]
        write(os.path.join(root, "d.xml"),
              rss(edited + ITEMS_A[1:] + [("a4", "Ferry timetable cut", "Winter.", "23")]))
        client(sock, "refresh", "d")
        check(wait_for(lambda: len(client(sock, "items", "--all")) == 4), "refresh polls now")
        # Through the daemon: its batch of responses commits a moment later.
        row = [i for i in client(sock, "items", "--all") if i["link"] == "http://example.com/a1"][0]
        check(row["read"] and row["starred"], "an edited item keeps its read and starred marks")
        check("80%" in client(sock, "show", "--item", str(row["id"]))["text"],
              "an edited item's text is updated")
        check(wait_for(lambda: "80%" in db_rows(
            db, "SELECT summary_text FROM items WHERE link = 'http://example.com/a1'")[0][0], 2.0),
              "the batch is committed within a moment")

        # SIGHUP with an added feed.
        config(conf, db, sock, [("d", ng.url("/d.xml")), ("e", ng.url("/e.xml"))])
        proc.send_signal(signal.SIGHUP)
        check(wait_for(lambda: any(f["id"] == "e" and f["status"] == "200"
                                   for f in client(sock, "feeds"))),
              "SIGHUP: an added feed starts and is polled")
        # SIGHUP with a broken config: refused, the old one keeps running.
        write(conf, open(conf).read() + "\nintreval = 5m\n")
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        log.flush()
        check(proc.poll() is None, "a bad config on SIGHUP does not stop the daemon")
        check("unknown key 'intreval'" in open(log.name).read(), "the bad config's error is logged")
        check(len(client(sock, "feeds")) == 2, "the running configuration stays")

        # SIGTERM during a slow transfer: clean exit within 5 s, DB intact.
        config(conf, db, sock, [("d", ng.url("/d.xml")), ("drip", fs.url("/drip"))])
        proc.send_signal(signal.SIGHUP)
        check(wait_for(lambda: any(f["id"] == "drip" for f in client(sock, "feeds"))),
              "the slow feed is configured")
        client(sock, "refresh", "drip")
        time.sleep(1.0)
        t0 = time.time()
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc == 0, "SIGTERM mid-transfer: exit 0 within 5 s (rc %r, %.1f s)"
              % (rc, time.time() - t0))
        check(not os.path.exists(sock), "the socket file is removed on exit")
        check(db_rows(db, "PRAGMA integrity_check")[0][0] == "ok", "the database is intact")
        check(db_rows(db, "SELECT COUNT(*) FROM items WHERE feed = 'drip'")[0][0] == 0,
              "the interrupted response stored nothing")
        check(db_rows(db, "SELECT COUNT(*) FROM items WHERE story_id IS NULL")[0][0] == 0,
              "every item belongs to a story")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def rfc822(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(t))


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def releases_atom(releases):
    """GitHub's releases feed: entries carry <updated> and no <published>."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<feed xmlns="http://www.w3.org/2005/Atom"><title>Release notes from herald</title>'
           "<id>tag:github.com,2008:https://github.com/herald/herald/releases</id>"
           "<updated>%s</updated>" % iso(max(t for _, t in releases))]
    for ver, t in releases:
        out.append('<entry><id>tag:github.com,2008:Repository/1/v%s</id><updated>%s</updated>'
                   '<link rel="alternate"'
                   ' href="https://github.com/herald/herald/releases/tag/v%s"/>'
                   "<title>herald %s released</title><content type=\"html\">&lt;p&gt;herald %s"
                   " is out: bug fixes and faster folding.&lt;/p&gt;</content></entry>"
                   % (ver, iso(t), ver, ver, ver))
    out.append("</feed>")
    return "\n".join(out)


def undated_rss(built, items):
    """An RSS feed whose items carry no date; the channel has a lastBuildDate."""
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           "<rss version=\"2.0\"><channel><title>Undated</title><link>http://example.com/</link>"
           "<description>d</description><lastBuildDate>%s</lastBuildDate>" % rfc822(built)]
    for guid, head in items:
        out.append("<item><title>%s</title><guid>%s</guid></item>" % (head, guid))
    out.append("</channel></rss>")
    return "\n".join(out)


def dates_tests(tmp, ng):
    """Issue 22, true dates: an Atom entry with only <updated> is dated by it and
    shown with when heraldd first saw it; releases months apart are two
    stories; a first poll's undated backlog takes the feed's lastBuildDate, a
    later undated item the time it was first seen."""
    now = int(time.time())
    t13, t12 = now - 30 * 86400, now - 122 * 86400
    built = now - 10 * 86400
    write(os.path.join(ng.root, "releases.atom"), releases_atom([("1.3.0", t13), ("1.2.0", t12)]))
    write(os.path.join(ng.root, "undated.xml"),
          undated_rss(built, [("u1", "Backlog item one"), ("u2", "Backlog item two")]))
    db = os.path.join(tmp, "dates.db")
    sock = os.path.join(tmp, "dates.sock")
    conf = os.path.join(tmp, "dates.conf")
    config(conf, db, sock, [("releases", ng.url("/releases.atom")),
                            ("undated", ng.url("/undated.xml"))])
    log = open(os.path.join(tmp, "dates.log"), "w+")
    proc = subprocess.Popen(WRAP + [HERALDD, "-f", "-v", "-c", conf], stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        check(wait_for(lambda: os.path.exists(sock)), "dates: daemon listens")
        check(wait_for(lambda: len(client(sock, "items", "--all")) == 4),
              "dates: both feeds stored")
        items = {i["title"]: i for i in client(sock, "items", "--all")}
        r12, r13 = items["herald 1.2.0 released"], items["herald 1.3.0 released"]
        check(r12["published"] == t12 and r12["time"] == t12 and r13["time"] == t13,
              "updated-only Atom entries are dated by <updated> (%r)" % r12)
        check(abs(r12.get("first_seen", 0) - now) < 120, "...and first_seen is when it was fetched")
        check(r12["story"] != r13["story"], "releases 3 months apart are two stories")
        one = client(sock, "show", "--item", str(r12["id"]))
        check(one["published"] == t12 and abs(one.get("first_seen", 0) - now) < 120,
              "show --item --json: published and first_seen (%r)" % one)
        p = subprocess.run([HERALD, "--socket", sock, "show", "--item", str(r12["id"])],
                           capture_output=True, text=True, timeout=30)
        day = time.strftime("%Y-%m-%d", time.localtime(t12))
        check(p.returncode == 0 and re.search(r"published %s · first seen (just now|\d+m ago)"
                                              % day, p.stdout),
              "show --item: the release's date and when it was first seen (%r)" % p.stdout)
        story = client(sock, "show", "s%d" % r12["story"])
        e = story["entries"][0]
        check(story["items"] == 1 and e["published"] == t12 and e["time"] == t12
              and abs(e.get("first_seen", 0) - now) < 120,
              "show STORY --json: its item's published, time and first_seen (%r)" % e)

        b1 = items["Backlog item one"]
        check(b1["published"] == built and b1["time"] == built and items["Backlog item two"]["time"]
              == built, "a first poll's undated items take the lastBuildDate (%r)" % b1)
        # A later poll: a new undated item is dated by when it was first seen.
        write(os.path.join(ng.root, "undated.xml"),
              undated_rss(now, [("u3", "Fresh undated item"), ("u1", "Backlog item one"),
                                ("u2", "Backlog item two")]))
        client(sock, "refresh", "undated")
        check(wait_for(lambda: len(client(sock, "items", "--all")) == 5), "dates: refresh stores")
        items = {i["title"]: i for i in client(sock, "items", "--all")}
        fresh = items["Fresh undated item"]
        check(fresh["published"] == 0 and fresh["time"] == fresh.get("first_seen", 0)
              and fresh.get("first_seen", 0) >= now,
              "a later undated item: first_seen (%r)" % fresh)
        check(items["Backlog item one"]["time"] == built, "the backlog keeps its date")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# /sw/NAME.xml serves the file sw/NAME.xml, until sw/NAME.301 (or .302)
# exists: then it redirects to /NAME-new.xml with that status.
SWITCH = r"""
        location ~ ^/sw/(?<swname>[a-z0-9]+)\.xml$ {
            if (-f $document_root/sw/$swname.301) { return 301 /$swname-new.xml; }
            if (-f $document_root/sw/$swname.302) { return 302 /$swname-new.xml; }
        }
"""


def doc(title, items):
    """A feed of (guid, title) items, guids not permalinks: a relative
    permalink guid resolves against the feed's URL, which a move changes."""
    return daemonkit.rss(title, [{"guid": g, "link": "http://example.com/" + g, "title": t,
                                "body": "Report on %s." % t, "date":
                                "%02d Nov 2026 10:00:00 GMT" % (10 + i)}
                               for i, (g, t) in enumerate(items)])


def polls(ng, path):
    return sum(1 for l in ng.access_lines() if '"%s"' % path in l)


def dup_guids(db):
    return db_rows(db, "SELECT feed, guid FROM items GROUP BY feed, guid HAVING COUNT(*) > 1")


def empty_stories(db):
    return db_rows(db, "SELECT COUNT(*) FROM stories s WHERE merged_into IS NULL AND"
                   " (SELECT COUNT(*) FROM items i WHERE i.story_id = s.id) = 0")[0][0]


def moved_tests(tmp, ng):
    """Issue 22, moved feeds: a 301 rewrites the feed's url in feeds.conf (and
    the database) and the feed goes on with its id, items, marks and
    validators; a 302 changes nothing; a 301 onto a feed already subscribed
    merges the two (one row per guid, the marks of both) and takes the moved
    one's section out of feeds.conf. With feeds.conf not editable, the
    database still merges, the merged feed is not polled again, and the next
    start finishes the edit."""
    root = ng.root
    sw = os.path.join(root, "sw")
    os.makedirs(sw, exist_ok=True)
    items_a = [("ma1", "Canal lock repaired after flood"),
               ("ma2", "Library extends its opening hours")]
    write(os.path.join(sw, "ma.xml"), doc("Feed MA", items_a))
    write(os.path.join(root, "ma-new.xml"),
          doc("Feed MA", items_a + [("ma3", "Bakery wins a national prize")]))
    items_t = [("mt1", "Market moves indoors for winter")]
    write(os.path.join(sw, "mt.xml"), doc("Feed MT", items_t))
    write(os.path.join(root, "mt-new.xml"),
          doc("Feed MT", items_t + [("mt2", "Chess club opens in the old school")]))
    x = {"x1": "Orchestra returns to the concert hall", "x2": "Lighthouse keeper retires",
         "x3": "Cyclists ride the new coastal path", "x4": "Swimming pool reopens next week"}
    write(os.path.join(sw, "mc.xml"), doc("Feed MC", [(g, x[g]) for g in ("x1", "x2", "x3")]))
    write(os.path.join(root, "mc-new.xml"),
          doc("Feed MB", [(g, x[g]) for g in ("x2", "x3", "x4")]))
    db = os.path.join(tmp, "mv.db")
    sock = os.path.join(tmp, "mv.sock")
    conf = os.path.join(tmp, "mv.conf")
    head = ("database = %s\nsocket = %s\ninterval = 1h\nmin_interval = 60s\ntimeout = 5s\n"
            "connect_timeout = 2s\n"
            "# moved feeds: a 301, a 302, and a 301 onto feed mb's URL\n" % (db, sock))
    sec_a = '\n[feed "ma"]\nurl = %s   # will move\nname = Moved A\n'
    sec_t = '\n[feed "mt"]\n# moves for a while only\nurl = %s\n' % ng.url("/sw/mt.xml")
    sec_c = '\n[feed "mc"]\nurl = %s\n' % ng.url("/sw/mc.xml")
    sec_b = '\n[feed "mb"]\nurl = %s\n' % ng.url("/mc-new.xml")
    write(conf, head + sec_a % ng.url("/sw/ma.xml") + sec_t + sec_c + sec_b)
    log = open(os.path.join(tmp, "mv.log"), "w+")
    proc = subprocess.Popen(WRAP + [HERALDD, "-f", "-v", "-c", conf], stdout=log,
                            stderr=subprocess.STDOUT)
    logtext = lambda: open(log.name).read()
    by_link = lambda: {i["link"].rsplit("/", 1)[1]: i for i in client(sock, "items", "--all")}
    try:
        check(wait_for(lambda: os.path.exists(sock)), "moved: daemon listens")
        check(wait_for(lambda: len(client(sock, "items", "--all")) == 2 + 1 + 3 + 3),
              "moved: every feed polled")
        before = by_link()
        mc = {i["link"].rsplit("/", 1)[1]: i["id"] for i in client(sock, "items", "--all",
                                                                   "--feed", "mc")}
        # Marks on the feed that will move: x1 is its own, x2 and x3 mb has too.
        client(sock, "read", "--item", str(mc["x1"]))
        client(sock, "read", "--item", str(mc["x2"]))
        client(sock, "star", "--item", str(mc["x3"]))
        for name, code in (("ma", 301), ("mt", 302), ("mc", 301)):
            write(os.path.join(sw, "%s.%d" % (name, code)), "")
        client(sock, "refresh")
        new_a = ng.url("/ma-new.xml")
        check(wait_for(lambda: '[feed "mc"]' not in open(conf).read() and
                       new_a in open(conf).read()), "moved: feeds.conf rewritten")
        # (1) the 301: one line changes, every other byte stays.
        text = open(conf).read()
        check(text == head + sec_a % new_a + sec_t + sec_b,
              "301: only the url line changes, its comment kept; mc's section goes:\n" + text)
        check("feed ma: moved permanently: %s -> %s" % (ng.url("/sw/ma.xml"), new_a) in logtext()
              and "feed ma: url = %s written to %s" % (new_a, conf) in logtext(),
              "301: the move and the rewrite are logged")
        check(wait_for(lambda: [(f["url"], f["moved_to"]) for f in client(sock, "feeds")
                                if f["id"] == "ma"] == [(new_a, "")]),
              "301: the feed's url is the new one after the reload")
        check(wait_for(lambda: feed_row(db, "ma")["url"] == new_a), "301: so is the database's")
        check(wait_for(lambda: "mt2" in by_link()), "302: the new item is stored")
        now = by_link()
        check(all(now[g]["id"] == before[g]["id"] and now[g]["feed"] == "ma"
                  for g in ("ma1", "ma2")) and now.get("ma3", {}).get("feed") == "ma",
              "301: the feed keeps its id and items, and stores the new URL's")
        # (2) the 302: nothing changes.
        t = [f for f in client(sock, "feeds") if f["id"] == "mt"][0]
        check(t["url"] == ng.url("/sw/mt.xml") and t["moved_to"] == "" and
              feed_row(db, "mt")["moved_url"] is None and "mt2" in now,
              "302: the feed is polled through it and not moved")
        check("feed mt: moved" not in logtext() and "feed mt: url" not in logtext(),
              "302: no move is logged")
        # (3) the 301 onto mb's URL: one feed with the union of items.
        check(wait_for(lambda: "feed mc: removed from %s" % conf in logtext()),
              "merge: the section's removal is logged")
        check("feed mc: merged into feed mb: " in logtext(), "merge: the merge is logged")
        rows = db_rows(db, "SELECT guid, feed, read, starred FROM items WHERE guid LIKE 'x%'"
                       " ORDER BY guid")
        check(rows == [("x1", "mb", 1, 0), ("x2", "mb", 1, 0), ("x3", "mb", 0, 1),
                       ("x4", "mb", 0, 0)],
              "merge: each guid once, in mb, with the marks made on mc (%s)" % rows)
        fm = {f["id"]: f for f in client(sock, "feeds")}
        check(fm.get("mc", {}).get("merged_into") == "mb" and not fm["mc"]["active"] and
              fm["mc"]["items"] == 0 and fm["mb"]["items"] == 4,
              "merge: herald feeds says mc was merged into mb (%s)" % fm.get("mc"))
        p = subprocess.run([HERALD, "--socket", sock, "--width", "120", "feeds"],
                           capture_output=True, text=True)
        check(re.search(r"^mc .*\(merged into mb\)$", p.stdout, re.M) is not None,
              "merge: the human listing too:\n" + p.stdout)
        check(empty_stories(db) == 0 and db_rows(
            db, "SELECT COUNT(*) FROM items WHERE story_id IS NULL")[0][0] == 0,
              "merge: every item in a story, no story left empty")
        # Further polls: no duplicates, the merged feed is polled no more.
        mc_polls, ma_polls, mb_polls = (polls(ng, "/sw/mc.xml"), polls(ng, "/ma-new.xml"),
                                        polls(ng, "/mc-new.xml"))
        n = len(client(sock, "items", "--all"))
        client(sock, "refresh")
        check(wait_for(lambda: polls(ng, "/ma-new.xml") > ma_polls and
                       polls(ng, "/mc-new.xml") > mb_polls), "further polls ran")
        time.sleep(0.5)
        check(len(client(sock, "items", "--all")) == n and not dup_guids(db),
              "further polls: no duplicate items (%s)" % dup_guids(db))
        check(polls(ng, "/sw/mc.xml") == mc_polls, "the merged feed is not polled again")
        last = [l for l in ng.access_lines() if '"/ma-new.xml"' in l][-1]
        check(last.startswith("304") and 'inm=""' not in last,
              "the moved feed kept its validators across the rewrite (%s)" % last)
        moved_unwritable(tmp, ng, proc, conf, db, sock, log)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def moved_unwritable(tmp, ng, proc, conf, db, sock, log):
    """feeds.conf cannot be edited (it no longer parses): the move and the
    merge happen in the database, the log says what is left to do, and the
    next start, with the file fixed, does it."""
    root = ng.root
    sw = os.path.join(root, "sw")
    write(os.path.join(sw, "pa.xml"),
          doc("PA", [("p1", "Harbour crane toppled"), ("p2", "Ferry fares frozen")]))
    write(os.path.join(root, "pa-new.xml"),
          doc("PB", [("p2", "Ferry fares frozen"), ("p3", "Quay cafe opens")]))
    # ra moves without changing: nginx's ETag (mtime and size) is the
    # same at the new URL, which answers the old one's with a 304.
    for path in (os.path.join(sw, "ra.xml"), os.path.join(root, "ra-new.xml")):
        write(path, doc("RA", [("r1", "Allotments get water")]))
        os.utime(path, (1700000000, 1700000000))
    good = open(conf).read() + "".join('\n[feed "%s"]\nurl = %s\n' % (fid, ng.url(path))
                                       for fid, path in (("pa", "/sw/pa.xml"),
                                                         ("pb", "/pa-new.xml"),
                                                         ("ra", "/sw/ra.xml")))
    write(conf, good)
    proc.send_signal(signal.SIGHUP)
    check(wait_for(lambda: len(client(sock, "items", "--all", "--feed", "pa")) == 2 and
                   len(client(sock, "items", "--all", "--feed", "pb")) == 2 and
                   len(client(sock, "items", "--all", "--feed", "ra")) == 1),
          "unwritable: the new feeds are polled")
    write(conf, good + "bogus = 1\n")
    write(os.path.join(sw, "pa.301"), "")
    write(os.path.join(sw, "ra.301"), "")
    client(sock, "refresh", "pa")
    client(sock, "refresh", "ra")
    logtext = lambda: open(log.name).read()
    check(wait_for(lambda: "feed pa: merged into feed pb, but its section stays in %s" % conf
                   in logtext() and "feed ra: moved, but %s keeps its old url" % conf
                   in logtext()), "unwritable: the log says what could not be written")
    check(open(conf).read() == good + "bogus = 1\n", "unwritable: feeds.conf untouched")
    rows = db_rows(db, "SELECT guid, feed FROM items WHERE guid LIKE 'p%' ORDER BY guid")
    check(rows == [("p1", "pb"), ("p2", "pb"), ("p3", "pb")],
          "unwritable: the database merged all the same (%s)" % rows)
    check(wait_for(lambda: feed_row(db, "ra")["moved_url"] == ng.url("/ra-new.xml")),
          "unwritable: the database keeps the move")
    last = [l for l in ng.access_lines() if '"/ra-new.xml"' in l]
    check(last and last[-1].startswith("304") and
          wait_for(lambda: bool(feed_row(db, "ra")["etag"])),
          "a move answered with a 304 is a move, and keeps its validators (%s)"
          % (last[-1] if last else "-"))
    pa_polls = polls(ng, "/pa-new.xml")
    client(sock, "refresh", "pa")
    time.sleep(1.0)
    check(polls(ng, "/pa-new.xml") == pa_polls, "unwritable: the merged feed is not polled again")
    proc.send_signal(signal.SIGTERM)
    check(proc.wait(timeout=10) == 0, "unwritable: the daemon stops")

    # The file fixed by hand, the daemon started again: at their next turn
    # the edits are made.
    write(conf, good)
    proc2 = subprocess.Popen(WRAP + [HERALDD, "-f", "-v", "-c", conf], stdout=log,
                             stderr=subprocess.STDOUT)
    try:
        check(wait_for(lambda: os.path.exists(sock)), "restart: daemon listens")
        ra_polls = polls(ng, "/ra-new.xml")
        client(sock, "refresh", "pa")
        client(sock, "refresh", "ra")
        check(wait_for(lambda: '[feed "pa"]' not in open(conf).read() and
                       "url = %s\n" % ng.url("/ra-new.xml") in open(conf).read()),
              "restart: feeds.conf gets the move and loses the merged feed")
        check("[feed \"pb\"]" in open(conf).read() and "[feed \"ma\"]" in open(conf).read(),
              "restart: the other sections stay")
        check(wait_for(lambda: polls(ng, "/ra-new.xml") > ra_polls),
              "restart: the moved feed is polled at its new URL")
        check(polls(ng, "/pa-new.xml") == pa_polls, "restart: the merged feed is not polled")
        check(not dup_guids(db) and empty_stories(db) == 0, "restart: no duplicates")
    finally:
        proc2.send_signal(signal.SIGTERM)
        try:
            proc2.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc2.kill()
            proc2.wait()


class Wire:
    """A raw protocol connection (docs/protocol.md): requests are lines, an
    answer is records of "key: value" lines ended by OK or ERR."""

    def __init__(self, path):
        import socket
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.f = self.s.makefile("rb")
        self.f.readline()  # greeting

    def ask(self, line):
        self.s.sendall(line.encode() + b"\n")
        fields = {}
        while True:
            ln = self.f.readline().decode()
            if not ln:
                raise RuntimeError("daemon closed the socket")
            if ln.startswith("OK") or ln.startswith("ERR"):
                return ln.strip(), fields
            if ": " in ln:
                k, v = ln.rstrip("\n").split(": ", 1)
                fields[k] = v

    def close(self):
        self.s.close()


def per_host_tests(tmp, fs):
    """Ten slow feeds (1 s each) on one host, two at a time, with a 3 s
    timeout: curl would queue the rest itself and count their timeouts from
    then on (curl/curl#4486); the daemon hands it only what can start."""
    db = os.path.join(tmp, "host.db")
    conf = os.path.join(tmp, "host.conf")
    config(conf, db, os.path.join(tmp, "host.sock"),
           [("s%d" % i, fs.url("/slow?%d" % i)) for i in range(10)],
           "max_connections = 8\nmax_per_host = 2")
    rc, err = run_once(conf)
    failed = [ln for ln in err.splitlines() if "warning" in ln]
    check(rc == 0 and not failed, "per host: 10 slow feeds, 2 at a time, none times out (%s)"
          % (failed[:1] or rc))
    check(db_rows(db, "SELECT COUNT(*) FROM items")[0][0] == 10, "per host: all 10 stored")


def big_response_tests(tmp, ng):
    """A large response is stored on the worker thread: meanwhile `version`
    is answered, and a client reading the store sees all of it or none."""
    n = 2500
    items = [("b%d" % i, "Headline number %d about topic %d" % (i, i % 97),
              "Body text %d with a few words in it." % i, str(1 + i % 28)) for i in range(n)]
    write(os.path.join(ng.root, "big.xml"), rss(items, "Big"))
    db = os.path.join(tmp, "big.db")
    sock = os.path.join(tmp, "big.sock")
    conf = os.path.join(tmp, "big.conf")
    # The shared config's 3 s timeout is for the stall tests; parsing 650 KB
    # under ASan on a busy machine may take longer.
    write(conf, "database = %s\nsocket = %s\ninterval = 1h\ntimeout = 60s\n\n"
          "[feed \"big\"]\nurl = %s\n" % (db, sock, ng.url("/big.xml")))
    log = open(os.path.join(tmp, "big.log"), "w+")
    proc = subprocess.Popen(WRAP + [HERALDD, "-f", "-v", "-c", conf], stdout=log,
                            stderr=subprocess.STDOUT)
    seen, versions, bad = set(), 0, []
    try:
        check(wait_for(lambda: os.path.exists(sock)), "big: daemon listens")
        w = Wire(sock)
        end = time.time() + 60
        while time.time() < end:
            st, _ = w.ask("version")
            versions += st == "OK"
            st, fields = w.ask("stats")
            if st != "OK":
                bad.append(st)
                break
            seen.add(int(fields["items"]))
            if int(fields["items"]) == n:
                break
        w.close()
        check(not bad and seen <= {0, n} and n in seen,
              "a client sees a large response whole or not at all (counts seen: %s %s)"
              % (sorted(seen)[:5], bad))
        check(versions >= 1, "version is answered while storing")
        check(db_rows(db, "SELECT COUNT(*) FROM items WHERE story_id IS NULL")[0][0] == 0,
              "big: every item belongs to a story")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def main():
    if not os.access(HERALDD, os.X_OK):
        print("heraldd not built at %s" % HERALDD)
        return 1
    if harness.find_nginx() is None:
        print("SKIP: nginx not installed (apt-get install nginx-light)")
        return 77
    for k in list(os.environ):
        if k.lower().endswith("_proxy"):
            del os.environ[k]
    tmp = tempfile.mkdtemp(prefix="herald-daemon-")
    root = os.path.join(tmp, "www")
    os.mkdir(root)
    try:
        with harness.Nginx(root, SWITCH) as ng, harness.FaultServer() as fs:
            once_tests(tmp, ng, fs)
            daemon_tests(tmp, ng, fs)
            dates_tests(tmp, ng)
            moved_tests(tmp, ng)
            big_response_tests(tmp, ng)
            per_host_tests(tmp, fs)
    finally:
        if not os.environ.get("HERALD_KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
