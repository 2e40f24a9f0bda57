"""Summarise a py-spy raw (collapsed stacks) profile: where the samples went.

.venv/bin/python -m benchmarks.profile_summary /tmp/prof/dashboard-api-0.txt [--top 25]
    [--group]   # inclusive time per package group (graphql-core, sqlalchemy, ...)
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# A frame reads "function (path/to/file.py:123)"; the line number is dropped to merge lines.
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")
GROUPS = {
    "graphql-core": "site-packages/graphql/",
    "strawberry": "site-packages/strawberry/",
    "sqlalchemy": "site-packages/sqlalchemy/",
    "asyncpg": "site-packages/asyncpg/",
    "uvicorn + h11": ("site-packages/uvicorn/", "site-packages/h11/"),
    "websockets": "site-packages/websockets/",
    "starlette": "site-packages/starlette/",
    "broadcaster": "site-packages/broadcaster/",
    "httpx": ("site-packages/httpx/", "site-packages/httpcore/"),
    "jwt": "site-packages/jwt/",
    "standardwebhooks": "site-packages/standardwebhooks/",
    "json (stdlib)": "/json/",
    "asyncio (stdlib)": ("/asyncio/", "selectors.py"),
    "project graph/": "main/graph/",
    "project domain/": "main/domain/",
    "project infra/": "main/infra/",
    "project llm_service/": "main/llm_service/",
    "benchmarks/": "main/benchmarks/",
}


def frame_name(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    short = "/".join(path.split("/")[-2:])
    return f"{match['func']} ({short})"


def group_of(frame: str) -> str | None:
    for name, needles in GROUPS.items():
        for needle in (needles,) if isinstance(needles, str) else needles:
            if needle in frame:
                return name
    return None


def summarise(path: Path, top: int, by_group: bool, focus: list[str]) -> None:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frame_name(frames[-1])] += count
        for name in {frame_name(f) for f in frames}:
            inclusive[name] += count
        # Self time by group of the innermost frame that belongs to a known group.
        for frame in reversed(frames):
            group = group_of(frame)
            if group:
                groups[group] += count
                break
    print(f"{path.name}: {total} samples")
    if focus:
        print("\ninclusive time of the frames asked for:")
        for needle in focus:
            for name, count in inclusive.most_common():
                if needle in name:
                    print(f"  {count / total:6.1%}  {name}")
    if by_group:
        print("\nself time by package (innermost known frame):")
        for name, count in groups.most_common():
            print(f"  {count / total:6.1%}  {name}")
    print(f"\ntop {top} by self time:")
    for name, count in own.most_common(top):
        print(f"  {count / total:6.1%}  {name}")
    print(f"\ntop {top} by inclusive time:")
    for name, count in inclusive.most_common(top):
        print(f"  {count / total:6.1%}  {name}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("profile", type=Path)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--group", action="store_true")
    p.add_argument("--focus", default="", help="comma-separated parts of frame names")
    args = p.parse_args()
    summarise(args.profile, args.top, args.group, [f for f in args.focus.split(",") if f])


if __name__ == "__main__":
    main()
