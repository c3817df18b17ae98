#!/usr/bin/env python3
"""Writes a synthetic news stream for bench/fold: N items (default 200,000)
over about five days, so a 72 h window fills and then slides. Stories start
at random times, live a few hours to two days, and are told by 1..30 outlets
in their own words: each story has its names, numbers and topic words; each
item mixes some of them with Zipf-distributed common vocabulary, in a title
(8-12 words) and a summary (25-45 words). Deterministic for a seed."""
import random
import sys


def word(rng, n):
    cons, vow = "bcdfghjklmnprstvwz", "aeiou"
    return "".join(rng.choice(cons) + rng.choice(vow) for _ in range(n))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rng = random.Random(seed)
    vocab = [word(rng, rng.randint(2, 4)) for _ in range(30000)]
    cum, acc = [], 0.0
    for i in range(len(vocab)):
        acc += 1.0 / (i + 1)
        cum.append(acc)
    names = [word(rng, rng.randint(2, 3)).capitalize() for _ in range(20000)]
    outlets = ["outlet%d" % i for i in range(400)]
    span = 5 * 86400
    t0 = 1700000000
    events = []
    while sum(e[3] for e in events) < n:
        size = min(30, int(rng.paretovariate(1.2)))
        start = rng.randint(0, span)
        life = rng.randint(3600, 2 * 86400)
        events.append((start, life, [rng.choice(names) for _ in range(3)] +
                       [str(rng.randint(2, 999))] + rng.sample(vocab[2000:], 6), size))
    items = []
    for start, life, core, size in events:
        for _ in range(size):
            items.append((start + rng.randint(0, life), core))
    items.sort(key=lambda x: x[0])
    items = items[:n]
    out = sys.stdout
    for i, (t, core) in enumerate(items):
        def text(k, kc):
            w = rng.sample(core, kc) + rng.choices(vocab, cum_weights=cum, k=k - kc)
            rng.shuffle(w)
            return " ".join(w)
        title = text(rng.randint(8, 12), 4)
        summary = text(rng.randint(25, 45), 6)
        out.write("%d\t%d\t%s\t%s\t%s\n" % (i + 1, t0 + t, rng.choice(outlets), title, summary))


if __name__ == "__main__":
    main()
