#!/usr/bin/env bash
# Time and peak memory of `tern media check` on the heaviest files it accepts and on
# decompression bombs. Needs a release build and Python's pillow (pip install pillow).
set -euo pipefail
cd "$(dirname "$0")/.."
tern=${TERN:-target/release/tern}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

python3 - "$dir" <<'PY'
import io, os, struct, sys, zlib
from PIL import Image
d = sys.argv[1]
# A noisy photo just under 600 KB: the largest file accepted.
q, side = 95, 400
while True:
    img = Image.frombytes("RGB", (side, side * 3 // 4), os.urandom(side * (side * 3 // 4) * 3))
    buf = io.BytesIO(); img.save(buf, "JPEG", quality=q)
    if buf.tell() > 614_400: break
    best, side = buf.getvalue(), side + 20
open(f"{d}/largest-bytes.jpg", "wb").write(best)
# The most pixels accepted: 5000 x 5000 = 25 Mpx of flat colour, a small file.
Image.new("RGB", (5000, 5000), (200, 30, 90)).save(f"{d}/largest-pixels.jpg", quality=90)
# Decompression bombs: a PNG whose IHDR claims 40000 x 40000, a GIF screen of 65535 x 65535.
def chunk(kind, data): return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
ihdr = struct.pack(">IIBBBBB", 40000, 40000, 8, 0, 0, 0, 0)
idat = zlib.compress(b"\0" * (40001 * 5), 9)  # a few rows; the rest would be zeros too
open(f"{d}/bomb.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
img = Image.new("P", (8, 8)); buf = io.BytesIO(); img.save(buf, "GIF"); g = bytearray(buf.getvalue())
g[6:10] = b"\xff\xff\xff\xff"
open(f"{d}/bomb.gif", "wb").write(g)
PY

printf '%-20s %10s %6s %10s %12s\n' file bytes ok seconds peak_rss_kb
for f in largest-bytes.jpg largest-pixels.jpg bomb.png bomb.gif; do
  for run in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$dir/time" "$tern" media check "$dir/$f" > "$dir/out.json" || true
    read -r secs rss < <(tail -n 1 "$dir/time")
    ok=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['ok'])" "$dir/out.json")
    printf '%-20s %10s %6s %10s %12s\n' "$f" "$(stat -c %s "$dir/$f")" "$ok" "$secs" "$rss"
  done
done
