// The API as the pages use it: GraphQL over HTTP, subscriptions over graphql-transport-ws.
import { createClient } from "graphql-ws";

const TOKEN_KEY = "missionPlanner.token";

export const auth = {
  get token() {
    return localStorage.getItem(TOKEN_KEY);
  },
  set(token) {
    localStorage.setItem(TOKEN_KEY, token);
    resetSocket();
  },
  clear() {
    localStorage.removeItem(TOKEN_KEY);
    resetSocket();
  },
};

export class ApiError extends Error {
  constructor(message, { status = 0, unauthenticated = false } = {}) {
    super(message);
    this.status = status;
    this.unauthenticated = unauthenticated;
  }
}

const AUTH_MESSAGE = /authentication required|token expired/i;

export async function gql(query, variables = {}) {
  const headers = {
    "content-type": "application/json",
    accept: "application/graphql-response+json, application/json",
  };
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError("The server cannot be reached; check your connection and try again.");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered ${response.status}.`, { status: response.status });
  }
  if (body.errors?.length) {
    const message = body.errors[0].message ?? "The request failed.";
    throw new ApiError(message, {
      status: response.status,
      unauthenticated: response.status === 401 || AUTH_MESSAGE.test(message),
    });
  }
  return body.data;
}

let socket = null;
const socketListeners = new Set();

function socketUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/graphql`;
}

function client() {
  if (socket === null) {
    socket = createClient({
      url: socketUrl(),
      lazy: true,
      // Reconnecting is ours to do (see live.js): graphql-ws would resubscribe with the
      // first variables, and a resumed stream needs the newest afterSequence.
      retryAttempts: 0,
      keepAlive: 15_000,
      connectionParams: () => ({ authorization: `Bearer ${auth.token ?? ""}` }),
      on: {
        connected: () => socketListeners.forEach((listener) => listener("connected")),
        closed: () => socketListeners.forEach((listener) => listener("closed")),
      },
    });
  }
  return socket;
}

function resetSocket() {
  socket?.dispose();
  socket = null;
}

export function onSocket(listener) {
  socketListeners.add(listener);
  return () => socketListeners.delete(listener);
}

// Close codes the server uses for a refusal that reconnecting cannot fix.
const FATAL_CLOSE_CODES = new Set([4400, 4401, 4403, 4413]);

/** Subscribes; `sink.error(error, {fatal})` on a dropped connection or an error result. */
export function subscribe(query, variables, sink) {
  return client().subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) {
          sink.error(new ApiError(result.errors[0].message), { fatal: true });
        } else {
          sink.next(result.data);
        }
      },
      error: (error) => {
        const code = typeof error?.code === "number" ? error.code : 0;
        const reason = error?.reason || error?.message || "The live connection was lost.";
        sink.error(new ApiError(reason, { status: code }), { fatal: FATAL_CLOSE_CODES.has(code) });
      },
      complete: () => sink.complete(),
    },
  );
}
