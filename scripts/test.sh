#!/usr/bin/env bash
# The test suite, as README.md and .ci/run run it. The browser tests drive Debian's headless
# Chromium through chromedriver; install both when missing (root, or sudo, needed once).
# Arguments go to `cargo test` (e.g. --locked). LIANXIN_TEST_DATABASE_URL=postgres://… runs the
# same suite on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "== installing chromium and chromium-driver (browser tests)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi

exec cargo test "$@"
