#!/usr/bin/env bash
# The test suite, as README.md and .ci/run run it. The browser tests drive Debian's headless
# Chromium through chromedriver; the card tests print with a CJK font and read the PDF back with
# poppler's pdftotext/pdftoppm and zbar's zbarimg. Installs what is missing (root, or sudo,
# needed once).
# Arguments go to `cargo test` (e.g. --locked). LIANXIN_TEST_DATABASE_URL=postgres://… runs the
# same suite on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]} (browser and card tests)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

exec cargo test "$@"
