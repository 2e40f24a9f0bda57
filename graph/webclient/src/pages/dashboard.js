// The dashboard: a live mini progress card per generating plan, then finished and
// failed plans. Fed by the page's myMissionEvents stream; read again after any gap.
import { gql } from "../api.js";
import { fill, formatDate, h, link, titleCase } from "../dom.js";
import { myEvents } from "../my_events.js";
import { cancelPlan, retryPlan } from "../plan_actions.js";
import { DASHBOARD } from "../queries.js";

const TERMINAL = new Set(["MissionCompletedEvent", "MissionFailedEvent", "MissionCancelledEvent"]);

export async function render(root, _params, { navigate }) {
  const active = h("div", { class: "cards", id: "active" });
  const finished = h("div", { id: "finished" });
  const messages = h("div", { id: "messages" });
  const cards = new Map();
  fill(root,
    h("h1", {}, "Your plans"),
    messages,
    h("h2", {}, "Generating now"), active,
    h("h2", {}, "Finished and failed"), finished,
  );

  async function reload() {
    const data = await gql(DASHBOARD);
    cards.clear();
    fill(active, data.activeMissions.length
      ? data.activeMissions.map((report) => {
          const card = activeCard(report, messages, navigate, reload);
          cards.set(report.id, card);
          return card.node;
        })
      : h("p", { class: "muted", id: "no-active" }, "No plan is generating. ", link("/", "Create one")));
    const done = data.missionReports.nodes.filter((report) => report.status !== "GENERATING");
    fill(finished, done.length
      ? h("table", {}, h("tbody", {}, done.map((report) => finishedRow(report, messages, navigate))))
      : h("p", { class: "muted" }, "Nothing finished yet."));
  }

  const onEvent = ({ detail: event }) => {
    const card = cards.get(event.reportId);
    if (event.__typename === "MissionProgressEvent") {
      if (card) card.showProgress(event.progress);
      else void reload(); // a plan started elsewhere (another tab, a retry)
    } else if (TERMINAL.has(event.__typename)) {
      void reload();
    }
  };
  const onResync = () => void reload().catch(() => {});
  myEvents.addEventListener("event", onEvent);
  myEvents.addEventListener("resync", onResync);
  await reload();
  return () => {
    myEvents.removeEventListener("event", onEvent);
    myEvents.removeEventListener("resync", onResync);
  };
}

function activeCard(report, messages, navigate, reload) {
  const percent = h("span", { class: "percentage" });
  const bar = h("div", {});
  const step = h("div", { class: "muted step-name" });
  const node = h("div", { class: "card mission-card", dataset: { reportId: report.id } },
    h("strong", {}, `${report.location.city}, ${report.location.state}`), " ",
    h("span", { class: "status GENERATING" }, "GENERATING"),
    h("div", { class: "muted" }, report.scenarios.map(titleCase).join(", ")),
    h("div", { class: "row" }, h("div", { class: "bar grow" }, bar), percent),
    step,
    h("div", { class: "actions" },
      h("button", { class: "secondary view-progress",
        onClick: () => navigate(`/plans/${report.id}/progress`) }, "View progress"),
      h("button", { class: "danger cancel", onClick: async () => {
        if (await cancelPlan(report.id, messages)) await reload();
      } }, "Cancel"),
    ),
  );
  const showProgress = (progress) => {
    const value = Math.round(progress.percentage);
    percent.textContent = `${value}%`;
    bar.style.width = `${value}%`;
    step.textContent = progress.stepName;
  };
  showProgress(report.progress);
  return { node, showProgress };
}

function finishedRow(report, messages, navigate) {
  const failed = report.status === "FAILED";
  return h("tr", { class: "report-row", dataset: { reportId: report.id, status: report.status } },
    h("td", {}, link(`/plans/${report.id}`, `${report.location.city}, ${report.location.state}`)),
    h("td", {}, h("span", { class: `status ${report.status}` }, report.status)),
    h("td", { class: "muted" }, formatDate(report.completedAt ?? report.createdAt)),
    h("td", {}, failed ? report.error?.message ?? "" : ""),
    h("td", {}, failed && report.error?.retryable
      ? h("button", { class: "secondary retry", onClick: () => retryPlan(report.id, messages, navigate) }, "Retry")
      : null),
  );
}
