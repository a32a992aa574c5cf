"""Notices to member units: what each unit is asked to do, or may stop doing, for a warning
(plan §4.2 and Annex 1), drawn from the response's task changes and grouped by unit."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from shared.areas import AREAS
from shared.contracts.payloads import ResponseTasks

LOCAL = ZoneInfo("Asia/Shanghai")
NOTIFIED = ("assign", "stand_down", "remind")
_ACTION_ZH = {"assign": "新任务", "stand_down": "解除任务", "remind": "逾期提醒"}
_ACTION_EN = {"assign": "new task", "stand_down": "stand down", "remind": "overdue"}


@dataclass(frozen=True)
class NoticeLine:
    action: str
    measure_id: str
    level: str
    due: dt.datetime | None

    def as_json(self) -> dict[str, str | None]:
        """The line as stored and as sent to the unit: the same shape in both."""
        return {
            "action": self.action,
            "measure_id": self.measure_id,
            "level": self.level,
            "due": self.due.isoformat() if self.due else None,
        }


@dataclass(frozen=True)
class Notice:
    notice_id: str
    unit: str
    area: str
    episode_id: str
    warning_id: str
    created_at: dt.datetime
    lines: tuple[NoticeLine, ...]

    def headline(self, language: str) -> str:
        name = AREAS[self.area]
        if language == "zh-CN":
            return f"{name.name_zh}重污染天气应急响应任务通知（{len(self.lines)}项）"
        return f"Heavy air pollution response: {len(self.lines)} task notice(s) for {name.name_en}"

    def text(self, language: str) -> str:
        zh = language == "zh-CN"
        rows = []
        for line in self.lines:
            due = line.due.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M") if line.due else "—"
            action = (_ACTION_ZH if zh else _ACTION_EN)[line.action]
            rows.append(
                f"- {action}：{line.measure_id}（{line.level}级，完成时限 {due}）"
                if zh
                else f"- {action}: {line.measure_id} (Level {line.level}, due {due})"
            )
        return "\n".join([self.headline(language), *rows])


NOTICES = uuid.UUID("0c6c7d52-1d0e-4a53-b7a3-2f3b8d1e9a40")


def notices_for(tasks: ResponseTasks, *, at: dt.datetime) -> list[Notice]:
    """One notice per unit named in ``tasks``, with an id that the same changes always get."""
    by_unit: dict[str, list[NoticeLine]] = defaultdict(list)
    ids: dict[str, list[str]] = defaultdict(list)
    for change in tasks.changes:
        if change.action in NOTIFIED:
            by_unit[change.unit].append(
                NoticeLine(change.action, change.measure_id, change.level, change.due)
            )
            ids[change.unit].append(f"{change.action}:{change.task_id}")
    return [
        Notice(
            str(uuid.uuid5(NOTICES, "|".join([tasks.warning_id, unit, *ids[unit]]))),
            unit,
            tasks.area,
            tasks.episode_id,
            tasks.warning_id,
            at,
            tuple(by_unit[unit]),
        )
        for unit in sorted(by_unit)
    ]
