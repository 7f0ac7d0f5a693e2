#!/usr/bin/env bash
# Fuzzes the JSON API with Schemathesis, driven by the API's own OpenAPI document, as one account
# while a second account holds a contact, a segment and changed settings that must come out of
# the run exactly as they went in: a fuzzer that guesses another account's ids (contact ids are
# small integers) must get nothing of it.
#
#   scripts/api-fuzz.sh path/to/tern [seconds]
#
# On a fresh SQLite database, or on the empty database API_FUZZ_DATABASE_URL names.
#
# `schemathesis` (PyPI, 4.x) comes from PATH; CI installs it into target/ci-python. The time bound
# is the second argument or API_FUZZ_SECONDS (default 150) and covers the test phases only (the
# schema's loading and the setup add some 10 s). API_FUZZ_SEED replays a run: the seed is printed.
# Reports (JUnit, JSON, NDJSON with every request, the console output and the server's log) go to
# API_FUZZ_OUT, default target/api-fuzz/.
#
# Exits 0 when Schemathesis found nothing and the second account is unchanged, 1 otherwise, 2 when
# the run could not be set up.
set -euo pipefail

[ $# -ge 1 ] && [ -x "$1" ] || { echo "usage: $0 path/to/tern [seconds]" >&2; exit 2; }
tern=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
seconds=${2:-${API_FUZZ_SECONDS:-150}}
seed=${API_FUZZ_SEED:-$RANDOM$RANDOM}
cd "$(dirname "$0")/.."
out=${API_FUZZ_OUT:-$PWD/target/api-fuzz}
# `st` is also the name of a terminal emulator; the long name is unambiguous.
command -v schemathesis >/dev/null || { echo "schemathesis is not on PATH (pip install schemathesis)" >&2; exit 2; }

rm -rf "$out" && mkdir -p "$out" && out=$(cd "$out" && pwd)
work=$(mktemp -d)
server=
stop() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -f "$work/serve.log" ]; then cp "$work/serve.log" "$out/serve.log"; fi
  rm -rf "$work"
}
trap stop EXIT

# A fresh SQLite database and nothing else from the caller's configuration: no tern.toml (the
# working folder is the temporary one), no admin token, media in the data folder.
unset TERN_CONFIG TERN_DATABASE_URL TERN_ADMIN_TOKEN TERN_MEDIA_STORE TERN_PUBLIC_URL TERN_TWILIO_API_BASE
# API_FUZZ_DATABASE_URL runs it on that (empty) database instead, e.g. a PostgreSQL one: its
# types and limits are stricter than SQLite's.
if [ -n "${API_FUZZ_DATABASE_URL:-}" ]; then export TERN_DATABASE_URL="$API_FUZZ_DATABASE_URL"; fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export TERN_DATA_DIR="$work/data" TERN_BIND="127.0.0.1:$port"
base="http://127.0.0.1:$port"
cd "$work"

field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# The CLI works on the database directly, so both accounts and their keys exist before the server.
"$tern" accounts create fuzz --json >fuzz-account.json
"$tern" accounts create bystander --json >/dev/null
export TERN_FUZZ_KEY TERN_FUZZ_WRITE_KEY
TERN_FUZZ_KEY=$("$tern" keys create fuzz --json | field key)
TERN_FUZZ_WRITE_KEY=$(field write_key <fuzz-account.json)
bystander_key=$("$tern" keys create bystander --json | field key)

"$tern" serve >serve.log 2>&1 &
server=$!
for _ in $(seq 150); do
  curl -sf -o /dev/null "$base/readyz" && break
  kill -0 "$server" 2>/dev/null || { echo "tern serve stopped:" >&2; cat serve.log >&2; exit 2; }
  sleep 0.2
done
curl -sf -o /dev/null "$base/readyz" || { echo "tern serve not ready after 30 s" >&2; exit 2; }

bystander() {
  local method=$1 path=$2
  shift 2
  curl -sS --fail-with-body -X "$method" -H "Authorization: Bearer $bystander_key" \
    -H 'Content-Type: application/json' "$@" "$base/api/v1$path"
}
contact=$(bystander POST /contacts -d '{"external_id": "bystander-1", "phone": "+14155552671",
  "attributes": {"tier": "gold", "first_name": "Ada"}, "consent": "subscribed"}' | field id)
segment=$(bystander POST /segments -d '{"name": "Gold",
  "definition": {"attribute": "tier", "op": "=", "value": "gold"}}' | field id)
bystander PATCH /settings -d '{"timezone": "Europe/Paris", "help_reply": "Bystander help"}' >/dev/null

# Everything the second account can read of itself. Timing figures (`count_ms`) and the key's
# `last_used_at` move with every read, so they are left out of the comparison; `revision` fields
# are kept: any write shows in them.
snapshot() {
  mkdir -p "$1"
  local i=0 path
  for path in /account /settings /keys /audit /media /campaigns "/contacts?limit=1000" \
    "/contacts/$contact/profile" "/contacts/$contact/events" "/contacts/$contact/consent" \
    /segments "/segments/$segment" "/segments/$segment/audience"; do
    i=$((i + 1))
    bystander GET "$path" | python3 -c '
import json, sys
def clean(v):
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items() if k not in ("count_ms", "last_used_at")}
    if isinstance(v, list):
        return [clean(x) for x in v]
    return v
