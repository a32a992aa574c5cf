"""Generated scenarios for `airwarn replay`: whole episodes over all 38 districts.

``generate(name, seed)`` returns the ``{"events": [...]}`` that ``airwarn replay``
consumes (docs/replay.md); docs/scenarios.md tells each story and what it gives. The
same name and seed always give the same scenario, byte for byte; another seed changes
the details (district factors, noise, forecast errors), never the story.
"""

from __future__ import annotations

from typing import Any

from services.scenarios.model import events
from services.scenarios.stories import STORIES

NAMES: tuple[str, ...] = tuple(STORIES)


def generate(name: str, seed: int) -> dict[str, Any]:
    """The scenario ``name`` (one of ``NAMES``) drawn with ``seed``."""
    try:
        story = STORIES[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}: one of {', '.join(NAMES)}") from None
    return {"events": events(story, seed)}
