#!/bin/sh
# `make install DESTDIR=...` puts the programs, herald-digest, the man pages,
# the system and user units, the docs and the sample feeds.conf in place, all
# under DESTDIR; a second install keeps a user's feeds.conf; uninstall leaves
# only that modified file behind.
set -u

srcdir=${HERALD_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${HERALD_BUILDDIR:-$srcdir}
make=${MAKE:-make}
# A fresh make, not a child of the one running the tests.
unset MAKEFLAGS MFLAGS MAKELEVEL

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

"$make" -s -C "$builddir" herald-print-install >"$tmp/dirs" || { echo "FAIL: herald-print-install"; exit 1; }
. "$tmp/dirs"
cat "$tmp/dirs"

"$make" -s -C "$builddir" install DESTDIR="$dest" >"$tmp/out" 2>&1 || { cat "$tmp/out"; echo "FAIL: make install"; exit 1; }

has() { [ -f "$dest$1" ] || fail "not installed: $1"; }
for p in heraldd herald-digest; do
	case " $programs " in *" $p "* | *"/$p "*) ;; *) fail "$p is not in bin_PROGRAMS/bin_SCRIPTS" ;; esac
done
case " $programs " in
*" herald "*) ;;
*) echo "note: the herald client is not built in this tree yet" ;;
esac
for p in $programs; do
	has "$bindir/${p##*/}"
	[ -x "$dest$bindir/${p##*/}" ] || fail "$bindir/${p##*/} is not executable"
done
for m in $manpages; do
	m=${m##*/}
	has "$mandir/man${m##*.}/$m"
done
has "$mandir/man1/herald-digest.1"
for u in heraldd.service heraldd.socket herald-digest.service herald-digest.timer; do
	has "$systemdsystemunitdir/$u"
	has "$systemduserunitdir/$u"
done
grep -q "^ExecStart=$bindir/heraldd -f -c $sysconfdir/herald/feeds.conf\$" "$dest$systemdsystemunitdir/heraldd.service" ||
	fail "the installed unit does not run $bindir/heraldd on $sysconfdir/herald/feeds.conf"
has "$docdir/examples/feeds.conf"
has "$docdir/systemd.md"
has "$sysconfdir/herald/feeds.conf"
cmp -s "$dest$docdir/examples/feeds.conf" "$srcdir/feeds.conf" || fail "the example feeds.conf is not the sample"
# The live one: the sample, including the file herald add writes in the state
# directory (the service sees sysconfdir read-only), and valid as installed.
grep -q '^include = /var/lib/herald/feeds.conf$' "$dest$sysconfdir/herald/feeds.conf" ||
	fail "the installed feeds.conf does not include /var/lib/herald/feeds.conf"
tail -n +6 "$dest$sysconfdir/herald/feeds.conf" | cmp -s - "$srcdir/feeds.conf" ||
	fail "the installed feeds.conf is not the sample after its include"
sed "s|^include = .*|include = $tmp/state/feeds.conf|" "$dest$sysconfdir/herald/feeds.conf" >"$tmp/live.conf"
"$builddir/heraldd" --check-config -c "$tmp/live.conf" >"$tmp/out" 2>&1 ||
	{ cat "$tmp/out"; fail "the installed feeds.conf does not check"; }

# Everything lands under DESTDIR + prefix (units included, when configure was
# given prefix-relative unit directories) or under DESTDIR at least.
outside=$(find "$dest" -type f | while read -r f; do
	case $f in "$dest$prefix"/* | "$dest$systemdsystemunitdir"/* | "$dest$systemduserunitdir"/*) ;; *) echo "$f" ;; esac
done)
[ -z "$outside" ] || fail "installed outside the prefix: $outside"

echo "# a second install keeps the user's feeds.conf"
echo '# mine' >>"$dest$sysconfdir/herald/feeds.conf"
"$make" -s -C "$builddir" install DESTDIR="$dest" >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "second make install"; }
tail -1 "$dest$sysconfdir/herald/feeds.conf" | grep -q '^# mine$' || fail "make install overwrote the user's feeds.conf"

echo "# uninstall leaves only the user's feeds.conf"
"$make" -s -C "$builddir" uninstall DESTDIR="$dest" >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "make uninstall"; }
left=$(find "$dest" -type f)
[ "$left" = "$dest$sysconfdir/herald/feeds.conf" ] || fail "after uninstall: $left"

echo "# uninstall removes an unmodified sample"
"$make" -s -C "$builddir" install DESTDIR="$tmp/root2" >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "make install (2)"; }
"$make" -s -C "$builddir" uninstall DESTDIR="$tmp/root2" >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "make uninstall (2)"; }
left=$(find "$tmp/root2" -type f)
[ -z "$left" ] || fail "after uninstall of a pristine install: $left"

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "install checked"
