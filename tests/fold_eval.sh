#!/bin/sh
# fold_eval: the story-folding yardsticks (../shared/dedup) with the default
# settings and the build's bilingual table (fold-lex.tsv). Prints B-cubed precision/recall/F1 per file and fails below the
# floors, which are issue 11's targets (the figures in docs/stories.md are
# just above them), so a change that loses quality fails. Skips (77) without
# ../shared.
set -u
shared=${HERALD_SHARED:-$(dirname "$0")/../../shared}
builddir=${HERALD_BUILDDIR:-.}
py=${PYTHON3:-python3}
driver=$builddir/tests/fold_driver
d=$shared/dedup
[ -f "$d/score.py" ] && [ -f "$d/uci-dev.tsv" ] && [ -f "$d/multi-dev.tsv" ] || { echo "fold_eval: no $d, skipped"; exit 77; }
[ -x "$driver" ] || { echo "fold_eval: $driver not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fold_eval.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
status=0
# file  min-precision  min-F1
# multi-dev's floor is what issue 26's folding reaches (F1 0.776 at P 0.986),
# short of the target (F1 0.80 at P 0.90): see docs/stories.md.
for spec in "uci-dev 0.90 0.77" "gnews-dev 0.93 0.93" "multi-dev 0.95 0.77"; do
	set -- $spec
	"$driver" "$d/$1.tsv" --lexicon "$builddir/fold-lex.tsv" > "$tmp/$1.pred" || { echo "fold_eval: $1: driver failed"; exit 1; }
	"$py" "$d/score.py" "$tmp/$1.pred" "$d/$1.gold.tsv" > "$tmp/$1.score" || exit 1
	line=$(grep '^bcubed ' "$tmp/$1.score")
	p=$(echo "$line" | awk '{print $3}')
	f=$(echo "$line" | awk '{print $7}')
	echo "$1: $line"
	if awk -v p="$p" -v f="$f" -v mp="$2" -v mf="$3" 'BEGIN { exit !(p < mp || f < mf) }'; then
		echo "fold_eval: $1 below the floor (precision $2, F1 $3)"
		status=1
	fi
done
exit $status
