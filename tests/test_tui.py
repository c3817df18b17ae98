#!/usr/bin/env python3
"""Issue #23: `herald tui` driven in a pseudo-terminal.

The test starts its own heraldd (tests/daemonkit.py) on file:// feeds whose
titles are Latin, Cyrillic, Turkish, Japanese, Chinese, emoji and combining
marks, with one story told by three outlets and one broken feed. It runs
`herald tui` on a pty (os.openpty, TERM=xterm, a UTF-8 locale) and reads the
screen through a small terminal emulator (tests/vtscreen.py), then checks
what the screen shows and what the daemon recorded: the list at 40, 60, 80
and 120 columns (columns aligned in display cells, nothing wrapped by the
terminal), a story side by side and one after another, marks (read, unread,
star), links opened through $BROWSER, search, the feeds view with its error,
the help, a daemon that stops answering (a spinner, keys still work), a
daemon restart (it reconnects), NO_COLOR, and the terminal restored after q
and after SIGTERM.
"""

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

SRCDIR = os.environ.get("HERALD_SRCDIR", os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests"))
sys.dont_write_bytecode = True
import daemonkit as dk  # noqa: E402
from vtscreen import Screen, char_width  # noqa: E402

check = dk.Checks()
NOW = int(time.time())


def rfc822(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(t))


QUAKE = ("A strong earthquake of magnitude 6.9 shook central Chile on Monday, damaging buildings "
         "in Valparaiso and prompting a brief tsunami warning along the coast. Rescue teams "
         "searched collapsed houses through the night.")
JA_TITLE = "東京で大規模な地震が発生、交通機関に影響し多くの路線で運転を見合わせ"
JA_BODY = ("東京都内で強い揺れを観測しました。気象庁によると、震源の深さは約十キロメートルで、"
           "津波の心配はないということです。鉄道各社は安全確認のため運転を見合わせています。")
RU_TITLE = "Новости: в Москве открылась новая станция метро на кольцевой линии"
TR_TITLE = "İstanbul'da şiddetli fırtına hayatı olumsuz etkiledi, seferler iptal"
ZH_TITLE = "北京举行国际科技博览会 🎉 吸引数万名观众参观"
LONG_TITLE = ("Council approves new tram line for the city centre after a decade of debate "
              "and three public consultations")
MARK_TITLE = "Cafe\u0301 owners protest new rules in Montre\u0301al"

FEEDS = {
    "alpha": ("Alpha News", [
        ("a1", "Earthquake of magnitude 6.9 shakes central Chile",
         "<p>%s <a href=\"http://example.com/more\">Live updates</a></p>" % QUAKE, NOW - 1800),
        ("a2", JA_TITLE, JA_BODY, NOW - 2 * 3600),
        ("a3", ZH_TITLE, "博览会展示了人工智能和新能源汽车。", NOW - 3 * 3600)]),
    "beta": ("Beta Times", [
        ("b1", "Magnitude 6.9 earthquake shakes central Chile", QUAKE, NOW - 2400),
        ("b2", RU_TITLE, "Станция открылась в понедельник утром.", NOW - 4 * 3600),
        ("b3", LONG_TITLE, "The council voted 31 to 12 for the tram line.", NOW - 5 * 3600)]),
    "gamma": ("Gamma Local", [
        ("g1", "Earthquake of magnitude 6.9 shakes central Chile coast", QUAKE, NOW - 3000),
        ("g2", TR_TITLE, "Fırtına nedeniyle birçok vapur seferi iptal edildi.", NOW - 6 * 3600),
        ("g3", MARK_TITLE, "Owners of cafés gathered downtown.", NOW - 7 * 3600)]),
}
NSTORIES = 7


def setup(tmp):
    feeds = []
    for fid, (name, items) in FEEDS.items():
        path = os.path.join(tmp, fid + ".xml")
        dk.write_atomic(path, dk.rss(name, [
            {"guid": g, "title": t, "link": "http://example.com/" + g, "body": b,
             "date": rfc822(d)} for g, t, b, d in items]))
        feeds.append((fid, "file://" + path))
    feeds.append(("broken", "file://" + os.path.join(tmp, "missing.xml")))
    conf = os.path.join(tmp, "feeds.conf")
    text = dk.config_text(os.path.join(tmp, "h.db"), os.path.join(tmp, "s.sock"), feeds)
    for fid, (name, _) in FEEDS.items():
        text = text.replace('[feed "%s"]\n' % fid, '[feed "%s"]\nname = %s\n' % (fid, name))
    dk.write_atomic(conf, text)
    return conf, os.path.join(tmp, "s.sock")


class Tui:
    """herald tui on a pty of its own; the screen is read through vtscreen."""

    def __init__(self, sock, cols=80, rows=24, env=None, args=()):
        self.master, self.slave = os.openpty()
        self._winsize(cols, rows)
        self.termios_before = termios.tcgetattr(self.slave)
        e = dict(os.environ)
        e.update({"TERM": "xterm", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
        e.pop("NO_COLOR", None)
        e.update(env or {})
        argv = dk.WRAP + [dk.HERALD, "--socket", sock, "tui"] + list(args)
        self.pid = os.fork()
        if self.pid == 0:
            try:
                os.setsid()
                fcntl.ioctl(self.slave, termios.TIOCSCTTY, 0)
                for fd in (0, 1, 2):
                    os.dup2(self.slave, fd)
                os.closerange(3, 1024)
                os.execve(argv[0], argv, e)
            finally:
                os._exit(127)
        self.screen = Screen(cols, rows)
        self.raw = bytearray()
        self.status = None

    def _winsize(self, cols, rows):
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def pump(self, timeout=0.05):
        r, _, _ = select.select([self.master], [], [], timeout)
        if r:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return False
            self.raw += data
            self.screen.feed(data)
            return True
        return False

    def settle(self, quiet=0.3, timeout=5):
        """Reads until nothing came for `quiet` seconds."""
        end = time.monotonic() + timeout
        last = time.monotonic()
        while time.monotonic() < end:
            if self.pump(0.05):
                last = time.monotonic()
            elif time.monotonic() - last >= quiet:
                return

    def wait(self, cond, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if cond(self.screen):
                self.settle(0.15)
                return True
            self.pump(0.1)
        return cond(self.screen)

    def wait_text(self, s, timeout=10):
        return self.wait(lambda sc: s in sc.text(), timeout)

    def send(self, keys, settle=True):
        os.write(self.master, keys.encode() if isinstance(keys, str) else keys)
        if settle:
            self.settle()

    def resize(self, cols, rows):
        self._winsize(cols, rows)
        self.screen.resize(cols, rows)
        self.settle(0.4)

    def wait_exit(self, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(0.05)
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
                self.settle(0.1, 1)
                return self.status
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        return None

    def restored(self):
        """The pty's modes are those it had before the reader started."""
        return termios.tcgetattr(self.slave) == self.termios_before

    def close(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
        os.close(self.master)
        os.close(self.slave)


def width(s):
    return sum(char_width(c) for c in s)


def body_rows(sc):
    return range(1, sc.rows - 2)


def story_rows(sc):
    """Rows of the stories list (a state, star or outlet count column)."""
    out = []
    for y in body_rows(sc):
        cells = sc.cells(y)
        if sc.line(y) and cells[sc.cols - 8].isdigit():
            out.append(y)
    return out


def check_list(tui, cols, what):
    sc = tui.screen
    rows = story_rows(sc)
    check(len(rows) == NSTORIES, "%s: %d stories listed at %d columns (%d)" % (what, NSTORIES, cols, len(rows)))
    ok_align = all(sc.cells(y)[cols - 1] not in (" ", "") and sc.cells(y)[cols - 11] == " "
                   for y in rows)
    check(ok_align, "%s: at %d columns the outlet count and the age end in the same cells on "
          "every row, the title stops before them" % (what, cols))
    quake = [y for y in rows if "Earthquake" in sc.line(y)]
    if not check(quake and sc.cells(quake[0])[cols - 8] == "3",
                 "%s: the story told by three outlets says 3" % what):
        print(sc.text())
    for title, word in ((JA_TITLE, "東京"), (ZH_TITLE, "北京"), (RU_TITLE, "Новости"),
                        (TR_TITLE, "İstanbul"), (LONG_TITLE, "Council"), (MARK_TITLE, "Cafe")):
        ys = [y for y in rows if word in sc.line(y)]
        if not check(len(ys) == 1, "%s: %s... listed at %d columns" % (what, word, cols)):
            continue
        y = ys[0]
        start = sc.col_of(y, word)
        room = cols - 11 - 3 - (30 if cols >= 100 else 0)
        shown = "".join(sc.cells(y)[3:3 + room]).rstrip()
        if width(title) <= room:
            check(title.startswith(shown.replace("…", "")) and shown.rstrip("…") == title,
                  "%s: %s... whole at %d columns" % (what, word, cols))
        else:
            check(shown.endswith("…") and width(shown) <= room and width(shown) >= room - 1,
                  "%s: %s... cut with an ellipsis at a cell boundary at %d columns (%d of %d cells)"
                  % (what, word, cols, width(shown), room))
        check(start == 3, "%s: %s... starts in cell 3" % (what, word))
    hint = sc.line(sc.rows - 1)
    check(hint.startswith("q:Quit ?:Help") and width(hint) <= cols,
          "%s: the key help line at %d columns: %r" % (what, cols, hint))


def story_id(conn, word):
    for r in conn.request("stories --all --limit 100"):
        if word in r["title"][0]:
            return int(r["story"][0])
    return None


def story_state(conn, sid):
    r = conn.request("show %d" % sid)
    return r[0]["state"][0], r[0]["starred"][0]


def main():
    dk.drop_proxies()
    tmp = tempfile.mkdtemp(prefix="herald-tui-")
    conf, sock = setup(tmp)
    log = open(os.path.join(tmp, "heraldd.log"), "w")
    daemon = dk.start_daemon(conf, log)
    tuis = []
    try:
        if not dk.wait_for(lambda: dk.can_connect(sock), 30):
            check(False, "heraldd answers on its socket")
            return
        conn = dk.Conn(sock)
        dk.wait_for(lambda: len(conn.request("stories --all --limit 100")) >= NSTORIES, 30)
        check(len(conn.request("stories --all --limit 100")) == NSTORIES,
              "the daemon folded the feeds into %d stories" % NSTORIES)
        browsed = os.path.join(tmp, "browsed")
        browser = os.path.join(tmp, "browser.sh")
        with open(browser, "w") as f:
            f.write('#!/bin/sh\necho "$1" >> "%s"\n' % browsed)
        os.chmod(browser, 0o755)

        t = Tui(sock, 80, 24, env={"BROWSER": browser, "DISPLAY": ":99"})
        tuis.append(t)
        check(t.wait(lambda sc: len(story_rows(sc)) == NSTORIES), "the stories list appears")
        check(t.screen.alternate, "the reader uses the alternate screen")
        check_list(t, 80, "list")

        for cols in (40, 60, 120, 80):
            t.resize(cols, 24)
            t.wait(lambda sc: len(story_rows(sc)) == NSTORIES, 5)
            check_list(t, cols, "resized (SIGWINCH)")
            if cols == 120:
                check("Gamma Local, Beta Times, Al\u2026" in t.screen.text(),
                      "at 120 columns the outlets' names are listed")

        # A story: its outlets side by side, marked read by opening it.
        quake = story_id(conn, "Chile")
        rows = story_rows(t.screen)
        y = [y for y in rows if "Chile" in t.screen.line(y)][0]
        t.send("j" * (y - 1) + "\r")
        check(t.wait_text("(2/3) Beta Times"), "Enter opens the story: outlets numbered")
        sc = t.screen
        bar_rows = [y for y in body_rows(sc) if y > 3 and sc.cells(y)[39] == "\u2502"]
        check(len(bar_rows) >= 10, "at 80 columns two outlets side by side, split at cell 39")
        check("(1/3) Gamma Local" in sc.text() and "(2/3) Beta Times" in sc.text(),
              "the first outlets' names and numbers head their columns")
        words = set(QUAKE.replace(",", " ").replace(".", " ").split())
        split = [w for y in bar_rows for w in sc.line(y)[:39].replace(",", " ").replace(".", " ").split()
                 if w not in words and not w.startswith("(") and w not in
                 ("Gamma", "Local", "Beta", "Times", "\u00b7", "unread", "30m", "40m", "50m",
                  "Earthquake", "Magnitude", "earthquake", "shakes", "central", "Chile", "coast",
                  "of", "magnitude", "6", "9", "http://example", "com/g1", "com/b1", "com/more")]
        check(not split, "the text is wrapped at word boundaries (no split words: %s)" % split[:5])
        check(dk.wait_for(lambda: story_state(conn, quake)[0] == "read", 5),
              "opening the story marked it read in the daemon")
        check(t.screen.colour_sgr > 0, "colours are used when NO_COLOR is not set")

        t.send("l")
        check(t.wait_text("(3/3) Alpha News"), "l shows the next outlet side by side")
        t.send("o")  # the outlet in focus: the leftmost shown, (2/3)
        t.send("v")
        check(t.wait(lambda sc: "3 outlets" in sc.text() and "\u2502" not in sc.text()),
              "v shows the outlets one after another")
        t.send("G")
        check(t.wait_text("[1] http://example.com/more") and "Live updates [1]" in t.screen.text(),
              "G scrolls to the end: the text's link numbered inline and listed under it")

        # Links go to $BROWSER: o the outlet's, 1-9 the text's.
        t.resize(40, 24)
        t.send("v")
        t.send("l")
        check(t.wait(lambda sc: "(3/3) Alpha News" in sc.text() and "Gamma" not in sc.text()),
              "at 40 columns side by side is one outlet at a time")
        t.send("1")
        ok = dk.wait_for(lambda: os.path.exists(browsed) and len(open(browsed).read().split()) >= 2, 5)
        got = open(browsed).read().split() if os.path.exists(browsed) else []
        check(ok and got[0] == "http://example.com/b1" and got[1] == "http://example.com/more",
              "o opens the outlet's link, 1 the text's link [1], in $BROWSER (%s)" % got)
        check(t.wait_text("opened http://example.com/more"), "the message line says what was opened")
        t.resize(80, 24)

        # Marks: s stars, r toggles read, both recorded by the daemon.
        t.send("s")
        check(dk.wait_for(lambda: story_state(conn, quake)[1] == "1", 5), "s stars the story in the daemon")
        t.send("r")
        check(dk.wait_for(lambda: story_state(conn, quake)[0] != "read", 5),
              "r marks the read story unread in the daemon")
        t.send("q")
        check(t.wait(lambda sc: any(sc.line(y).startswith("*N") and "Chile" in sc.line(y)
                                    for y in body_rows(sc))),
              "back in the list, the story shows its star and its new state")

        # n: the next unread story, opened (and so marked read).
        t.send("g")
        t.send("n")
        check(t.wait(lambda sc: "herald: story" in sc.line(0)), "n opens the next unread story")
        opened = int(t.screen.line(0).split()[-1])
        check(opened != quake and dk.wait_for(lambda: story_state(conn, opened)[0] == "read", 5),
              "n skipped the first story and marked the one it opened read")
        t.send("q")

        # A CJK story at 40 columns: wrapped anywhere, never past the edge.
        t.resize(40, 24)
        t.wait(lambda sc: len(story_rows(sc)) == NSTORIES, 5)
        y = [y for y in story_rows(t.screen) if "東京" in t.screen.line(y)][0]
        t.send("g" + "j" * (y - 1) + "\r")
        check(t.wait_text("気象庁"), "the Japanese story opens at 40 columns")
        sc = t.screen
        lines = [sc.line(y) for y in body_rows(sc)]
        text_lines = [l for l in lines if any(ord(c) > 0x3000 for c in l)]
        check(len(text_lines) >= 6 and all(width(l) <= 40 for l in text_lines) and
              len([l for l in text_lines if width(l) >= 38]) >= 4,
              "Japanese text fills 40-column lines, broken between characters: %s"
              % [width(l) for l in text_lines])
        t.send("q")
        t.resize(80, 24)

        # Search.
        t.send("/")
        t.send("tram\r")
        check(t.wait(lambda sc: "search tram" in sc.line(0) and "Council approves" in sc.text()),
              "/ searches: the result's title")
        check(any("tram line" in t.screen.line(y) for y in body_rows(t.screen)),
              "the result's snippet is shown under it")
        t.send("\r")
        check(t.wait_text("(1/1) Beta Times"), "Enter on a result opens its story")
        t.send("q")
        t.send("/")
        t.send("地震\r")
        check(t.wait(lambda sc: "search 地震" in sc.line(0) and "東京で" in sc.text()),
              "/ with CJK words typed in: the Japanese story is found")
        sc = t.screen
        ys = [y for y in body_rows(sc) if "地震" in sc.line(y) and sc.line(y).startswith("   ")]
        if check(ys, "its snippet holds the words"):
            x = sc.col_of(ys[0], "地震")
            marked = [sc.grid[ys[0]][k].bg for k in range(x, x + 4)]
            check(all(b == 43 for b in marked) and sc.grid[ys[0]][3].bg != 43,
                  "the match is highlighted in the snippet, its cells alone (%s)" % marked)
        t.send("q")

        # Feeds: status, unread, the broken feed's error.
        t.send("f")
        check(t.wait(lambda sc: "4 feeds" in sc.line(0) and "Alpha News" in sc.text()),
              "f lists the feeds")
        sc = t.screen
        by = [y for y in body_rows(sc) if "broken" in sc.line(y)]
        check(by and sc.line(by[0]).startswith("!"), "the broken feed is flagged")
        if by:
            t.send("g" + "j" * (by[0] - 1))
            check(t.wait(lambda sc: sc.line(sc.rows - 2) != ""),
                  "its error shows on the message line: %r" % t.screen.line(t.screen.rows - 2))
        t.send("q")

        # Help.
        t.send("?")
        check(t.wait_text("toggle read") and "next unread" in t.screen.text(),
              "? shows every key")
        t.send("q")
        check(t.wait(lambda sc: len(story_rows(sc)) == NSTORIES), "q leaves the help")

        # a hides the read stories, R polls the feeds.
        unread = len(conn.request("stories --limit 100"))
        t.send("a")
        check(t.wait(lambda sc: "read ones hidden" in sc.line(0) and len(story_rows(sc)) == unread),
              "a hides the read stories (%d unread listed)" % unread)
        t.send("a")
        check(t.wait(lambda sc: len(story_rows(sc)) == NSTORIES), "a again shows them")
        polls = int(conn.request("stats")[0]["polls"][0])
        t.send("R")
        check(t.wait_text("polling the feeds"), "R says the feeds are being polled")
        check(dk.wait_for(lambda: int(conn.request("stats")[0]["polls"][0]) > polls, 10),
              "R made the daemon poll")

        # A daemon that does not answer: a spinner, and the keys still work.
        os.kill(daemon.pid, signal.SIGSTOP)
        try:
            t.send("L", settle=False)
            spun = t.wait(lambda sc: sc.line(0)[-1:] in ("|", "/", "-", "\\"), 5)
            check(spun, "a slow answer shows a spinner in the title bar")
            t.send("?")
            check(t.wait_text("toggle read", 3), "keys work while the daemon is silent")
            t.send("q")
        finally:
            os.kill(daemon.pid, signal.SIGCONT)
        check(t.wait(lambda sc: sc.line(0)[-1:] not in ("|", "/", "-", "\\")), "the spinner goes")

        # A daemon restart: offline, then back, marks work again.
        conn.close()
        dk.stop_daemon(daemon)
        t.send("L")
        check(t.wait(lambda sc: "offline" in sc.line(0)), "a stopped daemon shows offline")
        check("not answering" in t.screen.text(), "and says so on the message line")
        early = Tui(sock, 40, 12)
        tuis.append(early)
        check(early.wait(lambda sc: "offline" in sc.line(0)),
              "a reader started while the daemon is down says offline")
        daemon = dk.start_daemon(conf, log)
        dk.wait_for(lambda: dk.can_connect(sock), 30)
        check(t.wait(lambda sc: "offline" not in sc.line(0) and len(story_rows(sc)) >= 1, 15),
              "the reader reconnects when the daemon is back")
        check(early.wait(lambda sc: "offline" not in sc.line(0) and len(story_rows(sc)) >= 1, 15),
              "and the one started without it lists the stories")
        early.send("q")
        check(early.wait_exit() == 0 and early.restored(), "it quits cleanly")
        conn = dk.Conn(sock)
        ru = story_id(conn, "Москве")
        y = [y for y in story_rows(t.screen) if "Москве" in t.screen.line(y)][0]
        t.send("g" + "j" * (y - 1) + "s")
        check(dk.wait_for(lambda: story_state(conn, ru)[1] == "1", 5),
              "after the restart a star reaches the daemon")

        check(t.screen.autowraps == 0, "no line was wider than the terminal (%d wrapped)"
              % t.screen.autowraps)
        check(not t.screen.unknown, "every sequence the reader sent is understood: %s"
              % t.screen.unknown[:5])
        t.send("q")
        st = t.wait_exit()
        check(st == 0, "q quits with status 0 (%s)" % st)
        check(t.restored(), "the terminal's modes are restored after q")
        check(not t.screen.alternate, "the alternate screen is left")

        # NO_COLOR, then SIGTERM.
        t2 = Tui(sock, 60, 20, env={"NO_COLOR": "1"})
        tuis.append(t2)
        check(t2.wait(lambda sc: len(story_rows(sc)) == NSTORIES), "a second reader lists the stories")
        t2.send("\r")
        t2.wait_text("(1/")
        check(t2.screen.colour_sgr == 0, "NO_COLOR: no colour is sent")
        os.kill(t2.pid, signal.SIGTERM)
        st = t2.wait_exit()
        check(st == 128 + signal.SIGTERM, "SIGTERM ends it with status 143 (%s)" % st)
        check(t2.restored() and not t2.screen.alternate, "the terminal is restored after SIGTERM")

        # A crash (here a SIGSEGV from outside) still restores the terminal.
        t3 = Tui(sock, 50, 16)
        tuis.append(t3)
        check(t3.wait(lambda sc: len(story_rows(sc)) == NSTORIES), "a third reader lists the stories")
        os.kill(t3.pid, signal.SIGSEGV)
        st = t3.wait_exit()
        check(st is not None and st != 0, "SIGSEGV ends it (%s)" % st)
        check(t3.restored() and not t3.screen.alternate, "the terminal is restored after a crash")

        # Not a terminal; no --json.
        p = subprocess.run([dk.HERALD, "--socket", sock, "tui"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 2 and "terminal" in p.stderr,
              "without a terminal: exit 2 and why (%d %r)" % (p.returncode, p.stderr))
        p = subprocess.run([dk.HERALD, "--json", "tui"], capture_output=True, text=True, timeout=30)
        check(p.returncode == 2, "tui --json is a usage error")
        conn.close()
    finally:
        for x in tuis:
            x.close()
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
