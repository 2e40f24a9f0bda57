// The shell: routes, navigation and the toasts shown on every page.
import { auth, gql } from "./api.js";
import { fill, h, link } from "./dom.js";
import { VIEWER } from "./queries.js";
import { startToasts } from "./toasts.js";
import { startMyEvents } from "./my_events.js";
import * as wizard from "./pages/wizard.js";
import * as progress from "./pages/progress.js";
import * as plan from "./pages/plan.js";
import * as dashboard from "./pages/dashboard.js";
import * as admin from "./pages/admin.js";
import * as signin from "./pages/signin.js";

const ROUTES = [
  { pattern: /^\/$/, page: wizard, nav: "/" },
  { pattern: /^\/plans\/([^/]+)\/progress$/, page: progress, nav: "/dashboard" },
  { pattern: /^\/plans\/([^/]+)$/, page: plan, nav: "/dashboard" },
  { pattern: /^\/dashboard$/, page: dashboard, nav: "/dashboard" },
  { pattern: /^\/admin$/, page: admin, nav: "/admin" },
  { pattern: /^\/signin$/, page: signin, nav: "/signin", public: true },
];

let leavePage = () => {};
let viewer = null;
let stopShell = () => {};

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  void show();
}

async function show() {
  leavePage();
  leavePage = () => {};
  const root = document.getElementById("page");
  const route = ROUTES.find((candidate) => candidate.pattern.test(location.pathname));
  if (!route) {
    fill(root, h("h1", {}, "Page not found"), h("p", {}, link("/", "Start a new plan")));
    return;
  }
  if (!route.public && !auth.token) {
    navigate(`/signin?next=${encodeURIComponent(location.pathname)}`, { replace: true });
    return;
  }
  await ensureShell();
  renderNav(route.nav);
  const params = route.pattern.exec(location.pathname).slice(1).map(decodeURIComponent);
  const context = { navigate, viewer, onSignIn: restartShell };
  try {
    leavePage = (await route.page.render(root, params, context)) ?? (() => {});
  } catch (error) {
    if (error.unauthenticated) {
      auth.clear();
      navigate(`/signin?next=${encodeURIComponent(location.pathname)}`, { replace: true });
      return;
    }
    fill(root, h("div", { class: "error-box", role: "alert" }, error.message));
  }
}

async function ensureShell() {
  if (viewer || !auth.token) return;
  try {
    viewer = (await gql(VIEWER)).viewer;
  } catch (error) {
    if (error.unauthenticated) auth.clear();
    return;
  }
  const stopEvents = startMyEvents();
  const stopToasts = startToasts(document.getElementById("toasts"), navigate);
  stopShell = () => {
    stopEvents();
    stopToasts();
  };
}

function restartShell() {
  stopShell();
  stopShell = () => {};
  viewer = null;
}

function renderNav(current) {
  const item = (href, text) =>
    h("a", { href, "data-link": true, class: href === current ? "current" : "" }, text);
  const nav = document.getElementById("nav");
  fill(
    nav,
    item("/", "New plan"),
    item("/dashboard", "Dashboard"),
    viewer?.isAdmin ? item("/admin", "Admin") : null,
    viewer
      ? h(
          "span",
          { class: "who" },
          `Signed in as ${viewer.id} `,
          h("button", { class: "secondary", id: "sign-out", onClick: signOut }, "Sign out"),
        )
      : h("span", { class: "who" }, item("/signin", "Sign in")),
  );
}

function signOut() {
  restartShell();
  auth.clear();
  navigate("/signin");
}

document.addEventListener("click", (event) => {
  const anchor = event.target.closest?.("a[data-link]");
  if (!anchor || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(anchor.getAttribute("href"));
});
window.addEventListener("popstate", () => void show());
void show();
