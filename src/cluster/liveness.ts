/**
 * Which nodes are alive, from what this node hears on the bus. Every node publishes a
 * heartbeat each HEARTBEAT_MS (and anything it publishes counts as one); a node silent for
 * longer than the timeout is lost, and its users are removed as in a netsplit (node.ts).
 * A clean shutdown says `bye`, so nobody waits for the timeout then.
 *
 * The same heartbeats also refresh a sorted set in Redis (`<prefix>:nodes`, scored by time)
 * that a starting node reads to know whose state it must wait for (burst.ts).
 */

export const HEARTBEAT_MS = 1000;

export class Liveness {
  /** Known (synced) nodes → when we last heard from them. */
  private readonly heardAt = new Map<string, number>();

  constructor(private readonly timeoutMs: number) {}

  has(node: string): boolean {
    return this.heardAt.has(node);
  }

  /** Records that a known node spoke; false when the node is not known (not synced with us). */
  heard(node: string, now = Date.now()): boolean {
    if (!this.heardAt.has(node)) return false;
    this.heardAt.set(node, now);
    return true;
  }

  /** Starts tracking a node whose state we now hold. */
  add(node: string, now = Date.now()): void {
    this.heardAt.set(node, now);
  }

  remove(node: string): void {
    this.heardAt.delete(node);
  }

  /** How many other nodes are live (no array: asked on every room broadcast). */
  get count(): number {
    return this.heardAt.size;
  }

  nodes(): string[] {
    return [...this.heardAt.keys()];
  }

  /** Nodes silent for longer than the timeout; they are forgotten here. */
  expired(now = Date.now()): string[] {
    const lost: string[] = [];
    for (const [node, at] of this.heardAt) {
      if (now - at > this.timeoutMs) lost.push(node);
    }
    for (const node of lost) this.heardAt.delete(node);
    return lost;
  }
}
