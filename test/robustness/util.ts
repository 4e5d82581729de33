/**
 * Small helpers shared by the robustness tests (not a test file itself).
 */
import type { Received, TestClient } from '../helpers/client.js';

/**
 * Joins every client to `room`, in order, and waits until each earlier member has seen
 * each later member's JOIN, so later assertions start from a quiet, shared state.
 */
export async function joinRoom(room: string, ...clients: TestClient[]): Promise<void> {
  for (let i = 0; i < clients.length; i++) {
    const c = clients[i]!;
    c.send(`JOIN ${room}`);
    await c.waitFor((m) => m.command === '366' && m.params[1]?.toLowerCase() === room.toLowerCase());
    for (let j = 0; j < i; j++) {
      await clients[j]!.waitFor((m) => m.command === 'JOIN' && m.source?.split('!')[0] === c.nick);
    }
  }
  for (const c of clients) c.mark();
}

/** The nick part of a message's source. */
export function senderOf(m: Received): string | undefined {
  return m.source?.split('!')[0];
}

/** A PRIVMSG from `nick` to `target` with exactly `text`. */
export function isPrivmsg(m: Received, nick: string, target: string, text: string): boolean {
  return m.command === 'PRIVMSG' && senderOf(m) === nick && m.params[0] === target && m.params[1] === text;
}

/** Texts of the PRIVMSGs `c` received from index `start` of `c.received` on. */
export function privmsgTexts(c: TestClient, start: number): string[] {
  return c.received
    .slice(start)
    .filter((m) => m.command === 'PRIVMSG')
    .map((m) => m.params[1] ?? '');
}

/** How many `command` lines `c` received from index `start` of `c.received` on. */
export function countSince(c: TestClient, start: number, command: string): number {
  return c.received.slice(start).filter((m) => m.command === command).length;
}

/** `from` says `text` in `room`; resolves when every listener has it. */
export async function say(
  from: TestClient,
  room: string,
  text: string,
  ...listeners: TestClient[]
): Promise<void> {
  from.send(`PRIVMSG ${room} :${text}`);
  await Promise.all(listeners.map((l) => l.waitFor((m) => isPrivmsg(m, from.nick, room, text))));
}

/**
 * Answers every server PING with a PONG, as any real client does. Returns a stop function.
 * (Polls what the client has recorded, so it never competes with `waitFor`.)
 */
export function autoPong(client: TestClient): () => void {
  let seen = 0;
  const timer = setInterval(() => {
    while (seen < client.received.length) {
      const m = client.received[seen++]!;
      if (m.command === 'PING' && !client.closed) client.send(`PONG :${m.params.at(-1) ?? ''}`);
    }
  }, 50);
  return () => clearInterval(timer);
}

/**
 * Sends PING and resolves with 'pong' when it is answered, or 'closed' when the server
 * closes the connection first. A leading CR LF ends any partial line sent before it.
 */
export function pingOrClosed(client: TestClient, timeoutMs = 10_000): Promise<'pong' | 'closed'> {
  if (client.closed) return Promise.resolve('closed');
  const token = `p${Math.random().toString(36).slice(2)}`;
  client.sendRaw(`\r\nPING ${token}\r\n`);
  return client
    .waitFor((m) => m.command === 'PONG' && m.params.at(-1) === token, timeoutMs)
    .then(
      () => 'pong' as const,
      (err: unknown) => {
        if (client.closed) return 'closed' as const;
        throw err;
      },
    );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
