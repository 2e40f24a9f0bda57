// The web client's whole journey in Debian's chromium (playwright-core; no browser is
// ever downloaded). Run by tests/e2e/test_web_client.py, which owns the server:
//   node journey.mjs <baseUrl> <screenshotDir> <failMarker>
// Prints one JSON line per finished check. To restart the server mid-plan it prints
// {"ask":"restart"} and waits for a line on stdin once the server is back.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const [baseUrl, shots, failMarker] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const STEP_TIMEOUT = 30_000;
const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

function report(check, details = {}) {
  console.log(JSON.stringify({ check, ...details }));
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true, animations: "disabled" });
}

/** Pretends the tab was hidden or shown again, as the Page Visibility API reports it. */
async function setHidden(page, hidden) {
  await page.evaluate((value) => {
    Object.defineProperty(document, "hidden", { configurable: true, get: () => value });
    Object.defineProperty(document, "visibilityState", {
      configurable: true,
      get: () => (value ? "hidden" : "visible"),
    });
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);
}

/** A GraphQL call with the page's own token (setup and checks the UI does not show). */
async function api(page, query, variables = {}) {
  return page.evaluate(
    async ([q, v]) => {
      const response = await fetch("/graphql", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${localStorage.getItem("missionPlanner.token")}`,
        },
        body: JSON.stringify({ query: q, variables: v }),
      });
      return response.json();
    },
    [query, variables],
  );
}

const SUBMIT = `mutation ($input: MissionPlanInput!) { submitMissionPlan(input: $input) {
  __typename ... on SubmitMissionPlanSuccess { report { id } } ... on ValidationError { message } } }`;

function wizardInput(notes = null) {
  return {
    location: { city: "Tampa", state: "FL" },
    scenarios: ["HURRICANE", "FLOOD"],
    familyMembers: [{ name: "Rosa", age: 44 }, { name: "Tio", age: 9 }],
    mobilityPlan: { strategy: "EVACUATE", hasVehicle: false },
    budgetTier: "ESSENTIAL",
    durationDays: 7,
    notes,
  };
}

async function submitByApi(page, notes) {
  const body = await api(page, SUBMIT, { input: wizardInput(notes) });
  const result = body.data?.submitMissionPlan;
  expect(result?.__typename === "SubmitMissionPlanSuccess", `submit failed: ${JSON.stringify(body)}`);
  return result.report.id;
}

async function status(page, id) {
  const body = await api(page, `query ($id: ID!) { missionReport(id: $id) { status attempt } }`, { id });
  return body.data.missionReport;
}

async function waitForStatus(page, id, wanted) {
  const deadline = Date.now() + STEP_TIMEOUT;
  while (Date.now() < deadline) {
    const current = await status(page, id);
    if (current?.status === wanted) return current;
    await page.waitForTimeout(200);
  }
  throw new Error(`report ${id} never reached ${wanted}`);
}

async function timeline(page) {
  return page.$$eval("#timeline li", (items) =>
    items.map((item) => ({ sequence: Number(item.dataset.sequence), type: item.dataset.type })),
  );
}

/** Every event from the first one shown to the end, none missing and none twice. */
function expectContiguous(events, label) {
  expect(events.length > 0, `${label}: no event shown`);
  const sequences = events.map((event) => event.sequence);
  sequences.forEach((sequence, index) => {
    if (index > 0) {
      expect(sequence === sequences[index - 1] + 1, `${label}: sequences ${sequences.join(",")} have a gap or a repeat`);
    }
  });
  expect(events.some((event) => event.type === "MissionCompletedEvent"), `${label}: no completion in ${sequences}`);
}

async function signIn(page, user, { admin = false, open = true } = {}) {
  if (open) await page.goto(`${baseUrl}/signin`);
  await page.waitForSelector("#dev-form");
  await page.fill("#dev-user", user);
  if (admin) await page.check("#dev-admin");
  await page.click("#dev-signin-button");
  await page.waitForSelector("nav .who >> text=Signed in as");
}

async function wizardWithFieldError(page) {
  await page.waitForSelector("#wizard");
  await page.fill("[name='location.city']", "Miami");
  await page.fill("[name='location.state']", "FL");
  await page.fill("#members [name=member-name]", "Ana");
  await page.fill("#members [name=member-age]", "130");
  await page.click("#submit");
  const ageError = page.locator("[data-error-for='familyMembers[0].age']");
  await ageError.waitFor();
  const scenariosError = page.locator("[data-error-for='scenarios']");
  await scenariosError.waitFor();
  report("wizard shows the API's field errors next to the fields", {
    age: await ageError.textContent(),
    scenarios: await scenariosError.textContent(),
  });
  await shot(page, "01-wizard-field-errors");
}

async function wizardValidSubmit(page) {
  await page.fill("#members [name=member-age]", "38");
  await page.check("input[name=scenario][value=HURRICANE]");
  await page.check("input[name=scenario][value=POWER_GRID_FAILURE]");
  await page.click("#add-member");
  await page.fill("#members .member:nth-child(2) [name=member-name]", "Luis");
  await page.fill("#members .member:nth-child(2) [name=member-age]", "71");
  await page.fill("#members .member:nth-child(2) [name=member-needs]", "insulin, walker");
  await page.fill("[name=petCount]", "1");
  await page.selectOption("[name='mobilityPlan.strategy']", "FLEXIBLE");
  await page.check("[name='mobilityPlan.hasVehicle']");
  await page.fill("[name=notes]", "Second floor apartment.");
  await page.click("#submit");
  await page.waitForURL(/\/plans\/[^/]+\/progress$/);
  const id = new URL(page.url()).pathname.split("/")[2];
  expect((await page.locator(".field-error").count()) === 0, "errors left after a valid submit");
  report("wizard submits a valid plan and opens its progress page", { id });
  return id;
}

async function progressHiddenThenShown(page, id) {
  await page.waitForSelector("#timeline li[data-type=MissionProgressEvent]");
  const stepName = await page.textContent("#step-name");
  const hasDraft = (await page.locator("#draft").count()) > 0;
  await shot(page, "02-progress-live");
  await setHidden(page, true);
  await page.waitForSelector("[data-live=paused]");
  const shownWhileVisible = (await timeline(page)).length;
  await waitForStatus(page, id, "COMPLETED");
  await page.waitForTimeout(500);
  const shownWhileHidden = (await timeline(page)).length - shownWhileVisible;
  expect(shownWhileHidden === 0, `${shownWhileHidden} events arrived while the page was hidden`);
  await setHidden(page, false);
  await page.waitForSelector("#completed");
  const events = await timeline(page);
  expectContiguous(events, "hidden then shown");
  const draftLength = hasDraft ? ((await page.textContent("#draft")) ?? "").length : null;
  if (hasDraft) expect(draftLength > 0, "the plan text never appeared");
  report("progress page: live steps, paused while hidden, caught up when shown", {
    stepName,
    before: shownWhileVisible,
    after: events.length,
    sequences: events.map((event) => event.sequence),
    draft: hasDraft ? draftLength : "not in this schema",
  });
  await shot(page, "03-progress-completed");
}

async function toastSurvivesReload(page, id) {
  const toast = page.locator(".toast", { hasText: "Your plan is ready" });
  await toast.waitFor();
  await page.reload();
  await toast.waitFor();
  await shot(page, "04-toast-after-reload");
  await toast.locator("button", { hasText: "View plan" }).click();
  await page.waitForURL(`${baseUrl}/plans/${id}`);
  report("toast survives a reload and opens the plan");
}

async function planPage(page) {
  for (const section of ["#summary", "#risks", "#evacuation", "#bundles", "#skills", "#days", "#next-steps", "#usage"]) {
    await page.waitForSelector(section);
  }
  const risks = await page.locator(".risk").count();
  const total = await page.textContent("#bundle-total");
  const usage = await page.textContent("#usage");
  expect(risks === 2, `expected a risk per scenario, saw ${risks}`);
  expect(/^\$[\d,]+\.\d\d$/.test(total ?? ""), `bundle total ${total}`);
  expect(/offline-planner/.test(usage ?? ""), `usage shows no model: ${usage}`);
  expect((await page.locator("script:not([src])").count()) === 0, "an inline script appeared");
  // Enum values (SkillPriority HIGH, RiskLevel MODERATE) are shown as words.
  const priorities = await page.locator("#skills .priority").allTextContents();
  expect(priorities.length > 0 && priorities.every((p) => ["High", "Medium", "Low"].includes(p)),
    `skill priorities ${priorities}`);
  const levels = await page.locator(".risk .level").allTextContents();
  expect(levels.every((l) => ["LOW", "MODERATE", "HIGH", "SEVERE", "UNKNOWN"].includes(l)),
    `risk levels ${levels}`);
  // The wizard chose FLEXIBLE: the plan has an evacuation section, and the offline
  // planner's markdown reads whole, so nothing is listed as unread.
  const evacuationTopics = await page.locator("#evacuation dt").allTextContents();
  expect(evacuationTopics.includes("When to leave") && evacuationTopics.includes("Routes"),
    `evacuation topics ${evacuationTopics}`);
  expect((await page.locator("#unparsed").count()) === 0, "the offline plan showed unread parts");
  report("plan page renders every section with prices, total and usage",
    { risks, total, priorities, evacuationTopics });
  await shot(page, "05-plan");
}

async function dismissToast(page) {
  const toast = page.locator(".toast", { hasText: "Your plan is ready" });
  await toast.locator("button", { hasText: "Dismiss" }).click();
  await toast.waitFor({ state: "detached" });
  await page.reload();
  await page.waitForSelector("#summary");
  await page.waitForTimeout(700);
  expect((await toast.count()) === 0, "the dismissed toast came back after a reload");
  report("a dismissed toast stays dismissed after a reload");
}

async function cancelFromDashboard(page) {
  await page.goto(`${baseUrl}/dashboard`);
  await page.waitForSelector("#active");
  const id = await submitByApi(page, null);
  const card = page.locator(`.mission-card[data-report-id='${id}']`);
  await card.waitFor();
  await card.locator(".percentage").waitFor();
  await shot(page, "06-dashboard-generating");
  await card.locator("button.cancel").click();
  await page.waitForSelector("#confirm[open]");
  await shot(page, "07-dashboard-cancel-confirm");
  await page.click("#confirm-yes");
  await card.waitFor({ state: "detached" });
  expect((await status(page, id)) === null, "the cancelled plan still exists");
  report("cancel from the dashboard after a confirmation", { id });
}

async function failedPlanRetried(page) {
  // The server fails only a marked plan's first attempt (OFFLINE_FAIL_FIRST_ATTEMPTS=1).
  const id = await submitByApi(page, `Please ${failMarker} this one.`);
  await page.goto(`${baseUrl}/plans/${id}/progress`);
  await page.waitForSelector("#failure #retry", { timeout: STEP_TIMEOUT });
  const message = (await page.textContent("#failure .failure-message")) ?? "";
  expect(!message.includes(failMarker), "the failure shows raw provider text");
  expect(/Retry to generate the plan again/.test(message), `not an actionable message: ${message}`);
  expect(await page.isVisible("#failure #retry"), "no Retry button beside the failure");
  await shot(page, "08-failed-plan");
  // The dashboard lists it with the same message and its own Retry.
  await page.goto(`${baseUrl}/dashboard`);
  const row = page.locator(`.report-row[data-report-id='${id}']`);
  await row.waitFor();
  expect((await row.getAttribute("data-status")) === "FAILED", "dashboard does not list the failure");
  expect((await row.textContent()).includes(message), "dashboard row lacks the failure's message");
  expect(await row.locator("button.retry").isVisible(), "dashboard row has no Retry");
  // Retry from the failure box; the retry plans and is followed live to the end.
  await page.goto(`${baseUrl}/plans/${id}/progress`);
  await page.click("#failure #retry");
  await page.waitForSelector("#failure", { state: "detached" });
  await page.waitForSelector("[data-live=live]");
  await page.waitForSelector("#timeline li[data-type=MissionProgressEvent]");
  const stepName = await page.textContent("#step-name");
  await page.waitForSelector("#completed");
  const events = await timeline(page);
  expectContiguous(events, "the retried plan");
  const progressShown = events.filter((event) => event.type === "MissionProgressEvent").length;
  expect(progressShown >= 2, `only ${progressShown} progress events of the retry were shown`);
  const { status: finalStatus, attempt } = await status(page, id);
  expect(attempt === 2 && finalStatus === "COMPLETED", `retry ended ${finalStatus}, attempt ${attempt}`);
  await page.click("#completed a");
  await page.waitForURL(`${baseUrl}/plans/${id}`);
  for (const section of ["#summary", "#risks", "#bundles", "#skills", "#days", "#next-steps", "#usage"]) {
    await page.waitForSelector(section);
  }
  const meta = (await page.textContent("#page > p.muted")) ?? "";
  expect(/attempt 2/.test(meta), `the plan page does not say attempt 2: ${meta}`);
  expect((await page.locator(".risk").count()) === 2, "the retried plan lacks a risk per scenario");
  expect(/^\$[\d,]+\.\d\d$/.test((await page.textContent("#bundle-total")) ?? ""), "no bundle total");
  await shot(page, "09-retried-plan");
  report("a failed plan shows its message and Retry makes a completed plan", {
    message,
    attempt,
    stepName,
    progressShown,
    sequences: events.map((event) => event.sequence),
  });
}

/**
 * The dashboard hidden while a plan finishes, then shown: its stream was closed while
 * hidden (myMissionEvents has no afterSequence), so the finished plan can only come from
 * the dashboard reading its state again on becoming visible. Then the same across a
 * dropped connection: the plan finishes while the socket is down, and the reconnect
 * makes the dashboard read again.
 */
async function dashboardCatchesUp(page) {
  await page.goto(`${baseUrl}/dashboard`);
  await page.waitForSelector("#active");
  const hiddenId = await submitByApi(page, null);
  const card = (id) => page.locator(`.mission-card[data-report-id='${id}']`);
  const finishedRow = (id) => page.locator(`.report-row[data-report-id='${id}'][data-status=COMPLETED]`);
  await card(hiddenId).locator(".percentage").waitFor();
  await setHidden(page, true);
  await waitForStatus(page, hiddenId, "COMPLETED");
  await page.waitForTimeout(500);
  expect((await card(hiddenId).count()) === 1, "the hidden dashboard changed: its stream was still open");
  expect((await finishedRow(hiddenId).count()) === 0, "the hidden dashboard got the completion live");
  await setHidden(page, false);
  await finishedRow(hiddenId).waitFor();
  await card(hiddenId).waitFor({ state: "detached" });

  // The connection drops (while "down" every new socket is closed at once) and the plan
  // finishes meanwhile: its completion is never delivered live, only a re-read shows it.
  // The route stays, passing sockets through, for the rest of the journey.
  let down = false;
  const sockets = [];
  await page.routeWebSocket(/\/graphql$/, (ws) => {
    if (down) {
      void ws.close({ code: 1012, reason: "down" });
      return;
    }
    sockets.push(ws);
    ws.connectToServer();
  });
  await page.reload();
  await page.waitForSelector("#active");
  const droppedId = await submitByApi(page, null);
  await card(droppedId).locator(".percentage").waitFor();
  down = true;
  for (const ws of sockets.splice(0)) await ws.close({ code: 1012, reason: "down" });
  await waitForStatus(page, droppedId, "COMPLETED");
  down = false;
  await finishedRow(droppedId).waitFor();
  await card(droppedId).waitFor({ state: "detached" });
  report("dashboard reads again when shown and after a reconnect", { hiddenId, droppedId });
}

async function resumesAcrossRestart(page) {
  const id = await submitByApi(page, null);
  await page.goto(`${baseUrl}/plans/${id}/progress`);
  await page.waitForSelector("#timeline li[data-type=MissionProgressEvent]");
  const before = (await timeline(page)).length;
  console.log(JSON.stringify({ ask: "restart" }));
  const answer = await stdinLines.next();
  expect(!answer.done, "the test runner never restarted the server");
  await page.waitForSelector("#completed", { timeout: 60_000 });
  const events = await timeline(page);
  expectContiguous(events, "across a restart");
  const reconnects = Number(await page.getAttribute("[data-live]", "data-reconnects"));
  expect(reconnects >= 1, "the page never saw the connection drop");
  report("progress resumes after a server restart without losing an event", {
    reconnects,
    before,
    after: events.length,
    sequences: events.map((event) => event.sequence),
  });
}

async function adminCleanup(page) {
  await page.click("#sign-out");
  await page.waitForSelector("#token-form");
  await shot(page, "10-signin");
  await signIn(page, `admin-${Date.now()}`, { admin: true });
  await page.goto(`${baseUrl}/admin`);
  await page.waitForSelector("#usage-summary :is(dl, p:not(:has-text('Loading')))");
  await page.fill("#older-than", "0");
  await page.click("#cleanup-dry-run");
  await page.waitForSelector("#cleanup-result [data-dry-run=true]");
  const matched = Number(await page.textContent("[data-count=jobs] .matched"));
  const deleted = Number(await page.textContent("[data-count=jobs] .deleted"));
  expect(matched > 0 && deleted === 0, `dry run matched ${matched}, deleted ${deleted}`);
  await shot(page, "11-admin-dry-run");
  await page.click("#cleanup-run");
  await page.click("#confirm-yes");
  await page.waitForSelector("#cleanup-result [data-dry-run=false]");
  const deletedForReal = Number(await page.textContent("[data-count=jobs] .deleted"));
  expect(deletedForReal === matched, `deleted ${deletedForReal} of ${matched}`);
  report("admin cleanup: dry run, then the confirmed run", { matched, deleted: deletedForReal });
  await shot(page, "12-admin-cleanup-done");
}

const profile = await mkdtemp(join(tmpdir(), "mission-planner-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: FLAGS,
  viewport: { width: 1200, height: 900 },
});
const page = context.pages()[0] ?? (await context.newPage());
const consoleErrors = [];
page.on("console", (message) => {
  if (message.type() === "error") consoleErrors.push(message.text());
});
page.setDefaultTimeout(STEP_TIMEOUT);
let failed = false;
try {
  await page.goto(`${baseUrl}/dashboard`);
  await page.waitForURL(/\/signin\?next=/);
  await signIn(page, `family-${Date.now()}`, { open: false });
  await page.waitForURL(`${baseUrl}/dashboard`);
  await page.goto(`${baseUrl}/`);
  await wizardWithFieldError(page);
  const id = await wizardValidSubmit(page);
  await progressHiddenThenShown(page, id);
  await toastSurvivesReload(page, id);
  await planPage(page);
  await dismissToast(page);
  await cancelFromDashboard(page);
  await failedPlanRetried(page);
  await resumesAcrossRestart(page);
  await dashboardCatchesUp(page);
  await adminCleanup(page);
  // A dropped websocket during the restart logs an error; anything else is a bug.
  const unexpected = consoleErrors.filter((text) => !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(text));
  expect(unexpected.length === 0, `console errors: ${unexpected.join(" | ")}`);
  report("done", { ok: true });
} catch (error) {
  failed = true;
  await shot(page, "failure").catch(() => {});
  console.error(error.stack ?? String(error));
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
