/**
 * The scenarios. Each one is bounded in count and time, runs on loopback, cleans up its
 * clients and returns one result: its parameters, numeric results, and chart data for the
 * HTML report.
 */
import net from 'node:net';
import { now, sleep, sleepUntil } from './clock.js';
import { type Histogram, quantileOf } from './histogram.js';
import { ownCpu, readCpu, readRss, readTcpCounters } from './procfs.js';
import {
  type Context,
  closeClients,
  joinAll,
  makeClients,
  openAll,
  openClients,
  runReads,
  runTraffic,
  startTraffic,
  type TrafficSummary,
} from './run.js';

export type ParamValue = number | number[];
export type Params = Record<string, ParamValue>;

export interface LadderPoint {
  offered: number;
  sent_per_s: number;
  deliveries_per_s: number;
  p50_ms: number | null;
  p99_ms: number | null;
  p999_ms: number | null;
}

export type Chart =
  | { kind: 'ladder'; title: string; points: LadderPoint[] }
  | {
      kind: 'timeline';
      title: string;
      /** [seconds from start, latency ms]. */
      points: Array<[number, number]>;
      span: { from: number; to: number; label: string };
    };

export type ResultValue = number | null | string | LadderPoint[];

export interface ScenarioOutcome {
  results: Record<string, ResultValue>;
  charts: Chart[];
}

interface ParamDef {
  full: ParamValue;
  quick: ParamValue;
  help: string;
}

export interface ScenarioDef {
  name: string;
  summary: string;
  params: Record<string, ParamDef>;
  run(ctx: Context, p: Resolved): Promise<ScenarioOutcome>;
}

/** Parameter values of one run, read as numbers or lists. */
export class Resolved {
  constructor(readonly values: Params) {}
  n(name: string): number {
    const v = this.values[name];
    if (typeof v !== 'number') throw new Error(`parameter ${name} is not a number`);
    return v;
  }
  list(name: string): number[] {
    const v = this.values[name];
    return Array.isArray(v) ? v : typeof v === 'number' ? [v] : [];
  }
}

const timing = {
  warmup: { full: 2000, quick: 100, help: 'ms of traffic before the measurement window' },
  duration: { full: 10_000, quick: 300, help: 'ms of the measurement window' },
  size: { full: 64, quick: 64, help: 'bytes of message text' },
};

const ms = (h: Histogram, q: number): number | null => h.ms(q);

function latencyFields(prefix: string, h: Histogram): Record<string, number | null> {
  return {
    [`${prefix}p50_ms`]: ms(h, 0.5),
    [`${prefix}p90_ms`]: ms(h, 0.9),
    [`${prefix}p99_ms`]: ms(h, 0.99),
    [`${prefix}p999_ms`]: ms(h, 0.999),
    [`${prefix}max_ms`]: h.count === 0 ? null : Math.round(h.max) / 1000,
  };
}

