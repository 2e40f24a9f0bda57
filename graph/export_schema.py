"""Print the schema SDL: `python -m graph.export_schema > schema.graphql`."""

from __future__ import annotations

from graph.schema import schema


def schema_sdl() -> str:
    return schema.as_str() + "\n"


if __name__ == "__main__":
    print(schema_sdl(), end="")
