// What this server's schema offers beyond what the client needs. Asked once per page
// load by validating a query (introspection may be off in production): a field the
// schema lacks is a validation error, a field it has answers null for an unknown id.
import { gql } from "./api.js";

let probed = null;

export function features() {
  probed ??= probe();
  return probed;
}

async function probe() {
  return { draft: await accepts(`query Probe { missionReport(id: "0") { id draft } }`) };
}

async function accepts(query) {
  try {
    await gql(query);
    return true;
  } catch {
    return false;
  }
}
