// /admin: the usage summary (when the server has it) and the cleanup of old jobs: a dry
// run first, then the confirmed run for the same age, each showing its counts.
import { gql } from "../api.js";
import { confirmAction, fill, formatDate, h } from "../dom.js";
import { CLEANUP, USAGE_SUMMARY } from "../queries.js";

export async function render(root, _params, { viewer }) {
  if (!viewer?.isAdmin) {
    fill(root, h("h1", {}, "Admin"),
      h("div", { class: "error-box", role: "alert" }, "Only an administrator can see this page."));
    return;
  }
  const usage = h("div", { id: "usage-summary" }, h("p", { class: "muted" }, "Loading…"));
  const days = h("input", { type: "number", id: "older-than", value: "7", min: 0, step: 1 });
  const result = h("div", { id: "cleanup-result" });
  const run = h("button", { class: "danger", id: "cleanup-run", disabled: true }, "Delete them");
  let dryRunDays = null;
  const dryRun = h("button", { class: "secondary", id: "cleanup-dry-run", onClick: async () => {
    const value = Number(days.value);
    const outcome = await cleanup(value, true, result);
    dryRunDays = outcome ? value : null;
    run.disabled = !outcome || outcome.matched + outcome.deliveriesMatched + outcome.receiptsMatched === 0;
  } }, "Dry run");
  days.addEventListener("input", () => {
    dryRunDays = null;
    run.disabled = true;
  });
  run.addEventListener("click", async () => {
    if (dryRunDays === null) return;
    const sure = await confirmAction(
      `Delete the finished jobs older than ${dryRunDays} days? This cannot be undone.`, "Delete");
    if (!sure) return;
    await cleanup(dryRunDays, false, result);
    run.disabled = true;
  });
  fill(root,
    h("h1", {}, "Admin"),
    h("section", { class: "card" }, h("h2", {}, "Usage"), usage),
    h("section", { class: "card" }, h("h2", {}, "Clean up old jobs"),
      h("p", { class: "muted" }, "Deletes finished jobs of the plan generator and their webhook records; reports and plans stay."),
      h("div", { class: "row" }, h("label", {}, h("span", { class: "label" }, "Older than (days)"), days), dryRun, run),
      result),
  );
  await showUsage(usage);
}

async function showUsage(where) {
  let summary;
  try {
    summary = (await gql(USAGE_SUMMARY)).usageSummary;
  } catch {
    fill(where, h("p", { class: "muted" }, "This server does not report a usage summary yet."));
    return;
  }
  fill(where, h("dl", { class: "kv" },
    Object.entries(summary).filter(([key]) => key !== "__typename").map(([key, value]) => [
      h("dt", {}, key.replace(/([A-Z])/g, " $1").toLowerCase()),
      h("dd", {}, key === "costUsd" ? `$${Number(value).toFixed(4)}` : Number(value).toLocaleString("en-US")),
    ])));
}

async function cleanup(olderThanDays, dryRun, where) {
  if (!Number.isInteger(olderThanDays)) {
    fill(where, h("div", { class: "error-box", role: "alert" }, "Enter a whole number of days."));
    return null;
  }
  const outcome = (await gql(CLEANUP, { days: olderThanDays, dryRun })).cleanupOldJobs;
  if (outcome.__typename !== "CleanupOldJobsSuccess") {
    fill(where, h("div", { class: "error-box", role: "alert" }, outcome.message));
    return null;
  }
  fill(where, h("div", { class: outcome.dryRun ? "card" : "success-box", dataset: { dryRun: String(outcome.dryRun) } },
    h("strong", {}, outcome.dryRun ? "Dry run: nothing was deleted." : "Cleanup done."),
    h("p", { class: "muted" }, `Cutoff ${formatDate(outcome.cutoff)}`),
    h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", { class: "num" }, "Matched"), h("th", { class: "num" }, "Deleted"))),
      h("tbody", {},
        countRow("Jobs", outcome.matched, outcome.deleted, "jobs"),
        countRow("Webhook deliveries", outcome.deliveriesMatched, outcome.deliveriesDeleted, "deliveries"),
        countRow("Webhook receipts", outcome.receiptsMatched, outcome.receiptsDeleted, "receipts"))),
  ));
  return outcome;
}

function countRow(label, matched, deleted, name) {
  return h("tr", { dataset: { count: name } }, h("td", {}, label),
    h("td", { class: "num matched" }, String(matched)), h("td", { class: "num deleted" }, String(deleted)));
}
