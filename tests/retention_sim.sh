#!/bin/sh
# retention_sim: four simulated months of 60 feeds with a short policy
# (keep_read 20 days, 5 for one feed in 7... see bench/retention_sim.c),
# the purge once a simulated day: no lost mark, no purged item back, and the
# database levels off (at most 10 % larger at the end than at two thirds).
# The year of 1,000 feeds is bench/retention's.
set -u
builddir=${HERALD_BUILDDIR:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/retention_sim.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
"$builddir/bench/retention_sim" --feeds 60 --days 120 --keep-read 20 --keep-unread 40 \
	--window 1 --check --level 10 --report 30,60,90,120 --db "$tmp/sim.db"
rc=$?
if [ $rc -eq 0 ]; then echo "ok retention over 120 simulated days"; else echo "FAIL retention_sim (rc $rc)"; fi
exit $rc
