"""Bulletins: what the public is told about each warning action, in Chinese and English.

Every warning action gets its own bulletin — Alert when a warning is issued,
Update (referring to the episode's earlier bulletins) on upgrade or downgrade,
Cancel on lift — so none is merged or dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from services.notify.domain.cap import cap_alert
from services.notify.domain.content import warning_content
from shared.contracts.payloads import WarningChanged

MsgType = Literal["Alert", "Update", "Cancel"]
MSG_TYPE: dict[str, MsgType] = {
    "issue": "Alert",
    "upgrade": "Update",
    "downgrade": "Update",
    "lift": "Cancel",
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
    cap_xml: str = ""
    html: str = ""


SENDER = "airwarn@cq.gov.cn"  # CAP <sender>: the system that signs the city's warnings


def compose(change: WarningChanged, *, bulletin_id: str, earlier: list[Bulletin]) -> Bulletin:
    """The bulletin for ``change``: every field the plan requires of a warning (§3.2.3.2)
    in Chinese and English, and its CAP 1.2 message; ``earlier`` are the episode's
    bulletins so far, which an Update or Cancel refers to."""
    content = warning_content(change)
    zh, en = content.text("zh-CN"), content.text("en-US")
    references = (
        [(SENDER, b.bulletin_id, b.published_at) for b in earlier]
        if change.action != "issue"
        else []
    )
    cap = cap_alert(
        change,
        content,
        identifier=bulletin_id,
        sender=SENDER,
        sent=change.decided_at,
        references=references,
    )
    return Bulletin(
        bulletin_id=bulletin_id,
        area=change.area,
        episode_id=change.episode_id,
        warning_id=change.warning_id,
        msg_type=MSG_TYPE[change.action],
        level=change.level,
        references=tuple(b.bulletin_id for b in earlier) if change.action != "issue" else (),
        headline_zh=zh.headline,
        headline_en=en.headline,
        text_zh=zh.plain_text(),
        text_en=en.plain_text(),
        published_at=change.decided_at,
        cap_xml=cap,
        html=content.html(),
    )
