#!/usr/bin/env python3
"""Crash consistency: heraldd killed with SIGKILL at random moments (issue #9).

A private nginx serves many generated feeds whose content changes every
round (new items, edited items, some feeds dropping old items, stories told
by several feeds so that folding merges). Each round the daemon is started
in the foreground, read/starred marks are set through the socket with the
herald client and remembered, the feeds change, and the daemon is killed
with SIGKILL: right after the marks, during start-up, or at a random moment
after a `refresh` while the 200 responses are being fetched and stored. At
the end a clean run polls everything once more and the database must hold
every item the server offered exactly once, every mark, and consistent
stories.

HERALD_CRASH_ROUNDS (default 24), HERALD_CRASH_FEEDS (default 200) and
HERALD_CRASH_SEED change the run; HERALD_CRASH_LONG=1 means 150 rounds of
400 feeds. Exits 77 (skip) when nginx is missing.
"""

import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ.get("HERALD_SRCDIR", os.path.join(
    os.path.dirname(__file__), "..")), "tests"))
import daemonkit as dk  # noqa: E402
import harness  # noqa: E402

LONG = os.environ.get("HERALD_CRASH_LONG") == "1"
ROUNDS = int(os.environ.get("HERALD_CRASH_ROUNDS", 150 if LONG else 24))
NFEEDS = int(os.environ.get("HERALD_CRASH_FEEDS", 400 if LONG else 200))
SEED = int(os.environ.get("HERALD_CRASH_SEED", int(time.time()) & 0xffffff))
WINDOW = 8  # rolling feeds keep their last WINDOW items
check = dk.Checks()

EVENTS = ["Port strike ends after dockers accept pay offer",
          "Storm warning issued for the west coast tonight",
          "Council approves new tram line through the city centre",
          "Central bank holds interest rates steady again",
          "Wildfire forces evacuation of mountain villages",
          "Parliament passes long delayed housing bill",
          "Football club sacks manager after heavy defeat",
          "Museum returns looted bronze statues to Benin"]
WORDS = ("apple river stone cloud tiger lemon harbor violin copper meadow signal orbit "
         "glacier pepper lantern saddle falcon quartz willow ember canyon velvet piano "
         "marble rocket basil thunder prairie walnut compass").split()


class Feed:
    def __init__(self, n, rng):
        self.id = "f%03d" % n
        self.rolling = n % 10 == 3
        self.items = []  # every item ever offered, oldest first
        self.n = 0
        self.rng = rng

    def add(self, day):
        self.n += 1
        key = "%s-%d" % (self.id, self.n)
        r = self.rng.random()
        if r < 0.25:
            title = self.rng.choice(EVENTS)  # the same story from several outlets
        else:
            title = " ".join(self.rng.sample(WORDS, 6)) + " " + key
        it = {"key": key, "guid": key if self.rng.random() < 0.7 else None,
              "link": "http://example.com/%s/%s" % (self.id, key), "title": title,
              "version": 1, "date": "%02d Nov 2026 %02d:%02d:00 GMT"
              % (1 + day % 28, self.rng.randrange(24), self.rng.randrange(60))}
        self.items.append(it)

    def edit(self):
        it = self.rng.choice(self.items)
        it["version"] += 1

    def offered(self):
        return self.items[-WINDOW:] if self.rolling else self.items

    def document(self):
        items = []
        for it in reversed(self.offered()):
            d = dict(it)
            d["body"] = "Text of %s, version v%d. %s" % (it["key"], it["version"],
                                                          " ".join(WORDS[:8]))
            items.append(d)
        return dk.rss("Feed " + self.id, items)


def write_round(root, feeds, rng, day):
    for f in feeds:
        for _ in range(rng.choice((0, 1, 1, 2))):
            f.add(day)
        if f.items and rng.random() < 0.2:
            f.edit()
        path = os.path.join(root, f.id + ".xml")
        dk.write_atomic(path, f.document())
        # nginx's ETag is mtime and size: an edit of the same length within
        # the same second would look unchanged. Each round is its own minute.
        os.utime(path, (1700000000 + day * 60, 1700000000 + day * 60))


def item_ids(db, feeds, rng, k):
    """k random stored items: (id, feed, key)."""
    con = dk.db_connect(db)
    try:
        rows = con.execute("SELECT id, feed, guid FROM items ORDER BY random() LIMIT ?",
                           (k,)).fetchall()
    finally:
        con.close()
    return rows


def set_marks(sock, db, feeds, rng, marks):
    """Marks a few items through the client; remembers what each must read."""
    rows = item_ids(db, feeds, rng, 12)
    if not rows:
        return 0
    groups = {"read": [], "unread": [], "star": [], "unstar": []}
    for r in rows:
        op = rng.choice(("read", "read", "star", "star", "unread", "unstar"))
        groups[op].append(r)
    n = 0
    for op, rs in groups.items():
        if not rs:
            continue
        dk.client(sock, op, "--item", *[str(r[0]) for r in rs])
        for r in rs:
            read, star = marks.get((r[1], r[2]), (None, None))
            if op in ("read", "unread"):
                read = 1 if op == "read" else 0
            else:
                star = 1 if op == "star" else 0
            marks[(r[1], r[2])] = (read, star)
            n += 1
    return n


