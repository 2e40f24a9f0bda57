// The sticky "Your plan is ready" toasts: from the API's notifications, so they come
// back after a reload until dismissed there (never from the browser's storage).
import { gql } from "./api.js";
import { fill, h } from "./dom.js";
import { myEvents } from "./my_events.js";
import { DISMISS, NOTIFICATIONS } from "./queries.js";

const SHOWN_AT_ONCE = 3;

export function startToasts(container, navigate) {
  let notifications = new Map();

  async function reload() {
    try {
      const data = await gql(NOTIFICATIONS);
      notifications = new Map(data.notifications.map((n) => [n.id, n]));
      render();
    } catch {
      // Shown again at the next resync; a toast is not worth an error banner.
    }
  }

  function onEvent({ detail: event }) {
    if (event.__typename !== "NotificationEvent" || event.notification.dismissedAt) return;
    notifications.set(event.notification.id, event.notification);
    render();
  }

  async function dismiss(notification) {
    const data = await gql(DISMISS, { id: notification.id });
    if (data.dismissNotification.__typename === "DismissNotificationSuccess" ||
        data.dismissNotification.__typename === "NotFoundError") {
      notifications.delete(notification.id);
      render();
    }
  }

  function render() {
    const newest = [...notifications.values()].sort((a, b) =>
      String(b.createdAt ?? "").localeCompare(String(a.createdAt ?? "")),
    );
    const hidden = newest.length - SHOWN_AT_ONCE;
    fill(
      container,
      newest.slice(0, SHOWN_AT_ONCE).map((notification) => toast(notification)),
      hidden > 0 ? h("div", { class: "toast" }, `and ${hidden} more`) : null,
    );
  }

  function toast(notification) {
    return h(
      "div",
      { class: "toast", role: "status", dataset: { notificationId: notification.id } },
      h("strong", {}, notification.title),
      h("span", {}, notification.body),
      h(
        "div",
        { class: "actions" },
        h("button", { onClick: () => navigate(`/plans/${notification.reportId}`) }, "View plan"),
        h("button", { class: "secondary", onClick: () => void dismiss(notification) }, "Dismiss"),
      ),
    );
  }

  myEvents.addEventListener("resync", reload);
  myEvents.addEventListener("event", onEvent);
  void reload();
  return () => {
    myEvents.removeEventListener("resync", reload);
    myEvents.removeEventListener("event", onEvent);
    fill(container);
  };
}
