#!/bin/sh
# signals: when installing the signal handlers fails part way, heraldd says
# so and exits 1, closing only the handles it initialised (closing one it
# never initialised aborted in libuv). tests/fail_uv.so fails the Nth
# uv_signal_start.
set -u
builddir=${HERALD_BUILDDIR:-.}
shim=$builddir/tests/.libs/fail_uv.so
[ -f "$shim" ] || shim=$builddir/tests/fail_uv.so
tmp=$(mktemp -d "${TMPDIR:-/tmp}/signals.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

cat > "$tmp/feeds.conf" <<CONF
database = $tmp/herald.db
socket = $tmp/heraldd.sock

[feed "local"]
url = file://$tmp/feed.xml
CONF
printf '<rss version="2.0"><channel><title>t</title></channel></rss>\n' > "$tmp/feed.xml"

for n in 1 2 3; do
	LD_PRELOAD=$shim HERALD_FAIL_SIGNAL_START=$n \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		"$builddir/heraldd" -f -c "$tmp/feeds.conf" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	if [ $rc -eq 1 ] && grep -q "cannot install signal handlers" "$tmp/err" &&
		! grep -q -i "assert\|sanitizer\|leak" "$tmp/err"; then
		echo "ok signal $n of 3 fails: exit 1, said why"
	else
		echo "FAIL signal $n of 3 fails: exit $rc: $(cat "$tmp/err")"; fail=1
	fi
	[ -e "$tmp/heraldd.sock" ] && { echo "FAIL signal $n: the socket was left behind"; fail=1; }
done
exit $fail
