/** A small typed wrapper over Node's EventEmitter: event names and payloads are checked. */
import { EventEmitter } from 'node:events';

// biome-ignore lint/suspicious/noExplicitAny: event maps are user-defined records
export type EventMap = Record<string, any>;

export class TypedEmitter<Events extends EventMap> {
  private readonly inner = new EventEmitter();

  constructor() {
    this.inner.setMaxListeners(50);
  }

  on<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.inner.on(event, listener);
    return this;
  }

  once<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.inner.once(event, listener);
    return this;
  }

  off<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.inner.off(event, listener);
    return this;
  }

  /** Resolves with the next payload of `event` (optionally one matching `pred`). */
  next<K extends keyof Events & string>(
    event: K,
    pred: (payload: Events[K]) => boolean = () => true,
    timeoutMs = 0,
  ): Promise<Events[K]> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const listener = (p: Events[K]): void => {
        if (!pred(p)) return;
        this.off(event, listener);
        if (timer) clearTimeout(timer);
        resolve(p);
      };
      this.on(event, listener);
      if (timeoutMs > 0)
        timer = setTimeout(() => {
          this.off(event, listener);
          reject(new Error(`timed out waiting for "${event}"`));
        }, timeoutMs);
    });
  }

  listenerCount<K extends keyof Events & string>(event: K): number {
    return this.inner.listenerCount(event);
  }

  protected emit<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    // An 'error' event without listeners must not throw (EventEmitter's default).
    if (event === 'error' && this.inner.listenerCount('error') === 0) return;
    this.inner.emit(event, payload);
  }
}
