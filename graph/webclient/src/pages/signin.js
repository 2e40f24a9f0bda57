// /signin: paste a token, or in development pick a user name and get a token from the
// API's development-only endpoint (it answers 404 in production).
import { ApiError, auth, gql } from "../api.js";
import { fill, h } from "../dom.js";
import { VIEWER } from "../queries.js";

export async function render(root, _params, { navigate, onSignIn }) {
  const message = h("div", { id: "signin-message" });
  const next = safeNext(new URLSearchParams(location.search).get("next"));
  async function useToken(token) {
    auth.set(token.trim());
    try {
      await gql(VIEWER);
    } catch (error) {
      auth.clear();
      fill(message, h("div", { class: "error-box", role: "alert" },
        error instanceof ApiError && error.unauthenticated ? "That token was not accepted." : error.message));
      return;
    }
    onSignIn();
    navigate(next, { replace: true });
  }
  const tokenInput = h("input", { type: "password", id: "token", size: 50, autocomplete: "off" });
  const pasteForm = h("form", { id: "token-form", onSubmit: (event) => {
    event.preventDefault();
    if (tokenInput.value.trim()) void useToken(tokenInput.value);
  } },
    h("label", {}, h("span", { class: "label" }, "Bearer token (JWT)"), tokenInput),
    h("button", { type: "submit" }, "Sign in with this token"),
  );
  const devCard = h("section", { class: "card", id: "dev-signin" });
  fill(root,
    h("h1", {}, "Sign in"),
    message,
    h("section", { class: "card" }, h("h2", {}, "With a token"), pasteForm),
    devCard,
  );
  if (await devSignInAvailable()) {
    const user = h("input", { type: "text", id: "dev-user", value: "dev-user", size: 24 });
    const admin = h("input", { type: "checkbox", id: "dev-admin" });
    fill(devCard, h("h2", {}, "Development sign-in"),
      h("p", { class: "muted" }, "This server runs in development mode: pick any user name."),
      h("form", { id: "dev-form", onSubmit: async (event) => {
        event.preventDefault();
        const token = await devToken(user.value.trim(), admin.checked, message);
        if (token) await useToken(token);
      } },
        h("div", { class: "row" },
          h("label", {}, h("span", { class: "label" }, "User name"), user),
          h("label", {}, admin, " Administrator"),
          h("button", { type: "submit", id: "dev-signin-button" }, "Get a development token")),
      ));
  } else {
    devCard.remove();
  }
}

/** Only a path on this site: a crafted ?next= must not send the user elsewhere. */
function safeNext(value) {
  return value && value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\")
    ? value : "/";
}

async function devSignInAvailable() {
  try {
    return (await fetch("/api/dev/token", { method: "GET" })).status === 200;
  } catch {
    return false;
  }
}

async function devToken(userId, admin, message) {
  const response = await fetch("/api/dev/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: userId, admin }),
  });
  const body = await response.json().catch(() => ({}));
  if (response.ok && typeof body.token === "string") return body.token;
  fill(message, h("div", { class: "error-box", role: "alert" }, body.message ?? `The server answered ${response.status}.`));
  return null;
}
