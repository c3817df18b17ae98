#!/bin/sh
# The libcurl floor in configure.ac must cover every curl symbol the sources
# use. configure only checks the version pkg-config reports, so a symbol newer
# than the floor lets configure pass on an old libcurl and the build fail.
#
# The test lists every curl identifier (curl_*, CURL*) in the C sources under
# daemon/, tests/, fuzz/ and bench/, looks each up in the table below and
# fails when one is missing from the table (add it, with the version that
# introduced it) or newer than the floor (raise the floor in configure.ac).
#
# Versions: constants from libcurl-symbols(3) (curl's
# docs/libcurl/symbols-in-versions; Debian package libcurl4-doc), functions
# from the AVAILABILITY section of their own man page, types from the first
# function or option that took them. "own" marks herald's names that merely
# start with curl_.
set -u

srcdir=${HERALD_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}

table() {
	cat <<'EOF'
CURL 7.1
CURLE_ABORTED_BY_CALLBACK 7.1
CURLE_FAILED_INIT 7.1
CURLE_FILESIZE_EXCEEDED 7.10.8
CURLE_OK 7.1
CURLE_OPERATION_TIMEDOUT 7.10.2
CURLE_OUT_OF_MEMORY 7.1
CURLE_TOO_MANY_REDIRECTS 7.5
CURLE_UNSUPPORTED_PROTOCOL 7.1
CURLE_WRITE_ERROR 7.1
CURLINFO_CONTENT_TYPE 7.9.4
CURLINFO_EFFECTIVE_URL 7.4
CURLINFO_HTTP_VERSION 7.50.0
CURLINFO_PRIVATE 7.10.3
CURLINFO_REDIRECT_COUNT 7.9.7
CURLINFO_RESPONSE_CODE 7.10.8
CURLINFO_SCHEME 7.52.0
CURLINFO_SIZE_DOWNLOAD_T 7.55.0
CURLM 7.9.6
CURLMOPT_MAXCONNECTS 7.16.3
CURLMOPT_MAX_HOST_CONNECTIONS 7.30.0
CURLMOPT_MAX_TOTAL_CONNECTIONS 7.30.0
CURLMOPT_PIPELINING 7.16.0
CURLMOPT_SOCKETDATA 7.15.4
CURLMOPT_SOCKETFUNCTION 7.15.4
CURLMOPT_TIMERDATA 7.16.0
CURLMOPT_TIMERFUNCTION 7.16.0
CURLMSG_DONE 7.9.6
CURLM_OK 7.9.6
CURLMcode 7.9.6
CURLMsg 7.9.6
CURLOPT_ACCEPT_ENCODING 7.21.6
CURLOPT_CAINFO 7.4.2
CURLOPT_CONNECTTIMEOUT_MS 7.16.2
CURLOPT_ERRORBUFFER 7.1
CURLOPT_FOLLOWLOCATION 7.1
CURLOPT_HEADERDATA 7.10
CURLOPT_HEADERFUNCTION 7.7.2
CURLOPT_HTTPHEADER 7.1
CURLOPT_HTTP_VERSION 7.9.1
CURLOPT_LOW_SPEED_LIMIT 7.1
CURLOPT_LOW_SPEED_TIME 7.1
CURLOPT_MAXFILESIZE_LARGE 7.11.0
CURLOPT_MAXREDIRS 7.5
CURLOPT_NOPROGRESS 7.1
CURLOPT_NOSIGNAL 7.10
CURLOPT_PIPEWAIT 7.43.0
CURLOPT_PRIVATE 7.10.3
CURLOPT_PROTOCOLS_STR 7.85.0
CURLOPT_REDIR_PROTOCOLS_STR 7.85.0
CURLOPT_SSL_VERIFYHOST 7.8.1
CURLOPT_SSL_VERIFYPEER 7.4.2
CURLOPT_SUPPRESS_CONNECT_HEADERS 7.54.0
CURLOPT_TCP_KEEPALIVE 7.25.0
CURLOPT_TIMEOUT_MS 7.16.2
CURLOPT_URL 7.1
CURLOPT_USERAGENT 7.1
CURLOPT_PROXY 7.1
CURLOPT_COOKIE 7.1
CURLOPT_USERNAME 7.19.1
CURLOPT_PASSWORD 7.19.1
CURLOPT_HTTPAUTH 7.10.6
CURLAUTH_BASIC 7.10.6
CURLAUTH_DIGEST 7.10.6
CURLOPT_WRITEDATA 7.9.7
CURLOPT_WRITEFUNCTION 7.1
CURLOPT_XFERINFODATA 7.32.0
CURLOPT_XFERINFOFUNCTION 7.32.0
CURLPAUSE_CONT 7.18.0
CURLPIPE_MULTIPLEX 7.43.0
CURLU 7.62.0
CURLUE_OK 7.62.0
CURLUPART_HOST 7.62.0
CURLUPART_PATH 7.62.0
CURLUPART_QUERY 7.62.0
CURLUPART_SCHEME 7.62.0
CURLUPART_URL 7.62.0
CURLUPart 7.62.0
CURLU_NON_SUPPORT_SCHEME 7.62.0
CURLU_URLENCODE 7.62.0
CURLUcode 7.62.0
CURL_CSELECT_ERR 7.16.3
CURL_CSELECT_IN 7.16.3
CURL_CSELECT_OUT 7.16.3
CURL_ERROR_SIZE 7.1
CURL_GLOBAL_DEFAULT 7.8
CURL_HTTP_VERSION_1_0 7.9.1
CURL_HTTP_VERSION_1_1 7.9.1
CURL_HTTP_VERSION_2TLS 7.47.0
CURL_HTTP_VERSION_2_0 7.33.0
CURL_HTTP_VERSION_3 7.66.0
CURL_POLL_IN 7.14.0
CURL_POLL_INOUT 7.14.0
CURL_POLL_OUT 7.14.0
CURL_POLL_REMOVE 7.14.0
CURL_SOCKET_TIMEOUT 7.14.0
CURL_WRITEFUNC_PAUSE 7.18.0
CURLcode 7.1
curl_easy_cleanup 7.1
curl_easy_getinfo 7.4.1
curl_easy_init 7.1
curl_easy_pause 7.18.0
curl_easy_setopt 7.1
curl_easy_strerror 7.12.0
curl_free 7.1
curl_getdate 7.1
curl_global_cleanup 7.8
curl_global_init 7.8
curl_multi_add_handle 7.9.6
curl_multi_assign 7.15.5
curl_multi_cleanup 7.9.6
curl_multi_info_read 7.9.6
curl_multi_init 7.9.6
curl_multi_remove_handle 7.9.6
curl_multi_setopt 7.15.4
curl_multi_socket_action 7.15.4
curl_multi_strerror 7.12.0
curl_off_t 7.11.0
curl_slist 7.1
curl_slist_append 7.1
curl_slist_free_all 7.1
curl_socket_t 7.14.0
curl_url 7.62.0
curl_url_cleanup 7.62.0
curl_url_get 7.62.0
curl_url_set 7.62.0
curl_url_strerror 7.80.0
curl_socket_cb own
curl_timer_cb own
curl_check own
curl_part own
curl_resolve own
EOF
}

