#!/usr/bin/env python3
"""The loop answers while hostile responses are parsed (issue 28).

heraldd polls feeds whose responses take the parser, the HTML sanitizer or
the repair of a broken document a long time (generated here, sizes and
shapes varied: one element with hundreds of thousands of attributes, many
undeclared namespace prefixes or unquoted attributes to repair, a big
document broken at its end so all of it is repaired and read again, bad
character references in every item, more than 20,000 items, megabytes of
item HTML), served by a private nginx on loopback. Meanwhile a client asks
`version` over the socket every few milliseconds, and a datagram socket
plays systemd's notify socket (WATCHDOG_USEC) to see the watchdog pings.
For each class it records the worst socket round trip and the longest gap
between watchdog pings, and checks how each poll was recorded.

Run by `make check` (small sizes, generous bounds: a loaded machine must not
fail it; the point is that the parse no longer blocks the loop: under the
old code these polls stalled it for seconds), and by bench/loop-stall with
--scale and --json for the figures in docs/reliability.md.
Exits 77 (skip) when nginx is missing.
"""

import argparse
import json
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("HERALD_SRCDIR", os.path.join(
    os.path.dirname(__file__), "..")), "tests"))
import daemonkit as dk  # noqa: E402
import harness  # noqa: E402

HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>%s</title>' \
       '<link>http://example.com/</link>'
TAIL = "</channel></rss>\n"


def item(i, title, desc, cdata=True):
    d = "<![CDATA[%s]]>" % desc if cdata else desc
    return "<item><guid>g%d</guid><title>%s</title><description>%s</description></item>" % (
        i, title, d)


def gen_attrs(scale):
    n = int(150000 * scale)
    attrs = " ".join("a%d=\"v\"" % i for i in range(n))
    return HEAD % "attrs" + item(1, "many attributes", "<p %s>x</p>" % attrs) + \
        item(2, "after", "<p>fine</p>") + TAIL


def gen_prefixes(scale):
    n = int(60000 * scale)
    body = "".join("<item><guid>p%d</guid><title>t</title><p%d:x>y</p%d:x></item>" % (i, i, i)
                   for i in range(n))
    return HEAD % "prefixes" + body + TAIL


def gen_unquoted(scale):
    n = int(120000 * scale)
    attrs = " ".join("k%d=v%d" % (i, i) for i in range(n))
    return HEAD % "unquoted" + "<item><guid>u</guid><title %s>t</title></item>" % attrs + TAIL


def gen_recover(scale):
    n = int(4000 * scale)
    para = "<p>Lorem <b>ipsum</b> dolor <a href=\"/x\">sit</a> amet.</p>" * 12
    body = "".join(item(i, "item %d" % i, para) for i in range(n))
    return HEAD % "recover" + body + "<item><guid>last</guid><title>a & b</title></item>" + TAIL


def gen_bad_refs(scale):
    n = int(8000 * scale)
    refs = ["&#0;", "&#1;", "&#xD800;", "&#x110000;", "&#xFFFE;", "&#11;"]
    body = "".join("<item><guid>b%d</guid><title>t%s%d</title></item>" % (i, refs[i % 6], i)
                   for i in range(n))
    return HEAD % "bad refs" + body + TAIL


def gen_many_items(scale):
    n = 20000 + int(5000 * scale) + 7
    body = "".join("<item><guid>m%d</guid><title>t %d</title></item>" % (i, i) for i in range(n))
    return HEAD % "many items" + body + TAIL


def gen_big_html(scale):
    n = int(20000 * scale)
    html = "".join("<div><p>para %d <i>it</i> <a href='/l%d'>link</a></p><ul><li>a<li>b</ul>"
                   "</div>" % (i, i) for i in range(n))
    return HEAD % "big html" + item(1, "big", html) + TAIL


# name, generator (or a fault server path), what the recorded poll must say
# ("ok": stored, no error; "validators": stored, and no validator kept)
CLASSES = [
    ("validators-long", "/badval?5000&long", "validators"),
    ("validators-crlf", "/badval?1&cr", "validators"),
    ("html-attrs", gen_attrs, "ok"),
    ("repair-prefixes", gen_prefixes, "ok"),
    ("repair-unquoted", gen_unquoted, "ok"),
    ("recover-big", gen_recover, "ok"),
    ("bad-refs", gen_bad_refs, "ok"),
    ("many-items", gen_many_items, "ok"),
    ("big-html", gen_big_html, "ok"),
]


