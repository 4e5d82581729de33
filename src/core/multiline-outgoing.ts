/**
 * A message with line breaks (IRCv3 draft/multiline), as one Outgoing: to a recipient with
 * `draft/multiline` and `batch` its bytes are a whole multiline batch; to anyone else, the
 * lines as separate PRIVMSGs (multiline §Fallback). Like every Outgoing it is serialized at
 * most once per variant and the same bytes go to every recipient of that variant; extra tags
 * (a label, an enclosing chathistory batch) go where the specs want them.
 *
 * The stored form is the combined text (lines joined by "\n"); the IRC lines are cut from it
 * here, so live delivery and history replay produce the same lines.
 */
import { MAX_BODY_BYTES } from '../protocol/message.js';
import type { Tags } from '../protocol/tags.js';
import { Cap, TAG_CAP_MASK } from './caps.js';
import { Outgoing } from './outgoing.js';

export interface Piece {
  text: string;
  /** Joined to the previous piece without a line break (draft/multiline-concat). */
  concat: boolean;
}

/** Fewest bytes a piece may hold however long the source and target are. */
const MIN_PIECE_BYTES = 64;

/** Caps that change how a multiline message is rendered, and so index its cache. */
const VARIANT_MASK = TAG_CAP_MASK | Cap.batch | Cap.multiline;

/**
 * Cuts text into IRC-sized pieces: a new line at each "\n"; a line longer than `maxBytes`
 * continues in concat pieces, cut after a space where there is one in the second half (the
 * space stays at the end of the line, as multiline §Splitting long lines recommends) and never
 * inside a character.
 */
export function splitPieces(text: string, maxBytes: number): Piece[] {
  const pieces: Piece[] = [];
  for (const line of text.split('\n')) {
    if (Buffer.byteLength(line) <= maxBytes) {
      pieces.push({ text: line, concat: false });
      continue;
    }
    let rest = line;
    let first = true;
    while (rest !== '') {
      let bytes = 0;
      let end = 0;
      for (const ch of rest) {
        const size = Buffer.byteLength(ch);
        if (bytes + size > maxBytes) break;
        bytes += size;
        end += ch.length;
      }
      if (end < rest.length) {
        const space = rest.lastIndexOf(' ', end - 1);
        if (space >= end / 2) end = space + 1;
      }
      pieces.push({ text: rest.slice(0, end), concat: !first });
      rest = rest.slice(end);
      first = false;
    }
  }
  return pieces;
}

/**
 * The sender's lines, each cut again only where it no longer fits once the server's prefix
 * is added (the continuation is a concat line, so the text is unchanged).
 */
function resplit(lines: readonly Piece[], maxBytes: number): Piece[] {
  const out: Piece[] = [];
  for (const line of lines) {
    const cut =
      Buffer.byteLength(line.text) <= maxBytes
        ? [{ text: line.text, concat: false }]
        : splitPieces(line.text, maxBytes);
    cut[0] = { text: cut[0]!.text, concat: line.concat };
    out.push(...cut);
  }
  return out;
}

/** Bytes of text that fit in one `:source PRIVMSG target :text` line. */
export function pieceBytes(source: string | null, target: string): number {
  const overhead = (source === null ? 0 : source.length + 2) + 'PRIVMSG '.length + target.length + 2 + 2;
  return Math.max(MIN_PIECE_BYTES, MAX_BODY_BYTES - overhead);
}

/** Whether a text needs a multiline batch: a line break, or too long for one line. */
export function isMultiline(source: string | null, target: string, text: string): boolean {
  return text.includes('\n') || Buffer.byteLength(text) > pieceBytes(source, target);
}

export class MultilineOutgoing extends Outgoing {
  private readonly pieces: Piece[];
  private readonly rendered = new Map<number, Buffer>();

  constructor(
    source: string,
    target: string,
    text: string,
    time: string | null,
    msgid: string | null,
    account: string | null,
    clientTags: Tags | null,
    /** The batch reference, the same for every recipient (unique on the server). */
    readonly batchId: string,
    /**
     * The lines as the sender sent them, when known (a live client batch): recipients with
     * the capability get those lines, `draft/multiline-concat` included, rather than the
     * text cut again (multiline §Client-to-server: the server relays the batch's lines).
     */
    lines: readonly Piece[] | null = null,
  ) {
    super(source, 'PRIVMSG', [target, text], time, msgid, account, clientTags);
    const max = pieceBytes(source, target);
    this.pieces = splitPieces(text, max);
    this.batchPieces = lines === null ? this.pieces : resplit(lines, max);
  }

  private readonly batchPieces: Piece[];

  override bytesFor(caps: number): Buffer {
    const key = caps & VARIANT_MASK;
    let bytes = this.rendered.get(key);
    if (bytes === undefined) {
      bytes = this.compose(key, null);
      this.rendered.set(key, bytes);
    }
    return bytes;
  }

  override bytesWith(caps: number, extra: Tags): Buffer {
    return this.compose(caps & VARIANT_MASK, extra);
  }

  private compose(caps: number, extra: Tags | null): Buffer {
    const target = this.params[0]!;
    const parts: Buffer[] = [];
    // A label goes on the first line only (multiline §labeled-response); an enclosing batch
    // tag on every line that is directly inside that batch.
    let later: Tags | null = null;
    if (extra !== null) {
      later = { ...extra };
      delete later['label'];
      if (Object.keys(later).length === 0) later = null;
    }
    const tagged = (out: Outgoing, tags: Tags | null): Buffer =>
      tags === null ? out.bytesFor(caps) : out.bytesWith(caps, tags);
    if (caps & Cap.multiline && caps & Cap.batch) {
      const id = this.batchId;
      const open = new Outgoing(
        this.source,
        'BATCH',
        ['+' + id, 'draft/multiline', target],
        this.time,
        this.msgid,
        this.account,
        this.clientTags,
      );
      parts.push(tagged(open, extra));
      for (const piece of this.batchPieces) {
        const line = new Outgoing(this.source, 'PRIVMSG', [target, piece.text]);
        parts.push(
          line.bytesWith(caps, piece.concat ? { batch: id, 'draft/multiline-concat': '' } : { batch: id }),
        );
      }
      parts.push(tagged(new Outgoing(null, 'BATCH', ['-' + id]), later));
    } else {
      // Blank lines are never sent without the capability (multiline §Fallback); the msgid
      // and client tags (a reply, an edit) go on the first line only.
      let first = true;
      for (const piece of this.pieces) {
        if (piece.text === '') continue;
        const line = first
          ? new Outgoing(
              this.source,
              'PRIVMSG',
              [target, piece.text],
              this.time,
              this.msgid,
              this.account,
              this.clientTags,
            )
          : new Outgoing(this.source, 'PRIVMSG', [target, piece.text], this.time, null, this.account);
        parts.push(tagged(line, first ? extra : later));
        first = false;
      }
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}
