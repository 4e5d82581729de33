/**
 * Which address an HTTP request comes from. The socket's peer, unless that peer is a
 * trusted reverse proxy (`--trusted-proxies`): then X-Forwarded-For is read from the right,
 * skipping trusted hops, and the first untrusted address is the client. Entries a client
 * wrote itself (further left) are never believed.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

export class TrustedProxies {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(entries: readonly string[]) {
    this.empty = entries.length === 0;
    for (const entry of entries) {
      const [addr = '', prefix] = entry.split('/');
      const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(addr, family);
      else this.list.addSubnet(addr, Number(prefix), family);
    }
  }

  has(address: string): boolean {
    if (this.empty) return false;
    const a = unmap(address);
    const family = isIP(a);
    if (family === 0) return false;
    return this.list.check(a, family === 6 ? 'ipv6' : 'ipv4');
  }

  /** The client's address for this request. */
  clientAddress(req: IncomingMessage): string {
    const peer = unmap(req.socket.remoteAddress ?? 'unknown');
    if (!this.has(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    if (header === undefined) return peer;
    const hops = (Array.isArray(header) ? header.join(',') : header)
      .split(',')
      .map((h) => unmap(stripPort(h.trim())))
      .filter((h) => h !== '');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (isIP(hop) === 0) break; // garbage: stop at the last address we could trust
      client = hop;
      if (!this.has(hop)) break;
    }
    return client;
  }
}

/** `::ffff:10.0.0.1` → `10.0.0.1`. */
function unmap(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** `1.2.3.4:5678` or `[::1]:5678` → the address alone (some proxies append the port). */
function stripPort(hop: string): string {
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    return end === -1 ? hop : hop.slice(1, end);
  }
  const colon = hop.indexOf(':');
  return colon !== -1 && colon === hop.lastIndexOf(':') ? hop.slice(0, colon) : hop;
}
