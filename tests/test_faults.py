#!/usr/bin/env python3
"""Fault injection against heraldd (issue #9): each fault gets a clear error,
the daemon keeps running, and nothing stored is lost.

- network: connection refused, TLS failure (nginx's self-signed port),
  slow drip, truncated gzip (two ways), DNS failure (a name under .invalid,
  resolved inside a private network namespace so no query can leave the
  machine; skipped when unshare is not allowed); bodies that are not feeds
  (refused while streaming: nested too deep; then bytes that are not XML, an
  HTML page, an empty body);
- disk full: RLIMIT_FSIZE (SIGXFSZ ignored, so writes fail with EFBIG),
  raised again with prlimit while the daemon runs;
- the database locked by another writer for longer than busy_timeout;
- the database file deleted, then replaced, underneath the daemon;
- feeds.conf unreadable (a directory), missing or half-written on SIGHUP;
- a socket directory that cannot be created;
- out of file descriptors: RLIMIT_NOFILE 64 with 500 feeds.
Exits 77 (skip) when nginx is missing.
"""

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ.get("HERALD_SRCDIR", os.path.join(
    os.path.dirname(__file__), "..")), "tests"))
import daemonkit as dk  # noqa: E402
import harness  # noqa: E402

check = dk.Checks()


def items(prefix, n, size=200):
    body = ("lorem ipsum dolor sit amet %s " % prefix) * (size // 30 + 1)
    return [{"guid": "%s-%d" % (prefix, i), "link": "http://example.com/%s/%d" % (prefix, i),
             "title": "%s item %d about %s" % (prefix, i, prefix * 2), "body": body,
             "date": "20 Nov 2026 10:%02d:00 GMT" % (i % 60)} for i in range(n)]


def feed_file(root, name, n, size=200):
    dk.write_atomic(os.path.join(root, name + ".xml"), dk.rss("Feed " + name, items(name, n, size)))


def feed_row(db, fid):
    con = dk.db_connect(db)
    try:
        con.row_factory = dk.sqlite3.Row
        return con.execute("SELECT * FROM feeds WHERE id = ?", (fid,)).fetchone()
    finally:
        con.close()


def count(db, fid=None):
    try:
        return count_once(db, fid)
    except dk.sqlite3.OperationalError:
        return -1


def count_once(db, fid=None):
    con = dk.db_connect(db)
    try:
        if fid:
            return con.execute("SELECT COUNT(*) FROM items WHERE feed = ?", (fid,)).fetchone()[0]
        return con.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    finally:
        con.close()


def read_log(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


class Daemon:
    """heraldd -f with its own config, log, db and socket under dir."""

    def __init__(self, tmp, name, feeds, extra="", preexec_fn=None):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.db = os.path.join(self.dir, "h.db")
        self.sock = os.path.join(self.dir, "run", "h.sock")
        self.conf = os.path.join(self.dir, "h.conf")
        self.logpath = os.path.join(self.dir, "log")
        self.feeds = feeds
        self.extra = extra
        self.preexec_fn = preexec_fn
        self.proc = None
        self.write_conf()

    def write_conf(self, feeds=None):
        dk.write_atomic(self.conf, dk.config_text(self.db, self.sock, feeds or self.feeds,
                                                  self.extra))

    def start(self, wait=True):
        self.log = open(self.logpath, "ab")
        self.proc = dk.start_daemon(self.conf, self.log, preexec_fn=self.preexec_fn)
        if wait:
            return dk.wait_for(lambda: dk.can_connect(self.sock) or self.proc.poll() is not None,
                               60) and self.proc.poll() is None
        return True

    def alive(self):
        return self.proc.poll() is None and dk.can_connect(self.sock)

    def request(self, line):
        c = dk.Conn(self.sock)
        try:
            return c.request(line)
        finally:
            c.close()

    def stop(self):
        rc = dk.stop_daemon(self.proc) if self.proc else None
        self.log.close()
        return rc

    def text(self):
        return read_log(self.logpath)

    def polled(self, fids, since, ok=None):
        def cond():
            for fid in fids:
                r = feed_row(self.db, fid)
                if r is None or r["last_poll"] < since:
                    return False
                if ok is not None and (r["last_error"] is None) != ok:
                    return False
            return True
        return cond


# ---- network ----

def network(tmp, ng, fs):
    root = ng.root
    for name in ("good1", "good2", "good3", "tls"):
        feed_file(root, name, 5)
    # Refused while streaming (the parser gives up), at the end (no feed
    # element), and with nothing to parse: each reason reaches the status.
    dk.write_atomic(os.path.join(root, "garbage.xml"), "\x00\x01garbage<<<>>>")
    dk.write_atomic(os.path.join(root, "page.html"), "<html><body><p>hi</p></body></html>\n")
    dk.write_atomic(os.path.join(root, "empty.xml"), "")
    dk.write_atomic(os.path.join(root, "deep.xml"), '<rss version="2.0"><channel>'
                    + "<x>" * 300 + "</x>" * 300 + "</channel></rss>")
    refused_port = harness.free_port()  # bound a moment ago, nothing listens now
    feeds = [("good1", ng.url("/good1.xml")), ("good2", ng.url("/good2.xml")),
             ("refused", "http://127.0.0.1:%d/feed.xml" % refused_port),
             ("drip", fs.url("/drip")), ("truncgz", fs.url("/truncgz")),
             ("truncgzlen", fs.url("/truncgz-len")), ("good3", ng.url("/good3.xml")),
             ("garbage", ng.url("/garbage.xml")), ("html", ng.url("/page.html")),
             ("empty", ng.url("/empty.xml")), ("deep", ng.url("/deep.xml"))]
    if ng.tls_port:
        feeds.append(("tls", "https://127.0.0.1:%d/tls.xml" % ng.tls_port))
    else:
        print("skip: TLS failure (no openssl, so no TLS port)")
    d = os.path.join(tmp, "net")
    os.makedirs(d)
    db = os.path.join(d, "h.db")
    conf = os.path.join(d, "h.conf")
    dk.write_atomic(conf, dk.config_text(db, os.path.join(d, "s"), feeds).replace(
        "timeout = 10s", "timeout = 4s").replace("connect_timeout = 5s", "connect_timeout = 3s"))
    t0 = time.time()
    p = subprocess.run(dk.WRAP + [dk.HERALDD, "--once", "-v", "-c", conf], capture_output=True,
                       text=True, timeout=120)
    if not check(p.returncode == 2, "network faults: --once ends, exit 2 (%d, %.1f s)"
                 % (p.returncode, time.time() - t0)):
        print(p.stderr)
        return
    for fid in ("good1", "good2", "good3"):
        r = feed_row(db, fid)
        check(r["last_status"] == 200 and r["failures"] == 0 and count(db, fid) == 5,
              "%s: stored in spite of the failing feeds beside it" % fid)
    # /truncgz: a gzip stream cut short, then the connection closed, no
    # Content-Length. libcurl (7.88) reports success for it; the document
    # ends inside its root element, so the daemon reports the feed failing
    # (with backoff), stores the items that closed before the cut and none
    # cut in half, and drops the validators (ETag "cut-1") so that no 304
    # keeps the rest of the feed away.
    con = dk.db_connect(db)
    titles = [r[0] for r in con.execute("SELECT title FROM items WHERE feed = 'truncgz'")]
    con.close()
    check(0 < len(titles) < 200 and all(len(t.split()) == 20 for t in titles),
          "truncgz: only whole items are stored (%d of 200, none cut)" % len(titles))
    r = feed_row(db, "truncgz")
    err = r["last_error"] or ""
    check(r["failures"] == 1 and "cut short" in err and r["next_poll"] - r["last_poll"] >= 3600,
          "truncgz: a clear error and backoff (%r)" % err)
    check(r["etag"] is None and r["last_modified"] is None,
          "truncgz: validators dropped (etag %r)" % r["etag"])
    check(any("feed truncgz (" in l and "cut short" in l for l in p.stderr.splitlines()),
          "truncgz: its log line names the feed and the reason")
    expect = {"refused": ("refused", "connect"), "drip": ("timeout", "timed out"),
              "truncgzlen": ("gzip", "decod", "partial", "closed", "transfer"),
              "tls": ("certificate", "ssl", "tls"), "garbage": ("not well-formed",),
              "html": ("not an rss or atom",), "empty": ("empty response body",),
              "deep": ("nested deeper",)}
    for fid, words in expect.items():
        if fid == "tls" and not ng.tls_port:
            continue
        r = feed_row(db, fid)
        err = (r["last_error"] or "")
        check(r["failures"] == 1 and any(w in err.lower() for w in words),
              "%s: a clear error (%r)" % (fid, err))
        check(r["next_poll"] - r["last_poll"] >= 3600, "%s: backed off (%d s)"
              % (fid, r["next_poll"] - r["last_poll"]))
        check(count(db, fid) == 0, "%s: nothing half-stored" % fid)
        check(any(("feed %s (" % fid) in l and err[:30] in l for l in p.stderr.splitlines()),
              "%s: its log line names the feed and the reason" % fid)
    dns(tmp)


def dns(tmp):
    """A .invalid name inside a network namespace with no way out (RFC 6761
    says .invalid never resolves; the namespace makes sure the resolver's
    query cannot reach any server either)."""
    unshare = shutil.which("unshare")
    if not unshare or subprocess.call([unshare, "-n", "true"], stderr=subprocess.DEVNULL) != 0:
        print("skip: DNS failure (unshare -n not allowed: the query could leave the machine)")
        return
    d = os.path.join(tmp, "dns")
    os.makedirs(d)
    local = os.path.join(d, "local.xml")
    dk.write_atomic(local, dk.rss("local", items("local", 3)))
    db = os.path.join(d, "h.db")
    conf = os.path.join(d, "h.conf")
    dk.write_atomic(conf, dk.config_text(db, os.path.join(d, "s"), [
        ("nowhere", "http://herald-test.invalid/feed.xml"), ("local", "file://" + local)]))
    p = subprocess.run([unshare, "-n"] + dk.WRAP + [dk.HERALDD, "--once", "-v", "-c", conf],
                       capture_output=True, text=True, timeout=120)
    r = feed_row(db, "nowhere")
    err = (r["last_error"] or "") if r else ""
    check(p.returncode == 2 and r and r["failures"] == 1 and
          any(w in err.lower() for w in ("resolve", "host")),
          "DNS failure: a clear error (%r)" % err)
    check(count(db, "local") == 3, "DNS failure: the other feed is stored")


# ---- disk full ----

def disk_full(tmp, ng):
    root = ng.root
    feed_file(root, "small", 3)
    base = [("small", ng.url("/small.xml"))]
    big = [("big%d" % i, ng.url("/big%d.xml" % i)) for i in range(6)]
    for fid, _ in big:
        feed_file(root, fid, 60, 2000)  # ~150 KB of text each
    d = Daemon(tmp, "full", base)
    check(d.start(), "disk full: the daemon starts")
    check(dk.wait_for(lambda: count(d.db, "small") == 3, 30), "disk full: a first feed stored")
    d.stop()
    size = max(os.path.getsize(d.db), 64 * 1024)
    limit = size + 96 * 1024

    def preexec():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    d.preexec_fn = preexec
    d.write_conf(base + big)
    check(d.start(), "disk full: the daemon starts under a %d KB file size limit" % (limit // 1024))
    t0 = int(time.time())
    d.request("refresh")
    dk.wait_for(d.polled([f for f, _ in big], t0), 60)
    log = d.text()
    failed = [f for f, _ in big if feed_row(d.db, f)["last_error"]]
    check(failed, "disk full: some responses could not be stored (%d of %d)"
          % (len(failed), len(big)))
    check(any(("feed %s" % f) in l and ("full" in l or "I/O" in l) for f in failed
              for l in log.splitlines()),
          "disk full: the log names the feed and says the disk is full")
    check(d.alive(), "disk full: the daemon keeps running and answers (exit %r)"
          % d.proc.poll())
    try:
        d.request("read --all")
        marks_ok = True
    except dk.ProtoError as e:
        marks_ok = "internal" in str(e)
    check(marks_ok, "disk full: a mark is refused or stored, never half")
    resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE,
                     (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    t1 = int(time.time()) + 1
    time.sleep(1.1)
    d.request("refresh")
    check(dk.wait_for(d.polled([f for f, _ in big], t1, ok=True), 90),
          "disk full: space returns, every feed is stored on the next poll")
    check(all(count(d.db, f) == 60 for f, _ in big), "disk full: every item stored")
    check(d.stop() == 0, "disk full: clean exit")
    dk.consistency(d.db, check)


# ---- database locked ----

def locked(tmp, ng):
    root = ng.root
    for n in ("l1", "l2"):
        feed_file(root, n, 4)
    d = Daemon(tmp, "locked", [("l1", ng.url("/l1.xml"))])
    check(d.start(), "locked: the daemon starts")
    check(dk.wait_for(lambda: count(d.db, "l1") == 4, 30), "locked: first feed stored")
    hold = dk.sqlite3.connect(d.db, timeout=0, isolation_level=None)
    hold.execute("BEGIN EXCLUSIVE")
    hold.execute("UPDATE feeds SET title = title")
    t0 = int(time.time())
    d.write_conf([("l1", ng.url("/l1.xml")), ("l2", ng.url("/l2.xml"))])
    d.proc.send_signal(signal.SIGHUP)
    time.sleep(7)  # busy_timeout is 5 s
    alive = d.proc.poll() is None
    hold.execute("ROLLBACK")
    hold.close()
    check(alive and d.alive(), "locked: the daemon survives a writer holding the lock 7 s")
    log = d.text()
    check(any("database is locked" in l and d.db in l and "reload refused" in prev
              for prev, l in zip(log.splitlines(), log.splitlines()[1:])),
          "locked: the refused reload is logged as 'database is locked'")
    # Whatever was refused while locked happens now.
    try:
        d.request("reload")
    except dk.ProtoError as e:
        print("reload: %s" % e)
    d.request("refresh")
    check(dk.wait_for(lambda: count(d.db, "l2") == 4, 30),
          "locked: after the lock is gone the new feed is stored")
    check(d.stop() == 0, "locked: clean exit")
    dk.consistency(d.db, check)
    del t0


# ---- database deleted or replaced ----

def deleted(tmp, ng):
    root = ng.root
    feed_file(root, "del1", 4)
    d = Daemon(tmp, "deleted", [("del1", ng.url("/del1.xml"))])
    check(d.start(), "deleted: the daemon starts")
    check(dk.wait_for(lambda: count(d.db, "del1") == 4, 30), "deleted: first feed stored")
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(d.db + suffix)
        except FileNotFoundError:
            pass
    # The feed has not changed: the daemon must not send the validators of
    # the file that is gone (a 304 would leave the new file empty).
    off = len(d.text())
    d.request("refresh")
    time.sleep(3)
    log = d.text()[off:]
    check(d.proc.poll() is None, "deleted: the daemon keeps running")
    check(("deleted" in log or "replaced" in log or "moved" in log) and d.db in log,
          "deleted: the log names the database and says it went away")
    check(os.path.exists(d.db) and count(d.db, "del1") == 4,
          "deleted: the next poll fills a new database at the configured path")
    # Replaced by another (valid) database: the daemon follows the path.
    other = os.path.join(d.dir, "other.db")
    src = dk.db_connect(d.db)
    con = dk.sqlite3.connect(other)
    src.backup(con)
    src.close()
    con.execute("UPDATE items SET starred = 1")
    con.commit()
    con.close()
    # A restore from a backup: the new file in, the old WAL and index out.
    os.replace(other, d.db)
    for suffix in ("-wal", "-shm"):
        try:
            os.unlink(d.db + suffix)
        except FileNotFoundError:
            pass
    feed_file(root, "del1", 7)
    os.utime(os.path.join(root, "del1.xml"), (1700001200, 1700001200))
    d.request("refresh")
    check(dk.wait_for(lambda: count(d.db, "del1") == 7, 30),
          "replaced: the next response goes into the new file")
    c = dk.db_connect(d.db)
    starred = c.execute("SELECT COUNT(*) FROM items WHERE starred = 1").fetchone()[0]
    c.close()
    check(starred == 4, "replaced: the new file's own data is kept (%d starred)" % starred)
    check(d.stop() == 0, "deleted: clean exit")
    dk.consistency(d.db, check)


# ---- feeds.conf on SIGHUP ----

def bad_config(tmp, ng):
    feed_file(ng.root, "c1", 2)
    d = Daemon(tmp, "conf", [("c1", ng.url("/c1.xml"))])
    check(d.start(), "config: the daemon starts")
    good = open(d.conf).read()
    half = good + '\n[feed "c2"]\nurl = http://127.0.0.1:1/x\n[feed "c3'
    cases = [("missing", lambda: os.unlink(d.conf), None),
             ("a directory", lambda: os.mkdir(d.conf), lambda: os.rmdir(d.conf)),
             ("half-written", lambda: open(d.conf, "w").write(half), None),
             ("empty", lambda: open(d.conf, "w").close(), lambda: os.unlink(d.conf))]
    ok = True
    for what, setup, undo in cases:
        setup()
        off = len(d.text())
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(0.7)
        new = d.text()[off:]
        ok = check(d.proc.poll() is None and len(d.request("feeds")) == 1,
                   "config %s: SIGHUP refused, the running configuration stays" % what) and ok
        check("reload refused" in new and d.conf in new,
              "config %s: the log names the file and why (%r)"
              % (what, new.strip().splitlines()[-2:] if new.strip() else ""))
        if undo:
            undo()
        elif os.path.exists(d.conf):
            os.unlink(d.conf)
    dk.write_atomic(d.conf, good)
    check(d.stop() == 0, "config: clean exit")


# ---- socket directory ----

def socket_dir(tmp):
    d = os.path.join(tmp, "sockdir")
    os.makedirs(d)
    blocker = os.path.join(d, "notadir")
    open(blocker, "w").close()
    conf = os.path.join(d, "h.conf")
    sock = os.path.join(blocker, "run", "h.sock")
    dk.write_atomic(conf, dk.config_text(os.path.join(d, "h.db"), sock, []))
    p = subprocess.run(dk.WRAP + [dk.HERALDD, "-f", "-c", conf], capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 1 and blocker in p.stderr,
          "socket directory cannot be made: exit 1 naming it (%r)" % p.stderr.strip())
    if os.geteuid() != 0:
        ro = os.path.join(d, "ro")
        os.makedirs(ro, mode=0o500)
        dk.write_atomic(conf, dk.config_text(os.path.join(d, "h.db"),
                                             os.path.join(ro, "h.sock"), []))
        p = subprocess.run(dk.WRAP + [dk.HERALDD, "-f", "-c", conf], capture_output=True,
                           text=True, timeout=60)
        check(p.returncode == 1 and ro in p.stderr,
              "socket directory not writable: exit 1 naming it (%r)" % p.stderr.strip())


# ---- out of file descriptors ----

def fds(tmp, ng):
    n = 500
    for i in range(n):
        dk.write_atomic(os.path.join(ng.root, "fd%03d.xml" % i),
                        dk.rss("fd", items("fd%03d" % i, 2, 60)))

    def preexec():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    d = Daemon(tmp, "fds", [("fd%03d" % i, ng.url("/fd%03d.xml" % i)) for i in range(n)],
               extra="max_connections = 200\nmax_per_host = 200", preexec_fn=preexec)
    check(d.start(), "fds: the daemon starts with 64 descriptors and %d feeds" % n)
    t0 = int(time.time())
    d.request("refresh")
    done = dk.wait_for(d.polled(["fd%03d" % i for i in range(n)], t0), 120, 0.5)
    check(done, "fds: every feed was polled")
    check(d.alive(), "fds: the daemon keeps running and its socket answers")
    con = dk.db_connect(d.db)
    bad = con.execute("SELECT COUNT(*), MAX(last_error) FROM feeds WHERE last_error IS NOT NULL"
                      ).fetchone()
    stored = con.execute("SELECT COUNT(DISTINCT feed) FROM items").fetchone()[0]
    con.close()
    print("fds: %d feeds stored, %d failed (%r)" % (stored, bad[0], bad[1]))
    check(stored == n and bad[0] == 0, "fds: every feed stored (%d), none failed (%d)"
          % (stored, bad[0]))
    check("max_connections lowered" in d.text(), "fds: the lowered connection limit is logged")
    check(bad[0] == 0 or any(w in (bad[1] or "").lower() for w in ("descriptor", "file", "socket",
                                                                      "connect", "resolve")),
          "fds: failures say why (%r)" % bad[1])
    check(d.stop() == 0, "fds: clean exit")
    dk.consistency(d.db, check)


def main():
    if not os.access(dk.HERALDD, os.X_OK):
        print("heraldd not built in %s" % dk.BUILDDIR)
        return 1
    if harness.find_nginx() is None:
        print("SKIP: nginx not installed (apt-get install nginx-light)")
        return 77
    dk.drop_proxies()
    only = os.environ.get("HERALD_FAULTS", "").split(",") if os.environ.get("HERALD_FAULTS") else None
    tmp = tempfile.mkdtemp(prefix="herald-faults-")
    root = os.path.join(tmp, "www")
    os.mkdir(root)
    try:
        with harness.Nginx(root) as ng, harness.FaultServer() as fs:
            tests = [("network", lambda: network(tmp, ng, fs)),
                     ("disk", lambda: disk_full(tmp, ng)),
                     ("locked", lambda: locked(tmp, ng)),
                     ("deleted", lambda: deleted(tmp, ng)),
                     ("config", lambda: bad_config(tmp, ng)),
                     ("socket", lambda: socket_dir(tmp)),
                     ("fds", lambda: fds(tmp, ng))]
            for name, fn in tests:
                if only and name not in only:
                    continue
                t = time.time()
                print("--- %s" % name, flush=True)
                fn()
                print("--- %s: %.1f s" % (name, time.time() - t), flush=True)
    finally:
        if not os.environ.get("HERALD_KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept %s" % tmp)
    print("%d failed" % len(check.fails))
    return 1 if check.fails else 0


if __name__ == "__main__":
    sys.exit(main())
