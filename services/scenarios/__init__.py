"""`airwarn scenario NAME --seed N`: synthetic, replayable scenarios for all 38 districts.

``generate(name, seed)`` returns the ``{"events": [...]}`` that ``airwarn replay``
consumes (docs/replay.md); docs/scenarios.md tells each story. The same name and seed
always give the same scenario, byte for byte; another seed changes the details (district
factors, noise, forecast errors), never the story.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from services.scenarios.model import events
from services.scenarios.stories import STORIES

NAMES: tuple[str, ...] = tuple(STORIES)


def generate(name: str, seed: int) -> dict[str, Any]:
    """The scenario ``name`` (one of ``NAMES``) drawn with ``seed``."""
    try:
        story = STORIES[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}: expected one of {', '.join(NAMES)}") from None
    return {"events": events(story, seed)}


def to_json(scenario: dict[str, Any]) -> str:
    """The scenario as text, one event per line: small diffs between seeds, and the same
    bytes for the same scenario (keys keep the order they were built in)."""
    lines = [
        json.dumps(event, ensure_ascii=False, separators=(", ", ": "))
        for event in scenario["events"]
    ]
    return '{"events": [\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``airwarn scenario NAME [--seed N]``: print the scenario on stdout."""
    parser = argparse.ArgumentParser(prog="airwarn scenario", description=__doc__)
    parser.add_argument("name", choices=NAMES)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sys.stdout.write(to_json(generate(args.name, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
