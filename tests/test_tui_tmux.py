#!/usr/bin/env python3
"""Issue #23: `herald tui` driven through tmux, as a person would use it.

tests/test_tui.py reads the reader's output through its own terminal
emulator; this test puts the reader in a real one: a private tmux server
(`tmux -L <unique> -f /dev/null`, killed by its own socket at the end) runs
`herald --socket S tui` in a detached 80x24 session, keys go in with
send-keys and the screen comes back with capture-pane. The daemon is a
private heraldd on the offline demo's feeds (examples/*.xml, file:// URLs).
Checked: the stories list, Enter opens a story (its outlets' titles show),
r toggles read and s stars (both recorded by the daemon), / searches,
a resize to 40 columns repaints with no line wider than 40 cells (captured
with -J, so a line the terminal wrapped would come back whole and too wide),
a daemon restart (the reader says offline, then recovers and its marks reach
the new daemon), and q quits (the pane's process exits with status 0).
Every wait polls the pane until the text is there (10 s), never a fixed sleep.
Exit 77 when tmux is not installed.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

SRCDIR = os.environ.get("HERALD_SRCDIR", os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests"))
sys.dont_write_bytecode = True
import daemonkit as dk  # noqa: E402
from vtscreen import char_width  # noqa: E402

check = dk.Checks()
UTF8 = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}

# The offline demo's outlets (examples/demo.conf.in), served from the source tree.
DEMO = [("northwind", "northwind-herald.xml", "The Northwind Herald"),
        ("meridian", "meridian-post.xml", "Meridian Post"),
        ("lantern", "the-lantern.xml", "The Lantern"),
        ("coastal", "coastal-wire.xml", "Coastal Wire"),
        ("eastgate", "eastgate-times.xml", "Eastgate Times"),
        ("harbour", "harbour-observer.xml", "Harbour Observer"),
        ("atlas", "atlas-daily.rdf", "Atlas Daily")]


def width(s):
    return sum(char_width(c) for c in s)


class Tmux:
    """A tmux server of our own, one detached session running one command."""

    def __init__(self, name, cols, rows, argv, env, status):
        self.base = ["tmux", "-L", name, "-f", "/dev/null"]
        self.env = dict(os.environ)
        self.env.update(UTF8)
        self.env.pop("TMUX", None)
        # tmux runs the line with sh -c; the shell writes the exit status
        # (pane_dead_status is not always filled in by tmux 3.3).
        cmd = ["env"] + ["%s=%s" % kv for kv in sorted(env.items())] + argv
        line = "%s; echo $? > %s" % (" ".join(shlex.quote(a) for a in cmd), shlex.quote(status))
        self.tmux("new-session", "-d", "-s", "t", "-x", str(cols), "-y", str(rows), line)
        # Keep the pane once the reader exits, to see that it did.
        self.tmux("set-option", "-t", "t", "remain-on-exit", "on")
        self.socket = self.tmux("display-message", "-p", "#{socket_path}").strip()

    def tmux(self, *args):
        p = subprocess.run(self.base + list(args), capture_output=True, text=True,
                           env=self.env, timeout=30)
        if p.returncode != 0:
            raise RuntimeError("tmux %s: %s" % (" ".join(args), p.stderr.strip()))
        return p.stdout

    def capture(self, join=False):
        """The pane's visible lines (-J: lines the terminal wrapped come back whole)."""
        out = self.tmux("capture-pane", "-p", "-t", "t", *(["-J"] if join else []))
        return out.split("\n")[:-1] if out.endswith("\n") else out.split("\n")

    def text(self):
        return "\n".join(self.capture())

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "t", *keys)

    def literal(self, s):
        self.tmux("send-keys", "-t", "t", "-l", s)

    def wait(self, cond, timeout=10.0):
        """Polls the pane until cond(lines) holds."""
        end = time.monotonic() + timeout
        while True:
            lines = self.capture()
            if cond(lines):
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(0.05)

    def wait_text(self, s, timeout=10.0):
        return self.wait(lambda ls: s in "\n".join(ls), timeout)

    def stable(self, quiet=0.5, timeout=10.0):
        """Waits until the pane has not changed for `quiet` seconds."""
        end = time.monotonic() + timeout
        last, since = self.capture(), time.monotonic()
        while time.monotonic() < end:
            time.sleep(0.1)
            now = self.capture()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return True
        return False

    def cursor(self):
        """The list row in reverse video (the cursor), or None."""
        raw = self.tmux("capture-pane", "-p", "-e", "-t", "t").split("\n")
        plain = self.capture()
        for y in range(1, min(len(raw), len(plain)) - 2):
            if re.search(r"\x1b\[(?:[0-9;]*;)?7(?:;[0-9;]*)?m", raw[y]):
                return plain[y]
        return None

    def pane(self, fmt):
        return self.tmux("display-message", "-p", "-t", "t", fmt).strip()

    def kill(self):
        subprocess.run(self.base + ["kill-server"], capture_output=True, env=self.env, timeout=30)
        # kill-server can leave the socket file behind.
        if self.socket and os.path.exists(self.socket):
            os.unlink(self.socket)


