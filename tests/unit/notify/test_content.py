"""Bulletin content: every item the plan requires (§3.2.3.2), in Chinese and English."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from services.notify.domain.content import (
    FIELD_KEYS,
    LANGUAGES,
    BulletinContent,
    Language,
    warning_content,
)
from shared.areas import members
from shared.contracts.payloads import WarningChanged

DECIDED = dt.datetime(2026, 1, 4, 8, 0, 30, 123456, tzinfo=dt.UTC)  # 16:00:30 in Chongqing
UNIT = "江北区重污染天气应急指挥部"
RESPONSE = {"yellow": "III", "orange": "II", "red": "I", None: None}

# (action, new level, previous level) for each kind of warning action.
ACTIONS = {
    "issue": ("issue", "yellow", None),
    "upgrade": ("upgrade", "orange", "yellow"),
    "downgrade": ("downgrade", "orange", "red"),
    "lift": ("lift", None, "orange"),
}


def make_change(
    action: str = "issue",
    level: str | None = "orange",
    previous: str | None = None,
    *,
    area: str = "500105",
    pollutant: str | None = "PM2.5",
    end: dt.date | None = dt.date(2026, 1, 8),
    start: dt.date = dt.date(2026, 1, 6),
    late: bool = False,
    unit: str = UNIT,
    decided_at: dt.datetime = DECIDED,
) -> WarningChanged:
    return WarningChanged.model_validate(
        {
            "area": area,
            "warning_id": f"w-{action}",
            "action": action,
            "level": level,
            "response_level": RESPONSE[level],
            "previous_level": previous,
            "episode_id": "ep-9",
            "episode_start": start,
            "episode_end": end,
            "primary_pollutant": pollutant,
            "cause": "forecast",
            "cause_at": decided_at,
            "late": late,
            "issuing_unit": unit,
            "decided_at": decided_at,
        }
    )


def content_for(name: str, **kwargs: object) -> BulletinContent:
    action, level, previous = ACTIONS[name]
    return warning_content(make_change(action, level, previous, **kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(ACTIONS))
def test_every_item_of_the_plan_is_in_the_description(name: str, language: Language) -> None:
    text = content_for(name).text(language)
    assert [item.key for item in text.items] == list(FIELD_KEYS)
    for item in text.items:
        assert item.label and item.text.strip(), item.key
        assert f"{item.label}" in text.description and item.text in text.description
    assert text.headline and text.instruction


@pytest.mark.parametrize("name", list(ACTIONS))
def test_issuer_time_span_area_and_pollutant_read_the_same_in_both_languages(name: str) -> None:
    content = content_for(name)
    zh, en = content.text("zh-CN"), content.text("en-US")
    assert zh.item("issuing_unit").text == UNIT and en.item("issuing_unit").text == UNIT
    # Issue time is local Chongqing time, to the minute.
    assert zh.item("issue_time").text == "2026年1月4日16时00分（北京时间）"
    assert en.item("issue_time").text == "16:00 on 4 January 2026 (Beijing time)"
    assert zh.item("time_span").text == "2026年1月6日0时至2026年1月8日24时"
    assert en.item("time_span").text == "from 00:00 on 6 January 2026 to 24:00 on 8 January 2026"
    assert zh.item("areas").text == "江北区" and en.item("areas").text == "Jiangbei"
    assert "PM2.5" in zh.item("primary_pollutant").text
    assert "PM2.5" in en.item("primary_pollutant").text


def test_an_issue_names_its_level_and_response() -> None:
    content = content_for("issue")
    assert content.text("zh-CN").headline == "江北区发布重污染天气黄色预警"
    assert content.text("en-US").headline == "Jiangbei issues a yellow heavy air pollution warning"
    assert content.text("zh-CN").item("level").text == "黄色预警，启动Ⅲ级应急响应"
    assert "Level III" in content.text("en-US").item("level").text


def test_an_upgrade_says_what_changed() -> None:
    content = content_for("upgrade")
    zh, en = content.text("zh-CN"), content.text("en-US")
    assert zh.headline == "江北区重污染天气预警由黄色升级为橙色"
    assert en.headline == "Jiangbei upgrades its heavy air pollution warning from yellow to orange"
    assert "由黄色预警升级为橙色预警，应急响应由Ⅲ级提升至Ⅱ级" in zh.summary
    assert "upgraded from yellow to orange" in en.summary
    assert "from Level III to Level II" in en.item("level").text


def test_a_downgrade_says_what_changed() -> None:
    content = content_for("downgrade")
    zh, en = content.text("zh-CN"), content.text("en-US")
    assert zh.headline == "江北区重污染天气预警由红色降级为橙色"
    assert "downgrades" in en.headline and "from red to orange" in en.headline
    assert "应急响应由Ⅰ级调整为Ⅱ级" in zh.item("level").text
    assert "lowered from Level I to Level II" in en.item("level").text


def test_a_lift_says_it_is_lifted_and_since_when() -> None:
    content = content_for("lift")
    zh, en = content.text("zh-CN"), content.text("en-US")
    assert zh.headline == "江北区解除重污染天气橙色预警"
    assert en.headline == "Jiangbei lifts its orange heavy air pollution warning"
    assert "自2026年1月4日16时00分（北京时间）起" in zh.description
    assert "as of 16:00 on 4 January 2026" in en.description
    assert "终止Ⅱ级应急响应" in zh.description
    assert content.level is None and content.previous_level == "orange"


@pytest.mark.parametrize(
    ("level", "zh", "en"),
    [
        ("yellow", "重度污染", "heavy pollution"),
        ("orange", "持续重度污染", "sustained heavy pollution"),
        ("red", "严重污染", "severe pollution"),
    ],
)
def test_pollution_degree_follows_the_level(level: str, zh: str, en: str) -> None:
    content = warning_content(make_change("issue", level))
    assert content.text("zh-CN").item("pollution_degree").text.startswith(zh)
    assert content.text("en-US").item("pollution_degree").text.startswith(en)


@pytest.mark.parametrize(
    ("pollutant", "zh", "en"), [("PM2.5", "心脑血管", "cardiovascular"), ("O3", "眼睛", "eyes")]
)
def test_the_hazard_is_the_primary_pollutants(pollutant: str, zh: str, en: str) -> None:
    content = warning_content(make_change(pollutant=pollutant))
    assert zh in content.text("zh-CN").item("potential_hazard").text
    assert en in content.text("en-US").item("potential_hazard").text


@pytest.mark.parametrize("name", ["issue", "upgrade", "downgrade", "lift"])
def test_sensitive_groups_get_health_advice(name: str) -> None:
    content = content_for(name)
    zh, en = content.text("zh-CN"), content.text("en-US")
    for word in ("儿童", "老年人", "心脏病、肺病"):
        assert word in zh.instruction and word in zh.item("recommended_measures").text
    for word in ("children", "the elderly", "heart or lung disease"):
        assert word in en.instruction.lower()
        assert word in en.item("recommended_measures").text.lower()


@pytest.mark.parametrize("level", ["yellow", "orange", "red"])
def test_schools_cut_outdoor_time_and_red_adds_stopping_it(level: str) -> None:
    content = warning_content(make_change("issue", level))
    zh, en = content.text("zh-CN").instruction, content.text("en-US").instruction
    if level == "red":
        assert "停止户外活动" in zh and "线上教学" in zh
        assert "stop all outdoor activity" in en and "online" in en
    else:
        assert "减少户外活动时间" in zh and "cut outdoor activity time" in en
        assert "停课" not in zh and "online" not in en


def test_flexible_hours_from_orange_and_measures_of_the_response_level() -> None:
    yellow = warning_content(make_change("issue", "yellow")).text("zh-CN")
    orange = warning_content(make_change("issue", "orange")).text("zh-CN")
    assert "弹性工作制" not in yellow.item("recommended_measures").text
    assert "弹性工作制" in orange.item("recommended_measures").text
    assert "落实Ⅱ级响应措施" in orange.item("recommended_measures").text
    assert "绿色出行" in yellow.item("recommended_measures").text


def test_a_region_lists_its_member_districts() -> None:
    content = warning_content(make_change(area="wuling"))
    zh, en = content.text("zh-CN"), content.text("en-US")
    for district in members("wuling"):
        assert district.name_zh in zh.item("areas").text
        assert district.name_en in en.item("areas").text
    assert "6个区县" in zh.item("areas_affected").text
    # Only a district's own orange start is copied to the other districts (plan §3.2.2).
    assert "抄送" not in zh.summary


def test_a_district_starting_orange_copies_the_warning_and_a_late_one_says_so() -> None:
    content = warning_content(make_change("issue", "orange", late=True))
    assert "抄送全市其他区县" in content.text("zh-CN").summary
    assert "copied to every other district" in content.text("en-US").summary
    assert "不足24小时" in content.text("zh-CN").summary
    assert "抄送" not in warning_content(make_change("issue", "yellow")).text("zh-CN").summary


def test_an_open_ended_episode_is_until_further_notice() -> None:
    content = warning_content(make_change(end=None))
    assert "另行通知" in content.text("zh-CN").item("time_span").text
    assert "until further notice" in content.text("en-US").item("time_span").text


def test_html_escapes_and_plain_text_carries_everything() -> None:
    content = warning_content(make_change(unit='<script>alert("x")</script> & Co'))
    rendered = content.html()
    assert "<script>" not in rendered
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in rendered
    assert '<article lang="zh-CN">' in rendered and '<article lang="en-US">' in rendered
    plain = content.plain_text()
    for text in content.texts:
        assert text.headline in plain and text.instruction in plain


def test_the_dict_is_json_ready() -> None:
    data = json.loads(json.dumps(content_for("upgrade").as_dict(), ensure_ascii=False))
    assert data["action"] == "upgrade" and data["level"] == "orange"
    assert set(data["texts"]) == set(LANGUAGES)
    assert list(data["texts"]["zh-CN"]["fields"]) == list(FIELD_KEYS)


@pytest.mark.parametrize(
    ("action", "level", "previous"),
    [("upgrade", "yellow", "orange"), ("downgrade", "red", "orange"), ("lift", "red", "red")],
)
def test_a_change_whose_levels_do_not_fit_its_action_is_refused(
    action: str, level: str | None, previous: str | None
) -> None:
    with pytest.raises(ValueError, match="inconsistent"):
        warning_content(make_change(action, level, previous))


def test_a_naive_decision_time_is_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        warning_content(make_change(decided_at=dt.datetime(2026, 1, 4, 16)))
