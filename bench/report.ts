/**
 * Output: a table for people, one JSON line per scenario for scripts, and a self-contained
 * HTML report with inline SVG charts (no scripts, no external resources).
 */
import type { Chart, LadderPoint, Params, ResultValue } from './scenarios.js';
import type { ServerInfo } from './server.js';

export interface ScenarioRecord {
  scenario: string;
  server: ServerInfo;
  /** capacity: CPUs the generator's worker threads can use at once (for the saturation flag). */
  generator: { workers: number; cpus: string | null; capacity: number; node: string };
  date: string;
  ok: boolean;
  error?: string;
  params: Params;
  results: Record<string, ResultValue>;
  charts: Chart[];
}

/** The JSON line (charts left out: the ladder is in the results already). */
export function jsonLine(r: ScenarioRecord): string {
  const { charts: _charts, ...rest } = r;
  return JSON.stringify({
    scenario: rest.scenario,
    server: rest.server,
    params: rest.params,
    results: rest.results,
    ok: rest.ok,
    ...(rest.error === undefined ? {} : { error: rest.error }),
    date: rest.date,
    generator: rest.generator,
  });
}

// ------------------------------------------------------------------ numbers for people

export function fmtRate(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)} k`;
  return Math.round(x).toLocaleString('en-US');
}

function fmtMs(x: ResultValue | undefined): string {
  if (typeof x !== 'number') return '—';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function num(r: Record<string, ResultValue>, key: string): number | null {
  const v = r[key];
  return typeof v === 'number' ? v : null;
}

function paramText(p: Params): string {
  return Object.entries(p)
    .filter(([k]) => !['warmup', 'size', 'ladder', 'rates', 'ladder_duration', 'settle'].includes(k))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('/') : v}`)
    .join(' ');
}

/** One table row: headline figure, latency, server CPU. */
function summarize(r: ScenarioRecord): [string, string, string] {
  if (!r.ok) return [`FAILED: ${r.error ?? 'unknown error'}`, '', ''];
  const x = r.results;
  const cpu = (): string => {
    const util = num(x, 'server_cpu_util');
    const per = num(x, 'server_cpu_s_per_1m_deliveries');
    if (util === null) return '—';
    return `${util.toFixed(2)} cores${per === null ? '' : `, ${per.toFixed(2)} s/1M`}`;
  };
  const lat = (prefix = ''): string =>
    `${fmtMs(x[`${prefix}p50_ms`])} / ${fmtMs(x[`${prefix}p99_ms`])} / ${fmtMs(x[`${prefix}p999_ms`])} ms`;
  switch (r.scenario) {
    case 'idle': {
      const rss = num(x, 'rss_bytes_per_conn');
      return [
        `${fmtRate(num(x, 'clients_registered'))} conns, ${fmtRate(num(x, 'connect_register_per_s'))} reg/s, ${
          rss === null ? '—' : rss.toLocaleString('en-US')
        } B RSS/conn`,
        `register ${fmtMs(x['register_p50_ms'])} / ${fmtMs(x['register_p99_ms'])} ms`,
        (() => {
          const us = num(x, 'server_cpu_us_per_conn');
          return us === null ? '—' : `${us} µs/conn`;
        })(),
      ];
    }
    case 'fanout':
      return [
        `${fmtRate(num(x, 'deliveries_per_s'))} deliveries/s (${fmtRate(num(x, 'sent_per_s'))} msgs/s in)`,
        lat(),
        cpu(),
      ];
    case 'privmsg':
      return [`${fmtRate(num(x, 'msgs_per_s'))} msgs/s`, lat(), cpu()];
    case 'history':
      return [
        `${fmtRate(num(x, 'durable_per_s'))} durable msgs/s (${String(x['database'] ?? '?')}), ${fmtRate(
          num(x, 'deliveries_per_s'),
        )} deliveries/s`,
        `ack ${lat('ack_')}`,
        (() => {
          const util = num(x, 'server_cpu_util');
          const per = num(x, 'server_cpu_s_per_1m_durable');
          return util === null
            ? '—'
            : `${util.toFixed(2)} cores${per === null ? '' : `, ${per.toFixed(1)} s/1M msgs`}`;
        })(),
      ];
    case 'chathistory':
      return [
        `${fmtRate(num(x, 'reads_per_s'))} reads/s, ${fmtRate(num(x, 'messages_per_s'))} msgs/s read`,
        lat(),
        cpu(),
      ];
    case 'reconnect':
      return [
        `${fmtRate(num(x, 'storm_clients'))} clients in ${fmtMs(x['storm_ms'])} ms (${fmtRate(
          num(x, 'storm_clients_per_s'),
        )}/s)`,
        `other room p99 ${fmtMs(x['bg_p99_ms_before'])} → ${fmtMs(x['bg_p99_ms_during'])} ms (max ${fmtMs(
          x['bg_max_ms_during'],
        )})`,
        (() => {
          const s = num(x, 'server_cpu_s_storm');
          return s === null ? '—' : `${s} s CPU`;
        })(),
      ];
    case 'slowreaders':
      return [
        `${fmtRate(num(x, 'slow_dropped'))} of ${fmtRate(num(x, 'slow_clients'))} slow readers dropped (${fmtRate(
          num(x, 'slow_dropped_budget'),
        )} by the budget, all by ${fmtMs(x['all_dropped_s'])} s); RSS ${fmtMs(x['rss_baseline_mb'])} → peak ${fmtMs(
          x['rss_peak_mb'],
        )} → after ${fmtMs(x['rss_after_mb'])} MB`,
        `normal readers ${lat()}`,
        (() => {
          const util = num(x, 'server_cpu_util');
          const s = num(x, 'server_cpu_s_flood');
          return util === null ? '—' : `${util.toFixed(2)} cores${s === null ? '' : `, ${s} s in all`}`;
        })(),
      ];
    default:
      return ['', '', ''];
  }
}

