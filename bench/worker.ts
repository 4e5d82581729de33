/**
 * A load-generating worker thread. It holds its share of the connections and runs what the
 * coordinator asks: open (connect + register [+ join]), join, traffic (timed message load with
 * latency measurement), reads (CHATHISTORY load) and close.
 *
 * Flow control across workers goes through shared memory: each worker counts the deliveries
 * its clients received per sender in its own row of a SharedArrayBuffer, so a sender knows
 * at once how many of its messages every receiver, in any thread, has seen. A sender blocked
 * on receivers in another thread raises a flag; the receiving thread then bumps the sender's
 * worker's wake word and `Atomics.notify`s it, which resolves that worker's `Atomics.waitAsync`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Client, type ClientSink } from './client.js';
import { now } from './clock.js';
import { Histogram } from './histogram.js';
import type {
  CloseCommand,
  CloseResult,
  JoinCommand,
  JoinResult,
  OpenCommand,
  OpenResult,
  ReadPlan,
  ReadsResult,
  Reply,
  Request,
  TrafficPlan,
  TrafficResult,
} from './messages.js';

/** Atomics.waitAsync (ES2024; in Node since 16) is not in the ES2023 lib this project compiles against. */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeout: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

const me: number = (workerData as { index: number }).index;
const clients = new Map<number, Client>();

// ------------------------------------------------------------------ traffic

interface LocalSender {
  sid: number;
  client: Client;
  /** Receivers per message. */
  r: number;
  head: string;
  sent: number;
  acked: number;
  finished: boolean;
  /** Paced mode: shared-clock ms of the first scheduled send. */
  startAt: number;
}

class Traffic {
  readonly plan: TrafficPlan;
  private readonly s: number;
  private readonly delivered: Int32Array;
  private readonly sentShared: Int32Array;
  private readonly blocked: Int32Array;
  private readonly wake: Int32Array;
  private readonly done: Int32Array;
  private readonly row: number;
  private readonly bySid: Array<LocalSender | undefined>;
  private readonly senders: LocalSender[] = [];
  private readonly home: Int32Array;
  /** Receivers of each sender's messages held by this worker. */
  private readonly localReceivers: Int32Array;
  private readonly touched: Uint8Array;
  private readonly touchedList: number[] = [];
  private readonly pad: string;
  private tEnd: number;
  private sendingStopped = false;
  private stopTimer: NodeJS.Timeout | null = null;
  private paceTimer: NodeJS.Timeout | null = null;
  private finishResolve: ((r: TrafficResult) => void) | null = null;

  private sentInWindow = 0;
  private sentTotal = 0;
  private deliveredInWindow = 0;
  private deliveredTotal = 0;
  private ackedInWindow = 0;
  private ackedTotal = 0;
  private disconnects = 0;
  private readonly latency = new Histogram();
  private readonly ackLatency = new Histogram();
  private readonly samples: number[] = [];

  constructor(plan: TrafficPlan) {
    this.plan = plan;
    this.s = plan.senders.length;
    this.delivered = new Int32Array(plan.shared.delivered);
    this.sentShared = new Int32Array(plan.shared.sent);
    this.blocked = new Int32Array(plan.shared.blocked);
    this.wake = new Int32Array(plan.shared.wake);
    this.done = new Int32Array(plan.shared.done);
    this.row = me * this.s;
    this.bySid = new Array<LocalSender | undefined>(this.s);
    this.home = new Int32Array(this.s);
    this.localReceivers = new Int32Array(this.s);
    this.touched = new Uint8Array(this.s);
    this.tEnd = plan.tEnd;
    for (const spec of plan.senders) {
      this.home[spec.sid] = spec.worker;
      let local = 0;
      for (const id of spec.receivers) if (clients.has(id)) local++;
      this.localReceivers[spec.sid] = local;
      if (spec.worker !== me) continue;
      const client = clients.get(spec.clientId);
      if (client === undefined) throw new Error(`sender ${spec.clientId} is not on worker ${me}`);
      const ls: LocalSender = {
        sid: spec.sid,
        client,
        r: spec.receivers.length,
        head: `PRIVMSG ${spec.target} :!b ${plan.phase} ${spec.sid} `,
        sent: 0,
        acked: 0,
        finished: false,
        startAt: plan.t0 + (plan.ratePerSender > 0 ? Math.random() * (1000 / plan.ratePerSender) : 0),
      };
      this.bySid[spec.sid] = ls;
      this.senders.push(ls);
    }
    // Text: "!b <phase> <sid> <ms.µs>" then padding up to `size` bytes.
    const sample = `!b ${plan.phase} ${this.s} ${now().toFixed(3)} `;
    this.pad = ` ${'x'.repeat(Math.max(0, plan.size - sample.length - 1))}`;
  }

