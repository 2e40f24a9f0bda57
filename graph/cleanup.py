"""The admin cleanup mutation, merged into `Mutation` by graph/schema.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import Info

from domain.cleanup import Actor, CleanupResult, cleanup_old_jobs
from domain.errors import DomainError
from graph.context import Context
from graph.results import (
    UNION_DESCRIPTION,
    PermissionDeniedError,
    ServiceUnavailableError,
    ValidationError,
    error_result,
)


@strawberry.type(
    description="What the cleanup matched and deleted. `matched` and `deleted` count the "
    "LLM service's finished jobs; their webhook deliveries and the API's webhook receipts "
    "are counted apart. A dry run deletes nothing: every deleted count is 0."
)
class CleanupOldJobsSuccess:
    matched: int = strawberry.field(
        description="Finished jobs (completed, failed, cancelled) created before the cutoff "
        "whose webhooks are no longer being delivered."
    )
    deleted: int = strawberry.field(description="Of those jobs, how many were deleted.")
    dry_run: bool = strawberry.field(description="Whether this was a dry run (nothing deleted).")
    cutoff: datetime = strawberry.field(description="Now minus olderThanDays.")
    deliveries_matched: int = strawberry.field(
        description="Webhook delivery records of the matched jobs (and of jobs already gone)."
    )
    deliveries_deleted: int = strawberry.field(
        description="Of those delivery records, how many were deleted."
    )
    receipts_matched: int = strawberry.field(
        description="Webhook receipts (the API's dedupe records) received before the cutoff."
    )
    receipts_deleted: int = strawberry.field(
        description="Of those receipts, how many were deleted."
    )

    @classmethod
    def from_domain(cls, result: CleanupResult) -> CleanupOldJobsSuccess:
        return cls(
            matched=result.jobs.matched,
            deleted=result.jobs.deleted,
            dry_run=result.dry_run,
            cutoff=result.cutoff,
            deliveries_matched=result.jobs.deliveries_matched,
            deliveries_deleted=result.jobs.deliveries_deleted,
            receipts_matched=result.receipts_matched,
            receipts_deleted=result.receipts_deleted,
        )


CleanupOldJobsResult = Annotated[
    CleanupOldJobsSuccess | PermissionDeniedError | ValidationError | ServiceUnavailableError,
    strawberry.union(
        "CleanupOldJobsResult", description=UNION_DESCRIPTION.format(mutation="cleanupOldJobs")
    ),
]


@strawberry.type
class CleanupMutation:
    @strawberry.mutation(
        description="Admin only: delete finished jobs created more than olderThanDays ago, "
        "their webhook deliveries, and older webhook receipts. Never a queued or running "
        "job, nor a report, its plan or its events. Idempotent."
    )
    async def cleanup_old_jobs(
        self,
        info: Info[Context, None],
        older_than_days: Annotated[
            int,
            strawberry.argument(description="Delete what finished more than this many days ago."),
        ] = 7,
        dry_run: Annotated[
            bool, strawberry.argument(description="Only count what would be deleted.")
        ] = False,
    ) -> CleanupOldJobsResult:
        viewer = info.context.require_viewer()
        actor = Actor(viewer.user_id, is_admin=viewer.is_admin)
        try:
            result = await cleanup_old_jobs(
                info.context.state.deps, actor, older_than_days, dry_run
            )
        except DomainError as error:
            return error_result(error)  # type: ignore[return-value]
        return CleanupOldJobsSuccess.from_domain(result)