def story_rows(lines):
    """The list's rows: between the title line and the blank line above the help."""
    return [ln for ln in lines[1:-2] if ln.strip()]


def row_title(line):
    """A list row's title: after the 3 state cells, up to the outlet count column."""
    t = line[3:].rstrip()
    t = t.rsplit(None, 2)[0] if len(t.split()) >= 3 else t
    return t.rstrip().rstrip("\u2026")


def story_of(conn, line):
    title = row_title(line)
    for r in conn.request("stories --all --limit 200"):
        if r["title"][0].startswith(title):
            return int(r["story"][0])
    return None


def state(conn, sid):
    r = conn.request("show %d" % sid)
    return r[0]["state"][0], r[0]["starred"][0]


def demo_ready(conn):
    fs = conn.request("feeds")
    return len(fs) == len(DEMO) and all(f["status"][0] == "200" and f["last_poll"][0] not in ("", "0")
                                        for f in fs)


def goto_row(tm, pred):
    """Moves the cursor (from the top) to the first list row for which pred holds."""
    lines = tm.capture()
    ys = [y for y in range(1, len(lines) - 2) if lines[y].strip() and pred(lines[y])]
    if not ys:
        return None
    tm.keys("g")
    if ys[0] > 1:
        tm.keys("-N", str(ys[0] - 1), "j")
    return lines[ys[0]]


