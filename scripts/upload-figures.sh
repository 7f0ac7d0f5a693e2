#!/usr/bin/env bash
# Latency of POST /api/v1/media for ~600 KB photos, and the server's peak memory. Needs a release
# build and Python's pillow (pip install pillow).
set -euo pipefail
cd "$(dirname "$0")/.."
tern=$(realpath "${TERN:-target/release/tern}")
dir=$(mktemp -d)
port=18081
export TERN_BIND=127.0.0.1:$port TERN_ADMIN_TOKEN=figures-admin-token-0123456789
trap 'kill "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT
cd "$dir"
("$tern" serve) >/dev/null 2>&1 &
server=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.01; done
"$tern" accounts create figures --json >/dev/null
key=$("$tern" keys create figures --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

python3 - <<'PY'
import io, os
from PIL import Image
for i in range(20):
    side = 400
    while True:
        img = Image.frombytes("RGB", (side, side * 3 // 4), os.urandom(side * (side * 3 // 4) * 3))
        buf = io.BytesIO(); img.save(buf, "JPEG", quality=95)
        if buf.tell() > 614_400: break
        best, side = buf.getvalue(), side + 20
    open(f"photo-{i}.jpg", "wb").write(best)
PY

echo "file bytes: $(stat -c %s photo-0.jpg) (first of 20 distinct photos)"
for i in $(seq 0 19); do
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $key" \
    -F "file=@photo-$i.jpg" "http://127.0.0.1:$port/api/v1/media"
done | sort -k2 -n | awk '{ t[NR] = $2; codes[$1]++ } END {
  printf "uploads: %d, statuses:", NR; for (c in codes) printf " %s×%d", c, codes[c]; print "";
  printf "latency ms: min %.1f, median %.1f, max %.1f\n", t[1] * 1000, (t[10] + t[11]) / 2 * 1000, t[NR] * 1000 }'
echo "server peak RSS: $(grep VmHWM /proc/$server/status | awk '{print $2}') KB"
