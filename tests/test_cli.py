#!/usr/bin/env python3
"""Issue #6 end to end: the real heraldd and the real herald client (and
issue #22's purge).

A private nginx (tests/harness.py) serves fixture feeds and one feed is a
file:// URL; several outlets carry the same event, so stories fold. The
daemon runs in the foreground on a temporary socket; everything is checked
through `herald` (human and --json output, exit codes, colour rules) and
through raw sockets (greeting, pipelining, errors, limits, many clients,
stalled and vanishing clients, a peer with another uid, a second daemon).
Exits 77 (skip) when nginx is missing. HERALD_CLI_BENCH=N also times N
concurrent `herald --json stories` against a daemon holding ~2,000 items.
"""

import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

SRCDIR = os.environ.get("HERALD_SRCDIR", os.path.join(os.path.dirname(__file__), ".."))
BUILDDIR = os.environ.get("HERALD_BUILDDIR", ".")
sys.path.insert(0, os.path.join(SRCDIR, "tests"))
sys.dont_write_bytecode = True  # no __pycache__ in the (maybe read-only) source tree
import harness  # noqa: E402

HERALDD = os.path.join(BUILDDIR, "heraldd")
HERALD = os.path.join(BUILDDIR, "herald")
WRAP = os.environ.get("HERALD_TEST_WRAPPER", "").split()
NOW = int(time.time())
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)
    return cond


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def rfc822(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(t))


def rss(title, items):
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<rss version="2.0"><channel>',
           "<title>%s</title><link>http://example.com/</link><description>d</description>"
           % title]
    for guid, head, body, t in items:
        out.append("<item><title>%s</title><guid>%s</guid><link>http://example.com/%s</link>"
                   "<description><![CDATA[<p>%s</p>]]></description><pubDate>%s</pubDate></item>"
                   % (head, guid, guid, body, rfc822(t)))
    out.append("</channel></rss>")
    return "\n".join(out) + "\n"


QUAKE = ("A strong earthquake of magnitude 6.9 shook central Chile on Monday, damaging buildings "
         "in Valparaiso and prompting a brief tsunami warning along the coast.")
ALPHA = [("a1", "Earthquake of magnitude 6.9 shakes central Chile", QUAKE, NOW - 1800),
         ("a2", "Council approves new tram line for the city centre",
          "The council voted 31 to 12 for the tram line.", NOW - 5 * 3600),
         ("a3", "Local bakery wins national bread award",
          "A sourdough loaf took the prize.", NOW - 3 * 86400)]
BETA = [("b1", "Magnitude 6.9 earthquake shakes central Chile", QUAKE, NOW - 2400),
        ("b2", "Museum returns looted bronzes in ceremony",
         "Twenty bronzes went home in a ceremony.", NOW - 26 * 3600)]
GAMMA = [("g1", "Earthquake of magnitude 6.9 shakes central Chile coast", QUAKE, NOW - 3000),
         ("g2", "Lifeboat crew rescues three fishermen",
          "Three fishermen were rescued off the headland.", NOW - 90 * 60)]
DELTA = [("d1", "Ferry operators warn of winter timetable cuts",
          "Operators blame fuel costs.", NOW - 600)]

CONF_HEAD = """\
# herald test configuration: this comment must survive every edit
database = {db}
socket = {sock}
interval = 1h
min_interval = 60s
timeout = 5s
connect_timeout = 2s

# the first outlet
[feed "alpha"]
url = {alpha}
name = Alpha News
tags = news, world

[feed "beta"]   # the second outlet
url = {beta}
name = Beta Times
tags = news

[feed "gamma"]
url = {gamma}
name = Gamma Local
tags = local

[feed "broken"]
url = {broken}
"""


def herald(sock, *args, env=None, json_out=False, stdin=None):
    """Runs the client; returns (rc, stdout, stderr)."""
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.pop("HERALD_SOCKET", None)
    # herald undo's record, away from the real home.
    e["XDG_STATE_HOME"] = os.path.join(tempfile.gettempdir(), "herald-cli-state-%d" % os.getpid())
    e.update(env or {})
    argv = [HERALD] + (["--socket", sock] if sock else []) + (["--json"] if json_out else [])
    p = subprocess.run(argv + list(args), capture_output=True, text=True, timeout=60, env=e,
                       input=stdin)
    return p.returncode, p.stdout, p.stderr


def hj(sock, *args):
    """--json output of a command that must succeed."""
    rc, out, err = herald(sock, *args, json_out=True)
    if rc != 0:
        raise RuntimeError("herald %s: exit %d: %s" % (" ".join(args), rc, err))
    return json.loads(out)


