"""A page of reports (ReadQueries.report_page) lists each report as it reads alone.

A page reads fewer columns, decodes its JSON columns itself and builds the wizard
input only when asked (infra.db.mapping.ReportListing): each field must still say
what the report says, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from domain.report import MissionReport, MissionStatus
from domain.wizard import FamilyMember, Location, Scenario
from infra.db.engine import create_engines
from infra.db.mapping import ReportListing, _json_value
from infra.db.migrate import upgrade_to_head
from infra.db.read_queries import ReadQueries
from infra.db.uow import SqlUnitOfWorkFactory
from tests.conftest import migrated_postgres_url
from tests.contract.builders import NOW, OTHER_USER, USER, completed, failed, report
from tests.contract.conftest import WRITTEN_TABLES


@dataclasses.dataclass(frozen=True)
class Sql:
    uow: SqlUnitOfWorkFactory
    queries: ReadQueries


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def sql(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Sql]:
    if request.param == "sqlite":
        engines = create_engines(f"sqlite+aiosqlite:///{tmp_path / 'listing.db'}")
        await upgrade_to_head(engines.writer)
    else:
        url = await migrated_postgres_url(request.getfixturevalue("contract_postgres_url"))
        engines = create_engines(url)
        async with engines.writer.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(WRITTEN_TABLES)}"))
    yield Sql(SqlUnitOfWorkFactory(engines.writer), ReadQueries(engines.reader))
    await engines.dispose()


async def add(sql: Sql, *reports: MissionReport) -> None:
    async with sql.uow() as uow:
        for each in reports:
            await uow.reports.add(each)
        await uow.commit()


def as_listed(original: MissionReport) -> ReportListing:
    """What a page must say of `original`."""
    return ReportListing(
        id=original.id,
        status=original.status,
        attempt=original.attempt,
        job_id=original.job_id,
        location=original.input.location,
        scenarios=original.input.scenarios,
        progress=original.progress,
        error=original.error,
        draft=original.draft,
        created_at=original.created_at,
        updated_at=original.updated_at,
        completed_at=original.completed_at,
        has_plan=original.plan is not None,
        input_data=original.input.to_dict(),
    )


async def test_each_listed_report_says_what_the_report_says(sql: Sql) -> None:
    odd_input = dataclasses.replace(
        report().input,
        location=Location("São Paulo", "SP", "BR", "01000-000"),
        scenarios=(Scenario.FLOOD, Scenario.PANDEMIC, Scenario.NUCLEAR_EVENT),
        family_members=(FamilyMember(44, "Zoë ✓", ("insulin", "oxygen")),),
        notes='quotes " and \\ backslashes, ünïcode',
    )
    reports = [
        report("report-1", draft="The plan so far…"),
        dataclasses.replace(completed("report-2"), created_at=NOW + timedelta(seconds=1)),
        dataclasses.replace(failed("report-3"), created_at=NOW + timedelta(seconds=2)),
        report("report-4", input=odd_input, attempt=3, created_at=NOW + timedelta(seconds=3)),
        report("report-5", user_id=OTHER_USER),
    ]
    await add(sql, *reports)

    page = await sql.queries.report_page(USER, None, 10, None)

    newest_first = sorted(reports[:4], key=lambda r: r.created_at, reverse=True)
    assert page.reports == [as_listed(r) for r in newest_first]
    assert [listed.input for listed in page.reports] == [r.input for r in newest_first]
    assert page.has_next_page is False
    failed_only = await sql.queries.report_page(USER, MissionStatus.FAILED, 10, None)
    assert [listed.id for listed in failed_only.reports] == ["report-3"]


async def test_a_page_ends_where_the_rows_end(sql: Sql) -> None:
    await add(
        sql, *(report(f"report-{n}", created_at=NOW + timedelta(seconds=n)) for n in range(3))
    )

    first = await sql.queries.report_page(USER, None, 2, None)
    assert [r.id for r in first.reports] == ["report-2", "report-1"]
    assert first.has_next_page is True
    exact = await sql.queries.report_page(USER, None, 3, None)
    assert exact.has_next_page is False


def test_json_text_orjson_refuses_reads_as_the_json_module_reads_it() -> None:
    # The driver's codec used the json module, which accepts these; so must a page.
    assert math.isnan(_json_value('{"percentage": NaN}')["percentage"])
    assert _json_value('["\\ud800"]') == ["\ud800"]
    assert _json_value('{"a": [1, 2.5, null, true]}') == {"a": [1, 2.5, None, True]}
