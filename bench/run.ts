/**
 * Coordinator-side building blocks the scenarios are made of: opening clients on the workers,
 * joining rooms, timed traffic phases with server/generator CPU sampled at the window's
 * edges, CHATHISTORY read phases, closing.
 */
import { now } from './clock.js';
import { Histogram } from './histogram.js';
import type {
  ClientSpec,
  CloseResult,
  JoinResult,
  OpenResult,
  ReadPlan,
  ReadsResult,
  SenderSpec,
  TrafficPlan,
  TrafficResult,
} from './messages.js';
import type { WorkerPool } from './pool.js';
import { machineBusy, ownCpu, readCpu } from './procfs.js';
import type { ServerInfo } from './server.js';

export interface Context {
  pool: WorkerPool;
  workers: number;
  server: ServerInfo;
  quick: boolean;
  /** Short random prefix of this run's nicks and rooms. */
  token: string;
  /** Global --duration / --warmup overrides (ms). */
  duration: number | null;
  warmup: number | null;
  /** Progress for people (stderr). */
  log(message: string): void;
  /** Which worker holds each client id. */
  workerOf: Map<number, number>;
  nextId: number;
  nextPhase: number;
}

/** Allocates client ids and nicks: `<token><tag><n in base 36>`. */
export function makeClients(
  ctx: Context,
  tag: string,
  count: number,
  extra: Partial<ClientSpec> = {},
): ClientSpec[] {
  const out: ClientSpec[] = [];
  for (let i = 0; i < count; i++) {
    const id = ctx.nextId++;
    out.push({ id, nick: `${ctx.token}${tag}${i.toString(36)}`, caps: [], ...extra });
  }
  return out;
}

export interface Opened {
  ok: number;
  failed: number;
  errors: string[];
  firstStart: number;
  lastDone: number;
  register: Histogram;
  refusedCaps: string[];
}

/**
 * Opens clients on the workers `assign` picks; `concurrency` and `rate` are totals, split
 * evenly between the workers that get clients.
 */
export async function openClients(
  ctx: Context,
  specs: ClientSpec[],
  assign: (spec: ClientSpec, index: number) => number,
  opts: { concurrency: number; rate: number; timeoutMs: number },
): Promise<Opened> {
  const byWorker: ClientSpec[][] = Array.from({ length: ctx.workers }, () => []);
  specs.forEach((spec, i) => {
    const w = assign(spec, i) % ctx.workers;
    ctx.workerOf.set(spec.id, w);
    byWorker[w]!.push(spec);
  });
  const used = byWorker.filter((b) => b.length > 0).length || 1;
  const results = await Promise.all(
    byWorker.map((clients, w) =>
      clients.length === 0
        ? null
        : ctx.pool.request<OpenResult>(w, {
            op: 'open',
            host: ctx.server.host,
            port: ctx.server.port,
            clients,
            concurrency: opts.concurrency > 0 ? Math.max(1, Math.ceil(opts.concurrency / used)) : 0,
            rate: opts.rate > 0 ? opts.rate / used : 0,
            timeoutMs: opts.timeoutMs,
          }),
    ),
  );
  const register = new Histogram();
  const out: Opened = {
    ok: 0,
    failed: 0,
    errors: [],
    firstStart: Number.POSITIVE_INFINITY,
    lastDone: 0,
    register,
    refusedCaps: [],
  };
  for (const r of results) {
    if (r === null) continue;
    out.ok += r.ok;
    out.failed += r.failed;
    out.errors.push(...r.errors);
    out.firstStart = Math.min(out.firstStart, r.firstStart);
    out.lastDone = Math.max(out.lastDone, r.lastDone);
    register.add(Histogram.from(r.registerMs));
    for (const c of r.refusedCaps) if (!out.refusedCaps.includes(c)) out.refusedCaps.push(c);
  }
  return out;
}

