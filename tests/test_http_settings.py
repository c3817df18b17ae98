#!/usr/bin/env python3
"""Per-feed HTTP settings (issue #25, docs/configuration.md).

A small origin server and a small forward proxy, both on loopback and both
recording what they receive: a feed through the proxy with proxy
credentials, and one with "proxy = none"; a feed's own User-Agent, extra
headers and cookie; basic authentication from username + password_file
(the password never in the log, the feeds listing, the export or the
database); a 429 with Retry-After pausing every feed of its host, not
only the one that got it; and the configuration errors of each key.
"""

import base64
import http.client
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.environ.get("HERALD_SRCDIR", os.path.join(
    os.path.dirname(__file__), "..")), "tests"))
import daemonkit as dk  # noqa: E402

check = dk.Checks()
PASSWORD = "s3cret-Pa55"
PROXY_PASSWORD = "pr0xy-Pa55"


def doc(name):
    return dk.rss(name, [{"guid": "%s-1" % name, "link": "http://example.com/%s/1" % name,
                          "title": "First of %s" % name, "body": "Body.",
                          "date": "Sat, 05 Dec 2026 10:00:00 GMT"}]).encode()


class Origin(http.server.BaseHTTPRequestHandler):
    log = []  # (host header, path, headers)

    def do_GET(self):
        Origin.log.append((self.headers.get("Host", ""), self.path, dict(self.headers)))
        if self.path == "/auth.xml":
            want = "Basic " + base64.b64encode(("alice:" + PASSWORD).encode()).decode()
            if self.headers.get("Authorization") != want:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="feeds"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        if self.path == "/limited.xml":
            self.send_response(429)
            self.send_header("Retry-After", "8")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = doc(self.path.strip("/").split(".")[0])
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class Proxy(http.server.BaseHTTPRequestHandler):
    log = []  # (absolute URL, Proxy-Authorization)

    def do_GET(self):
        Proxy.log.append((self.path, self.headers.get("Proxy-Authorization")))
        want = "Basic " + base64.b64encode(("bob:" + PROXY_PASSWORD).encode()).decode()
        if self.headers.get("Proxy-Authorization") != want:
            self.send_response(407)
            self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        u = urllib.parse.urlsplit(self.path)
        if u.hostname not in ("127.0.0.1", "localhost"):  # loopback only
            self.send_error(403)
            return
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in
                ("proxy-authorization", "proxy-connection")}
        c.request("GET", u.path, headers=hdrs)
        r = c.getresponse()
        body = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Via", "1.1 test-proxy")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        c.close()

    def log_message(self, *a):
        pass


def serve(handler):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def check_config(tmp, text):
    path = os.path.join(tmp, "bad.conf")
    dk.write_atomic(path, text)
    p = subprocess.run([dk.HERALDD, "--check-config", "-c", path], capture_output=True, text=True)
    return p.returncode, p.stderr


def config_errors(tmp):
    head = "database = %s/x.db\n\n[feed \"a\"]\nurl = http://127.0.0.1:9/a.xml\n" % tmp
    cases = [("proxy = ftp://proxy.example\n", "bad proxy 'ftp://proxy.example'"),
             ("proxy = http://\n", "bad proxy"),
             ("header = X-Bad Name: 1\n", "bad header 'X-Bad Name: 1'"),
             ("header = If-None-Match: x\n", "header 'If-None-Match' is herald's own to send"),
             ("password_file = %s/none\nusername = u\n" % tmp,
              "password_file: cannot read %s/none" % tmp),
             ("username = u\n", "feed 'a': username and password_file go together")]
    for extra, want in cases:
        rc, err = check_config(tmp, head + extra)
        check(rc != 0 and want in err, "config error for %r: %r" % (extra.strip(), err.strip()))
    rc, err = check_config(tmp, head + "header = X-A: 1\nheader = X-B: 2\nproxy = none\n")
    check(rc == 0, "header repeats; proxy = none (%r)" % err.strip())


