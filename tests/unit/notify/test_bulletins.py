"""Each warning action makes its own bulletin, Alert → Update → Cancel, in both languages."""

from __future__ import annotations

import datetime as dt

from services.notify.domain.model import Bulletin, compose
from shared.contracts.payloads import WarningChanged

AT = dt.datetime(2026, 1, 4, 8, tzinfo=dt.UTC)


def change(action: str, level: str | None, previous: str | None) -> WarningChanged:
    response = {"yellow": "III", "orange": "II", "red": "I", None: None}[level]
    return WarningChanged(
        area="500105",
        warning_id=f"w-{action}",
        action=action,
        level=level,  # type: ignore[arg-type]
        response_level=response,
        previous_level=previous,
        episode_id="ep-9",  # type: ignore[arg-type]
        episode_start=dt.date(2026, 1, 5),
        episode_end=dt.date(2026, 1, 8),
        primary_pollutant="PM2.5",
        cause="forecast",
        issuing_unit="江北区重污染天气应急指挥部",
        decided_at=AT,
        cause_at=AT,
    )


def test_an_episode_gives_alert_update_cancel_with_references() -> None:
    made: list[Bulletin] = []
    for index, (action, level, previous) in enumerate(
        [("issue", "yellow", None), ("upgrade", "orange", "yellow"), ("lift", None, "orange")]
    ):
        made.append(
            compose(change(action, level, previous), bulletin_id=f"b{index}", earlier=list(made))
        )
    assert [b.msg_type for b in made] == ["Alert", "Update", "Cancel"]
    assert [b.references for b in made] == [(), ("b0",), ("b0", "b1")]


def test_the_text_names_area_level_span_pollutant_and_issuer_in_both_languages() -> None:
    bulletin = compose(change("issue", "orange", None), bulletin_id="b", earlier=[])
    assert bulletin.headline_zh == "江北区发布重污染天气橙色预警"
    assert bulletin.headline_en == "Jiangbei issues an orange heavy air pollution warning"
    assert "2026年1月5日0时至2026年1月8日24时" in bulletin.text_zh
    assert "5 January 2026" in bulletin.text_en and "8 January 2026" in bulletin.text_en
    for text in (bulletin.text_zh, bulletin.text_en):
        assert "PM2.5" in text and "江北区重污染天气应急指挥部" in text
    assert "<msgType>Alert</msgType>" in bulletin.cap_xml


def test_a_lift_names_the_level_it_ends() -> None:
    earlier = compose(change("issue", "red", None), bulletin_id="a", earlier=[])
    bulletin = compose(change("lift", None, "red"), bulletin_id="b", earlier=[earlier])
    assert bulletin.headline_zh == "江北区解除重污染天气红色预警"
    assert bulletin.level is None
