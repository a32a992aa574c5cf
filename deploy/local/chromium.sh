#!/usr/bin/env bash
# Debian's Chromium for the console's browser test (tests/e2e/test_console_browser.py),
# and a CJK font so the console's Chinese names render in its screenshots. Idempotent:
# does nothing when both are there. Playwright's own browser download is never used.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc

if [[ -x "$CHROMIUM" && -f "$FONT" ]]; then
    exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
    echo "chromium.sh: $CHROMIUM or $FONT is missing and installing needs root:" >&2
    echo "  apt-get install -y --no-install-recommends chromium fonts-wqy-microhei" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium fonts-wqy-microhei
"$CHROMIUM" --version
