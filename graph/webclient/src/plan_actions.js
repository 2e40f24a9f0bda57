// Cancel and retry, shared by the progress page, the plan page and the dashboard.
import { gql } from "./api.js";
import { confirmAction, h } from "./dom.js";
import { CANCEL, RETRY } from "./queries.js";

/** Cancels after the user confirms; true once the plan is gone. */
export async function cancelPlan(reportId, where) {
  const sure = await confirmAction(
    "Cancel this plan? It stops generating and is deleted.", "Cancel the plan");
  if (!sure) return false;
  const result = (await gql(CANCEL, { id: reportId })).cancelMissionPlan;
  if (result.__typename === "CancelMissionPlanSuccess") return true;
  where.replaceChildren(h("div", { class: "error-box", role: "alert" }, result.message));
  return false;
}

export async function retryPlan(reportId, where, navigate) {
  const result = (await gql(RETRY, { id: reportId })).retryMissionPlan;
  if (result.__typename === "RetryMissionPlanSuccess") {
    navigate(`/plans/${result.report.id}/progress`);
  } else {
    where.replaceChildren(h("div", { class: "error-box", role: "alert" }, result.message));
  }
}

/** The failure as the user should read it, with Retry when retrying can help. */
export function failureBox(error, onRetry) {
  return h("div", { class: "error-box", role: "alert", id: "failure" },
    h("strong", {}, "This plan could not be generated. "),
    h("span", { class: "failure-message" }, error?.message ?? "The plan failed."),
    error?.retryable
      ? h("div", { class: "actions" }, h("button", { id: "retry", onClick: onRetry }, "Retry"))
      : h("p", {}, "Retrying will not help: change the answers and create a new plan."),
  );
}
