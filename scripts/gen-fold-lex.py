#!/usr/bin/env python3
"""gen-fold-lex: the bilingual table story folding maps words into English
with (docs/stories.md, "Across languages"), from the FreeDict dictionaries
that Debian packages in dictd format (dict-freedict-deu-eng, -fra-eng,
-spa-eng, -tur-eng, -ara-eng, and -eng-rus read in reverse).

Usage: gen-fold-lex.py [DICTDIR] > fold-lex.tsv   (DICTDIR: /usr/share/dictd)

Output: one line per source word, "lang<TAB>word<TAB>english", lang an ISO
639-1 code, word lower-cased as the dictionary spells it, english its first
one-word English translation. Only one-word headwords and translations are
kept, without subject-tagged senses ([chem.], [bot.], ...), which are the
technical vocabulary news seldom uses: that keeps the table small. A missing
dictionary is skipped with a note on stderr, so the table holds what the
machine has (possibly nothing: folding then works within each language and
by names and numbers only).
"""
import gzip
import os
import re
import sys

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
SOURCES = [("de", "deu-eng", False), ("fr", "fra-eng", False), ("es", "spa-eng", False),
           ("tr", "tur-eng", False), ("ar", "ara-eng", False), ("ru", "eng-rus", True)]
WORD = re.compile(r"^[^\W\d_]{2,24}$")
TAGGED = re.compile(r"^\s*\[[^\]]*\]")


def b64(s):
    n = 0
    for ch in s:
        n = n * 64 + B64.index(ch)
    return n


def entries(dictdir, name):
    """(headword, [translation lines]) of each entry."""
    base = os.path.join(dictdir, "freedict-" + name)
    with gzip.open(base + ".dict.dz") as f:
        data = f.read()
    with open(base + ".index", encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[0].startswith("00database") or parts[0].startswith("00-"):
                continue
            off, n = b64(parts[1]), b64(parts[2])
            text = data[off:off + n].decode("utf-8", "replace").split("\n")
            head = re.split(r" /| <", text[0], maxsplit=1)[0].strip()
            yield head, [t for t in text[1:] if t.strip()]


def senses(lines):
    """The translations of an entry's sense lines, in order."""
    for line in lines:
        s = line.strip()
        if s.startswith(("Synonym", "Note", "See", "Antonym", "{")) or TAGGED.match(s):
            continue
        s = re.sub(r"^\d+\.\s*", "", s)
        s = re.sub(r"<[^>]*>|\([^)]*\)|\[[^\]]*\]", "", s)
        for t in re.split(r"[,;]", s):
            t = t.strip()
            if t.startswith("to "):
                t = t[3:]
            yield t


def main():
    dictdir = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/dictd"
    out = sys.stdout
    for lang, name, reverse in SOURCES:
        table = {}
        try:
            for head, lines in entries(dictdir, name):
                if not WORD.match(head):
                    continue
                for t in senses(lines):
                    if not WORD.match(t):
                        continue
                    if reverse:  # eng-rus: each Russian word -> the English headword
                        table.setdefault(t.lower(), head.lower())
                    else:
                        table.setdefault(head.lower(), t.lower())
                        break
        except OSError as e:
            print("gen-fold-lex: %s: skipped (%s)" % (name, e.strerror or e), file=sys.stderr)
            continue
        for w in sorted(table):
            out.write("%s\t%s\t%s\n" % (lang, w, table[w]))
        print("gen-fold-lex: %s: %d words" % (name, len(table)), file=sys.stderr)


if __name__ == "__main__":
    main()
