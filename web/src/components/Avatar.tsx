/**
 * A round badge for a person: their avatar image (draft/metadata-2, an uploaded picture) when
 * they set one, else their initial, coloured from their name so it stays the same everywhere.
 */
export function hue(name: string): number {
  let h = 0;
  for (const ch of name.toLowerCase()) h = (h * 31 + (ch.codePointAt(0) ?? 0)) % 360;
  return h;
}

export function Avatar(props: { name: string; size?: 'small'; src?: string | undefined }) {
  const cls = props.size === 'small' ? 'avatar small' : 'avatar';
  if (props.src !== undefined) {
    return <img class={`${cls} picture`} src={props.src} alt="" aria-hidden="true" loading="lazy" />;
  }
  const initial = [...props.name.replace(/^[#&+!]/, '')][0]?.toUpperCase() ?? '?';
  return (
    <span class={cls} data-hue={String((Math.round(hue(props.name) / 30) * 30) % 360)} aria-hidden="true">
      {initial}
    </span>
  );
}