def wait_for(cond, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if cond():
                return True
        except (RuntimeError, ValueError):
            pass
        time.sleep(0.1)
    return False


def by_title(rows):
    return {r["title"]: r for r in rows}


def quake_story(sock):
    for s in hj(sock, "stories", "--all", "--limit", "100"):
        if "Chile" in s["title"] and s["items"] >= 2:
            return s
    return None


# ---- raw protocol ----

class Conn:
    def __init__(self, path, timeout=10.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("connection closed")
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.decode("utf-8", "replace")

    def answer(self):
        """One answer: (records as lists of (key, value), terminator line)."""
        recs, cur = [], []
        while True:
            ln = self.line()
            if ln == "OK" or ln.startswith("ERR "):
                if cur:
                    recs.append(cur)
                return recs, ln
            if ln == "":
                if cur:
                    recs.append(cur)
                cur = []
                continue
            k, _, v = ln.partition(": ")
            cur.append((k, v))

    def send(self, data):
        self.s.sendall(data if isinstance(data, bytes) else data.encode())

    def close(self):
        self.s.close()


def protocol_tests(sock, daemon):
    c = Conn(sock)
    check(c.line() == "HERALD 1", "greeting: HERALD 1")
    # Pipelined: four requests in one write, answered in order.
    c.send("version\nshow 999999\nfrobnicate\nstats\n")
    r1, t1 = c.answer()
    r2, t2 = c.answer()
    r3, t3 = c.answer()
    r4, t4 = c.answer()
    check(t1 == "OK" and r1 and r1[0][0][0] == "version", "pipelined 1: version")
    check(t2.startswith("ERR notfound"), "pipelined 2: a bad id gets ERR notfound (%s)" % t2)
    check(t3.startswith("ERR unknown"), "pipelined 3: unknown command gets ERR unknown (%s)" % t3)
    check(t4 == "OK" and r4 and r4[0][0][0] == "stats", "pipelined 4: stats, in order")
    c.send("show abc\nread 0\nstories --limit 0\nstories --bogus\n")
    codes = [c.answer()[1].split()[:2] for _ in range(4)]
    check([x[1] if len(x) > 1 else x for x in codes] == ["usage", "badarg", "badarg", "usage"],
          "bad arguments get stable error codes (%s)" % codes)
    c.send(b"x" * 20000 + b"\nversion\n")
    _, t = c.answer()
    check(t.startswith("ERR toolong"), "an overlong line gets ERR toolong (%s)" % t[:40])
    recs, t = c.answer()
    check(t == "OK" and recs and recs[0][0][0] == "version",
          "the connection stays usable after an overlong line")
    c.send('search "unterminated\nversion\n')
    c.answer()
    check(c.answer()[1] == "OK", "a malformed quote costs that request only")
    c.send(b"version\x00x\nversion\n")
    _, t = c.answer()
    check(t.startswith("ERR badarg"), "an embedded NUL gets ERR badarg (%s)" % t)
    check(c.answer()[1] == "OK", "... and the next request is answered")
    c.send("quit\n")
    check(c.answer()[1] == "OK", "quit: OK")
    try:
        closed = c.s.recv(10) == b""
    except OSError:
        closed = True
    check(closed, "quit: then the daemon closes the connection")
    c.close()

    # 50 clients at once.
    n, results = 50, []
    lock = threading.Lock()
    conns = [Conn(sock) for _ in range(n)]
    for k in conns:
        k.line()

    def one(k):
        k.send("stories --all\nversion\n")
        a = k.answer()
        b = k.answer()
        with lock:
            results.append(a[1] == "OK" and b[1] == "OK" and len(a[0]) >= 5)

    threads = [threading.Thread(target=one, args=(k,)) for k in conns]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    check(len(results) == n and all(results), "50 concurrent clients all answered (%d ok, %.2f s)"
          % (sum(results), time.time() - t0))
    for k in conns:
        k.close()

    # A client that stops reading mid-response does not block the others.
    stall = Conn(sock)
    stall.line()
    stall.send("stories --all --limit 10000\n" * 3000)
    time.sleep(0.3)
    t0 = time.time()
    other = Conn(sock, timeout=5)
    ok = other.line() == "HERALD 1"
    other.send("version\n")
    ok = ok and other.answer()[1] == "OK"
    check(ok and time.time() - t0 < 0.5, "a stalled reader does not block another client (%.2f s)"
          % (time.time() - t0))
    other.close()
    # It gets dropped once its queue passes the cap, or at least never grows the
    # daemon without bound; either way the daemon still answers.
    stall.close()

    # A client that disconnects mid-response costs nothing.
    for _ in range(5):
        gone = Conn(sock)
        gone.line()
        gone.send("stories --all --limit 10000\n" * 500)
        gone.s.shutdown(socket.SHUT_RDWR)
        gone.close()
    time.sleep(0.5)
    check(daemon.poll() is None, "the daemon survives clients that vanish mid-response")
    k = Conn(sock)
    k.line()
    k.send("stats\n")
    recs, t = k.answer()
    clients = dict(recs[0]).get("clients") if recs else None
    check(t == "OK" and clients == "1", "vanished clients are gone (clients: %s)" % clients)
    k.close()

    # Socket mode and the peer check.
    st = os.stat(sock)
    check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
          "socket mode 0600 (%o)" % stat.S_IMODE(st.st_mode))
    other_uid_test(sock)


def as_nobody(sock, request=b"stories\n"):
    """Connects to sock as uid/gid 65534 in a forked child (root only), with
    the file permissions of the socket's directories opened meanwhile so that
    the daemon's own check decides. Returns what the child read, or EACCES."""
    rd, wr = os.pipe()
    dirs, p = [], os.path.dirname(sock)
    while p != "/":
        dirs.append((p, stat.S_IMODE(os.stat(p).st_mode)))
        p = os.path.dirname(p)
    try:
        for p, m in dirs:
            os.chmod(p, m | 0o755)
        pid = os.fork()
        if pid == 0:
            os.close(rd)
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(5)
                s.connect(sock)
                got = b""
                try:
                    # The greeting (or the refusal) first, then a request.
                    while b"\n" not in got:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        got += chunk
                    if got.startswith(b"HERALD"):
                        s.send(request)
                        while not got.endswith(b"\nOK\n") and b"ERR" not in got:
                            chunk = s.recv(4096)
                            if not chunk:
                                break
                            got += chunk
                except OSError:
                    pass
                msg = "connected:" + got.decode("utf-8", "replace").replace("\n", "|")
            except PermissionError:
                msg = "EACCES"
            except Exception as e:  # noqa: BLE001
                msg = "error:%r" % e
            os.write(wr, msg.encode())
            os._exit(0)
        os.close(wr)
        os.waitpid(pid, 0)
        out = b""
        while True:
            d = os.read(rd, 4096)
            if not d:
                break
            out += d
        os.close(rd)
        return out.decode()
    finally:
        for p, m in dirs:
            os.chmod(p, m)


def group_test(tmp):
    """socket_group: mode 0660, group-owned, and a member is let in."""
    if os.geteuid() != 0:
        print("skip socket_group test (needs root)")
        return
    conf = os.path.join(tmp, "conf", "group.conf")
    sock = os.path.join(tmp, "grp", "g.sock")
    write(conf, "database = %s\nsocket = %s\nsocket_group = nogroup\n"
          % (os.path.join(tmp, "grp", "g.db"), sock))
    proc = subprocess.Popen(WRAP + [HERALDD, "-f", "-c", conf], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        if not check(wait_for(lambda: os.path.exists(sock)), "socket_group: the daemon starts"):
            return
        # The socket is bound private (umask) and widened a moment later.
        wait_for(lambda: stat.S_IMODE(os.stat(sock).st_mode) == 0o660)
        st = os.stat(sock)
        check(stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == 65534,
              "socket_group: mode 0660, owned by the group (%o, gid %d)"
              % (stat.S_IMODE(st.st_mode), st.st_gid))
        got = as_nobody(sock, b"version\n")
        check(got.startswith("connected:HERALD 1|version:"),
              "socket_group: a member of the group is served (%s)" % got)
    finally:
        harness.stop_process(proc)


def other_uid_test(sock):
    if os.geteuid() != 0:
        print("skip another-uid peer test (needs root to drop to uid 65534)")
        return
    got = as_nobody(sock)
    check(got == "EACCES", "uid 65534 cannot connect through a 0600 socket, even with its "
          "directories open (%s)" % got)
    mode = stat.S_IMODE(os.stat(sock).st_mode)
    os.chmod(sock, 0o666)
    try:
        got = as_nobody(sock)
    finally:
        os.chmod(sock, mode)
    check(got.startswith("connected:ERR denied") and "story:" not in got,
          "a peer with another uid gets ERR denied and nothing else (%s)" % got)


# ---- the client ----

def client_listing_tests(sock):
    stories = hj(sock, "stories")
    check(all("id" in s for s in stories), "--json stories: every object has an id")
    q = quake_story(sock)
    check(q is not None and q["items"] == 3 and len({o["feed"] for o in q["outlets"]}) == 3,
          "three outlets' quake items fold into one story (%s)"
          % (q and [(o["feed"], o["title"]) for o in q["outlets"]]))
    if q is None:
        return None
    check(set(q["feeds"]) == {"alpha", "beta", "gamma"} and
          set(q["tags"]) == {"news", "world", "local"}, "story feeds and tags")
    check(sorted(o["title"] for o in q["outlets"]) == sorted(
        [ALPHA[0][1], BETA[0][1], GAMMA[0][1]]), "each outlet keeps its own title")
    check(all(o["link"].startswith("http://example.com/") and isinstance(o["item"], int)
              for o in q["outlets"]), "each outlet has its item id and link")
    check(q.get("outlets_count") == 3 and isinstance(q["outlets"], list),
          "--json story: outlets_count is the count, outlets the array")
    check(q["state"] == "new" and q["unread"] == 3 and q["starred"] is False,
          "a fresh story is new, 3 unread, not starred")
    titles = [s["title"] for s in stories]
    check(len(stories) == 5, "stories: 5 unread stories (%d)" % len(stories))
    lasts = [s["last_seen"] for s in stories]
    check(lasts == sorted(lasts, reverse=True), "stories newest first")

    def ids(*args):
        return [s["id"] for s in hj(sock, "stories", *args)]

    def tset(*args):
        return {s["title"] for s in hj(sock, "stories", *args)}

    since2h = tset("--since", "2h")
    check(since2h == {q["title"], GAMMA[1][1]}, "--since 2h: the quake and the lifeboat (%s)"
          % since2h)
    since1d = tset("--since", "1d")
    check(since1d == since2h | {ALPHA[1][1]}, "--since 1d adds the tram line (%s)" % since1d)
    check(tset("--feed", "beta") == {q["title"], BETA[1][1]}, "--feed beta")
    check(tset("--tag", "local") == {q["title"], GAMMA[1][1]}, "--tag local")
    check(tset("--tag", "world") == {q["title"], ALPHA[1][1], ALPHA[2][1]}, "--tag world")
    allids = ids("--all")
    rc, out, err = herald(sock, "stories", "--all", "--limit", "2")
    check(rc == 0 and "2 of %d shown (1-2); more with --offset 2" % len(allids) in err,
          "a full page says how many there are (%r)" % err)
    check(ids("--all", "--limit", "2", "--offset", "1") == allids[1:3], "--limit 2 --offset 1")
    check(ids("--all", "--limit", "2") == allids[:2], "--limit 2")

    rc, out, err = herald(sock, "--width", "120", "stories")
    check(rc == 0 and len(out.splitlines()) == 5 and "Alpha News" in out,
          "human stories: one line per story")
    line = [ln for ln in out.splitlines() if "Chile" in ln]
    check(line and all(n in line[0] for n in ("Alpha News", "Beta Times", "Gamma Local")) and
          "ago" in line[0], "human stories: the folded story names its outlets and age (%s)"
          % (line[0] if line else out))
    # Items.
    items = hj(sock, "items")
    check(len(items) == 7 and all("id" in i for i in items), "items: 7 unread items")
    check({i["title"] for i in hj(sock, "items", "--feed", "alpha")} == {a[1] for a in ALPHA},
          "items --feed alpha")
    check([i["id"] for i in hj(sock, "items", "--since", "1h")] and
          {i["title"] for i in hj(sock, "items", "--since", "1h")} ==
          {ALPHA[0][1], BETA[0][1], GAMMA[0][1]}, "items --since 1h")
    check(len(hj(sock, "items", "--story", str(q["id"]))) == 3, "items --story ID")
    rc, out, _ = herald(sock, "--width", "100", "items", "--feed", "gamma")
    check(rc == 0 and "Gamma Local" in out and "Lifeboat" in out and "ago" in out,
          "human items: feed name, age and title")
    # show.
    rc, out, err = herald(sock, "show", "s%d" % q["id"])
    check(rc == 0 and all(t in out for t in (ALPHA[0][1], BETA[0][1], GAMMA[0][1])) and
          all("http://example.com/%s" % g in out for g in ("a1", "b1", "g1")) and
          "Valparaiso" in out, "show STORY: every outlet's title, link and the text")
    check("never" not in out, "show STORY: item ages are shown, not 'never'")
    sj = hj(sock, "show", "s%d" % q["id"])
    check(sj.get("id") == q["id"] and len(sj.get("entries", [])) == 3 and
          all(e.get("text") for e in sj["entries"]), "show --json: story with 3 entries")
    a1 = [i for i in items if i["title"] == ALPHA[0][1]][0]
    ij = hj(sock, "show", "--item", str(a1["id"]))
    check(ij["id"] == a1["id"] and ij["link"] == "http://example.com/a1" and
          "Valparaiso" in ij["text"] and "<p>" in ij["html"], "show --item --json")
    rc, out, _ = herald(sock, "show", "--item", str(a1["id"]))
    check(rc == 0 and ALPHA[0][1] in out and "Alpha News" in out and "http://example.com/a1"
          in out, "show --item: title, outlet, link")
    return q


def client_mark_tests(sock, q):
    qid = "s%d" % q["id"]
    item_ids = [o["item"] for o in q["outlets"]]

    def story():
        return hj(sock, "show", qid)

    check(hj(sock, "read", qid) == {"ok": True}, "read STORY --json: {\"ok\": true}")
    rc, out, err = herald(sock, "read", qid)
    check(rc == 0 and out == "marked read: %s\n" % qid, "read STORY: says which, exit 0 (%r)" % out)
    s = story()
    check(s["state"] == "read" and all(e["read"] for e in s["entries"]),
          "read STORY marks all its items read")
    check(q["id"] not in [x["id"] for x in hj(sock, "stories")], "a read story leaves the unread list")
    check(q["id"] in [x["id"] for x in hj(sock, "stories", "--all")], "... and stays in --all")
    # undo puts the marks back, from the real daemon.
    hj(sock, "unread", qid)
    herald(sock, "read", qid)
    rc, out, err = herald(sock, "undo")
    check(rc == 0 and out == "undone: read %s (3 items set back)\n" % qid and
          story()["unread"] == 3, "undo: the story is unread again (%r %r)" % (out, err))
    rc, out, err = herald(sock, "undo")
    check(rc == 1 and "nothing to undo" in err, "a second undo has nothing to undo")
    hj(sock, "read", qid)
    hj(sock, "unread", "--item", str(item_ids[0]))
    s = story()
    check(s["state"] == "updated" and s["unread"] == 1, "unread one item: the story is 'updated'")
    hj(sock, "unread", qid)
    check(story()["state"] == "new", "unread STORY: new again")
    hj(sock, "read", "--item", str(item_ids[1]))
    check(story()["unread"] == 2, "read --item marks one item")
    hj(sock, "unread", qid)
    hj(sock, "star", qid)
    s = story()
    check(s["starred"] and all(e["starred"] for e in s["entries"]),
          "star STORY stars the story and all its items")
    check([x["id"] for x in hj(sock, "stories", "--starred")] == [q["id"]], "stories --starred")
    check(len(hj(sock, "items", "--starred")) == 3, "items --starred")
    hj(sock, "unstar", qid)
    s = story()
    check(not s["starred"] and not any(e["starred"] for e in s["entries"]), "unstar STORY")
    hj(sock, "star", "--item", str(item_ids[2]))
    check([i["id"] for i in hj(sock, "items", "--starred")] == [item_ids[2]], "star --item")
    hj(sock, "unstar", "--item", str(item_ids[2]))
    rc, _, err = herald(sock, "read", qid, "999999")
    check(rc == 1 and "999999" in err and story()["unread"] == 3,
          "read with one unknown id: exit 1, nothing marked (all or nothing)")

    # read --all --feed F --before DATE
    before = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(NOW - 3600))
    # --all after the other options: the daemon must not care about the order.
    rc, out, err = herald(sock, "read", "--feed", "beta", "--before", before, "--all", "--yes")
    beta = {i["title"]: i["read"] for i in hj(sock, "items", "--all", "--feed", "beta")}
    check(rc == 0 and beta == {BETA[0][1]: False, BETA[1][1]: True},
          "read --all --feed beta --before DATE marks only older beta items (%s)" % beta)
    check(story()["unread"] == 3, "... the quake story is untouched")
    rc, _, err = herald(sock, "read", "--all", "--feed", "nosuch", "--yes")
    check(rc == 1 and "nosuch" in err, "read --all --feed UNKNOWN: exit 1 (%s)" % err.strip())
    hj(sock, "unread", "s%d" % hj(sock, "items", "--all", "--feed", "beta")[-1]["story"])


def client_search_tests(sock):
    hits = hj(sock, "search", "earthquake")
    check(len(hits) == 3 and all("id" in h and "[" in h["snippet"] for h in hits),
          "search: 3 hits with marked snippets")
    ranks = [h["rank"] for h in hits]
    check(ranks == sorted(ranks) and all(isinstance(r, (int, float)) for r in ranks),
          "search: ranked best first (%s)" % ranks)
    hits = hj(sock, "search", "tram", "line")
    check([h["title"] for h in hits] == [ALPHA[1][1]], "search: two words")
    hits = hj(sock, "search", '"bread award"')
    check([h["title"] for h in hits] == [ALPHA[2][1]], "search: a phrase")
    check(len(hj(sock, "search", "--limit", "1", "earthquake")) == 1, "search --limit 1")
    check(hj(sock, "search", "nonexistentword") == [], "search: no hits is an empty array")
    rc, out, err = herald(sock, "--width", "100", "search", "earthquake")
    check(rc == 0 and "[" in out and "Alpha News" in out, "human search: titles and snippets")
    rc, out, err = herald(sock, "search", "earthquake", "AND")
    check(rc == 1 and out == "" and "query" in err.lower(),
          "a malformed query: a clear error, exit 1 (%s)" % err.strip())
    rc, out, err = herald(sock, "search", "(", "quake")
    check(rc == 1 and "query" in err.lower(), "unbalanced parenthesis: exit 1")


def client_feed_tests(tmp, sock, conf, ng, daemon):
    feeds = {f["id"]: f for f in hj(sock, "feeds")}
    check(set(feeds) == {"alpha", "beta", "gamma", "broken"}, "feeds: the four configured feeds")
    a = feeds["alpha"]
    check(a["status"] == "200" and a["items"] == 3 and a["name"] == "Alpha News" and
          a["tags"] == ["news", "world"] and a["last_poll"] > 0 and a["next_poll"] > a["last_poll"],
          "feeds: status, counts, name, tags, polls of alpha (%s)" % a)
    b = feeds["broken"]
    check(b["status"] == "500" and "500" in b["error"] and b["items"] == 0,
          "feeds: a failing feed shows its status and error (%s, %r)" % (b["status"], b["error"]))
    rc, out, _ = herald(sock, "--width", "100", "feeds")
    check(rc == 0 and "error:" in out and "3/3" in out and "Alpha News" in out,
          "human feeds: counts and the error line")
    check([f["id"] for f in hj(sock, "feeds", "beta")] == ["beta"], "feeds FEED: just that one")
    rc, _, err = herald(sock, "feeds", "nosuch")
    check(rc == 1 and "nosuch" in err, "feeds UNKNOWN: exit 1 (%s)" % err.strip())

    # add
    write(os.path.join(ng.root, "delta.xml"), rss("Delta", DELTA))
    before_ino = os.stat(conf).st_ino
    rc, out, err = herald(sock, "add", ng.url("/delta.xml"), "--name", "Delta Daily",
                          "--interval", "30m", "--tags", "ferries,local", json_out=True)
    added = json.loads(out) if rc == 0 else {}
    check(rc == 0 and added.get("name") == "Delta Daily" and added.get("interval") == 1800,
          "add URL --name --interval --tags answers the new feed (%s %s)" % (added, err))
    key = added.get("id", "")
    text = open(conf).read()
    check(os.stat(conf).st_ino != before_ino, "feeds.conf was replaced by a rename")
    check(text.startswith(CONF_HEAD.splitlines()[0]) and "# the first outlet" in text and
          '[feed "beta"]   # the second outlet' in text, "feeds.conf keeps its comments")
    order = [m for m in re.findall(r'\[feed "([^"]+)"\]', text)]
    check(order == ["alpha", "beta", "gamma", "broken", key],
          "feeds.conf keeps its order, the new feed last (%s)" % order)
    check("Delta Daily" in text and "30m" in text and "ferries" in text,
          "feeds.conf has the new feed's name, interval, tags")
    check(sorted(os.listdir(os.path.dirname(conf))) == sorted(["conf", "run", "db"]) or
          not [f for f in os.listdir(os.path.dirname(conf)) if f.startswith("feeds.conf.")],
          "no temporary file is left beside feeds.conf")
    check(wait_for(lambda: any(i["title"] == DELTA[0][1] for i in hj(sock, "items"))),
          "the daemon reloads and polls the added feed")
    rc, _, err = herald(sock, "add", ng.url("/delta.xml"))
    check(rc == 1 and "already" in err, "adding the same URL again: exit 1 (%s)" % err.strip())
    rc, _, err = herald(sock, "add", "gopher://x")
    check(rc == 2, "add with a bad URL scheme: exit 2")

    # file:// over the socket reads a file with the daemon's rights: refused
    # unless allow_file_feeds names the directory it is under.
    local = os.path.join(tmp, "local")
    os.makedirs(local, exist_ok=True)
    write(os.path.join(local, "l.xml"), rss("L", [("l1", "Lighthouse keeper retires",
                                                    "After forty years.", NOW - 500)]))
    os.symlink("/etc/passwd", os.path.join(local, "escape.xml"))
    lurl = "file://" + os.path.join(local, "l.xml")
    rc, _, err = herald(sock, "add", lurl)
    check(rc == 1 and "allow_file_feeds" in err and lurl not in open(conf).read(),
          "add file:// without allow_file_feeds: refused, saying how (%s)" % err.strip())
    before_local = open(conf).read()
    write(conf, "allow_file_feeds = %s\n" % local + before_local)
    check(herald(sock, "reload")[0] == 0, "reload with allow_file_feeds")
    for url, why in (("file:///etc/hostname", "not under"),
                     ("file://" + os.path.join(local, "escape.xml"), "not under"),
                     ("file://" + os.path.join(local, "..", "conf", "feeds.conf"), "not under"),
                     ("file://" + os.path.join(local, "missing.xml"), "No such file")):
        rc, _, err = herald(sock, "add", url)
        check(rc == 1 and why in err and url not in open(conf).read(),
              "add %s: refused (%s)" % (url, err.strip()))
    rc, out, err = herald(sock, "add", lurl, "--id", "lighthouse")
    check(rc == 0 and lurl in open(conf).read(),
          "add file:// under allow_file_feeds: added (%s)" % err.strip())
    check(wait_for(lambda: hj(sock, "items", "--all", "--feed", "lighthouse")),
          "... and polled")
    check(herald(sock, "remove", "lighthouse")[0] == 0, "... and removed again")
    write(conf, before_local)
    check(herald(sock, "reload")[0] == 0, "reload without allow_file_feeds")

    # include = FILE: the feeds add, import and remove edit live there, so
    # feeds.conf itself may be read-only (/etc under the system unit).
    state = os.path.join(tmp, "state")
    os.makedirs(state, exist_ok=True)
    inc = os.path.join(state, "added.conf")
    write(conf, "include = %s\n" % inc + before_local)
    main_text = open(conf).read()
    confdir_mode = os.stat(os.path.dirname(conf)).st_mode
    os.chmod(conf, 0o444)
    os.chmod(os.path.dirname(conf), 0o555)  # (root writes anyway: the checks below hold)
    try:
        check(herald(sock, "reload")[0] == 0, "reload with include (the file is missing)")
        write(os.path.join(ng.root, "inc.xml"), rss("I", [("i1", "Island ferry timetable changes",
                                                          "From Monday.", NOW - 300)]))
        rc, out, err = herald(sock, "add", ng.url("/inc.xml"), "--name", "Island")
        check(rc == 0 and ng.url("/inc.xml") in open(inc).read() and
              open(conf).read() == main_text,
              "add writes the included file, feeds.conf is untouched (%s)" % err.strip())
        opml = ('<?xml version="1.0"?><opml version="2.0"><body>'
                '<outline type="rss" text="Jetty" xmlUrl="%s"/></body></opml>'
                % ng.url("/jetty.xml"))
        opml_path = os.path.join(state, "jetty.opml")
        write(opml_path, opml)
        rc, out, err = herald(sock, "import", opml_path)
        check(rc == 0 and ng.url("/jetty.xml") in open(inc).read() and
              open(conf).read() == main_text,
              "import writes the included file (%s)" % err.strip())
        urls = {f["url"]: f["id"] for f in hj(sock, "feeds") if f["active"]}
        check(ng.url("/inc.xml") in urls and ng.url("/jetty.xml") in urls,
              "the included feeds are configured (%s)" % sorted(urls.values()))
        added = urls.get(ng.url("/inc.xml"), "?")
        rc, _, err = herald(sock, "remove", added)
        check(rc == 0 and ng.url("/inc.xml") not in open(inc).read() and
              open(conf).read() == main_text,
              "remove of an included feed edits the included file (%s)" % err.strip())
        write(inc, "interval = 5m\n" + open(inc).read())
        rc, _, err = herald(sock, "reload")
        check(rc == 1 and "only [feed] sections" in err and inc in err,
              "a global key in the included file: reload refused, naming it (%s)" % err.strip())
    finally:
        os.chmod(os.path.dirname(conf), confdir_mode)
        os.chmod(conf, 0o644)
    write(conf, before_local)
    check(herald(sock, "reload")[0] == 0, "reload without include")

    # remove
    rc, out, err = herald(sock, "remove", key)
    text = open(conf).read()
    check(rc == 0 and ('"%s"' % key) not in text and "# the first outlet" in text,
          "remove FEED edits feeds.conf and keeps comments")
    feeds = {f["id"]: f for f in hj(sock, "feeds")}
    check(key not in feeds, "a removed feed is not listed (%s)" % sorted(feeds))
    rc, out, _ = herald(sock, "feeds")
    check(rc == 0 and key not in out and "(removed)" not in out,
          "human feeds has no removed row (%s)" % out)
    check(not any(i["feed"] == key for i in hj(sock, "items", "--all", "--limit", "1000")),
          "a removed feed's items are deleted")
    check(not any(DELTA[0][1] == s["title"] for s in hj(sock, "stories", "--all")),
          "... and the story they alone made")
    # Starred items stay, unless --purge-starred.
    for name, guid, title in (("ep", "e1", "Harbour seals counted from the air"),
                              ("zt", "z1", "Village choir records its first album")):
        write(os.path.join(ng.root, name + ".xml"),
              rss(name, [(guid, title, "Text.", NOW - 200), (guid + "b", title + " again?",
                                                             "Other words entirely.", NOW - 100)]))
        rc, _, err = herald(sock, "add", ng.url("/%s.xml" % name), "--id", name)
        check(rc == 0, "add %s (%s)" % (name, err.strip()))
        check(wait_for(lambda: len(hj(sock, "items", "--all", "--feed", name)) == 2),
              "%s polled" % name)
        starred = [i["id"] for i in hj(sock, "items", "--all", "--feed", name)
                   if i["title"] == title][0]
        check(herald(sock, "star", "--item", str(starred))[0] == 0, "star an item of " + name)
    rc, _, err = herald(sock, "remove", "ep")
    left = [i["title"] for i in hj(sock, "items", "--all", "--limit", "1000") if i["feed"] == "ep"]
    check(rc == 0 and left == ["Harbour seals counted from the air"],
          "remove keeps the starred item only (%s %s)" % (left, err.strip()))
    check("ep" not in {f["id"] for f in hj(sock, "feeds")}, "... and lists no removed feed")
    rc, _, err = herald(sock, "remove", "zt", "--purge-starred")
    left = [i for i in hj(sock, "items", "--all", "--limit", "1000") if i["feed"] == "zt"]
    check(rc == 0 and left == [], "remove --purge-starred deletes the starred item too (%s %s)"
          % (left, err.strip()))
    rc, _, err = herald(sock, "remove", "nosuch")
    check(rc == 1 and "nosuch" in err, "remove UNKNOWN: exit 1")

    # A feed id of digits only is still a feed id: a JSON string everywhere.
    numbers = ("n1", "Numbers station falls silent after fifty years",
               "The shortwave broadcasts stopped.", NOW - 400)
    write(os.path.join(ng.root, "n2024.xml"), rss("N", [numbers]))
    rc, out, err = herald(sock, "add", ng.url("/n2024.xml"), "--id", "2024", json_out=True)
    check(rc == 0 and '"id":"2024"' in out, "add --id 2024 --json: the id is a string (%s %s)"
          % (out.strip(), err.strip()))
    check(wait_for(lambda: hj(sock, "items", "--all", "--feed", "2024")),
          "the feed 2024 is polled")
    its = hj(sock, "items", "--all", "--feed", "2024")
    check(its and all(i["feed"] == "2024" and isinstance(i["id"], int) for i in its),
          "items of feed 2024: \"feed\" a string, \"id\" a number (%s)" % its)
    sts = [s for s in hj(sock, "stories", "--all", "--feed", "2024")]
    check(sts and sts[0]["feeds"] == ["2024"] and sts[0]["outlets"][0]["feed"] == "2024" and
          isinstance(sts[0]["outlets"][0]["item"], int),
          "story of feed 2024: feeds and outlet feed strings, outlet item a number (%s)" % sts)
    check([f["id"] for f in hj(sock, "feeds", "2024")] == ["2024"], "feeds 2024: id \"2024\"")
    check(herald(sock, "remove", "2024")[0] == 0, "remove 2024")

    # import / export
    write(os.path.join(ng.root, "e1.xml"), rss("E1", [("e1", "Lighthouse keeper retires",
                                                       "After forty years.", NOW - 700)]))
    write(os.path.join(ng.root, "e2.xml"), rss("E2", [("e2", "Orchestra tours the islands",
                                                       "Twelve concerts.", NOW - 800)]))
    opml = os.path.join(tmp, "subs.opml")
    write(opml, """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>mine</title></head><body>
<outline text="Culture"><outline type="rss" text="Island Post" title="Island Post" xmlUrl="%s"/>
<outline type="rss" text="Harbour Music" xmlUrl="%s" category="music,culture"/></outline>
<outline type="rss" text="Alpha again" xmlUrl="%s"/>
<outline type="rss" text="Bad" xmlUrl="javascript:alert(1)"/>
</body></opml>
""" % (ng.url("/e1.xml"), ng.url("/e2.xml"), ng.url("/alpha.xml")))
    res = hj(sock, "import", opml)
    st = {r["url"]: r["status"] for r in res}
    check([r["id"] for r in res] == [1, 2, 3, 4], "import --json: one object per outline, with its id")
    check(st.get(ng.url("/e1.xml")) == "added" and st.get(ng.url("/e2.xml")) == "added" and
          st.get(ng.url("/alpha.xml")) == "exists" and st.get("javascript:alert(1)") == "error",
          "import: added, exists and error per outline (%s)" % st)
    check(wait_for(lambda: {"Lighthouse keeper retires", "Orchestra tours the islands"} <=
                   {i["title"] for i in hj(sock, "items")}), "imported feeds are polled")
    rc, out, err = herald(sock, "import", opml)
    check(rc == 0 and "0 of 4 feeds added" in out, "importing again adds nothing (%s)" % out)
    rc, out, err = herald(sock, "export")
    check(rc == 0, "export: exit 0")
    try:
        doc = ET.fromstring(out.encode())
        outl = {o.get("xmlUrl"): o for o in doc.iter("outline") if o.get("xmlUrl")}
    except ET.ParseError as e:
        outl = {}
        check(False, "export is well-formed XML (%s)" % e)
    cfg_urls = {f["url"] for f in hj(sock, "feeds") if f["active"]}
    check(doc.get("version") == "2.0" and set(outl) == cfg_urls,
          "export: OPML 2.0 with every configured feed (%d)" % len(outl))
    check(outl.get(ng.url("/e1.xml")) is not None and
          outl[ng.url("/e1.xml")].get("text") == "Island Post" and
          outl[ng.url("/alpha.xml")].get("text") == "Alpha News",
          "export: names round-trip")
    e2 = outl.get(ng.url("/e2.xml"))
    cats = set((e2.get("category") or "").replace("/", ",").split(",")) if e2 is not None else set()
    check({"music", "culture"} <= cats, "export: tags round-trip as categories (%s)" % cats)
    exp = os.path.join(tmp, "export.opml")
    write(exp, out)
    res = hj(sock, "import", exp)
    check(res and all(r["status"] == "exists" for r in res),
          "importing the export back: every feed already exists")
    rc, _, err = herald(sock, "import", os.path.join(tmp, "missing.opml"))
    check(rc == 1 and "missing.opml" in err, "import of a missing file: exit 1")
    write(os.path.join(tmp, "bad.opml"), "<opml><body><outline")
    rc, _, err = herald(sock, "import", os.path.join(tmp, "bad.opml"))
    check(rc == 1 and err, "import of broken OPML: exit 1 (%s)" % err.strip())

    # refresh
    write(os.path.join(ng.root, "alpha.xml"), rss("Alpha", ALPHA + [
        ("a4", "Harbour bridge closes for repairs", "Closed until spring.", NOW - 60)]))
    rc, out, err = herald(sock, "refresh", "alpha")
    check(rc == 0 and out == "", "refresh FEED: exit 0")
    check(wait_for(lambda: "Harbour bridge closes for repairs" in
                   {i["title"] for i in hj(sock, "items")}), "refresh polls now")
    rc, _, err = herald(sock, "refresh", "nosuch")
    check(rc == 1 and "nosuch" in err, "refresh UNKNOWN: exit 1")
    check(herald(sock, "refresh")[0] == 0, "refresh (all): exit 0")

    # reload, by hand edits
    write(os.path.join(ng.root, "f.xml"), rss("F", [("f1", "Village fete raises record sum",
                                                     "Cakes sold out.", NOW - 900)]))
    with open(conf, "a") as f:
        f.write('\n[feed "fete"]\nurl = %s\n' % ng.url("/f.xml"))
    rc, out, err = herald(sock, "reload")
    check(rc == 0, "reload: exit 0 (%s)" % err.strip())
    check(wait_for(lambda: any(f["id"] == "fete" and f["status"] == "200"
                               for f in hj(sock, "feeds"))), "reload: the new feed is polled")
    good = open(conf).read()
    write(conf, good + "\nintreval = 5m\n")
    rc, out, err = herald(sock, "reload")
    check(rc == 1 and "intreval" in err, "reload of a broken config: exit 1 naming the error")
    check(daemon.poll() is None and any(f["id"] == "fete" for f in hj(sock, "feeds")),
          "... and the running configuration stays")
    write(conf, good)
    check(herald(sock, "reload")[0] == 0, "reload of the fixed config")

    # Reloads run off the loop, one round at a time; those asked for while
    # one runs wait for the next round, which reads the file again. Five
    # connections ask at once, the file gains a feed after the first asked:
    # every request is answered OK, and the feed is there when they are.
    conns = [Conn(sock) for _ in range(5)]
    for c in conns:
        c.line()
    conns[0].send("reload\n")
    with open(conf, "a") as f:
        f.write('\n[feed "late"]\nurl = %s\n' % ng.url("/late.xml"))
    for c in conns[1:]:
        c.send("stats\nreload\nversion\n")
    answers = [conns[0].answer()[1]] + [
        [c.answer()[1], c.answer()[1], c.answer()[1]] for c in conns[1:]]
    check(answers[0] == "OK" and all(a == ["OK", "OK", "OK"] for a in answers[1:]),
          "concurrent reloads: every request answered OK, in order (%s)" % answers)
    check(any(f["id"] == "late" for f in hj(sock, "feeds")),
          "... and the feed added while they ran is configured")
    for c in conns:
        c.close()
    write(conf, good)
    check(herald(sock, "reload")[0] == 0 and not any(f["id"] == "late" and f["active"]
                                                     for f in hj(sock, "feeds")),
          "reload after removing it: the feed is inactive")


def client_misc_tests(tmp, sock):
    s = hj(sock, "stats")
    items = hj(sock, "items", "--all", "--limit", "1000")
    check(s.get("items") == len(items) and isinstance(s.get("db_size"), int) and s["db_size"] > 0
          and isinstance(s.get("uptime"), int) and s.get("stories", 0) > 0,
          "stats --json: numbers that match (%s)" % s)
    rc, out, _ = herald(sock, "stats")
    check(rc == 0 and re.search(r"^items\s+%d$" % len(items), out, re.M) and "KiB" in out,
          "human stats")
    v = hj(sock, "version")
    check(v.get("protocol") == 1 and v.get("version") and v.get("client"), "version --json (%s)" % v)
    rc, out, _ = herald(sock, "version")
    check(rc == 0 and re.match(r"herald \S+\nheraldd \S+ \(protocol 1\)\n$", out),
          "human version: client and daemon (%r)" % out)

    # Every listing is an array of objects with an id; single things are objects.
    for args in (("stories", "--all"), ("items", "--all"), ("search", "earthquake"), ("feeds",)):
        rows = hj(sock, *args)
        check(isinstance(rows, list) and rows and
              all(isinstance(r, dict) and "id" in r for r in rows),
              "--json %s: an array of objects, each with an id" % args[0])
    for args in (("stats",), ("version",), ("export",), ("show", "s1")):
        check(isinstance(hj(sock, *args), dict), "--json %s: one object" % args[0])

    # digested
    und = hj(sock, "stories", "--all", "--undigested", "--limit", "1000")
    first = [str(x["id"]) for x in und[:2]]
    rc, out, _ = herald(sock, "digested", *first)
    check(rc == 0 and out == "", "digested: silent, exit 0")
    und2 = [str(x["id"]) for x in hj(sock, "stories", "--all", "--undigested", "--limit", "1000")]
    check(len(und2) == len(und) - 2 and not set(first) & set(und2),
          "--undigested omits digested stories")
    check(all(x["digested"] for x in hj(sock, "stories", "--all", "--limit", "1000")
              if str(x["id"]) in first), "digested shows in the story")

    # Exit codes.
    rc, _, err = herald(sock, "show", "999999")
    check(rc == 1 and "999999" in err, "show UNKNOWN: exit 1")
    for args in (("show", "abc"), ("stories", "--bogus"), ("frobnicate",), ("stories", "--limit",
                 "0"), ("stories", "--since", "yesterdayish"), ("read",), ("search",)):
        rc, out, err = herald(sock, *args)
        check(rc == 2 and out == "" and ("usage" in err or "help" in err),
              "usage error %s: exit 2" % (args,))
    down = os.path.join(tmp, "nothere.sock")
    rc, out, err = herald(down, "stories")
    check(rc == 3 and "not running" in err and "heraldd" in err,
          "daemon not running: exit 3 with a hint (%s)" % err.strip().replace("\n", " | "))
    rc, out, err = herald(None, "stories", env={"HERALD_SOCKET": down})
    check(rc == 3 and down in err, "$HERALD_SOCKET is used")
    rc, out, err = herald(None, "--json", "stories", env={"HERALD_SOCKET": sock})
    check(rc == 0 and json.loads(out), "$HERALD_SOCKET finds the daemon")

    # Help.
    rc, out, _ = herald(None, "--help")
    check(rc == 0 and "usage: herald" in out and "stories" in out and "import" in out,
          "herald --help")
    for cmd in ("stories", "read", "search", "add", "import"):
        rc, out, _ = herald(None, cmd, "--help")
        check(rc == 0 and out.startswith("usage: herald %s" % cmd), "herald %s --help" % cmd)

    # Colour: none in a pipe, none with NO_COLOR, yes on a terminal.
    for args in (("stories", "--all"), ("feeds",), ("search", "earthquake"), ("show", "s1")):
        rc, out, _ = herald(sock, *args)
        check(rc in (0, 1) and "\033" not in out, "no escapes in a pipe: %s" % (args,))
    rc, out, _ = herald(sock, "--color=always", "stories", "--all")
    check("\033[" in out, "--color=always colours (so the checks above can fail)")
    rc, out, _ = herald(sock, "--color=always", "stories", "--all", env={"NO_COLOR": "1"})
    check("\033" not in out, "NO_COLOR beats --color=always")
    out = run_tty([HERALD, "--socket", sock, "stories", "--all"], {})
    check("\033[" in out, "a terminal gets colour")
    out = run_tty([HERALD, "--socket", sock, "stories", "--all"], {"NO_COLOR": "1"})
    check(out and "\033" not in out, "NO_COLOR on a terminal: no escapes")


def run_tty(argv, env):
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update(env)
    e["TERM"] = "xterm"
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, e)
    out = b""
    while True:
        r, _, _ = select.select([fd], [], [], 10)
        if not r:
            break
        try:
            d = os.read(fd, 65536)
        except OSError:
            break
        if not d:
            break
        out += d
    os.waitpid(pid, 0)
    os.close(fd)
    return out.decode("utf-8", "replace")


