// Subscribes to missionEvents the way the browser frontend does (graphql-ws),
// printing one JSON line per event; exits 0 when the server completes the stream.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token, reportId] = process.argv.slice(2);
const query = `subscription ($id: ID!) {
  missionEvents(reportId: $id) {
    __typename
    ... on MissionProgressEvent { sequence progress { stepName percentage } }
    ... on MissionCompletedEvent { sequence report { status } }
    ... on MissionFailedEvent { sequence error { code } }
    ... on MissionCancelledEvent { sequence }
    ... on NotificationEvent { sequence notification { kind } }
  }
}`;

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  retryAttempts: 0,
});

client.subscribe(
  { query, variables: { id: reportId } },
  {
    next: (result) => console.log(JSON.stringify(result)),
    error: (error) => {
      console.error(JSON.stringify(error, Object.getOwnPropertyNames(error)));
      process.exit(1);
    },
    complete: () => client.dispose().then(() => process.exit(0)),
  },
);
