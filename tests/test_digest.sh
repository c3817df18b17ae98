#!/bin/sh
# herald-digest against a fake herald client (tests/digest_fake_herald.py,
# canned JSON per the client's contract) and sendmail stand-ins; every message
# is parsed back by Python's email and html packages (tests/digest_check.py).
# tests/digest_live.py does the same with the real daemon, client and an MTA.
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
mkdir -p "$tmp/bin" "$tmp/mails" "$tmp/home"

# The fake client, first in PATH and named by $HERALD.
cat >"$tmp/bin/herald" <<EOF
#!/bin/sh
exec "$python" -S "$srcdir/tests/digest_fake_herald.py" "\$@"
EOF
# sendmail stand-ins: one keeps each message, one fails like a full queue,
# one is slow (to make two digests overlap), one hangs.
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
cat >"$tmp/bin/sendmail-hang" <<EOF
#!/bin/sh
echo \$\$ >"$tmp/hang.pid"
cat >/dev/null
sleep 300
EOF
chmod +x "$tmp/bin/"*

PATH=$tmp/bin:$PATH
HERALD=$tmp/bin/herald
FAKE_HERALD_STORIES=$tmp/stories.json
FAKE_HERALD_FEEDS=$srcdir/tests/digest_feeds.json
FAKE_HERALD_STATE=$tmp/digested
FAKE_HERALD_LOG=$tmp/herald.log
HERALD_DIGEST_LOCK=$tmp/lock
HOME=$tmp/home
TZ=Europe/Istanbul
export PATH HERALD FAKE_HERALD_STORIES FAKE_HERALD_FEEDS FAKE_HERALD_STATE FAKE_HERALD_LOG
export HERALD_DIGEST_LOCK HOME TZ
unset HERALD_DIGEST_TO HERALD_DIGEST_FROM HERALD_DIGEST_SENDMAIL HERALD_DIGEST_NOTE HERALD_DIGEST_GROUP \
	HERALD_DIGEST_TAGS HERALD_DIGEST_SINCE HERALD_DIGEST_MAX_STORIES HERALD_DIGEST_MIN_OUTLETS \
	HERALD_DIGEST_CONFIG HERALD_DIGEST_SUBJECT HERALD_DIGEST_SENDMAIL_TIMEOUT XDG_CONFIG_HOME \
	FAKE_HERALD_DOWN FAKE_HERALD_BAD_UTF8 FAKE_HERALD_FAIL_DIGESTED
cp "$srcdir/tests/digest_stories.json" "$tmp/stories.json"
conf=$srcdir/tests/digest_feeds.conf
: >"$tmp/herald.log"

to=reader@example.org
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
mails() { ls "$tmp/mails" | wc -l | tr -d ' '; }
marked() { if [ -f "$tmp/digested" ]; then sort -n "$tmp/digested" | tr '\n' ' '; fi; }
check_msg() { # FILE IDS [SECTIONS [TO]]
	"$python" "$srcdir/tests/digest_check.py" "$1" "$tmp/stories.json" "$2" "${4:-$to}" ${3:+"$3"} ||
		fail "message $1 ($2)"
}
run() { # expected-status args...
	want=$1
	shift
	"$digest" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	[ "$got" = "$want" ] || { fail "herald-digest $* exited $got, not $want"; cat "$tmp/err"; }
	if grep -q Traceback "$tmp/err"; then fail "a traceback reached the user"; fi
}
text_part() { # MESSAGE: its decoded text/plain part
	"$python" -c 'import sys, email, email.policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
sys.stdout.write(m.get_body(("plain",)).get_content())' "$1"
}
sections() { # MESSAGE: the text part's section titles, one line
	text_part "$1" | awk 'prev != "" && /^=+$/ { printf "%s|", prev } { prev = $0 }'
}

echo "# --dry-run prints the message, sends and marks nothing; sections by tag, feeds.conf's order"
run 0 --dry-run --to "$to" --sendmail "$tmp/bin/sendmail-fail" --config "$conf"
check_msg "$tmp/out" 11,12,13,14 "11=россия,12=türkiye,13=Other,14=world"
[ "$(mails)" = 0 ] || fail "dry run mailed"
[ -z "$(marked)" ] || fail "dry run marked $(marked)"
grep -q 'stories --undigested --all' "$tmp/herald.log" || fail "the client was not asked for --undigested --all"
# Story 11 is told by two feeds tagged россия and two tagged world: the tie
# goes to the tag feeds.conf names first (the alphabet would say world).
[ "$(sections "$tmp/out")" = "РОССИЯ|TÜRKIYE|WORLD|OTHER|" ] ||
	fail "sections are '$(sections "$tmp/out")', not in feeds.conf's order"
