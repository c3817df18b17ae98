#!/usr/bin/env python3
"""Conformance of heraldd's parser against the peer oracles in ../shared/corpora.

Dumps every input of the feedparser and gofeed corpora with
`heraldd --dump FILE [--content-type CT] [--url URI]` (feedparser cases take both
from the `http` field of feedparser_expect.json, a Content-Location resolved
against the request URL), scores the dumps with the shared compare.py
(`--core-only` for feedparser), prints the pass rates, and fails when a rate
is below its floor in tests/conformance-floors.txt. Assertions listed in
tests/conformance-xfail.txt are deliberate divergences: the rate is printed
with and without them; floors apply to compare.py's own rate.

Usage: conformance.py [--keep DIR] [--details DIR]   (exit 77: no ../shared)
"""
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

SRCDIR = os.environ.get("HERALD_SRCDIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILDDIR = os.environ.get("HERALD_BUILDDIR") or os.path.join(SRCDIR, "build")
SHARED = os.environ.get("HERALD_SHARED") or os.path.join(SRCDIR, "..", "shared")
CORPORA = os.path.join(SHARED, "corpora")


def header(headers, name):
    for k, v in (headers or {}).items():
        if k.lower() == name.lower():
            return v
    return None


def jobs():
    out = {}
    for a in json.load(open(os.path.join(CORPORA, "feedparser_expect.json"), encoding="utf-8")):
        if a["file"] in out:
            continue
        ct = url = None
        if a.get("http"):
            url = a["http"].get("url")
            hdrs = a["http"].get("headers") or {}
            ct = header(hdrs, "Content-type") or "text/xml"
            loc = header(hdrs, "Content-Location")
            if loc:
                url = urllib.parse.urljoin(url or "", loc)
        out[a["file"]] = ("feedparser", a["file"], ct, url)
    jl = list(out.values())
    seen = set()
    for a in json.load(open(os.path.join(CORPORA, "gofeed_expect.json"), encoding="utf-8")):
        if a["file"] not in seen:
            seen.add(a["file"])
            jl.append(("gofeed", a["file"], None, None))
    return jl


def dump(heraldd, dumpdir, job):
    corpus, rel, ct, url = job
    cmd = [heraldd, "--dump", os.path.join(CORPORA, corpus, rel)]
    if ct:
        cmd += ["--content-type", ct]
    if url:
        cmd += ["--url", url]
    dest = os.path.join(dumpdir, corpus, rel + ".json")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=20)
        out = r.stdout
        if r.returncode < 0 or not out.strip():
            out = json.dumps({"error": "heraldd exited with %d: %s" % (
                r.returncode, r.stderr.decode("utf-8", "replace")[:200])}).encode()
    except subprocess.TimeoutExpired:
        out = json.dumps({"error": "timeout"}).encode()
    with open(dest, "wb") as fh:
        fh.write(out)
    return r.returncode if r else 0


def run_batches(batch, dumpdir, jl, parts=2):
    """dump_batch (tests/dump_batch.c) runs dump_stream() on many files per process."""
    procs = []
    for k in range(parts):
        lines = []
        for corpus, rel, ct, url in jl[k::parts]:
            dest = os.path.join(dumpdir, corpus, rel + ".json")
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            lines.append("\t".join([os.path.join(CORPORA, corpus, rel), dest, ct or "", url or ""]))
        p = subprocess.Popen([batch], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        procs.append((p, "\n".join(lines) + "\n"))
    crashes = []
    for p, text in procs:
        p.communicate(text.encode("utf-8"), timeout=300)
        if p.returncode < 0:
            crashes.append(("dump_batch", p.returncode))
    return crashes


def load_list(name):
    path = os.path.join(SRCDIR, "tests", name)
    rows = []
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            line = line.split("#", 1)[0].strip()
            if line:
                rows.append(line.split())
    return rows


def main():
    if not os.path.isdir(CORPORA):
        print("SKIP: %s not found" % CORPORA)
        return 77
    heraldd = os.path.join(BUILDDIR, "heraldd")
    if not os.access(heraldd, os.X_OK):
        print("FAIL: %s not built" % heraldd)
        return 1
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    tmp = tempfile.TemporaryDirectory(prefix="herald-conf-")
    dumpdir = keep or tmp.name
    jl = jobs()
    crashes = []
    batch = os.path.join(BUILDDIR, "tests", "dump_batch")
    if os.access(batch, os.X_OK) and "--one-by-one" not in sys.argv:
        crashes = run_batches(batch, dumpdir, jl)
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
            for job, rc in zip(jl, ex.map(lambda j: dump(heraldd, dumpdir, j), jl)):
                if rc < 0:
                    crashes.append((job[1], rc))
    floors = {r[0]: float(r[1]) for r in load_list("conformance-floors.txt")}
    xfail = {(r[0], r[1], r[2]) for r in load_list("conformance-xfail.txt") if len(r) >= 3}
    failed = bool(crashes)
    for f, rc in crashes:
        print("CRASH: heraldd --dump %s died with signal %d" % (f, -rc))
    for corpus, extra in (("feedparser", ["--core-only"]), ("gofeed", [])):
        det = os.path.join(dumpdir, "details-%s.json" % corpus)
        r = subprocess.run([sys.executable, os.path.join(CORPORA, "compare.py"), dumpdir,
                            "--corpus", corpus, "--details", det] + extra,
                           capture_output=True, text=True)
        sys.stdout.write(r.stdout)
        m = re.search(r"pass rate \(pass / judged.*?\): ([\d.]+)%", r.stdout)
        if r.returncode != 0 or not m:
            print("FAIL: compare.py for %s: %s" % (corpus, r.stderr[-500:]))
            failed = True
            continue
        rate = float(m.group(1))
        rows = [d for d in json.load(open(det, encoding="utf-8")) if d["status"] != "n/a"]
        bad = [d for d in rows if d["status"] != "pass"]
        x = [d for d in bad if (corpus, d["file"], d["field"]) in xfail]
        xpass = [k for k in xfail if k[0] == corpus and
                 any(d["status"] == "pass" and (d["file"], d["field"]) == k[1:] for d in rows)]
        judged = len(rows) - len(x)
        adj = 100.0 * (len(rows) - len(bad)) / judged if judged else 0.0
        floor = floors.get(corpus, 0.0)
        print("%s: %.1f%% (floor %.1f%%); %d deliberate divergences listed, %.1f%% without them%s"
              % (corpus, rate, floor, len(x), adj,
                 "; XPASS: %d listed divergences now pass" % len(xpass) if xpass else ""))
        if rate < floor:
            print("FAIL: %s pass rate %.1f%% is below its floor %.1f%%" % (corpus, rate, floor))
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
