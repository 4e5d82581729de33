/** Small inline SVG icons (no icon font or emoji: headless and minimal systems lack the glyphs). */
const common = {
  width: 20,
  height: 20,
  viewBox: '0 0 24 24',
  fill: 'none',
  stroke: 'currentColor',
  'stroke-width': 2,
  'stroke-linecap': 'round',
  'stroke-linejoin': 'round',
} as const;

export function PaperclipIcon() {
  return (
    <svg aria-hidden="true" {...common}>
      <path d="M21 12.5l-8.5 8.5a5.5 5.5 0 0 1-7.8-7.8l9.2-9.2a3.7 3.7 0 0 1 5.2 5.2l-9.2 9.2a1.8 1.8 0 0 1-2.6-2.6l8.5-8.5" />
    </svg>
  );
}

export function MenuIcon() {
  return (
    <svg aria-hidden="true" {...common}>
      <path d="M4 6h16M4 12h16M4 18h16" />
    </svg>
  );
}

export function FileIcon() {
  return (
    <svg aria-hidden="true" {...common} width={28} height={28}>
      <path d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z" />
      <path d="M14 3v5h5" />
    </svg>
  );
}

export function ChatIcon() {
  return (
    <svg aria-hidden="true" {...common} width={44} height={44}>
      <path d="M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.6A8 8 0 1 1 21 12z" />
    </svg>
  );
}

/** Members (two people): the member count's button on a phone. */
export function PeopleIcon() {
  return (
    <svg aria-hidden="true" {...common} width={18} height={18}>
      <circle cx="9" cy="8" r="3.5" />
      <path d="M2.5 20a6.5 6.5 0 0 1 13 0" />
      <path d="M16 4.6a3.5 3.5 0 0 1 0 6.8M18 14.3a6.5 6.5 0 0 1 3.5 5.7" />
    </svg>
  );
}

/** Leaving (an arrow out of a door): the leave button on a phone. */
export function LeaveIcon() {
  return (
    <svg aria-hidden="true" {...common} width={18} height={18}>
      <path d="M10 4H5a1 1 0 0 0-1 1v14a1 1 0 0 0 1 1h5" />
      <path d="M15 8l4 4-4 4M19 12H9" />
    </svg>
  );
}
