/**
 * A small typed event emitter: event names and payloads are checked. Self-contained (no
 * node:events) so the client library runs in browsers too.
 */

// biome-ignore lint/suspicious/noExplicitAny: event maps are user-defined records
export type EventMap = Record<string, any>;

interface Entry {
  // biome-ignore lint/suspicious/noExplicitAny: payload types are checked at on()/emit()
  listener: (payload: any) => void;
  once: boolean;
}

export class TypedEmitter<Events extends EventMap> {
  private readonly listeners = new Map<string, Entry[]>();

  on<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.addEntry(event, { listener, once: false });
    return this;
  }

  once<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.addEntry(event, { listener, once: true });
    return this;
  }

  off<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    const list = this.listeners.get(event);
    if (list === undefined) return this;
    const i = list.findIndex((e) => e.listener === listener);
    if (i !== -1) {
      // Replace rather than splice: an emit in progress keeps iterating its own copy.
      const next = list.slice();
      next.splice(i, 1);
      if (next.length === 0) this.listeners.delete(event);
      else this.listeners.set(event, next);
    }
    return this;
  }

  /** Resolves with the next payload of `event` (optionally one matching `pred`). */
  next<K extends keyof Events & string>(
    event: K,
    pred: (payload: Events[K]) => boolean = () => true,
    timeoutMs = 0,
  ): Promise<Events[K]> {
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
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
    return this.listeners.get(event)?.length ?? 0;
  }

  /** Calls every listener in the order they were added; an 'error' nobody listens to is dropped. */
  protected emit<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    const list = this.listeners.get(event);
    if (list === undefined) return;
    for (const entry of list) {
      if (entry.once) this.off(event, entry.listener);
      entry.listener(payload);
    }
  }

  private addEntry(event: string, entry: Entry): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), entry]);
  }
}