floor=$(sed -n 's/.*PKG_CHECK_MODULES(\[CURL\], *\[libcurl >= *\([0-9.]*\)\].*/\1/p' \
	"$srcdir/configure.ac")
if [ -z "$floor" ]; then
	echo "FAIL: no 'libcurl >= VERSION' in $srcdir/configure.ac"
	exit 1
fi
echo "configure.ac requires libcurl >= $floor"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_curl_floor.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
table >"$tmp/table"
(cd "$srcdir" && find daemon tests fuzz bench -name '*.[ch]' -type f) | sort >"$tmp/files"
if [ ! -s "$tmp/files" ]; then
	echo "FAIL: no C sources under $srcdir"
	exit 1
fi
(cd "$srcdir" && xargs grep -ohE '\b(curl_[A-Za-z0-9_]+|CURL[A-Za-z0-9_]*)\b' <"$tmp/files") |
	sort -u >"$tmp/used"

# Prints a dotted version with three parts: 7.8 -> 7.8.0.
triple() {
	echo "$1.0.0" | cut -d. -f1-3
}

# True when version $1 is newer than version $2 (dotted numbers).
newer() {
	set -- "$(triple "$1")" "$(triple "$2")"
	[ "$1" != "$2" ] &&
		[ "$(printf '%s\n%s\n' "$1" "$2" | sort -t. -k1,1n -k2,2n -k3,3n | tail -1)" = "$1" ]
}

failures=0
highest=0
highsym=
while read -r sym; do
	ver=$(awk -v s="$sym" '$1 == s { print $2 }' "$tmp/table")
	if [ -z "$ver" ]; then
		echo "FAIL: $sym is used but missing from the table in tests/test_curl_floor.sh"
		failures=$((failures + 1))
		continue
	fi
	[ "$ver" = own ] && continue
	if newer "$ver" "$floor"; then
		where=$(cd "$srcdir" && xargs grep -lw "$sym" <"$tmp/files" | tr '\n' ' ')
		echo "FAIL: $sym needs libcurl $ver, above the floor $floor (used in: $where)"
		failures=$((failures + 1))
	fi
	if newer "$ver" "$highest"; then
		highest=$ver
		highsym=$sym
	fi
done <"$tmp/used"

echo "$(wc -l <"$tmp/used") curl symbols used; the newest is $highsym ($highest)"
if newer "$floor" "$highest"; then
	echo "note: the floor $floor is above what the sources need ($highest)"
fi
[ "$failures" -eq 0 ] || exit 1
echo "PASS"
