// /plans/<id>/progress: live step names and percentage, the plan text as it is written,
// cancel. Subscribes only while the page is visible and resumes with afterSequence.
import { gql, subscribe } from "../api.js";
import { append, fill, h, link } from "../dom.js";
import { applyDraftDelta } from "../draft.js";
import { features } from "../features.js";
import { SequenceTracker, whileVisible } from "../live.js";
import { cancelPlan, failureBox, retryPlan } from "../plan_actions.js";
import { missionEventsSubscription, reportQuery } from "../queries.js";

const STATUS_TEXT = {
  live: "Live",
  paused: "Paused while this page is hidden",
  reconnecting: "Connection lost: reconnecting…",
  done: "Finished",
  stopped: "Not following",
};

export async function render(root, [reportId], { navigate }) {
  const flags = await features();
  const report = (await gql(reportQuery(flags), { id: reportId })).missionReport;
  if (!report) {
    fill(root, h("h1", {}, "Plan not found"), h("p", {}, link("/dashboard", "Back to the dashboard")));
    return undefined;
  }
  const view = progressView(report, flags);
  const retry = () => retryPlan(reportId, view.messages, navigate);
  fill(root, view.node);
  view.showReport(report, retry);
  if (report.status !== "GENERATING") return undefined;

  const tracker = new SequenceTracker();
  let draft = report.draft ?? "";
  let attempt = report.attempt;

  async function rereadDraft() {
    const fresh = (await gql(reportQuery(flags), { id: reportId })).missionReport;
    draft = fresh?.draft ?? "";
    view.showDraft(draft);
  }

  function onEvent(event) {
    if (!tracker.accept(event)) return;
    view.logEvent(event);
    switch (event.__typename) {
      case "MissionProgressEvent":
        if (event.attempt !== attempt) {
          attempt = event.attempt;
          draft = "";
        }
        view.showProgress(event.progress);
        if (flags.draft) {
          const next = applyDraftDelta(draft, event.draftDelta, event.draftLength);
          if (next === null) void rereadDraft();
          else view.showDraft((draft = next));
        }
        break;
      case "MissionCompletedEvent":
        view.showCompleted();
        break;
      case "MissionFailedEvent":
        view.showFailed(event.error, retry);
        break;
      case "MissionCancelledEvent":
        view.showCancelled();
        break;
      default:
        break;
    }
  }

  const stop = whileVisible(({ ended, received }) =>
    subscribe(missionEventsSubscription(flags), { id: reportId, after: tracker.last }, {
      next(data) {
        received();
        onEvent(data.missionEvents);
      },
      error: (error, options) => ended(error, options),
      complete: () => ended(),
    }),
  (status) => view.showStatus(status));

  view.onCancel(async () => {
    if (await cancelPlan(reportId, view.messages)) navigate("/dashboard");
  });
  return stop;
}

function progressView(report, flags) {
  const title = h("h1", {}, `Your plan for ${report.location.city}, ${report.location.state}`);
  const step = h("p", { id: "step-name" });
  const percent = h("span", { id: "percentage" });
  const bar = h("div", {});
  const status = h("span", { id: "live-status", class: "muted" });
  const messages = h("div", { id: "messages" });
  const draftBox = h("div", { class: "draft", id: "draft" });
  const timeline = h("ol", { class: "timeline", id: "timeline" });
  const cancel = h("button", { class: "danger", id: "cancel" }, "Cancel plan");
  const actions = h("div", { class: "actions" }, cancel);
  const node = h("div", {},
    title,
    h("div", { class: "card" },
      h("div", { class: "row" }, h("strong", {}, "Progress "), percent, status),
      h("div", { class: "bar", role: "progressbar", "aria-label": "Plan progress" }, bar),
      step,
      actions,
    ),
    messages,
    flags.draft ? h("div", { class: "card" }, h("h2", {}, "Your plan, as it is written"), draftBox) : null,
    h("details", { class: "card", open: true }, h("summary", {}, "What happened so far"), timeline),
  );
  const showProgress = (progress) => {
    const value = Math.max(0, Math.min(100, Math.round(progress.percentage)));
    percent.textContent = `${value}%`;
    bar.style.width = `${value}%`;
    bar.parentElement.setAttribute("aria-valuenow", String(value));
    step.textContent = `Step ${progress.stepIndex + 1} of ${progress.stepCount}: ${progress.stepName}`;
  };
  const finished = () => {
    cancel.remove();
    status.textContent = "";
  };
  return {
    node,
    messages,
    showProgress,
    showReport(current, onRetry) {
      showProgress(current.progress);
      if (current.draft) draftBox.textContent = current.draft;
      if (current.status === "COMPLETED") this.showCompleted();
      if (current.status === "FAILED") this.showFailed(current.error, onRetry);
    },
    showDraft(text) {
      draftBox.textContent = text;
      draftBox.scrollTop = draftBox.scrollHeight;
    },
    showStatus(state) {
      status.textContent = ` · ${STATUS_TEXT[state] ?? state}`;
      node.dataset.live = state;
      if (state === "reconnecting") node.dataset.reconnects = String(Number(node.dataset.reconnects ?? 0) + 1);
    },
    showCompleted() {
      finished();
      percent.textContent = "100%";
      bar.style.width = "100%";
      step.textContent = "Your plan is ready.";
      fill(messages, h("div", { class: "success-box", id: "completed" },
        "Your plan is ready. ", link(`/plans/${report.id}`, "Read your plan")));
    },
    showFailed(error, onRetry) {
      finished();
      fill(messages, failureBox(error, onRetry));
    },
    showCancelled() {
      finished();
      fill(messages, h("div", { class: "error-box" }, "This plan was cancelled."));
    },
    logEvent(event) {
      append(timeline, h("li", { dataset: { sequence: event.sequence, type: event.__typename } },
        `#${event.sequence} ${describe(event)}`));
      timeline.scrollTop = timeline.scrollHeight;
    },
    onCancel(handler) {
      cancel.addEventListener("click", handler);
    },
  };
}

function describe(event) {
  switch (event.__typename) {
    case "MissionProgressEvent":
      return `${event.progress.stepName} · ${Math.round(event.progress.percentage)}%`;
    case "MissionCompletedEvent":
      return "Plan completed";
    case "MissionFailedEvent":
      return `Failed: ${event.error.message}`;
    case "MissionCancelledEvent":
      return "Cancelled";
    case "NotificationEvent":
      return `Notification: ${event.notification.title}`;
    default:
      return event.__typename;
  }
}
