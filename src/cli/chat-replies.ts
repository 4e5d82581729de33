/**
 * The server's numeric replies as the terminal client shows them: sentences and small
 * tables, never the raw parameters (RFC 2812 §5.1 and modern.ircdocs.horse "Numerics" for
 * what each carries). WHOIS lines become "beto is ~beto@127.0.0.1 (real name: Beto)",
 * "beto has been idle 14 s, signed on 2 Dec 2026 16:04"; WHO rows are gathered into a table
 * printed at RPL_ENDOFWHO; the welcome burst shows only the message of the day.
 *
 * `render` returns the lines to print, [] for a reply that says nothing a person needs, or
 * null for one this file does not know (the caller prints its text as is).
 */

/** "14 s", "3 min 5 s", "2 h 10 min", "3 days 4 h". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return `${d} day${d === 1 ? '' : 's'}${h % 24 === 0 ? '' : ` ${h % 24} h`}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2 Dec 2026 16:04" in local time, from seconds since the epoch. */
export function dateOf(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${hm}`;
}

/** Replies a person does not need to see (counts, capabilities, list and reply ends). */
const QUIET = new Set([
  '001', // the welcome names the raw mask; the MOTD below is the server's greeting
  '002',
  '003',
  '004',
  '005',
  '251',
  '252',
  '253',
  '254',
  '255',
  '265',
  '266',
  '305', // away/back: the client says it from the away event
  '306',
  '318',
  '321',
  '323',
  '329',
  '366',
  '369',
  '376',
  '396',
]);

const RANKS: Record<string, string> = { '~': 'owner', '&': 'admin', '@': 'op', '%': 'halfop', '+': 'voice' };

/** "@#lobby" → "#lobby (op)". */
function roomWithRank(entry: string): string {
  const rank = RANKS[entry[0] ?? ''];
  return rank === undefined ? entry : `${entry.slice(1)} (${rank})`;
}

interface WhoRow {
  nick: string;
  address: string;
  flags: string;
  realname: string;
}

export class ReplyRenderer {
  private who: WhoRow[] = [];

  render(command: string, params: readonly string[]): string[] | null {
    if (QUIET.has(command)) return [];
    // params[0] is our own nick for every numeric.
    const p = params.slice(1);
    const last = p.at(-1) ?? '';
    switch (command) {
      case '375': {
        const server = /^-\s*(\S+)/.exec(last)?.[1];
        return [`Message of the day${server === undefined ? '' : ` from ${server}`}:`];
      }
      case '372':
        return [`  ${last.replace(/^- ?/, '')}`];
      case '422':
        return [];
      case '221':
        return [`Your modes: ${p[0] === '+' || p[0] === undefined ? 'none' : p[0]}`];
      case '301':
        return [`${p[0]} is away: ${last}`];
      case '311':
        return [`${p[0]} is ${p[1]}@${p[2]} (real name: ${last})`];
      case '312':
        return [`${p[0]} is on server ${p[1]}${last && last !== p[1] ? ` (${last})` : ''}`];
      case '313':
        return [`${p[0]} is a server operator`];
      case '317': {
        const idle = Number(p[1]);
        const signon = Number(p[2]);
        const parts = [`${p[0]} has been idle ${duration(idle)}`];
        if (Number.isFinite(signon) && signon > 0) parts.push(`signed on ${dateOf(signon)}`);
        return [parts.join(', ')];
      }
      case '319':
        return [`${p[0]} is in ${last.trim().split(/\s+/).map(roomWithRank).join(', ')}`];
      case '330':
        return [`${p[0]} is logged in as ${p[1]}`];
      case '338':
      case '378':
        return [`${p[0]} connects from ${last.replace(/^is connecting from /, '')}`];
      case '379':
        return [`${p[0]} ${last.replace(/^is using modes /, 'has modes ').replace(/modes \+$/, 'no modes')}`];
      case '671':
        return [`${p[0]} uses a secure connection`];
      case '276':
        return [`${p[0]} has a client certificate`];
      case '314':
        return [`${p[0]} was ${p[1]}@${p[2]} (real name: ${last})`];
      case '352': {
        // <channel> <user> <host> <server> <nick> <flags> :<hopcount> <realname>
        this.who.push({
          nick: p[4] ?? '',
          address: `${p[1]}@${p[2]}`,
          flags: p[5] ?? '',
          realname: last.replace(/^\d+ /, ''),
        });
        return [];
      }
      case '315':
        return this.whoTable(p[0] ?? '');
      case '324':
        return [`Modes of ${p[0]}: ${p.slice(1).join(' ')}`];
      case '341':
        return [`You invited ${p[0]} to ${p[1]}`];
      case '391':
        return [`Time on ${p[0]}: ${last}`];
      default:
        return null;
    }
  }

  /** The WHO rows gathered so far as a small table (then forgotten). */
  private whoTable(mask: string): string[] {
    const rows = this.who;
    this.who = [];
    if (rows.length === 0) return [`Nobody matches ${mask}`];
    const head = { nick: 'Name', address: 'Address', flags: '', realname: 'Real name' };
    const all = [head, ...rows];
    const w1 = Math.max(...all.map((r) => r.nick.length));
    const w2 = Math.max(...all.map((r) => r.address.length));
    const status = (r: WhoRow): string =>
      r === head
        ? ''
        : [r.flags.startsWith('G') ? 'away' : '', r.flags.includes('*') ? 'oper' : '']
            .filter(Boolean)
            .join(', ');
    const lines = [`${rows.length === 1 ? '1 person' : `${rows.length} people`} in ${mask}:`];
    for (const r of all) {
      const extra = status(r);
      lines.push(
        `  ${r.nick.padEnd(w1)}  ${r.address.padEnd(w2)}  ${r.realname}${extra ? ` (${extra})` : ''}`.trimEnd(),
      );
    }
    return lines;
  }
}
