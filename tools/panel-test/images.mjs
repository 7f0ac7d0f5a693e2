// PNG files for the upload checks, written with Node's zlib: noise that no encoder can shrink
// (too large for an MMS) and a small flat picture (accepted).
import { crc32, deflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function png(width, height, pixel) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) rows.set(pixel(x, y), row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** About 1.9 MB of noise: refused, over the 600 KB limit. */
export function noisePng() {
  const noise = randomBytes(800 * 800 * 3);
  return png(800, 800, (x, y) => noise.subarray((y * 800 + x) * 3, (y * 800 + x) * 3 + 3));
}

/** A small picture with a gradient: accepted. `blue` makes pictures that differ. */
export function smallPng(blue = 160) {
  return png(320, 240, (x, y) => [x % 256, y % 256, blue]);
}
