#!/usr/bin/env python3
"""Shared pieces of the reliability tests and bench/soak (stdlib only).

Generated feeds written atomically into an nginx docroot, heraldd started in
the foreground with its socket, a raw protocol client (no process per
request), and the database consistency checks the crash test ends with.
"""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import time

SRCDIR = os.environ.get("HERALD_SRCDIR", os.path.join(os.path.dirname(__file__), ".."))
BUILDDIR = os.environ.get("HERALD_BUILDDIR", ".")
HERALDD = os.path.join(BUILDDIR, "heraldd")
HERALD = os.path.join(BUILDDIR, "herald")
WRAP = os.environ.get("HERALD_TEST_WRAPPER", "").split()


class Checks:
    def __init__(self):
        self.fails = []

    def __call__(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what, flush=True)
        if not cond:
            self.fails.append(what)
        return cond


def drop_proxies():
    for k in list(os.environ):
        if k.lower().endswith("_proxy"):
            del os.environ[k]


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.replace(tmp, path)


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def rss(title, items):
    """items: dicts with guid (or None), link, title, body, day."""
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<rss version="2.0"><channel><title>%s</title>' % esc(title),
           "<link>http://example.com/</link><description>generated for the reliability "
           "tests</description>"]
    for it in items:
        guid = "<guid isPermaLink=\"false\">%s</guid>" % esc(it["guid"]) if it.get("guid") else ""
        out.append("<item><title>%s</title>%s<link>%s</link><description>%s</description>"
                   "<pubDate>%s</pubDate></item>"
                   % (esc(it["title"]), guid, esc(it["link"]), esc(it["body"]), it["date"]))
    out.append("</channel></rss>\n")
    return "\n".join(out)


def config_text(db, sock, feeds, extra=""):
    """feeds: (id, url) pairs."""
    lines = ["database = %s" % db, "socket = %s" % sock, "interval = 1h", "min_interval = 60s",
             "timeout = 10s", "connect_timeout = 5s", "max_body = 4M", extra]
    for fid, url in feeds:
        lines += ["", '[feed "%s"]' % fid, "url = %s" % url]
    return "\n".join(lines) + "\n"


def start_daemon(conf, log, extra_args=(), preexec_fn=None, env=None):
    return subprocess.Popen(WRAP + [HERALDD, "-f", "-v", "-c", conf] + list(extra_args),
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            preexec_fn=preexec_fn, env=env)


def stop_daemon(proc, sig=signal.SIGTERM, timeout=30):
    """Stops the daemon we started, by its pid. Returns its exit status."""
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None
    return proc.returncode


def wait_for(cond, timeout=30.0, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return False


class ProtoError(Exception):
    pass


class Conn:
    """One connection to the daemon's socket speaking the line protocol."""

    def __init__(self, path, timeout=30.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.f = self.s.makefile("rb")
        hello = self.f.readline()
        if not hello.startswith(b"HERALD "):
            raise ProtoError("bad greeting %r" % hello)

    def request(self, line):
        """Sends one request; returns the list of records (dicts of lists)."""
        self.s.sendall(line.encode() + b"\n")
        records, cur = [], {}
        while True:
            ln = self.f.readline()
            if not ln:
                raise ProtoError("connection closed during %r" % line)
            ln = ln.rstrip(b"\n").decode("utf-8", "replace")
            if ln == "OK":
                return records
            if ln.startswith("ERR "):
                raise ProtoError("%s: %s" % (line, ln))
            if ln == "":
                records.append(cur)
                cur = {}
                continue
            k, _, v = ln.partition(": ")
            cur.setdefault(k, []).append(v)

    def close(self):
        try:
            self.f.close()
            self.s.close()
        except OSError:
            pass


def can_connect(path):
    try:
        c = Conn(path, timeout=5)
        c.close()
        return True
    except OSError:
        return False
    except ProtoError:
        return False


def client(sock, *args, timeout=60):
    """The herald client, --json; raises on a non-zero exit."""
    p = subprocess.run([HERALD, "--socket", sock, "--json"] + list(args), capture_output=True,
                       text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("herald %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return json.loads(p.stdout) if p.stdout.strip() else None


def db_connect(db, ro=True):
    if ro:
        return sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
    return sqlite3.connect(db, timeout=30)


def consistency(db, check):
    """The invariants every database must keep, whatever happened to it."""
    con = db_connect(db, ro=False)
    try:
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        ic = q("PRAGMA integrity_check")
        check(ic == [("ok",)], "PRAGMA integrity_check: %s" % (ic[:3],))
        # items_fts's tokenizer ("herald", daemon/store_fts.c) is not
        # Python's to register: tests/fts_check runs the check with it.
        p = subprocess.run([os.path.join(BUILDDIR, "tests", "fts_check"), db],
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 0, "FTS5 index matches the items table (%s)" % p.stderr.strip())
        fk = q("PRAGMA foreign_key_check")
        check(not fk, "no foreign key violation (%s)" % (fk[:3],))
        n = q("SELECT COUNT(*) FROM items WHERE story_id IS NULL")[0][0]
        check(n == 0, "every item is in a story (%d without)" % n)
        n = q("SELECT COUNT(*) FROM items i LEFT JOIN stories s ON s.id = i.story_id "
              "WHERE s.id IS NULL OR s.merged_into IS NOT NULL")[0][0]
        check(n == 0, "every item's story exists and is not merged away (%d bad)" % n)
        bad = q("SELECT s.id, s.nitems, COUNT(i.id), s.noutlets, COUNT(DISTINCT i.feed), "
                "s.nunread, COUNT(i.id) FILTER (WHERE i.read = 0) "
                "FROM stories s LEFT JOIN items i ON i.story_id = s.id "
                "WHERE s.merged_into IS NULL GROUP BY s.id "
                "HAVING s.nitems != COUNT(i.id) OR s.noutlets != COUNT(DISTINCT i.feed) "
                "OR s.nunread != COUNT(i.id) FILTER (WHERE i.read = 0)")
        check(not bad, "story item, outlet and unread counts match their items (%d off: %s)"
              % (len(bad), bad[:3]))
        n = q("SELECT COUNT(*) FROM stories s JOIN stories t ON t.id = s.merged_into "
              "WHERE t.merged_into IS NOT NULL")[0][0]
        check(n == 0, "merged stories point at a survivor in one hop (%d chains)" % n)
        n = q("SELECT COUNT(*) FROM stories s LEFT JOIN items i ON i.story_id = s.id "
              "WHERE s.merged_into IS NULL AND i.id IS NULL")[0][0]
        check(n == 0, "no live story without items (%d)" % n)
        bad = q("SELECT f.id, f.nitems, COUNT(i.id) FROM feeds f LEFT JOIN items i "
                "ON i.feed = f.id GROUP BY f.id HAVING f.nitems != COUNT(i.id)")
        check(not bad, "feed item counts match (%s)" % (bad[:3],))
    finally:
        con.close()


def proc_stats(pid):
    """(RSS kB, open fds) of a process, or (None, None) once it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            rss = next((int(l.split()[1]) for l in f if l.startswith("VmRSS:")), None)
        fds = len(os.listdir("/proc/%d/fd" % pid))
        return rss, fds
    except OSError:
        return None, None


def kill(proc):
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