/** Opens clients and throws unless every one of them registered (and joined). */
export async function openAll(
  ctx: Context,
  specs: ClientSpec[],
  assign: (spec: ClientSpec, index: number) => number,
  opts: { concurrency: number; rate: number; timeoutMs: number },
): Promise<Opened> {
  const opened = await openClients(ctx, specs, assign, opts);
  if (opened.failed > 0) {
    throw new Error(
      `${opened.failed} of ${specs.length} clients failed: ${opened.errors.slice(0, 3).join('; ')}`,
    );
  }
  return opened;
}

export async function joinAll(ctx: Context, ids: number[], room: string, timeoutMs: number): Promise<void> {
  const byWorker = splitByWorker(ctx, ids);
  const results = await Promise.all(
    byWorker.map((list, w) =>
      list.length === 0
        ? null
        : ctx.pool.request<JoinResult>(w, { op: 'join', ids: list, room, concurrency: 16, timeoutMs }),
    ),
  );
  let failed = 0;
  const errors: string[] = [];
  for (const r of results) {
    if (r === null) continue;
    failed += r.failed;
    errors.push(...r.errors);
  }
  if (failed > 0)
    throw new Error(`${failed} clients could not join ${room}: ${errors.slice(0, 3).join('; ')}`);
}

export async function closeClients(
  ctx: Context,
  ids: number[] | 'all',
  how: 'quit' | 'destroy',
  timeoutMs = 10_000,
): Promise<void> {
  if (ids === 'all') {
    await ctx.pool.all<CloseResult>({ op: 'close', ids: 'all', how, timeoutMs });
    ctx.workerOf.clear();
    return;
  }
  const byWorker = splitByWorker(ctx, ids);
  await Promise.all(
    byWorker.map((list, w) =>
      list.length === 0 ? null : ctx.pool.request<CloseResult>(w, { op: 'close', ids: list, how, timeoutMs }),
    ),
  );
  for (const id of ids) ctx.workerOf.delete(id);
}

function splitByWorker(ctx: Context, ids: number[]): number[][] {
  const byWorker: number[][] = Array.from({ length: ctx.workers }, () => []);
  for (const id of ids) byWorker[ctx.workerOf.get(id) ?? 0]!.push(id);
  return byWorker;
}

// ------------------------------------------------------------------ traffic

export interface TrafficOptions {
  senders: Array<Omit<SenderSpec, 'sid' | 'worker'>>;
  mode: 'max' | 'paced';
  /** Total messages per second over all senders (paced mode). */
  rate: number;
  window: number;
  ack: 'deliveries' | 'echo';
  limit?: number;
  warmupMs: number;
  durationMs: number;
  size: number;
  samples?: boolean;
  drainMs?: number;
}

export interface TrafficSummary {
  windowS: number;
  sentInWindow: number;
  sentTotal: number;
  sentPerS: number;
  deliveredInWindow: number;
  deliveriesPerS: number;
  ackedInWindow: number;
  ackedTotal: number;
  ackedPerS: number;
  latency: Histogram;
  ackLatency: Histogram;
  undelivered: number;
  disconnects: number;
  drained: boolean;
  /** Server CPU (cores) and seconds per 1M deliveries over the window; null without a PID. */
  serverCpuUtil: number | null;
  serverCpuSPer1M: number | null;
  genCpuUtil: number;
  /** Busy CPU of everything else on the machine (cores): noise from other work. */
  otherBusyCores: number | null;
  /** [receive time, latency ms] pairs (shared clock) when asked for. */
  samples: Array<[number, number]>;
  t0: number;
  tStart: number;
  tEnd: number;
}

export interface TrafficHandle {
  tStart: number;
  /** Ends sending now (the window ends now too). */
  stop(): void;
  done: Promise<TrafficSummary>;
}

