#!/usr/bin/env bash
# Triggered campaigns at scale, on SQLite (and PostgreSQL): N contacts imported, then
#  1. `/v1/batch` ingestion (3 events per contact for a tenth of them, a third of them carts,
#     a third orders): after a warm-up pass, with no triggered campaign, then with two active (a
#     Cart Reminder and a Welcome), then with none again (both cancelled); a new tag each time,
#     so that every event is new: events/s and active / mean(none);
#  2. C carts whose reminders fall due evenly over a window (event times set in the past, so a
#     few minutes stand for an hour of a shop), sent through the Twilio provider to the bench's
#     Twilio-compatible endpoint: from each reminder's due time to its acceptance recorded (p50,
#     p99, max), read from the database after the run.
# Usage: scripts/trigger-bench.sh [contacts] [carts] [window_s] [backends];
# defaults 1000000 100000 300 sqlite. Needs release builds (cargo build --release -p tern-cli
# -p tern-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
contacts=${1:-1000000}
carts=${2:-100000}
window=${3:-300}
backends=${4:-sqlite}
ingest_contacts=$(( contacts / 10 ))
tern=$(realpath "${TERN_BIN:-target/release/tern}")
bench=$(realpath "${BENCH_BIN:-target/release/tern-bench}")
pg_admin=${TERN_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d)
stub_port=18120
port=18121
server=
stub=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; [ -n "$stub" ] && kill "$stub" 2>/dev/null; rm -rf "$work"' EXIT

"$bench" twilio-stub --port "$stub_port" 2> "$work/stub.log" &
stub=$!
until curl -s -o /dev/null "http://127.0.0.1:$stub_port/"; do sleep 0.05; done
"$bench" generate --contacts "$contacts" > "$work/contacts.csv"
echo "contacts=$contacts carts=$carts window_s=$window cores=$(nproc)"

api() { # method path [json]
  curl -sf -X "$1" "http://127.0.0.1:$port$2" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' ${3:+-d "$3"}
}

