// /plans/<id>: every section of the plan (the evacuation plan when there is one), the
// bundles' prices and total, what could not be read, and what the generation used and
// cost. A failed plan shows its message and Retry.
import { gql } from "../api.js";
import { fill, formatDate, h, link, titleCase } from "../dom.js";
import { renderMarkdown, withInline } from "../markdown.js";
import { failureBox, retryPlan } from "../plan_actions.js";
import { PLAN } from "../queries.js";
import { centsOf, dollars } from "../money.js";

export async function render(root, [reportId], { navigate }) {
  const report = (await gql(PLAN, { id: reportId })).missionReport;
  if (!report) {
    fill(root, h("h1", {}, "Plan not found"), h("p", {}, link("/dashboard", "Back to the dashboard")));
    return;
  }
  const messages = h("div", { id: "messages" });
  const heading = h("h1", {}, `Mission plan: ${report.location.city}, ${report.location.state}`);
  if (report.status === "GENERATING") {
    fill(root, heading, h("p", {}, "This plan is still being written. ",
      link(`/plans/${report.id}/progress`, "Follow its progress")));
    return;
  }
  if (report.status === "FAILED") {
    fill(root, heading, messages,
      failureBox(report.error, () => retryPlan(report.id, messages, navigate)),
      usageCard(report.usage));
    return;
  }
  const sections = report.plan.sections;
  fill(root,
    heading,
    h("p", { class: "muted" }, `Completed ${formatDate(report.completedAt)} · attempt ${report.attempt}`),
    section("summary", "Executive summary", h("div", { class: "markdown" }, renderMarkdown(sections.executiveSummary))),
    section("risks", "Risks by scenario", risks(sections.riskAssessment)),
    sections.evacuation ? section("evacuation", "Evacuation plan", evacuation(sections.evacuation)) : null,
    section("bundles", "Recommended bundles", bundles(sections.bundles)),
    section("skills", "Skills to learn", skills(sections.skills)),
    section("days", "Day by day", days(sections.simulation)),
    section("next-steps", "Next steps", h("ol", {}, sections.nextSteps.map((stepText) =>
      withInline(h("li", {}), stepText)))),
    sections.unparsed.length ? unparsed(sections.unparsed) : null,
    usageCard(report.usage),
    h("details", { class: "card" }, h("summary", {}, "The whole plan as written"),
      h("div", { class: "markdown" }, renderMarkdown(report.plan.content))),
  );
}

function section(id, title, body) {
  return h("section", { class: "card", id }, h("h2", {}, title), body);
}

function risks(assessments) {
  if (!assessments.length) return h("p", { class: "muted" }, "No risks were assessed.");
  return assessments.map((risk) =>
    h("div", { class: "risk", dataset: { scenario: risk.scenario ?? "" } },
      h("h3", {}, risk.scenario ? titleCase(risk.scenario) : risk.title, " · ",
        h("span", { class: `level level-${String(risk.level).toUpperCase()}` }, risk.level)),
      h("div", { class: "markdown" }, renderMarkdown(risk.summary)),
    ));
}

// Each step under the plan's own title for it, or the topic's name when it has none.
const TOPIC_LABELS = {
  WHEN_TO_LEAVE: "When to leave",
  DESTINATION: "Destination",
  ROUTES: "Routes",
  GETTING_THERE: "Getting there",
  WHAT_TO_TAKE: "What to take",
  MEETING_POINTS: "Meeting points",
  OTHER: "Also",
};

function evacuation(plan) {
  return [
    plan.overview ? h("div", { class: "markdown" }, renderMarkdown(plan.overview)) : null,
    h("dl", { class: "kv evacuation-steps" }, plan.steps.map((step) => [
      h("dt", { dataset: { topic: step.topic } }, step.title || TOPIC_LABELS[step.topic] || titleCase(step.topic)),
      h("dd", {}, h("div", { class: "markdown" }, renderMarkdown(step.advice))),
    ])),
  ];
}

