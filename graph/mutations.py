"""Mutation resolvers: call the domain operation, map expected failures to union members."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import Info

from domain import operations
from domain.errors import DomainError
from graph.context import Context
from graph.inputs import MissionPlanInput
from graph.results import (
    CancelMissionPlanResult,
    CancelMissionPlanSuccess,
    DismissNotificationResult,
    DismissNotificationSuccess,
    RetryMissionPlanResult,
    RetryMissionPlanSuccess,
    SubmitMissionPlanResult,
    SubmitMissionPlanSuccess,
    error_result,
)
from graph.types import MissionReport, Notification


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Start generating a plan. The same idempotencyKey returns the same report."
    )
    async def submit_mission_plan(
        self,
        info: Info[Context, None],
        input: Annotated[MissionPlanInput, strawberry.argument(description="The wizard answers.")],
        idempotency_key: Annotated[
            str | None,
            strawberry.argument(
                description="Names this submission: sent again, it returns the same report "
                f"(1 to {operations.MAX_IDEMPOTENCY_KEY_LENGTH} characters)."
            ),
        ] = None,
    ) -> SubmitMissionPlanResult:
        viewer = info.context.require_viewer()
        try:
            report = await operations.submit_mission_plan(
                info.context.state.deps, viewer.user_id, input.to_domain(), idempotency_key
            )
        except DomainError as error:
            # error_result spans every mutation's failures; this operation raises only
            # the ones in its own union, which the union type cannot express.
            return error_result(error)  # type: ignore[return-value]
        return SubmitMissionPlanSuccess(report=MissionReport.from_domain(report))

    @strawberry.mutation(description="Stop a plan that is not completed and delete it. Idempotent.")
    async def cancel_mission_plan(
        self,
        info: Info[Context, None],
        report_id: Annotated[strawberry.ID, strawberry.argument(description="The report id.")],
    ) -> CancelMissionPlanResult:
        viewer = info.context.require_viewer()
        try:
            await operations.cancel_mission_plan(
                info.context.state.deps, viewer.user_id, str(report_id)
            )
        except DomainError as error:
            # error_result spans every mutation's failures; this operation raises only
            # the ones in its own union, which the union type cannot express.
            return error_result(error)  # type: ignore[return-value]
        return CancelMissionPlanSuccess(report_id=report_id)

    @strawberry.mutation(description="Start a new attempt of a failed plan with the same input.")
    async def retry_mission_plan(
        self,
        info: Info[Context, None],
        report_id: Annotated[strawberry.ID, strawberry.argument(description="The report id.")],
    ) -> RetryMissionPlanResult:
        viewer = info.context.require_viewer()
        try:
            report = await operations.retry_mission_plan(
                info.context.state.deps, viewer.user_id, str(report_id)
            )
        except DomainError as error:
            # error_result spans every mutation's failures; this operation raises only
            # the ones in its own union, which the union type cannot express.
            return error_result(error)  # type: ignore[return-value]
        return RetryMissionPlanSuccess(report=MissionReport.from_domain(report))

    @strawberry.mutation(description="Hide a notification. Idempotent.")
    async def dismiss_notification(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The notification id.")],
    ) -> DismissNotificationResult:
        viewer = info.context.require_viewer()
        try:
            notification = await operations.dismiss_notification(
                info.context.state.deps, viewer.user_id, str(id)
            )
        except DomainError as error:
            # error_result spans every mutation's failures; this operation raises only
            # the ones in its own union, which the union type cannot express.
            return error_result(error)  # type: ignore[return-value]
        return DismissNotificationSuccess(notification=Notification.from_domain(notification))
