// What the subscription clients share: the operation, and its arguments from the
// command line: <url> <token or ""> <reportId> [afterSequence].
export const MISSION_EVENTS = `subscription ($id: ID!, $after: Int) {
  missionEvents(reportId: $id, afterSequence: $after) {
    __typename
    ... on MissionProgressEvent { sequence progress { stepName percentage } }
    ... on MissionCompletedEvent { sequence report { status } }
    ... on MissionFailedEvent { sequence error { code } }
    ... on MissionCancelledEvent { sequence }
    ... on NotificationEvent { sequence notification { kind } }
  }
}`;

export function operationFromArgs([url, token, reportId, after]) {
  const variables = { id: reportId };
  if (after !== undefined) variables.after = Number(after);
  return { url, token, variables };
}
