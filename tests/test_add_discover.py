#!/usr/bin/env python3
"""Autodiscovery, JSON Feed and enclosures through the daemon (issue 25).

A loopback HTTP server started here (in this process, on a free port)
serves feeds and pages; heraldd runs against it. `herald add` of a page
with one feed link, several (--pick N), a relative and a <base>-relative
one, none ("this page links no feed"), of something that is neither feed
nor page, of a 404, of a huge page and of a page that never ends; then
the RSS and JSON feeds that were added are polled, and `show --item`
(human and --json) shows their enclosures and images.
"""
import http.server
import json
import os
import shutil
import socketserver
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemonkit as dk  # noqa: E402

RSS = """<?xml version="1.0"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
 xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Pod</title>
<link>http://example.com/</link><description>d</description>
<item><title>Harbour radio episode one</title><guid>ep1</guid>
<enclosure url="/media/ep1.mp3" type="audio/mpeg" length="12345678"/>
<itunes:duration>1:02:03</itunes:duration>
<itunes:image href="/art/ep1.jpg"/></item>
<item><title>Lighthouse video tour</title><guid>v1</guid>
<media:content url="/media/v1.mp4" type="video/mp4" fileSize="999" duration="42"/></item>
</channel></rss>"""

JSONFEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1", "title": "JSON pod",
    "items": [{"id": "j1", "title": "Ferry timetable podcast", "url": "/j1",
               "content_html": "<p>All about ferries<script>x()</script></p>",
               "image": "/j1.png", "date_published": "2026-01-02T03:04:05Z",
               "attachments": [{"url": "/j1.m4a", "mime_type": "audio/x-m4a",
                                "size_in_bytes": 89970236, "duration_in_seconds": 6629}]}]})


def link(href, typ="application/rss+xml", title=""):
    t = ' title="%s"' % title if title else ""
    return '<link rel="alternate" type="%s" href="%s"%s>' % (typ, href, t)


def page(*links, base=None):
    b = '<base href="%s">' % base if base else ""
    return ("<!doctype html><html><head><title>Site</title>%s%s</head>"
            "<body><p>Welcome</p></body></html>" % (b, "".join(links)))


