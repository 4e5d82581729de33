/**
 * Case-insensitive comparison of nicknames and channel names under the advertised
 * CASEMAPPING (modern client protocol docs, ISUPPORT "CASEMAPPING").
 *
 * tertulia advertises `ascii`: A-Z fold to a-z and nothing else. It is the simplest mapping
 * clients agree on; rfc1459's extra []\~ folding surprises people and gains nothing.
 */
export const CASEMAPPING = 'ascii';

export function foldCase(name: string): string {
  // Fast path: most names are already lower case.
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) return asciiLower(name);
  }
  return name;
}

function asciiLower(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : name[i];
  }
  return out;
}