class Pinger(threading.Thread):
    """Asks `version` without pause; keeps (when, round trip)."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock, self.samples, self.stop, self.errors = sock, [], False, 0

    def run(self):
        c = dk.Conn(self.sock)
        while not self.stop:
            t0 = time.monotonic()
            try:
                c.request("version")
            except (OSError, dk.ProtoError):
                self.errors += 1
                c.close()
                time.sleep(0.05)
                c = dk.Conn(self.sock)
                continue
            t1 = time.monotonic()
            self.samples.append((t0, t1 - t0))
            time.sleep(0.002)
        c.close()


class Notify(threading.Thread):
    """systemd's notify socket: the times WATCHDOG=1 arrived."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(path)
        self.s.settimeout(0.2)
        self.pings, self.stop = [], False

    def run(self):
        while not self.stop:
            try:
                msg = self.s.recv(4096)
            except socket.timeout:
                continue
            if b"WATCHDOG=1" in msg:
                self.pings.append(time.monotonic())
        self.s.close()


def worst_gap(times, start, end):
    pts = [start] + [t for t in times if start <= t <= end] + [end]
    return max(b - a for a, b in zip(pts, pts[1:]))


def run_class(tmp, ng, fs, name, gen, scale):
    """One daemon, one hostile feed and a healthy one; returns the figures."""
    d = os.path.join(tmp, name)
    os.makedirs(d)
    if isinstance(gen, str):
        doc, hostile = "", fs.url(gen)
    else:
        doc, hostile = gen(scale), ng.url("/%s.xml" % name)
        dk.write_atomic(os.path.join(ng.root, name + ".xml"), doc)
    dk.write_atomic(os.path.join(ng.root, name + "-ok.xml"), dk.rss("ok", [
        {"guid": "ok%d" % i, "link": "http://example.com/%d" % i, "title": "fine %d" % i,
         "body": "b", "date": "Mon, 01 Dec 2025 10:00:00 GMT"} for i in range(5)]))
    db, sock, conf = os.path.join(d, "db"), os.path.join(d, "sock"), os.path.join(d, "conf")
    with open(conf, "w") as f:
        f.write(dk.config_text(db, sock, [(name, hostile),
                                          ("ok", ng.url("/%s-ok.xml" % name))]).replace(
                                              "max_body = 4M", "max_body = 16M").replace(
                                                  "timeout = 10s", "timeout = 120s"))
    notify_path = os.path.join(d, "notify")
    note = Notify(notify_path)
    note.start()
    env = dict(os.environ, NOTIFY_SOCKET=notify_path, WATCHDOG_USEC="200000")
    env.pop("WATCHDOG_PID", None)
    log = open(os.path.join(d, "log"), "w")
    proc = dk.start_daemon(conf, log, env=env)
    res = {"class": name, "bytes": len(doc)}
    try:
        if not dk.wait_for(lambda: dk.can_connect(sock), timeout=30):
            raise RuntimeError("%s: the daemon did not answer: %s" % (
                name, open(os.path.join(d, "log")).read()[-2000:]))
        pinger = Pinger(sock)
        pinger.start()
        t_start = time.monotonic()

        def polled():
            try:
                con = dk.db_connect(db)
                rows = con.execute("SELECT id, last_poll, last_error, nitems FROM feeds").fetchall()
                con.close()
            except Exception:
                return False
            return len(rows) == 2 and all(r[1] > 0 for r in rows)
        done = dk.wait_for(polled, timeout=600, step=0.1)
        t_end = time.monotonic()
        time.sleep(0.3)
        pinger.stop = note.stop = True
        pinger.join()
        note.join()
        con = dk.db_connect(db)
        rows = {r[0]: r[1:] for r in con.execute(
            "SELECT id, last_error, failures, (SELECT count(*) FROM items WHERE feed = feeds.id),"
            " etag, last_modified FROM feeds")}
        con.close()
        lat = sorted(s[1] for s in pinger.samples if t_start <= s[0] <= t_end) or [0.0]
        res.update({
            "polled": done, "seconds": round(t_end - t_start, 3),
            "requests": len(lat), "client_errors": pinger.errors,
            "worst_ms": round(lat[-1] * 1000, 1),
            "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 1),
            "watchdog_gap_ms": round(worst_gap(note.pings, t_start, t_end) * 1000, 1),
            "watchdog_pings": len(note.pings),
            "error": rows.get(name, (None,))[0], "failures": rows.get(name, (0, 0))[1],
            "items": rows.get(name, (0, 0, 0))[2], "ok_items": rows.get("ok", (0, 0, 0))[2],
            "validators": rows.get(name, (0, 0, 0, None, None))[3:5],
        })
    finally:
        dk.stop_daemon(proc)
        log.close()
    with open(os.path.join(d, "log")) as f:
        res["log"] = [ln.rstrip() for ln in f if name in ln and ("warn" in ln or "info" in ln
                                                                   or "recovered" in ln)][-3:]
    return res