def purge_tests(tmp, sock, www):
    """herald purge --dry-run and herald purge over the socket: beta's two items made a
    year old and read, and no longer listed, go (the quake story keeps its other
    outlets, the museum story goes with its only item); a poll listing them again does
    not bring them back."""
    import sqlite3
    db = os.path.join(tmp, "db", "herald.db")
    con = sqlite3.connect(db, timeout=10)
    with con:
        con.execute("UPDATE items SET first_seen = first_seen - 400 * 86400,"
                    " time = time - 400 * 86400, read = 1 WHERE feed = 'beta'")
        con.execute("UPDATE feeds SET listed = NULL WHERE id = 'beta'")
    con.close()
    before = len(hj(sock, "items", "--all", "--limit", "1000"))
    quake = quake_story(sock)
    rc, out, err = herald(sock, "purge", "--dry-run")
    check(rc == 0 and out.startswith("would remove 2 items and 1 stories"),
          "purge --dry-run says what would go (%r %r)" % (out, err))
    j = hj(sock, "purge", "--dry-run")
    check(j.get("purge") == "dry-run" and j.get("items") == 2 and j.get("stories") == 1 and
          j.get("bytes", 0) > 0 and j.get("vacuumed") == 0,
          "purge --dry-run --json: counts as numbers (%s)" % j)
    check(len(hj(sock, "items", "--all", "--limit", "1000")) == before,
          "purge --dry-run changes nothing")
    j = hj(sock, "purge")
    check(j.get("purge") == "done" and j.get("items") == 2 and j.get("stories") == 1 and
          j.get("chunks", 0) >= 1 and j.get("longest_chunk_us", -1) >= 0,
          "purge removes them and says so (%s)" % j)
    check(hj(sock, "items", "--all", "--feed", "beta") == [] and
          len(hj(sock, "items", "--all", "--limit", "1000")) == before - 2,
          "the purged items are gone")
    q = quake_story(sock)
    check(q is not None and quake is not None and q["id"] == quake["id"] and
          "beta" not in q["feeds"], "the quake story stays, with its other outlets")
    rc, out, _ = herald(sock, "purge")
    check(rc == 0 and out.startswith("removed 0 items and 0 stories"),
          "a second purge finds nothing (%r)" % out)
    # beta lists b1 and b2 again, with a new item: only the new one is stored.
    write(os.path.join(www, "beta.xml"),
          rss("Beta", BETA + [("b3", "Harbour reopens after storm repairs",
                               "The harbour reopened on Friday.", NOW - 60)]))
    herald(sock, "refresh", "beta")
    check(wait_for(lambda: [i["title"] for i in hj(sock, "items", "--all", "--feed", "beta")]
                   == ["Harbour reopens after storm repairs"]),
          "a poll listing the purged items again does not bring them back")


