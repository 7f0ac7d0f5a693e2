#!/usr/bin/env bash
# The audience at scale, on SQLite and PostgreSQL: CSV import (contacts/s, against parsing alone
# as the baseline), event ingestion through /v1/batch (events/s), and the count and streaming of a
# three-condition segment (against a one-condition count), with peak memory of each process.
# Usage: scripts/audience-bench.sh [contacts] [backends]; defaults 1000000 "sqlite postgres".
# Needs release builds: cargo build --release -p tern-cli -p tern-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
contacts=${1:-1000000}
backends=${2:-sqlite postgres}
tern=$(realpath target/release/tern)
bench=$(realpath target/release/tern-bench)
pg_admin=${TERN_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d)
port=18090
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

"$bench" generate --contacts "$contacts" > "$work/contacts.csv"
echo "contacts=$contacts file_mb=$(( $(stat -c %s "$work/contacts.csv") / 1048576 )) cores=$(nproc)"
/usr/bin/time -f "peak_rss_mb=%M" "$bench" parse "$work/contacts.csv" 2>&1 | tr '\n' ' ' | sed 's/peak_rss_mb=\([0-9]*\)/parse_peak_rss_kb=\1/'
echo

for backend in $backends; do
  data="$work/$backend"
  mkdir -p "$data"
  if [ "$backend" = postgres ]; then
    db="tern_bench_$$"
    psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $db" -qc "CREATE DATABASE $db" >/dev/null
    export TERN_DATABASE_URL="${pg_admin%/*}/$db"
  else
    export TERN_DATABASE_URL="sqlite://$data/tern.db"
  fi
  export TERN_DATA_DIR="$data"
  write_key=$("$tern" accounts create bench --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["write_key"])')

  echo "== $backend"
  start=$(date +%s.%N)
  # Exit status 1 means rows were rejected: the summary says how many.
  /usr/bin/time -f "%M" -o "$work/import.rss" "$tern" contacts import "$work/contacts.csv" --account bench > "$work/import.out" || [ $? = 1 ]
  end=$(date +%s.%N)
  python3 - "$start" "$end" "$contacts" "$(cat "$work/import.rss")" "$(cat "$work/import.out")" <<'PY'
import sys
start, end, n, rss, summary = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
print(f"import_seconds={end-start:.1f} contacts_per_s={n/(end-start):.0f} import_peak_rss_mb={rss/1024:.0f}  ({summary.strip()})")
PY

  TERN_BIND=127.0.0.1:$port "$tern" serve > "$work/serve.log" 2>&1 &
  server=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
  "$bench" ingest --url "http://127.0.0.1:$port" --write-key "$write_key" --contacts "$contacts"
  echo "server_peak_rss_mb=$(( $(awk '/VmHWM/ {print $2}' /proc/$server/status) / 1024 ))"
  kill "$server"; wait "$server" 2>/dev/null || true; server=

  "$bench" segment --database-url "$TERN_DATABASE_URL" --account bench
  if [ "$backend" = postgres ]; then psql "$pg_admin" -qc "DROP DATABASE $db" >/dev/null; fi
done
