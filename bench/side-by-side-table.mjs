// Prints the issue-16 table from bench/side-by-side.sh's results: one row per figure, one
// column per server (median over repetitions), then tertulia's ratio to InspIRCd and ergo.
//   node bench/side-by-side-table.mjs results.jsonl inspircd ergo floor tertulia
import { readFileSync } from 'node:fs';

const [file, ...servers] = process.argv.slice(2);
const runs = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l));

const median = (xs) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
const pick = (server, config, f) =>
  median(
    runs
      .filter((r) => r.server === server && r.config === config)
      .map((r) => f(r.run))
      .filter((x) => typeof x === 'number' && Number.isFinite(x)),
  );

const rate = (r) => r.delivered_per_s;
const cpuPerDelivery = (r) =>
  r.server_cpu_util > 0 && r.delivered_per_s > 0 ? (r.server_cpu_util / r.delivered_per_s) * 1e6 : null;
const p99 = (r) => r.latency_us_p99 / 1000;
const rss = (r) => r.rss_bytes_per_conn / 1024;

const fmtRate = (x) =>
  x === null
    ? '—'
    : x >= 1e6
      ? `${(x / 1e6).toFixed(2)} M`
      : x >= 1e3
        ? `${(x / 1e3).toFixed(1)} k`
        : x.toFixed(0);
const fmt = (digits, unit) => (x) => (x === null ? '—' : `${x.toFixed(digits)}${unit}`);

const rows = [
  ['private messages, 50 pairs: msgs/s', 'privmsg-50', rate, fmtRate, 'higher'],
  ['&nbsp;&nbsp;server CPU per message', 'privmsg-50', cpuPerDelivery, fmt(2, ' µs'), 'lower'],
  ['private messages, 500 pairs: msgs/s', 'privmsg-500', rate, fmtRate, 'higher'],
  ['&nbsp;&nbsp;server CPU per message', 'privmsg-500', cpuPerDelivery, fmt(2, ' µs'), 'lower'],
  ['private messages, 20k msgs/s offered: p99', 'privmsg-20k', p99, fmt(2, ' ms'), 'lower'],
  ['fan-out, 100 members: deliveries/s', 'fanout-100', rate, fmtRate, 'higher'],
  ['&nbsp;&nbsp;server CPU per delivery', 'fanout-100', cpuPerDelivery, fmt(2, ' µs'), 'lower'],
  ['fan-out, 1000 members: deliveries/s', 'fanout-1000', rate, fmtRate, 'higher'],
  ['&nbsp;&nbsp;server CPU per delivery', 'fanout-1000', cpuPerDelivery, fmt(2, ' µs'), 'lower'],
  ['fan-out 1000, 200 msgs/s offered: p99', 'fanout-1000-200', p99, fmt(1, ' ms'), 'lower'],
  ['RSS per idle connection (10k)', 'conn-10k', rss, fmt(1, ' KB'), 'lower'],
];

const names = { inspircd: 'InspIRCd', ergo: 'ergo', floor: 'Node floor', tertulia: 'tertulia' };
const head = ['scenario', ...servers.map((s) => names[s] ?? s), 'tertulia ÷ InspIRCd', 'tertulia ÷ ergo'];
console.log(`| ${head.join(' | ')} |`);
console.log(
  `| --- |${head
    .slice(1)
    .map(() => ' ---: |')
    .join('')}`,
);
for (const [title, config, f, show, better] of rows) {
  const values = servers.map((s) => pick(s, config, f));
  const t = pick('tertulia', config, f);
  const ratio = (peer) => {
    const v = pick(peer, config, f);
    if (t === null || v === null || v === 0) return '—';
    return `${(better === 'higher' ? t / v : v / t).toFixed(2)}×`;
  };
  console.log(`| ${title} | ${values.map(show).join(' | ')} | ${ratio('inspircd')} | ${ratio('ergo')} |`);
}
console.log('\nRatios: > 1× means tertulia is better (faster, or less CPU, latency or memory).');
