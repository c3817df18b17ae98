#!/bin/sh
# fold_errors: heraldd --fold (through tests/fold_driver) names the line and
# the reason for malformed input, and folds a well-formed stream.
set -u
builddir=${HERALD_BUILDDIR:-.}
driver=$builddir/tests/fold_driver
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fold_errors.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

expect_error() { # name, expected message part, input (printf format)
	printf "$3" > "$tmp/in.tsv"
	if "$driver" "$tmp/in.tsv" > "$tmp/out" 2> "$tmp/err"; then
		echo "FAIL $1: exit 0"; fail=1
	elif ! grep -q -- "$2" "$tmp/err"; then
		echo "FAIL $1: stderr was: $(cat "$tmp/err")"; fail=1
	elif [ -s "$tmp/out" ]; then # no result lines for a stream that stopped
		echo "FAIL $1: printed $(wc -l < "$tmp/out") result lines"; fail=1
	else
		echo "ok $1"
	fi
}

expect_error "bad time" "in.tsv:2: unix_time is not an integer" '1\t100\tx\tA title\t\n2\tsoon\tx\tB\t\n'
expect_error "few fields" "in.tsv:1: expected item_id" '1\t100\tx\n'
expect_error "many fields" "in.tsv:1: more than 6" '1\t100\tx\tt\ts\tde\textra\n'
printf 'de\tgespräch\tconversation\nxx\tword\tword\n' > "$tmp/lex.tsv"
printf '1\t1\tx\ta\t\n' > "$tmp/in.tsv"
if "$driver" "$tmp/in.tsv" --lexicon "$tmp/lex.tsv" > /dev/null 2> "$tmp/err" ||
	! grep -q "lex.tsv:2: not a language" "$tmp/err"; then
	echo "FAIL bad lexicon line: $(cat "$tmp/err")"; fail=1
else
	echo "ok bad lexicon line"
fi
if "$driver" "$tmp/in.tsv" --lexicon "$tmp/none.tsv" > /dev/null 2> "$tmp/err" ||
	! grep -q "none.tsv: No such file" "$tmp/err"; then
	echo "FAIL missing lexicon: $(cat "$tmp/err")"; fail=1
else
	echo "ok missing lexicon"
fi
expect_error "not utf-8" "in.tsv:3: not valid UTF-8" '1\t1\tx\ta\t\n2\t1\tx\tb\t\n3\t1\tx\tbad \377\t\n'
expect_error "empty id" "in.tsv:1: empty item_id" '\t1\tx\ta\t\n'
head -c 1100000 /dev/zero | tr '\0' 'a' > "$tmp/long"
printf '1\t1\tx\t' > "$tmp/in.tsv"; cat "$tmp/long" >> "$tmp/in.tsv"; printf '\n' >> "$tmp/in.tsv"
if "$driver" "$tmp/in.tsv" > /dev/null 2> "$tmp/err" || ! grep -q "in.tsv:1: line longer than" "$tmp/err"; then
	echo "FAIL overlong line: $(cat "$tmp/err")"; fail=1
else
	echo "ok overlong line"
fi
if "$driver" "$tmp/in.tsv" --max-items 20000000 > /dev/null 2> "$tmp/err" ||
	! grep -q "max_items 20000000 is above" "$tmp/err"; then
	echo "FAIL max-items above its limit: $(cat "$tmp/err")"; fail=1
else
	echo "ok max-items above its limit"
fi
if "$driver" "$tmp/in.tsv" --language klingon > /dev/null 2> "$tmp/err" || ! grep -q klingon "$tmp/err"; then
	echo "FAIL unknown language"; fail=1
else
	echo "ok unknown language"
fi

# A good stream from stdin: ids kept as written, two items of one event share
# a story, the other event gets its own.
printf 'a1\t1481623200\ttass\tPutin and Erdogan discuss Aleppo by phone\tVladimir Putin and Recep Tayyip Erdogan discussed Aleppo in a telephone conversation.\r\nb2\t1481626800\tbbc\tFire at Paris apartment block kills three\tA fire in an apartment block in Paris killed three people.\n\nc3\t1481630400\treuters\tErdogan and Putin discuss Aleppo in phone call\tTayyip Erdogan and Vladimir Putin discussed Aleppo by telephone.\n' |
	"$driver" - > "$tmp/out" 2> "$tmp/err" || { echo "FAIL good stream: $(cat "$tmp/err")"; fail=1; }
a=$(awk -F'\t' '$1 == "a1" { print $2 }' "$tmp/out")
b=$(awk -F'\t' '$1 == "b2" { print $2 }' "$tmp/out")
c=$(awk -F'\t' '$1 == "c3" { print $2 }' "$tmp/out")
if [ "$(wc -l < "$tmp/out")" -eq 3 ] && [ -n "$a" ] && [ "$a" = "$c" ] && [ "$a" != "$b" ]; then
	echo "ok good stream"
else
	echo "FAIL good stream: $(cat "$tmp/out")"; fail=1
fi
# A merge reaches the items assigned before it, as the store moves them: b2
# starts its own story (the Kremlin's names, not Putin's), c3 is close to both
# stories, which are close to each other, so they merge and b2 is printed with
# a1's story (printed at assignment, it named story 3).
# printf repeats its format for each five fields: one line per item.
printf '%s\t%s\t%s\t%s\t%s\n' \
	a1 1481623200 tass 'Putin and Erdogan discuss Aleppo ceasefire by phone' \
	'Vladimir Putin and Recep Tayyip Erdogan discussed a ceasefire in Aleppo in a telephone conversation on Tuesday evening about civilians. They called for humanitarian corridors out of eastern districts.' \
	x1 1481623300 bbc 'Fire at Paris apartment block kills three' \
	'A fire in an apartment block in Paris killed three people on Monday night.' \
	b2 1481623400 anadolu 'Kremlin: Russian and Turkish leaders discuss Aleppo ceasefire' \
	'The Russian and Turkish presidents discussed a ceasefire in Aleppo in a telephone conversation on Tuesday evening about civilians, the Kremlin said. They called for humanitarian corridors out of eastern districts.' \
	x2 1481623500 ap 'Storm cuts power to thousands in Texas' \
	'A winter storm cut power to thousands of homes across Texas.' \
	c3 1481623600 reuters 'Kremlin: Putin and Erdogan, the Russian and Turkish leaders, discuss Aleppo ceasefire' \
	'Vladimir Putin and Recep Tayyip Erdogan, the Russian and Turkish presidents, discussed a ceasefire in Aleppo by telephone, the Kremlin said.' \
	> "$tmp/merge.tsv"
"$driver" "$tmp/merge.tsv" > "$tmp/out" 2> "$tmp/err" || { echo "FAIL merge: $(cat "$tmp/err")"; fail=1; }
got=$(cut -f2 "$tmp/out" | tr '\n' ' ')
if [ "$got" = "1 2 1 4 1 " ]; then
	echo "ok merge reaches earlier items"
else
	echo "FAIL merge reaches earlier items: $got"; fail=1
fi
exit $fail
