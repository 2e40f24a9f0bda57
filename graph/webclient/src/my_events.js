// One myMissionEvents subscription for the whole page, while it is visible. Pages and
// the toasts listen on `myEvents`; "resync" says events may have been missed (the
// stream has no afterSequence), so listeners read their state again.
import { onSocket, subscribe } from "./api.js";
import { whileVisible } from "./live.js";
import { MY_EVENTS } from "./queries.js";

export const myEvents = new EventTarget();

export function startMyEvents() {
  const resync = () => myEvents.dispatchEvent(new Event("resync"));
  // A new connection may follow a gap (a restart, a network change): read again.
  const stopListening = onSocket((state) => state === "connected" && resync());
  const stop = whileVisible(({ ended, received }) => {
    resync();
    return subscribe(MY_EVENTS, {}, {
      next(data) {
        received();
        myEvents.dispatchEvent(new CustomEvent("event", { detail: data.myMissionEvents }));
      },
      error: (error, options) => ended(error, options),
      complete: () => ended(),
    });
  });
  return () => {
    stopListening();
    stop();
  };
}
