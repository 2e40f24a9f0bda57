"""Plain attribute fields read directly (graph/fast_fields.py) answer exactly as
graphql-core's ordinary path does: the same data, the same errors at the same paths."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph.fast_fields import FastFieldsExecutionContext
from graph.field_plans import plan_for
from graph.schema import schema as app_schema


@strawberry.enum
class Colour(Enum):
    RED = "red"
    GREEN = "green"


class _Paint(Enum):
    """No member of Colour, whatever its values."""

    RED = "red"


class _Shout(str):
    pass


@strawberry.type
class Leaf:
    name: str
    colour: Colour
    maybe: int | None
    required: int  # given None by some rows: graphql-core's non-null error


@strawberry.type
class Node:
    id: strawberry.ID
    leaf: Leaf
    optional_leaf: Leaf | None
    colours: list[Colour]
    maybe_colours: list[Colour | None]
    tags: list[str]
    count: int

    @strawberry.field
    async def later(self) -> int:
        await asyncio.sleep(0)
        return self.count * 2

    @strawberry.field
    def broken(self) -> int | None:
        raise ValueError("resolver failed")


@dataclass
class Row:
    """What a resolver may hand over: any attributes, even wrong ones."""

    id: Any
    leaf: Any
    optional_leaf: Any
    colours: Any
    maybe_colours: Any
    tags: Any
    count: Any


GOOD = Leaf(name="a", colour=Colour.GREEN, maybe=None, required=1)
NULL_REQUIRED = Leaf(name="b", colour=Colour.RED, maybe=3, required=None)  # type: ignore[arg-type]


class _Unreadable(Row):
    """A row whose `count` raises when read."""

    def __getattribute__(self, name: str) -> Any:
        if name == "count":
            raise LookupError("count unreadable")
        return super().__getattribute__(name)


def row(**changes: Any) -> Row:
    fields = {
        "id": "1",
        "leaf": GOOD,
        "optional_leaf": None,
        "colours": [Colour.RED, Colour.GREEN],
        "maybe_colours": [None, Colour.RED],
        "tags": ["x"],
        "count": 1,
    }
    return Row(**{**fields, **changes})


def rows() -> list[Row]:
    """One oddity per row: a row whose non-null field fails is null, the rest stay."""
    good, null_required = GOOD, NULL_REQUIRED

    async def awaitable_tags() -> list[str]:
        return ["later"]

    return [
        row(),
        row(optional_leaf=good, colours=(Colour.GREEN,), tags=("y", "z")),
        row(optional_leaf=null_required),
        row(leaf=null_required),
        row(colours=[None]),
        row(colours=[Colour.RED, "GREEN"]),
        row(colours="RED"),
        row(maybe_colours=["GREEN", "green", Colour.GREEN]),
        row(tags=[1, 2.0]),
        row(tags=awaitable_tags()),
        row(tags=ValueError("bad value")),
        row(count="not a number"),
        row(count=2**40),  # an int that Int refuses
        row(tags=[_Shout("a str subclass")], colours=[_Paint.RED]),
        row(count=None),
        row(id=7, maybe_colours=[]),
        row(leaf=ValueError("no leaf")),
        row(leaf=None),
        _Unreadable(**vars(row())),
    ]


@strawberry.type
class Group:
    """Lists of objects in each shape graphql-core completes: fast or not, the same."""

    name: str
    members: list[Node]
    maybe_members: list[Node | None]
    optional_members: list[Node] | None


class Later:
    """An awaitable of `value`: unlike a coroutine, one left unawaited (its field not
    selected) is no warning."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Any:
        return asyncio.sleep(0, self.value).__await__()


ODD_LISTS = 10


def odd_list(index: int) -> Any:
    """A value for a list of objects, by index: the ones the fast path leaves to
    graphql-core too (made afresh each time: a coroutine or generator runs once)."""
    good, bad = row(), row(leaf=NULL_REQUIRED)  # bad: a non-null field of its leaf is null

    def generated() -> Any:
        yield good

    makers: list[Any] = [
        lambda: [good, good],
        lambda: (good,),
        lambda: [],
        lambda: [good, None],
        lambda: [good, bad],
        lambda: [good, ValueError("no item")],
        lambda: [Later(good)],
        generated,
        lambda: "not a list",
        lambda: None,
    ]
    assert len(makers) == ODD_LISTS
    return makers[index]()


def groups() -> list[Group | None]:
    return [
        Group(
            name=str(index),
            members=odd_list(index),
            maybe_members=odd_list(index),
            optional_members=odd_list(index),
        )
        for index in range(ODD_LISTS)
    ]


@strawberry.type
class Query:
    @strawberry.field
    def nodes(self) -> list[Node | None]:
        return rows()  # type: ignore[return-value]

    @strawberry.field
    def groups(self) -> list[Group | None]:
        return groups()

    @strawberry.field
    def one(self) -> Node | None:
        leaf = Leaf(name="a", colour=Colour.RED, maybe=2, required=1)
        return Row("1", leaf, None, [], [], [], 1)  # type: ignore[return-value]


QUERY = """
query {
  one { id count leaf { name colour } }
  nodes {
    id count later broken colours maybeColours tags
    leaf { name colour maybe required }
    optionalLeaf { name colour maybe required }
    renamed: count
    ... on Node { count leaf { name } }
  }
  groups { name members { id later leaf { name required } } }
  moreGroups: groups {
    name
    maybeMembers { id count leaf { required } optionalLeaf { name } }
    optionalMembers { id broken tags }
  }
}
"""


def answer(execution_context_class: type) -> tuple[Any, list[Any]]:
    test_schema = strawberry.Schema(query=Query, execution_context_class=execution_context_class)
    result = asyncio.run(test_schema.execute(QUERY))
    errors = sorted(
        (e.formatted for e in result.errors or []), key=lambda e: (str(e["path"]), e["message"])
    )
    return result.data, errors


def test_the_same_data_and_errors_as_graphql_core_s_own_path() -> None:
    expected = answer(StrawberryGraphQLCoreExecutionContext)
    data, errors = expected
    assert len(errors) > 10, "the query is meant to produce errors"
    assert sum(node is not None for node in data["nodes"]) > 3, data
    assert answer(FastFieldsExecutionContext) == expected


@pytest.mark.parametrize(
    ("type_name", "field_name", "direct"),
    [
        ("MissionReport", "id", True),
        ("MissionReport", "status", True),
        ("MissionReport", "location", True),
        ("MissionReport", "scenarios", True),
        ("MissionReport", "progress", True),
        ("MissionReport", "plan", False),  # a resolver
        ("MissionReport", "usage", False),
        ("MissionReportConnection", "nodes", True),  # a list of plain objects
        ("MissionReportConnection", "edges", False),  # a resolver: cursors made when selected
        ("Query", "missionReports", False),
    ],
)
def test_which_fields_of_the_app_are_read_directly(
    type_name: str, field_name: str, direct: bool
) -> None:
    graphql_type: Any = app_schema._schema.get_type(type_name)
    assert (plan_for(graphql_type.fields[field_name]) is not None) is direct
