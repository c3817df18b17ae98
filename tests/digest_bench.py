#!/usr/bin/env python3
"""How long herald-digest takes to build a digest of N stories, and how big it is.

usage: digest_bench.py [N...]      (default: 100 1000; run from the build tree,
                                    or with HERALD_SRCDIR/HERALD_BUILDDIR set)

For each N: four generated feeds (file:// URLs) whose items make N stories,
a fifth of them told by all four feeds; heraldd polls them once; then
`herald-digest --dry-run` runs five times and the median wall time is
printed, with the message's size and, as the peer in the same run, the
median time of the one client call every digest makes anyway
(`herald --json stories --undigested --all`). Prints figures; asserts nothing
(speed targets live in benchmarks, not in tests). Not part of `make check`.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemonkit as dk  # noqa: E402

DIGEST = os.path.join(dk.BUILDDIR, "scripts", "herald-digest")
WORDS = ("harbour council tunnel river summit treaty rover comet market strike ferry museum "
         "bridge festival election drought vaccine satellite orchestra glacier").split()
RUNS = 5


def title(i):
    a, b, c = WORDS[i % 20], WORDS[(i // 20) % 20], WORDS[(i // 400) % 20]
    return "Story %d: %s %s %s report number %d" % (i, a.capitalize(), b, c, i * 7919 % 100003)


def feeds_for(n, tmp):
    shared = n // 5
    own = (n - shared) // 4
    paths = []
    for f in range(4):
        items = []
        for i in range(shared):
            items.append({"guid": "s%d" % i, "link": "https://f%d.example/s/%d" % (f, i),
                          "title": title(i), "body": "%s. Told by every outlet. More follows." % title(i),
                          "date": "Mon, 30 Nov 2026 %02d:%02d:00 GMT" % (i // 60 % 24, i % 60)})
        for k in range(own):
            i = shared + f * own + k
            items.append({"guid": "o%d" % i, "link": "https://f%d.example/o/%d" % (f, i),
                          "title": title(i), "body": "%s. Only this outlet has it." % title(i),
                          "date": "Tue, 01 Dec 2026 %02d:%02d:00 GMT" % (i // 60 % 24, i % 60)})
        path = os.path.join(tmp, "feed%d.xml" % f)
        dk.write_atomic(path, dk.rss("Feed %d" % f, items))
        paths.append(path)
    return paths


def timed(argv, env):
    t = time.monotonic()
    p = subprocess.run(argv, env=env, capture_output=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (argv[0], p.returncode, p.stderr.decode()[-300:]))
    return time.monotonic() - t, p.stdout


def bench(n):
    tmp = tempfile.mkdtemp(prefix="digest_bench.")
    daemon = None
    try:
        sock, db = os.path.join(tmp, "heraldd.sock"), os.path.join(tmp, "herald.db")
        conf = os.path.join(tmp, "feeds.conf")
        with open(conf, "w") as f:
            f.write("database = %s\nsocket = %s\ninterval = 1d\n" % (db, sock))
            for k, path in enumerate(feeds_for(n, tmp)):
                f.write('\n[feed "f%d"]\nurl = file://%s\ntags = t%d, all\n' % (k, path, k % 2))
        log = open(os.path.join(tmp, "heraldd.log"), "w")
        daemon = dk.start_daemon(conf, log)
        dk.wait_for(lambda: dk.can_connect(sock) and all(
            f["last_poll"] > 0 for f in dk.client(sock, "feeds")), timeout=300)
        stories = dk.client(sock, "stories", "--undigested", "--all", "--limit", "10000")
        env = dict(os.environ, TZ="UTC")
        digest, peer, size = [], [], 0
        for _ in range(RUNS):
            t, out = timed([DIGEST, "--dry-run", "--socket", sock, "--to", "r@example.org",
                            "--config", conf], env)
            digest.append(t)
            size = len(out)
            t, _ = timed([dk.HERALD, "--socket", sock, "--json", "stories", "--undigested", "--all",
                          "--limit", "1000"], env)
            peer.append(t)
        d, p = statistics.median(digest), statistics.median(peer)
        print("%5d stories (%d asked for): digest %.3f s (median of %d), %d bytes (%.1f KiB, "
              "%.0f bytes a story); peer `herald --json stories` %.3f s; ratio %.1f"
              % (len(stories), n, d, RUNS, size, size / 1024.0, size / max(1, len(stories)), p, d / p))
    finally:
        if daemon is not None:
            dk.stop_daemon(daemon)
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv):
    for n in [int(a) for a in argv[1:]] or [100, 1000]:
        bench(n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
