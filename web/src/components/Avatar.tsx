/** A round badge with a person's initial, coloured from their name so it stays the same everywhere. */
export function hue(name: string): number {
  let h = 0;
  for (const ch of name.toLowerCase()) h = (h * 31 + (ch.codePointAt(0) ?? 0)) % 360;
  return h;
}

export function Avatar(props: { name: string; size?: 'small' }) {
  const initial = [...props.name.replace(/^[#&+!]/, '')][0]?.toUpperCase() ?? '?';
  return (
    <span
      class={props.size === 'small' ? 'avatar small' : 'avatar'}
      data-hue={String((Math.round(hue(props.name) / 30) * 30) % 360)}
      aria-hidden="true"
    >
      {initial}
    </span>
  );
}
