// A subscription that runs only while the page is visible (Page Visibility API) and
// reconnects after a dropped connection. `open` is called again each time, so the caller
// passes its newest afterSequence and nothing is missed or seen twice.

const FIRST_RETRY_MS = 300;
const LAST_RETRY_MS = 5_000;

/**
 * open({ended}) starts the subscription and returns its dispose function; it calls
 * ended() when the stream completes, ended(error) when it broke (retried), or
 * ended(error, {fatal: true}) when retrying cannot help.
 * onStatus gets "live", "paused", "reconnecting", "done" or "stopped".
 */
export function whileVisible(open, onStatus = () => {}) {
  let dispose = null;
  let generation = 0;
  let retryTimer = null;
  let delay = FIRST_RETRY_MS;
  let over = false;

  function connect() {
    if (over || dispose || document.hidden) return;
    const mine = ++generation;
    onStatus("live");
    dispose = open({
      ended(error, { fatal = false } = {}) {
        if (mine !== generation) return; // a stream we already let go of
        dispose = null;
        if (!error) {
          finish("done");
        } else if (fatal) {
          finish("stopped", error);
        } else {
          onStatus("reconnecting", error);
          retryTimer = setTimeout(connect, delay);
          delay = Math.min(delay * 2, LAST_RETRY_MS);
        }
      },
      received() {
        delay = FIRST_RETRY_MS;
      },
    });
  }

  function release() {
    clearTimeout(retryTimer);
    generation++;
    const current = dispose;
    dispose = null;
    current?.();
  }

  function finish(status, error) {
    over = true;
    release();
    document.removeEventListener("visibilitychange", onVisibility);
    onStatus(status, error);
  }

  function onVisibility() {
    if (over) return;
    if (document.hidden) {
      release();
      onStatus("paused");
    } else {
      delay = FIRST_RETRY_MS;
      connect();
    }
  }

  document.addEventListener("visibilitychange", onVisibility);
  if (document.hidden) onStatus("paused");
  connect();
  return () => {
    if (!over) finish("stopped");
  };
}

/** Keeps the events after the newest sequence seen: a resumed stream may repeat one. */
export class SequenceTracker {
  constructor() {
    this.last = null;
  }

  accept(event) {
    if (typeof event?.sequence !== "number") return false;
    if (this.last !== null && event.sequence <= this.last) return false;
    this.last = event.sequence;
    return true;
  }
}
