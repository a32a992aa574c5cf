"""Warning levels and their response levels (rules §2, plan §3.2.1 and §4.1)."""

from __future__ import annotations

from typing import Final, Literal

WARNING_LEVELS: Final = ("yellow", "orange", "red")
RESPONSE_LEVEL: Final = {"yellow": "III", "orange": "II", "red": "I"}
WARNING_LEVEL_OF: Final[dict[str, Literal["yellow", "orange", "red"]]] = {
    "III": "yellow",
    "II": "orange",
    "I": "red",
}
LEVEL_NAMES: Final = {
    "yellow": ("黄色", "Yellow"),
    "orange": ("橙色", "Orange"),
    "red": ("红色", "Red"),
}


def rank(level: str | None) -> int:
    """0 for no warning, then 1 (yellow) < 2 (orange) < 3 (red)."""
    return 0 if level is None else WARNING_LEVELS.index(level) + 1
