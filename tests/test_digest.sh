#!/bin/sh
# herald-digest against a fake herald client (tests/digest_fake_herald.py,
# canned JSON per the client's contract) and sendmail stand-ins; every message
# is parsed back by Python's email package (tests/digest_check.py).
set -u

srcdir=${HERALD_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${HERALD_BUILDDIR:-$srcdir}
python=${PYTHON3:-python3}
digest=$builddir/scripts/herald-digest

if ! command -v "$python" >/dev/null 2>&1; then
	echo "SKIP: no python3"
	exit 77
fi
[ -x "$digest" ] || { echo "FAIL: $digest not built"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_digest.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/mails"

# The fake client, first in PATH and named by $HERALD.
cat >"$tmp/bin/herald" <<EOF
#!/bin/sh
exec "$python" "$srcdir/tests/digest_fake_herald.py" "\$@"
EOF
# sendmail stand-ins: one keeps each message, one fails like a full queue,
# one is slow (to make two digests overlap).
cat >"$tmp/bin/sendmail-ok" <<EOF
#!/bin/sh
n=\$(ls "$tmp/mails" | wc -l)
echo "\$*" >>"$tmp/sendmail.args"
cat >"$tmp/mails/mail.\$((n + 1))"
EOF
cat >"$tmp/bin/sendmail-slow" <<EOF
#!/bin/sh
sleep 1
exec "$tmp/bin/sendmail-ok" "\$@"
EOF
cat >"$tmp/bin/sendmail-fail" <<EOF
#!/bin/sh
cat >/dev/null
echo "sendmail: queue full" >&2
exit 75
EOF
chmod +x "$tmp/bin/"*

PATH=$tmp/bin:$PATH
HERALD=$tmp/bin/herald
HERALD_PYTHON=$python
FAKE_HERALD_STORIES=$tmp/stories.json
FAKE_HERALD_STATE=$tmp/digested
FAKE_HERALD_LOG=$tmp/herald.log
HERALD_DIGEST_LOCK=$tmp/lock
TZ=Europe/Istanbul
export PATH HERALD HERALD_PYTHON FAKE_HERALD_STORIES FAKE_HERALD_STATE FAKE_HERALD_LOG HERALD_DIGEST_LOCK TZ
unset HERALD_DIGEST_TO HERALD_DIGEST_FROM HERALD_DIGEST_SENDMAIL HERALD_DIGEST_NOTE HERALD_DIGEST_GROUP FAKE_HERALD_DOWN
cp "$srcdir/tests/digest_stories.json" "$tmp/stories.json"
: >"$tmp/herald.log"

to=reader@example.org
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
mails() { ls "$tmp/mails" | wc -l | tr -d ' '; }
marked() { if [ -f "$tmp/digested" ]; then sort -n "$tmp/digested" | tr '\n' ' '; fi; }
check_msg() { # FILE IDS
	"$python" "$srcdir/tests/digest_check.py" "$1" "$tmp/stories.json" "$2" "$to" || fail "message $1 ($2)"
}
run() { # expected-status args...
	want=$1
	shift
	"$digest" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	[ "$got" = "$want" ] || { fail "herald-digest $* exited $got, not $want"; cat "$tmp/err"; }
}

echo "# --dry-run prints the message, sends and marks nothing"
run 0 --dry-run --to "$to" --sendmail "$tmp/bin/sendmail-fail"
check_msg "$tmp/out" 11,12,13,14
[ "$(mails)" = 0 ] || fail "dry run mailed"
[ -z "$(marked)" ] || fail "dry run marked $(marked)"
grep -q 'stories --undigested --all' "$tmp/herald.log" || fail "the client was not asked for --undigested --all"

text_part() { # MESSAGE: its decoded text/plain part
	"$python" -c 'import sys, email, email.policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
sys.stdout.write(m.get_body(("plain",)).get_content())' "$1"
}
text_part "$tmp/out" >"$tmp/text"
for g in '== türkiye (1) ==' '== world (2) ==' '== Other (1) =='; do
	grep -q -x -- "$g" "$tmp/text" || fail "no group line '$g' when grouping by tag"
done
[ "$(grep -c '^== ' "$tmp/text")" = 3 ] || fail "not 3 tag groups"

echo "# grouping by feed gives the same stories"
run 0 --dry-run --to "$to" --group feed
check_msg "$tmp/out" 11,12,13,14
text_part "$tmp/out" >"$tmp/text"
for g in '== Cartoons <R> Us (1) ==' '== Hürriyet (1) ==' '== Plain Feed (1) ==' '== Лента.ру (1) =='; do
	grep -q -x -- "$g" "$tmp/text" || fail "no group line '$g' when grouping by feed"
done
[ "$(grep -c '^== ' "$tmp/text")" = 4 ] || fail "not 4 feed groups"
grep -q '^Subject:.*=?utf-8?' "$tmp/out" || fail "Subject is not an RFC 2047 encoded word"

echo "# a failing sendmail: exit non-zero, nothing marked"
run 1 --to "$to" --sendmail "$tmp/bin/sendmail-fail"
[ -z "$(marked)" ] || fail "marked $(marked) although sendmail failed"
grep -q ' digested' "$tmp/herald.log" && fail "digested was called after a failed send"
grep -q 'nothing was marked' "$tmp/err" || fail "no explanation on a failed send: $(cat "$tmp/err")"

echo "# the next run sends them all, once, and marks them"
run 0 --to "$to" --sendmail "$tmp/bin/sendmail-ok" --socket /run/x/heraldd.sock
[ "$(mails)" = 1 ] || fail "$(mails) mails, not 1"
check_msg "$tmp/mails/mail.1" 11,12,13,14
grep -q -- '-t' "$tmp/sendmail.args" || fail "sendmail ran without -t: $(cat "$tmp/sendmail.args")"
[ "$(marked)" = "11 12 13 14 " ] || fail "marked '$(marked)', not 11 12 13 14"
grep -q -- '--socket /run/x/heraldd.sock digested' "$tmp/herald.log" || fail "--socket was not passed to herald"

echo "# nothing new: no mail, nothing marked twice"
run 0 --to "$to" --sendmail "$tmp/bin/sendmail-ok"
[ "$(mails)" = 1 ] || fail "a mail was sent with nothing new"
[ "$(marked)" = "11 12 13 14 " ] || fail "marked '$(marked)' after an empty run"

echo "# nothing new with --nothing-new-note: a note, nothing marked"
run 0 --to "$to" --sendmail "$tmp/bin/sendmail-ok" --nothing-new-note
[ "$(mails)" = 2 ] || fail "no note was mailed"
[ -f "$tmp/mails/mail.2" ] && check_msg "$tmp/mails/mail.2" none

echo "# a new story: the next digest carries it and only it"
"$python" - "$tmp/stories.json" <<'EOF'
import json, sys
stories = json.load(open(sys.argv[1], encoding="utf-8"))
stories.append({"id": 15, "title": "Çığ düştü: Erzurum'da yollar kapandı", "state": "new", "starred": False,
                "first_seen": 1795970000, "last_seen": 1795970000, "items": 1, "unread": 1,
                "outlets": [{"feed": 4, "name": "Hürriyet", "title": "Çığ düştü: Erzurum'da yollar kapandı",
                             "link": "https://hurriyet.example/gundem/cig"}],
                "tags": ["türkiye"], "feeds": [4]})
json.dump(stories, open(sys.argv[1], "w", encoding="utf-8"), ensure_ascii=False)
EOF
run 0 --to "$to" --sendmail "$tmp/bin/sendmail-ok"
[ "$(mails)" = 3 ] || fail "the new story was not mailed"
[ -f "$tmp/mails/mail.3" ] && check_msg "$tmp/mails/mail.3" 15
[ "$(marked)" = "11 12 13 14 15 " ] || fail "marked '$(marked)'"

echo "# two digests at once never carry the same story"
rm -f "$tmp/digested" "$tmp/mails/"*
"$digest" --to "$to" --sendmail "$tmp/bin/sendmail-slow" 2>"$tmp/err1" &
pid1=$!
"$digest" --to "$to" --sendmail "$tmp/bin/sendmail-slow" 2>"$tmp/err2" &
pid2=$!
wait "$pid1" || fail "first concurrent digest failed: $(cat "$tmp/err1")"
wait "$pid2" || fail "second concurrent digest failed: $(cat "$tmp/err2")"
[ "$(mails)" = 1 ] || fail "$(mails) mails from two overlapping digests, not 1"
[ -f "$tmp/mails/mail.1" ] && check_msg "$tmp/mails/mail.1" 11,12,13,14,15
[ "$(marked)" = "11 12 13 14 15 " ] || fail "marked '$(marked)' after overlapping digests"

echo "# more stories than one page of the client: all of them, once"
rm -f "$tmp/digested" "$tmp/mails/"*
cp "$tmp/stories.json" "$tmp/few.json"
"$python" - "$tmp/stories.json" <<'EOF'
import json, sys
stories = json.load(open(sys.argv[1], encoding="utf-8"))
for i in range(100, 220):
    stories.append({"id": i, "title": "Haber %d: Öğrenciler için yeni düzenleme" % i, "state": "new",
                    "starred": False, "first_seen": 1795000000 + i, "last_seen": 1795000000 + 7 * i % 500,
                    "items": 1, "unread": 1,
                    "outlets": [{"feed": 9, "name": "Ajans", "title": "Haber %d" % i,
                                 "link": "https://ajans.example/haber/%d" % i}],
                    "tags": ["türkiye"], "feeds": [9]})
json.dump(stories, open(sys.argv[1], "w", encoding="utf-8"), ensure_ascii=False)
EOF
HERALD_DIGEST_PAGE=50
export HERALD_DIGEST_PAGE
run 0 --to "$to" --sendmail "$tmp/bin/sendmail-ok"
unset HERALD_DIGEST_PAGE
[ "$(mails)" = 1 ] || fail "$(mails) mails for 125 stories, not 1"
all=$("$python" -c 'import json, sys; print(",".join(str(s["id"]) for s in json.load(open(sys.argv[1]))))' "$tmp/stories.json")
[ -f "$tmp/mails/mail.1" ] && check_msg "$tmp/mails/mail.1" "$all"
[ "$(sort -n "$tmp/digested" | uniq | wc -l | tr -d ' ')" = 125 ] || fail "not all 125 stories were marked"
grep -q -- '--limit 50 --offset 100' "$tmp/herald.log" || fail "the client was not paged"
cp "$tmp/few.json" "$tmp/stories.json"

echo "# the daemon is down: exit 3, no mail"
rm -f "$tmp/digested" "$tmp/mails/"*
export FAKE_HERALD_DOWN=1
run 3 --to "$to" --sendmail "$tmp/bin/sendmail-ok"
unset FAKE_HERALD_DOWN
[ "$(mails)" = 0 ] || fail "mailed while the daemon was down"

echo "# marking fails after the mail went out: non-zero, and said so"
export FAKE_HERALD_FAIL_DIGESTED=1
run 1 --to "$to" --sendmail "$tmp/bin/sendmail-ok"
unset FAKE_HERALD_FAIL_DIGESTED
grep -q 'marking' "$tmp/err" || fail "no message about the failed marking"

echo "# the client prints garbage: exit 1, no mail"
rm -f "$tmp/mails/"*
echo '{"not": "an array"}' >"$tmp/garbage.json"
FAKE_HERALD_STORIES=$tmp/garbage.json
run 1 --to "$to" --sendmail "$tmp/bin/sendmail-ok"
FAKE_HERALD_STORIES=$tmp/stories.json
[ "$(mails)" = 0 ] || fail "mailed garbage"

echo "# no python3: exit 1, no mail"
HERALD_PYTHON=/nonexistent/python3
run 1 --to "$to" --sendmail "$tmp/bin/sendmail-ok"
HERALD_PYTHON=$python
[ "$(mails)" = 0 ] || fail "mailed without a formatter"

echo "# usage errors: exit 2, no mail"
run 2 --sendmail "$tmp/bin/sendmail-ok"
run 2 --to "$to" --group colour
run 2 --to "$to" --bogus
run 2 --to 'reader@example.org
Bcc: victim@example.net' --sendmail "$tmp/bin/sendmail-ok"
run 2 --to 'nodomain' --sendmail "$tmp/bin/sendmail-ok"
[ "$(mails)" = 0 ] || fail "a usage error sent mail"
[ -z "$(marked)" ] || fail "a usage error marked $(marked)"

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all digest checks passed"
