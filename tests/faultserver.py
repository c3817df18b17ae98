#!/usr/bin/env python3
"""A misbehaving HTTP server for herald's fetch tests (Python stdlib only).

Binds 127.0.0.1 on a free port, prints the port on stdout, serves until
SIGTERM. Every path is a fault nginx cannot produce:

  /ok            200, a small RSS feed
  /stall         headers and part of the body, then silence
  /reset         reads the request, then resets the connection (RST)
  /reset-mid     headers and some body, then RST
  /endless       200 with an endless body (no length, no end)
  /bomb          gzip: ~64 KiB on the wire, 64 MiB once decompressed
  /loop          302 to itself, forever
  /garbage       bytes that are not HTTP at all
  /drip          one byte every 0.3 s
  /truncgz       gzip body cut off in the middle (connection closed)
  /truncgz-len   gzip body shorter than its Content-Length
  /tofile        302 to file:///etc/passwd
  /tofile301     301 to file:///etc/passwd
  /chain301      301 -> /chain301b -> 301 -> /ok      (a permanent move)
  /chain302      301 -> /chain302b -> 302 -> /ok      (not a move)
  /retry-date    503 with Retry-After as an HTTP date 300 s ahead
  /slowheaders   the status line, then silence before the headers end
  /slow          200, the /ok feed after a 1 s pause
  /redirect-drip 302 to /ok, kept alive, its chunked body one chunk every 0.2 s forever
  /redirect-big  301 to /ok, kept alive, a chunked body of 1 GiB sent as fast as read
  /badval?N&KIND the /ok feed with a bad validator (issue 28): KIND "long"
                 (an ETag and a Last-Modified of N bytes) or "cr"/"lf"/"ctl"
                 (a CR, an LF or a \x01 in the ETag)
  /bighdr?N      the /ok feed after a header line of N bytes
  /encmany?N     the /ok feed, Content-Encoding "identity" N times
"""

import email.utils
import gzip
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import zlib

FEED = (b'<?xml version="1.0" encoding="utf-8"?>\n'
        b'<rss version="2.0"><channel><title>fault ok</title>'
        b'<link>http://example.com/</link><description>d</description>'
        b'<item><title>one</title><guid>fault-1</guid></item>'
        b'</channel></rss>\n')
HOLD_MAX = 60.0  # a stalled connection is dropped after this anyway

_bomb = None
_bomb_lock = threading.Lock()


def bomb():
    global _bomb
    with _bomb_lock:
        if _bomb is None:
            co = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip wrapper
            zeros = bytes(1 << 20)
            parts = [co.compress(zeros) for _ in range(64)]
            parts.append(co.flush())
            _bomb = b"".join(parts)
    return _bomb


