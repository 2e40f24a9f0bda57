"""The plan's markdown as stored and shown: no raw HTML, no script/data/file links."""

from __future__ import annotations

import pytest

from domain.jobs import JobUpdateType
from domain.plan import MAX_PLAN_CHARS
from domain.plan_text import safe_markdown
from domain.report import MissionStatus
from domain.transitions import PLAN_TOO_LARGE, TransitionContext, apply_update
from tests.support.cpu_budget import benign_safe_markdown_seconds, budget, thread_cpu_seconds
from tests.unit.fakes import (
    CATALOG_BUNDLES,
    PLAN_MARKDOWN,
    T0,
    completed_output,
    generating_report,
    job_update,
    mission_generation_definition,
)


@pytest.mark.parametrize(
    ("markdown", "safe"),
    [
        ("Stay <script>alert(1)</script>home", "Stay alert(1)home"),
        ('<img src=x onerror="alert(1)">Water', "Water"),
        ("Before<!-- hidden -->after", "Beforeafter"),
        ("<<b>b>bold", "b>bold"),  # what removing one tag uncovers is removed too
        ("<img src=x onerror=alert(1) and more text", "img src=x onerror=alert(1) and more text"),
        ("<javascript:alert(1)>", ""),
        ("Call <https://ready.gov> today", "Call https://ready.gov today"),
        ("Kids <5 and adults > 65, a < b", "Kids <5 and adults > 65, a < b"),
    ],
)
def test_raw_html_is_removed_and_plain_angle_brackets_stay(markdown: str, safe: str) -> None:
    assert safe_markdown(markdown) == safe


@pytest.mark.parametrize(
    "destination",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        " \tjava\tscript:alert(1)",
        "javascript&#58;alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;&#x61;vascript&colon;alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "file:///etc/passwd",
        "&#9;" * 50 + "javascript:alert(1)",
    ],
)
def test_links_to_script_data_or_file_urls_keep_only_their_text(destination: str) -> None:
    assert safe_markdown(f"See [the map]({destination}) now") == "See the map now"
    assert safe_markdown(f"![a photo]({destination})") == "a photo"
    assert safe_markdown(f"Text\n[map]: {destination}\nMore") == "Text\nMore"


def test_an_unsafe_destination_in_angle_brackets_is_removed() -> None:
    assert safe_markdown("See [the map](<javascript:alert(1)>) now") == "See [the map]() now"


@pytest.mark.parametrize(
    "link",
    [
        "[FEMA](https://www.fema.gov/)",
        "[call](mailto:help@example.org)",
        "[Day 1](#day-1)",
        "[bundles](/bundles?id=go-bag-72h)",
        "[wiki](https://en.wikipedia.org/wiki/Flood_(disambiguation))",
    ],
)
def test_safe_links_stay(link: str) -> None:
    assert safe_markdown(f"See {link} now") == f"See {link} now"


def test_plan_words_that_look_like_schemes_stay() -> None:
    text = "Medical data: insulin needs a fridge.\n- **File:** copies of IDs [bundle:docs-kit]"
    assert safe_markdown(text) == text


def test_a_hostile_plan_at_the_cap_costs_a_linear_pass_to_make_safe() -> None:
    allowed = budget(benign_safe_markdown_seconds())
    for unit in ("[x](", "<a ", "<<<<<", "](javascript:", "[", "&#9;"):
        hostile = unit * (MAX_PLAN_CHARS // len(unit))
        spent = thread_cpu_seconds(lambda: safe_markdown(hostile))  # noqa: B023
        assert spent < allowed, f"{unit}: {spent:.3f} s of CPU, allowed {allowed:.3f}"


def context() -> TransitionContext:
    return TransitionContext(
        definition=mission_generation_definition(),
        known_bundle_ids={str(b["id"]) for b in CATALOG_BUNDLES},
        now=T0,
        notification_id="note-1",
    )


def test_a_completed_plan_is_stored_safe_in_its_content_and_sections() -> None:
    hostile = PLAN_MARKDOWN.replace(
        "## Executive Summary\n",
        "## Executive Summary\n<script>steal()</script>[Open](javascript:steal()) the plan.\n",
    )
    update = job_update(JobUpdateType.COMPLETED, sequence=20, output=completed_output(hostile))
    transition = apply_update(generating_report(), update, context())
    assert transition.report.status is MissionStatus.COMPLETED
    assert transition.report.plan is not None
    content = transition.report.plan.content
    assert "<script>" not in content and "javascript:" not in content
    assert "steal()Open the plan." in content
    assert transition.report.plan.sections.executive_summary.startswith("steal()Open the plan.")


def test_a_plan_over_the_cap_ends_the_report_failed_and_retryable() -> None:
    oversized = PLAN_MARKDOWN + "x" * MAX_PLAN_CHARS
    update = job_update(JobUpdateType.COMPLETED, sequence=20, output=completed_output(oversized))
    transition = apply_update(generating_report(), update, context())
    assert transition.report.status is MissionStatus.FAILED
    assert transition.report.error == PLAN_TOO_LARGE
    assert PLAN_TOO_LARGE.retryable and PLAN_TOO_LARGE.code == "plan_too_large"