text_part "$tmp/out" | grep -q '^   3 outlets · also in: world$' || fail "no 'also in: world' for story 11"

echo "# without feeds.conf the daemon's order of feeds breaks ties (HOME has none)"
run 0 --dry-run --to "$to"
check_msg "$tmp/out" 11,12,13,14 "11=россия,12=türkiye,13=Other,14=world"
[ "$(sections "$tmp/out")" = "TÜRKIYE|РОССИЯ|WORLD|OTHER|" ] ||
	fail "sections are '$(sections "$tmp/out")' without feeds.conf"
mkdir -p "$tmp/home/.config/herald" && cp "$conf" "$tmp/home/.config/herald/feeds.conf"
run 0 --dry-run --to "$to"
[ "$(sections "$tmp/out")" = "РОССИЯ|TÜRKIYE|WORLD|OTHER|" ] ||
	fail "~/.config/herald/feeds.conf was not read: '$(sections "$tmp/out")'"
rm -r "$tmp/home/.config"

echo "# grouping by feed, and none"
run 0 --dry-run --to "$to" --group feed
check_msg "$tmp/out" 11,12,13,14 "11=Лента.ру,12=Hürriyet,13=Cartoons <R> Us,14=Plain Feed"
run 0 --dry-run --to "$to" --group none
check_msg "$tmp/out" 11,12,13,14 "11=-,12=-,13=-,14=-"
[ -z "$(sections "$tmp/out")" ] || fail "--group none has sections"
grep -q '^Subject:.*=?utf-8?' "$tmp/out" || fail "Subject is not an RFC 2047 encoded word"

echo "# leads: whole sentences, at most three, no HTML kept as markup"
text_part "$tmp/out" >"$tmp/text"
tr '\n' ' ' <"$tmp/text" | tr -s ' ' >"$tmp/flat"
grep -q 'Пассажиры уже оценили новый вестибюль\. [0-9] outlets' "$tmp/flat" ||
	fail "story 11's lead is not its first three sentences"
grep -q 'Строительство заняло' "$tmp/flat" && fail "story 11's lead has a fourth sentence"
grep -q "Mr\. Smith said the U\.S\. team would arrive on Monday\. They did\." "$tmp/flat" ||
	fail "an abbreviation ended story 14's lead"
grep -q "Boğaz'da gemi trafiği şiddetli yağış nedeniyle durduruldu" "$tmp/flat" ||
	fail "story 12's lead is not its first outlet with a summary"

echo "# filters: --min-outlets, --max-stories, --tag, --since"
run 0 --dry-run --to "$to" --min-outlets 2
check_msg "$tmp/out" 11,12
run 0 --dry-run --to "$to" --max-stories 1
check_msg "$tmp/out" 11
run 0 --dry-run --to "$to" --tag world
check_msg "$tmp/out" 11,14
run 0 --dry-run --to "$to" --tag türkiye,россия
check_msg "$tmp/out" 11,12
run 0 --dry-run --to "$to" --since @1795955000
check_msg "$tmp/out" 11,12
grep -q -- '--since @1795955000' "$tmp/herald.log" || fail "--since was not passed to the client"

echo "# a failing sendmail: exit non-zero, nothing marked"
run 1 --to "$to" --sendmail "$tmp/bin/sendmail-fail"
[ -z "$(marked)" ] || fail "marked $(marked) although sendmail failed"
grep -q ' digested' "$tmp/herald.log" && fail "digested was called after a failed send"
grep -q 'nothing was marked' "$tmp/err" || fail "no explanation on a failed send: $(cat "$tmp/err")"
grep -q 'queue full' "$tmp/err" || fail "the mailer's own message was not shown: $(cat "$tmp/err")"

echo "# a sendmail that hangs: stopped after --sendmail-timeout, nothing marked"
start=$(date +%s)
run 1 --to "$to" --sendmail "$tmp/bin/sendmail-hang" --sendmail-timeout 2
[ $(($(date +%s) - start)) -lt 30 ] || fail "a hanging sendmail held the digest $(($(date +%s) - start)) s"
[ -z "$(marked)" ] || fail "marked $(marked) although sendmail hung"
grep -q 'did not finish in 2 s' "$tmp/err" || fail "no explanation of the hang: $(cat "$tmp/err")"
if [ -f "$tmp/hang.pid" ] && kill -0 "$(cat "$tmp/hang.pid")" 2>/dev/null; then
	fail "the hung sendmail was left running"
	kill "$(cat "$tmp/hang.pid")"
