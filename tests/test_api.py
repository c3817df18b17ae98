#!/usr/bin/env python3
"""Issue #24 end to end: the Google Reader API served by heraldd.

A daemon on loopback (http_listen on a free port) reads file:// feeds: two
outlets that carry the same stories (they fold) and one large feed of
10,000 items. Everything is asked with a real HTTP client (Python's
http.client) as the apps ask it, and checked against the documented shapes
(docs/api.md) and against what `herald` itself says: logins and tokens,
every endpoint and parameter, continuation paging through 10,000 items,
marks both ways, folded stories, the Atom form, and bad input of every kind
(wrong passwords, stale T tokens, malformed ids, oversized requests, slow
clients, 1,000 connections at once). Standard library only.
"""

import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemonkit as dk  # noqa: E402
import harness  # noqa: E402

BIG = int(os.environ.get("HERALD_API_BIG", "10000"))
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
READING = "user/-/state/com.google/reading-list"
class Counted(dk.Checks):
    def __init__(self):
        super().__init__()
        self.passed = 0

    def __call__(self, cond, what):
        self.passed += bool(cond)
        return super().__call__(cond, what)


ok = Counted()

WORDS = ("volcano harbour senate comet glacier tariff orchestra satellite marathon vaccine "
         "election bridge museum drought pipeline festival reactor treaty archive lighthouse "
         "earthquake summit rocket cathedral currency").split()


def story_title(k):
    w = [WORDS[(k * 7 + j * 3) % len(WORDS)] for j in range(5)]
    return "The %s %s near %s as %s meets %s (%d)" % (*w, k)


def bulletin_title(k):
    """Words of its own for each bulletin, so that none fold together."""
    rnd = random.Random(k)
    return " ".join("".join(rnd.choice("bcdfghjklmnpqrstvwz") + rnd.choice("aeiou")
                            for _ in range(3)) for _ in range(5))


def rfc822(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(t))


class Api:
    """One app: a keep-alive connection and its session."""

    def __init__(self, port):
        self.port = port
        self.auth = None
        self.t = None
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)

    def request(self, method, path, params=None, body=None, auth=True, headers=None):
        h = dict(headers or {})
        if auth and self.auth:
            h["Authorization"] = "GoogleLogin auth=" + self.auth
        if params:
            path += ("&" if "?" in path else "?") + urllib.parse.urlencode(params, doseq=True)
        if isinstance(body, (dict, list)):
            body = urllib.parse.urlencode(body, doseq=True)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                return r.status, r.read(), r
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
                if attempt:
                    raise
        return None

    def get_json(self, path, params=None):
        st, body, _ = self.request("GET", "/reader/api/0/" + path, params)
        return st, (json.loads(body) if st == 200 else body)

    def post(self, path, form):
        form = list(form.items()) if isinstance(form, dict) else list(form)
        return self.request("POST", "/reader/api/0/" + path, body=form + [("T", self.t)])

    def login(self, user, pw):
        st, body, _ = self.request("POST", "/accounts/ClientLogin",
                                   body={"Email": user, "Passwd": pw}, auth=False)
        if st == 200:
            m = re.search(rb"^Auth=(\S+)$", body, re.M)
            self.auth = m.group(1).decode() if m else None
            st2, t, _ = self.request("GET", "/reader/api/0/token")
            self.t = t.decode().strip() if st2 == 200 else None
        return st, body


