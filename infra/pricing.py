"""The price table: USD per million tokens by model, from a JSON file.

The shipped table is infra/catalog/llm_prices.json; LLM_PRICES_FILE names another
that replaces it. It prices only steps whose provider reported no cost.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SHIPPED_PRICES = Path(__file__).parent / "catalog" / "llm_prices.json"
MAX_PRICES_FILE_BYTES = 1_000_000
# Unknown models are logged once each; a provider naming endless models cannot grow this.
MAX_LOGGED_UNKNOWN_MODELS = 1000


class InvalidPriceTable(ValueError):
    """The price file cannot be used: the service refuses to start rather than misprice."""


class JsonPriceTable:
    def __init__(self, prices: dict[str, tuple[float, float]], source: str = "") -> None:
        self._prices = prices
        self._source = source
        self._logged_unknown: set[str] = set()

    def cost_usd(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        prices = self._prices.get(model)
        if prices is None:
            self._log_unknown(model)
            return None
        input_price, output_price = prices
        return (input_tokens * input_price + output_tokens * output_price) / 1_000_000

    def _log_unknown(self, model: str) -> None:
        if model in self._logged_unknown or len(self._logged_unknown) >= MAX_LOGGED_UNKNOWN_MODELS:
            return
        self._logged_unknown.add(model)
        log.warning(
            "no price for model %r in %s: its generations cost 0 unless the provider "
            "reports a cost",
            model[:100],
            self._source,
        )


def load_price_table(path: Path | None = None) -> JsonPriceTable:
    """The table in `path` (LLM_PRICES_FILE), or the shipped one; InvalidPriceTable if bad."""
    source = path or SHIPPED_PRICES
    try:
        with source.open("rb") as handle:
            raw = handle.read(MAX_PRICES_FILE_BYTES + 1)
    except OSError as exc:
        raise InvalidPriceTable(
            f"LLM_PRICES_FILE {source}: cannot be read ({exc.strerror})"
        ) from exc
    if len(raw) > MAX_PRICES_FILE_BYTES:
        raise InvalidPriceTable(
            f"LLM_PRICES_FILE {source}: larger than {MAX_PRICES_FILE_BYTES} bytes"
        )
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InvalidPriceTable(f"LLM_PRICES_FILE {source}: not JSON") from exc
    return JsonPriceTable(parse_prices(document, str(source)), str(source))


def parse_prices(document: Any, source: str) -> dict[str, tuple[float, float]]:
    models = document.get("models") if isinstance(document, dict) else None
    if not isinstance(models, dict):
        raise InvalidPriceTable(f'{source}: needs an object "models"')
    return {
        model: (
            _price(entry, "input_per_million", source, model),
            _price(entry, "output_per_million", source, model),
        )
        for model, entry in models.items()
    }


def _price(entry: Any, key: str, source: str, model: str) -> float:
    value = entry.get(key) if isinstance(entry, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidPriceTable(f"{source}: models[{model!r}].{key} must be a number")
    price = float(value)
    if not math.isfinite(price) or price < 0:
        raise InvalidPriceTable(f"{source}: models[{model!r}].{key} must be 0 or more")
    return price