fi

echo "# the next run sends them all, once, and marks them"
run 0 --to "$to" --sendmail "$tmp/bin/sendmail-ok" --socket /run/x/heraldd.sock
[ "$(mails)" = 1 ] || fail "$(mails) mails, not 1"
check_msg "$tmp/mails/mail.1" 11,12,13,14
grep -q -- '-t -oi' "$tmp/sendmail.args" || fail "sendmail ran without -t -oi: $(cat "$tmp/sendmail.args")"
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
                "digested": False, "first_seen": 1795970000, "last_seen": 1795970000, "items": 1,
                "unread": 1, "outlets_count": 1,
                "outlets": [{"item": 150, "feed": "hurriyet", "name": "Hürriyet",
                             "title": "Çığ düştü: Erzurum'da yollar kapandı",
                             "link": "https://hurriyet.example/gundem/cig", "time": 1795970000,
                             "summary": "Erzurum'da çığ düştü. Yollar kapandı."}],
                "tags": ["türkiye", "europe"], "feeds": ["hurriyet"]})
json.dump(stories, open(sys.argv[1], "w", encoding="utf-8"), ensure_ascii=False)
EOF
run 0 --to "$to" --sendmail "$tmp/bin/sendmail-ok"
[ "$(mails)" = 3 ] || fail "the new story was not mailed"
[ -f "$tmp/mails/mail.3" ] && check_msg "$tmp/mails/mail.3" 15
[ "$(marked)" = "11 12 13 14 15 " ] || fail "marked '$(marked)'"

echo "# per-recipient tags: one message per filter, each story marked once all its mails went"
rm -f "$tmp/digested" "$tmp/mails/"*
run 0 --to a@example.org --tag world --to b@example.net --tag türkiye --to c@example.com --tag world \
	--sendmail "$tmp/bin/sendmail-ok"
[ "$(mails)" = 2 ] || fail "$(mails) mails for two filters, not 2"
for m in "$tmp/mails/"*; do
	if grep -q '^To: a@example.org' "$m"; then
		check_msg "$m" 11,14 "" a@example.org,c@example.com
	else
		check_msg "$m" 12,15 "" b@example.net
	fi
done
[ "$(marked)" = "11 12 14 15 " ] || fail "marked '$(marked)', not 11 12 14 15 (13 is in no one's digest)"

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

echo "# the lock lives in a private directory, never a name another user can take"
rm -f "$tmp/digested" "$tmp/mails/"*
(
	unset HERALD_DIGEST_LOCK XDG_RUNTIME_DIR
	# World-writable like /tmp and /run/lock; root's /run stands in here too.
	TMPDIR=$tmp/shared-tmp
	HERALD_DIGEST_RUNDIR=$tmp/run
	export TMPDIR HERALD_DIGEST_RUNDIR
	mkdir -p "$TMPDIR" "$HERALD_DIGEST_RUNDIR" && chmod 1777 "$TMPDIR" "$HERALD_DIGEST_RUNDIR"
	uid=$(id -u)
	if [ "$uid" = 0 ]; then lockdir=$HERALD_DIGEST_RUNDIR/herald-digest; else lockdir=$TMPDIR/herald-digest-$uid; fi
	# The old predictable name, taken (and held) by "someone else".
	: >"$TMPDIR/herald-digest.$uid.lock"
	exec 8>>"$TMPDIR/herald-digest.$uid.lock"
	if command -v flock >/dev/null 2>&1; then flock -n 8 || echo "FAIL: cannot hold the old lock"; fi
	"$digest" --to "$to" --sendmail "$tmp/bin/sendmail-ok" 2>"$tmp/err" ||
		echo "FAIL: a digest with the old lock name held by another: $(cat "$tmp/err")"
	exec 8>&-
	[ -f "$lockdir/lock" ] || echo "FAIL: no lock in the private directory $lockdir"
	mode=$(stat -c %a "$lockdir" 2>/dev/null)
	[ "$mode" = 700 ] || echo "FAIL: the lock directory $lockdir has mode $mode, not 700"
	# A directory someone else prepared under our name is refused.
	chmod 777 "$lockdir"
	"$digest" --to "$to" --sendmail "$tmp/bin/sendmail-ok" 2>"$tmp/err" &&
		echo "FAIL: a lock directory open to others was used"
	grep -q 'open to others' "$tmp/err" || echo "FAIL: no word on the open lock directory: $(cat "$tmp/err")"
	rm -r "$lockdir" && mkdir "$tmp/elsewhere" && ln -s "$tmp/elsewhere" "$lockdir"
	"$digest" --to "$to" --sendmail "$tmp/bin/sendmail-ok" 2>"$tmp/err" &&
		echo "FAIL: a lock directory that is a link was used"
	grep -q 'not a directory' "$tmp/err" || echo "FAIL: no word on the linked lock directory: $(cat "$tmp/err")"
	rm "$lockdir"
	if [ "$uid" = 0 ] && id nobody >/dev/null 2>&1; then
		mkdir -m 700 "$lockdir" && chown nobody "$lockdir"
		"$digest" --to "$to" --sendmail "$tmp/bin/sendmail-ok" 2>"$tmp/err" &&
			echo "FAIL: a lock directory owned by nobody was used"
		grep -q 'belongs to uid' "$tmp/err" || echo "FAIL: no word on the foreign lock directory: $(cat "$tmp/err")"
	fi
) >"$tmp/lockcheck" 2>&1
if grep -q FAIL "$tmp/lockcheck"; then fail "lock: $(cat "$tmp/lockcheck")"; fi
[ "$(mails)" = 1 ] || fail "$(mails) mails from the lock checks, not 1"

