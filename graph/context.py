"""The per-request context and the long-lived state it points to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

from strawberry.dataloader import DataLoader

from domain.job_update_batches import JobUpdateBatcher
from domain.operations import Dependencies
from domain.report import MissionReport, Plan
from domain.usage import AttemptUsage
from graph.report_watch import ReportWatch
from infra.auth import AuthError, TokenAuthenticator, Viewer
from infra.bus import EventBus
from infra.db.read_queries import BundleRow, ReadQueries, SqlBundleCatalog
from infra.llm_client import HttpLLMService
from infra.settings import Settings
from infra.webhook_signing import WebhookVerifier


@dataclass
class AppState:
    """Everything created once in the lifespan and shared by all requests."""

    settings: Settings
    deps: Dependencies
    queries: ReadQueries
    authenticator: TokenAuthenticator
    bus: EventBus
    llm: HttpLLMService
    webhook_verifier: WebhookVerifier
    catalog: SqlBundleCatalog
    # The webhooks' way to apply job updates: group commit (one per process).
    job_updates: JobUpdateBatcher
    # The idle re-read of the log for every missionEvents stream (one task per process).
    watch: ReportWatch


class Loaders:
    """DataLoaders live for one request (or one subscription event), never longer.

    Each is made on first use: a subscription's context holds its Loaders for the
    connection's life and gets new ones per event, and an event's selection rarely
    needs any (four unused DataLoaders were ~1.5 KiB per idle subscription).
    """

    def __init__(self, catalog: SqlBundleCatalog, queries: ReadQueries) -> None:
        self._catalog = catalog
        self._queries = queries

    @cached_property
    def bundle(self) -> DataLoader[str, BundleRow | None]:
        # The catalog is cached for the process; the loader only batches the lookups.
        return DataLoader(load_fn=self._catalog.rows_by_ids)

    @cached_property
    def usage(self) -> DataLoader[str, list[AttemptUsage]]:
        """Each report's attempts that used tokens (MissionReport.usage and .attempts)."""
        return DataLoader(load_fn=self._queries.usage.attempts_of_reports)

    @cached_property
    def report(self) -> DataLoader[str, MissionReport | None]:
        """Reports other objects link to (Notification.report, MissionCompletedEvent.report)."""
        return DataLoader(load_fn=partial(_reports_in_order, self._queries))

    @cached_property
    def plan(self) -> DataLoader[str, Plan | None]:
        """The plans of listed reports (a page leaves them out), when a query selects them."""
        return DataLoader(load_fn=partial(_plans_in_order, self._queries))


async def _reports_in_order(queries: ReadQueries, ids: Sequence[str]) -> list[MissionReport | None]:
    found = await queries.reports_by_ids(ids)
    return [found.get(report_id) for report_id in ids]


async def _plans_in_order(queries: ReadQueries, ids: Sequence[str]) -> list[Plan | None]:
    found = await queries.plans_by_ids(ids)
    return [found.get(report_id) for report_id in ids]


class NotAuthenticated(Exception):
    """No valid bearer token: the only error GraphQL clients see for auth."""

    def __init__(
        self,
        message: str = "Authentication required: send a valid 'Authorization: Bearer <jwt>'.",
    ) -> None:
        super().__init__(message)


class SessionExpired(NotAuthenticated):
    """The websocket's token expired after connection_init: nothing more runs on it."""

    def __init__(self) -> None:
        super().__init__("Your token expired; reconnect with a fresh one.")


@dataclass
class Context:
    state: AppState
    request: Any
    response: Any
    viewer: Viewer | None = None
    connection_params: dict[str, Any] | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.state.catalog, self.state.queries)

    def fresh_loaders(self) -> None:
        """A websocket's context lives as long as the connection; each event gets new loaders."""
        self.loaders = Loaders(self.state.catalog, self.state.queries)

    def require_viewer(self) -> Viewer:
        if self.viewer is None:
            raise NotAuthenticated()
        if self.viewer.is_expired():
            raise SessionExpired()
        return self.viewer

    def authenticate_header(self, authorization: str | None) -> None:
        if authorization:
            try:
                self.viewer = self.state.authenticator.viewer_from_header(authorization)
            except AuthError:
                self.viewer = None
