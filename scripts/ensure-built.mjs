// `npm start` runs this first: it builds the server (dist/) and the web client (web/dist/)
// when either is missing, so a fresh checkout starts with one command.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const missing = [join(root, 'dist', 'src', 'cli', 'main.js'), join(root, 'web', 'dist', 'index.html')].filter(
  (p) => !existsSync(p),
);
if (missing.length > 0) {
  console.log('building tertulia (missing: %s)', missing.map((p) => p.slice(root.length + 1)).join(', '));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
