#!/usr/bin/env bash
# The project's test command: sets up everything on a fresh machine, then lints and runs the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${CROSSINGS_TEST_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check -e '.[dev,report]'
VENV="$VENV" bash scripts/install-browser.sh
"$VENV/bin/ruff" check src tests bench scripts
"$VENV/bin/python" -m pytest -q "$@"
