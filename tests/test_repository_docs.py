"""The repository explains itself: its documents stay inside it and name files that exist."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[1]
# A document outside the repository is gone for the next reader: cite none.
OUTSIDE = re.compile(r"\.\./shared|DESIGN\.md")
# `path/to/file.py` in backquotes, as docs/architecture.md names the files of each flow.
NAMED_FILE = re.compile(r"`((?:graph|domain|infra|llm_service|migrations|tests|docs)/[\w/.-]+)`")


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / n for n in names if n.endswith((".py", ".md", ".toml", ".ini", "Makefile"))]


def test_no_file_cites_a_document_outside_the_repository() -> None:
    # This file names the patterns it looks for; nothing else may.
    found = [
        f"{path.relative_to(ROOT)}: {line.strip()}"
        for path in tracked_text_files()
        if path != Path(__file__)
        for line in path.read_text(encoding="utf-8").splitlines()
        if OUTSIDE.search(line)
    ]
    assert found == []


def test_the_architecture_document_names_only_files_that_exist() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(NAMED_FILE.findall(text))
    assert len(named) > 20
    missing = sorted(name for name in named if not (ROOT / name.rstrip("/")).exists())
    assert missing == []