export function startTraffic(ctx: Context, opts: TrafficOptions): TrafficHandle {
  const s = opts.senders.length;
  const w = ctx.workers;
  const senders: SenderSpec[] = opts.senders.map((spec, sid) => ({
    ...spec,
    sid,
    worker: ctx.workerOf.get(spec.clientId) ?? 0,
  }));
  const phase = ctx.nextPhase++;
  const t0 = now() + 150;
  const tStart = t0 + opts.warmupMs;
  let tEnd = tStart + opts.durationMs;
  const plan: TrafficPlan = {
    phase,
    workers: w,
    senders,
    mode: opts.mode,
    ratePerSender: opts.mode === 'paced' ? opts.rate / Math.max(1, s) : 0,
    window: opts.window,
    ack: opts.ack,
    limit: opts.limit ?? 0,
    t0,
    tStart,
    tEnd,
    size: opts.size,
    drainTimeoutMs: opts.drainMs ?? 5000,
    samples: opts.samples ?? false,
    shared: {
      delivered: new SharedArrayBuffer(4 * w * Math.max(1, s)),
      sent: new SharedArrayBuffer(4 * Math.max(1, s)),
      blocked: new SharedArrayBuffer(4 * Math.max(1, s)),
      wake: new SharedArrayBuffer(4 * w),
      done: new SharedArrayBuffer(4 * w),
    },
  };
  const pid = ctx.server.pid;
  let cpuA: number | null = null;
  let genA = 0;
  let busyA: number | null = null;
  let atA = tStart;
  let cpuB: number | null = null;
  let genB = 0;
  let busyB: number | null = null;
  let atB = tEnd;
  let sampledEnd = false;
  const sampleStart = setTimeout(
    () => {
      atA = now();
      cpuA = readCpu(pid);
      genA = ownCpu();
      busyA = machineBusy();
    },
    Math.max(0, tStart - now()),
  );
  const sampleEnd = (): void => {
    if (sampledEnd) return;
    sampledEnd = true;
    atB = now();
    cpuB = readCpu(pid);
    genB = ownCpu();
    busyB = machineBusy();
  };
  let endTimer = setTimeout(sampleEnd, Math.max(0, tEnd - now()));
  const results = ctx.pool.all<TrafficResult>({ op: 'traffic', plan });
  const done = results
    .then((parts): TrafficSummary => {
      clearTimeout(sampleStart);
      clearTimeout(endTimer);
      sampleEnd();
      const latency = new Histogram();
      const ackLatency = new Histogram();
      const sum = {
        sentInWindow: 0,
        sentTotal: 0,
        deliveredInWindow: 0,
        ackedInWindow: 0,
        ackedTotal: 0,
        undelivered: 0,
        disconnects: 0,
      };
      let drained = true;
      const samples: Array<[number, number]> = [];
      for (const p of parts) {
        sum.sentInWindow += p.sentInWindow;
        sum.sentTotal += p.sentTotal;
        sum.deliveredInWindow += p.deliveredInWindow;
        sum.ackedInWindow += p.ackedInWindow;
        sum.ackedTotal += p.ackedTotal;
        sum.undelivered += p.undelivered;
        sum.disconnects += p.disconnects;
        drained &&= p.drained;
        latency.add(Histogram.from(p.latency));
        ackLatency.add(Histogram.from(p.ackLatency));
        for (let i = 0; i + 1 < p.samples.length; i += 2) samples.push([p.samples[i]!, p.samples[i + 1]!]);
      }
      samples.sort((a, b) => a[0] - b[0]);
      const windowS = Math.max(1e-6, (Math.min(tEnd, atB) - tStart) / 1000);
      const measured = Math.max(1e-6, (atB - atA) / 1000);
      const serverCpu = cpuA !== null && cpuB !== null ? cpuB - cpuA : null;
      const deliveriesPerS = sum.deliveredInWindow / windowS;
      return {
        windowS,
        sentInWindow: sum.sentInWindow,
        sentTotal: sum.sentTotal,
        sentPerS: sum.sentInWindow / windowS,
        deliveredInWindow: sum.deliveredInWindow,
        deliveriesPerS,
        ackedInWindow: sum.ackedInWindow,
        ackedTotal: sum.ackedTotal,
        ackedPerS: sum.ackedInWindow / windowS,
        latency,
        ackLatency,
        undelivered: sum.undelivered,
        disconnects: sum.disconnects,
        drained,
        serverCpuUtil: serverCpu === null ? null : serverCpu / measured,
        serverCpuSPer1M:
          serverCpu === null || sum.deliveredInWindow + sum.ackedInWindow === 0
            ? null
            : (serverCpu / measured / ((sum.deliveredInWindow + sum.ackedInWindow) / windowS)) * 1e6,
        genCpuUtil: (genB - genA) / measured,
        otherBusyCores:
          busyA === null || busyB === null || serverCpu === null
            ? null
            : Math.max(0, (busyB - busyA - serverCpu - (genB - genA)) / measured),
        samples,
        t0,
        tStart,
        tEnd,
      };
    })
    .finally(() => {
      clearTimeout(sampleStart);
      clearTimeout(endTimer);
    });
  return {
    tStart,
    stop() {
      const at = now();
      if (at >= tEnd) return;
      tEnd = at;
      clearTimeout(endTimer);
      endTimer = setTimeout(sampleEnd, 0);
      sampleEnd();
      void ctx.pool.all({ op: 'stop', phase, at }).catch(() => {});
    },
    done,
  };
}

