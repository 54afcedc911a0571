#!/usr/bin/env bash
# Benchmark (not a test): the inbox of a town office over the county demo filled up to
# 200,000 ledger items, under concurrent load from wrk on loopback. Prints wrk's latency
# distribution (median, p99) and the server's peak memory.
#   scripts/bench-inbox.sh [count] [connections] [sqlite|postgres]
# Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-200000}"
conns="${2:-16}"
backend="${3:-sqlite}"
command -v wrk >/dev/null || { echo "需要 wrk：apt-get update && apt-get install -y wrk"; exit 2; }
cargo build --release --quiet
bin="$PWD/target/release/lianxin"
work="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
case "$backend" in
  sqlite) export LIANXIN_DATABASE_URL="sqlite://$work/bench.db" ;;
  postgres)
    db="lianxin_inbox_$$"
    psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $db"
    trap 'kill "${server:-0}" 2>/dev/null || true; psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; rm -rf "$work"' EXIT
    export LIANXIN_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" ;;
  *) echo "backend: sqlite or postgres"; exit 2 ;;
esac
export LIANXIN_LOG=warn
port=$((20000 + RANDOM % 20000))
export LIANXIN_LISTEN="127.0.0.1:$port"
"$bin" demo --size county --today 2026-11-20 --no-serve > /dev/null
session="$("$bin" bench items --count "$count" --today 2026-11-20 | tee /dev/stderr | sed -n 's/^SESSION=//p')"
"$bin" serve > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && break; sleep 0.2; done
url="http://127.0.0.1:$port/api/v1/inbox?date=2026-11-20"
curl -fs -H "Cookie: lx_session=$session" "$url" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("inbox of the town office:", d["counts"])'
wrk -t2 -c"$conns" -d20s --latency -H "Cookie: lx_session=$session" "$url"
echo "server peak RSS: $(grep VmHWM /proc/$server/status)"