print(sys.argv[1]); print(json.dumps(clean(json.load(sys.stdin)), indent=1, sort_keys=True))' "$path" >"$1/$i.json"
  done
}
snapshot before

# The configuration names Tern's security schemes, so each operation gets its own credential: the
# API key (bearer) for /api/v1, the write key (Basic user name) for Segment's /v1 routes.
cat >schemathesis.toml <<'EOF'
[auth.openapi.api_key]
bearer = "${TERN_FUZZ_KEY}"

[auth.openapi.write_key]
username = "${TERN_FUZZ_WRITE_KEY}"
password = ""
EOF

# Left out: the operator's routes (another credential, and they could rightly change the second
# account) and DELETE /api/v1/keys/{key_id}, which Schemathesis does call with the id that
# GET /api/v1/keys listed, revoking its own key and leaving the rest of the run at 401.
# Security parameters are not generated, so every request carries the key and reaches a handler
# (`ignored_auth` still sends requests without it and with a wrong one). One worker: two gain
# nothing on two cores shared with the server, and on Python 3.11 they raced in `ast.parse`
# ("AST constructor recursion depth mismatch"), a Runtime Error that fails the run.
# Phases: all four (examples, coverage, fuzzing, stateful); examples and coverage take seconds,
# fuzzing and stateful share what is left of the time bound.
# Every check that a response matches the document, and those of behaviour the document implies.
# Not `positive_data_acceptance`: the document gives each field's type, not every rule the
# handlers apply (a segment's definition, a phone number, an image's bytes); those are refused
# with 422, which the document lists.
checks=not_a_server_error,status_code_conformance,content_type_conformance
checks+=,response_headers_conformance,response_schema_conformance,negative_data_rejection
checks+=,missing_required_header,unsupported_method,ignored_auth,use_after_free
checks+=,ensure_resource_availability
echo "schemathesis $(schemathesis --version | awk '{print $NF}'), ${seconds} s, seed $seed, against $base"
set +e
schemathesis --config-file schemathesis.toml run "$base/api/v1/openapi.json" \
  --checks "$checks" \
  --exclude-path-regex '^/api/v1/admin/' --exclude-operation-id revoke_key \
  --generation-with-security-parameters false \
  --max-time "$seconds" --workers 1 --seed "$seed" --no-color \
  --report junit,json,ndjson --report-junit-path "$out/junit.xml" \
  --report-json-path "$out/report.json" --report-ndjson-path "$out/events.ndjson" \
  >"$out/schemathesis.txt" 2>&1
fuzz_status=$?
set -e

snapshot after
changed=0
diff -ru before after >"$out/bystander.diff" || changed=1

panicked=0
kill -0 "$server" 2>/dev/null || { echo "tern serve died during the run" >&2; panicked=1; }
grep -q 'panicked' serve.log && panicked=1

# The counts, from the reports: requests are the NDJSON's recorded interactions.
python3 - "$out" <<'EOF'
import collections, json, sys
out = sys.argv[1]
report = json.load(open(f"{out}/report.json"))
statuses = collections.Counter()
for line in open(f"{out}/events.ndjson"):
    event = json.loads(line).get("ScenarioFinished")
    if event:
        for interaction in ((event.get("recorder") or {}).get("interactions") or {}).values():
            statuses[(interaction.get("response") or {}).get("status_code", "none")] += 1
ops, cases = report["operations"], report["test_cases"]
print(f"operations: {ops['tested']} tested of {ops['selected']} selected ({ops['total']} in the document)")
print(f"requests: {sum(statuses.values())} ({', '.join(f'{s}: {n}' for s, n in sorted(statuses.items(), key=str))})")
print(f"test cases: {cases['generated']} generated, {cases['unique_failures']} unique failures, {cases['errored']} errored")
for failure in report["failures"]:
    print(f"  {failure['code']} {failure['title']}: {failure['count']} in {', '.join(failure['operations'])}")
for error in report["errors"]:
    print(f"  error: {error}")
EOF

status=0
if [ "$fuzz_status" -ne 0 ]; then
  echo "FAIL: schemathesis exited $fuzz_status; details in $out/schemathesis.txt (replay: API_FUZZ_SEED=$seed)"
  status=1
fi
if [ "$changed" -ne 0 ]; then
  echo "FAIL: the second account changed during the run:"
  cat "$out/bystander.diff"
  status=1
else
  echo "second account unchanged ($(ls before | wc -l) reads compared)"
fi
if [ "$panicked" -ne 0 ]; then
  echo "FAIL: the server panicked or stopped; see $out/serve.log"
  status=1
fi
exit "$status"
