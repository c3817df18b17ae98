#!/bin/sh
# Runs tests/test_fetch against a private nginx (serving tests/fixtures/fetch)
# and tests/faultserver.py, both on free loopback ports; harness.py exits 77
# (skip) when nginx is not installed. Set HERALD_TEST_WRAPPER to run the test
# under a tool, e.g. HERALD_TEST_WRAPPER="valgrind --leak-check=full --error-exitcode=1".
srcdir=${HERALD_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${HERALD_BUILDDIR:-.}
exec "${PYTHON3:-python3}" "$srcdir/tests/harness.py" \
	--nginx-root "$srcdir/tests/fixtures/fetch" --fault \
	-- $HERALD_TEST_WRAPPER "$builddir/tests/test_fetch"
