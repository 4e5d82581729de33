/**
 * The PROXY protocol (HAProxy, versions 1 and 2): a load balancer in front of the IRC
 * listeners prepends one header naming the client's real address. When `--proxy-protocol`
 * is on, every connection must start with one (the spec forbids guessing), so the listener
 * must be reachable only by the proxy.
 *
 * `parseProxyHeader` is pure; `readProxyHeader` reads it from the first bytes of a socket
 * (plain TCP, or the raw socket under TLS before the handshake) and hands back the rest.
 */
import type net from 'node:net';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';

/** v2 signature: \r\n\r\n\0\r\nQUIT\n. */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** A v1 header is at most 107 bytes, CRLF included. */
const V1_MAX = 107;
/** Bound on a v2 header's address block + TLVs (the field allows 65535; nobody needs that). */
const V2_MAX_PAYLOAD = 4096;

export interface ProxySource {
  address: string;
  port: number;
}

export type ProxyParse =
  /** More bytes are needed. */
  | { status: 'incomplete' }
  | { status: 'invalid'; reason: string }
  /**
   * A complete header. `source` is null for v1 UNKNOWN, v2 LOCAL (the proxy's own health
   * checks) and non-IP families: use the socket's address then.
   */
  | { status: 'ok'; version: 1 | 2; source: ProxySource | null; rest: Buffer };

/** Parses a PROXY header at the start of `buf`. */
export function parseProxyHeader(buf: Buffer): ProxyParse {
  if (startsWithPrefix(buf, V2_SIGNATURE))
    return buf.length < V2_SIGNATURE.length ? INCOMPLETE : parseV2(buf);
  if (startsWithPrefix(buf, V1_PREFIX)) return buf.length < V1_PREFIX.length ? INCOMPLETE : parseV1(buf);
  return { status: 'invalid', reason: 'no PROXY protocol header' };
}

const INCOMPLETE: ProxyParse = { status: 'incomplete' };

/** Whether `buf` and `prefix` agree on their common length (so a short buffer may still match). */
function startsWithPrefix(buf: Buffer, prefix: Buffer): boolean {
  const n = Math.min(buf.length, prefix.length);
  return buf.subarray(0, n).equals(prefix.subarray(0, n));
}

function parseV1(buf: Buffer): ProxyParse {
  const end = buf.indexOf('\r\n');
  if (end === -1) {
    return buf.length >= V1_MAX ? { status: 'invalid', reason: 'v1 header too long' } : INCOMPLETE;
  }
  if (end + 2 > V1_MAX) return { status: 'invalid', reason: 'v1 header too long' };
  const rest = buf.subarray(end + 2);
  const parts = buf.toString('latin1', 0, end).split(' ');
  if (parts[1] === 'UNKNOWN') return { status: 'ok', version: 1, source: null, rest };
  if (parts.length !== 6) return { status: 'invalid', reason: 'v1 header malformed' };
  const [, proto, src, , srcPort] = parts as [string, string, string, string, string, string];
  const family = proto === 'TCP4' ? 4 : proto === 'TCP6' ? 6 : 0;
  if (family === 0) return { status: 'invalid', reason: `v1 unknown protocol ${proto}` };
  if (isIP(src) !== family || isIP(parts[3]!) !== family)
    return { status: 'invalid', reason: 'v1 address malformed' };
  const port = validPort(srcPort);
  if (port === null || validPort(parts[5]!) === null)
    return { status: 'invalid', reason: 'v1 port malformed' };
  return { status: 'ok', version: 1, source: { address: src, port }, rest };
}

function validPort(s: string): number | null {
  if (!/^(0|[1-9]\d{0,4})$/.test(s)) return null;
  const n = Number(s);
  return n <= 65535 ? n : null;
}

