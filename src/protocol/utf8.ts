/**
 * UTF-8 byte length of a string without encoding it, and without Node's Buffer, so the
 * protocol layer runs in browsers too (the web client parses lines with it).
 */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4; // a surrogate pair is one 4-byte character
        i++;
      } else n += 3; // a lone surrogate becomes U+FFFD, 3 bytes
    } else n += 3;
  }
  return n;
}