// What the parser could not read: the reader knows to look in the whole plan below.
const UNPARSED_REASONS = {
  UNKNOWN_SECTION: "a section not shown above",
  NOTHING_READ: "nothing in it could be read",
  NO_BUNDLE_ID: "names no catalog bundle",
  UNKNOWN_BUNDLE: "a bundle not in the catalog",
  NOT_A_DAY: "not a day of the simulation",
  NO_RISK_LEVEL: "states no risk level",
};

function unparsed(parts) {
  return h("section", { class: "card", id: "unparsed" },
    h("h2", {}, "Not shown above"),
    h("p", { class: "muted" }, "These parts of the plan could not be read into its sections; the whole plan below has them."),
    h("ul", {}, parts.map((part) => h("li", {},
      h("strong", {}, part.section || "An untitled section"), ` (${UNPARSED_REASONS[part.reason] ?? titleCase(part.reason)}): `,
      h("span", { class: "excerpt" }, part.excerpt)))));
}

function bundles(recommended) {
  if (!recommended.length) return h("p", { class: "muted" }, "No catalog bundle was recommended.");
  const prices = recommended.map((item) => centsOf(item.bundle?.priceUsd));
  const total = prices.reduce((sum, cents) => sum + (cents ?? 0), 0);
  return h("table", { id: "bundle-table" },
    h("thead", {}, h("tr", {}, h("th", {}, "Bundle"), h("th", {}, "Why"), h("th", { class: "num" }, "Price"))),
    h("tbody", {}, recommended.map((item, index) =>
      h("tr", {},
        h("td", {}, item.bundle?.name ?? item.name),
        h("td", {}, withInline(h("span", {}, ""), item.reason)),
        h("td", { class: "num" }, prices[index] === null ? "—" : dollars(prices[index])),
      ))),
    h("tfoot", {}, h("tr", {}, h("td", { colspan: 2 }, "Total"),
      h("td", { class: "num", id: "bundle-total" }, dollars(total)))),
  );
}

function skills(list) {
  return h("table", {}, h("tbody", {}, list.map((skill) =>
    h("tr", {}, h("td", {}, h("strong", {}, skill.name)), h("td", { class: `priority priority-${skill.priority}` }, titleCase(skill.priority)),
      h("td", {}, withInline(h("span", {}), skill.reason))))));
}

function days(simulation) {
  return simulation.map((day) =>
    h("div", { class: "day" }, h("h3", {}, `Day ${day.day}: ${day.title}`),
      h("div", { class: "markdown" }, renderMarkdown(day.details))));
}

const USAGE_LABELS = {
  model: "Model",
  inputTokens: "Input tokens",
  outputTokens: "Output tokens",
  totalTokens: "Total tokens",
  durationMs: "Duration",
  costUsd: "Cost",
};

/** Renders whichever usage fields the server returned (their shape is still growing). */
function usageCard(usage) {
  if (!usage) return h("section", { class: "card", id: "usage" }, h("h2", {}, "Usage and cost"),
    h("p", { class: "muted" }, "No usage was recorded."));
  const rows = Object.entries(usage)
    .filter(([key]) => key !== "__typename")
    .map(([key, value]) => [USAGE_LABELS[key] ?? titleCase(key.replace(/([A-Z])/g, "_$1")), usageValue(key, value)]);
  return h("section", { class: "card", id: "usage" }, h("h2", {}, "Usage and cost"),
    h("dl", { class: "kv" }, rows.map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)])));
}

function usageValue(key, value) {
  if (value === null || value === undefined) return key === "costUsd" ? "not reported" : "—";
  if (key === "durationMs") return `${(value / 1000).toFixed(1)} s`;
  if (key === "costUsd" && typeof value === "number") return `$${value.toFixed(4)}`;
  if (typeof value === "number") return value.toLocaleString("en-US");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
