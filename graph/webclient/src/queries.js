// The GraphQL documents the pages send (schema: schema.graphql at the repository root).

export const VIEWER = `query Viewer { viewer { id isAdmin email } }`;

const PROGRESS = `progress { stepId stepName stepIndex stepCount percentage }`;
const ERROR = `error { code message retryable }`;

export const SUBMIT = `
mutation Submit($input: MissionPlanInput!, $key: String) {
  submitMissionPlan(input: $input, idempotencyKey: $key) {
    __typename
    ... on SubmitMissionPlanSuccess { report { id } }
    ... on ValidationError { message field errors { field message code } }
    ... on ActiveJobLimitError { message retryAfter }
    ... on RateLimitedError { message retryAfter }
    ... on ServiceUnavailableError { message retryAfter }
    ... on IdempotencyKeyConflictError { message field }
  }
}`;

export function reportQuery({ draft }) {
  return `
query Report($id: ID!) {
  missionReport(id: $id) {
    id status attempt createdAt completedAt
    location { city state country }
    scenarios
    ${PROGRESS}
    ${ERROR}
    ${draft ? "draft" : ""}
  }
}`;
}

export function missionEventsSubscription({ draft }) {
  return `
subscription MissionEvents($id: ID!, $after: Int) {
  missionEvents(reportId: $id, afterSequence: $after) {
    __typename
    ... on MissionEventBase { sequence reportId occurredAt }
    ... on MissionProgressEvent { attempt ${PROGRESS} ${draft ? "draftDelta draftLength" : ""} }
    ... on MissionCompletedEvent { attempt report { id status } }
    ... on MissionFailedEvent { attempt ${ERROR} }
    ... on NotificationEvent { notification { id kind title body reportId dismissedAt } }
  }
}`;
}

export const MY_EVENTS = `
subscription MyEvents {
  myMissionEvents {
    __typename
    ... on MissionEventBase { sequence reportId occurredAt }
    ... on MissionProgressEvent { ${PROGRESS} }
    ... on MissionFailedEvent { ${ERROR} }
    ... on NotificationEvent { notification { id kind title body reportId dismissedAt } }
  }
}`;

const CARD = `id status attempt createdAt completedAt location { city state } scenarios ${PROGRESS} ${ERROR}`;

export const DASHBOARD = `
query Dashboard {
  activeMissions { ${CARD} }
  missionReports(first: 50) { nodes { ${CARD} } }
}`;

export const CANCEL = `
mutation Cancel($id: ID!) {
  cancelMissionPlan(reportId: $id) {
    __typename
    ... on CancelMissionPlanSuccess { reportId }
    ... on NotFoundError { message }
    ... on CannotCancelError { message }
    ... on ServiceUnavailableError { message }
  }
}`;

export const RETRY = `
mutation Retry($id: ID!) {
  retryMissionPlan(reportId: $id) {
    __typename
    ... on RetryMissionPlanSuccess { report { id status attempt } }
    ... on NotFoundError { message }
    ... on NotRetryableError { message }
    ... on ActiveJobLimitError { message }
    ... on RateLimitedError { message }
    ... on ServiceUnavailableError { message }
  }
}`;

export const NOTIFICATIONS = `
query Notifications { notifications { id kind title body reportId createdAt dismissedAt } }`;

export const DISMISS = `
mutation Dismiss($id: ID!) {
  dismissNotification(id: $id) {
    __typename
    ... on DismissNotificationSuccess { notification { id dismissedAt } }
    ... on NotFoundError { message }
  }
}`;

export const PLAN = `
query Plan($id: ID!) {
  missionReport(id: $id) {
    id status attempt createdAt completedAt
    location { city state country postalCode }
    scenarios
    ${PROGRESS}
    ${ERROR}
    usage { model inputTokens outputTokens totalTokens durationMs costUsd }
    input {
      familyMembers { name age medicalNeeds }
      mobilityPlan { strategy hasVehicle }
      budgetTier durationDays petCount notes
    }
    plan {
      content
      sections {
        executiveSummary
        riskAssessment { scenario title level summary }
        bundles { bundleId name reason bundle { id name priceUsd items } }
        skills { name priority reason }
        simulation { day title details }
        nextSteps
        evacuation { overview steps { topic title advice } }
        unparsed { section reason excerpt }
      }
    }
  }
}`;

export const CLEANUP = `
mutation Cleanup($days: Int!, $dryRun: Boolean!) {
  cleanupOldJobs(olderThanDays: $days, dryRun: $dryRun) {
    __typename
    ... on CleanupOldJobsSuccess {
      matched deleted dryRun cutoff
      deliveriesMatched deliveriesDeleted receiptsMatched receiptsDeleted
    }
    ... on PermissionDeniedError { message }
    ... on ValidationError { message field }
    ... on ServiceUnavailableError { message }
  }
}`;

export const USAGE_SUMMARY = `
query UsageSummary { usageSummary { generations inputTokens outputTokens totalTokens costUsd } }`;