def second_daemon_test(tmp, sock, conf, daemon):
    # Same socket, same database, but a config with one feed only: it must be
    # refused before it touches anything.
    conf2 = os.path.join(tmp, "conf", "second.conf")
    text = open(conf).read()
    write(conf2, text.split('[feed "alpha"]')[0] + '[feed "zeta"]\nurl = file:///nonexistent\n')
    active = sorted(f["id"] for f in hj(sock, "feeds") if f["active"])
    p = subprocess.run(WRAP + [HERALDD, "-f", "-c", conf2], capture_output=True, text=True,
                       timeout=30)
    check(p.returncode != 0 and "another heraldd is already listening on %s" % sock in p.stderr,
          "a second heraldd on the same socket is refused (%d: %s)"
          % (p.returncode, p.stderr.strip()))
    check(daemon.poll() is None and os.path.exists(sock) and hj(sock, "version"),
          "the first daemon keeps running and keeps its socket")
    after = sorted(f["id"] for f in hj(sock, "feeds") if f["active"])
    check(after == active, "the refused daemon changed nothing in the database (%s)" % after)

    # Another socket, the same database: refused too, naming the database and
    # the running daemon's pid (two writers would corrupt the stories).
    db = re.search(r"^database = (.*)$", text, re.M).group(1)
    sock3 = os.path.join(tmp, "third.sock")
    conf3 = os.path.join(tmp, "conf", "third.conf")
    write(conf3, text.replace("socket = %s" % sock, "socket = %s" % sock3))
    p = subprocess.run(WRAP + [HERALDD, "-f", "-c", conf3], capture_output=True, text=True,
                       timeout=30)
    # (Under a wrapper the daemon's pid is not the Popen's.)
    pid = "(pid %d)" % daemon.pid if not WRAP else "(pid "
    check(p.returncode == 1 and "database %s is in use by another heraldd %s" % (db, pid)
          in p.stderr and not os.path.exists(sock3),
          "a second heraldd on the same database, another socket, is refused with the pid "
          "(%d: %s)" % (p.returncode, p.stderr.strip()))
    after = sorted(f["id"] for f in hj(sock, "feeds") if f["active"])
    check(after == active and daemon.poll() is None,
          "... the first keeps running and the database is untouched")
    # A lock left by a killed daemon never blocks a start.
    db4 = os.path.join(tmp, "killed.db")
    conf4 = os.path.join(tmp, "conf", "killed.conf")
    write(conf4, "database = %s\nsocket = %s\n" % (db4, os.path.join(tmp, "killed.sock")))
    first = subprocess.Popen(WRAP + [HERALDD, "-f", "-c", conf4], stderr=subprocess.DEVNULL)
    wait_for(lambda: os.path.exists(os.path.join(tmp, "killed.sock")))
    first.kill()
    first.wait()
    p = subprocess.run(WRAP + [HERALDD, "--once", "-c", conf4], capture_output=True, text=True,
                       timeout=30)
    check(os.path.exists(db4 + ".lock") and p.returncode == 0,
          "after a SIGKILL the lock file stays but a new daemon starts (%d: %s)"
          % (p.returncode, p.stderr.strip()))


