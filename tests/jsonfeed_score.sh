#!/bin/sh
# Runs tests/jsonfeed_score.py (see there); exit 77 = skipped (no ../shared).
exec "${PYTHON3:-python3}" "${HERALD_SRCDIR:-$(dirname "$0")/..}/tests/jsonfeed_score.py" "$@"