PAGES = {
    "/one.html": page(link("feed.xml", title="Pod")),
    "/several.html": page(link("/atom.xml", "application/atom+xml", "Atom"),
                          link("/feed.json", "application/feed+json", "JSON"),
                          link("/feed.xml", title="RSS")),
    "/dir/base.html": page(link("based.xml"), base="/sub/"),
    "/none.html": page(),
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, body, ctype, status=200):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self):
        p = self.path
        if p == "/feed.xml":
            return self.send(RSS, "application/rss+xml")
        if p == "/feed.json":
            return self.send(JSONFEED, "application/feed+json")
        if p in PAGES:
            return self.send(PAGES[p], "text/html; charset=utf-8")
        if p == "/image.png":
            return self.send(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png")
        if p == "/huge.html":  # 6 MiB: more than add reads
            head = page(link("/huge-feed.xml")).split("<body>")[0] + "<body>"
            return self.send(head + "<p>" + "x" * (6 << 20) + "</p></body></html>",
                             "text/html")
        if p == "/endless.html":  # chunked, never ends: add stops reading
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            first = page(link("/endless-feed.xml")).split("<body>")[0] + "<body>"
            try:
                for chunk in [first] + ["<p>%s</p>" % ("y" * 65000)] * 100000:
                    data = chunk.encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
            return None
        return self.send("not here", "text/plain", 404)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client that stops reading (add's cap) is expected


def main():
    if not os.path.exists(dk.HERALDD):
        print("no heraldd built")
        return 77
    dk.drop_proxies()
    check = dk.Checks()
    tmp = tempfile.mkdtemp(prefix="herald-discover-")
    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % srv.server_address[1]
    db, sock = os.path.join(tmp, "h.db"), os.path.join(tmp, "h.sock")
    conf = os.path.join(tmp, "feeds.conf")
    dk.write_atomic(conf, dk.config_text(db, sock, []).replace("max_body = 4M", "max_body = 16M"))
    log = open(os.path.join(tmp, "heraldd.log"), "w")
    proc = dk.start_daemon(conf, log)
    try:
        check(dk.wait_for(lambda: dk.can_connect(sock)), "heraldd listens")
        run(check, sock, base, conf)
    finally:
        dk.stop_daemon(proc)
        srv.shutdown()
        log.close()
        text = open(os.path.join(tmp, "heraldd.log")).read()
        check("Sanitizer" not in text and "runtime error" not in text,
              "heraldd's log has no sanitizer report")
        if check.fails:
            print(open(os.path.join(tmp, "heraldd.log")).read()[-3000:])
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if check.fails else 0


def herald(sock, *args):
    import subprocess
    p = subprocess.run([dk.HERALD, "--socket", sock] + list(args), capture_output=True,
                       text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def added_url(sock, *args):
    """(the url added or None, exit status, the error's message): with
    --json, an error is {"error": {"code", "message"}} on standard output."""
    rc, out, err = herald(sock, "--json", "add", *args)
    if rc == 0:
        return json.loads(out).get("url"), rc, err
    try:
        err = json.loads(out)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        pass
    return None, rc, err


def run(check, sock, base, conf):
    u, rc, err = added_url(sock, base + "/one.html")
    check(u == base + "/feed.xml", "a page with one feed link (relative): that feed is added "
          "(%s %s)" % (u, err.strip()))
    u, rc, err = added_url(sock, base + "/several.html")
    check(u is None and rc != 0 and "links 3 feeds" in err and "--pick N" in err and
          "1) %s/atom.xml \"Atom\"" % base in err and "2) %s/feed.json" % base in err,
          "a page with several feed links: listed, none added (%s)" % err.strip())
    u, rc, err = added_url(sock, base + "/several.html", "--pick", "2")
    check(u == base + "/feed.json", "--pick 2 adds the second (%s %s)" % (u, err.strip()))
    u, rc, err = added_url(sock, base + "/several.html", "--pick", "3")
    check(u is None and "already in" in err, "--pick of a feed already there: refused (%s)"
          % err.strip())
    u, rc, err = added_url(sock, base + "/several.html", "--pick", "7")
    check(u is None and "links 3 feeds" in err, "--pick past the list: refused, listed (%s)"
          % err.strip())
    u, rc, err = added_url(sock, base + "/dir/base.html")
    check(u == base + "/sub/based.xml", "a <base>-relative link resolves against <base> (%s %s)"
          % (u, err.strip()))
    u, rc, err = added_url(sock, base + "/none.html")
    check(u is None and "this page links no feed" in err, "a page without feed links: "
          "'this page links no feed' (%s)" % err.strip())
    u, rc, err = added_url(sock, base + "/image.png")
    check(u is None and "neither a feed" in err and "image/png" in err,
          "neither feed nor page: refused at add with the reason (%s)" % err.strip())
    u, rc, err = added_url(sock, base + "/missing")
    check(u is None and "404" in err, "a 404 is refused at add (%s)" % err.strip())
    t0 = time.time()
    u, rc, err = added_url(sock, base + "/huge.html")
    check(u == base + "/huge-feed.xml", "a 6 MiB page: its head is read (%s %s)"
          % (u, err.strip()))
    u, rc, err = added_url(sock, base + "/endless.html")
    check(u == base + "/endless-feed.xml" and time.time() - t0 < 60,
          "a page that never ends: read up to the cap, its link added (%s %s, %.1f s)"
          % (u, err.strip(), time.time() - t0))
    text = open(conf).read()
    check("/none.html" not in text and "/image.png" not in text and "/missing" not in text and
          "several.html" not in text, "nothing refused was written to feeds.conf")
    u, rc, err = added_url(sock, base + "/one.html")
    check(u is None and "already in" in err, "the same page again: its feed is there (%s)"
          % err.strip())

    # The added RSS and JSON feeds are polled; show gives their enclosures.
    def items():
        return {i["title"]: i for i in dk.client(sock, "items", "--all")}
    check(dk.wait_for(lambda: len(items()) >= 3, timeout=60),
          "the RSS and JSON Feed feeds added were polled (%s)" % sorted(items()))
    its = items()
    ep = its.get("Harbour radio episode one", {})
    shown = dk.client(sock, "show", "--item", str(ep.get("id", 0))) if ep else {}
    check(shown.get("image") == base + "/art/ep1.jpg" and shown.get("enclosures") ==
          [{"url": base + "/media/ep1.mp3", "type": "audio/mpeg", "length": 12345678,
            "duration": 3723}],
          "RSS enclosure with itunes duration and image, in show --json (%s)" % shown)
    v = its.get("Lighthouse video tour", {})
    shown = dk.client(sock, "show", "--item", str(v.get("id", 0))) if v else {}
    check(shown.get("enclosures") == [{"url": base + "/media/v1.mp4", "type": "video/mp4",
                                       "length": 999, "duration": 42}],
          "media:content as an enclosure (%s)" % shown.get("enclosures"))
    j = its.get("Ferry timetable podcast", {})
    shown = dk.client(sock, "show", "--item", str(j.get("id", 0))) if j else {}
    check(shown.get("enclosures") == [{"url": base + "/j1.m4a", "type": "audio/x-m4a",
                                       "length": 89970236, "duration": 6629}] and
          shown.get("image") == base + "/j1.png" and "script" not in shown.get("html", "x") and
          "All about ferries" in shown.get("text", ""),
          "a JSON Feed item: attachment, image, sanitized content (%s)" % shown)
    rc, out, err = herald(sock, "show", "--item", str(ep.get("id", 0)))
    check(rc == 0 and "enclosure: %s/media/ep1.mp3 (audio/mpeg, 12.3 MB, 1:02:03)" % base in out
          and "image: %s/art/ep1.jpg" % base in out,
          "show --item prints the enclosure and image (%s)" % out)
    story = dk.client(sock, "show", "s%d" % ep.get("story", 0))
    check('"enclosures"' in json.dumps(story), "show STORY: its items carry enclosures")


if __name__ == "__main__":
    sys.exit(main())
