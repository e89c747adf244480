#!/usr/bin/env bash
# Debian's Chromium (for the browser tests and image export), CJK fonts (without them
# every Chinese character renders as a box) and poppler-utils (pdftotext). Installs only what is missing.
set -euo pipefail
source "$(dirname "$0")/apt_install.sh"
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
# pdftotext reads the daily briefing's PDF back in the tests
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
apt_install "${need[@]}" fontconfig
