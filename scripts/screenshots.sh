#!/usr/bin/env bash
# Screenshots at 400 px of every page the browser tests visit (a cadre's, an office's, a
# resident's), written to DIR (default target/screenshots) for a person to look at.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-target/screenshots}"
# Chinese glyphs for the screenshots (the browser tests read text, not pixels, and need none).
if ! fc-list 2>/dev/null | grep -qiE "wqy|noto.*cjk|droid"; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get install -y -qq fonts-wqy-microhei >/dev/null
fi
mkdir -p "$dir"
LIANXIN_SCREENSHOTS="$(cd "$dir" && pwd)" bash scripts/test.sh --test it browser -- --test-threads=1
ls -1 "$dir"/*.png
