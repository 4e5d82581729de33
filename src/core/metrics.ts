/**
 * Counters the core keeps cheaply (plain numbers); the HTTP surface will export them.
 */
export class Metrics {
  readonly connectionsByTransport = new Map<string, number>();
  messagesIn = 0;
  deliveriesOut = 0;
  sendqDrops = 0;
  /** Of those, dropped as the slowest readers when the server's output budget was full. */
  sendqBudgetDrops = 0;
  floodDisconnects = 0;
  refusedConnections = 0;
  /** History write latency (seconds): count, sum and the largest seen. */
  historyWrites = 0;
  historyWriteSeconds = 0;
  historyWriteMax = 0;

  /** Set by an exporter (the HTTP /metrics histogram) to see every history write latency. */
  historyWriteObserver: ((seconds: number) => void) | null = null;

  observeHistoryWrite(seconds: number): void {
    this.historyWriteObserver?.(seconds);
    this.historyWrites++;
    this.historyWriteSeconds += seconds;
    if (seconds > this.historyWriteMax) this.historyWriteMax = seconds;
  }

  connectionOpened(kind: string): void {
    this.connectionsByTransport.set(kind, (this.connectionsByTransport.get(kind) ?? 0) + 1);
  }

  connectionClosed(kind: string): void {
    this.connectionsByTransport.set(kind, Math.max(0, (this.connectionsByTransport.get(kind) ?? 1) - 1));
  }
}