echo "# more stories than one page of the client: all of them, once"
rm -f "$tmp/digested" "$tmp/mails/"*
cp "$tmp/stories.json" "$tmp/few.json"
"$python" - "$tmp/stories.json" <<'EOF'
import json, sys
stories = json.load(open(sys.argv[1], encoding="utf-8"))
for i in range(100, 220):
    stories.append({"id": i, "title": "Haber %d: Öğrenciler için yeni düzenleme" % i, "state": "new",
                    "starred": False, "digested": False, "first_seen": 1795000000 + i,
                    "last_seen": 1795000000 + 7 * i % 500, "items": 1, "unread": 1, "outlets_count": 1,
                    "outlets": [{"item": 1000 + i, "feed": "sozcu", "name": "Sözcü", "title": "Haber %d" % i,
                                 "link": "https://ajans.example/haber/%d" % i, "time": 1795000000 + i,
                                 "summary": "Haber %d. Ayrıntılar geliyor." % i}],
                    "tags": ["türkiye"], "feeds": ["sozcu"]})
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

echo "# a story told by 200 outlets: every one of them, though a story lists 100"
rm -f "$tmp/digested" "$tmp/mails/"*
"$python" - "$tmp/stories.json" "$tmp/big.json" <<'EOF'
import json, sys
stories = json.load(open(sys.argv[1], encoding="utf-8"))
outs = [{"item": 5000 + k, "feed": "f%03d" % k, "name": "Outlet %03d" % k,
         "title": "Summit ends with a joint statement, report %d" % k,
         "link": "https://outlet%03d.example/summit" % k, "time": 1795990000 + 60 * k,
         "summary": "The summit ended with a joint statement on trade. Leaders left at noon." if k == 0 else ""}
        for k in range(200)]
big = {"id": 500, "title": "Summit ends with a joint statement, report 0", "state": "new", "starred": False,
       "digested": False, "first_seen": 1795990000, "last_seen": 1796001940, "items": 200, "unread": 200,
       "outlets_count": 200, "outlets": outs, "tags": [], "feeds": [o["feed"] for o in outs]}
