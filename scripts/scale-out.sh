#!/usr/bin/env bash
# Past one machine (issue 19 item 5; a demonstration with figures, not a test). On this machine,
# with PostgreSQL's own tools: a primary and a hot standby fed by streaming replication, two
# lianxin processes serving one county behind one address (haproxy, retrying a request another
# process can answer), the standby taking the heavy reads (`replica_url`). wrk loads it with
# reads and writes (every write carries a client_key, so a retried write is recorded once);
# halfway through one lianxin process is killed. Prints what the clients saw, what haproxy
# retried, whether every answered write is in the database exactly once, and the standby's lag.
#   scripts/scale-out.sh [seconds=20] [connections=8]
# Needs PostgreSQL 15's server programs (/usr/lib/postgresql/*/bin), haproxy and wrk (the last
# two installed with apt-get when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-20}"
conns="${2:-8}"
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
if ! command -v haproxy >/dev/null || ! command -v wrk >/dev/null; then
  $sudo apt-get update -qq && $sudo apt-get install -y -qq haproxy wrk >/dev/null
fi
pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
# The same build as scripts/bench-http.sh (the example shares its features), so the two share it.
cargo build --release --locked --quiet --bin lianxin --example ceiling
bin="$PWD/target/release/lianxin"
work="$(mktemp -d)"
chmod 755 "$work"
# PostgreSQL refuses to run as root: its clusters belong to the postgres user.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$work/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$work/pg"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  as_pg "$pgbin/pg_ctl" -D "$work/pg/standby" -m immediate stop >/dev/null 2>&1 || true
  as_pg "$pgbin/pg_ctl" -D "$work/pg/primary" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
port() { echo $((20000 + RANDOM % 30000)); }
p_primary=$(port); p_standby=$((p_primary + 1)); p_a=$((p_primary + 2)); p_b=$((p_primary + 3))
p_front=$((p_primary + 4)); p_stats=$((p_primary + 5))

echo "== PostgreSQL primary on $p_primary, hot standby on $p_standby"
as_pg "$pgbin/initdb" -D "$work/pg/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
cat >> "$work/pg/primary/postgresql.conf" <<CONF
port = $p_primary
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work/pg'
wal_level = replica
max_wal_senders = 4
hot_standby = on
CONF
as_pg "$pgbin/pg_ctl" -D "$work/pg/primary" -l "$work/pg/primary.log" -w start >/dev/null
psql() { command psql -X -q -h 127.0.0.1 -U postgres "$@"; }
psql -p "$p_primary" -c "CREATE DATABASE lianxin" postgres
as_pg "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$p_primary" -U postgres -D "$work/pg/standby" -R -X stream -c fast
echo "port = $p_standby" >> "$work/pg/standby/postgresql.conf"
as_pg "$pgbin/pg_ctl" -D "$work/pg/standby" -l "$work/pg/standby.log" -w start >/dev/null
psql -p "$p_standby" -Atc "SELECT 'standby in recovery: ' || pg_is_in_recovery()" postgres

export LIANXIN_DATABASE_URL="postgres://postgres@127.0.0.1:$p_primary/lianxin"
export LIANXIN_REPLICA_URL="postgres://postgres@127.0.0.1:$p_standby/lianxin"
export LIANXIN_LOG=warn LIANXIN_DATA_DIR="$work/data"
# haproxy passes on each client's address (option forwardfor): the per-address allowances of
# logins and the resident's page count clients, not the proxy.
export LIANXIN_TRUSTED_PROXIES="[127.0.0.1]"
echo "== the small demo county on the primary"
"$bin" demo --size small --today 2026-11-20 --no-serve > "$work/demo.log"

echo "== two lianxin processes ($p_a, $p_b) behind haproxy on $p_front"
LIANXIN_LISTEN="127.0.0.1:$p_a" "$bin" serve > "$work/a.log" 2>&1 & a=$!; pids+=("$a")
LIANXIN_LISTEN="127.0.0.1:$p_b" "$bin" serve > "$work/b.log" 2>&1 & b=$!; pids+=("$b")
cat > "$work/haproxy.cfg" <<CONF
global
  maxconn 512
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  # A request the chosen process cannot answer (refused, reset, closed before the answer)
  # goes to the other one. Writes carry a client_key, so a retried write is recorded once.
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response response-timeout
frontend county
  bind 127.0.0.1:$p_front
  option forwardfor
  default_backend lianxin
backend lianxin
  balance roundrobin
  option httpchk GET /healthz
  server a 127.0.0.1:$p_a check inter 500ms fall 2 rise 2
  server b 127.0.0.1:$p_b check inter 500ms fall 2 rise 2
listen stats
  bind 127.0.0.1:$p_stats
  stats enable
  stats uri /stats
CONF
haproxy -f "$work/haproxy.cfg" > "$work/haproxy.log" 2>&1 & h=$!; pids+=("$h")
base="http://127.0.0.1:$p_front"
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$p_a/healthz" >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$p_b/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
sleep 1.5