for backend in $backends; do
  data="$work/$backend"
  mkdir -p "$data"
  if [ "$backend" = postgres ]; then
    db="tern_trigger_bench_$$"
    psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $db" -qc "CREATE DATABASE $db" >/dev/null
    export TERN_DATABASE_URL="${pg_admin%/*}/$db"
  else
    export TERN_DATABASE_URL="sqlite://$data/tern.db"
  fi
  export TERN_DATA_DIR="$data"
  write_key=$("$tern" accounts create bench --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["write_key"])')
  key=$("$tern" keys create bench --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  "$tern" contacts import "$work/contacts.csv" --account bench > "$work/import.out" || [ $? = 1 ]

  TERN_BIND=127.0.0.1:$port TERN_PUBLIC_URL=http://127.0.0.1:$port \
    TERN_TWILIO_API_BASE=http://127.0.0.1:$stub_port "$tern" serve > "$work/serve.log" 2>&1 &
  server=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
  api PATCH /api/v1/settings '{"senders": [{"country": "US", "kind": "phone_number", "address": "+14155550100", "segments_per_second": 2000}, {"country": "CA", "kind": "phone_number", "address": "+16045550100", "segments_per_second": 2000}, {"country": "AU", "kind": "phone_number", "address": "+61412000000", "segments_per_second": 2000}, {"country": "GB", "kind": "phone_number", "address": "+447400000000", "segments_per_second": 2000}], "quiet_hours": {"allowed_from": "00:00", "allowed_until": "23:59"}, "frequency_cap": null, "twilio": {"account_sid": "AC00000000000000000000000000000000", "auth_token": "ffffffffffffffffffffffffffffffff"}}' > /dev/null
  echo "== $backend"

  ingest() { "$bench" ingest --url "http://127.0.0.1:$port" --write-key "$write_key" --contacts "$ingest_contacts" --tag "$1" | sed -n 's/.*events_per_s=\([0-9]*\).*/\1/p'; }
  ingest warm > /dev/null # the first pass over a fresh database pays for its growth
  none_before=$(ingest a)
  activate() { # type rules body
    local id
    id=$(api POST /api/v1/campaigns "{\"name\": \"$1\", \"type\": \"$1\", \"channel\": \"sms\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    api PUT "/api/v1/campaigns/$id/steps/rules" "$2" > /dev/null
    api PUT "/api/v1/campaigns/$id/steps/design" "{\"body\": \"$3\", \"opt_out_footer\": false}" > /dev/null
    [ "$1" = cart_reminder ] && api PUT "/api/v1/campaigns/$id/steps/goals" '{"event": "Order Completed", "window_hours": 24}' > /dev/null
    api PUT "/api/v1/campaigns/$id/steps/launch" '{}' > /dev/null
    api POST "/api/v1/campaigns/$id/launch" '{}' > /dev/null
    echo "$id"
  }
  first=$(activate cart_reminder '{"delay_minutes": 15, "per_contact_days": 1}' 'You left something in your cart: {{ cart.total }} {{ cart.currency }}')
  welcome=$(activate welcome '{"delay_minutes": 0}' 'Welcome!')
  two_active=$(ingest b)
  api POST "/api/v1/campaigns/$first/cancel" '{}' > /dev/null
  api POST "/api/v1/campaigns/$welcome/cancel" '{}' > /dev/null
  none_after=$(ingest c)
  python3 - "$none_before" "$two_active" "$none_after" <<'PY'
import sys
before, active, after = (int(x) for x in sys.argv[1:])
print(f"ingest_events_per_s none={before} two_active={active} none_again={after} ratio_active_to_none={2 * active / (before + after):.2f}")
PY
  cart=$(activate cart_reminder '{"delay_minutes": 15, "per_contact_days": 1}' 'You left something in your cart: {{ cart.total }} {{ cart.currency }}')
  # The ingests' old carts fell due long ago: skipped as too late (none sent), settled now.
  sleep 5

  due_from=$(python3 -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=60)).isoformat())')
  "$bench" carts --url "http://127.0.0.1:$port" --write-key "$write_key" --carts "$carts" --due-from "$due_from" --window-secs "$window"
  # Until every reminder is settled and sent (or the window plus 5 minutes).
  deadline=$(( $(date +%s) + window + 60 + 300 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    sleep 5
    left=$(api GET "/api/v1/campaigns/$cart/progress" | python3 -c 'import json,sys; p=json.load(sys.stdin); print(p["queued"] + p["sending"])')
    waiting=$(api GET "/api/v1/campaigns/$cart/triggers?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"]["waiting"])')
    [ "$left" = 0 ] && [ "$waiting" = 0 ] && break
  done
  echo "server_peak_rss_mb=$(( $(awk '/VmHWM/ {print $2}' /proc/$server/status) / 1024 ))"
  kill "$server"; wait "$server" 2>/dev/null || true; server=
  query="SELECT m.sent_at - t.due_at FROM triggers t JOIN messages m ON m.id = t.message_id WHERE t.campaign_id = '$cart' AND m.sent_at IS NOT NULL AND t.trigger_key LIKE 'cart:bench-%'"
  counts="SELECT t.state || ':' || COALESCE(t.reason, '') || ':' || COUNT(*) FROM triggers t WHERE t.campaign_id = '$cart' AND t.trigger_key LIKE 'cart:bench-%' GROUP BY t.state, t.reason"
  if [ "$backend" = postgres ]; then
    psql "$TERN_DATABASE_URL" -At -c "$query" > "$work/latency"
    psql "$TERN_DATABASE_URL" -At -c "$counts" > "$work/counts"
  else
    python3 - "$data/tern.db" "$query" "$counts" "$work" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
open(f"{sys.argv[4]}/latency", "w").write("\n".join(str(r[0]) for r in db.execute(sys.argv[2])))
open(f"{sys.argv[4]}/counts", "w").write("\n".join(str(r[0]) for r in db.execute(sys.argv[3])))
PY
  fi
  python3 - "$work/latency" "$work/counts" <<'PY'
import sys
ms = sorted(int(x) for x in open(sys.argv[1]).read().split())
counts = open(sys.argv[2]).read().split()
if not ms:
    sys.exit(f"no reminder was sent: {counts}")
q = lambda p: ms[min(len(ms) - 1, int(len(ms) * p))]
print(f"reminders_sent={len(ms)} due_to_accepted_ms p50={q(0.5)} p99={q(0.99)} max={ms[-1]} triggers={' '.join(counts)}")
PY
  if [ "$backend" = postgres ]; then psql "$pg_admin" -qc "DROP DATABASE $db" >/dev/null; fi
done
