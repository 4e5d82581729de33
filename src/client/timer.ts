export type Timer = ReturnType<typeof setTimeout>;

export /** Timers must not keep a Node process alive; browsers have no unref. */
function unref(timer: Timer): Timer {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
