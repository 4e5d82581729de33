/** The coordinator's handle on the worker threads: one request/reply channel per worker. */
import { Worker } from 'node:worker_threads';
import type { Command, Reply } from './messages.js';

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextReq = 1;
  private failure: Error | null = null;

  constructor(readonly size: number) {
    const url = new URL('./worker.js', import.meta.url);
    for (let index = 0; index < size; index++) {
      const w = new Worker(url, { workerData: { index } });
      w.on('message', (reply: Reply) => this.onReply(reply));
      w.on('error', (err) => this.fail(new Error(`worker ${index} crashed: ${err.message}`)));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`worker ${index} exited with code ${code}`));
      });
      this.workers.push(w);
    }
  }

  private onReply(reply: Reply): void {
    const p = this.pending.get(reply.req);
    if (p === undefined) return;
    this.pending.delete(reply.req);
    if (reply.ok) p.resolve(reply.data);
    else p.reject(new Error(reply.error));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Sends one command to worker `index` and resolves with its reply's data. */
  request<T>(index: number, command: Command): Promise<T> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const worker = this.workers[index];
    if (worker === undefined) return Promise.reject(new Error(`no worker ${index}`));
    const req = this.nextReq++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(req, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...command, req });
    });
  }

  /** The same command (or one built per worker) to every worker. */
  all<T>(command: Command | ((index: number) => Command)): Promise<T[]> {
    return Promise.all(
      this.workers.map((_, i) => this.request<T>(i, typeof command === 'function' ? command(i) : command)),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
