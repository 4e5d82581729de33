/**
 * RPL_ISUPPORT (005) tokens. The modern client protocol docs ("RPL_ISUPPORT Tokens") define
 * each; a server sends at most 13 tokens per 005 line so every line fits in 512 bytes.
 */
export type IsupportTokens = Array<[string, string | null]>;

export const ISUPPORT_PER_LINE = 13;

/** Escapes a token value per the ISUPPORT spec: `\x20` for space, `\x5C` for '\', `\x3D` for '='. */
export function escapeIsupportValue(value: string): string {
  return value.replace(/[\\ =]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

export function formatIsupport(tokens: IsupportTokens): string[][] {
  const lines: string[][] = [];
  for (let i = 0; i < tokens.length; i += ISUPPORT_PER_LINE) {
    lines.push(
      tokens
        .slice(i, i + ISUPPORT_PER_LINE)
        .map(([k, v]) => (v === null || v === '' ? k : k + '=' + escapeIsupportValue(v))),
    );
  }
  return lines;
}