  run(): Promise<TrafficResult> {
    return new Promise((resolve) => {
      this.finishResolve = resolve;
      const begin = (): void => {
        if (this.plan.mode === 'paced') {
          this.paceTimer = setInterval(() => this.pace(), 1);
        } else {
          for (const ls of this.senders) this.pump(ls);
          if (this.plan.workers > 1 && this.plan.ack === 'deliveries' && this.senders.length > 0) {
            void this.wakeLoop();
          }
        }
      };
      if (this.senders.length === 0) this.stopSending();
      else setTimeout(begin, Math.max(0, this.plan.t0 - now()));
      this.armStop();
    });
  }

  /** Ends sending at `at` (shared clock) if that is earlier than planned. */
  stopAt(at: number): void {
    if (at >= this.tEnd) return;
    this.tEnd = at;
    this.armStop();
  }

  private armStop(): void {
    if (this.stopTimer !== null) clearTimeout(this.stopTimer);
    if (this.sendingStopped) return;
    this.stopTimer = setTimeout(() => this.stopSending(), Math.max(0, this.tEnd - now()));
  }

  private canSend(ls: LocalSender): boolean {
    if (this.plan.ack === 'echo') return ls.sent - ls.acked < this.plan.window;
    let total = 0;
    for (let w = 0; w < this.plan.workers; w++) total += Atomics.load(this.delivered, w * this.s + ls.sid);
    return ls.sent * ls.r - total < this.plan.window * ls.r;
  }

  private send(ls: LocalSender): void {
    const t = now();
    ls.client.write(`${ls.head}${t.toFixed(3)}${this.pad}\r\n`);
    ls.sent++;
    Atomics.store(this.sentShared, ls.sid, ls.sent);
    this.sentTotal++;
    if (t >= this.plan.tStart && t <= this.tEnd) this.sentInWindow++;
    if (this.plan.limit > 0 && ls.sent >= this.plan.limit) {
      ls.finished = true;
      if (this.senders.every((x) => x.finished)) this.stopSending();
    }
  }

  /** max mode: sends while the window allows. */
  private pump(ls: LocalSender): void {
    if (this.sendingStopped || ls.finished || ls.client.state !== 'registered') return;
    if (now() >= this.tEnd) {
      this.stopSending();
      return;
    }
    for (;;) {
      while (!ls.finished && !this.sendingStopped && this.canSend(ls)) this.send(ls);
      if (ls.finished || this.sendingStopped || this.plan.ack === 'echo' || this.plan.workers === 1) return;
      // Blocked on deliveries, perhaps in other threads: raise the flag, then look again so
      // that a delivery counted in between is not missed.
      Atomics.store(this.blocked, ls.sid, 1);
      if (!this.canSend(ls)) return;
      Atomics.store(this.blocked, ls.sid, 0);
    }
  }

