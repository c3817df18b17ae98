#!/usr/bin/env python3
"""herald-digest end to end: the real daemon, the real client, delivery through
a real MTA, the message read back and rendered.

heraldd polls the offline demo's seven feeds (examples/, file:// URLs) with
tags of our choosing; herald-digest, from the build tree and told nothing about
where the client is, builds the digest and hands it to msmtp (Debian's msmtp,
configured in ~/.msmtprc as a user would), which delivers it over SMTP to a
server this test starts on 127.0.0.1 (aiosmtpd, Debian's python3-aiosmtpd,
writing a Maildir). The delivered message is checked against
`herald --json show` (tests/digest_check.py: each story once, its title linked
to its earliest outlet, its lead, every outlet, the count of outlets, the
sections and their order, the text part's 72 columns) and rendered in
headless Chromium at phone and desktop widths, light and dark
(tests/digest_render.py). Then: stories marked digested, nothing new means no
mail, and with the SMTP server stopped the digest fails and marks nothing.
"""
import json
import mailbox
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemonkit as dk  # noqa: E402
import digest_check  # noqa: E402
import digest_render  # noqa: E402
from harness import free_port, stop_process, wait_listening  # noqa: E402

DIGEST = os.path.join(dk.BUILDDIR, "scripts", "herald-digest")
TO = "reader@example.org"
# feeds.conf order, and the tags each feed carries: ties between tags go to
# the one named first here ("world" before "europe", which the alphabet would
# put first).
FEEDS = [("northwind", "northwind-herald.xml", "world, europe"),
         ("meridian", "meridian-post.xml", "world"),
         ("lantern", "the-lantern.xml", "culture"),
         ("coastal", "coastal-wire.xml", "europe"),
         ("eastgate", "eastgate-times.xml", "europe, world"),
         ("harbour", "harbour-observer.xml", "world"),
         ("atlas", "atlas-daily.rdf", "science")]


def smtp_python():
    """An interpreter that has aiosmtpd (Debian's is /usr/bin/python3)."""
    for py in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(py) and subprocess.run(
                [py, "-c", "import aiosmtpd"], capture_output=True).returncode == 0:
            return py
    return None


def tag_order():
    out = []
    for _, _, tags in FEEDS:
        for t in tags.split(", "):
            if t not in out:
                out.append(t)
    return out


def expected_section(story):
    """The tag most of the story's items carry; a tie goes to feeds.conf's first."""
    tags = {fid: t.split(", ") for fid, _, t in FEEDS}
    count = {}
    for o in story["outlets"]:
        for t in tags.get(o["feed"], []):
            count[t] = count.get(t, 0) + 1
    order = tag_order()
    return min(count, key=lambda t: (-count[t], order.index(t))) if count else "Other"


def truth_of(sock):
    """The undigested stories as `herald --json show` tells them."""
    out = []
    for s in dk.client(sock, "stories", "--undigested", "--all", "--limit", "1000"):
        show = dk.client(sock, "show", "s%d" % s["id"])
        outlets = [{"item": e["id"], "feed": e["feed"], "name": e["feed_name"], "title": e["title"],
                    "link": e["link"], "time": e["time"], "summary": e.get("text", "")}
                   for e in show["entries"]]
        out.append({"id": show["id"], "title": show["title"], "first_seen": show["first_seen"],
                    "last_seen": show["last_seen"], "items": show["items"],
                    "outlets_count": show["outlets_count"], "outlets": outlets,
                    "tags": show["tags"]})
    return out


