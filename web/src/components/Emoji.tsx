/**
 * The reaction emoji drawn as small inline SVG, so the picker and the counters show them on
 * systems without an emoji font (stock Debian shows empty boxes). Drawn for tertulia: simple
 * shapes on a 24×24 grid. The emoji character stays in the text (visually hidden) for
 * screen readers, copying and finding; an emoji we have no drawing for shows as text.
 */
import type { ComponentChildren } from 'preact';

const SKIN = '#f8c43a';
const SKIN_EDGE = '#c98a12';
const INK = '#5b3a10';
const TEAR = '#4aa3f0';

function Face(props: { children: ComponentChildren }) {
  return (
    <>
      <circle cx="12" cy="12" r="10.5" fill={SKIN} stroke={SKIN_EDGE} stroke-width="1" />
      {props.children}
    </>
  );
}

const drawings: Record<string, () => preact.JSX.Element> = {
  // Thumbs up: a sleeve, a closed hand and the thumb pointing up.
  '👍': () => (
    <>
      <rect x="2" y="11" width="4.5" height="10.5" rx="1" fill="#3f7fd8" />
      <rect x="6" y="11" width="15" height="10.5" rx="3" fill={SKIN} stroke={SKIN_EDGE} stroke-width="1" />
      <rect x="9" y="2.5" width="5" height="10.5" rx="2.5" fill={SKIN} stroke={SKIN_EDGE} stroke-width="1" />
      <path d="M14.5 14.5h6M14.5 18h6" stroke={SKIN_EDGE} stroke-width="1.2" stroke-linecap="round" />
    </>
  ),
  // Red heart.
  '❤': () => (
    <path
      d="M12 21.2S2.5 15.3 2.5 8.9A5 5 0 0 1 12 6.3a5 5 0 0 1 9.5 2.6c0 6.4-9.5 12.3-9.5 12.3z"
      fill="#e0313d"
    />
  ),
  // Tears of joy: eyes shut in laughter, a wide open smile, a tear on each side.
  '😂': () => (
    <>
      <Face>
        <path
          d="M6.5 10.2q2-2.6 4 0M13.5 10.2q2-2.6 4 0"
          stroke={INK}
          stroke-width="1.5"
          fill="none"
          stroke-linecap="round"
        />
        <path d="M6.5 13.2h11q-.6 5.6-5.5 5.6t-5.5-5.6z" fill={INK} />
        <path
          d="M8.5 16.6q3.5 2.2 7 0"
          stroke="#e8656f"
          stroke-width="1.6"
          fill="none"
          stroke-linecap="round"
        />
      </Face>
      <path d="M3.2 11.2q-2.4 3.4 0 4.6q2.4-1.2 0-4.6z" fill={TEAR} />
      <path d="M20.8 11.2q-2.4 3.4 0 4.6q2.4-1.2 0-4.6z" fill={TEAR} />
    </>
  ),
  // Party popper: a cone from the bottom left, confetti and streamers out of its mouth.
  '🎉': () => (
    <>
      <path
        d="M2.5 21.5l4.5-13 8.5 8.5z"
        fill="#f39c2b"
        stroke="#b8660c"
        stroke-width="1"
        stroke-linejoin="round"
      />
      <path d="M4.6 15.4l4 4M5.9 11.7l6.4 6.4" stroke="#e0313d" stroke-width="1.4" />
      <path
        d="M12 7.5q1.5-3 4.5-2.5M15.5 11q3-1 5 1"
        stroke="#3f7fd8"
        stroke-width="1.5"
        fill="none"
        stroke-linecap="round"
      />
      <circle cx="11" cy="3.5" r="1.3" fill="#e0313d" />
      <circle cx="20" cy="6" r="1.3" fill="#2fae5b" />
      <circle cx="19.5" cy="16" r="1.2" fill="#a259d9" />
      <rect x="16" y="2" width="2.2" height="2.2" rx=".4" fill="#f8c43a" transform="rotate(20 17 3)" />
    </>
  ),
  // Surprised: round eyes and a round open mouth.
  '😮': () => (
    <Face>
      <ellipse cx="8.5" cy="9.5" rx="1.4" ry="1.9" fill={INK} />
      <ellipse cx="15.5" cy="9.5" rx="1.4" ry="1.9" fill={INK} />
      <ellipse cx="12" cy="16" rx="2.6" ry="3" fill={INK} />
    </Face>
  ),
  // Crying: a frown and one tear running down.
  '😢': () => (
    <Face>
      <path d="M6.5 8.8l3-1.3M17.5 8.8l-3-1.3" stroke={INK} stroke-width="1.3" stroke-linecap="round" />
      <circle cx="8.5" cy="11" r="1.3" fill={INK} />
      <circle cx="15.5" cy="11" r="1.3" fill={INK} />
      <path d="M8.5 17.5q3.5-3 7 0" stroke={INK} stroke-width="1.6" fill="none" stroke-linecap="round" />
      <path d="M16.2 12.6q-2 3.2 0 4.4q2-1.2 0-4.4z" fill={TEAR} />
    </Face>
  ),
  // Folded hands: two palms pressed together, pointing up, a thumb on each side, one cuff.
  '🙏': () => (
    <>
      <ellipse
        cx="8"
        cy="13.4"
        rx="1.8"
        ry="3.3"
        transform="rotate(25 8 13.4)"
        fill={SKIN}
        stroke={SKIN_EDGE}
        stroke-width="1"
      />
      <ellipse
        cx="16"
        cy="13.4"
        rx="1.8"
        ry="3.3"
        transform="rotate(-25 16 13.4)"
        fill={SKIN}
        stroke={SKIN_EDGE}
        stroke-width="1"
      />
      <path
        d="M12 2.5q-1.9 0-2.5 2.6L8.3 14l1.4 4.3H12z"
        fill={SKIN}
        stroke={SKIN_EDGE}
        stroke-width="1"
        stroke-linejoin="round"
      />
      <path
        d="M12 2.5q1.9 0 2.5 2.6L15.7 14l-1.4 4.3H12z"
        fill={SKIN}
        stroke={SKIN_EDGE}
        stroke-width="1"
        stroke-linejoin="round"
      />
      <path d="M10.7 6.5l-.6 5M13.3 6.5l.6 5" stroke={SKIN_EDGE} stroke-width="1" stroke-linecap="round" />
      <rect x="8.3" y="18" width="7.4" height="4" rx="1" fill="#3f7fd8" />
    </>
  ),
  // Eyes: two white eyes glancing to one side.
  '👀': () => (
    <>
      <ellipse cx="7" cy="12" rx="4.6" ry="6.5" fill="#fff" stroke="#6b7280" stroke-width="1" />
      <ellipse cx="17" cy="12" rx="4.6" ry="6.5" fill="#fff" stroke="#6b7280" stroke-width="1" />
      <ellipse cx="5" cy="13" rx="2.2" ry="2.9" fill="#27272a" />
      <ellipse cx="15" cy="13" rx="2.2" ry="2.9" fill="#27272a" />
      <circle cx="4.3" cy="12" r=".7" fill="#fff" />
      <circle cx="14.3" cy="12" r=".7" fill="#fff" />
    </>
  ),
};

/** The drawing for an emoji, ignoring variation selectors (❤️ and ❤ are one heart). */
function drawingOf(emoji: string): (() => preact.JSX.Element) | undefined {
  return drawings[emoji.replace(/\uFE0F/g, '')];
}

/** Whether `emoji` has a drawing here (the reaction picker's emoji all do). */
export function hasDrawing(emoji: string): boolean {
  return drawingOf(emoji) !== undefined;
}

export function Emoji(props: { emoji: string; size?: number }) {
  const draw = drawingOf(props.emoji);
  if (draw === undefined) return <>{props.emoji}</>;
  const size = props.size ?? 18;
  return (
    <>
      <svg class="emoji-svg" aria-hidden="true" width={size} height={size} viewBox="0 0 24 24">
        {draw()}
      </svg>
      <span class="visually-hidden">{props.emoji}</span>
    </>
  );
}