/** Whether the generator itself was (nearly) saturated, so the figure is a lower bound. */
export function generatorSaturated(r: ScenarioRecord): boolean {
  const gen = num(r.results, 'gen_cpu_util');
  return gen !== null && gen >= 0.9 * Math.max(1, r.generator.capacity);
}

export function table(records: ScenarioRecord[]): string {
  const head = ['scenario', 'parameters', 'result', 'latency p50 / p99 / p99.9', 'server CPU'];
  const rows = records.map((r) => {
    const [result, latency, cpu] = summarize(r);
    return [r.scenario, paramText(r.params), `${result}${generatorSaturated(r) ? ' ⚠' : ''}`, latency, cpu];
  });
  const saturated = records.some(generatorSaturated);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const out = [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
  if (saturated) out.push('⚠ the generator used ≥ 90 % of its CPUs: the server may be faster than shown.');
  return out.join('\n');
}

// ------------------------------------------------------------------ HTML

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const W = 760;
const H = 400;
const M = { left: 64, right: 150, top: 36, bottom: 52 };

function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) ticks.push(v);
    }
  }
  return ticks;
}

function niceTicks(max: number, count = 6): number[] {
  if (max <= 0) return [0];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  dots: boolean;
}

/** A line chart with a linear x axis and a logarithmic y axis (latency in ms). */
function svgChart(opts: {
  title: string;
  xLabel: string;
  series: Series[];
  span?: { from: number; to: number; label: string };
}): string {
  const all = opts.series.flatMap((s) => s.points);
  const ys = all.map((p) => p[1]).filter((y) => y > 0);
  const xs = all.map((p) => p[0]);
  const xMax = Math.max(1e-9, ...xs, opts.span?.to ?? 0) * 1.05;
  const yLo = ys.length === 0 ? 0.1 : 10 ** Math.floor(Math.log10(Math.min(...ys)));
  const yHi = ys.length === 0 ? 10 : 10 ** Math.ceil(Math.log10(Math.max(...ys) * 1.01));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const X = (x: number): number => M.left + (x / xMax) * pw;
  const Y = (y: number): number =>
    M.top +
    ph -
    ((Math.log10(Math.max(y, yLo)) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * ph;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(opts.title)}">`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(opts.title)}</text>`,
  );
  if (opts.span !== undefined) {
    const x1 = X(opts.span.from);
    const x2 = Math.max(X(opts.span.to), x1 + 1);
    parts.push(
      `<rect x="${x1.toFixed(1)}" y="${M.top}" width="${(x2 - x1).toFixed(1)}" height="${ph}" fill="#f4c542" fill-opacity="0.25"/>`,
      `<text x="${((x1 + x2) / 2).toFixed(1)}" y="${M.top + 14}" text-anchor="middle" font-size="11">${esc(opts.span.label)}</text>`,
    );
  }
  for (const t of logTicks(yLo, yHi)) {
    const y = Y(t).toFixed(1);
    parts.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${t}</text>`,
    );
  }
  for (const t of niceTicks(xMax / 1.05)) {
    const x = X(t).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/>`,
      `<text x="${x}" y="${M.top + ph + 16}" text-anchor="middle" font-size="11">${t.toLocaleString('en-US')}</text>`,
    );
  }
  parts.push(
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle" font-size="12">${esc(opts.xLabel)}</text>`,
    `<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">latency, ms (log scale)</text>`,
  );
  opts.series.forEach((s, i) => {
    const pts = s.points.filter((p) => p[1] > 0);
    if (pts.length > 0) {
      const d = pts.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ');
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${d}"/>`);
      if (s.dots) {
        for (const p of pts) {
          parts.push(
            `<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="3.5" fill="${s.color}"/>`,
          );
        }
      }
    }
    const ly = M.top + 10 + i * 20;
    parts.push(
      `<line x1="${W - M.right + 14}" x2="${W - M.right + 38}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="3"/>`,
      `<text x="${W - M.right + 44}" y="${ly}" dominant-baseline="middle" font-size="12">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function ladderChart(title: string, points: LadderPoint[]): string {
  const sorted = [...points].sort((a, b) => a.offered - b.offered);
  const pick = (key: 'p50_ms' | 'p99_ms' | 'p999_ms'): Array<[number, number]> =>
    sorted.filter((p) => p[key] !== null).map((p) => [p.offered, p[key] as number]);
  const svg = svgChart({
    title,
    xLabel: 'offered load, messages/s into the room (last point: closed-loop max)',
    series: [
      { name: 'p50', color: '#1f77b4', points: pick('p50_ms'), dots: true },
      { name: 'p99', color: '#ff7f0e', points: pick('p99_ms'), dots: true },
      { name: 'p99.9', color: '#d62728', points: pick('p999_ms'), dots: true },
    ],
  });
  const rows = sorted
    .map(
      (p) =>
        `<tr><td>${p.offered.toLocaleString('en-US')}</td><td>${p.sent_per_s.toLocaleString('en-US')}</td><td>${p.deliveries_per_s.toLocaleString(
          'en-US',
        )}</td><td>${fmtMs(p.p50_ms)}</td><td>${fmtMs(p.p99_ms)}</td><td>${fmtMs(p.p999_ms)}</td></tr>`,
    )
    .join('\n');
  return `${svg}
<table><tr><th>offered msgs/s</th><th>sent msgs/s</th><th>deliveries/s</th><th>p50 ms</th><th>p99 ms</th><th>p99.9 ms</th></tr>
${rows}</table>`;
}

function timelineChart(
  title: string,
  points: Array<[number, number]>,
  span: { from: number; to: number; label: string },
): string {
  // Points are binned so the chart stays small: the median and the maximum of each bin.
  const end = Math.max(span.to, ...points.map((p) => p[0]), 1e-3);
  const bins = 200;
  const width = end / bins;
  const groups: number[][] = Array.from({ length: bins + 1 }, () => []);
  for (const [t, lat] of points) groups[Math.min(bins, Math.floor(t / width))]!.push(lat);
  const median: Array<[number, number]> = [];
  const max: Array<[number, number]> = [];
  groups.forEach((g, i) => {
    if (g.length === 0) return;
    g.sort((a, b) => a - b);
    const t = (i + 0.5) * width;
    median.push([t, g[Math.floor((g.length - 1) / 2)]!]);
    max.push([t, g[g.length - 1]!]);
  });
  return svgChart({
    title,
    xLabel: 'seconds since the measurement started',
    series: [
      { name: 'median', color: '#1f77b4', points: median, dots: false },
      { name: 'max', color: '#d62728', points: max, dots: false },
    ],
    span,
  });
}

export function html(records: ScenarioRecord[], meta: { started: string; command: string }): string {
  const server = records[0]?.server;
  const sections = records.map((r) => {
    const results = Object.entries(r.results)
      .filter(([, v]) => !Array.isArray(v))
      .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v === null ? '—' : String(v))}</td></tr>`)
      .join('\n');
    const charts = r.charts
      .map((c) =>
        c.kind === 'ladder' ? ladderChart(c.title, c.points) : timelineChart(c.title, c.points, c.span),
      )
      .join('\n');
    return `<section>
<h2>${esc(r.scenario)} ${r.ok ? '' : '<span class="bad">FAILED</span>'}</h2>
<p class="params">${esc(paramText(r.params))}</p>
${r.error === undefined ? '' : `<p class="bad">${esc(r.error)}</p>`}
${charts}
<table class="kv">${results}</table>
</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tertulia bench report</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 980px; color: #222; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; }
td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; }
.bad { color: #b00; font-weight: bold; }
.params { color: #555; font-family: monospace; }
section { border-top: 1px solid #ddd; margin-top: 1.5em; }
</style></head><body>
<h1>tertulia bench report</h1>
<p>Started ${esc(meta.started)}. Server: ${esc(
    server === undefined
      ? '?'
      : `${server.kind} at ${server.host}:${server.port}${server.pid === null ? '' : ` (pid ${server.pid})`}${
          server.database === null ? '' : `, ${server.database}`
        }${server.cpus === null ? '' : `, pinned to CPU ${server.cpus}`}`,
  )}.</p>
<pre>${esc(meta.command)}${server?.command == null ? '' : `\n${esc(server.command)}`}</pre>
<h2>Summary</h2>
<pre>${esc(table(records))}</pre>
${sections.join('\n')}
</body></html>
`;
}
