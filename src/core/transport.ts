/**
 * What the core needs from a byte stream. Gateways (TCP, TLS, WebSocket…) implement it;
 * the core never sees a socket.
 */
export interface Transport {
  /** Listener kind: 'irc', 'tls', 'ws'… (shown in metrics and logs). */
  readonly kind: string;
  readonly remoteAddress: string;
  readonly secure: boolean;
  /**
   * SHA-256 fingerprint of the client's TLS certificate (lowercase hex, no colons); null or
   * absent when it sent none or the transport is not TLS.
   */
  readonly certFingerprint?: string | null;
  /** Writes bytes; the core has already coalesced them for this event-loop turn. */
  write(data: Buffer): void;
  /**
   * Optional: writes several buffers (shared with other connections: never modified, kept by
   * reference) and returns false once the transport is backed up. It must then tell the
   * session when it has drained (`Session.transportDrained`); until then the session keeps
   * further output in its own queue (core/send-queue.ts).
   */
  writeMany?(chunks: readonly Buffer[], bytes: number): boolean;
  /** Bytes accepted by write() that the OS has not taken yet (the send queue). */
  readonly pendingBytes: number;
  /**
   * Flushes what is queued, then closes. `unread`: the peer was dropped for not reading
   * (SendQ); if it still has not read a moment later, what is held for it may be thrown away.
   */
  end(unread?: boolean): void;
  /** Closes at once, dropping anything queued. */
  destroy(): void;
}
