#!/usr/bin/env bash
# Install Debian's Chromium (for the browser tests, tests/browser.py) when it is missing.
# Quiet, non-interactive, and loud only on failure: apt's output is shown then, and the exit
# status is non-zero. Used by .ci/run and `make chromium`; needs root or password-less sudo.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
echo "Chromium is missing; installing Debian's chromium with apt-get"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
APT_LOG="$(mktemp)"
trap 'rm -f "$APT_LOG"' EXIT
# fonts-liberation: the one font Chromium recommends, so pages render the same everywhere.
if ! { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q \
    && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      chromium fonts-liberation; } >"$APT_LOG" 2>&1; then
  tail -n 30 "$APT_LOG" >&2
  echo "apt-get could not install chromium (see above); the browser tests need it" >&2
  exit 1
fi
echo "installed: $(chromium --version 2>/dev/null || echo 'chromium (version unknown)')"