def truncated_gzip():
    """Half of a gzip'd RSS document: the decoded part lacks "</rss>"."""
    import random
    rnd = random.Random(7)
    items = []
    for i in range(200):
        # Random words resist compression, so half the stream is real data.
        words = " ".join("".join(chr(rnd.randrange(97, 123)) for _ in range(6))
                         for _ in range(20))
        items.append("<item><guid>t%d</guid><title>%s</title></item>" % (i, words))
    doc = ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
           + "".join(items) + "</channel></rss>\n").encode()
    gz = gzip.compress(doc)
    return gz[: len(gz) // 2]


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        self.request.settimeout(HOLD_MAX)

    def read_request(self):
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = self.request.recv(4096)
            if not chunk:
                return None
            data += chunk
        line = data.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split()
        return parts[1] if len(parts) >= 2 else "/"

    def send(self, data):
        self.request.sendall(data)

    def head(self, status, headers=(), length=None, close=True):
        out = "HTTP/1.1 %s\r\n" % status
        for h in headers:
            out += h + "\r\n"
        if length is not None:
            out += "Content-Length: %d\r\n" % length
        if close:
            out += "Connection: close\r\n"
        self.send((out + "\r\n").encode("latin-1"))

    def hold(self):
        """Stay silent until the client goes away (or HOLD_MAX)."""
        deadline = time.monotonic() + HOLD_MAX
        while time.monotonic() < deadline:
            try:
                if not self.request.recv(4096):
                    return
            except socket.timeout:
                return
            except OSError:
                return

    def reset(self):
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.request.close()

    def redirect(self, code, location):
        reason = {301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect",
                  308: "Permanent Redirect"}[code]
        self.head("%d %s" % (code, reason), ["Location: " + location], length=0)

    def handle(self):
        try:
            path = self.read_request()
            if path is None:
                return
            self.query = path.split("?", 1)[1] if "?" in path else ""
            self.dispatch(path.split("?", 1)[0])
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass

    def dispatch(self, path):
        xml = "Content-Type: application/rss+xml"
        if path == "/ok":
            self.head("200 OK", [xml], length=len(FEED))
            self.send(FEED)
        elif path == "/stall":
            self.head("200 OK", [xml], length=100000)
            self.send(FEED[:60])
            self.hold()
        elif path == "/reset":
            self.reset()
        elif path == "/reset-mid":
            self.head("200 OK", [xml], length=100000)
            self.send(FEED[:60])
            time.sleep(0.05)
            self.reset()
        elif path == "/endless":
            self.head("200 OK", [xml])
            block = b"<!-- endless -->" * 4096
            while True:
                self.send(block)
        elif path == "/bomb":
            body = bomb()
            self.head("200 OK", [xml, "Content-Encoding: gzip"], length=len(body))
            self.send(body)
            self.hold()
        elif path == "/loop":
            self.redirect(302, "/loop")
        elif path == "/garbage":
            self.send(b"SSH-2.0-OpenSSH_9.2\r\n\x00\x01\x02 this is not http\r\n\r\n")
        elif path == "/drip":
            self.head("200 OK", [xml], length=len(FEED))
            for b in FEED:
                self.send(bytes([b]))
                time.sleep(0.3)
        elif path == "/truncgz":
            self.head("200 OK", [xml, "Content-Encoding: gzip", 'ETag: "cut-1"'])
            self.send(truncated_gzip())
        elif path == "/truncgz-len":
            body = truncated_gzip()
            self.head("200 OK", [xml, "Content-Encoding: gzip"], length=len(body) * 2)
            self.send(body)
        elif path == "/tofile":
            self.redirect(302, "file:///etc/passwd")
        elif path == "/tofile301":
            self.redirect(301, "file:///etc/passwd")
        elif path == "/chain301":
            self.redirect(301, "/chain301b")
        elif path == "/chain301b":
            self.redirect(301, "/ok")
        elif path == "/chain302":
            self.redirect(301, "/chain302b")
        elif path == "/chain302b":
            self.redirect(302, "/ok")
        elif path == "/retry-date":
            when = email.utils.formatdate(time.time() + 300, usegmt=True)
            self.head("503 Service Unavailable", ["Retry-After: " + when], length=0)
        elif path == "/slowheaders":
            self.send(b"HTTP/1.1 200 OK\r\n")
            self.hold()
        elif path == "/redirect-drip":
            self.head("302 Found", ["Location: /ok", "Transfer-Encoding: chunked"], close=False)
            while True:
                self.send(b"1\r\nx\r\n")
                time.sleep(0.2)
        elif path == "/redirect-big":
            self.head("301 Moved Permanently", ["Location: /ok", "Transfer-Encoding: chunked"],
                      close=False)
            block = b"10000\r\n" + b"\0" * 65536 + b"\r\n"
            for _ in range((1 << 30) // 65536):
                self.send(block)
        elif path == "/slow":
            time.sleep(1.0)
            self.head("200 OK", [xml], length=len(FEED))
            self.send(FEED)
        elif path == "/badval":
            n, _, kind = self.query.partition("&")
            n = int(n or 2000)
            if kind == "long":
                hs = ['ETag: "%s"' % ("e" * n), "Last-Modified: Mon, 01 Dec 2025 10:00:00 GMT"
                      + " " * n + "x"]
            else:
                bad = {"cr": "\r", "lf": "\n", "ctl": "\x01"}[kind]
                hs = ['ETag: "a%sb"' % bad]
            self.head("200 OK", [xml] + hs, length=len(FEED))
            self.send(FEED)
        elif path == "/bighdr":
            self.head("200 OK", [xml, "X-Big: " + "a" * int(self.query or 200000)],
                      length=len(FEED))
            self.send(FEED)
        elif path == "/encmany":
            self.head("200 OK", [xml, "Content-Encoding: " + ", ".join(
                ["identity"] * int(self.query or 20000))], length=len(FEED))
            self.send(FEED)
        else:
            self.head("404 Not Found", ["Content-Type: text/plain"], length=10)
            self.send(b"not found\n")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    sys.stdout.write("%d\n" % srv.server_address[1])
    sys.stdout.flush()
    try:
        srv.serve_forever()
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
