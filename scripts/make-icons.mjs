// Draws the app icons (web/public/icon-192.png, icon-512.png) from the shapes of
// web/public/favicon.svg: a teal rounded square with a white speech bubble. Run it after
// changing the logo; the PNGs are committed (home-screen installs want PNG icons).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

const TEAL = [15, 118, 110];
const WHITE = [255, 255, 255];

/** Inside a rounded rectangle (x0,y0)-(x1,y1) with corner radius r (64-unit coordinates). */
function inRoundRect(x, y, x0, y0, x1, y1, r) {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/** Inside the bubble's tail: the triangle (20,43) (30,43) (20,52). */
function inTail(x, y) {
  return x >= 20 && y >= 43 && y <= 52 && (x - 20) / 10 + (y - 43) / 9 <= 1;
}

function pixel(x, y, maskable) {
  // A maskable icon fills its square (the launcher cuts its own shape).
  if (!maskable && !inRoundRect(x, y, 0, 0, 64, 64, 14)) return null;
  if (inRoundRect(x, y, 10, 18, 54, 44, 6) || inTail(x, y)) return WHITE;
  return TEAL;
}

function png(size, maskable) {
  const samples = 4; // 4×4 supersampling for smooth edges
  const rows = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < samples; sy++)
        for (let sx = 0; sx < samples; sx++) {
          let x = ((px + (sx + 0.5) / samples) / size) * 64;
          let y = ((py + (sy + 0.5) / samples) / size) * 64;
          if (maskable) {
            // Keep the bubble inside the 80% safe zone.
            x = 32 + (x - 32) / 0.8;
            y = 32 + (y - 32) / 0.8;
          }
          const c = pixel(x, y, maskable);
          if (c === null) continue;
          r += c[0];
          g += c[1];
          b += c[2];
          a += 1;
        }
      const n = samples * samples;
      const o = 1 + px * 4;
      if (a > 0) {
        row[o] = Math.round(r / a);
        row[o + 1] = Math.round(g / a);
        row[o + 2] = Math.round(b / a);
      }
      row[o + 3] = Math.round((a / n) * 255);
    }
    rows.push(row);
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const out = (name) => fileURLToPath(new URL(`../web/public/${name}`, import.meta.url));
writeFileSync(out('icon-192.png'), png(192, false));
writeFileSync(out('icon-512.png'), png(512, false));
writeFileSync(out('icon-maskable-512.png'), png(512, true));
console.log('wrote web/public/icon-192.png, icon-512.png, icon-maskable-512.png');