function trafficFields(t: TrafficSummary): Record<string, number | null> {
  return {
    window_s: round(t.windowS, 3),
    sent_per_s: Math.round(t.sentPerS),
    deliveries_per_s: Math.round(t.deliveriesPerS),
    ...latencyFields('', t.latency),
    server_cpu_util: t.serverCpuUtil === null ? null : round(t.serverCpuUtil, 3),
    server_cpu_s_per_1m_deliveries: t.serverCpuSPer1M === null ? null : round(t.serverCpuSPer1M, 3),
    gen_cpu_util: round(t.genCpuUtil, 3),
    other_busy_cores: t.otherBusyCores === null ? null : round(t.otherBusyCores, 2),
    undelivered: t.undelivered,
    disconnects: t.disconnects,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function check(t: TrafficSummary, what: string): void {
  if (t.disconnects > 0) throw new Error(`${what}: ${t.disconnects} clients were disconnected`);
}

const roundRobin = (_: unknown, i: number): number => i;

// ------------------------------------------------------------------ idle

const idle: ScenarioDef = {
  name: 'idle',
  summary: 'N registered idle connections: connect+register rate, server RSS per connection',
  params: {
    clients: { full: 10_000, quick: 50, help: 'idle connections' },
    concurrency: { full: 200, quick: 20, help: 'registrations in flight (closed loop; 0 = all at once)' },
    rate: { full: 0, quick: 0, help: 'new connections per second, open loop (0 = closed loop)' },
    settle: { full: 2000, quick: 100, help: 'ms to wait before reading RSS' },
  },
  async run(ctx, p) {
    const n = p.n('clients');
    const sources = ctx.server.host.startsWith('127.') ? Math.ceil(n / 20_000) : 1;
    const specs = makeClients(ctx, 'i', n).map((s, i) =>
      sources > 1 ? { ...s, localAddress: `127.0.0.${1 + (i % sources)}` } : s,
    );
    const pid = ctx.server.pid;
    const rssBefore = readRss(pid);
    const cpuBefore = readCpu(pid);
    const tcpBefore = readTcpCounters();
    const opened = await openClients(ctx, specs, roundRobin, {
      concurrency: p.n('concurrency'),
      rate: p.n('rate'),
      timeoutMs: 60_000 + n * 20,
    });
    const cpuAfter = readCpu(pid);
    const tcpAfter = readTcpCounters();
    await sleep(p.n('settle'));
    const rssAfter = readRss(pid);
    await closeClients(ctx, 'all', 'quit', 15_000);
    if (opened.failed > 0)
      throw new Error(`${opened.failed} of ${n} failed: ${opened.errors.slice(0, 3).join('; ')}`);
    const spanS = (opened.lastDone - opened.firstStart) / 1000;
    return {
      results: {
        clients_registered: opened.ok,
        connect_register_per_s: spanS > 0 ? Math.round(opened.ok / spanS) : null,
        register_p50_ms: opened.register.ms(0.5),
        register_p99_ms: opened.register.ms(0.99),
        rss_before_bytes: rssBefore,
        rss_after_bytes: rssAfter,
        rss_bytes_per_conn:
          rssBefore === null || rssAfter === null ? null : Math.round((rssAfter - rssBefore) / opened.ok),
        server_cpu_us_per_conn:
          cpuBefore === null || cpuAfter === null
            ? null
            : round(((cpuAfter - cpuBefore) / opened.ok) * 1e6, 1),
        listen_overflows:
          tcpBefore === null || tcpAfter === null
            ? null
            : tcpAfter.listenOverflows - tcpBefore.listenOverflows,
      },
      charts: [],
    };
  },
};

// ------------------------------------------------------------------ fanout

const fanout: ScenarioDef = {
  name: 'fanout',
  summary:
    'C members in one room, S of them sending: deliveries/s and latency, then a ladder of offered rates',
  params: {
    members: { full: 1000, quick: 20, help: 'room members (C)' },
    senders: { full: 10, quick: 3, help: 'members that send (S)' },
    rate: {
      full: 0,
      quick: 0,
      help: 'offered messages/s into the room for the main run (0 = max: closed loop)',
    },
    window: {
      full: 4,
      quick: 4,
      help: 'max mode: messages in flight per sender until every member has them',
    },
    ladder: {
      full: [0.1, 0.25, 0.5, 0.75, 0.9],
      quick: [0.25, 0.5, 0.9],
      help: 'offered rates for the latency curve, as fractions of the main run rate ("/"-separated)',
    },
    rates: {
      full: [],
      quick: [],
      help: 'extra absolute offered rates (msgs/s, "/"-separated) for the curve',
    },
    ladder_duration: { full: 4000, quick: 150, help: 'ms of each ladder step (after its warmup)' },
    ...timing,
  },
  async run(ctx, p) {
    const c = p.n('members');
    const s = Math.min(p.n('senders'), c);
    const room = `#${ctx.token}f${ctx.nextPhase}`;
    const specs = makeClients(ctx, 'f', c);
    const ids = specs.map((x) => x.id);
    try {
      await openAll(ctx, specs, roundRobin, { concurrency: 100, rate: 0, timeoutMs: 60_000 + c * 20 });
      await joinAll(ctx, ids, room, 60_000 + c * 20);
      const senders = ids.slice(0, s).map((id) => ({
        clientId: id,
        target: room,
        receivers: ids.filter((r) => r !== id),
      }));
      const base = {
        senders,
        window: p.n('window'),
        ack: 'deliveries' as const,
        size: p.n('size'),
      };
      const rate = p.n('rate');
      ctx.log(`fanout: ${c} members, ${s} senders, ${rate === 0 ? 'max' : `${rate} msgs/s`}`);
      const main = await runTraffic(ctx, {
        ...base,
        mode: rate === 0 ? 'max' : 'paced',
        rate,
        warmupMs: p.n('warmup'),
        durationMs: p.n('duration'),
      });
      check(main, 'fanout');
      const points: LadderPoint[] = [];
      const offeredRates = [
        ...p.list('ladder').map((f) => Math.max(1, Math.round(f * main.sentPerS))),
        ...p.list('rates'),
      ].sort((a, b) => a - b);
      for (const offered of offeredRates) {
        ctx.log(`fanout: ladder step ${offered} msgs/s`);
        const t = await runTraffic(ctx, {
          ...base,
          mode: 'paced',
          rate: offered,
          warmupMs: Math.min(p.n('warmup'), 1000),
          durationMs: p.n('ladder_duration'),
        });
        check(t, 'fanout ladder');
        points.push(point(offered, t));
      }
      points.push(point(rate === 0 ? Math.round(main.sentPerS) : rate, main));
      return {
        results: { ...trafficFields(main), ladder: points },
        charts: [
          {
            kind: 'ladder',
            title: `fanout: ${c} members, ${s} senders — delivery latency against offered load`,
            points,
          },
        ],
      };
    } finally {
      await closeClients(ctx, ids, 'quit');
    }
  },
};

function point(offered: number, t: TrafficSummary): LadderPoint {
  return {
    offered,
    sent_per_s: Math.round(t.sentPerS),
    deliveries_per_s: Math.round(t.deliveriesPerS),
    p50_ms: t.latency.ms(0.5),
    p99_ms: t.latency.ms(0.99),
    p999_ms: t.latency.ms(0.999),
  };
}

// ------------------------------------------------------------------ privmsg

const privmsg: ScenarioDef = {
  name: 'privmsg',
  summary: 'P pairs of clients messaging each other privately: msgs/s and latency',
  params: {
    pairs: { full: 50, quick: 5, help: 'client pairs (P); both clients of a pair send' },
    rate: { full: 0, quick: 0, help: 'total offered msgs/s (0 = max: closed loop)' },
    window: { full: 16, quick: 16, help: 'max mode: messages in flight per sender' },
    ...timing,
  },
  async run(ctx, p) {
    const pairs = p.n('pairs');
    const specs = makeClients(ctx, 'p', pairs * 2);
    const ids = specs.map((x) => x.id);
    try {
      // Both clients of a pair live on the same worker, so their flow control is local.
      await openAll(ctx, specs, (_, i) => Math.floor(i / 2), {
        concurrency: 100,
        rate: 0,
        timeoutMs: 60_000,
      });
      const senders = specs.map((spec, i) => {
        const peer = specs[i ^ 1]!;
        return { clientId: spec.id, target: peer.nick, receivers: [peer.id] };
      });
      const rate = p.n('rate');
      const t = await runTraffic(ctx, {
        senders,
        mode: rate === 0 ? 'max' : 'paced',
        rate,
        window: p.n('window'),
        ack: 'deliveries',
        size: p.n('size'),
        warmupMs: p.n('warmup'),
        durationMs: p.n('duration'),
      });
      check(t, 'privmsg');
      return { results: { ...trafficFields(t), msgs_per_s: Math.round(t.deliveriesPerS) }, charts: [] };
    } finally {
      await closeClients(ctx, ids, 'quit');
    }
  },
};

// ------------------------------------------------------------------ history

const history: ScenarioDef = {
  name: 'history',
  summary: 'S senders in a room, each sending as fast as the server acknowledges (echo-message = durable)',
  params: {
    senders: { full: 10, quick: 10, help: 'senders, all members of the room' },
    window: { full: 1, quick: 1, help: 'messages a sender sends before waiting for their echoes' },
    ...timing,
  },
  async run(ctx, p) {
    const n = p.n('senders');
    const room = `#${ctx.token}h${ctx.nextPhase}`;
    const specs = makeClients(ctx, 'h', n, { caps: ['echo-message'] });
    const ids = specs.map((x) => x.id);
    try {
      const opened = await openAll(ctx, specs, roundRobin, { concurrency: 50, rate: 0, timeoutMs: 60_000 });
      if (opened.refusedCaps.includes('echo-message'))
        throw new Error('the server does not offer echo-message');
      await joinAll(ctx, ids, room, 60_000);
      const t = await runTraffic(ctx, {
        // With echo-message each sender receives its own message too: that echo is the ack.
        senders: ids.map((id) => ({ clientId: id, target: room, receivers: ids })),
        mode: 'max',
        rate: 0,
        window: p.n('window'),
        ack: 'echo',
        size: p.n('size'),
        warmupMs: p.n('warmup'),
        durationMs: p.n('duration'),
      });
      check(t, 'history');
      return {
        results: {
          durable_per_s: Math.round(t.ackedPerS),
          ...latencyFields('ack_', t.ackLatency),
          ...trafficFields(t),
          server_cpu_s_per_1m_durable:
            t.serverCpuUtil === null || t.ackedPerS === 0
              ? null
              : round((t.serverCpuUtil / t.ackedPerS) * 1e6, 3),
          database: ctx.server.database,
        },
        charts: [],
      };
    } finally {
      await closeClients(ctx, ids, 'quit');
    }
  },
};

// ------------------------------------------------------------------ chathistory

const chathistory: ScenarioDef = {
  name: 'chathistory',
  summary: 'CHATHISTORY LATEST/BEFORE reads per second on a pre-filled room',
  params: {
    fill: { full: 20_000, quick: 300, help: 'messages stored in the room before reading' },
    readers: { full: 10, quick: 3, help: 'reading clients, each with one request in flight' },
    limit: { full: 50, quick: 20, help: 'messages asked for per request' },
    warmup: { full: 1000, quick: 100, help: 'ms of reads before the measurement window' },
    duration: timing.duration,
  },
  async run(ctx, p) {
    const room = `#${ctx.token}c${ctx.nextPhase}`;
    const filler = makeClients(ctx, 'c', 1, { caps: ['echo-message'] });
    const readers = makeClients(ctx, 'r', p.n('readers'), { caps: ['batch', 'draft/chathistory'] });
    const all = [...filler, ...readers].map((x) => x.id);
    try {
      const f = await openAll(ctx, filler, roundRobin, { concurrency: 1, rate: 0, timeoutMs: 30_000 });
      if (f.refusedCaps.length > 0) throw new Error('the server does not offer echo-message');
      await joinAll(ctx, [filler[0]!.id], room, 30_000);
      const fromWall = Date.now();
      const fill = await runTraffic(ctx, {
        senders: [{ clientId: filler[0]!.id, target: room, receivers: [filler[0]!.id] }],
        mode: 'max',
        rate: 0,
        window: 64,
        ack: 'echo',
        limit: p.n('fill'),
        size: 64,
        warmupMs: 0,
        durationMs: 120_000,
        drainMs: 30_000,
      });
      const toWall = Date.now();
      if (fill.ackedTotal < p.n('fill'))
        throw new Error(`only ${fill.ackedTotal} of ${p.n('fill')} fill messages were acknowledged`);
      ctx.log(`chathistory: ${fill.ackedTotal} messages stored; reading`);
      const r = await openAll(ctx, readers, roundRobin, { concurrency: 20, rate: 0, timeoutMs: 30_000 });
      if (r.refusedCaps.length > 0) throw new Error(`the server does not offer ${r.refusedCaps.join(', ')}`);
      await joinAll(
        ctx,
        readers.map((x) => x.id),
        room,
        30_000,
      );
      const reads = await runReads(ctx, {
        readers: readers.map((x) => x.id),
        target: room,
        limit: p.n('limit'),
        fromWall,
        toWall,
        warmupMs: p.n('warmup'),
        durationMs: p.n('duration'),
      });
      if (reads.failures > 0) throw new Error(`${reads.failures} reads failed: ${reads.errors.join('; ')}`);
      return {
        results: {
          reads_per_s: Math.round(reads.readsPerS),
          messages_per_s: Math.round(reads.linesPerS),
          ...latencyFields('', reads.latency),
          empty_replies: reads.emptyReplies,
          server_cpu_util: reads.serverCpuUtil === null ? null : round(reads.serverCpuUtil, 3),
          gen_cpu_util: round(reads.genCpuUtil, 3),
          fill_messages: fill.ackedTotal,
          fill_durable_per_s: Math.round(fill.ackedTotal / Math.max(1e-3, (toWall - fromWall) / 1000)),
        },
        charts: [],
      };
    } finally {
      await closeClients(ctx, all, 'quit');
    }
  },
};

// ------------------------------------------------------------------ reconnect

const reconnect: ScenarioDef = {
  name: 'reconnect',
  summary:
    'a storm of K clients connecting, registering and joining one room at once, while an unrelated room talks',
  params: {
    clients: { full: 5000, quick: 100, help: 'clients in the storm (K)' },
    bg_members: { full: 20, quick: 5, help: 'members of the unrelated room' },
    bg_senders: { full: 2, quick: 2, help: 'members of the unrelated room that send' },
    bg_rate: { full: 200, quick: 400, help: 'messages/s offered in the unrelated room' },
    baseline: { full: 2000, quick: 200, help: 'ms of unrelated-room traffic measured before the storm' },
    after: { full: 1000, quick: 100, help: 'ms of traffic kept after the storm completes' },
  },
  async run(ctx, p) {
    const bgRoom = `#${ctx.token}b${ctx.nextPhase}`;
    const stormRoom = `#${ctx.token}s${ctx.nextPhase}`;
    const bg = makeClients(ctx, 'b', p.n('bg_members'));
    const bgIds = bg.map((x) => x.id);
    const k = p.n('clients');
    const storm = makeClients(ctx, 's', k, { join: stormRoom });
    const stormIds = storm.map((x) => x.id);
    // The unrelated room lives on worker 0; with more workers, the storm runs on the others so
    // that handling it does not delay the generator's own latency readings.
    const stormWorker = (_: unknown, i: number): number =>
      ctx.workers > 1 ? 1 + (i % (ctx.workers - 1)) : 0;
    try {
      await openAll(ctx, bg, () => 0, { concurrency: 50, rate: 0, timeoutMs: 30_000 });
      await joinAll(ctx, bgIds, bgRoom, 30_000);
      const senders = bgIds.slice(0, Math.min(p.n('bg_senders'), bgIds.length)).map((id) => ({
        clientId: id,
        target: bgRoom,
        receivers: bgIds.filter((r) => r !== id),
      }));
      const traffic = startTraffic(ctx, {
        senders,
        mode: 'paced',
        rate: p.n('bg_rate'),
        window: 1,
        ack: 'deliveries',
        size: 64,
        warmupMs: 0,
        durationMs: 600_000,
        samples: true,
      });
      await sleepUntil(traffic.tStart + p.n('baseline'));
      const tcpBefore = readTcpCounters();
      const cpuBefore = readCpu(ctx.server.pid);
      const genBefore = ownCpu();
      ctx.log(`reconnect: ${k} clients connect and join at once`);
      const opened = await openClients(ctx, storm, stormWorker, {
        concurrency: 0,
        rate: 0,
        timeoutMs: 120_000,
      });
      const cpuAfter = readCpu(ctx.server.pid);
      const genAfter = ownCpu();
      const tcpAfter = readTcpCounters();
      await sleep(p.n('after'));
      traffic.stop();
      const t = await traffic.done;
      const stormStart = opened.firstStart;
      const stormEnd = opened.lastDone;
      const before: number[] = [];
      const during: number[] = [];
      // A message is "during" the storm if it was in flight at any moment of it (sent before
      // the storm ended, received after it began): a short storm may see no message arrive
      // inside it, but the ones it delayed still count.
      for (const [at, lat] of t.samples) {
        if (at < t.tStart) continue;
        if (at < stormStart) before.push(lat);
        else if (at - lat <= stormEnd) during.push(lat);
      }
      before.sort((a, b) => a - b);
      during.sort((a, b) => a - b);
      const r3 = (x: number | null): number | null => (x === null ? null : round(x, 3));
      const origin = t.tStart;
      if (opened.failed > 0)
        throw new Error(
          `${opened.failed} of ${k} storm clients failed: ${opened.errors.slice(0, 3).join('; ')}`,
        );
      check(t, 'reconnect (unrelated room)');
      const stormS = (stormEnd - stormStart) / 1000;
      return {
        results: {
          storm_clients: opened.ok,
          storm_ms: round(stormEnd - stormStart, 1),
          storm_clients_per_s: stormS > 0 ? Math.round(opened.ok / stormS) : null,
          storm_join_p50_ms: opened.register.ms(0.5),
          storm_join_p99_ms: opened.register.ms(0.99),
          server_cpu_s_storm: cpuBefore === null || cpuAfter === null ? null : round(cpuAfter - cpuBefore, 3),
          gen_cpu_s_storm: round(genAfter - genBefore, 3),
          listen_overflows:
            tcpBefore === null || tcpAfter === null
              ? null
              : tcpAfter.listenOverflows - tcpBefore.listenOverflows,
          bg_deliveries_during: during.length,
          bg_p50_ms_before: r3(quantileOf(before, 0.5)),
          bg_p99_ms_before: r3(quantileOf(before, 0.99)),
          bg_p50_ms_during: r3(quantileOf(during, 0.5)),
          bg_p99_ms_during: r3(quantileOf(during, 0.99)),
          bg_max_ms_during: r3(during.length === 0 ? null : (during[during.length - 1] ?? null)),
        },
        charts: [
          {
            kind: 'timeline',
            title: `reconnect: latency in an unrelated room (${p.n('bg_members')} members, ${p.n('bg_rate')} msgs/s) during a storm of ${k} clients`,
            points: t.samples
              .filter(([at]) => at >= origin)
              .map(([at, lat]): [number, number] => [round((at - origin) / 1000, 4), round(lat, 3)]),
            span: {
              from: round((stormStart - origin) / 1000, 4),
              to: round((stormEnd - origin) / 1000, 4),
              label: `storm: ${k} clients`,
            },
          },
        ],
      };
    } finally {
      await closeClients(ctx, stormIds, 'destroy');
      await closeClients(ctx, bgIds, 'quit');
    }
  },
};

// ------------------------------------------------------------------ slowreaders

/**
 * A member of the room opened from the coordinator thread with a plain socket (the workers'
 * clients always read): it registers and joins, and then either never reads again (`slow`:
 * its socket is paused, so the kernel's buffers fill, then the server's queue) or reads
 * everything and notes, from the QUIT lines it sees, when and why each slow reader was
 * dropped (`watch`). A paused socket cannot tell it was closed, so the drops are counted
 * from what the room was told, as any member would see them.
 */
interface RawMember {
  socket: net.Socket;
  /** Slow readers' nick → when (ms, `now()`) and why the room saw them quit. */
  quits: Map<string, { at: number; reason: string }>;
}

function openRawMember(
  host: string,
  port: number,
  nick: string,
  room: string,
  mode: 'slow' | 'watch',
): Promise<RawMember> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const member: RawMember = { socket, quits: new Map() };
    let text = '';
    let joined = false;
    const timer = setTimeout(() => fail(new Error(`${nick}: no end of NAMES within 30 s`)), 30_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.on('error', (err) => {
      if (!joined) fail(err);
    });
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      let nl = text.indexOf('\n');
      while (nl !== -1) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        const words = line.split(' ');
        if (words[0] === 'PING') socket.write(`PONG ${words[1] ?? ''}\r\n`);
        else if (words[1] === '001') socket.write(`JOIN ${room}\r\n`);
        else if (words[1] === '366') {
          clearTimeout(timer);
          joined = true;
          socket.off('data', onData);
          if (mode === 'slow')
            socket.pause(); // from here on it never reads
          else watchQuits(member, text);
          resolve(member);
          return;
        } else if (words[0] === 'ERROR') {
          fail(new Error(`${nick}: ${line}`));
          return;
        }
        nl = text.indexOf('\n');
      }
    };
    socket.on('data', onData);
    socket.write(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`);
  });
}

const QUIT_MARK = Buffer.from(' QUIT ');
const PING_MARK = Buffer.from('PING ');

/**
 * Reads the room's flood (about 1 MB/s) cheaply: only lines holding " QUIT " or starting
 * with PING are decoded; everything else is skipped by a native search.
 */
function watchQuits(member: RawMember, pending: string): void {
  let rest: Buffer = Buffer.from(pending, 'latin1');
  member.socket.on('data', (chunk: Buffer) => {
    const buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    const last = buf.lastIndexOf(0x0a);
    if (last === -1) {
      rest = Buffer.from(buf);
      return;
    }
    rest = Buffer.from(buf.subarray(last + 1));
    const at = now();
    for (let hit = buf.indexOf(QUIT_MARK); hit !== -1 && hit < last; hit = buf.indexOf(QUIT_MARK, hit + 1)) {
      const start = buf.lastIndexOf(0x0a, hit) + 1;
      const line = buf.toString('utf8', start, buf.indexOf(0x0a, hit)).replace(/\r$/, '');
      // `:nick!user@host QUIT :reason` (no capabilities were asked for, so no tags)
      const m = /^:([^! ]+)\S* QUIT :?(.*)$/.exec(line);
      if (m !== null && !member.quits.has(m[1]!)) member.quits.set(m[1]!, { at, reason: m[2]! });
    }
    for (let hit = buf.indexOf(PING_MARK); hit !== -1 && hit < last; hit = buf.indexOf(PING_MARK, hit + 1)) {
      const start = buf.lastIndexOf(0x0a, hit) + 1;
      const line = buf.toString('latin1', start, buf.indexOf(0x0a, hit)).replace(/\r$/, '');
      // `PING token` or `:server PING token` (the server's PINGs may carry its name)
      const m = /^(?::\S+ )?PING (.*)$/.exec(line);
      if (m !== null) member.socket.write(`PONG ${m[1]}\r\n`);
    }
  });
}

const MB = 1048576;

const slowreaders: ScenarioDef = {
  name: 'slowreaders',
  summary:
    "K clients join a busy room and never read while it is flooded: server RSS before, at its peak and after they are dropped, how many were dropped and why, and the normal readers' latency",
  params: {
    slow: { full: 1000, quick: 20, help: 'clients that join and never read (K)' },
    readers: { full: 5, quick: 2, help: 'normal readers in the room (latency measured)' },
    senders: { full: 4, quick: 2, help: 'members that send' },
    rate: { full: 2000, quick: 400, help: 'offered messages/s into the room' },
    size: { full: 330, quick: 330, help: 'bytes of message text' },
    warmup: { full: 1000, quick: 100, help: 'ms of traffic before the measurement window' },
    duration: { full: 15_000, quick: 1500, help: 'ms of flooding (the measurement window)' },
    after: { full: 5000, quick: 500, help: 'ms of RSS readings after the flood stops' },
    sample: { full: 250, quick: 100, help: 'ms between RSS readings' },
  },
  async run(ctx, p) {
    const room = `#${ctx.token}w${ctx.nextPhase}`;
    const readerSpecs = makeClients(ctx, 'r', p.n('readers') + p.n('senders'));
    const ids = readerSpecs.map((x) => x.id);
    const senderIds = ids.slice(0, p.n('senders'));
    const readerIds = ids.slice(p.n('senders'));
    const slow: RawMember[] = [];
    const slowNick = (j: number): string => `${ctx.token}z${j.toString(36)}`;
    let watch: RawMember | null = null;
    const pid = ctx.server.pid;
    const { host, port } = ctx.server;
    try {
      await openAll(ctx, readerSpecs, roundRobin, { concurrency: 50, rate: 0, timeoutMs: 30_000 });
      await joinAll(ctx, ids, room, 30_000);
      watch = await openRawMember(host, port, `${ctx.token}q`, room, 'watch');
      const k = p.n('slow');
      ctx.log(`slowreaders: ${k} clients join ${room} and stop reading`);
      for (let i = 0; i < k; i += 50) {
        const batch = [];
        for (let j = i; j < Math.min(k, i + 50); j++)
          batch.push(openRawMember(host, port, slowNick(j), room, 'slow'));
        slow.push(...(await Promise.all(batch)));
      }
      await sleep(500);
      const rssBaseline = readRss(pid);
      const cpuBefore = readCpu(pid);
      const curve: Array<[number, number]> = [];
      const origin = now();
      const sampler = setInterval(() => {
        const rss = readRss(pid);
        if (rss !== null) curve.push([round((now() - origin) / 1000, 2), round(rss / MB, 1)]);
      }, p.n('sample'));
      ctx.log(`slowreaders: flooding at ${p.n('rate')} msgs/s × ${p.n('size')} B`);
      const t = await runTraffic(ctx, {
        senders: senderIds.map((id) => ({ clientId: id, target: room, receivers: readerIds })),
        mode: 'paced',
        rate: p.n('rate'),
        window: 1,
        ack: 'deliveries',
        size: p.n('size'),
        warmupMs: p.n('warmup'),
        durationMs: p.n('duration'),
        drainMs: 30_000,
        samples: true,
      });
      const floodEnd = now();
      await sleep(p.n('after'));
      clearInterval(sampler);
      const rssAfter = readRss(pid);
      const cpuAfter = readCpu(pid);
      ctx.log(`slowreaders: server RSS (s:MB) ${curve.map(([at, mb]) => `${at}:${mb}`).join(' ')}`);
      const peak = curve.reduce((m, [, mb]) => Math.max(m, mb), 0);
      const base = rssBaseline === null ? null : rssBaseline / MB;
      const drops = [...slow.keys()].map((j) => watch!.quits.get(slowNick(j))).filter((q) => q !== undefined);
      const byReason = (r: string): number => drops.filter((q) => q.reason === r).length;
      const dropTimes = drops.map((q) => q.at).sort((a, b) => a - b);
      const sinceFlood = (at: number | undefined): number | null =>
        at === undefined ? null : round((at - origin) / 1000, 2);
      check(t, 'slowreaders (normal readers)');
      // The normal readers' worst latency per second since the flood began, and per 100 ms for the chart.
      const worstBy = (ms: number): Array<[number, number]> => {
        const worst = new Map<number, number>();
        for (const [at, lat] of t.samples) {
          const slot = Math.floor((at - origin) / ms);
          if (slot >= 0) worst.set(slot, Math.max(worst.get(slot) ?? 0, lat));
        }
        return [...worst]
          .sort((a, b) => a[0] - b[0])
          .map(([slot, lat]) => [round((slot * ms) / 1000, 2), round(lat, 1)]);
      };
      return {
        results: {
          slow_clients: k,
          slow_dropped: drops.length,
          slow_dropped_budget: byReason('SendQ exceeded (server output budget)'),
          slow_dropped_sendq: byReason('SendQ exceeded'),
          first_dropped_s: sinceFlood(dropTimes[0]),
          all_dropped_s: drops.length === k ? sinceFlood(dropTimes[dropTimes.length - 1]) : null,
          sent_per_s: Math.round(t.sentPerS),
          deliveries_per_s: Math.round(t.deliveriesPerS),
          ...latencyFields('', t.latency),
          undelivered: t.undelivered,
          rss_baseline_mb: base === null ? null : round(base, 1),
          rss_peak_mb: peak,
          rss_growth_mb: base === null ? null : round(peak - base, 1),
          rss_after_mb: rssAfter === null ? null : round(rssAfter / MB, 1),
          rss_after_growth_mb: base === null || rssAfter === null ? null : round(rssAfter / MB - base, 1),
          rss_curve_mb: curve.map(([at, mb]) => `${at}s:${mb}`).join(' '),
          worst_latency_by_s_ms: worstBy(1000)
            .map(([at, ms]) => `${at}s:${Math.round(ms)}`)
            .join(' '),
          flood_s: round((floodEnd - origin) / 1000, 2),
          server_cpu_util: t.serverCpuUtil === null ? null : round(t.serverCpuUtil, 3),
          // What the whole flood and its aftermath cost the server, however little CPU it got.
          server_cpu_s_flood: cpuBefore === null || cpuAfter === null ? null : round(cpuAfter - cpuBefore, 2),
          gen_cpu_util: round(t.genCpuUtil, 3),
        },
        charts: [
          {
            kind: 'timeline',
            title: `slowreaders: normal readers' worst latency per 100 ms while ${k} members never read (${p.n('rate')} msgs/s × ${p.n('size')} B)`,
            points: worstBy(100),
            span: {
              from: dropTimes.length === 0 ? 0 : round((dropTimes[0]! - origin) / 1000, 2),
              to: dropTimes.length === 0 ? 0 : round((dropTimes[dropTimes.length - 1]! - origin) / 1000, 2),
              label: `${drops.length} slow readers dropped`,
            },
          },
        ],
      };
    } finally {
      for (const c of slow) c.socket.destroy();
      watch?.socket.destroy();
      await closeClients(ctx, ids, 'quit');
    }
  },
};

