"""The steps of `mission_generation`: each reads and extends the job's context dict."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

from domain.plan import MAX_PLAN_CHARS, PlanParseError, PlanTooLarge
from domain.plan_text import read_plan
from domain.text import clean_text
from llm_service.draft_stream import draft_stream_of
from llm_service.errors import WorkflowError
from llm_service.household import is_needed_by
from llm_service.plan_request import parse_bundles, parse_plan_request
from llm_service.prompts import (
    SYSTEM_PROMPT,
    build_user_message,
    format_bundle_line,
    format_planning_facts,
    format_scenario_list,
)
from llm_service.providers.base import LLMProvider, generate, model_of
from llm_service.settings import DEFAULT_BUDGET_TIER_USD
from llm_service.usage import RUN_ID, STEPS_USAGE, ModelCall, step_usage

StepFunction = Callable[[dict[str, Any]], Awaitable[None]]

GENERATE_STEP = "generate_mission_plan"
_FENCE_LANGUAGE = re.compile(r"[A-Za-z]*")
logger = logging.getLogger(__name__)


def build_step_registry(
    provider: LLMProvider, budgets: Mapping[str, Decimal] = DEFAULT_BUDGET_TIER_USD
) -> dict[str, StepFunction]:
    """`budgets`: the dollars each budget tier spends on bundles (settings.budget_tier_usd)."""

    async def generate_mission_plan(context: dict[str, Any]) -> None:
        await _generate_mission_plan(context, provider)

    async def build_user_message_step(context: dict[str, Any]) -> None:
        await build_prompts(context, budgets)

    return {
        "format_bundles": format_bundles,
        "join_bundles": join_bundles,
        "build_scenario_list": build_scenario_list,
        "build_user_message": build_user_message_step,
        "generate_mission_plan": generate_mission_plan,
        "parse_sections": parse_plan_sections,
    }


async def format_bundles(context: dict[str, Any]) -> None:
    """Only the bundles this household needs: the model cannot pick an infant kit for none."""
    request = parse_plan_request(context["input_data"].get("wizard"))
    bundles = parse_bundles(context["input_data"].get("bundles"))
    needed = [bundle for bundle in bundles if is_needed_by(request, bundle)]
    context["bundle_lines"] = [format_bundle_line(bundle) for bundle in needed]


async def join_bundles(context: dict[str, Any]) -> None:
    context["bundle_catalog"] = "\n".join(context["bundle_lines"]) or "(the catalog is empty)"


async def build_scenario_list(context: dict[str, Any]) -> None:
    request = parse_plan_request(context["input_data"].get("wizard"))
    context["plan_request"] = request
    context["scenario_list"] = format_scenario_list(request)


async def build_prompts(context: dict[str, Any], budgets: Mapping[str, Decimal]) -> None:
    request = context["plan_request"]
    budget = budgets[request.budget_tier]
    context["budget_usd"] = str(budget)
    context["system_prompt"] = SYSTEM_PROMPT
    context["user_message"] = build_user_message(
        request,
        scenario_list=context["scenario_list"],
        bundle_catalog=context["bundle_catalog"],
        planning_facts=format_planning_facts(request, budget),
    )


async def _generate_mission_plan(context: dict[str, Any], provider: LLMProvider) -> None:
    started = time.perf_counter()
    draft = draft_stream_of(context)
    system, user = context["system_prompt"], context["user_message"]
    call = ModelCall.start(
        call_id=f"{context.get(RUN_ID) or 'run'}/{GENERATE_STEP}",
        step_id=GENERATE_STEP,
        model=clean_text(model_of(provider)),
        messages=(system, user),
    )

    opened = False

    async def on_open() -> None:
        nonlocal opened
        opened = True
        await draft.begin_call(call)

    async def on_text(text: str) -> None:
        call.received(text)
        # Cleaned as the whole is below: clean_text acts on each code point alone, so the
        # cleaned deltas join into the cleaned text.
        await draft.append(clean_text(text))

    try:
        generation = await generate(
            provider,
            system=system,
            user=user,
            context={
                "wizard": context["input_data"].get("wizard"),
                "bundles": context["input_data"].get("bundles") or [],
                "budget_usd": context.get("budget_usd"),
            },
            on_text=on_text,
            on_open=on_open,
        )
    except BaseException:
        # Cancelled, broken, stalled or timed out after the provider took the request but
        # before its usage report: the prompt and the text so far count, by estimate.
        # (A request it refused, a 429 or a 401, used nothing.)
        if opened:
            context.setdefault(STEPS_USAGE, []).append(call.estimate())
        raise
    finally:
        draft.end_call()
    duration_ms = round((time.perf_counter() - started) * 1000)
    await draft.finish()
    # Cleaned before anything is written: a NUL or a lone surrogate in the model's
    # text would make every write of the result fail, and the job crash on each rerun.
    context["mission_plan"] = strip_code_fence(clean_text(generation.text))
    if generation.usage_reported:
        used = step_usage(
            GENERATE_STEP,
            call_id=call.call_id,
            model=clean_text(generation.model),
            input_tokens=generation.input_tokens,
            output_tokens=generation.output_tokens,
            duration_ms=duration_ms,
            cost_usd=generation.cost_usd,
        )
    else:  # a server that sends no usage: the whole answer, by estimate
        used = {**call.estimate(), "model": clean_text(generation.model) or call.model}
    context.setdefault(STEPS_USAGE, []).append(used)
    # The existing service's shape, which the API also reads (docs/llm-service-api.md).
    context["llm_usage"] = {
        key: value
        for key, value in used.items()
        if key in ("model", "input_tokens", "output_tokens", "duration_ms", "cost_usd")
    }


async def parse_plan_sections(context: dict[str, Any]) -> None:
    """Reads the plan as the API will (domain.plan_text.read_plan): one rule of what is usable.

    `parsed_sections` is that reading's sections (docs/llm-service-api.md), so a plan
    this step passes is one the API stores, and one it refuses the API would refuse too.
    """
    plan = context["mission_plan"]
    # Off the event loop: the outbox and the API's requests go on while a plan is read.
    reading = await asyncio.to_thread(read_plan, plan)
    if reading.plan is None:
        raise _unusable_plan_error(reading.failure)
    if reading.plan.sections.unparsed:
        # The model drifted from the format: the operators see how, the reader sees the
        # parts in the plan's `unparsed` list (the reasons only: the text is the family's).
        reasons = sorted({part.reason for part in reading.plan.sections.unparsed})
        logger.info("the generated plan has parts the parser could not read: %s", reasons)
    context["output"] = {
        "mission_plan": plan,
        "parsed_sections": reading.plan.sections.to_dict(),
        "llm_usage": context["llm_usage"],
    }


def _unusable_plan_error(failure: Exception | None) -> WorkflowError:
    # Retryable: a model's next attempt usually follows the format and the size.
    if isinstance(failure, PlanTooLarge):
        message = (
            f"the generated plan has {failure.length} characters; "
            f"at most {MAX_PLAN_CHARS} are accepted"
        )
        return WorkflowError("plan_too_large", message, retryable=True)
    if isinstance(failure, PlanParseError):
        message = "the generated plan has no executive summary"
        return WorkflowError("unparseable_plan", message, retryable=True)
    # The parser itself broke on this text: the same text would break it in the API.
    logger.error("the generated plan broke the plan parser", exc_info=failure)
    return WorkflowError("internal_error", "the plan could not be read", retryable=True)


def strip_code_fence(text: str) -> str:
    """Models sometimes wrap the whole answer in ```markdown fences despite the prompt."""
    stripped = text.strip()
    first_break, last_break = stripped.find("\n"), stripped.rfind("\n")
    if (
        stripped.startswith("```")
        and 0 < first_break < last_break
        and _FENCE_LANGUAGE.fullmatch(stripped[3:first_break].rstrip())
        and stripped[last_break + 1 :].strip() == "```"
    ):
        stripped = stripped[first_break + 1 : last_break]
    return stripped.strip() + "\n"
