/**
 * Whether the person's main input is a touch screen (a phone, a tablet): no hover and a
 * coarse pointer. Such a device has no Alt, Ctrl or Esc keys to speak of, so the client
 * leaves out the hints that name them (the list of shortcuts, "(Ctrl+K)", "(Esc)"). Read
 * once: the main input does not change while the page is open.
 */
export const TOUCH_ONLY: boolean =
  typeof matchMedia === 'function' && matchMedia('(hover: none) and (pointer: coarse)').matches;
