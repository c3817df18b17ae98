#!/usr/bin/env python3
"""A stand-in for the herald client, for tests/test_digest.sh.

Speaks the client's command line and --json contract (CONTRACTS.md) for the two
commands herald-digest uses, over canned data instead of a daemon:
  herald [--socket PATH] --json stories --undigested --all [--limit N] [--offset N]
  herald [--socket PATH] digested ID...
Environment:
  FAKE_HERALD_STORIES   JSON file: the array `stories --all` would print
  FAKE_HERALD_STATE     file of digested ids, one per line (read and appended)
  FAKE_HERALD_LOG       every invocation's argv is appended here, one per line
  FAKE_HERALD_DOWN      if set, behave as if the daemon is not running (exit 3)
  FAKE_HERALD_FAIL_DIGESTED  if set, `digested` fails with exit 1
Anything it does not understand is a usage error (exit 2), so a caller that
strays from the contract fails its test.
"""
import json
import os
import sys


def usage(text):
    sys.stderr.write("herald (fake): %s\n" % text)
    sys.exit(2)


def digested_ids():
    try:
        with open(os.environ["FAKE_HERALD_STATE"]) as f:
            return {int(line) for line in f if line.strip()}
    except FileNotFoundError:
        return set()


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
        sys.stderr.write("herald: the daemon is not running\n")
        sys.exit(3)
    cmd, rest = args[0], args[1:]
    if cmd == "stories":
        undigested = all_ = False
        limit, offset = 50, 0  # the real client's default limit
        while rest:
            a = rest.pop(0)
            if a == "--undigested":
                undigested = True
            elif a == "--all":
                all_ = True
            elif a in ("--limit", "--offset") and rest and rest[0].isdigit():
                if a == "--limit":
                    limit = int(rest.pop(0))
                    if not 1 <= limit <= 10000:
                        usage("--limit is 1..10000")
                else:
                    offset = int(rest.pop(0))
            else:
                usage("stories: unknown option %s" % a)
        if not json_out:
            usage("this fake only prints --json")
        with open(os.environ["FAKE_HERALD_STORIES"], encoding="utf-8") as f:
            stories = json.load(f)
        if not all_:
            stories = [s for s in stories if s["state"] != "read"]
        if undigested:
            done = digested_ids()
            stories = [s for s in stories if s["id"] not in done]
        # Newest first, then one page, as the daemon answers.
        stories.sort(key=lambda s: (s["last_seen"], s["id"]), reverse=True)
        stories = stories[offset:offset + limit]
        sys.stdout.write(json.dumps(stories, ensure_ascii=False))
        sys.stdout.write("\n")
        return 0
    if cmd == "digested":
        if not rest:
            usage("digested: no ids")
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
