/**
 * The terminal client's screen: prints lines above the prompt without garbling what is being
 * typed (clear the prompt line, print, redraw prompt and buffer), with colours only on a TTY
 * and never with NO_COLOR.
 */
import readline from 'node:readline';

export interface Palette {
  dim(s: string): string;
  bold(s: string): string;
  nick(s: string): string;
  me(s: string): string;
  notice(s: string): string;
  error(s: string): string;
}

const NICK_COLOURS = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96];

export function palette(enabled: boolean): Palette {
  const wrap = (code: string) => (s: string) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : s);
  return {
    dim: wrap('2'),
    bold: wrap('1'),
    nick: (s) => {
      let h = 0;
      for (const ch of s.toLowerCase()) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
      return wrap(String(NICK_COLOURS[h % NICK_COLOURS.length]))(s);
    },
    me: wrap('1;32'),
    notice: wrap('2;3'),
    error: wrap('31'),
  };
}

export function useColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env['NO_COLOR'] === undefined || env['NO_COLOR'] === '');
}

/** `HH:MM` in local time. */
export function clock(time: Date): string {
  return `${String(time.getHours()).padStart(2, '0')}:${String(time.getMinutes()).padStart(2, '0')}`;
}

/** Strips control characters (IRC formatting, escape sequences) from text shown on screen. */
export function clean(text: string): string {
  return text.replace(/\x03\d{0,2}(,\d{1,2})?|[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

export class Screen {
  readonly rl: readline.Interface;
  private readonly tty: boolean;

  constructor(
    input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WriteStream,
  ) {
    this.tty = output.isTTY === true;
    this.rl = readline.createInterface({ input, output, terminal: this.tty, historySize: 200 });
  }

  setPrompt(prompt: string): void {
    this.rl.setPrompt(prompt);
    if (this.tty) this.rl.prompt(true);
  }

  /** Prints a line above the prompt; what is being typed stays intact. */
  print(line: string): void {
    if (!this.tty) {
      this.output.write(line + '\n');
      return;
    }
    readline.clearLine(this.output, 0);
    readline.cursorTo(this.output, 0);
    this.output.write(line + '\n');
    this.rl.prompt(true);
  }

  prompt(): void {
    this.rl.prompt(true);
  }

  /** Asks a question; resolves with the trimmed answer (null when input ends). */
  ask(question: string): Promise<string | null> {
    return new Promise((resolve) => {
      const onClose = () => resolve(null);
      this.rl.once('close', onClose);
      this.rl.question(question, (answer) => {
        this.rl.off('close', onClose);
        resolve(answer.trim());
      });
    });
  }

  /** Asks without echoing what is typed (for passwords). */
  async askHidden(question: string): Promise<string | null> {
    const rl = this.rl as unknown as { _writeToOutput?: (s: string) => void };
    const original = rl._writeToOutput;
    if (this.tty && original) {
      this.output.write(question);
      rl._writeToOutput = (s: string) => {
        if (s.includes('\n') || s.includes('\r')) this.output.write('\n');
      };
    }
    const answer = await this.ask(this.tty && original ? '' : question);
    if (original) rl._writeToOutput = original;
    return answer;
  }

  close(): void {
    if (this.tty) {
      readline.clearLine(this.output, 0);
      readline.cursorTo(this.output, 0);
    }
    this.rl.close();
  }
}