export const SCENARIOS: ScenarioDef[] = [idle, fanout, privmsg, history, chathistory, reconnect, slowreaders];

/** Parses `name` or `name:key=value,key=value` (lists with "/"), starting from the defaults. */
export function resolveScenario(
  spec: string,
  quick: boolean,
  overrides: { duration: number | null; warmup: number | null },
): { def: ScenarioDef; params: Params } {
  const [name, rest] = spec.split(':', 2) as [string, string | undefined];
  const def = SCENARIOS.find((d) => d.name === name);
  if (def === undefined) {
    throw new Error(`unknown scenario "${name}" (known: ${SCENARIOS.map((d) => d.name).join(', ')})`);
  }
  const params: Params = {};
  for (const [key, d] of Object.entries(def.params)) params[key] = quick ? d.quick : d.full;
  if (overrides.duration !== null && 'duration' in def.params) params['duration'] = overrides.duration;
  if (overrides.warmup !== null && 'warmup' in def.params) params['warmup'] = overrides.warmup;
  for (const item of (rest ?? '').split(',')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq);
    const d = def.params[key];
    if (d === undefined) {
      throw new Error(
        `scenario ${name} has no parameter "${key}" (it has: ${Object.keys(def.params).join(', ')})`,
      );
    }
    const text = eq === -1 ? '' : item.slice(eq + 1);
    if (Array.isArray(d.full)) {
      const values = text === '' ? [] : text.split('/').map(Number);
      if (values.some((v) => !Number.isFinite(v) || v < 0))
        throw new Error(`${name}.${key}: expected numbers separated by "/"`);
      params[key] = values;
    } else {
      const v = Number(text);
      if (text === '' || !Number.isFinite(v) || v < 0)
        throw new Error(`${name}.${key}: expected a number ≥ 0, got "${text}"`);
      params[key] = v;
    }
  }
  return { def, params };
}
