// Prints the web client's size as browsers download it (gzip), and fails the build when
// the JavaScript goes over its budget (issue 6: 150 KB gzipped).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_JS_GZIP = 150 * 1024;
// TERTULIA_WEB_DIST points at another build (the budget's own test uses it).
const dist =
  process.env.TERTULIA_WEB_DIST ?? join(fileURLToPath(new URL('.', import.meta.url)), '..', 'web', 'dist');
const dir = join(dist, 'assets');
let js = 0;
let jsRaw = 0;
let css = 0;
for (const name of readdirSync(dir)) {
  const body = readFileSync(join(dir, name));
  const gz = gzipSync(body, { level: 9 }).length;
  if (name.endsWith('.js')) {
    js += gz;
    jsRaw += body.length;
  } else if (name.endsWith('.css')) css += gz;
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(
  `web client: JavaScript ${kb(js)} gzipped (${kb(jsRaw)} raw; budget ${kb(BUDGET_JS_GZIP)}), CSS ${kb(css)} gzipped`,
);
// The service worker is fetched once when the app registers it, not with each page.
const sw = readFileSync(join(dir, '..', 'sw.js'));
console.log(`service worker: ${kb(gzipSync(sw, { level: 9 }).length)} gzipped (${kb(sw.length)} raw)`);
if (js > BUDGET_JS_GZIP) {
  console.error(`web client JavaScript is over its budget: ${kb(js)} > ${kb(BUDGET_JS_GZIP)}`);
  process.exit(1);
}