json.dump(stories + [big], open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
EOF
FAKE_HERALD_STORIES=$tmp/big.json
run 0 --to "$to" --sendmail "$tmp/bin/sendmail-ok" --max-stories 1
[ -f "$tmp/mails/mail.1" ] && "$python" "$srcdir/tests/digest_check.py" "$tmp/mails/mail.1" "$tmp/big.json" 500 "$to" ||
	fail "the 200-outlet story"
[ "$(marked)" = "500 " ] || fail "marked '$(marked)', not 500 (only the story --max-stories let through)"
# Its items older than the listing of recent items reaches: asked for by story.
rm -f "$tmp/digested"
FAKE_HERALD_NO_WINDOW=1
export FAKE_HERALD_NO_WINDOW
run 0 --dry-run --to "$to" --max-stories 2
unset FAKE_HERALD_NO_WINDOW
grep -q -- 'items --all --story 500' "$tmp/herald.log" || fail "the story's items were not asked for by story"
"$python" "$srcdir/tests/digest_check.py" "$tmp/out" "$tmp/big.json" 500,11 "$to" || fail "the 200-outlet story, by story"
FAKE_HERALD_STORIES=$tmp/stories.json

echo "# titles that are not UTF-8: replaced, not fatal"
FAKE_HERALD_BAD_UTF8=1
export FAKE_HERALD_BAD_UTF8
run 0 --dry-run --to "$to"
unset FAKE_HERALD_BAD_UTF8
text_part "$tmp/out" | grep -q "$(printf '\357\277\275')" || fail "no U+FFFD where the bad bytes were"

echo "# the daemon is down: exit 3, no mail"
rm -f "$tmp/digested" "$tmp/mails/"*
export FAKE_HERALD_DOWN=1
run 3 --to "$to" --sendmail "$tmp/bin/sendmail-ok"
unset FAKE_HERALD_DOWN
[ "$(mails)" = 0 ] || fail "mailed while the daemon was down"
grep -q 'the daemon is not running' "$tmp/err" || fail "exit 3 without saying why: $(cat "$tmp/err")"

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
grep -q 'unexpected output' "$tmp/err" || fail "garbage without a word: $(cat "$tmp/err")"

echo "# the client is found beside the program: installed, or in a build tree"
mkdir -p "$tmp/inst/bin" "$tmp/tree/scripts"
for d in inst/bin/herald-digest tree/scripts/herald-digest; do
	cp "$digest" "$tmp/$d"
	client=$(dirname "$tmp/$d")/herald
	[ "${d#tree}" != "$d" ] && client=$tmp/tree/herald
	printf '#!/bin/sh\necho "%s" >"%s/used"\nexec "%s" "$@"\n' "$client" "$tmp" "$tmp/bin/herald" >"$client"
	chmod +x "$client"
	rm -f "$tmp/used"
	(unset HERALD && PATH=/usr/bin:/bin "$tmp/$d" --dry-run --to "$to" >"$tmp/out" 2>"$tmp/err") ||
		fail "$d did not find its client: $(cat "$tmp/err")"
	[ "$(cat "$tmp/used" 2>/dev/null)" = "$client" ] || fail "$d did not run $client"
done

echo "# usage errors: exit 2, one line naming what is wrong, no mail"
rm -f "$tmp/digested" "$tmp/mails/"*
usage_err() { # expected-text args...
	expect=$1
	shift
	run 2 --sendmail "$tmp/bin/sendmail-ok" "$@"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "$* gave $(wc -l <"$tmp/err") lines of error"
	grep -q -- "$expect" "$tmp/err" || fail "$*: '$(cat "$tmp/err")' does not say '$expect'"
}
usage_err 'no recipient'
usage_err "'tag', 'feed' or 'none', not 'colour'" --to "$to" --group colour
usage_err "unknown argument '--bogus'" --to "$to" --bogus
usage_err "bad --to address 'nodomain': .*domain" --to nodomain
usage_err "bad --to address '@example.org'" --to '@example.org'
usage_err "bad --to address 'a@b@c'" --to 'a@b@c'
grep -q 'herald <' "$tmp/err" && fail "a bad To names the From address: $(cat "$tmp/err")"
usage_err "bad --from address 'me'" --to "$to" --from me
usage_err "at least 1, not '0'" --to "$to" --max-stories 0
usage_err "at least 1, not 'many'" --to "$to" --min-outlets many
usage_err "needs a value" --to "$to" --tag
nl='
'
for opt in --to --from --subject --tag --since --config --socket --group --sendmail-timeout; do
	case $opt in --to) val="$to${nl}Bcc: victim@example.net" ;; *) val="x${nl}Bcc: victim@example.net" ;; esac
	usage_err "$opt contains a line break" --to "$to" "$opt" "$val"
	usage_err "$opt contains a line break" --to "$to" "$opt=$val"
done
run 2 --to "$to" --sendmail "/usr/sbin/sendmail${nl}x"
grep -q -- '--sendmail contains a line break' "$tmp/err" || fail "a newline in --sendmail: $(cat "$tmp/err")"
export HERALD_DIGEST_SUBJECT="x${nl}Bcc: victim@example.net"
run 2 --to "$to"
unset HERALD_DIGEST_SUBJECT
grep -q -- '--subject contains a line break' "$tmp/err" || fail "a newline in HERALD_DIGEST_SUBJECT: $(cat "$tmp/err")"
export HERALD_DIGEST_TO="$to, nodomain"
run 2
unset HERALD_DIGEST_TO
grep -q "'nodomain'" "$tmp/err" || fail "a bad address in HERALD_DIGEST_TO: $(cat "$tmp/err")"
[ "$(mails)" = 0 ] || fail "a usage error sent mail"
[ -z "$(marked)" ] || fail "a usage error marked $(marked)"

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all digest checks passed"
