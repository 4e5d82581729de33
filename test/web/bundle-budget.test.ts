/**
 * The web client's size budget (issue 6: 150 KB of JavaScript gzipped): `npm run build`
 * prints the figures and fails when the JavaScript goes over, so a heavy dependency cannot
 * slip in unnoticed. Runs the same script the build runs, on builds made up here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

function fakeBuild(jsBytes: Buffer): string {
  const dist = mkdtempSync(join(tmpdir(), 'tertulia-web-dist-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'assets', 'index-abc123.js'), jsBytes);
  writeFileSync(join(dist, 'assets', 'index-abc123.css'), 'body{margin:0}');
  writeFileSync(join(dist, 'sw.js'), 'self.addEventListener("push", () => {});');
  return dist;
}

function sizeScript(dist: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['scripts/web-size.mjs'], {
    env: { ...process.env, TERTULIA_WEB_DIST: dist },
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('web client size budget', () => {
  test('a build under 150 KB gzipped passes and prints its size', () => {
    const r = sizeScript(fakeBuild(Buffer.from('console.log("hola");'.repeat(1000))));
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /web client: JavaScript [\d.]+ KB gzipped \([\d.]+ KB raw; budget 150\.0 KB\)/);
  });

  test('JavaScript over 150 KB gzipped fails the build, naming both sizes', () => {
    // Random bytes do not compress: 200 KB stays about 200 KB gzipped.
    const r = sizeScript(fakeBuild(randomBytes(200 * 1024)));
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /over its budget: 2\d\d\.\d KB > 150\.0 KB/);
  });
});