export function runTraffic(ctx: Context, opts: TrafficOptions): Promise<TrafficSummary> {
  return startTraffic(ctx, opts).done;
}

// ------------------------------------------------------------------ reads

export interface ReadsSummary {
  windowS: number;
  readsPerS: number;
  linesPerS: number;
  readsInWindow: number;
  emptyReplies: number;
  failures: number;
  errors: string[];
  latency: Histogram;
  serverCpuUtil: number | null;
  genCpuUtil: number;
}

export async function runReads(
  ctx: Context,
  opts: Omit<ReadPlan, 'phase' | 't0' | 'tStart' | 'tEnd' | 'timeoutMs'> & {
    warmupMs: number;
    durationMs: number;
  },
): Promise<ReadsSummary> {
  const t0 = now() + 150;
  const tStart = t0 + opts.warmupMs;
  const tEnd = tStart + opts.durationMs;
  const byWorker = splitByWorker(ctx, opts.readers);
  const pid = ctx.server.pid;
  let cpuA: number | null = null;
  let genA = 0;
  let atA = tStart;
  const a = setTimeout(
    () => {
      atA = now();
      cpuA = readCpu(pid);
      genA = ownCpu();
    },
    Math.max(0, tStart - now()),
  );
  let cpuB: number | null = null;
  let genB = 0;
  let atB = tEnd;
  let sampledEnd = false;
  const sampleEnd = (): void => {
    if (sampledEnd) return;
    sampledEnd = true;
    atB = now();
    cpuB = readCpu(pid);
    genB = ownCpu();
  };
  const b = setTimeout(sampleEnd, Math.max(0, tEnd - now()));
  const parts = await Promise.all(
    byWorker.map((readers, w) =>
      readers.length === 0
        ? null
        : ctx.pool.request<ReadsResult>(w, {
            op: 'reads',
            plan: {
              phase: ctx.nextPhase++,
              readers,
              target: opts.target,
              limit: opts.limit,
              fromWall: opts.fromWall,
              toWall: opts.toWall,
              t0,
              tStart,
              tEnd,
              timeoutMs: opts.warmupMs + opts.durationMs + 30_000,
            },
          }),
    ),
  );
  clearTimeout(a);
  clearTimeout(b);
  sampleEnd();
  const latency = new Histogram();
  let reads = 0;
  let lines = 0;
  let empty = 0;
  let failures = 0;
  const errors: string[] = [];
  for (const p of parts) {
    if (p === null) continue;
    reads += p.readsInWindow;
    lines += p.linesInWindow;
    empty += p.emptyReplies;
    failures += p.failures;
    errors.push(...p.errors);
    latency.add(Histogram.from(p.latency));
  }
  const windowS = (tEnd - tStart) / 1000;
  const measured = Math.max(1e-6, (atB - atA) / 1000);
  return {
    windowS,
    readsPerS: reads / windowS,
    linesPerS: lines / windowS,
    readsInWindow: reads,
    emptyReplies: empty,
    failures,
    errors,
    latency,
    serverCpuUtil: cpuA !== null && cpuB !== null ? (cpuB - cpuA) / measured : null,
    genCpuUtil: (genB - genA) / measured,
  };
}
