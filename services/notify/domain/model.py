"""Bulletins: what the public is told about each warning action, in Chinese and English.

Every warning action gets its own bulletin — Alert when a warning is issued,
Update (referring to the episode's earlier bulletins) on upgrade or downgrade,
Cancel on lift — so none is merged or dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from shared.areas import AREAS
from shared.contracts.payloads import WarningChanged
from shared.levels import LEVEL_NAMES

MsgType = Literal["Alert", "Update", "Cancel"]
MSG_TYPE: dict[str, MsgType] = {
    "issue": "Alert",
    "upgrade": "Update",
    "downgrade": "Update",
    "lift": "Cancel",
}
_ACTION_ZH = {"issue": "发布", "upgrade": "升级为", "downgrade": "降级为", "lift": "解除"}
_ACTION_EN = {
    "issue": "issues",
    "upgrade": "upgrades to",
    "downgrade": "downgrades to",
    "lift": "lifts",
}


@dataclass(frozen=True)
class Bulletin:
    bulletin_id: str
    area: str
    episode_id: str
    warning_id: str
    msg_type: MsgType
    level: str | None
    references: tuple[str, ...]
    headline_zh: str
    headline_en: str
    text_zh: str
    text_en: str
    published_at: dt.datetime


def compose(change: WarningChanged, *, bulletin_id: str, earlier: list[Bulletin]) -> Bulletin:
    """The bulletin for ``change``; ``earlier`` are the episode's bulletins so far."""
    area = AREAS[change.area]
    shown = change.level if change.action != "lift" else change.previous_level
    level_zh, level_en = LEVEL_NAMES[shown] if shown else ("", "")
    if change.action == "lift":
        headline_zh = f"{area.name_zh}{_ACTION_ZH['lift']}重污染天气{level_zh}预警"
        headline_en = f"{area.name_en} lifts its {level_en.lower()} heavy air pollution warning"
    else:
        headline_zh = f"{area.name_zh}{_ACTION_ZH[change.action]}重污染天气{level_zh}预警"
        article = "an" if level_en[:1] in ("A", "E", "I", "O", "U") else "a"
        headline_en = (
            f"{area.name_en} {_ACTION_EN[change.action]} {article} {level_en.lower()} "
            "heavy air pollution warning"
        )
    span_end = change.episode_end.isoformat() if change.episode_end else "另行通知"
    span_end_en = change.episode_end.isoformat() if change.episode_end else "further notice"
    pollutant = change.primary_pollutant or "—"
    text_zh = (
        f"{headline_zh}。发布单位：{change.issuing_unit}；污染时段："
        f"{change.episode_start.isoformat()}至{span_end}；首要污染物：{pollutant}。"
    )
    text_en = (
        f"{headline_en}. Issued by: {change.issuing_unit}; episode: "
        f"{change.episode_start.isoformat()} to {span_end_en}; primary pollutant: {pollutant}."
    )
    return Bulletin(
        bulletin_id=bulletin_id,
        area=change.area,
        episode_id=change.episode_id,
        warning_id=change.warning_id,
        msg_type=MSG_TYPE[change.action],
        level=change.level,
        references=tuple(b.bulletin_id for b in earlier) if change.action != "issue" else (),
        headline_zh=headline_zh,
        headline_en=headline_en,
        text_zh=text_zh,
        text_en=text_en,
        published_at=change.decided_at,
    )
