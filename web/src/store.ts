/** A minimal observable holder for the state: `update` swaps it, subscribers re-render. */
import { useEffect, useState } from 'preact/hooks';
import type { State } from './state/model.js';

export class Store {
  private listeners = new Set<(s: State) => void>();

  constructor(private current: State) {}

  get state(): State {
    return this.current;
  }

  private notifying = false;
  private changedWhileNotifying = false;

  /**
   * Replaces the state and tells subscribers. A subscriber may update again (the controller
   * marks a conversation read when a message arrives in it): that update is delivered after
   * the current round, so no subscriber is left holding the older state.
   */
  update(fn: (s: State) => State): void {
    const next = fn(this.current);
    if (next === this.current) return;
    this.current = next;
    if (this.notifying) {
      this.changedWhileNotifying = true;
      return;
    }
    this.notifying = true;
    try {
      do {
        this.changedWhileNotifying = false;
        const state = this.current;
        for (const l of this.listeners) l(state);
      } while (this.changedWhileNotifying);
    } finally {
      this.notifying = false;
    }
  }

  subscribe(listener: (s: State) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The store's state in a component, re-rendering when it changes. */
export function useStore(store: Store): State {
  const [state, setState] = useState(store.state);
  useEffect(() => {
    setState(store.state);
    return store.subscribe(setState);
  }, [store]);
  return state;
}
