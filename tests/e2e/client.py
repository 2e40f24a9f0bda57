"""What a client does: HTTP GraphQL calls and graphql-transport-ws subscriptions (gql)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from gql import Client, GraphQLRequest, gql
from gql.transport.websockets import WebsocketsTransport

from tests.e2e.server import RunningServer

WIZARD: dict[str, Any] = {
    "location": {"city": "Miami", "state": "FL", "postalCode": "33101"},
    "scenarios": ["HURRICANE", "POWER_GRID_FAILURE"],
    "familyMembers": [
        {"name": "Ana", "age": 38},
        {"name": "Luis", "age": 71, "medicalNeeds": ["insulin"]},
        {"name": "Sofi", "age": 3},
    ],
    "mobilityPlan": {"strategy": "FLEXIBLE", "hasVehicle": True},
    "budgetTier": "STANDARD",
    "durationDays": 10,
    "petCount": 1,
}

SUBMIT = """
mutation Submit($input: MissionPlanInput!, $key: String) {
  submitMissionPlan(input: $input, idempotencyKey: $key) {
    __typename
    ... on SubmitMissionPlanSuccess { report { id status jobId progress { percentage } } }
    ... on ValidationError { field message errors { field code } }
    ... on ActiveJobLimitError { retryAfter message }
    ... on ServiceUnavailableError { retryAfter message }
    ... on IdempotencyKeyConflictError { field message }
  }
}
"""

REPORT = """
query Report($id: ID!) {
  missionReport(id: $id) {
    id status completedAt
    progress { stepId stepName percentage }
    error { code message retryable }
    usage { model inputTokens outputTokens totalTokens durationMs costUsd }
    plan {
      content
      sections {
        executiveSummary
        riskAssessment { scenario level summary }
        bundles { bundleId name bundle { id name priceUsd } }
        skills { name priority }
        simulation { day title }
        nextSteps
        evacuation { whenToLeave destination routes steps { topic title } }
        unparsed { section reason excerpt }
      }
    }
  }
}
"""

MISSION_EVENTS = """
subscription Events($id: ID!, $after: Int) {
  missionEvents(reportId: $id, afterSequence: $after) {
    __typename
    ... on MissionEventBase { sequence reportId occurredAt }
    ... on MissionProgressEvent { progress { stepId stepName stepIndex stepCount percentage } }
    ... on MissionCompletedEvent { report { status } }
    ... on MissionFailedEvent { error { code message retryable } }
    ... on NotificationEvent { notification { id title } }
  }
}
"""


async def graphql(
    server: RunningServer, token: str | None, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
    response.raise_for_status()
    return response.json()


@asynccontextmanager
async def ws_session(server: RunningServer, token: str | None) -> AsyncIterator[Any]:
    payload = {"authorization": f"Bearer {token}"} if token else {}
    transport = WebsocketsTransport(
        url=server.ws_url,
        init_payload=payload,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        connect_timeout=10,
    )
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        yield session


def request(query: str, **variables: Any) -> GraphQLRequest:
    return GraphQLRequest(gql(query), variable_values=variables)
