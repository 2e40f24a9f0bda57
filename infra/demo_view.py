"""What the terminal demo draws: the progress bar, the streaming draft and the usage line.

Everything printed comes from the API, and the plan text is model output: `printable`
drops the control characters (ESC above all) that would let it drive the terminal.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

# C0 controls but newline and tab, DEL, and the C1 controls (CSI is 0x9b).
_CONTROLS = dict.fromkeys([*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)])
# A draft line longer than this is printed in pieces rather than held back.
MAX_PENDING_DRAFT_CHARS = 4096


def printable(text: str) -> str:
    """`text` without the characters a terminal would act on instead of showing."""
    return text.translate(_CONTROLS)


class DraftLines:
    """Cuts the streamed draft into whole lines, so they print cleanly above the bar."""

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, delta: str) -> list[str]:
        text = self._pending + delta
        *lines, self._pending = text.split("\n")
        if len(self._pending) > MAX_PENDING_DRAFT_CHARS:
            lines.append(self._pending)
            self._pending = ""
        return lines

    def flush(self) -> list[str]:
        rest, self._pending = self._pending, ""
        return [rest] if rest else []


class MissionProgressView:
    """A bar whose description is the step's name and completion the report's percentage.

    Each new step is also printed as a line: on a terminal it stays as a log above the
    bar, and where output is not a terminal (a pipe, a test) the bar is drawn only once.
    """

    def __init__(self, console: Console) -> None:
        self._console = console
        self._bar = Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
        )
        self._task: TaskID = self._bar.add_task("Submitted", total=100)
        self._step: str | None = None
        self._draft = DraftLines()

    def __enter__(self) -> MissionProgressView:
        self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._bar.stop()

    def progress(self, progress: dict[str, Any], draft_delta: str | None) -> None:
        name = printable(str(progress["stepName"]))
        if name != self._step:
            self._step = name
            self._console.print(Text(_step_line(progress, name), style="cyan"))
        self._bar.update(self._task, description=name, completed=float(progress["percentage"]))
        if draft_delta:
            self._print_draft(self._draft.feed(draft_delta))

    def completed(self) -> None:
        self._print_draft(self._draft.flush())
        self._bar.update(self._task, description="Done", completed=100)

    def failed(self) -> None:
        self._print_draft(self._draft.flush())
        self._bar.update(self._task, description="Stopped")

    def _print_draft(self, lines: list[str]) -> None:
        for line in lines:
            self._console.print(Text(printable(line), style="dim"), soft_wrap=True)


def _step_line(progress: dict[str, Any], name: str) -> str:
    if progress["stepId"] == "queued":  # before the first step, which shares its index 0
        return name
    return f"Step {progress['stepIndex'] + 1}/{progress['stepCount']}: {name}"


def usage_line(usage: dict[str, Any]) -> str:
    cost = usage["costUsd"]
    price = "cost unknown" if cost is None else f"cost ${cost:,.4f}"
    return (
        f"Usage: model {printable(str(usage['model']))}, "
        f"{usage['inputTokens']:,} input + {usage['outputTokens']:,} output = "
        f"{usage['totalTokens']:,} tokens, {price}, {usage['durationMs'] / 1000:.1f} s"
    )