def main():
    if not shutil.which("tmux"):
        print("SKIP: tmux is not installed")
        sys.exit(77)
    dk.drop_proxies()
    tmp = tempfile.mkdtemp(prefix="herald-tmux-")
    sock = os.path.join(tmp, "s.sock")
    conf = os.path.join(tmp, "demo.conf")
    text = dk.config_text(os.path.join(tmp, "h.db"), sock,
                          [(fid, "file://" + os.path.abspath(os.path.join(SRCDIR, "examples", f)))
                           for fid, f, _ in DEMO])
    for fid, _, name in DEMO:
        text = text.replace('[feed "%s"]\n' % fid, '[feed "%s"]\nname = %s\n' % (fid, name))
    dk.write_atomic(conf, text)
    log = open(os.path.join(tmp, "heraldd.log"), "w")
    daemon = dk.start_daemon(conf, log)
    tm = None
    conn = None
    try:
        if not check(dk.wait_for(lambda: dk.can_connect(sock), 30), "heraldd answers on its socket"):
            raise RuntimeError("no daemon")
        conn = dk.Conn(sock)
        if not check(dk.wait_for(lambda: demo_ready(conn), 30), "the daemon polled the demo's feeds"):
            raise RuntimeError("the demo's feeds were not polled")
        nstories = len(conn.request("stories --all --limit 200"))

        env = dict(UTF8)
        env["TERM"] = "tmux-256color" if os.path.exists("/usr/share/terminfo/t/tmux-256color") \
            or os.path.exists("/lib/terminfo/t/tmux-256color") else "screen"
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        argv = dk.WRAP + [os.path.abspath(dk.HERALD), "--socket", sock, "tui"]
        status_file = os.path.join(tmp, "tui.status")
        tm = Tmux("herald-test-%d" % os.getpid(), 80, 24, argv, env, status_file)

        # The list.
        ok = tm.wait(lambda ls: ls[0].startswith("herald: stories")
                     and len(story_rows(ls)) >= min(nstories, 20))
        check(ok, "the stories list shows (%d rows)" % len(story_rows(tm.capture())))
        lines = tm.capture()
        check(len(lines) == 24 and lines[-1].startswith("q:Quit ?:Help"),
              "24 rows, the help line at the bottom")
        check(any("Chile" in ln for ln in lines), "the earthquake story is listed")

        # Enter opens the earthquake: outlets numbered, their titles on screen.
        line = goto_row(tm, lambda ln: "earthquake" in ln.lower() and "Chile" in ln)
        quake = story_of(conn, line) if line else None
        check(quake is not None, "the listed earthquake is a story of the daemon's")
        tm.keys("Enter")
        check(tm.wait(lambda ls: ls[0].startswith("herald: story") and "(1/" in "\n".join(ls)),
              "Enter opens the story")
        items = [r for r in conn.request("show %d" % (quake or 0)) if "item" in r]
        check(len(items) >= 3, "the earthquake has %d outlets" % len(items))
        # Two columns of 39 cells at 80: the first words of the first two
        # outlets' titles, and their names, head the columns.
        shown = tm.text()
        firsts = [" ".join(r["title"][0].split()[:3]) for r in items[:2]]
        names = [r["feed_name"][0] for r in items[:2]]
        check(all(f in shown for f in firsts) and all(n in shown for n in names),
              "the first two outlets' titles and names show (%s)" % firsts)
        tm.keys("v")
        ok = tm.wait(lambda ls: sum(1 for r in items
                                    if r["title"][0][:60] in "\n".join(ls)) >= min(3, len(items)))
        check(ok, "v: the outlets one after another, their titles in full")
        check(dk.wait_for(lambda: state(conn, quake)[0] == "read", 10),
              "opening the story marked it read in the daemon")

        # r toggles read, s stars: the daemon records both.
        tm.keys("r")
        check(dk.wait_for(lambda: state(conn, quake)[0] != "read", 10),
              "r marks it unread in the daemon (%s)" % (state(conn, quake),))
        tm.keys("r")
        check(dk.wait_for(lambda: state(conn, quake)[0] == "read", 10),
              "r again marks it read")
        tm.keys("s")
        check(dk.wait_for(lambda: state(conn, quake)[1] == "1", 10), "s stars it in the daemon")
        js = dk.client(sock, "stories", "--starred")
        check([s["id"] for s in js] == [quake] and js[0]["starred"] is True,
              "herald --json stories --starred lists it (%s)" % [s["id"] for s in js])
        tm.keys("q")
        check(tm.wait(lambda ls: ls[0].startswith("herald: stories")
                      and any(ln.startswith("*") and "Chile" in ln for ln in ls)),
              "back in the list the story shows its star")

        # Search.
        tm.keys("/")
        tm.literal("treaty")
        tm.keys("Enter")
        want = len(conn.request("search --limit 50 treaty"))
        ok = tm.wait(lambda ls: ls[0].startswith("herald: search treaty"))
        check(ok and want > 0, "/ searches (%d results in the daemon)" % want)
        check(tm.wait(lambda ls: sum(1 for ln in ls[1:-1] if "treaty" in ln.lower()) >= min(want, 3)),
              "the results show (%d lines mention treaty)"
              % sum(1 for ln in tm.capture()[1:-1] if "treaty" in ln.lower()))
        tm.keys("q")
        check(tm.wait(lambda ls: ls[0].startswith("herald: stories")), "q goes back to the list")

        # Resize to 40 columns: a repaint that fits.
        tm.tmux("resize-window", "-t", "t", "-x", "40", "-y", "24")
        check(tm.pane("#{pane_width}x#{pane_height}") == "40x24", "the pane is 40x24")
        ok = tm.wait(lambda ls: ls[0].startswith("herald: stories")
                     and ls[-1].startswith("q:Quit") and len(story_rows(ls)) >= 10
                     and all(ln.rstrip()[-1:] == "d" or ln.rstrip()[-1:] in "hm"
                             for ln in story_rows(ls)))
        check(ok, "at 40 columns the list repaints, each row ending with its age")
        joined = tm.capture(join=True)
        wide = [ln for ln in joined if width(ln.rstrip()) > 40]
        check(len(joined) == 24 and not wide,
              "no line wider than 40 cells, none wrapped (%d rows, too wide: %s)"
              % (len(joined), wide[:2]))
        check(any("\u2026" in ln for ln in story_rows(joined)), "long titles are cut with an ellipsis")
        tm.tmux("resize-window", "-t", "t", "-x", "80", "-y", "24")
        check(tm.wait(lambda ls: len(ls) == 24 and max(width(ln) for ln in ls) > 60),
              "back at 80 columns the list uses the width")

        # A daemon restart: offline, then it recovers and marks reach the new daemon.
        conn.close()
        conn = None
        rc = dk.stop_daemon(daemon)
        check(rc == 0, "heraldd stops on SIGTERM with status 0 (%s)" % rc)
        tm.keys("L")
        check(tm.wait(lambda ls: "offline" in ls[0]), "a stopped daemon shows offline")
        daemon = dk.start_daemon(conf, log)
        check(dk.wait_for(lambda: dk.can_connect(sock), 30), "heraldd is back")
        conn = dk.Conn(sock)
        check(tm.wait(lambda ls: "offline" not in ls[0] and ls[0].startswith("herald: stories")
                      and len(story_rows(ls)) >= 10, 15),
              "the reader recovers and lists the stories")
        # The list reloads after the reconnect (the cursor goes back to the
        # top): move only once it is still, and check where the cursor is.
        sid = None
        for _ in range(3):
            tm.stable()
            line = goto_row(tm, lambda ln: ln.startswith(" N"))
            if line and tm.wait(lambda ls: tm.cursor() == line, 3):
                sid = story_of(conn, line)
                break
        check(sid is not None and state(conn, sid)[1] == "0", "an unstarred story to star")
        if sid is not None:
            tm.keys("s")
            check(dk.wait_for(lambda: state(conn, sid)[1] == "1", 10),
                  "after the restart s reaches the daemon")

        # q quits: the pane's process exits, status 0.
        tm.keys("q")
        ok = tm.wait(lambda ls: tm.pane("#{pane_dead}") == "1")
        check(ok, "q quits: the pane's process exits")
        got = dk.wait_for(lambda: os.path.exists(status_file) and open(status_file).read().strip(), 10)
        status = open(status_file).read().strip() if got else "?"
        check(status == "0", "with status 0 (%s)" % status)
    finally:
        if tm:
            tm.kill()
        if conn:
            conn.close()
        dk.stop_daemon(daemon)
        log.close()
    if check.fails:
        print("heraldd log: %s" % os.path.join(tmp, "heraldd.log"))
        print("%d FAILED" % len(check.fails))
        sys.exit(1)
    subprocess.run(["rm", "-rf", tmp])
    print("all ok")


if __name__ == "__main__":
    main()