def herald(sock, *args, stdin=None):
    p = subprocess.run(dk.WRAP + [dk.HERALD, "--socket", sock] + list(args), input=stdin,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def herald_json(sock, *args):
    rc, out, err = herald(sock, "--json", *args)
    return json.loads(out) if rc == 0 else None


def write_feeds(d, now):
    """Two outlets of 12 stories (the first 8 shared), and the big feed."""
    a = [dict(guid="a%d" % k, link="http://a.example/%d" % k, title=story_title(k),
              body="Outlet A on story %d. " % k + story_title(k), date=rfc822(now - 3600 * (k + 1)))
         for k in range(12)]
    b = [dict(guid="b%d" % k, link="http://b.example/%d" % k, title=story_title(k),
              body="Outlet B reports story %d. " % k + story_title(k),
              date=rfc822(now - 3600 * (k + 1) + 600))
         for k in list(range(8)) + list(range(100, 104))]
    big = [dict(guid="c%d" % k, link="http://c.example/%d" % k,
                title=bulletin_title(k),
                body="Numbered bulletin %d" % k, date=rfc822(now - 86400 * 3 - 60 * k))
           for k in range(BIG)]
    dk.write_atomic(os.path.join(d, "a.xml"), dk.rss("Outlet A", a))
    dk.write_atomic(os.path.join(d, "b.xml"), dk.rss("Outlet B", b))
    dk.write_atomic(os.path.join(d, "c.xml"), dk.rss("Bulletins", big))
    return len(a), len(b), len(big)


def raw_request(port, data, read=True, timeout=5):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass
        if not read:
            return b""
        try:
            return s.recv(4096)
        except OSError as e:
            return repr(e).encode()


def all_pages(api, path, params, key):
    """Every page of a stream, following continuations; the list of ids."""
    ids, c, pages = [], None, 0
    while True:
        p = dict(params)
        if c:
            p["c"] = c
        st, js = api.get_json(path, p)
        if st != 200:
            return None, pages
        ids += [x["id"] for x in js[key]]
        pages += 1
        c = js.get("continuation")
        if not c or pages > 100000:
            return ids, pages


def check_logins(api, sock, port, log_path):
    rc, _, err = herald(sock, "passwd", "alice", stdin="short\n")
    ok(rc != 0 and "8 to 1024" in err, "passwd: a short password is refused: %s" % err.strip())
    rc, _, err = herald(sock, "passwd", "bad name", stdin="longenough\n")
    ok(rc != 0 and "no spaces" in err, "passwd: a name with a space is refused")
    rc, _, err = herald(sock, "passwd", "alice", stdin="correct horse\n")
    ok(rc == 0, "passwd alice (password from standard input): %s" % err.strip())
    rc, out, _ = herald(sock, "passwd", "--list")
    ok(rc == 0 and "alice" in out, "passwd --list names alice")
    st, body = Api(port).login("alice", "wrong password")
    ok(st == 401 and b"Error=BadAuthentication" in body, "ClientLogin, wrong password: 401 BadAuthentication")
    st, body = Api(port).login("nobody", "correct horse")
    ok(st == 401, "ClientLogin, unknown user: 401")
    st, body = api.login("alice", "correct horse")
    ok(st == 200 and all(k in body for k in (b"SID=", b"LSID=", b"Auth=")) and api.auth,
       "ClientLogin: SID, LSID and Auth lines")
    ok(api.t and re.fullmatch(r"[0-9a-f]{40}", api.t), "token: a T token (%s)" % api.t)
    st, _, _ = Api(port).request("GET", "/reader/api/0/user-info")
    ok(st == 401, "user-info without Authorization: 401")
    bad = Api(port)
    bad.auth = "0" * 64
    ok(bad.request("GET", "/reader/api/0/user-info")[0] == 401, "a made-up token: 401")
    st, body, _ = Api(port).request("GET", "/reader/ping", auth=False)
    ok(st == 200 and body == b"OK", "/reader/ping: OK")
    st, body, r = api.request("POST", "/reader/api/0/edit-tag",
                              body={"i": "1", "a": READ})
    ok(st == 401 and r.getheader("X-Reader-Google-Bad-Token") == "true",
       "POST without T: 401 with X-Reader-Google-Bad-Token")
    st, _, _ = api.request("POST", "/reader/api/0/edit-tag",
                           body={"i": "1", "a": READ, "T": "f" * 40})
    ok(st == 401, "POST with a stale T: 401")


def check_shapes(api, sock, counts):
    st, js = api.get_json("user-info", {"output": "json"})
    ok(st == 200 and js.get("userName") == "alice" and "userId" in js, "user-info: userId, userName")
    st, js = api.get_json("subscription/list", {"output": "json"})
    subs = js["subscriptions"] if st == 200 else []
    ok(len(subs) == 3 and all(s["id"].startswith("feed/file://") and "title" in s and
                              "categories" in s and "url" in s for s in subs),
       "subscription/list: 3 subscriptions, id feed/URL, title, categories, url")
    titles = {s["title"] for s in subs}
    ok("Outlet A" in titles and "Bulletins" in titles, "subscription/list: the feeds' own titles")
    world = [s for s in subs if any(c["id"] == "user/-/label/world" for c in s["categories"])]
    ok(len(world) == 2, "subscription/list: labels from feeds.conf tags")
    st, js = api.get_json("tag/list", {"output": "json"})
    ids = [t["id"] for t in js["tags"]] if st == 200 else []
    ok(STARRED in ids and "user/-/label/world" in ids and "user/-/label/bulletins" in ids,
       "tag/list: starred and the labels")
    st, js = api.get_json("unread-count", {"output": "json"})
    uc = {u["id"]: u["count"] for u in js["unreadcounts"]} if st == 200 else {}
    stats = herald_json(sock, "stats")
    ok(uc.get(READING) == stats["unread"] == sum(counts),
       "unread-count: reading-list %s = herald stats %s" % (uc.get(READING), stats["unread"]))
    ok(uc.get("user/-/label/world") == counts[0] + counts[1], "unread-count: a label's count")
    ok(all(isinstance(u["newestItemTimestampUsec"], str) for u in js["unreadcounts"]),
       "unread-count: newestItemTimestampUsec strings")
    return subs


def check_item_shape(it):
    return (re.fullmatch(r"tag:google\.com,2005:reader/item/[0-9a-f]{16}", it["id"]) and
            all(k in it for k in ("title", "published", "updated", "crawlTimeMsec",
                                  "timestampUsec", "canonical", "alternate", "summary",
                                  "categories", "origin")) and
            it["origin"]["streamId"].startswith("feed/") and READING in it["categories"] and
            any(c.startswith("user/-/label/story/") for c in it["categories"]))


def check_streams(api, sock, subs, total):
    st, js = api.get_json("stream/contents/" + READING, {"n": 5})
    items = js["items"] if st == 200 else []
    ok(len(items) == 5 and all(check_item_shape(i) for i in items) and js.get("continuation"),
       "stream/contents: 5 items of the documented shape and a continuation")
    ts = [int(i["timestampUsec"]) for i in items]
    ok(ts == sorted(ts, reverse=True), "stream/contents: newest first")
    st, js = api.get_json("stream/contents/" + READING, {"n": 5, "r": "o"})
    ts = [int(i["timestampUsec"]) for i in js["items"]] if st == 200 else []
    ok(len(ts) == 5 and ts == sorted(ts), "stream/contents r=o: oldest first")
    t0 = time.time()
    ids, pages = all_pages(api, "stream/items/ids", {"s": READING, "n": 1000}, "itemRefs")
    ok(ids is not None and len(ids) == total and len(set(ids)) == total,
       "stream/items/ids: %s pages of 1,000 give all %d items once each (%.2fs)"
       % (pages, total, time.time() - t0))
    ids2, pages = all_pages(api, "stream/contents/" + READING, {"n": 1000}, "items")
    ok(ids2 is not None and len(ids2) == total and len(set(ids2)) == total,
       "stream/contents: continuation paging through %d items, none twice or missing" % total)
    ids3, _ = all_pages(api, "stream/items/ids", {"s": READING, "n": 777, "r": "o"}, "itemRefs")
    ok(ids3 is not None and sorted(ids3) == sorted(ids) and len(set(ids3)) == total,
       "stream/items/ids r=o, pages of 777: the same items")
    st, js = api.get_json("stream/items/ids", {"s": READING, "n": 10000})
    ok(st == 200 and len(js["itemRefs"]) == min(10000, total) and
       all(re.fullmatch(r"[0-9]+", r["id"]) for r in js["itemRefs"]),
       "stream/items/ids n=10000: decimal short ids")
    big = [s for s in subs if s["title"] == "Bulletins"][0]
    st, js = api.get_json("stream/items/ids", {"s": big["id"], "n": 10000})
    ok(st == 200 and len(js["itemRefs"]) == min(10000, BIG), "stream/items/ids s=feed/URL: that feed's items")
    st, js = api.get_json("stream/contents/user/-/label/world", {"n": 100})
    ok(st == 200 and len(js["items"]) == 24 and
       all("user/-/label/world" in i["categories"] for i in js["items"]),
       "stream/contents of a label: its feeds' items")
    now = int(time.time())
    st, js = api.get_json("stream/items/ids", {"s": READING, "n": 10000, "ot": now - 86400})
    ok(st == 200 and len(js["itemRefs"]) == 20, "ot: only items newer than ot (%d)" % len(js["itemRefs"]))
    st, js = api.get_json("stream/items/ids", {"s": READING, "n": 10000, "nt": now - 86400})
    ok(st == 200 and len(js["itemRefs"]) == min(10000, BIG), "nt: only items older than nt")
    return ids


def check_marks(api, sock, subs):
    st, js = api.get_json("stream/contents/user/-/label/world", {"n": 3})
    first = js["items"]
    long_id = first[0]["id"]
    short = str(int(long_id.rsplit("/", 1)[1], 16))
    hexid = long_id.rsplit("/", 1)[1]
    st, body, _ = api.post("stream/items/contents", [("i", long_id), ("i", short), ("i", hexid)])
    js = json.loads(body) if st == 200 else {}
    ok(st == 200 and len(js.get("items", [])) == 3 and
       all(i["id"] == long_id for i in js["items"]),
       "stream/items/contents: long, decimal and hex forms name the same item")
    st, body, _ = api.post("stream/items/contents", [("i", "tag:google.com,2005:reader/item/xyz")])
    ok(st == 400 and b"malformed item id" in body, "a malformed id: 400 naming it")
    st, body, _ = api.post("edit-tag", [("i", short), ("a", READ)])
    item = herald_json(sock, "show", "--item", short)
    ok(st == 200 and body == b"OK" and item and item.get("read") in (1, "1", True),
       "edit-tag a=read: herald sees the item read")
    st, js = api.get_json("stream/items/ids", {"s": READING, "n": 10000, "xt": READ})
    ok(st == 200 and short not in [r["id"] for r in js["itemRefs"]], "xt=read leaves it out")
    st, js = api.get_json("stream/items/ids", {"s": READ, "n": 100})
    ok(st == 200 and [r["id"] for r in js["itemRefs"]] == [short], "the read stream holds it")
    api.post("edit-tag", [("i", short), ("r", READ)])
    item = herald_json(sock, "show", "--item", short)
    ok(item and item.get("read") in (0, "0", False), "edit-tag r=read: unread again")
    api.post("edit-tag", [("i", long_id), ("a", STARRED)])
    st, js = api.get_json("stream/contents/" + STARRED, {"n": 10})
    ok(st == 200 and [i["id"] for i in js["items"]] == [long_id] and
       STARRED in js["items"][0]["categories"], "edit-tag a=starred: the starred stream")
    api.post("edit-tag", [("i", long_id), ("r", STARRED)])
    st, js = api.get_json("stream/contents/" + STARRED, {"n": 10})
    ok(st == 200 and js["items"] == [], "edit-tag r=starred")
    # A user label: the item carries it, and the label's stream lists it.
    st, body, _ = api.post("edit-tag", [("i", short), ("a", "user/-/label/Saved")])
    st2, js = api.get_json("stream/items/ids", {"s": "user/-/label/Saved", "n": 100})
    ok(st == 200 and st2 == 200 and [r["id"] for r in js["itemRefs"]] == [short],
       "edit-tag a=user/-/label/X: the label's stream holds the item (%s)" % js.get("itemRefs"))
    api.post("edit-tag", [("i", short), ("r", "user/-/label/Saved")])
    st, js = api.get_json("stream/items/ids", {"s": "user/-/label/Saved", "n": 100})
    ok(st == 200 and js["itemRefs"] == [], "edit-tag r=user/-/label/X: gone from it")
    api.post("edit-tag", [("i", short), ("a", READ)])
    api.post("edit-tag", [("i", short), ("a", "user/-/state/com.google/kept-unread")])
    item = herald_json(sock, "show", "--item", short)
    ok(item and item.get("read") in (0, "0", False), "edit-tag a=kept-unread: unread")
    b = [s for s in subs if s["title"] == "Outlet B"][0]
    st, body, _ = api.post("mark-all-as-read", {"s": b["id"], "ts": str(int(time.time() * 1e6))})
    feeds = {f["id"]: f for f in herald_json(sock, "feeds")}
    ok(st == 200 and int(feeds["b"]["unread"]) == 0 and int(feeds["a"]["unread"]) == 12,
       "mark-all-as-read s=feed/URL ts: that feed read, the others not")
    st, body, _ = api.post("mark-all-as-read", {"s": "feed/http://not.subscribed/"})
    ok(st == 404, "mark-all-as-read of an unknown feed: 404")
    st, js = api.get_json("stream/contents/" + READING, {"n": 1, "xt": READ, "s": READING})
    story_cat = [c for c in js["items"][0]["categories"] if c.startswith("user/-/label/story/")][0]
    st, js = api.get_json("stream/contents/" + story_cat, {"n": 10})
    story_id = story_cat.rsplit("/", 1)[1]
    shown = herald_json(sock, "show", "s" + story_id)
    ok(st == 200 and len(js["items"]) >= 1 and shown is not None,
       "a story's stream (%s): its items" % story_cat)


def check_folded(api, sock):
    rc, _, err = herald(sock, "passwd", "--folded", "yes", "alice")
    ok(rc == 0, "passwd --folded yes: %s" % err.strip())
    herald(sock, "read", "--all", "--yes")
    api.post("edit-tag", [])  # harmless: 400
    st, js = api.get_json("stream/items/ids", {"s": READING, "n": 10000})
    everything = herald_json(sock, "stories", "--all", "--limit", "10000")
    ok(st == 200 and len(js["itemRefs"]) == len(everything),
       "folded: one entry per story (%d = herald stories --all)" % len(everything))
    # Unread one story (both outlets) from herald, then read it folded.
    two = [s for s in everything if s["outlets_count"] == 2][0]
    herald(sock, "unread", "s%d" % two["id"])
    st, js = api.get_json("stream/contents/" + READING, {"n": 50, "xt": READ})
    items = js["items"] if st == 200 else []
    ok(len(items) == 1 and "Told by 2 outlets" in items[0]["summary"]["content"] and
       "http://a.example/" in items[0]["summary"]["content"] and
       "http://b.example/" in items[0]["summary"]["content"],
       "folded: the unread story's entry lists both outlets' links")
    st, js = api.get_json("unread-count")
    uc = {u["id"]: u["count"] for u in js["unreadcounts"]}
    ok(uc.get(READING) == 1, "folded: unread-count counts stories (%s)" % uc.get(READING))
    st, body, _ = api.post("stream/items/contents", [("i", items[0]["id"])] if items else [])
    ok(st == 200 and "Told by 2 outlets" in body.decode(), "folded: stream/items/contents gives the folded entry")
    if items:
        api.post("edit-tag", [("i", items[0]["id"]), ("a", READ)])
    shown = herald_json(sock, "stories", "--limit", "100")
    ok(shown == [], "folded: marking the entry read marks the whole story read")
    herald(sock, "passwd", "--folded", "no", "--mark-story", "yes", "alice")
    herald(sock, "unread", "s%d" % two["id"])
    st, js = api.get_json("stream/items/ids", {"s": READING, "n": 1000, "xt": READ})
    ok(st == 200 and len(js["itemRefs"]) == int(two["items"]),
       "unfolded again: the story's %s items (%d)" % (two["items"], len(js["itemRefs"])))
    api.post("edit-tag", [("i", js["itemRefs"][0]["id"]), ("a", READ)])
    ok(herald_json(sock, "stories", "--limit", "100") == [],
       "mark_story: reading one item marks its story read")
    herald(sock, "passwd", "--mark-story", "no", "alice")
    herald(sock, "unread", "s%d" % two["id"])


def check_atom(api, subs):
    a = [s for s in subs if s["title"] == "Outlet A"][0]
    st, body, r = api.request("GET", "/reader/atom/" + urllib.parse.quote(a["id"], safe="/:"),
                              {"n": 5})
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        root = None
    ns = "{http://www.w3.org/2005/Atom}"
    entries = root.findall(ns + "entry") if root is not None else []
    ok(st == 200 and "atom" in (r.getheader("Content-Type") or "") and len(entries) == 5 and
       all(e.find(ns + "id").text.startswith("tag:google.com,2005:reader/item/") for e in entries),
       "/reader/atom/feed/URL: an Atom document of 5 entries")


def check_subscriptions(api, conf):
    url = "http://127.0.0.1:9/herald-api-test.xml"  # loopback, nothing listens
    st, body, _ = api.post("subscription/quickadd", {"quickadd": url})
    js = json.loads(body) if st == 200 else {}
    with open(conf) as f:
        text = f.read()
    ok(st == 200 and js.get("streamId") == "feed/" + url and js.get("numResults") == 1 and
       "url = " + url in text, "subscription/quickadd: a new section in feeds.conf (%s)" % body[:80])
    st, js = api.get_json("subscription/list")
    ok(st == 200 and any(x["id"] == "feed/" + url for x in js["subscriptions"]),
       "subscription/list shows it once reloaded")
    st, body, _ = api.post("subscription/quickadd", {"quickadd": "file:///etc/passwd"})
    ok(st == 400, "quickadd of a file:// URL: 400")
    st, body, _ = api.post("subscription/edit", {"ac": "edit", "s": "feed/" + url,
                                                  "t": "Renamed test feed",
                                                  "a": "user/-/label/Harbour"})
    st2, js = api.get_json("subscription/list")
    sub = [x for x in js.get("subscriptions", []) if x["id"] == "feed/" + url]
    with open(conf) as f:
        text = f.read()
    ok(st == 200 and "name = Renamed test feed" in text and "tags = harbour" in text.lower() and sub and
       sub[0]["title"] == "Renamed test feed" and
       any(c["id"] == "user/-/label/harbour" for c in sub[0].get("categories", [])),
       "subscription/edit ac=edit: t= renames, a= adds a label, in feeds.conf (%s %s)"
       % (body[:60], sub[:1]))
    st, body, _ = api.post("subscription/edit", {"ac": "edit", "s": "feed/" + url,
                                                  "r": "user/-/label/harbour"})
    with open(conf) as f:
        text = f.read()
    sect = text[text.index("url = " + url):]
    ok(st == 200 and "tags =" not in sect.split("[feed")[0],
       "subscription/edit ac=edit: r= removes the label (the tags line goes with the last)")
    st, body, _ = api.post("subscription/edit", {"ac": "edit", "s": "feed/" + url})
    ok(st == 400, "subscription/edit ac=edit without t=, a= or r=: 400")
    st, body, _ = api.post("subscription/edit", {"ac": "rename", "s": "feed/" + url})
    ok(st == 400, "subscription/edit with an unknown ac: 400")
    st, body, _ = api.post("subscription/edit", {"ac": "unsubscribe", "s": "feed/" + url})
    st2, js = api.get_json("subscription/list")
    with open(conf) as f:
        text = f.read()
    ok(st == 200 and url not in text and
       not any(x["id"] == "feed/" + url for x in js["subscriptions"]),
       "subscription/edit ac=unsubscribe: its section goes")
    sub = "http://127.0.0.1:9/other.xml"
    st, body, _ = api.post("subscription/edit", {"ac": "subscribe", "s": "feed/" + sub,
                                                 "t": "Other", "a": "user/-/label/later"})
    st2, js = api.get_json("subscription/list")
    got = [x for x in js["subscriptions"] if x["id"] == "feed/" + sub]
    ok(st == 200 and got and got[0]["title"] == "Other" and
       got[0]["categories"][0]["id"] == "user/-/label/later",
       "subscription/edit ac=subscribe with t= and a=: name and tag")
    api.post("subscription/edit", {"ac": "unsubscribe", "s": "feed/" + sub})


def check_newsboat(port, sock, tmp):
    """newsboat from Debian in its feedhq mode, a real client of the API:
    it logs in, lists the subscriptions, reads every feed as Atom from
    /reader/atom/, and a mark made in it shows in herald."""
    if not shutil.which("newsboat") or not shutil.which("tmux"):
        print("skip newsboat: newsboat or tmux missing (scripts/install-deps)")
        return
    d = os.path.join(tmp, "newsboat")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "pw"), "w") as f:
        f.write("correct horse\n")
    with open(os.path.join(d, "config"), "w") as f:
        f.write('urls-source "feedhq"\nfeedhq-url "http://127.0.0.1:%d/"\n'
                'feedhq-login "alice"\nfeedhq-passwordfile "%s/pw"\n'
                'feedhq-show-special-feeds no\nfeedhq-min-items 100\n' % (port, d))
    cmd = ["newsboat", "-C", d + "/config", "-u", d + "/urls", "-c", d + "/cache.db"]
    env = dict(os.environ, HOME=d, TERM="xterm")
    p = subprocess.run(cmd + ["-x", "reload"], capture_output=True, text=True, env=env,
                       timeout=120)
    import sqlite3
    db = sqlite3.connect(d + "/cache.db")
    feeds = dict(db.execute("SELECT title, rssurl FROM rss_feed").fetchall())
    unread = dict(db.execute("SELECT f.title, SUM(i.unread) FROM rss_item i JOIN rss_feed f"
                             " ON f.rssurl = i.feedurl GROUP BY f.title").fetchall())
    db.close()
    ours = {f["name"]: f for f in herald_json(sock, "feeds")}
    ok(p.returncode == 0 and set(feeds) == {"Outlet A", "Outlet B", "Bulletins"} and
       all("/reader/atom/feed" in u for u in feeds.values()),
       "newsboat (feedhq mode) logs in and lists the 3 subscriptions, read from /reader/atom/")
    ok(all(unread.get(t, 0) == ours[t]["unread"] for t in ("Outlet A", "Outlet B")),
       "newsboat's unread counts equal herald's (%s; herald %s)"
       % ({t: unread.get(t) for t in ("Outlet A", "Outlet B")},
          {t: ours[t]["unread"] for t in ("Outlet A", "Outlet B")}))
    if ours["Outlet A"]["unread"] == 0:
        herald(sock, "read", "--all", "--feed", "b", "--yes")
        herald(sock, "unread", "--item", str(herald_json(sock, "items", "--all", "--feed", "a",
                                                           "--limit", "1")[0]["id"]))
    session = "herald-api-%d" % os.getpid()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40",
                    "env HOME=%s TERM=xterm %s" % (d, " ".join(cmd))], check=True, env=env)
    try:
        dk.wait_for(lambda: "Outlet A" in subprocess.run(
            ["tmux", "capture-pane", "-t", session, "-p"], capture_output=True,
            text=True).stdout, timeout=30)
        screen = subprocess.run(["tmux", "capture-pane", "-t", session, "-p"],
                                capture_output=True, text=True).stdout
        line = [ln for ln in screen.splitlines() if "Outlet A" in ln]
        pos = re.match(r"\s*(\d+)", line[0]).group(1) if line else "1"
        for keys in (pos, "Enter", "A", "q", "q"):
            subprocess.run(["tmux", "send-keys", "-t", session, keys], capture_output=True)
            time.sleep(0.7)
        dk.wait_for(lambda: {f["name"]: f for f in herald_json(sock, "feeds")}
                    ["Outlet A"]["unread"] == 0, timeout=20)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    ours = {f["name"]: f for f in herald_json(sock, "feeds")}
    ok(ours["Outlet A"]["unread"] == 0,
       "a feed marked read in newsboat ('A') is read in herald (unread %d)"
       % ours["Outlet A"]["unread"])