def stored_count(logpath, since):
    """Responses stored after byte offset `since` of the daemon's log."""
    with open(logpath, "rb") as f:
        f.seek(since)
        text = f.read().decode("utf-8", "replace")
    return len(re.findall(r"^.*feed \S+: \d+ items: ", text, re.M))


def run_rounds(tmp, ng, feeds, rng, conf, db, sock, logpath):
    marks = {}
    stats = {"kills": 0, "after_marks": 0, "startup": 0, "after_refresh": 0,
             "mid_ingest": 0, "marks": 0}
    log = open(logpath, "ab")
    day = 0
    for rnd in range(ROUNDS):
        kind = ("marks", "refresh", "refresh", "startup")[rnd % 4] if rnd else "refresh"
        t_round = time.monotonic()
        proc = dk.start_daemon(conf, log)
        try:
            if kind == "startup":
                time.sleep(rng.uniform(0.0, 0.6))
                dk.kill(proc)
                stats["startup"] += 1
                stats["kills"] += 1
                continue
            if not check(dk.wait_for(lambda: dk.can_connect(sock) or proc.poll() is not None,
                                     60) and proc.poll() is None,
                         "round %d: the daemon restarts after a kill" % rnd):
                break
            t_up = time.monotonic() - t_round
            stats["marks"] += set_marks(sock, db, feeds, rng, marks)
            if kind == "marks":
                dk.kill(proc)
                stats["after_marks"] += 1
                stats["kills"] += 1
                continue
            day += 1
            write_round(ng.root, feeds, rng, day)
            # The daemon appends through its own descriptor: the size of the
            # file, not this object's position, is where this round begins.
            off = os.path.getsize(logpath)
            dk.client(sock, "refresh")
            # Early (fetching, first transactions) or anywhere in the storing.
            time.sleep(rng.uniform(0.0, 0.3) if rng.random() < 0.4 else rng.uniform(0.3, 2.0))
            dk.kill(proc)
            n = stored_count(logpath, off)
            stats["after_refresh"] += 1
            stats["kills"] += 1
            if 0 < n < len(feeds):
                stats["mid_ingest"] += 1
            print("round %d: up in %.1f s, killed after %d of %d responses were stored"
                  % (rnd, t_up, n, len(feeds)), flush=True)
        finally:
            dk.kill(proc)
            print("round %d (%s): %.1f s" % (rnd, kind, time.monotonic() - t_round), flush=True)
    log.close()
    return marks, stats


def final_poll(tmp, ng, feeds, conf, db, sock, logpath):
    """A clean run: every feed polled once more after its last change."""
    # last_poll has a resolution of one second, and on a fast machine the
    # last rounds and this start share a second: a status a killed daemon
    # committed there would pass for this run's, and the daemon would be
    # stopped while its last responses are still coming in. This run's
    # polls are those stamped after every earlier one.
    con = dk.db_connect(db)
    try:
        t0 = (con.execute("SELECT MAX(last_poll) FROM feeds").fetchone()[0] or 0) + 1
    finally:
        con.close()
    while time.time() < t0:
        time.sleep(0.05)
    log = open(logpath, "ab")
    proc = dk.start_daemon(conf, log)
    try:
        check(dk.wait_for(lambda: dk.can_connect(sock), 60), "the daemon starts after the last kill")
        dk.client(sock, "refresh")

        def all_polled():
            con = dk.db_connect(db)
            try:
                return con.execute("SELECT COUNT(*) FROM feeds WHERE last_poll >= ? AND "
                                   "last_error IS NULL AND failures = 0", (t0,)).fetchone()[0] \
                    == len(feeds)
            finally:
                con.close()
        if not check(dk.wait_for(all_polled, 120, 0.3),
                     "the final refresh polls every feed cleanly"):
            con = dk.db_connect(db)
            print(con.execute("SELECT id, last_poll, last_status, last_error, failures FROM feeds"
                              " WHERE last_poll < ? OR last_error IS NOT NULL OR failures"
                              " LIMIT 5", (t0,)).fetchall())
            con.close()
        rc = dk.stop_daemon(proc)
        check(rc == 0, "SIGTERM: clean exit (%r)" % rc)
    finally:
        dk.kill(proc)
        log.close()


