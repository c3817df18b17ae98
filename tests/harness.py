#!/usr/bin/env python3
"""Loopback test servers for herald's network tests (Python stdlib only).

As a module:

    from harness import Nginx, FaultServer
    with Nginx(root="/path/to/docroot") as ng, FaultServer() as fs:
        ng.url("/feed.xml"), fs.url("/stall"), ng.access_lines()

As a command (what tests/fetch.sh does):

    harness.py [--nginx-root DIR] [--fault] [--nginx-conf FILE] -- CMD ARGS...

starts the servers, runs CMD with HERALD_NGINX_PORT, HERALD_NGINX_ROOT,
HERALD_NGINX_ACCESS_LOG and HERALD_FAULT_PORT in its environment (and every
*_proxy variable removed, so loopback traffic never goes to a proxy), stops
the servers by their own PIDs and exits with CMD's status. Exits 77 (the
automake "skipped" code) when nginx is not installed.

nginx runs as the invoking user (root only when the test itself runs as
root) with a private prefix, config, pid file and logs in a temporary
directory, on a free 127.0.0.1 port, in the foreground ("daemon off"), so the
PID we started is nginx's master process. Its fixed locations:

    /moved301 /moved308 /found302 /temp307   one hop to /feed.xml
    /chain301   301 -> /moved308 -> 308 -> /feed.xml   (a permanent move)
    /chain302   301 -> /found302 -> 302 -> /feed.xml   (not a move)
    /error500   500          /limited   429 + Retry-After: 120
    /unavailable 503 + Retry-After: 30     anything missing: 404

When openssl is installed, the same server also speaks TLS (with HTTP/2) on a
second port with a fresh self-signed certificate for 127.0.0.1
(HERALD_NGINX_TLS_PORT, HERALD_NGINX_CERT): a client that verifies
certificates must refuse it unless told to trust that certificate.

gzip is on for XML types, ETag and Last-Modified on; the access log writes
one line per request: status, method, URI, Accept-Encoding, If-None-Match,
If-Modified-Since, User-Agent, body bytes sent and the connection number.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77

NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
{user}
events {{ worker_connections 4096; }}
http {{
    types {{
        application/rss+xml rss;
        application/atom+xml atom;
        application/xml xml rdf;
        text/html html htm;
        text/plain txt;
    }}
    default_type application/octet-stream;
    log_format herald escape=none '$status $request_method "$request_uri" '
                      'ae="$http_accept_encoding" inm="$http_if_none_match" '
                      'ims="$http_if_modified_since" ua="$http_user_agent" '
                      'bytes=$body_bytes_sent conn=$connection';
    access_log {tmp}/access.log herald;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    sendfile on;
    keepalive_requests 100000;
    gzip on;
    gzip_types application/xml text/xml application/rss+xml application/atom+xml;
    gzip_min_length 256;
    gzip_vary on;
    etag on;
    server {{
        listen 127.0.0.1:{port};
{tls}
        server_name localhost;
        root {root};
        location = /moved301 {{ return 301 /feed.xml; }}
        location = /moved308 {{ return 308 /feed.xml; }}
        location = /found302 {{ return 302 /feed.xml; }}
        location = /temp307 {{ return 307 /feed.xml; }}
        location = /chain301 {{ return 301 /moved308; }}
        location = /chain302 {{ return 301 /found302; }}
        location = /error500 {{ return 500; }}
        location = /limited {{
            add_header Retry-After 120 always;
            return 429;
        }}
        location = /unavailable {{
            add_header Retry-After 30 always;
            return 503;
        }}
{extra}
    }}
}}
"""


def free_port():
    """A port that was free a moment ago (callers retry on a clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=10.0):
    """True once 127.0.0.1:port accepts; False if proc died or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def stop_process(proc, sig=signal.SIGTERM, timeout=5.0):
    """Stops the process we started, by its PID only."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, sig)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def find_nginx():
    """nginx's path ($HERALD_NGINX, $PATH, /usr/sbin), or None."""
    for exe in (os.environ.get("HERALD_NGINX"), shutil.which("nginx"), "/usr/sbin/nginx"):
        if exe and os.access(exe, os.X_OK):
            return exe
    return None


