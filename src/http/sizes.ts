/**
 * Sizes as people read them in messages ("25 MB", "1.5 GB", "800 KB"): powers of 1024 with
 * the familiar unit names, as file managers and mail clients show them, at most one decimal.
 */
const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'];

export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = value >= 100 || Number.isInteger(value) ? Math.round(value) : Math.round(value * 10) / 10;
  return `${shown} ${UNITS[unit]}`;
}