function parseV2(buf: Buffer): ProxyParse {
  if (buf.length < 16) return INCOMPLETE;
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) return { status: 'invalid', reason: 'v2 unknown version' };
  const command = verCmd & 0x0f;
  if (command > 1) return { status: 'invalid', reason: 'v2 unknown command' };
  const famProto = buf[13]!;
  const length = buf.readUInt16BE(14);
  if (length > V2_MAX_PAYLOAD) return { status: 'invalid', reason: 'v2 header too long' };
  if (buf.length < 16 + length) return INCOMPLETE;
  const rest = buf.subarray(16 + length);
  // LOCAL: the proxy speaking for itself; the address block (if any) is ignored.
  if (command === 0) return { status: 'ok', version: 2, source: null, rest };
  const body = buf.subarray(16, 16 + length);
  const family = famProto >> 4;
  const transport = famProto & 0x0f;
  // Only stream (TCP) over IPv4/IPv6 carries an address we can use; UNSPEC/UNIX: keep the socket's.
  if (transport !== 1 || (family !== 1 && family !== 2))
    return { status: 'ok', version: 2, source: null, rest };
  if (family === 1) {
    if (length < 12) return { status: 'invalid', reason: 'v2 address block too short' };
    const address = `${body[0]}.${body[1]}.${body[2]}.${body[3]}`;
    return { status: 'ok', version: 2, source: { address, port: body.readUInt16BE(8) }, rest };
  }
  if (length < 36) return { status: 'invalid', reason: 'v2 address block too short' };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(body.readUInt16BE(i).toString(16));
  return {
    status: 'ok',
    version: 2,
    source: { address: compressIpv6(groups), port: body.readUInt16BE(32) },
    rest,
  };
}

/** Eight hex groups → canonical text (longest run of zeros as "::"; v4-mapped as dotted). */
function compressIpv6(groups: string[]): string {
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    const hi = Number.parseInt(groups[6]!, 16);
    const lo = Number.parseInt(groups[7]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart === -1) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

export interface ProxyHeaderResult {
  /** The client's address from the header, or null to keep the socket's own. */
  source: ProxySource | null;
  /** Bytes that followed the header in the same reads (the start of the real stream). */
  rest: Buffer;
}

/**
 * Reads a PROXY header from the first bytes of `socket` (paused meanwhile) and resolves with
 * the source and the bytes after it; rejects on a missing or malformed header, on a socket
 * that closes first, or after `timeoutMs`. The caller destroys the socket on rejection.
 */
export function readProxyHeader(socket: Duplex, timeoutMs = 5000): Promise<ProxyHeaderResult> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.pause();
    };
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const parsed = parseProxyHeader(buffered);
      if (parsed.status === 'incomplete') return;
      cleanup();
      if (parsed.status === 'invalid') reject(new Error(`PROXY protocol: ${parsed.reason}`));
      else resolve({ source: parsed.source, rest: parsed.rest });
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error('PROXY protocol: connection closed before the header'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error('PROXY protocol: no header in time'));
    }, timeoutMs);
    timer.unref();
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
  });
}

/**
 * Real client addresses of sockets that came through a proxy, set before the gateway wires
 * the socket to a session (`attachSocket` prefers it to the socket's own address).
 */
export const proxiedAddresses = new WeakMap<object, string>();

/**
 * For listeners with `--proxy-protocol`: reads the header from `socket`, records the real
 * address in `proxiedAddresses`, puts the bytes after it back into the stream and calls `then`
 * (with the socket paused: `then` attaches its listeners and the stream resumes after it).
 * A connection without a valid header is closed before any session exists.
 */
export function acceptProxied(
  socket: net.Socket,
  log: { debug(obj: object, msg: string): void },
  then: () => void,
  timeoutMs = 5000,
): void {
  socket.on('error', () => {}); // errors before the session exists are only logged below
  readProxyHeader(socket, timeoutMs).then(
    ({ source, rest }) => {
      if (socket.destroyed) return;
      if (source !== null) proxiedAddresses.set(socket, source.address);
      if (rest.length > 0) socket.unshift(rest);
      then();
      socket.resume();
    },
    (err: Error) => {
      log.debug(
        { event: 'proxy.refused', ip: socket.remoteAddress, err: err.message },
        'connection without a valid PROXY header refused',
      );
      socket.destroy();
    },
  );
}
