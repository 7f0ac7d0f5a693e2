#!/usr/bin/env bash
# Sending at scale, on SQLite and PostgreSQL: a Single MMS campaign to N recipients through the
# Twilio provider to a minimal Twilio-compatible endpoint written in Rust (`tern-bench
# twilio-stub`), without rate limit: seconds from launch to all accepted, messages per second,
# and the server's peak memory. In the same run, the endpoint's own ceiling: `wrk` posting the
# same Create request to it.
# Usage: scripts/send-bench.sh [recipients] [backends] [nodes]; defaults 100000 "sqlite postgres" 1.
# With nodes=2, PostgreSQL runs a second node (`tern serve --role worker`, the same data folder
# and so the same key) on the same database; SQLite is one node's store and always runs one.
# Needs release builds (cargo build --release -p tern-cli -p tern-bench) and wrk (apt install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
recipients=${1:-100000}
backends=${2:-sqlite postgres}
nodes=${3:-1}
# TERN_BIN and BENCH_BIN name other builds (old code against new in one run).
tern=$(realpath "${TERN_BIN:-target/release/tern}")
bench=$(realpath "${BENCH_BIN:-target/release/tern-bench}")
pg_admin=${TERN_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d)
stub_port=18110
port=18111
server=
worker=
stub=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; [ -n "$worker" ] && kill "$worker" 2>/dev/null; [ -n "$stub" ] && kill "$stub" 2>/dev/null; rm -rf "$work"' EXIT

"$bench" twilio-stub --port "$stub_port" 2> "$work/stub.log" &
stub=$!
until curl -s -o /dev/null "http://127.0.0.1:$stub_port/"; do sleep 0.05; done

# The ceiling: the stub's raw rate for the request Tern sends, from a plain HTTP load tool.
cat > "$work/create.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic QUMwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDpm"
wrk.body = "To=%2B14152000001&From=%2B14155550100&Body=Hi+there%2C+new+in%3A+http%3A%2F%2F127.0.0.1%3A8080%2Fl%2FAbCdEfGh%0AReply+STOP+to+opt+out&MediaUrl=http%3A%2F%2F127.0.0.1%3A8080%2Fm%2F0123456789abcdef0123456789abcdef&StatusCallback=http%3A%2F%2F127.0.0.1%3A8080%2Fwebhooks%2Ftwilio%2Fstatus%3Faccount%3Dx"
LUA
wrk -t2 -c64 -d10s -s "$work/create.lua" "http://127.0.0.1:$stub_port/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json" > "$work/wrk.out"
ceiling=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
echo "recipients=$recipients cores=$(nproc) ceiling_requests_per_s=${ceiling%.*} (wrk -t2 -c64 -d10s)"

python3 - "$recipients" > "$work/contacts.csv" <<'PY'
import sys
n = int(sys.argv[1])
print("phone,consent,first_name")
for i in range(n):
    print(f"+1415{2000000 + i:07d},subscribed,Name{i}")
PY

for backend in $backends; do
  data="$work/$backend"
  mkdir -p "$data"
  if [ "$backend" = postgres ]; then
    db="tern_send_bench_$$"
    psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $db" -qc "CREATE DATABASE $db" >/dev/null
    export TERN_DATABASE_URL="${pg_admin%/*}/$db"
  else
    export TERN_DATABASE_URL="sqlite://$data/tern.db"
  fi
  export TERN_DATA_DIR="$data"
  "$tern" accounts create bench --json > /dev/null
  "$tern" accounts mms enable bench > /dev/null
  key=$("$tern" keys create bench --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  "$tern" contacts import "$work/contacts.csv" --account bench > "$work/import.out"

  TERN_BIND=127.0.0.1:$port TERN_PUBLIC_URL=http://127.0.0.1:$port \
    TERN_TWILIO_API_BASE=http://127.0.0.1:$stub_port "$tern" serve > "$work/serve.log" 2>&1 &
  server=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
  label=$backend
  if [ "$backend" = postgres ] && [ "$nodes" = 2 ]; then
    TERN_PUBLIC_URL=http://127.0.0.1:$port TERN_TWILIO_API_BASE=http://127.0.0.1:$stub_port \
      "$tern" serve --role worker > "$work/worker.log" 2>&1 &
    worker=$!
    label="$backend (2 nodes)"
  fi
  echo "== $label"
  "$bench" send --url "http://127.0.0.1:$port" --key "$key" --recipients "$recipients" | tee "$work/send.out"
  rate=$(sed -n 's/.*messages_per_s=\([0-9]*\).*/\1/p' "$work/send.out")
  echo "server_peak_rss_mb=$(( $(awk '/VmHWM/ {print $2}' /proc/$server/status) / 1024 )) ratio_to_ceiling=$(python3 -c "print(f'{$rate / ${ceiling%.*}:.2f}')")"
  kill "$server"; wait "$server" 2>/dev/null || true; server=
  if [ -n "$worker" ]; then kill "$worker"; wait "$worker" 2>/dev/null || true; worker=; fi
  if [ "$backend" = postgres ]; then psql "$pg_admin" -qc "DROP DATABASE $db" >/dev/null; fi
done
