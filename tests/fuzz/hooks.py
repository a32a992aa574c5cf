"""Schemathesis hooks that steer generation where blind fuzzing rarely goes: to objects
that exist, to bodies that pass every rule, and to strings a database may refuse."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import strategies as st

from tests.fuzz.conftest import Seeded

# PostgreSQL text cannot hold NUL, and every column has a length: neither may become a 500.
HOSTILE = ("\x00", "a\x00b", "x" * 1001)
Path = tuple[str | int, ...]


def _string_paths(node: Any, path: Path = ()) -> list[Path]:
    if isinstance(node, str):
        return [path]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _string_paths(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _string_paths(v, (*path, i))]
    return []


def _replaced(node: Any, path: Path, value: str) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {k: _replaced(v, rest, value) if k == head else v for k, v in node.items()}
    return [_replaced(v, rest, value) if i == head else v for i, v in enumerate(node)]


def _hostile(value: Any) -> st.SearchStrategy[Any]:
    """``value`` as it is, or with one of its strings (for text, one spot) made hostile."""
    if isinstance(value, str):
        spots = st.integers(0, len(value))
        inserted = st.tuples(spots, st.sampled_from(HOSTILE)).map(
            lambda at: value[: at[0]] + at[1] + value[at[0] :]
        )
        return st.one_of(st.just(value), inserted)
    paths = _string_paths(value)
    if not paths:
        return st.just(value)
    swapped = st.tuples(st.sampled_from(paths), st.sampled_from(HOSTILE)).map(
        lambda choice: _replaced(value, *choice)
    )
    return st.one_of(st.just(value), swapped)


def hostile_variants(body: Any) -> list[Any]:
    """Every way of making one string of ``body`` hostile (for CSV text, one cell)."""
    if isinstance(body, str):
        rows = [line.split(",") for line in body.splitlines()]
        return [
            "\n".join(
                ",".join(c + bad if (r, k) == (i, j) else c for k, c in enumerate(row))
                for r, row in enumerate(rows)
            )
            + "\n"
            for i, row in enumerate(rows)
            for j in range(len(row))
            for bad in HOSTILE
        ]
    return [_replaced(body, path, bad) for path in _string_paths(body) for bad in HOSTILE]


def _has_area(node: Any) -> bool:
    if isinstance(node, dict):
        return isinstance(node.get("area"), str) or any(_has_area(v) for v in node.values())
    return isinstance(node, list) and any(_has_area(item) for item in node)


def _with_area(node: Any, area: str) -> Any:
    if isinstance(node, dict):
        return {
            k: area if k == "area" and isinstance(v, str) else _with_area(v, area)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_with_area(item, area) for item in node]
    return node


def seeded_bodies(seeded: Seeded) -> Callable[..., Any]:
    """The generated body, the same with every ``area`` a real area code (past "unknown
    area" to the rules behind it), or a body known to pass; then maybe made hostile."""

    def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
        choices = [st.just(body)]
        areas = seeded.ids.get("area", [])
        if areas and _has_area(body):
            choices.append(st.sampled_from(areas).map(lambda a: _with_area(body, a)))
        label = context.operation.label if context.operation is not None else ""
        # the same media type as the case: a CSV body for text/csv, an object for JSON
        valid = [b for b in seeded.bodies.get(label, []) if type(b) is type(body)]
        if valid:
            choices.append(st.sampled_from(valid))
        return st.one_of(*choices).flatmap(_hostile)

    return flatmap_body


def seeded_path_parameters(seeded: Seeded) -> Callable[..., Any]:
    """Path parameters as generated or naming an existing object; then maybe hostile."""

    def flatmap_path_parameters(
        _context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
    ) -> st.SearchStrategy[dict[str, Any] | None]:
        if not path_parameters:
            return st.just(path_parameters)
        generated = path_parameters
        known = {k: seeded.ids[k] for k in generated if seeded.ids.get(k)}
        existing = st.fixed_dictionaries({k: st.sampled_from(v) for k, v in known.items()})
        chosen = st.one_of(st.just(generated), existing.map(lambda ids: {**generated, **ids}))
        return chosen.flatmap(_hostile)

    return flatmap_path_parameters


def flatmap_query(
    _context: schemathesis.HookContext, query: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Query parameters as generated, or with one made hostile."""
    return st.just(query) if not query else _hostile(query)
