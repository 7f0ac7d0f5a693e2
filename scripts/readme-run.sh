#!/usr/bin/env bash
# Runs the README's Run command exactly as written (read from README.md, so the two cannot
# drift) in a fresh folder, waits for /healthz, signs in to the panel with the demo login it
# prints, opens the SMS listing and stops it. Cargo finds the workspace from any folder below it,
# so the fresh folder sits under target/.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

# The first ```sh block after the "## Run" heading: one command.
command=$(awk '/^## Run/{run=1; next} /^## /{run=0} run && /^```sh/{code=1; next} code && /^```/{exit} code' README.md)
[ "$(printf '%s\n' "$command" | grep -c .)" -eq 1 ] || { echo "README's Run block is not one command: $command" >&2; exit 1; }
echo "README's run command: $command"

folder="$top/target/readme-run"
rm -rf "$folder" && mkdir -p "$folder"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
log="$folder/serve.log"

cd "$folder"
# Its own process group, so that stopping it stops cargo and the server alike.
TERN_BIND="127.0.0.1:$port" setsid bash -c "$command" >"$log" 2>&1 &
group=$!
stop() { kill -TERM -- "-$group" 2>/dev/null || true; wait "$group" 2>/dev/null || true; }
trap stop EXIT
cd "$top"

started=$(date +%s)
until grep -q 'password: ' "$log" && curl -sf -o /dev/null "$base/healthz"; do
  if ! kill -0 "$group" 2>/dev/null; then echo "the run command stopped:" >&2; cat "$log" >&2; exit 1; fi
  if [ $(( $(date +%s) - started )) -gt 1500 ]; then echo "no demo within 25 minutes:" >&2; cat "$log" >&2; exit 1; fi
  sleep 1
done
echo "serving after $(( $(date +%s) - started )) s (build included)"

email=$(sed -n 's/.*e-mail: \([^ ]*\).*/\1/p' "$log" | head -n1)
password=$(sed -n 's/.*password: \([^ ]*\).*/\1/p' "$log" | head -n1)
[ -n "$email" ] && [ -n "$password" ] || { echo "no demo login printed:" >&2; cat "$log" >&2; exit 1; }
grep -q "$password" "$folder/tern-data/demo-login.txt" || { echo "the login is not kept in tern-data/demo-login.txt" >&2; exit 1; }

jar="$folder/cookies"
form=$(curl -sf -c "$jar" "$base/login")
csrf=$(printf '%s' "$form" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n1)
status=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -b "$jar" -c "$jar" \
  --data-urlencode "email=$email" --data-urlencode "password=$password" --data-urlencode "csrf=$csrf" \
  "$base/login")
case "$status" in
  303\ *"/campaigns") ;;
  *) echo "signing in with the printed login answered: $status" >&2; exit 1 ;;
esac
listing=$(curl -sf -b "$jar" "$base/campaigns")
grep -q 'Black Friday preview' <<<"$listing" || { echo "the listing lacks the demo's draft campaign" >&2; exit 1; }
echo "README run command: served the demo, signed in as $email, listing shows the demo campaigns"
