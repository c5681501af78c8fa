#!/usr/bin/env bash
# Installs what the browser tests (tests/browser) need on a Debian machine, as root: Debian's Chromium and
# ChromeDriver, fonts for legible screenshots, and the Playwright Python package in the project's venv.
# Playwright drives /usr/bin/chromium; it never downloads a browser of its own. Safe to run again: it only
# touches apt when a package is missing and pip when playwright is not importable.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${CROSSINGS_TEST_VENV:-.venv}
DEBS=(chromium chromium-driver fonts-dejavu-core fonts-liberation)

missing=()
for pkg in "${DEBS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    # not root: say so and go on; the browser tests then skip, naming the missing Chromium
    echo "install-browser: missing ${missing[*]}; run this script as root to install them" >&2
  else
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import playwright.sync_api" 2>/dev/null; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "playwright>=1.40"
fi
echo "install-browser: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium missing'); playwright ready"
