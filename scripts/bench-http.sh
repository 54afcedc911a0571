#!/usr/bin/env bash
# Load benchmark (issue 19; a benchmark, not a test): the `county` demo served on loopback, wrk
# with 4 connections for 10 s against a list page, one ledger item, one household page,
# registering an item and recording a visit, and a bare axum handler (examples/ceiling.rs) in
# the same run as the ceiling. Prints requests per second, p50 and p99 of each, the server's
# peak memory, and the machine's load.
#   scripts/bench-http.sh [sqlite|postgres] [connections] [seconds]
# Needs wrk (installed with apt-get when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"
conns="${2:-4}"
secs="${3:-10}"
if ! command -v wrk >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --locked --quiet --bin lianxin --example ceiling
bin="$PWD/target/release/lianxin"
ceiling="$PWD/target/release/examples/ceiling"
work="$(mktemp -d)"
cleanup() {
  kill "${server:-0}" "${bare:-0}" 2>/dev/null || true
  if [ "$backend" = postgres ]; then
    psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS ${db:-none} WITH (FORCE)" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
case "$backend" in
  sqlite) export LIANXIN_DATABASE_URL="sqlite://$work/bench.db?mode=rwc" ;;
  postgres)
    db="lianxin_http_$$"
    psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $db"
    export LIANXIN_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" ;;
  *) echo "backend: sqlite or postgres"; exit 2 ;;
esac
export LIANXIN_LOG=warn LIANXIN_DATA_DIR="$work/data"
port=$((20000 + RANDOM % 20000))
export LIANXIN_LISTEN="127.0.0.1:$port"
base="http://127.0.0.1:$port"
echo "== the county demo on $backend"
# The demo takes minutes to build; LIANXIN_BENCH_KEEP=DIR keeps the SQLite county there between runs.
keep="${LIANXIN_BENCH_KEEP:-}"
if [ "$backend" = sqlite ] && [ -n "$keep" ] && [ -f "$keep/bench.db" ]; then
  cp "$keep/bench.db" "$work/bench.db"; if [ -d "$keep/data" ]; then cp -r "$keep/data" "$work/data"; fi
else
  "$bin" demo --size county --today 2026-11-20 --no-serve > "$work/demo.log"
  if [ "$backend" = sqlite ] && [ -n "$keep" ]; then
    mkdir -p "$keep"
    cp "$work/bench.db" "$keep/bench.db"; rm -rf "$keep/data"; if [ -d "$work/data" ]; then cp -r "$work/data" "$keep/data"; fi
  fi
fi
"$bin" serve > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -fs "$base/healthz" > /dev/null 2>&1 && break; sleep 0.2; done
"$ceiling" "127.0.0.1:$((port + 1))" &
bare=$!
sleep 0.5

curl -fs -c "$work/jar" --data-urlencode username=admin --data-urlencode password=lianxin2026 \
  -o /dev/null "$base/login"
cookie="lx_session=$(awk '$6 == "lx_session" { print $7 }' "$work/jar")"
get() { curl -fs -H "Cookie: $cookie" "$base$1"; }
household="$(get "/api/v1/households?page=3" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["code"])')"
village="$(get "/api/v1/households/$household" | python3 -c 'import json,sys; print(json.load(sys.stdin)["household"]["region_code"])')"
person="$(get "/api/v1/people?page=2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')"
item="$(curl -fs -H "Cookie: $cookie" -H 'Content-Type: application/json' -X POST "$base/api/v1/items" \
  -d "{\"ledger\":\"民生诉求\",\"source\":\"群众自报\",\"household_code\":\"$household\",\"matter\":\"路灯不亮\",\"registered_on\":\"2026-11-20\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"

# POST bodies with a fresh client_key each time: every request is a new record.
cat > "$work/item.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"ledger":"民生诉求","source":"群众自报","household_code":"$household","matter":"压测事项 %d","registered_on":"2026-11-20","client_key":"bench-item-%d-%d"}', n, math.random(1, 1000000000), n)
  return wrk.format("POST", "/api/v1/items", {["Content-Type"] = "application/json", ["Cookie"] = "$cookie"}, body)
end
LUA
cat > "$work/visit.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"kind":"入户走访","start_date":"2026-11-19","participant_ids":[$person],"targets":["$household"],"notes":"压测走访 %d","client_key":"bench-visit-%d-%d"}', n, math.random(1, 1000000000), n)
  return wrk.format("POST", "/api/v1/activities", {["Content-Type"] = "application/json", ["Cookie"] = "$cookie"}, body)
end
LUA

run() { # name url [script]
  local name="$1" url="$2" script="${3:-}"
  local args=(-t2 -c"$conns" -d"${secs}s" --latency -H "Cookie: $cookie")
  [ -n "$script" ] && args+=(-s "$script")
  local out
  out="$(wrk "${args[@]}" "$url")"
  local rps p50 p99 errs
  rps="$(awk '/Requests\/sec/ {print $2}' <<< "$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<< "$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<< "$out")"
  errs="$(grep -E "Non-2xx|Socket errors" <<< "$out" | tr -s ' ' | tr '\n' ' ' || true)"
  printf '%-22s %10s req/s   p50 %8s   p99 %8s   %s\n' "$name" "$rps" "$p50" "$p99" "$errs"
}
echo "== $conns connections, ${secs}s each, $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
run "bare axum (ceiling)" "http://127.0.0.1:$((port + 1))/"
run "list of households" "$base/api/v1/households?page=3"
run "one ledger item" "$base/api/v1/items/$item"
run "household page" "$base/households/$household"
run "register an item" "$base/api/v1/items" "$work/item.lua"
run "record a visit" "$base/api/v1/activities" "$work/visit.lua"
run "bare axum (again)" "http://127.0.0.1:$((port + 1))/"
echo "server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$server/status)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -q panicked "$work/server.log"; then echo "the server panicked"; exit 1; fi