def main():
    dk.drop_proxies()
    tmp = tempfile.mkdtemp(prefix="herald-http-")
    origin, proxy = serve(Origin), serve(Proxy)
    o, px = origin.server_address[1], proxy.server_address[1]
    proc = None
    try:
        config_errors(tmp)
        pwfile = os.path.join(tmp, "pw")
        with open(pwfile, "w") as fh:
            fh.write(PASSWORD + "\n")
        db, sock = os.path.join(tmp, "h.db"), os.path.join(tmp, "h.sock")
        feeds = [("viaproxy", "http://127.0.0.1:%d/viaproxy.xml" % o),
                 ("direct", "http://127.0.0.1:%d/direct.xml" % o),
                 ("hdr", "http://127.0.0.1:%d/hdr.xml" % o),
                 ("auth", "http://127.0.0.1:%d/auth.xml" % o),
                 ("lim", "http://localhost:%d/limited.xml" % o),
                 ("samehost", "http://localhost:%d/samehost.xml" % o)]
        text = dk.config_text(db, sock, feeds, "proxy = none")
        text = text.replace('[feed "viaproxy"]\n', '[feed "viaproxy"]\nproxy = http://bob:%s@127.0.0.1:%d\n'
                            % (PROXY_PASSWORD, px))
        text = text.replace('[feed "hdr"]\n', '[feed "hdr"]\nuser_agent = FeedBot/2.0 (+ops@example.com)\n'
                            'header = X-Api-Key: k-123\nheader = Accept-Language: de\n'
                            'cookie = session=abc; theme=dark\n')
        text = text.replace('[feed "auth"]\n', '[feed "auth"]\nusername = alice\npassword_file = %s\n'
                            % pwfile)
        conf = os.path.join(tmp, "h.conf")
        dk.write_atomic(conf, text)
        log = open(os.path.join(tmp, "daemon.log"), "ab")
        proc = dk.start_daemon(conf, log)
        check(dk.wait_for(lambda: dk.can_connect(sock), 30), "the daemon starts")
        dk.client(sock, "refresh")

        def polled(ids):
            rows = {f["id"]: f for f in dk.client(sock, "feeds")}
            return all(int(rows[i]["last_poll"]) > 0 for i in ids)
        check(dk.wait_for(lambda: polled([f for f, _ in feeds]), 30), "every feed polled")
        rows = {f["id"]: f for f in dk.client(sock, "feeds")}
        for fid in ("viaproxy", "direct", "hdr", "auth", "samehost"):
            check(int(rows[fid]["items"]) == 1 and rows[fid]["error"] == "",
                  "%s: stored (%r)" % (fid, rows[fid]["error"]))
        check(any(u.endswith("/viaproxy.xml") and a for u, a in Proxy.log),
              "the proxy carried viaproxy, with its credentials")
        check(not any("direct.xml" in u or "hdr.xml" in u for u, _ in Proxy.log),
              "the other feeds went direct (proxy = none)")
        hdr = [h for _, p, h in Origin.log if p == "/hdr.xml"][-1]
        check(hdr.get("User-Agent") == "FeedBot/2.0 (+ops@example.com)",
              "the feed's user_agent (%r)" % hdr.get("User-Agent"))
        check(hdr.get("X-Api-Key") == "k-123" and hdr.get("Accept-Language") == "de",
              "the feed's headers")
        check(hdr.get("Cookie") == "session=abc; theme=dark", "the feed's cookie")
        direct = [h for _, p, h in Origin.log if p == "/direct.xml"][-1]
        check(direct.get("User-Agent", "").startswith("herald/") and "X-Api-Key" not in direct
              and "Cookie" not in direct, "a feed without settings sends none of them")
        auth = [h for _, p, h in Origin.log if p == "/auth.xml"]
        check(len(auth) >= 2 and "Authorization" not in auth[0] and
              auth[-1].get("Authorization", "").startswith("Basic "),
              "basic authentication after a 401 (%d requests)" % len(auth))
        check(rows["lim"]["status"] == "429" or "429" in rows["lim"]["error"],
              "lim: 429 (%r %r)" % (rows["lim"]["status"], rows["lim"]["error"]))

        # The host that said 429 waits, every feed of it; the others don't.
        before = {p: sum(1 for _, q, _ in Origin.log if q == p) for p in
                  ("/samehost.xml", "/direct.xml", "/limited.xml")}
        time.sleep(1.2)  # past min_interval
        dk.client(sock, "refresh")
        check(dk.wait_for(lambda: sum(1 for _, q, _ in Origin.log if q == "/direct.xml")
                          > before["/direct.xml"], 20), "a refresh polls direct again")
        time.sleep(0.5)
        check(sum(1 for _, q, _ in Origin.log if q == "/samehost.xml") == before["/samehost.xml"]
              and sum(1 for _, q, _ in Origin.log if q == "/limited.xml")
              == before["/limited.xml"], "the paused host's feeds are not polled")
        # The refresh asked for samehost: it is polled once the pause is over.
        t_pause = time.monotonic()
        check(dk.wait_for(lambda: sum(1 for _, q, _ in Origin.log if q == "/samehost.xml")
                          > before["/samehost.xml"], 30),
              "samehost is polled when the pause ends (after %.1f s)"
              % (time.monotonic() - t_pause))
        with open(os.path.join(tmp, "daemon.log"), errors="replace") as fh:
            text = fh.read()
        check("host localhost asked for a pause of 8s" in text, "the pause is logged")

        # Credentials stay secret.
        check(PASSWORD not in text and PROXY_PASSWORD not in text, "no password in the log")
        listing = subprocess.run([dk.HERALD, "--socket", sock, "--json", "feeds"],
                                 capture_output=True, text=True).stdout
        export = subprocess.run([dk.HERALD, "--socket", sock, "export"],
                                capture_output=True, text=True).stdout
        check(PASSWORD not in listing + export and PROXY_PASSWORD not in listing + export,
              "no password in feeds or export")
        check(dk.stop_daemon(proc) == 0, "clean exit")
        proc = None
        with open(db, "rb") as fh:
            blob = fh.read()
        check(PASSWORD.encode() not in blob and PROXY_PASSWORD.encode() not in blob,
              "no password in the database")
    finally:
        if proc is not None:
            dk.kill(proc)
        origin.shutdown()
        proxy.shutdown()
        if not os.environ.get("HERALD_KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % len(check.fails))
    return 1 if check.fails else 0


if __name__ == "__main__":
    sys.exit(main())