# One login through the front: the session works in whichever process answers.
curl -fs -c "$work/jar" --data-urlencode username=admin --data-urlencode password=lianxin2026 \
  -o /dev/null "$base/login"
cookie="lx_session=$(awk '$6 == "lx_session" { print $7 }' "$work/jar")"
get() { curl -fs -H "Cookie: $cookie" "$base$1"; }
household="$(get "/api/v1/households?page=2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["code"])')"
for _ in 1 2 3 4; do get /api/v1/households > /dev/null; done
echo "the same session answered by both processes: yes"

run="scale-$$-$RANDOM"
cat > "$work/mix.lua" <<LUA
-- Reads and writes: a list page, the county's standing now and then (read from the standby),
-- and registering an item with a fresh client_key. Each thread counts the writes it saw
-- answered (by the body: a written item names its matter; the long report may name it too).
local n = 0
id = 0
local threads = {}
function setup(thread) id = id + 1; thread:set("id", id); table.insert(threads, thread) end
function init(args) written = 0; failed = 0 end
request = function()
  n = n + 1
  local k = n % 8
  if k == 0 or k == 4 then
    local body = string.format('{"ledger":"民生诉求","source":"群众自报","household_code":"$household","matter":"扩容压测事项","registered_on":"2026-11-20","client_key":"$run-%d-%d"}', id, n)
    return wrk.format("POST", "/api/v1/items", {["Content-Type"] = "application/json", ["Cookie"] = "$cookie"}, body)
  elseif k == 1 then
    return wrk.format("GET", "/api/v1/compliance?year=2026&as_of=2026-11-20", {["Cookie"] = "$cookie"})
  else
    return wrk.format("GET", "/api/v1/households?page=" .. (n % 5 + 1), {["Cookie"] = "$cookie"})
  end
end
response = function(status, headers, body)
  if status >= 300 then failed = failed + 1
  elseif #body < 20000 and string.find(body, "扩容压测事项", 1, true) then written = written + 1 end
end
function done(summary, latency, requests)
  local w, f = 0, 0
  for _, t in ipairs(threads) do w = w + t:get("written"); f = f + t:get("failed") end
  io.write(string.format("   writes answered 2xx: %d; answers not 2xx: %d\n", w, f))
end
LUA
# Rows the standby returned: the heavy reads (the compliance report) are meant to go there.
standby_rows() { psql -p "$p_standby" -Atc "SELECT tup_returned + tup_fetched FROM pg_stat_database WHERE datname = 'lianxin'" postgres; }
standby_before="$(standby_rows)"
echo "== wrk: $conns connections for ${secs}s; process b (pid $b) is killed after $((secs / 2))s"
( sleep $((secs / 2)); kill -9 "$b"; echo "   killed b at $(date +%T)" ) &
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/mix.lua" "$base/" > "$work/wrk.out" || true
grep -E "requests in|Requests/sec|Non-2xx|Socket errors|50%|99%|writes answered" "$work/wrk.out" | sed 's/^ *//; s/^/   /'
stats="$(curl -fs "http://127.0.0.1:$p_stats/stats;csv")"
echo "== haproxy (per server: answered, connection errors, response errors, retries, redispatches, status)"
awk -F, '$1 == "lianxin" && $2 != "FRONTEND" { printf "   %-8s %8s answered  econ %s  eresp %s  wretr %s  wredis %s  %s\n", $2, $8, $14, $15, $16, $17, $18 }' <<< "$stats"
written="$(psql -p "$p_primary" -Atc "SELECT count(*) FROM ledger_item WHERE client_key LIKE '%:$run-%'" lianxin)"
distinct="$(psql -p "$p_primary" -Atc "SELECT count(DISTINCT client_key) FROM ledger_item WHERE client_key LIKE '%:$run-%'" lianxin)"
echo "== writes: $written items recorded for $distinct distinct client keys (a retried write is recorded once)"
echo "== the standby"
psql -p "$p_primary" -Atc "SELECT '   replication: ' || state || ', replay lag ' || coalesce(replay_lag::text, '0 (caught up)') || ', bytes behind ' || (pg_current_wal_lsn() - replay_lsn) FROM pg_stat_replication" postgres
sleep 1
on_primary="$(psql -p "$p_primary" -Atc "SELECT count(*) FROM ledger_item" lianxin)"
on_standby="$(psql -p "$p_standby" -Atc "SELECT count(*) FROM ledger_item" lianxin)"
echo "   ledger items: $on_primary on the primary, $on_standby on the standby a second later"
echo "   rows the standby returned during the run: $(( $(standby_rows) - standby_before ))"
if grep -q panicked "$work/a.log" "$work/b.log"; then echo "a process panicked"; exit 1; fi
if [ "$written" != "$distinct" ]; then echo "a write was recorded twice"; exit 1; fi
answered="$(awk '/writes answered 2xx/ { gsub(";", "", $4); print $4 }' "$work/wrk.out")"
if [ -n "$answered" ] && [ "$written" -lt "$answered" ]; then echo "an answered write is missing"; exit 1; fi
