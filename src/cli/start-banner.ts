/**
 * What `tertulia serve` tells a person once it listens: the address to open in a browser,
 * the `nc` line for the plain-text mode, the IRC address, and plainly whether other machines
 * can reach it (a wildcard bind listens on every interface). The machine-readable
 * `listening <kind> <host:port>` lines are printed before this and stay as they are.
 */

export interface BoundListener {
  kind: string;
  host: string;
  port: number;
}

/** `host:port`, with brackets around an IPv6 address. */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

const EVERY_INTERFACE = new Set(['0.0.0.0', '::', '']);

/** The host a person on this machine types to reach a listener bound to `host`. */
function localHost(host: string): string {
  return EVERY_INTERFACE.has(host) || host === '127.0.0.1' || host === '::1' ? 'localhost' : host;
}

/** The lines for a person (no trailing newline), or [] when nothing listens. */
export function startBanner(listeners: readonly BoundListener[], publicUrl: string | null = null): string[] {
  if (listeners.length === 0) return [];
  const lines: string[] = [];
  const web = listeners.find((l) => l.kind === 'http' || l.kind === 'https');
  if (web !== undefined) {
    const url = publicUrl ?? `${web.kind}://${formatHostPort(localHost(web.host), web.port)}/`;
    lines.push(`Open ${url} in a browser to chat.`);
  }
  const text = listeners.find((l) => l.kind === 'text');
  if (text !== undefined) lines.push(`From a terminal: nc ${localHost(text.host)} ${text.port}`);
  const irc = listeners.find((l) => l.kind === 'irc');
  if (irc !== undefined) lines.push(`IRC clients: ${localHost(irc.host)} port ${irc.port}`);
  const tls = listeners.find((l) => l.kind === 'tls');
  if (tls !== undefined) lines.push(`IRC over TLS: ${localHost(tls.host)} port ${tls.port}`);
  const everywhere = listeners.some((l) => EVERY_INTERFACE.has(l.host));
  const loopback = listeners.every(
    (l) => l.host === '127.0.0.1' || l.host === '::1' || l.host === 'localhost',
  );
  if (everywhere) {
    lines.push(
      'Listening on every network interface: other machines can connect too (--host 127.0.0.1 keeps it to this one).',
    );
  } else if (loopback) lines.push('Listening on this machine only (--host 0.0.0.0 opens it to the network).');
  return lines;
}