def main():
    check = dk.Checks()
    dk.drop_proxies()
    msmtp = shutil.which("msmtp") or ("/usr/bin/msmtp" if os.path.exists("/usr/bin/msmtp") else None)
    spy = smtp_python()
    if not msmtp or not spy:
        print("SKIP: needs msmtp and python3-aiosmtpd (Debian: apt-get install msmtp python3-aiosmtpd)")
        return 77
    tmp = tempfile.mkdtemp(prefix="digest_live.")
    daemon = smtp = None
    try:
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        sock, db = os.path.join(tmp, "heraldd.sock"), os.path.join(tmp, "herald.db")
        conf = os.path.join(tmp, "feeds.conf")
        lines = ["database = %s" % db, "socket = %s" % sock, "interval = 1h", ""]
        for fid, fname, tags in FEEDS:
            url = os.path.join(os.path.abspath(dk.SRCDIR), "examples", fname)
            lines += ['[feed "%s"]' % fid, "url = file://%s" % url, "tags = %s" % tags, ""]
        with open(conf, "w") as f:
            f.write("\n".join(lines))
        log = open(os.path.join(tmp, "heraldd.log"), "w")
        daemon = dk.start_daemon(conf, log)
        ok = dk.wait_for(lambda: dk.can_connect(sock) and all(
            f["last_poll"] > 0 for f in dk.client(sock, "feeds")), timeout=60)
        if not check(ok, "heraldd polled the seven demo feeds"):
            return 1

        port = free_port()
        maildir = os.path.join(tmp, "Maildir")
        smtp = subprocess.Popen([spy, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:%d" % port,
                                 "-c", "aiosmtpd.handlers.Mailbox", maildir],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        if not check(wait_listening(port, smtp), "aiosmtpd listens on 127.0.0.1:%d" % port):
            return 1
        rc = os.path.join(home, ".msmtprc")
        with open(rc, "w") as f:
            f.write("defaults\nauth off\ntls off\nlogfile %s\n\naccount default\nhost 127.0.0.1\n"
                    "port %d\nfrom herald@example.org\n" % (os.path.join(tmp, "msmtp.log"), port))
        os.chmod(rc, 0o600)

        env = dict(os.environ, HOME=home, TZ="UTC", HERALD_DIGEST_LOCK=os.path.join(tmp, "lock"))
        env.pop("HERALD", None)  # found beside the program, in the build tree
        env["PATH"] = "/usr/bin:/bin"
        args = [DIGEST, "--socket", sock, "--to", TO, "--from", "herald <herald@example.org>",
                "--sendmail", msmtp, "--config", conf]

        truth = truth_of(sock)
        ids = [s["id"] for s in truth]
        check(len(truth) >= 20 and any(s["outlets_count"] >= 4 for s in truth),
              "%d stories, the most told by %d outlets" % (len(truth), max(s["outlets_count"] for s in truth)))
        t0 = time.monotonic()
        p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        took = time.monotonic() - t0
        check(p.returncode == 0, "herald-digest through msmtp exited %d %s" % (p.returncode, p.stderr.strip()))
        box = mailbox.Maildir(maildir, create=False) if os.path.isdir(maildir) else None
        msgs = [box.get_bytes(k) for k in box.keys()] if box else []
        if not check(len(msgs) == 1, "the SMTP server received %d message(s), not 1" % len(msgs)):
            return 1
        raw = msgs[0]
        print("digest of %d stories: %d bytes as delivered, built and sent in %.2f s"
              % (len(ids), len(raw), took))
        sections = {s["id"]: expected_section(s) for s in truth}
        errors = digest_check.check_message(raw, truth, ids, [TO], sections)
        for e in errors[:20]:
            print("  " + e)
        check(not errors, "the delivered digest agrees with `herald --json show` (%d problem(s))" % len(errors))
        msg = digest_check.BytesParser(policy=digest_check.email.policy.default).parsebytes(raw)
        check(msg["X-RcptTo"] == TO and msg["X-MailFrom"] == "herald@example.org",
              "the SMTP envelope: from %s to %s" % (msg["X-MailFrom"], msg["X-RcptTo"]))
        text = msg.get_body(("plain",)).get_content()
        heads = [ln.lower() for ln, nxt in zip(text.split("\n"), text.split("\n")[1:])
                 if nxt and set(nxt) == {"="}]
        order = tag_order() + ["other"]
        check(heads == sorted(heads, key=order.index) and len(heads) >= 3,
              "sections in feeds.conf's order of tags: %s" % heads)

        body = msg.get_body(("html",)).get_content()
        # HERALD_DIGEST_SCREENSHOTS=DIR keeps the sample that docs/digest.md shows.
        outdir = os.environ.get("HERALD_DIGEST_SCREENSHOTS") or None
        if outdir:
            with open(os.path.join(outdir, "digest-sample.txt"), "w", encoding="utf-8") as f:
                f.write(text)
        try:
            problems = digest_render.check(body, outdir)
            for pr in problems:
                print("  " + pr)
            check(not problems, "the HTML part fits 360 and 1024 pixels, light and dark")
            bad = "<!DOCTYPE html><html><body><pre>%s</pre></body></html>" % ("x" * 300)
            check(digest_render.check(bad, None, log=lambda *_: None),
                  "the render check sees a page that overflows")
        except FileNotFoundError:
            print("note: no chromium: the HTML part was not rendered (apt-get install chromium)")

        left = dk.client(sock, "stories", "--undigested", "--all")
        check(left == [], "every story was marked digested (%d left)" % len(left))
        p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        check(p.returncode == 0 and len(box.keys()) == 1, "nothing new: exit %d, no mail" % p.returncode)
        p = subprocess.run(args + ["--nothing-new-note"], env=env, capture_output=True, text=True, timeout=300)
        check(p.returncode == 0 and len(box.keys()) == 2, "--nothing-new-note: a note was delivered")

        # The MTA cannot deliver: the digest fails, names the mailer, marks nothing.
        stop_process(smtp)
        smtp = None
        # A new feed (added to feeds.conf, then reloaded) brings a new story.
        wire = os.path.join(tmp, "wire.xml")
        dk.write_atomic(wire, dk.rss("Wire", [{
            "guid": "w1", "link": "https://wire.example/1", "title": "Observatory names a new comet",
            "body": "The comet was found on Tuesday. It will pass Earth in March.",
            "date": "Mon, 30 Nov 2026 09:00:00 GMT"}]))
        with open(conf, "a") as f:
            f.write('\n[feed "wire"]\nurl = file://%s\ntags = science\n' % wire)
        dk.client(sock, "reload")
        check(dk.wait_for(lambda: len(dk.client(sock, "stories", "--undigested", "--all")) == 1),
              "a new wire bulletin is one undigested story")
        p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        check(p.returncode == 1 and "msmtp" in p.stderr and "Traceback" not in p.stderr,
              "SMTP server down: exit %d, %s" % (p.returncode, p.stderr.strip()))
        check(len(dk.client(sock, "stories", "--undigested", "--all")) == 1,
              "SMTP server down: the new story is still undigested")
    finally:
        if smtp is not None:
            stop_process(smtp)
        if daemon is not None:
            dk.stop_daemon(daemon)
        shutil.rmtree(tmp, ignore_errors=True)
    if check.fails:
        print("%d check(s) failed" % len(check.fails))
        return 1
    print("all live digest checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