def bench(tmp, ng, nclients):
    """~2,000 items in 10 feeds, then nclients concurrent `herald --json stories`."""
    words = ("harbour council storm ferry museum bakery tram bridge festival school lighthouse "
             "orchestra market river election hospital library stadium forest airport").split()
    conf = os.path.join(tmp, "bench.conf")
    sock = os.path.join(tmp, "bench", "b.sock")
    lines = ["database = %s" % os.path.join(tmp, "bench", "b.db"), "socket = %s" % sock,
             "interval = 1d", "max_body = 8M"]
    for f in range(10):
        items = []
        for i in range(200):
            w = [words[(f * 7 + i * k) % len(words)] for k in (1, 3, 5, 11)]
            items.append(("b%d-%d" % (f, i), "Item %d of feed %d about the %s and the %s %s"
                          % (i, f, w[0], w[1], w[2]), "Text on %s %s %s, number %d."
                          % (w[1], w[2], w[3], i), NOW - (i * 10 + f) * 60))
        write(os.path.join(ng.root, "bench%d.xml" % f), rss("Bench %d" % f, items))
        lines += ['[feed "bench%d"]' % f, "url = %s" % ng.url("/bench%d.xml" % f)]
    write(conf, "\n".join(lines) + "\n")
    log = open(os.path.join(tmp, "bench.log"), "w")
    proc = subprocess.Popen(WRAP + [HERALDD, "-f", "-c", conf], stdout=log, stderr=log)
    try:
        t0 = time.time()
        ok = wait_for(lambda: hj(sock, "stats")["items"] >= 2000, timeout=120)
        check(ok, "bench: 2,000 items ingested (%.1f s)" % (time.time() - t0))
        st = hj(sock, "stats")
        t0 = time.time()
        procs = [subprocess.Popen([HERALD, "--socket", sock, "--json", "stories"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(nclients)]
        outs = [p.communicate(timeout=60) for p in procs]
        took = time.time() - t0
        good = sum(1 for p, (o, _) in zip(procs, outs) if p.returncode == 0 and
                   len(json.loads(o)) == 50)
        check(good == nclients, "bench: %d concurrent `herald --json stories` all answered "
              "50 stories" % nclients)
        print("BENCH: %d items, %d stories: %d concurrent `herald --json stories` in %.3f s "
              "(%.1f ms each on average)" % (st["items"], st["stories"], nclients, took,
                                              took * 1000 / nclients))
        # The same over raw sockets: the daemon's share, without process start-up.
        conns = [Conn(sock) for _ in range(nclients)]
        for k in conns:
            k.line()
        t0 = time.time()
        for k in conns:
            k.send("stories\n")
        answered = sum(1 for k in conns if len(k.answer()[0]) == 50)
        took = time.time() - t0
        check(answered == nclients, "bench: raw sockets all answered")
        print("BENCH: %d concurrent raw `stories` requests answered in %.3f s"
              % (nclients, took))
        for k in conns:
            k.close()
    finally:
        harness.stop_process(proc)
        log.close()


def main():
    for exe in (HERALDD, HERALD):
        if not os.access(exe, os.X_OK):
            print("not built: %s" % exe)
            return 1
    if harness.find_nginx() is None:
        print("SKIP: nginx not installed (apt-get install nginx-light)")
        return 77
    for k in list(os.environ):
        if k.lower().endswith("_proxy"):
            del os.environ[k]
    tmp = tempfile.mkdtemp(prefix="herald-cli-")
    www = os.path.join(tmp, "www")
    os.mkdir(www)
    for d in ("conf", "run", "db"):
        os.mkdir(os.path.join(tmp, d))
    daemon = None
    try:
        with harness.Nginx(www) as ng:
            write(os.path.join(www, "alpha.xml"), rss("Alpha", ALPHA))
            write(os.path.join(www, "beta.xml"), rss("Beta", BETA))
            gamma = os.path.join(tmp, "gamma.xml")
            write(gamma, rss("Gamma", GAMMA))
            sock = os.path.join(tmp, "run", "herald", "heraldd.sock")
            conf = os.path.join(tmp, "conf", "feeds.conf")
            write(conf, CONF_HEAD.format(db=os.path.join(tmp, "db", "herald.db"), sock=sock,
                                         alpha=ng.url("/alpha.xml"), beta=ng.url("/beta.xml"),
                                         gamma="file://" + gamma, broken=ng.url("/error500")))
            rc, _, err = herald(sock, "stories")
            check(rc == 3, "before the daemon starts: exit 3")
            log = open(os.path.join(tmp, "daemon.log"), "w+")
            daemon = subprocess.Popen(WRAP + [HERALDD, "-f", "-v", "-c", conf], stdout=log,
                                      stderr=subprocess.STDOUT)
            if not check(wait_for(lambda: os.path.exists(sock)), "the daemon listens"):
                return 1
            check(stat.S_IMODE(os.stat(os.path.dirname(sock)).st_mode) == 0o700,
                  "the socket's directory is created 0700")
            check(wait_for(lambda: len(hj(sock, "items")) == 7 and
                           any(f["status"] == "500" for f in hj(sock, "feeds"))),
                  "the daemon polls every feed")
            q = client_listing_tests(sock)
            if q:
                client_mark_tests(sock, q)
            client_search_tests(sock)
            protocol_tests(sock, daemon)
            client_feed_tests(tmp, sock, conf, ng, daemon)
            client_misc_tests(tmp, sock)
            purge_tests(tmp, sock, www)
            second_daemon_test(tmp, sock, conf, daemon)
            group_test(tmp)
            daemon.send_signal(signal.SIGTERM)
            check(daemon.wait(timeout=10) == 0 and not os.path.exists(sock),
                  "SIGTERM: exit 0, socket removed")
            rc, _, err = herald(sock, "stories")
            check(rc == 3 and "heraldd" in err, "after the daemon stopped: exit 3 with the hint")
            n = int(os.environ.get("HERALD_CLI_BENCH", "0") or 0)
            if n > 0:
                bench(tmp, ng, n)
            log.seek(0)
            text = log.read()
            check("refused client" in text or os.geteuid() != 0,
                  "the refused peer is logged with its uid")
            if FAILS:
                print("--- daemon log ---\n" + text[-4000:])
    finally:
        if daemon and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        if not os.environ.get("HERALD_KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
