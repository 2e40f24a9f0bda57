"""The fakes wired into one `Dependencies`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.operations import Dependencies
from tests.unit.fakes.catalog import FakeCatalog
from tests.unit.fakes.clock import FakeClock, FakeSleep, SequentialIds
from tests.unit.fakes.llm_service import FakeLLMService
from tests.unit.fakes.publisher import FakePublisher
from tests.unit.fakes.store import FakeStore
from tests.unit.fakes.unit_of_work import FakeUnitOfWorkFactory


@dataclass
class Fakes:
    """The fakes behind one `Dependencies`, typed, so tests can arrange and inspect them."""

    store: FakeStore
    uow: FakeUnitOfWorkFactory
    llm: FakeLLMService
    publisher: FakePublisher
    catalog: FakeCatalog
    clock: FakeClock
    ids: SequentialIds
    deps: Dependencies
    sleep: FakeSleep


def make_fakes(**overrides: Any) -> Fakes:
    """Fakes wired into `Dependencies`; overrides are `Dependencies` fields."""
    store = FakeStore()
    uow = overrides.pop("uow", None) or FakeUnitOfWorkFactory(store)
    store = uow.store
    llm = overrides.pop("llm", None) or FakeLLMService()
    publisher = overrides.pop("publisher", None) or FakePublisher(store)
    catalog = overrides.pop("catalog", None) or FakeCatalog()
    clock = overrides.pop("clock", None) or FakeClock()
    ids = overrides.pop("new_id", None) or SequentialIds("id")
    sleep = overrides.pop("sleep", None) or FakeSleep(clock)
    store.receipt_clock = clock.now
    deps = Dependencies(
        uow=uow,
        llm=llm,
        publisher=publisher,
        catalog=catalog,
        clock=clock,
        new_id=ids,
        sleep=sleep,
        **overrides,
    )
    return Fakes(store, uow, llm, publisher, catalog, clock, ids, deps, sleep)
