#!/usr/bin/env bash
# Benchmark (not a test): generate a demo county as FORMATS.md files, then import them
# into an empty database. Prints wall time and peak memory of both steps.
#   scripts/bench-import.sh [small|county|large] [sqlite|postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-county}"
backend="${2:-sqlite}"
cargo build --release --quiet
bin="$PWD/target/release/lianxin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

measure() { # label, command...
  local label="$1"; shift
  /usr/bin/time -f "$label: %e s wall, %M KiB peak RSS" "$@" > "$work/out.txt" 2> "$work/time.txt" || { cat "$work/out.txt" "$work/time.txt"; exit 1; }
  tail -n 1 "$work/time.txt"
}

measure "generate $size files" "$bin" demo --size "$size" --today 2026-11-20 --write-files "$work/files"
du -sh "$work/files" | sed 's/^/files: /'
wc -l "$work/files"/*.csv | tail -n 1 | sed 's/^/rows (with headers): /'

case "$backend" in
  sqlite) export LIANXIN_DATABASE_URL="sqlite://$work/bench.db" ;;
  postgres)
    db="lianxin_bench_$$"
    psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $db"
    trap 'psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; rm -rf "$work"' EXIT
    export LIANXIN_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" ;;
  *) echo "backend: sqlite or postgres"; exit 2 ;;
esac
export LIANXIN_LOG=warn
"$bin" migrate > /dev/null
measure "import $size into empty $backend" "$bin" import "$work/files"
measure "re-import $size (nothing changes)" "$bin" import "$work/files"