def stored_validators(tmp, ng, check):
    """A database from before validators were checked holds a 5,000-byte
    ETag and a Last-Modified with a line break: the next poll is a full GET
    that stores, not a failure, and the store forgets them."""
    d = os.path.join(tmp, "stored-validators")
    os.makedirs(d)
    dk.write_atomic(os.path.join(ng.root, "sv.xml"), dk.rss("sv", [
        {"guid": "sv%d" % i, "link": "http://example.com/sv%d" % i, "title": "t %d" % i,
         "body": "b", "date": "Mon, 01 Dec 2025 10:00:00 GMT"} for i in range(3)]))
    db, sock, conf = os.path.join(d, "db"), os.path.join(d, "sock"), os.path.join(d, "conf")
    with open(conf, "w") as f:
        f.write(dk.config_text(db, sock, [("sv", ng.url("/sv.xml"))]))
    for rnd in range(2):
        with open(os.path.join(d, "log%d" % rnd), "w") as log:
            proc = dk.start_daemon(conf, log, extra_args=["--once"])
            proc.wait(timeout=120)
        con = dk.db_connect(db, ro=False)
        if rnd == 0:
            con.execute("UPDATE feeds SET etag = ?, last_modified = ?",
                        ('"%s"' % ("e" * 5000), "Mon, 01 Dec\r\n2025"))
            con.commit()
        else:
            row = con.execute("SELECT last_error, failures, etag, last_modified FROM feeds"
                              " WHERE id = 'sv'").fetchone()
            check(proc.returncode == 0 and row[0] is None and row[1] == 0,
                  "stored bad validators: the next poll succeeds (%r)" % (row[:2],))
            check(len(row[2] or "") <= 1024 and "\r" not in (row[3] or ""),
                  "stored bad validators: forgotten (ETag %d bytes)" % len(row[2] or ""))
        con.close()
    check("stored ETag or Last-Modified" in open(os.path.join(d, "log1")).read(),
          "stored bad validators: logged")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=0.25)
    ap.add_argument("--only", default="")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--worst-ms", type=float, default=500.0,
                    help="fail when a round trip took longer (the test's generous bound)")
    a = ap.parse_args()
    if harness.find_nginx() is None:
        print("SKIP: nginx not installed (apt-get install nginx-light)")
        return 77
    dk.drop_proxies()
    check = dk.Checks()
    out = []
    with tempfile.TemporaryDirectory(prefix="herald-stall-") as tmp:
        root = os.path.join(tmp, "www")
        os.makedirs(root)
        with harness.Nginx(root) as ng, harness.FaultServer() as fs:
            for name, gen, want in CLASSES:
                if a.only and name not in a.only.split(","):
                    continue
                r = run_class(tmp, ng, fs, name, gen, a.scale)
                out.append(r)
                if a.json:
                    continue
                print("%-16s %9d bytes: %6.2f s, %5d requests, worst %7.1f ms, p99 %6.1f ms,"
                      " watchdog gap %6.1f ms; stored %d items; error: %s" % (
                          name, r["bytes"], r["seconds"], r["requests"], r["worst_ms"],
                          r["p99_ms"], r["watchdog_gap_ms"], r["items"], r["error"]))
                check(r["polled"], "%s: both feeds polled" % name)
                check(r["client_errors"] == 0, "%s: no client error" % name)
                check(r["worst_ms"] < a.worst_ms, "%s: worst round trip %.1f ms < %.0f ms" % (
                    name, r["worst_ms"], a.worst_ms))
                check(r["watchdog_gap_ms"] < a.worst_ms + 100,
                      "%s: watchdog fed (longest gap %.1f ms)" % (name, r["watchdog_gap_ms"]))
                check(r["ok_items"] == 5, "%s: the healthy feed stored" % name)
                if want == "validators":
                    check(r["error"] is None and r["items"] > 0 and
                          r["validators"] == (None, None),
                          "%s: stored, its bad validators not (%r)" % (name, r["validators"]))
                if want == "ok":
                    check(r["error"] is None and r["items"] > 0,
                          "%s: stored (%d items), no error" % (name, r["items"]))
            if not a.json and not a.only:
                stored_validators(tmp, ng, check)
    if a.json:
        print(json.dumps(out, indent=1))
        return 0
    return 1 if check.fails else 0


if __name__ == "__main__":
    sys.exit(main())
