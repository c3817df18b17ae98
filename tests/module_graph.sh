#!/bin/sh
# module_graph: the structure rules that the #include lines can show hold
# (scripts/module-graph --check), and the checker sees a broken rule: a
# copy of the tree where the poller includes control.h and commands.h
# includes daemon.h (the old circle) must fail.
set -u
srcdir=${HERALD_SRCDIR:-.}
py=${PYTHON3:-python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/module_graph.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

if "$py" "$srcdir/scripts/module-graph" --check "$srcdir"; then
	echo "ok the tree keeps the rules"
else
	echo "FAIL the tree breaks a rule"; fail=1
fi

mkdir -p "$tmp/daemon" "$tmp/client"
cp "$srcdir"/daemon/*.[ch] "$tmp/daemon/" && cp "$srcdir"/client/*.[ch] "$tmp/client/"
sed -i '1i #include "control.h"' "$tmp/daemon/poller.c"
sed -i '1i #include "daemon.h"' "$tmp/daemon/commands.c"
sed -i '1i #include "daemon.h"' "$tmp/daemon/writer.c"
"$py" "$srcdir/scripts/module-graph" --check "$tmp" > "$tmp/out"
rc=$?
if [ $rc -eq 1 ] && grep -q "poller includes control.h" "$tmp/out" &&
	grep -q "circle among modules: .*commands.*daemon" "$tmp/out"; then
	echo "ok a broken tree is caught: $(tr '\n' ' ' < "$tmp/out")"
else
	echo "FAIL a broken tree passed (rc $rc): $(cat "$tmp/out")"; fail=1
fi
exit $fail