def verify(db, feeds, marks):
    con = dk.db_connect(db)
    try:
        rows = con.execute("SELECT feed, guid, link, summary_text FROM items").fetchall()
        dups = con.execute("SELECT feed, link, COUNT(*) FROM items GROUP BY feed, link "
                           "HAVING COUNT(*) > 1").fetchall()
        got = {(r[0], r[1]): r for r in con.execute(
            "SELECT feed, guid, read, starred FROM items")}
    finally:
        con.close()
    stored = {}
    for feed, guid, link, text in rows:
        stored.setdefault((feed, link), []).append(text)
    missing, twice, stale, unknown = [], [], [], 0
    known = set()
    for f in feeds:
        for it in f.items:
            known.add((f.id, it["link"]))
        for it in f.offered():
            s = stored.get((f.id, it["link"]), [])
            if not s:
                missing.append(it["key"])
            elif len(s) > 1:
                twice.append(it["key"])
            elif "version v%d." % it["version"] not in s[0]:
                stale.append(it["key"])
    unknown = sum(1 for k in stored if k not in known)
    total = sum(len(f.offered()) for f in feeds)
    check(not missing, "every offered item is stored (%d of %d missing: %s)"
          % (len(missing), total, missing[:5]))
    verify.suspects = sorted({k.rsplit("-", 1)[0] for k in missing + stale})
    check(not twice and not dups, "no item is stored twice (%d, %s)" % (len(twice), dups[:3]))
    check(not stale, "every edited item holds its last version (%d stale: %s)"
          % (len(stale), stale[:5]))
    check(unknown == 0, "nothing stored that the server never offered (%d)" % unknown)
    lost = [(k, v, got.get(k)[2:] if got.get(k) else None) for k, v in marks.items()
            if got.get(k) is None or any(want is not None and want != have
                                         for want, have in zip(v, got[k][2:]))]
    check(not lost, "every mark set through the socket survived the kills (%d of %d lost: %s)"
          % (len(lost), len(marks), lost[:5]))
    return total


def explain(ng, db, logpath, ids):
    """What the server answered and the daemon recorded for the feeds whose
    items went missing: enough to tell a lost commit from a wrong 304."""
    con = dk.db_connect(db)
    try:
        for fid in ids[:4]:
            st = os.stat(os.path.join(ng.root, fid + ".xml"))
            print("%s: file ETag \"%x-%x\"; row %r" % (fid, int(st.st_mtime), st.st_size, con.execute(
                "SELECT etag, last_modified, last_poll, last_status, next_poll FROM feeds"
                " WHERE id = ?", (fid,)).fetchone()))
            with open(os.path.join(ng.tmp, "access.log"), errors="replace") as f:
                hits = [l.rstrip() for l in f if "/%s.xml" % fid in l]
            print("  server: " + "\n  server: ".join(hits[-6:]))
            with open(logpath, "rb") as f:
                lines = [l for l in f.read().decode("utf-8", "replace").splitlines()
                         if "feed %s" % fid in l or "started" in l]
            print("  daemon: " + "\n  daemon: ".join(lines[-12:]))
    finally:
        con.close()


def main():
    if not os.access(dk.HERALDD, os.X_OK) or not os.access(dk.HERALD, os.X_OK):
        print("heraldd/herald not built in %s" % dk.BUILDDIR)
        return 1
    if harness.find_nginx() is None:
        print("SKIP: nginx not installed (apt-get install nginx-light)")
        return 77
    dk.drop_proxies()
    rng = random.Random(SEED)
    print("seed %d (HERALD_CRASH_SEED=%d repeats this run), %d rounds, %d feeds"
          % (SEED, SEED, ROUNDS, NFEEDS), flush=True)
    tmp = tempfile.mkdtemp(prefix="herald-crash-")
    root = os.path.join(tmp, "www")
    os.mkdir(root)
    t0 = time.time()
    try:
        with harness.Nginx(root) as ng:
            feeds = [Feed(i, rng) for i in range(NFEEDS)]
            write_round(root, feeds, rng, 0)
            db = os.path.join(tmp, "crash.db")
            sock = os.path.join(tmp, "run", "h.sock")
            conf = os.path.join(tmp, "h.conf")
            dk.write_atomic(conf, dk.config_text(db, sock, [(f.id, ng.url("/%s.xml" % f.id))
                                                           for f in feeds]))
            logpath = os.path.join(tmp, "daemon.log")
            marks, stats = run_rounds(tmp, ng, feeds, rng, conf, db, sock, logpath)
            check(stats["kills"] >= min(20, ROUNDS), "killed %d times with SIGKILL"
                  % stats["kills"])
            final_poll(tmp, ng, feeds, conf, db, sock, logpath)
            total = verify(db, feeds, marks)
            dk.consistency(db, check)
            print("summary: %d kills (%d right after marks, %d during start-up, %d after a "
                  "refresh, %d of those with the responses partly stored), %d marks, "
                  "%d items offered, %.0f s" % (stats["kills"], stats["after_marks"],
                                               stats["startup"], stats["after_refresh"],
                                               stats["mid_ingest"], stats["marks"], total,
                                               time.time() - t0))
            if check.fails:
                explain(ng, db, logpath, getattr(verify, "suspects", []))
                with open(logpath, "rb") as f:
                    errs = [l for l in f.read().decode("utf-8", "replace").splitlines()
                            if "error" in l.lower() or "cannot" in l]
                print("\n".join(errs[-30:]))
    finally:
        if not os.environ.get("HERALD_KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept %s" % tmp)
    print("%d failed" % len(check.fails))
    return 1 if check.fails else 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
