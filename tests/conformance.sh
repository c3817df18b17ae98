#!/bin/sh
# Runs tests/conformance.py (see there); exit 77 = skipped (no ../shared).
exec "${PYTHON3:-python3}" "${HERALD_SRCDIR:-$(dirname "$0")/..}/tests/conformance.py" "$@"
