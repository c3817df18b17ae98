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
	else
		echo "ok $1"
	fi
}

expect_error "bad time" "in.tsv:2: unix_time is not an integer" '1\t100\tx\tA title\t\n2\tsoon\tx\tB\t\n'
expect_error "few fields" "in.tsv:1: expected item_id" '1\t100\tx\n'
expect_error "many fields" "in.tsv:1: more than 5" '1\t100\tx\tt\ts\textra\n'
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
exit $fail
