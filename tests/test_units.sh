#!/bin/sh
# The generated systemd units: `systemd-analyze verify` must print nothing
# (it exits 0 on many warnings, so any output is a failure), and the system
# service must rate 1.3 or lower in `systemd-analyze security --offline=true`.
#
# verify insists that ExecStart= names an existing executable, and the units
# name the installed $(bindir), which need not exist at `make check` time: the
# test copies the generated units to a temporary directory and points that
# bindir at links to the programs just built. Nothing else is changed.
set -u

srcdir=${HERALD_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${HERALD_BUILDDIR:-$srcdir}
max_exposure=1.3

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze is absent (Debian: apt-get install systemd)"
	exit 77
fi
systemd-analyze --version | head -1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_units.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/system" "$tmp/user" "$tmp/run"
chmod 700 "$tmp/run"
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

gen=$builddir/systemd
for f in heraldd.service herald-digest.service user/heraldd.service user/herald-digest.service; do
	[ -f "$gen/$f" ] || { echo "FAIL: $gen/$f was not generated"; exit 1; }
	grep -q '@[a-zA-Z_]*@' "$gen/$f" && fail "$f still holds a template placeholder"
done
bindir=$(sed -n 's|^ExecStart=\(/.*\)/heraldd -f -c /.*/herald/feeds.conf$|\1|p' "$gen/heraldd.service")
[ -n "$bindir" ] || { echo "FAIL: heraldd.service has no ExecStart=BINDIR/heraldd -f -c SYSCONFDIR/herald/feeds.conf"; exit 1; }
grep -q "^ExecStart=$bindir/herald-digest\$" "$gen/herald-digest.service" ||
	fail "herald-digest.service does not run $bindir/herald-digest"

ln -s "$builddir/heraldd" "$tmp/bin/heraldd"
ln -s "$builddir/scripts/herald-digest" "$tmp/bin/herald-digest"
for f in heraldd.service herald-digest.service; do
	sed "s|=$bindir/|=$tmp/bin/|" "$gen/$f" >"$tmp/system/$f"
	sed "s|=$bindir/|=$tmp/bin/|" "$gen/user/$f" >"$tmp/user/$f"
done
cp "$srcdir/systemd/heraldd.socket" "$srcdir/systemd/herald-digest.timer" "$tmp/system/"
cp "$srcdir/systemd/user/heraldd.socket" "$srcdir/systemd/user/herald-digest.timer" "$tmp/user/"

# --man=no: the units' Documentation= pages are installed with herald, not
# present in a build tree.
echo "# systemd-analyze verify (system units)"
systemd-analyze verify --man=no "$tmp/system/"* >"$tmp/verify" 2>&1 || fail "verify exited non-zero"
if [ -s "$tmp/verify" ]; then
	cat "$tmp/verify"
	fail "verify complained about the system units"
fi
echo "# systemd-analyze --user verify (user units)"
XDG_RUNTIME_DIR=$tmp/run systemd-analyze --user verify --man=no "$tmp/user/"* >"$tmp/verify" 2>&1 ||
	fail "verify --user exited non-zero"
if [ -s "$tmp/verify" ]; then
	cat "$tmp/verify"
	fail "verify complained about the user units"
fi

echo "# systemd-analyze security --offline=true heraldd.service"
if ! systemd-analyze --help 2>&1 | grep -q -- '--offline'; then
	echo "systemd-analyze lacks --offline (systemd < 250): security rating not checked"
else
	systemd-analyze security --offline=true "$tmp/system/heraldd.service" >"$tmp/security" 2>&1
	rating=$(sed -n 's/.*Overall exposure level for heraldd.service: \([0-9.]*\).*/\1/p' "$tmp/security")
	if [ -z "$rating" ]; then
		cat "$tmp/security"
		fail "no exposure level in the output"
	else
		grep 'Overall exposure' "$tmp/security"
		awk -v r="$rating" -v m="$max_exposure" 'BEGIN { exit !(r + 0 <= m + 0) }' ||
			{ grep '✗' "$tmp/security"; fail "exposure $rating is above $max_exposure"; }
	fi
	# The same bound through systemd's own switch (tenths: 13 = 1.3).
	systemd-analyze security --offline=true --threshold=13 "$tmp/system/heraldd.service" >/dev/null 2>&1 ||
		fail "systemd-analyze security --threshold=13 failed"
	# The check can fail: a unit without the hardening must rate far worse.
	sed '/^CapabilityBoundingSet=/,/^SystemCallErrorNumber=/d' "$tmp/system/heraldd.service" >"$tmp/bare.service"
	if systemd-analyze security --offline=true --threshold=13 "$tmp/bare.service" >/dev/null 2>&1; then
		fail "an unhardened copy also passed the threshold: the check proves nothing"
	fi
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "units verified"