def check_while_storing(api, sock, port, log_path):
    """Requests while the writer stores responses (a refresh of every feed,
    the 10,000-item one included) wait for the store and are answered."""
    import threading
    herald(sock, "refresh")
    codes, lock = [], threading.Lock()

    def worker():
        a = Api(port)
        a.auth = api.auth
        for _ in range(40):
            st, _, _ = a.request("GET", "/reader/api/0/unread-count")
            with lock:
                codes.append(st)

    ts = [threading.Thread(target=worker) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(log_path, errors="replace") as f:
        waited = f.read().count("waits for the store")
    ok(len(codes) == 160 and all(c == 200 for c in codes),
       "160 requests during a refresh: all answered 200 (%s; %d waited for the store)"
       % (sorted(set(codes)), waited))


def check_bad_input(api, port, proc):
    st, body, _ = api.request("GET", "/reader/api/0/stream/contents/" + READING, {"n": "0"})
    ok(st == 400 and b"n must be" in body, "n=0: 400 saying why")
    st, body, _ = api.request("GET", "/reader/api/0/stream/contents/" + READING, {"c": "garbage"})
    ok(st == 400 and b"continuation" in body, "a bad continuation: 400")
    st, body, _ = api.request("GET", "/reader/api/0/stream/contents/user/-/state/com.google/nope")
    ok(st == 400 and b"unknown stream" in body, "an unknown stream: 400")
    st, _, _ = api.request("GET", "/reader/api/0/no/such/call")
    ok(st == 404, "an unknown call: 404")
    st, _, _ = api.request("PUT", "/reader/ping")
    ok(st == 405, "PUT: 405")
    resp = raw_request(port, b"GET /reader/ping?" + b"x" * 20000 + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    ok(resp.startswith(b"HTTP/1.1 414"), "a 20 kB URL: 414")
    hdrs = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 60) for i in range(400))
    resp = raw_request(port, b"GET /reader/ping HTTP/1.1\r\nHost: a\r\n" + hdrs + b"\r\n")
    ok(resp.startswith(b"HTTP/1.1 431"), "400 headers: 431")
    resp = raw_request(port, b"POST /accounts/ClientLogin HTTP/1.1\r\nHost: a\r\n"
                       b"Content-Type: application/x-www-form-urlencoded\r\n"
                       b"Content-Length: 5000000\r\n\r\nEmail=a")
    ok(resp.startswith(b"HTTP/1.1 413"), "a 5 MB body: 413")
    # Slow clients: half a request each, then nothing; the API still answers.
    slow = []
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /reader/ping HTTP/1.1\r\nHost: a\r\nX-Slow: ")
        slow.append(s)
    t0 = time.time()
    st, body, _ = Api(port).request("GET", "/reader/ping", auth=False)
    ok(st == 200 and time.time() - t0 < 2, "20 stalled clients: ping still answered in %.3fs"
       % (time.time() - t0))
    for s in slow:
        s.close()
    # 1,000 connections at once: past the cap a clear 503, then all is well.
    conns, refused = [], 0
    for _ in range(1000):
        try:
            conns.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            refused += 1
    time.sleep(0.5)
    n503 = 0
    for s in conns:
        s.settimeout(0.05)
        try:
            n503 += s.recv(64).startswith(b"HTTP/1.1 503")
        except OSError:
            pass
    for s in conns:
        s.close()
    time.sleep(0.5)
    st, js = api.get_json("unread-count")
    ok(n503 > 0 and st == 200 and proc.poll() is None,
       "1,000 connections: %d told 503, %d refused, the API answers afterwards" % (n503, refused))


