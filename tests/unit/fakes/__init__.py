"""In-memory fakes of the ports (cosmicpython style: fakes for what we own, no mocks).

`FakeStore` is the "database": committed state shared by every unit of work a
`FakeUnitOfWorkFactory` opens. A `FakeUnitOfWork` stages its writes and applies
them to the store only on `commit()`; leaving the block without committing
discards them, as a rolled-back transaction would.

Tests import every fake, and the test data of builders.py, from this package.
"""

from tests.support.workflow_steps import MISSION_GENERATION_STEPS, mission_generation_definition
from tests.unit.builders import (
    PLAN_MARKDOWN,
    PLAN_WITHOUT_SUMMARY,
    T0,
    completed_output,
    generating_report,
    job_update,
    valid_input,
)
from tests.unit.fakes.catalog import CATALOG_BUNDLES, FakeCatalog
from tests.unit.fakes.clock import FakeClock, FakeSleep, SequentialIds
from tests.unit.fakes.llm_service import FakeLLMService, SubmittedJob
from tests.unit.fakes.publisher import FakePublisher
from tests.unit.fakes.repositories import (
    FakeEventLog,
    FakeNotificationRepository,
    FakeReportRepository,
    FakeSubmissionAttempts,
    FakeUsageLog,
    FakeWebhookReceipts,
)
from tests.unit.fakes.store import FakeIntegrityError, FakeStore, UnitOfWorkNotActive
from tests.unit.fakes.unit_of_work import FakeUnitOfWork, FakeUnitOfWorkFactory
from tests.unit.fakes.wiring import Fakes, make_fakes

__all__ = [
    "CATALOG_BUNDLES",
    "MISSION_GENERATION_STEPS",
    "PLAN_MARKDOWN",
    "PLAN_WITHOUT_SUMMARY",
    "T0",
    "FakeCatalog",
    "FakeClock",
    "FakeEventLog",
    "FakeIntegrityError",
    "FakeLLMService",
    "FakeNotificationRepository",
    "FakePublisher",
    "FakeReportRepository",
    "FakeSleep",
    "FakeStore",
    "FakeSubmissionAttempts",
    "FakeUnitOfWork",
    "FakeUnitOfWorkFactory",
    "FakeUsageLog",
    "FakeWebhookReceipts",
    "Fakes",
    "SequentialIds",
    "SubmittedJob",
    "UnitOfWorkNotActive",
    "completed_output",
    "generating_report",
    "job_update",
    "make_fakes",
    "mission_generation_definition",
    "valid_input",
]
