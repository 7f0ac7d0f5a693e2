#!/usr/bin/env bash
# Cold start of `tern serve` (process start to the first /healthz answer, on a new SQLite data
# folder and on an existing one) and its idle memory. Needs a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
tern=$(realpath "${TERN:-target/release/tern}")
dir=$(mktemp -d)
trap 'pkill -f "$tern serve" || true; rm -rf "$dir"' EXIT
port=18080

start() {
  local t0 t1
  t0=$(date +%s%N)
  (cd "$dir" && TERN_BIND=127.0.0.1:$port "$tern" serve) >/dev/null 2>&1 &
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.002; done
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 ))
}

printf '%-26s %8s\n' run cold_start_ms
for run in 1 2 3 4 5; do
  rm -rf "$dir/tern-data"
  ms=$(start); printf '%-26s %8s\n' "new data folder #$run" "$ms"
  pkill -TERM -f "$tern serve"; wait || true
done
for run in 1 2 3 4 5; do
  ms=$(start); printf '%-26s %8s\n' "existing data folder #$run" "$ms"
  pkill -TERM -f "$tern serve"; wait || true
done
(cd "$dir" && TERN_BIND=127.0.0.1:$port "$tern" serve) >/dev/null 2>&1 &
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.01; done
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; done
sleep 1
pid=$(pgrep -f "$tern serve" | head -1)
echo "idle RSS after 100 requests: $(ps -o rss= -p "$pid") KB"