def check_sessions(api, sock, port, log_path):
    rc, _, _ = herald(sock, "passwd", "alice", stdin="battery staple\n")
    st, _, _ = api.request("GET", "/reader/api/0/user-info")
    ok(rc == 0 and st == 401, "a new password revokes the old session: 401")
    st, _ = api.login("alice", "battery staple")
    ok(st == 200, "and the new password logs in")
    for _ in range(5):
        Api(port).login("alice", "not it")
    st, body = Api(port).login("alice", "battery staple")
    ok(st == 429, "after 5 failed logins in a minute: 429, even with the right password")
    with open(log_path, errors="replace") as f:
        log = f.read()
    ok("failed login for 'alice' from 127.0.0.1" in log, "failed logins are logged with the address")
    rc, _, _ = herald(sock, "passwd", "--remove", "alice")
    st, _, _ = api.request("GET", "/reader/api/0/user-info")
    ok(rc == 0 and st == 401, "passwd --remove: the account and its sessions go")
    rc, _, err = herald(sock, "passwd", "--remove", "alice")
    ok(rc != 0 and "no account" in err, "passwd --remove of no account: an error")


def main():
    dk.drop_proxies()
    tmp = tempfile.mkdtemp(prefix="herald-api-")
    now = int(time.time())
    counts = write_feeds(tmp, now)
    port = harness.free_port()
    sock = os.path.join(tmp, "sock")
    conf = os.path.join(tmp, "feeds.conf")
    feeds = [("a", "file://%s/a.xml" % tmp), ("b", "file://%s/b.xml" % tmp),
             ("c", "file://%s/c.xml" % tmp)]
    text = dk.config_text(os.path.join(tmp, "db"), sock, feeds,
                          "http_listen = 127.0.0.1:%d\nmax_body = 16M" % port)
    text = text.replace("max_body = 4M\n", "")
    text = text.replace('[feed "a"]\n', '[feed "a"]\ntags = world\n')
    text = text.replace('[feed "b"]\n', '[feed "b"]\ntags = world\n')
    text = text.replace('[feed "c"]\n', '[feed "c"]\ntags = bulletins\n')
    with open(conf, "w") as f:
        f.write(text)
    log_path = os.path.join(tmp, "log")
    log = open(log_path, "w")
    proc = dk.start_daemon(conf, log)
    try:
        if not ok(harness.wait_listening(port, proc), "heraldd serves the API on 127.0.0.1:%d" % port):
            print(open(log_path).read()[-3000:])
            return 1
        total = sum(counts)
        dk.wait_for(lambda: (herald_json(sock, "stats") or {}).get("items") == total, timeout=120)
        ok(herald_json(sock, "stats")["items"] == total, "the %d items are stored" % total)
        api = Api(port)
        check_logins(api, sock, port, log_path)
        subs = check_shapes(api, sock, counts)
        check_streams(api, sock, subs, total)
        check_marks(api, sock, subs)
        check_folded(api, sock)
        check_atom(api, subs)
        check_subscriptions(api, conf)
        check_newsboat(port, sock, tmp)
        check_while_storing(api, sock, port, log_path)
        check_bad_input(api, port, proc)
        check_sessions(api, sock, port, log_path)
        ok(proc.poll() is None, "the daemon is still running")
    finally:
        dk.stop_daemon(proc)  # ASan checks for leaks at exit: give it time
        log.close()
    ok(proc.returncode == 0, "heraldd stopped cleanly (exit %s)" % proc.returncode)
    if ok.fails:
        with open(log_path, errors="replace") as f:
            print("--- daemon log (tail)\n" + f.read()[-4000:])
    shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (ok.passed, len(ok.fails)))
    return 1 if ok.fails else 0


if __name__ == "__main__":
    sys.exit(main())
