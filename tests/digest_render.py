#!/usr/bin/env python3
"""Render a digest's HTML part in headless Chromium (Debian's chromium) at a
phone's and a desktop's width, light and dark, and check that nothing
overflows.

usage: digest_render.py MESSAGE|FILE.html [OUTDIR]
  Prints what it measured; exit 0 all fits, 1 something overflows or dark
  mode is unreadable, 77 no chromium. With OUTDIR, also writes
  digest-light.png and digest-dark.png there: the phone width beside the
  desktop width (docs/digest.md shows them).

How: the HTML goes into two iframes (srcdoc, so the page may look inside
them) 360 and 1024 CSS pixels wide. A script measures every element of each
frame: its box must lie inside the frame's width, and the frame must not
scroll sideways. Chromium's --dump-dom prints the page after that script
wrote its findings into an attribute, which html.parser reads back.
"""
import email
import email.policy
import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

WIDTHS = (360, 1024)
HEIGHT = 1500

MEASURE = """<script>
window.addEventListener("load", function () {
  var out = [];
  var frames = document.getElementsByTagName("iframe");
  for (var f = 0; f < frames.length; f++) {
    var d = frames[f].contentDocument, w = d.documentElement.clientWidth, bad = [];
    var all = d.body.getElementsByTagName("*");
    for (var i = 0; i < all.length; i++) {
      var r = all[i].getBoundingClientRect();
      if (r.width > 0 && (r.right > w + 0.5 || r.left < -0.5))
        bad.push(all[i].tagName.toLowerCase() + " " + Math.round(r.left) + ".." +
                 Math.round(r.right) + " " + (all[i].textContent || "").slice(0, 40));
    }
    var cs = d.defaultView.getComputedStyle(d.body);
    var a = d.getElementsByTagName("a");
    out.push({frame: frames[f].id, width: w, scroll: d.documentElement.scrollWidth,
              height: d.documentElement.scrollHeight, bad: bad.slice(0, 10), nbad: bad.length,
              color: cs.color, background: d.defaultView.getComputedStyle(d.documentElement).backgroundColor,
              link: a.length ? d.defaultView.getComputedStyle(a[0]).color : ""});
  }
  document.body.setAttribute("data-layout", JSON.stringify(out));
});
</script>"""


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def page(doc, measure):
    frames = "".join(
        '<iframe id="w%d" style="width:%dpx;height:%dpx;border:1px solid #888;margin:8px;'
        'vertical-align:top" srcdoc="%s"></iframe>' % (w, w, HEIGHT, html.escape(doc, quote=True))
        for w in WIDTHS)
    return ('<!DOCTYPE html><html><head><meta charset="utf-8">'
            '<meta name="color-scheme" content="light dark"></head>'
            '<body style="margin:0">%s%s</body></html>' % (frames, MEASURE if measure else ""))


class Layout(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self)
        self.layout = None

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            v = dict(attrs).get("data-layout")
            if v:
                self.layout = json.loads(v)


def chromium(binary, tmp, url, extra, timeout=180):
    argv = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", "--user-data-dir=" + os.path.join(tmp, "profile"),
            "--window-size=%d,%d" % (sum(WIDTHS) + 60, HEIGHT + 30)] + extra + [url]
    return subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)


def measure(binary, tmp, doc, dark=False):
    path = os.path.join(tmp, "measure.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page(doc, True))
    p = chromium(binary, tmp, "file://" + path,
                 ["--dump-dom", "--virtual-time-budget=5000"] + (["--force-dark-mode"] if dark else []))
    parser = Layout()
    parser.feed(p.stdout.decode("utf-8", "replace"))
    if parser.layout is None:
        raise RuntimeError("chromium measured nothing (exit %d): %s"
                           % (p.returncode, p.stderr.decode("utf-8", "replace")[-400:]))
    return parser.layout


def screenshot(binary, tmp, doc, out, dark=False):
    path = os.path.join(tmp, "shot.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page(doc, False))
    chromium(binary, tmp, "file://" + path,
             ["--screenshot=" + out] + (["--force-dark-mode"] if dark else []))
    return os.path.exists(out) and os.path.getsize(out) > 0


def luminance(css):
    """Relative luminance of an rgb()/rgba() colour, None if unreadable."""
    try:
        nums = [float(x) for x in css[css.index("(") + 1:css.index(")")].replace("/", ",").split(",")]
    except ValueError:
        return None
    return (0.2126 * nums[0] + 0.7152 * nums[1] + 0.0722 * nums[2]) / 255.0


def check(doc, outdir=None, log=print):
    """Returns a list of problems (empty: it fits, light and dark)."""
    binary = find_chromium()
    if not binary:
        raise FileNotFoundError("chromium")
    problems = []
    tmp = tempfile.mkdtemp(prefix="digest_render.")
    try:
        for dark in (False, True):
            scheme = "dark" if dark else "light"
            for f in measure(binary, tmp, doc, dark):
                log("%s %dpx: content %dpx wide, %dpx high, %d element(s) outside; text %s on %s"
                    % (scheme, f["width"], f["scroll"], f["height"], f["nbad"], f["color"],
                       f["background"]))
                if f["scroll"] > f["width"] or f["nbad"]:
                    problems.append("%s, %dpx: overflows (%dpx of content): %s"
                                    % (scheme, f["width"], f["scroll"], f["bad"]))
                fg, bg = luminance(f["color"]), luminance(f["background"])
                if dark and (fg is None or fg < 0.6):
                    problems.append("dark, %dpx: text colour %s is not light" % (f["width"], f["color"]))
                if dark and bg is not None and "0, 0, 0, 0" not in f["background"] and bg > 0.4:
                    problems.append("dark, %dpx: background %s is light" % (f["width"], f["background"]))
                if not dark and (fg is None or fg > 0.4):
                    problems.append("light, %dpx: text colour %s is not dark" % (f["width"], f["color"]))
            if outdir:
                out = os.path.join(outdir, "digest-%s.png" % scheme)
                if not screenshot(binary, tmp, doc, out, dark):
                    problems.append("no screenshot %s" % out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return problems


def html_of(path):
    with open(path, "rb") as f:
        raw = f.read()
    if path.endswith(".html"):
        return raw.decode("utf-8")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return msg.get_body(("html",)).get_content()


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    try:
        problems = check(html_of(argv[1]), argv[2] if len(argv) == 3 else None)
    except FileNotFoundError:
        print("SKIP: no chromium (Debian: apt-get install chromium)")
        return 77
    for p in problems:
        print("digest_render: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
