/**
 * Smoke test of `npm run bench`: a --quick run (every scenario tiny, against a tertulia the
 * bench starts itself) must print one well-formed JSON line per scenario, the table, and
 * write an HTML report with a chart. It checks the output's shape only, never a timing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

// This file runs as dist/test/bench/smoke.test.js; the bench is compiled next to it.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const main = join(root, 'dist', 'bench', 'main.js');

const dir = mkdtempSync(join(tmpdir(), 'tertulia-bench-smoke-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Results every scenario must report as numbers. */
const NUMERIC: Record<string, string[]> = {
  idle: [
    'clients_registered',
    'connect_register_per_s',
    'register_p50_ms',
    'register_p99_ms',
    'rss_bytes_per_conn',
    'server_cpu_us_per_conn',
  ],
  fanout: [
    'sent_per_s',
    'deliveries_per_s',
    'p50_ms',
    'p99_ms',
    'p999_ms',
    'server_cpu_util',
    'gen_cpu_util',
    'undelivered',
  ],
  privmsg: ['msgs_per_s', 'sent_per_s', 'p50_ms', 'p99_ms', 'p999_ms', 'server_cpu_util'],
  history: [
    'durable_per_s',
    'ack_p50_ms',
    'ack_p99_ms',
    'ack_p999_ms',
    'deliveries_per_s',
    'server_cpu_util',
  ],
  chathistory: ['reads_per_s', 'messages_per_s', 'p50_ms', 'p99_ms', 'fill_messages', 'server_cpu_util'],
  reconnect: [
    'storm_clients',
    'storm_ms',
    'storm_clients_per_s',
    'storm_join_p99_ms',
    'bg_p99_ms_before',
    'bg_p99_ms_during',
  ],
  slowreaders: [
    'slow_clients',
    'slow_dropped',
    'slow_dropped_budget',
    'p50_ms',
    'p99_ms',
    'rss_baseline_mb',
    'rss_peak_mb',
    'rss_after_mb',
    'rss_after_growth_mb',
  ],
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBench(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('npm run bench -- --quick prints a table, a JSON line per scenario and an HTML report', async () => {
  assert.ok(existsSync(main), `${main} is missing: build first (npx tsc -p tsconfig.json)`);
  const html = join(dir, 'report.html');
  const json = join(dir, 'results.jsonl');
  // Two worker threads, so the cross-thread flow control and aggregation are exercised.
  const run = await runBench([
    '--quick',
    '--workers',
    '2',
    '--out-dir',
    join(dir, 'run'),
    '--html',
    html,
    '--json',
    json,
  ]);
  assert.equal(run.code, 0, `bench exited with ${run.code}\n${run.stderr}\n${run.stdout}`);

  const lines = run.stdout.split('\n').filter((l) => l.startsWith('{"scenario"'));
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    records.map((r) => r['scenario']),
    Object.keys(NUMERIC),
    'one JSON line per scenario, in order',
  );
  for (const r of records) {
    const name = r['scenario'] as string;
    for (const key of ['server', 'params', 'results']) {
      assert.equal(typeof r[key], 'object', `${name}: "${key}" is an object`);
    }
    assert.equal(r['ok'], true, `${name} failed: ${String(r['error'])}`);
    const server = r['server'] as Record<string, unknown>;
    assert.equal(server['kind'], 'tertulia');
    assert.equal(typeof server['pid'], 'number');
    const results = r['results'] as Record<string, unknown>;
    for (const key of NUMERIC[name]!) {
      const v = results[key];
      // Finite numbers only: a tiny run may even see RSS shrink (idle's per-connection figure).
      assert.ok(typeof v === 'number' && Number.isFinite(v), `${name}.${key} is a number, got ${v}`);
    }
  }
  const fanout = records[1]!['results'] as { ladder: Array<Record<string, unknown>> };
  assert.ok(
    Array.isArray(fanout.ladder) && fanout.ladder.length >= 2,
    'fanout has a ladder of offered rates',
  );
  for (const point of fanout.ladder) {
    for (const key of ['offered', 'deliveries_per_s', 'p50_ms', 'p99_ms']) {
      assert.equal(typeof point[key], 'number', `ladder point ${key}`);
    }
  }

  // The table: a header and one row per scenario.
  assert.match(run.stdout, /^\| scenario +\| parameters +\| result +\|/m);
  for (const name of Object.keys(NUMERIC)) {
    assert.match(run.stdout, new RegExp(`^\\| ${name} +\\|`, 'm'), `table row for ${name}`);
  }

  // --json appends the same lines.
  const appended = readFileSync(json, 'utf8').trim().split('\n');
  assert.deepEqual(appended, lines);

  // The HTML report: self-contained, with inline SVG charts.
  const page = readFileSync(html, 'utf8');
  assert.match(page, /^<!doctype html>/);
  assert.match(page, /<svg[^>]*>[\s\S]*<polyline/);
  assert.doesNotMatch(page, /<script|https?:\/\/(?!www\.w3\.org)/);
});