class Nginx:
    """A private nginx serving `root` on a free loopback port.

    extra: more nginx directives for the server block (e.g. locations)."""

    def __init__(self, root, extra=""):
        self.root = os.path.abspath(root)
        self.extra = extra
        self.exe = find_nginx()
        self.proc = None
        self.port = None
        self.tls_port = None
        self.cert = None
        self.tmp = None

    def make_cert(self):
        """A self-signed certificate for 127.0.0.1, or None without openssl."""
        exe = shutil.which("openssl")
        if not exe:
            return None
        cert = os.path.join(self.tmp, "cert.pem")
        key = os.path.join(self.tmp, "key.pem")
        rc = subprocess.call(
            [exe, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return (cert, key) if rc == 0 else None

    def start(self):
        if not self.exe:
            raise FileNotFoundError("nginx not found (apt-get install nginx-light)")
        self.tmp = tempfile.mkdtemp(prefix="herald-nginx-")
        user = "user root;" if os.geteuid() == 0 else ""
        pem = self.make_cert()
        self.cert = pem[0] if pem else None
        for attempt in range(5):
            self.port = free_port()
            tls = ""
            if pem:
                self.tls_port = free_port()
                tls = ("        listen 127.0.0.1:%d ssl http2;\n"
                       "        ssl_certificate %s;\n        ssl_certificate_key %s;"
                       % (self.tls_port, pem[0], pem[1]))
            conf = os.path.join(self.tmp, "nginx.conf")
            with open(conf, "w") as f:
                f.write(NGINX_CONF.format(tmp=self.tmp, port=self.port, root=self.root,
                                          user=user, extra=self.extra, tls=tls))
            errlog = os.path.join(self.tmp, "error.log")
            self.proc = subprocess.Popen(
                [self.exe, "-p", self.tmp + "/", "-c", conf, "-e", errlog],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=open(os.path.join(self.tmp, "stderr.log"), "w"))
            if wait_listening(self.port, self.proc):
                return self
            stop_process(self.proc)
            log = self.error_log()
            if "Address already in use" not in log:
                break
        raise RuntimeError("nginx did not start:\n" + self.error_log())

    def error_log(self):
        out = ""
        for name in ("stderr.log", "error.log"):
            try:
                with open(os.path.join(self.tmp, name)) as f:
                    out += f.read()
            except OSError:
                pass
        return out

    @property
    def access_log(self):
        return os.path.join(self.tmp, "access.log")

    def access_lines(self):
        try:
            with open(self.access_log) as f:
                return f.read().splitlines()
        except OSError:
            return []

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def stop(self):
        stop_process(self.proc)
        self.proc = None
        if self.tmp and not os.environ.get("HERALD_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class FaultServer:
    """tests/faultserver.py on a free port (it binds port 0 and reports it)."""

    def __init__(self):
        self.proc = None
        self.port = None

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "faultserver.py")],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline().decode().strip()
        if not line.isdigit():
            stop_process(self.proc)
            raise RuntimeError("faultserver did not report its port: %r" % line)
        self.port = int(line)
        return self

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def stop(self):
        stop_process(self.proc)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv):
    args = argv[1:]
    root = None
    fault = False
    extra = ""
    while args and args[0] != "--":
        opt = args.pop(0)
        if opt == "--nginx-root" and args:
            root = args.pop(0)
        elif opt == "--nginx-conf" and args:
            with open(args.pop(0)) as f:
                extra = f.read()
        elif opt == "--fault":
            fault = True
        else:
            print("usage: harness.py [--nginx-root DIR [--nginx-conf FILE]] [--fault] "
                  "-- CMD ARGS...", file=sys.stderr)
            return 2
    if not args or len(args) < 2:
        print("harness.py: no command after --", file=sys.stderr)
        return 2
    cmd = args[1:]
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    if root is not None and not find_nginx():
        print("SKIP: nginx not installed (apt-get install nginx-light)", file=sys.stderr)
        return SKIP
    ng = fs = None
    try:
        if root is not None:
            ng = Nginx(root, extra).start()
            env["HERALD_NGINX_PORT"] = str(ng.port)
            env["HERALD_NGINX_ROOT"] = ng.root
            env["HERALD_NGINX_ACCESS_LOG"] = ng.access_log
            if ng.tls_port:
                env["HERALD_NGINX_TLS_PORT"] = str(ng.tls_port)
                env["HERALD_NGINX_CERT"] = ng.cert
        if fault:
            fs = FaultServer().start()
            env["HERALD_FAULT_PORT"] = str(fs.port)
        rc = subprocess.call(cmd, env=env)
        if rc != 0 and ng:
            sys.stderr.write("--- nginx error log ---\n" + ng.error_log())
        return rc if rc >= 0 else 128 - rc
    finally:
        if fs:
            fs.stop()
        if ng:
            ng.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
