#!/usr/bin/env python3
"""A stand-in for the herald client, for tests/test_digest.sh.

Speaks the client's command line and --json contract (herald(1)) for the
commands herald-digest uses, over canned data instead of a daemon:
  herald [--socket PATH] --json stories --undigested --all [--since T] [--limit N] [--offset N]
  herald [--socket PATH] --json items --all [--since @EPOCH | --story ID] [--limit N] [--offset N]
  herald [--socket PATH] --json feeds
  herald [--socket PATH] digested ID...
Data: FAKE_HERALD_STORIES is the array `stories --all` would print, except
that each outlet also carries its item's `time` and `summary` (which the
real client gives only in `items`): this fake strips them from the stories
and serves them as items. As the real daemon does, a story lists at most
100 outlets. FAKE_HERALD_FEEDS is the array `feeds` prints.
Environment:
  FAKE_HERALD_STATE     file of digested ids, one per line (read and appended)
  FAKE_HERALD_LOG       every invocation's argv is appended here, one per line
  FAKE_HERALD_DOWN      if set, behave as if the daemon is not running (exit 3)
  FAKE_HERALD_FAIL_DIGESTED  if set, `digested` fails with exit 1
  FAKE_HERALD_BAD_UTF8  if set, titles carry a byte that is not UTF-8
  FAKE_HERALD_NO_WINDOW if set, `items --since` lists nothing
Anything it does not understand is a usage error (exit 2), so a caller that
strays from the contract fails its test.
"""
import json
import os
import sys

MAX_OUTLETS = 100


def usage(text):
    sys.stderr.write("herald (fake): %s\n" % text)
    sys.exit(2)


def digested_ids():
    try:
        with open(os.environ["FAKE_HERALD_STATE"]) as f:
            return {int(line) for line in f if line.strip()}
    except FileNotFoundError:
        return set()


def load(var):
    with open(os.environ[var], encoding="utf-8") as f:
        return json.load(f)


def out(records):
    data = json.dumps(records, ensure_ascii=False).encode("utf-8")
    if os.environ.get("FAKE_HERALD_BAD_UTF8"):
        data = data.replace(b'"title": "', b'"title": "\xff\xfe')
    sys.stdout.buffer.write(data + b"\n")


def parse_since(v):
    if v.startswith("@") and v[1:].isdigit():
        return int(v[1:])
    if v.endswith("d") and v[:-1].isdigit():
        return 1796000000 - 86400 * int(v[:-1])
    usage("--since: cannot read '%s'" % v)
    return 0


def listing_opts(rest, allowed):
    opts = {"limit": 50, "offset": 0, "all": False, "undigested": False, "since": None,
            "story": None}
    while rest:
        a = rest.pop(0)
        if a in ("--undigested", "--all") and a[2:] in allowed:
            opts[a[2:]] = True
        elif a in ("--limit", "--offset", "--story") and rest and rest[0].isdigit():
            opts[a[2:]] = int(rest.pop(0))
        elif a == "--since" and rest and "since" in allowed:
            opts["since"] = parse_since(rest.pop(0))
        else:
            usage("unknown option %s" % a)
    if not 1 <= opts["limit"] <= 10000:
        usage("--limit is 1..10000")
    if opts["story"] is not None and "story" not in allowed:
        usage("unknown option --story")
    return opts


def main(argv):
    with open(os.environ["FAKE_HERALD_LOG"], "a") as log:
        log.write(" ".join(argv) + "\n")
    args = argv[1:]
    json_out = False
    while args and args[0].startswith("-"):
        if args[0] == "--socket" and len(args) > 1:
            args = args[2:]
        elif args[0] == "--json":
            json_out = True
            args = args[1:]
        else:
            usage("unknown option %s" % args[0])
    if not args:
        usage("no command")
    if os.environ.get("FAKE_HERALD_DOWN"):
        sys.stderr.write("herald: cannot connect to /run/x/heraldd.sock: the daemon is not running\n")
        sys.exit(3)
    cmd, rest = args[0], args[1:]
    if cmd in ("stories", "items", "feeds") and not json_out:
        usage("this fake only prints --json")
    if cmd == "stories":
        o = listing_opts(rest, ("undigested", "all", "since"))
        stories = load("FAKE_HERALD_STORIES")
        if not isinstance(stories, list):  # garbage in, garbage out
            out(stories)
            return 0
        if not o["all"]:
            stories = [s for s in stories if s["state"] != "read"]
        if o["undigested"]:
            done = digested_ids()
            stories = [s for s in stories if s["id"] not in done]
        if o["since"] is not None:
            stories = [s for s in stories if s["last_seen"] >= o["since"]]
        # Newest first, then one page, as the daemon answers.
        stories.sort(key=lambda s: (s["last_seen"], s["id"]), reverse=True)
        for s in stories:
            s["outlets"] = [{k: v for k, v in x.items() if k not in ("time", "summary")}
                            for x in s["outlets"][:MAX_OUTLETS]]
        out(stories[o["offset"]:o["offset"] + o["limit"]])
        return 0
    if cmd == "items":
        o = listing_opts(rest, ("all", "since", "story"))
        items = []
        for s in load("FAKE_HERALD_STORIES"):
            for x in s["outlets"]:
                items.append({"id": x["item"], "story": s["id"], "feed": x["feed"],
                              "feed_name": x["name"], "title": x["title"], "link": x["link"],
                              "time": x["time"], "read": False, "starred": False,
                              "summary": x["summary"]})
        if o["story"] is not None:
            items = [i for i in items if i["story"] == o["story"]]
        if o["since"] is not None:
            items = [i for i in items if i["time"] >= o["since"]]
            if os.environ.get("FAKE_HERALD_NO_WINDOW"):
                items = []  # as if the story's items were older than the listing reached
        items.sort(key=lambda i: (i["time"], i["id"]), reverse=True)
        out(items[o["offset"]:o["offset"] + o["limit"]])
        return 0
    if cmd == "feeds":
        if rest:
            usage("feeds: this fake lists them all")
        out(load("FAKE_HERALD_FEEDS"))
        return 0
    if cmd == "digested":
        if not rest:
            usage("digested: no ids")
        if len(rest) > 63:
            usage("digested: more ids than a request holds")
        try:
            ids = [int(a) for a in rest]
        except ValueError:
            usage("digested: ids are integers")
        if os.environ.get("FAKE_HERALD_FAIL_DIGESTED"):
            sys.stderr.write("herald: error from the daemon\n")
            return 1
        with open(os.environ["FAKE_HERALD_STATE"], "a") as f:
            for i in ids:
                f.write("%d\n" % i)
        return 0
    usage("unknown command %s" % cmd)
    return 2


sys.exit(main(sys.argv))