  private async wakeLoop(): Promise<void> {
    while (!this.sendingStopped) {
      const seen = Atomics.load(this.wake, me);
      for (const ls of this.senders) this.pump(ls);
      if (this.sendingStopped) return;
      const r = waitAsync(this.wake, me, seen, 20);
      if (r.async) await r.value;
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** paced mode: sends what each sender's schedule says is due (bounded by 1 s of backlog). */
  private pace(): void {
    const t = now();
    if (t >= this.tEnd) {
      this.stopSending();
      return;
    }
    const rate = this.plan.ratePerSender;
    const cap = Math.max(this.plan.window, Math.ceil(rate));
    for (const ls of this.senders) {
      if (ls.finished || t < ls.startAt || ls.client.state !== 'registered') continue;
      const due = Math.floor(((t - ls.startAt) * rate) / 1000) + 1;
      while (ls.sent < due && !ls.finished) {
        if (this.plan.ack === 'echo' ? ls.sent - ls.acked >= cap : !this.withinCap(ls, cap)) break;
        this.send(ls);
      }
    }
  }

  private withinCap(ls: LocalSender, cap: number): boolean {
    let total = 0;
    for (let w = 0; w < this.plan.workers; w++) total += Atomics.load(this.delivered, w * this.s + ls.sid);
    return ls.sent * ls.r - total < cap * ls.r;
  }

  private stopSending(): void {
    if (this.sendingStopped) return;
    this.sendingStopped = true;
    if (this.paceTimer !== null) clearInterval(this.paceTimer);
    if (this.stopTimer !== null) clearTimeout(this.stopTimer);
    Atomics.store(this.done, me, 1);
    // Wake every worker's sender loop so it notices the end promptly.
    for (let w = 0; w < this.plan.workers; w++) {
      Atomics.add(this.wake, w, 1);
      Atomics.notify(this.wake, w);
    }
    void this.drain();
  }

  /** Waits for every worker to stop sending and for this worker's clients to get everything. */
  private async drain(): Promise<void> {
    const started = now();
    let drained = false;
    for (;;) {
      let allDone = true;
      for (let w = 0; w < this.plan.workers; w++) if (Atomics.load(this.done, w) === 0) allDone = false;
      if (allDone && this.missing() === 0) {
        drained = true;
        break;
      }
      if (now() - started > this.plan.drainTimeoutMs) break;
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
    }
    current = null;
    this.finishResolve?.({
      sentInWindow: this.sentInWindow,
      sentTotal: this.sentTotal,
      deliveredInWindow: this.deliveredInWindow,
      deliveredTotal: this.deliveredTotal,
      undelivered: this.missing(),
      ackedInWindow: this.ackedInWindow,
      ackedTotal: this.ackedTotal,
      latency: this.latency.toJSON(),
      ackLatency: this.ackLatency.toJSON(),
      samples: this.samples,
      disconnects: this.disconnects,
      drained,
    });
  }

  private missing(): number {
    let missing = 0;
    for (let sid = 0; sid < this.s; sid++) {
      const expected = Atomics.load(this.sentShared, sid) * (this.localReceivers[sid] ?? 0);
      const got = Atomics.load(this.delivered, this.row + sid);
      if (expected > got) missing += expected - got;
    }
    return missing;
  }

  // Called by clients' receive paths.

  bench(client: Client, phase: number, sid: number, sent: number, received: number): void {
    if (phase !== this.plan.phase || sid >= this.s) return;
    Atomics.add(this.delivered, this.row + sid, 1);
    this.deliveredTotal++;
    const latency = received - sent;
    const inWindow = received >= this.plan.tStart && received <= this.tEnd;
    const ls = this.bySid[sid];
    if (ls !== undefined && ls.client === client) {
      ls.acked++;
      this.ackedTotal++;
      if (inWindow) {
        this.ackedInWindow++;
        this.ackLatency.record(latency * 1000);
      }
    } else {
      if (inWindow) {
        this.deliveredInWindow++;
        this.latency.record(latency * 1000);
      }
      if (this.plan.samples) this.samples.push(received, latency);
    }
    if (this.touched[sid] === 0) {
      this.touched[sid] = 1;
      this.touchedList.push(sid);
    }
  }

  chunkDone(): void {
    const list = this.touchedList;
    const max = this.plan.mode === 'max';
    for (let i = 0; i < list.length; i++) {
      const sid = list[i]!;
      this.touched[sid] = 0;
      const ls = this.bySid[sid];
      if (ls !== undefined) {
        if (max) this.pump(ls);
      } else if (Atomics.load(this.blocked, sid) !== 0) {
        Atomics.store(this.blocked, sid, 0);
        const home = this.home[sid] ?? 0;
        Atomics.add(this.wake, home, 1);
        Atomics.notify(this.wake, home);
      }
    }
    list.length = 0;
  }

  closed(): void {
    this.disconnects++;
  }
}

// ------------------------------------------------------------------ CHATHISTORY reads

interface ReaderState {
  client: Client;
  sentAt: number;
  lines: number;
  batch: string | null;
  latest: boolean;
  active: boolean;
}

class Reads {
  private readonly plan: ReadPlan;
  private readonly readers = new Map<Client, ReaderState>();
  private readonly latency = new Histogram();
  private readsInWindow = 0;
  private linesInWindow = 0;
  private readsTotal = 0;
  private emptyReplies = 0;
  private failures = 0;
  private readonly errors: string[] = [];
  private active = 0;
  private finish: ((r: ReadsResult) => void) | null = null;
  private timeout: NodeJS.Timeout | null = null;

  constructor(plan: ReadPlan) {
    this.plan = plan;
    for (const id of plan.readers) {
      const client = clients.get(id);
      if (client === undefined) continue;
      this.readers.set(client, {
        client,
        sentAt: 0,
        lines: 0,
        batch: null,
        latest: id % 2 === 0,
        active: true,
      });
    }
  }

  run(): Promise<ReadsResult> {
    return new Promise((resolve) => {
      this.finish = resolve;
      if (this.readers.size === 0) {
        this.end();
        return;
      }
      this.timeout = setTimeout(() => {
        this.errors.push('reads did not finish in time');
        this.end();
      }, this.plan.timeoutMs);
      setTimeout(
        () => {
          for (const r of this.readers.values()) {
            this.active++;
            this.query(r);
          }
        },
        Math.max(0, this.plan.t0 - now()),
      );
    });
  }

  private query(r: ReaderState): void {
    if (now() >= this.plan.tEnd || r.client.state !== 'registered') {
      r.active = false;
      r.client.reading = false;
      this.active--;
      if (this.active === 0) this.end();
      return;
    }
    r.lines = 0;
    r.batch = null;
    r.latest = !r.latest;
    r.client.reading = true;
    const { target, limit, fromWall, toWall } = this.plan;
    r.sentAt = now();
    if (r.latest) {
      r.client.write(`CHATHISTORY LATEST ${target} * ${limit}\r\n`);
    } else {
      const at = new Date(fromWall + Math.random() * (toWall - fromWall)).toISOString();
      r.client.write(`CHATHISTORY BEFORE ${target} timestamp=${at} ${limit}\r\n`);
    }
  }

  private complete(r: ReaderState, failed: boolean): void {
    const t = now();
    this.readsTotal++;
    if (failed) this.failures++;
    else if (r.lines === 0) this.emptyReplies++;
    if (!failed && r.sentAt >= this.plan.tStart && t <= this.plan.tEnd) {
      this.readsInWindow++;
      this.linesInWindow += r.lines;
      this.latency.record((t - r.sentAt) * 1000);
    }
    this.query(r);
  }

  private end(): void {
    if (this.finish === null) return;
    if (this.timeout !== null) clearTimeout(this.timeout);
    for (const r of this.readers.values()) r.client.reading = false;
    reads = null;
    const done = this.finish;
    this.finish = null;
    done({
      readsInWindow: this.readsInWindow,
      linesInWindow: this.linesInWindow,
      readsTotal: this.readsTotal,
      emptyReplies: this.emptyReplies,
      failures: this.failures,
      errors: this.errors.slice(0, 5),
      latency: this.latency.toJSON(),
    });
  }

  batchStart(client: Client, id: string): void {
    const r = this.readers.get(client);
    if (r !== undefined && r.batch === null) r.batch = id;
  }

  batchLine(client: Client): void {
    const r = this.readers.get(client);
    if (r !== undefined) r.lines++;
  }

  batchEnd(client: Client, id: string): void {
    const r = this.readers.get(client);
    if (r?.active && r.batch === id) this.complete(r, false);
  }

  fail(client: Client, command: string, text: string): void {
    const r = this.readers.get(client);
    if (r === undefined || !r.active || command !== 'CHATHISTORY') return;
    if (this.errors.length < 5) this.errors.push(`FAIL CHATHISTORY: ${text}`);
    this.complete(r, true);
  }
}

let current: Traffic | null = null;
let reads: Reads | null = null;

const sink: ClientSink = {
  bench(client, phase, sid, sent, received) {
    current?.bench(client, phase, sid, sent, received);
  },
  chunkDone() {
    current?.chunkDone();
  },
  batchStart(client, id) {
    reads?.batchStart(client, id);
  },
  batchLine(client) {
    reads?.batchLine(client);
  },
  batchEnd(client, id) {
    reads?.batchEnd(client, id);
  },
  fail(client, command, text) {
    reads?.fail(client, command, text);
  },
  closed() {
    current?.closed();
  },
};

// ------------------------------------------------------------------ open / join / close

function open(cmd: OpenCommand): Promise<OpenResult> {
  const registerMs = new Histogram();
  const errors: string[] = [];
  const refused = new Set<string>();
  let ok = 0;
  let failed = 0;
  let firstStart = Number.POSITIVE_INFINITY;
  let lastDone = 0;
  const queue = cmd.clients.slice();
  const total = queue.length;
  let started = 0;
  let inFlight = 0;
  return new Promise((resolve) => {
    let finished = false;
    let rateTimer: NodeJS.Timeout | null = null;
    const t0 = now();
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (rateTimer !== null) clearInterval(rateTimer);
      const unfinished = total - ok - failed;
      if (unfinished > 0) {
        failed += unfinished;
        errors.push(`${unfinished} clients did not finish in ${cmd.timeoutMs} ms`);
      }
      resolve({
        ok,
        failed,
        errors: errors.slice(0, 5),
        firstStart: Number.isFinite(firstStart) ? firstStart : t0,
        lastDone: lastDone === 0 ? now() : lastDone,
        registerMs: registerMs.toJSON(),
        refusedCaps: [...refused],
      });
    };
    const timer = setTimeout(finish, cmd.timeoutMs);
    const startOne = (): void => {
      const spec = queue.shift();
      if (spec === undefined) return;
      started++;
      inFlight++;
      const client = new Client(spec, sink);
      clients.set(spec.id, client);
      void client.open(cmd.host, cmd.port).then((err) => {
        inFlight--;
        if (client.startedAt < firstStart) firstStart = client.startedAt;
        for (const c of client.refusedCaps) refused.add(c);
        if (err === null) {
          ok++;
          lastDone = Math.max(lastDone, client.readyAt);
          registerMs.record((client.readyAt - client.startedAt) * 1000);
        } else {
          failed++;
          if (errors.length < 5) errors.push(`${spec.nick}: ${err}`);
        }
        if (ok + failed === total) finish();
        else if (cmd.rate === 0) fill();
      });
    };
    const limit = cmd.concurrency > 0 ? cmd.concurrency : Number.POSITIVE_INFINITY;
    const fill = (): void => {
      while (queue.length > 0 && inFlight < limit && !finished) startOne();
    };
    if (total === 0) {
      finish();
      return;
    }
    if (cmd.rate > 0) {
      rateTimer = setInterval(() => {
        const due = Math.min(total, Math.floor(((now() - t0) * cmd.rate) / 1000) + 1);
        while (started < due && inFlight < limit && queue.length > 0) startOne();
        if (queue.length === 0 && rateTimer !== null) {
          clearInterval(rateTimer);
          rateTimer = null;
        }
      }, 1);
    } else {
      fill();
    }
  });
}

async function join(cmd: JoinCommand): Promise<JoinResult> {
  const ids = cmd.ids.filter((id) => clients.has(id));
  let ok = 0;
  let failed = cmd.ids.length - ids.length;
  const errors: string[] = [];
  let next = 0;
  const deadline = now() + cmd.timeoutMs;
  const lane = async (): Promise<void> => {
    while (next < ids.length && now() < deadline) {
      const client = clients.get(ids[next++]!)!;
      const err = await Promise.race([
        client.join(cmd.room),
        new Promise<string>((resolve) => setTimeout(() => resolve('JOIN timed out'), deadline - now())),
      ]);
      if (err === null) ok++;
      else {
        failed++;
        if (errors.length < 5) errors.push(`${client.nick}: ${err}`);
      }
    }
  };
  const lanes = Math.max(1, Math.min(cmd.concurrency > 0 ? cmd.concurrency : ids.length, ids.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  failed += ids.length - next;
  return { ok, failed, errors };
}

async function close(cmd: CloseCommand): Promise<CloseResult> {
  const ids = cmd.ids === 'all' ? [...clients.keys()] : cmd.ids;
  const closing: Array<Promise<void>> = [];
  for (const id of ids) {
    const client = clients.get(id);
    if (client === undefined) continue;
    clients.delete(id);
    closing.push(client.close(cmd.how, cmd.timeoutMs));
  }
  await Promise.all(closing);
  return { closed: closing.length };
}

// ------------------------------------------------------------------ dispatch

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'open':
      return open(req);
    case 'join':
      return join(req);
    case 'traffic': {
      if (current !== null) throw new Error('a traffic phase is already running');
      const traffic = new Traffic(req.plan);
      current = traffic;
      return traffic.run();
    }
    case 'stop':
      if (current !== null && current.plan.phase === req.phase) current.stopAt(req.at);
      return null;
    case 'reads': {
      if (reads !== null) throw new Error('a read phase is already running');
      const r = new Reads(req.plan);
      reads = r;
      return r.run();
    }
    case 'close':
      return close(req);
  }
}

const port = parentPort;
if (port === null) throw new Error('bench/worker.js runs as a worker thread');
port.on('message', (req: Request) => {
  handle(req).then(
    (data) => port.postMessage({ req: req.req, ok: true, data } satisfies Reply),
    (err: unknown) =>
      port.postMessage({
        req: req.req,
        ok: false,
        error: err instanceof Error ? err.message : String(err),
      } satisfies Reply),
  );
});
