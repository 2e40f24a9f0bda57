// Runs the graphql-http audit suite (GraphQL over HTTP conformance) against <url>,
// printing every result as one JSON line: {id, name, status, reason}.
import { auditServer } from "graphql-http";

const [url] = process.argv.slice(2);
const results = await auditServer({ url });
for (const result of results) {
  const reason = result.status === "ok" ? undefined : result.reason;
  console.log(JSON.stringify({ id: result.id, name: result.name, status: result.status, reason }));
}
