// Subscribes to missionEvents over Server-Sent Events with the npm graphql-sse client
// (distinct connections mode, as a browser would), printing one JSON line per result;
// exits 0 when the server completes the stream, 1 on a transport error.
import { createClient } from "graphql-sse";
import { MISSION_EVENTS, operationFromArgs } from "./operations.mjs";

const { url, token, variables } = operationFromArgs(process.argv.slice(2));
const client = createClient({
  url,
  headers: token ? { Authorization: `Bearer ${token}` } : {},
  retryAttempts: 0,
});

client.subscribe(
  { query: MISSION_EVENTS, variables },
  {
    next: (result) => console.log(JSON.stringify(result)),
    error: (error) => {
      console.error(String(error?.message ?? error));
      process.exit(1);
    },
    complete: () => {
      client.dispose();
      process.exit(0);
    },
  },
);
