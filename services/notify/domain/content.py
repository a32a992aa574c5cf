"""What a warning bulletin says, in Chinese and English (plan §3.2.3.2, rules §4–§5).

The plan lists what every warning must state: issuing unit, issue time, the
episode's time span, areas, pollution degree, primary pollutant, level,
potential hazard, areas likely affected and recommended measures. Each becomes
one labelled item (:data:`FIELD_KEYS`), so a channel can lay them out however it
likes and a test can check that none is missing. CAP, e-mail, SMS and the web
page all render from this one object, so they never disagree.

Pollution degree (Decision, derived from each level's start criteria, rules §2,
with the HJ 633-2012 categories: AQI 201–300 重度污染, > 300 严重污染):

* yellow → 重度污染 / heavy pollution: AQI above 200 on some days or hours;
* orange → 持续重度污染 / sustained heavy pollution: three days or more;
* red    → 严重污染 / severe pollution: AQI above 300 on a day of the run, or 500.

Health advice (rules §5): sensitive groups (children, the elderly, people with
heart or lung disease) stay indoors at every level; what everyone else is asked
to do steps up with the level, and at red kindergartens and schools stop
outdoor activity and may move classes online. Measures add flexible working
hours from orange and the fare measures of orange and red.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from typing import Final, Literal
from zoneinfo import ZoneInfo

from shared.areas import AREAS, REGIONS, Area, members
from shared.contracts.payloads import WarningChanged
from shared.levels import LEVEL_NAMES, RESPONSE_LEVEL, rank

LOCAL: Final = ZoneInfo("Asia/Shanghai")
Language = Literal["zh-CN", "en-US"]
LANGUAGES: Final[tuple[Language, ...]] = ("zh-CN", "en-US")
Action = Literal["issue", "upgrade", "downgrade", "lift"]

# The §3.2.3.2 items in the plan's order: (key, Chinese label, English label).
_FIELDS: Final = (
    ("issuing_unit", "发布单位", "Issued by"),
    ("issue_time", "发布时间", "Issued at"),
    ("time_span", "污染时段", "Episode"),
    ("areas", "预警区域", "Warning area"),
    ("pollution_degree", "污染程度", "Pollution degree"),
    ("primary_pollutant", "首要污染物", "Primary pollutant"),
    ("level", "预警级别", "Warning level"),
    ("potential_hazard", "可能造成的危害", "Potential hazard"),
    ("areas_affected", "可能影响的区域", "Areas likely affected"),
    ("recommended_measures", "建议措施", "Recommended measures"),
)
FIELD_KEYS: Final = tuple(key for key, _, _ in _FIELDS)
_INSTRUCTION_LABEL: Final[dict[Language, str]] = {"zh-CN": "健康防护建议", "en-US": "Health advice"}
_SEP: Final[dict[Language, str]] = {"zh-CN": "：", "en-US": ": "}
_ROMAN: Final = {"III": "Ⅲ", "II": "Ⅱ", "I": "Ⅰ"}
# Own month names: strftime("%B") follows the process locale, which a server may not have.
# fmt: off
_MONTHS: Final = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")
# fmt: on

_DEGREE: Final[dict[str, tuple[str, str]]] = {
    "yellow": (
        "重度污染（预计出现重污染天气，部分日期或时段空气质量指数AQI超过200）",
        "heavy pollution: heavy pollution weather expected, with the air quality index (AQI) "
        "above 200 on some days or hours",
    ),
    "orange": (
        "持续重度污染（预计重污染天气持续3天及以上，其间AQI超过200）",
        "sustained heavy pollution: heavy pollution weather expected for three days or more, "
        "with AQI above 200",
    ),
    "red": (
        "严重污染（预计重污染天气持续3天及以上且AQI超过300，或AQI达到500）",
        "severe pollution: heavy pollution weather expected for three days or more with AQI "
        "above 300, or AQI reaching 500",
    ),
}
_POLLUTANT: Final[dict[str | None, tuple[str, str]]] = {
    "PM2.5": ("细颗粒物（PM2.5）", "fine particulate matter (PM2.5)"),
    "O3": ("臭氧（O3）", "ozone (O3)"),
    None: ("待定", "not determined"),
}
_HAZARD: Final[dict[str | None, tuple[str, str]]] = {
    "PM2.5": (
        "细颗粒物可深入肺部并进入血液，诱发或加重呼吸系统和心脑血管疾病，"
        "引起咳嗽、气喘、胸闷等症状；能见度下降，可能影响交通出行。",
        "Fine particles reach deep into the lungs and the bloodstream; they trigger or "
        "aggravate respiratory and cardiovascular disease and cause coughing, wheezing and "
        "chest tightness. Lower visibility may disrupt travel.",
    ),
    "O3": (
        "臭氧刺激眼睛和呼吸道，可引起眼睛不适、咽喉疼痛、咳嗽和胸闷，"
        "降低肺功能、诱发哮喘；午后至傍晚浓度最高。",
        "Ozone irritates the eyes and airways, causing sore eyes, a sore throat, coughing and "
        "chest tightness; it reduces lung function and can bring on asthma attacks. "
        "Levels peak from early afternoon into the evening.",
    ),
    None: (
        "空气污染加重，可诱发或加重呼吸系统和心脑血管疾病。",
        "Polluted air can trigger or aggravate respiratory and cardiovascular disease.",
    ),
}
_HAZARD_RED: Final = (
    "健康人群也可能普遍出现不适。",
    "Even healthy people are likely to feel unwell.",
)
_HAZARD_LIFT: Final = (
    "空气质量好转，健康风险明显降低。",
    "Air quality has improved and the health risk is much lower.",
)

# Health advice (rules §5 "Health"): the same for sensitive groups at every level, while
# what everyone else, schools and transit do steps up with the level.
_SENSITIVE: Final = (
    "儿童、老年人和心脏病、肺病等慢性病患者请留在室内，避免户外活动。",
    "Children, the elderly and people with heart or lung disease should stay indoors and "
    "avoid outdoor activity.",
)
_PUBLIC: Final[dict[str, tuple[str, str]]] = {
    "yellow": (
        "其他人减少户外运动，外出时佩戴口罩。",
        "Everyone else should cut down on outdoor exercise and wear a mask outside.",
    ),
    "orange": (
        "其他人避免户外剧烈运动，减少外出，外出时佩戴口罩。",
        "Everyone else should avoid strenuous outdoor exercise, go out less and wear a mask "
        "outside.",
    ),
    "red": (
        "其他人尽量留在室内，确需外出时佩戴口罩。",
        "Everyone else should stay indoors as far as possible and wear a mask when they must "
        "go out.",
    ),
}
_SCHOOLS: Final[dict[str, tuple[str, str]]] = {
    "yellow": (
        "中小学校和幼儿园减少户外活动时间。",
        "Schools and kindergartens cut outdoor activity time.",
    ),
    "orange": (
        "中小学校和幼儿园减少户外活动时间。",
        "Schools and kindergartens cut outdoor activity time.",
    ),
    # Plan §4.2 Level I: kindergartens and schools stop outdoor activity or teach remotely.
    "red": (
        "幼儿园和中小学校停止户外活动，必要时停课并改为线上教学。",
        "Kindergartens and schools stop all outdoor activity and may suspend classes and teach "
        "online instead.",
    ),
}
_HOSPITALS: Final = (
    "医疗机构增设相关门诊，如感身体不适请及时就医。",
    "Hospitals open extra clinics: see a doctor if you feel unwell.",
)
_HEALTH_POLLUTANT: Final[dict[str | None, tuple[str, str]]] = {
    "PM2.5": (
        "关闭门窗，有条件的可开启空气净化器。",
        "Keep windows closed and run an air purifier if you have one.",
    ),
    "O3": (
        "尽量避开午后至傍晚臭氧浓度最高的时段外出。",
        "Avoid going out from early afternoon to evening, when ozone is highest.",
    ),
    None: ("", ""),
}
_ADVOCATED: Final = (
    "倡导绿色出行、多乘公共交通，驾车时减少怠速；空调夏季不低于26℃、冬季不高于20℃；"
    "绿色消费，少用含挥发性有机物的涂料、清洁剂。",
    "Travel green and take public transport; do not leave engines idling; keep air "
    "conditioning at 26 °C or warmer in summer and 20 °C or cooler in winter; buy green and "
    "use fewer paints and cleaners that contain volatile organic compounds.",
)
_WORK: Final = (
    "机关和企事业单位可实行错峰上下班、弹性工作制。",
    "Employers may stagger working hours or let staff work flexible hours.",
)
_TRANSIT: Final[dict[str, tuple[str, str]]] = {
    "yellow": ("", ""),
    "orange": ("公交两小时内免费换乘。", "Bus transfers within two hours are free."),
    "red": (
        "公交全天免费，轨道交通票价八折。",
        "Buses are free all day and metro fares are 20% off.",
    ),
}
_ENTERPRISES: Final = (
    "相关企业和工地按应急减排清单落实{r}响应措施。",
    "Enterprises and construction sites carry out the {r} measures of their "
    "emission reduction inventories.",
)
_COPIED: Final = (
    "按预案规定，本预警同时抄送全市其他区县。",
    " As the plan requires, this warning is copied to every other district.",
)
_LATE: Final = (
    "因预报较晚，本预警发布时距污染过程开始已不足24小时。",
    " The forecast came late: this warning is issued less than 24 hours before the episode starts.",
)
_LIFT_DEGREE: Final = (
    "空气质量已明显改善，预计36小时以上不再达到预警启动条件",
    "air quality has improved and is expected to stay below the warning criteria for more "
    "than 36 hours",
)
_LIFT_HEALTH: Final = (
    "可恢复正常户外活动；儿童、老年人和心脏病、肺病等慢性病患者如仍感不适，请及时就医。",
    "Normal outdoor activity can resume; children, the elderly and people with heart or lung "
    "disease who still feel unwell should see a doctor.",
)
_LIFT_MEASURES: Final = (
    "各单位停止执行本次应急减排措施，恢复正常生产生活秩序。",
    "Emergency emission reductions for this episode end and normal work resumes.",
)


@dataclass(frozen=True, slots=True)
class ContentItem:
    key: str
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class LanguageContent:
    """One language's text: headline, opening summary, the §3.2.3.2 items, advice."""

    language: Language
    headline: str
    summary: str
    items: tuple[ContentItem, ...]
    instruction: str

    def item(self, key: str) -> ContentItem:
        return next(item for item in self.items if item.key == key)

    @property
    def description(self) -> str:
        sep = _SEP[self.language]
        lines = [f"{item.label}{sep}{item.text}" for item in self.items]
        return "\n".join([self.summary, *lines])

    def plain_text(self) -> str:
        advice = f"{_INSTRUCTION_LABEL[self.language]}{_SEP[self.language]}{self.instruction}"
        return f"{self.headline}\n\n{self.description}\n\n{advice}\n"

    def html(self) -> str:
        e = html.escape
        rows = "".join(f"<dt>{e(i.label)}</dt><dd>{e(i.text)}</dd>" for i in self.items)
        return (
            f'<article lang="{self.language}"><h2>{e(self.headline)}</h2>'
            f"<p>{e(self.summary)}</p><dl>{rows}</dl>"
            f"<h3>{e(_INSTRUCTION_LABEL[self.language])}</h3><p>{e(self.instruction)}</p>"
            "</article>"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "language": self.language,
            "headline": self.headline,
            "summary": self.summary,
            "fields": {i.key: {"label": i.label, "text": i.text} for i in self.items},
            "description": self.description,
            "instruction": self.instruction,
        }


@dataclass(frozen=True, slots=True)
class BulletinContent:
    area: str
    warning_id: str
    episode_id: str
    action: Action
    level: str | None
    previous_level: str | None
    texts: tuple[LanguageContent, ...]  # in LANGUAGES order

    def text(self, language: Language) -> LanguageContent:
        return next(t for t in self.texts if t.language == language)

    def plain_text(self) -> str:
        return "\n".join(t.plain_text() for t in self.texts)

    def html(self) -> str:
        return "".join(t.html() for t in self.texts)

    def as_dict(self) -> dict[str, object]:
        return {
            "area": self.area,
            "warning_id": self.warning_id,
            "episode_id": self.episode_id,
            "action": self.action,
            "level": self.level,
            "previous_level": self.previous_level,
            "texts": {t.language: t.as_dict() for t in self.texts},
        }


def local_time(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        # A naive time would be read in the server's zone: refuse rather than guess.
        raise ValueError("a bulletin time must carry a timezone offset")
    return moment.astimezone(LOCAL)


def _date(day: dt.date, zh: bool) -> str:
    if zh:
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _time(moment: dt.datetime, zh: bool) -> str:
    t = local_time(moment)
    if zh:
        return f"{_date(t.date(), True)}{t.hour}时{t.minute:02d}分（北京时间）"
    return f"{t:%H:%M} on {_date(t.date(), False)} (Beijing time)"


def _span(change: WarningChanged, zh: bool) -> str:
    start, end = change.episode_start, change.episode_end
    if zh:
        tail = f"至{_date(end, True)}24时" if end else "起，结束时间另行通知"
        return f"{_date(start, True)}0时{tail}"
    tail = f"to 24:00 on {_date(end, False)}" if end else "until further notice"
    return f"from 00:00 on {_date(start, False)} {tail}"


def _name(area: Area, zh: bool) -> str:
    """The area's name as it reads inside a sentence ("the Main Metropolitan Area")."""
    if zh:
        return area.name_zh
    return f"the {area.name_en}" if area.kind == "region" else area.name_en


def _area_names(area: Area, zh: bool) -> str:
    name = area.name_zh if zh else area.name_en
    if area.kind == "district":
        return name
    districts = [m.name_zh if zh else m.name_en for m in members(area.code)]
    return f"{name}（{'、'.join(districts)}）" if zh else f"{name} ({', '.join(districts)})"


def _affected(area: Area, zh: bool, lift: bool) -> str:
    if area.kind == "region":
        count = len(members(area.code))
        text = (
            f"{area.name_zh}所辖{count}个区县"
            if zh
            else f"all {count} districts of {_name(area, zh)}"
        )
    else:
        # Pollution drifts across district lines, so the region's other districts are named too.
        region = REGIONS[area.region]
        text = (
            f"{area.name_zh}全域，{region.name_zh}内相邻区县也可能受到影响"
            if zh
            else f"all of {area.name_en}; neighbouring districts in {_name(region, zh)} "
            "may also be affected"
        )
        if lift:
            text = (
                f"{area.name_zh}及{region.name_zh}内相邻区县"
                if zh
                else f"{area.name_en} and neighbouring districts in {_name(region, zh)}"
            )
    if lift:
        return f"{text}，本次污染过程的影响正在减弱" if zh else f"{text}: the episode is easing"
    return text


def _colour(level: str, zh: bool) -> str:
    zh_name, en_name = LEVEL_NAMES[level]
    return zh_name if zh else en_name.lower()


def _response(level: str, zh: bool) -> str:
    code = RESPONSE_LEVEL[level]
    return f"{_ROMAN[code]}级" if zh else f"Level {code}"


def _pick(pair: tuple[str, str], zh: bool) -> str:
    return pair[0] if zh else pair[1]


def _check(change: WarningChanged) -> None:
    """Refuse a change whose levels do not fit its action, before any text is made."""
    new, old = change.level, change.previous_level
    fits = {
        "issue": new is not None,
        "upgrade": new is not None and rank(new) > rank(old) > 0,
        "downgrade": new is not None and 0 < rank(new) < rank(old),
        "lift": new is None and old is not None,
    }[change.action]
    if not fits:
        raise ValueError(f"inconsistent warning change: {change.action} {old} -> {new}")


def _headline(change: WarningChanged, name: str, zh: bool) -> str:
    new, old = change.level, change.previous_level
    if change.action == "lift":
        assert old is not None  # checked by _check
        if zh:
            return f"{name}解除重污染天气{_colour(old, True)}预警"
        return f"{name} lifts its {_colour(old, False)} heavy air pollution warning"
    assert new is not None  # checked by _check
    colour = _colour(new, zh)
    if change.action == "issue":
        if zh:
            return f"{name}发布重污染天气{colour}预警"
        return f"{name} issues {_article(colour)} {colour} heavy air pollution warning"
    assert old is not None  # checked by _check
    up = change.action == "upgrade"
    if zh:
        return f"{name}重污染天气预警由{_colour(old, True)}{'升级' if up else '降级'}为{colour}"
    verb = "upgrades" if up else "downgrades"
    return f"{name} {verb} its heavy air pollution warning from {_colour(old, False)} to {colour}"


def _level_text(change: WarningChanged, zh: bool) -> str:
    """The level, and for an update or a lift what changed (also the summary's core)."""
    new, old = change.level, change.previous_level
    if change.action == "lift":
        assert old is not None  # checked by _check
        if zh:
            return f"解除{_colour(old, True)}预警，终止{_response(old, True)}应急响应"
        return f"{_colour(old, False)} warning lifted; the {_response(old, False)} response ends"
    assert new is not None  # checked by _check
    if change.action == "issue" or old is None:
        if zh:
            return f"{_colour(new, True)}预警，启动{_response(new, True)}应急响应"
        return f"{LEVEL_NAMES[new][1]} warning; {_response(new, False)} emergency response"
    up = change.action == "upgrade"
    if zh:
        verb, resp_verb = ("升级", "提升至") if up else ("降级", "调整为")
        return (
            f"由{_colour(old, True)}预警{verb}为{_colour(new, True)}预警，应急响应由"
            f"{_response(old, True)}{resp_verb}{_response(new, True)}"
        )
    verb, resp_verb = ("upgraded", "raised") if up else ("downgraded", "lowered")
    return (
        f"{verb} from {_colour(old, False)} to {_colour(new, False)}; emergency response "
        f"{resp_verb} from {_response(old, False)} to {_response(new, False)}"
    )


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _summary(change: WarningChanged, name: str, zh: bool) -> str:
    """The opening sentence: who did what and when; for a lift, since when."""
    when, unit, level = _time(change.decided_at, zh), change.issuing_unit, _level_text(change, zh)
    if change.action == "lift":
        if zh:
            return f"{unit}决定自{when}起对{name}{level}。"
        return f"{unit} lifts the heavy air pollution warning for {name} as of {when}: {level}."
    if change.action == "issue":
        text = (
            f"{unit}于{when}对{name}发布重污染天气{level}。"
            if zh
            else f"At {when} {unit} issued a heavy air pollution warning for {name}: {level}."
        )
    else:
        text = (
            f"{unit}于{when}将{name}重污染天气预警{level}。"
            if zh
            else f"At {when} {unit} changed the heavy air pollution warning for {name}: {level}."
        )
    starts_high = rank(change.level) >= rank("orange") and change.action in ("issue", "upgrade")
    if AREAS[change.area].kind == "district" and starts_high:
        # Plan §3.2.2: a district starting orange or red copies its warning to every other one.
        text += _pick(_COPIED, zh)
    if change.late:
        text += _pick(_LATE, zh)
    return text


def _advice(change: WarningChanged, zh: bool) -> tuple[str, str]:
    """(instruction, recommended measures) for ``change`` in one language."""
    level = change.level
    if change.action == "lift" or level is None:
        health = _pick(_LIFT_HEALTH, zh)
        return health, _join([_pick(_LIFT_MEASURES, zh), health], zh)
    health = _join(
        [
            _pick(_SENSITIVE, zh),
            _pick(_PUBLIC[level], zh),
            _pick(_HEALTH_POLLUTANT[change.primary_pollutant], zh),
            _pick(_SCHOOLS[level], zh),
            _pick(_HOSPITALS, zh),
        ],
        zh,
    )
    measures = [
        health,
        _pick(_WORK, zh) if rank(level) >= rank("orange") else "",
        _pick(_ADVOCATED, zh),
        _pick(_TRANSIT[level], zh),
        _pick(_ENTERPRISES, zh).format(r=_response(level, zh)),
    ]
    return health, _join(measures, zh)


def _join(parts: list[str], zh: bool) -> str:
    # Chinese sentences end in "。" and need no space between them; English ones do.
    return ("" if zh else " ").join(p for p in parts if p)


def _language(change: WarningChanged, language: Language) -> LanguageContent:
    zh = language == "zh-CN"
    area = AREAS[change.area]
    name = _name(area, zh)
    lift = change.action == "lift"
    shown = change.level if not lift else change.previous_level
    degree = _pick(_DEGREE[shown] if shown and not lift else _LIFT_DEGREE, zh)
    hazard = _pick(_HAZARD[change.primary_pollutant], zh)
    if lift:
        hazard = _pick(_HAZARD_LIFT, zh)
    elif change.level == "red":
        hazard = _join([hazard, _pick(_HAZARD_RED, zh)], zh)
    approver = change.approver
    unit = change.issuing_unit
    if approver:
        unit += f"（批准：{approver}）" if zh else f" (approved by {approver})"
    instruction, measures = _advice(change, zh)
    texts = (
        unit,
        _time(change.decided_at, zh),
        _span(change, zh),
        _area_names(area, zh),
        degree,
        _pick(_POLLUTANT[change.primary_pollutant], zh),
        _level_text(change, zh),
        hazard,
        _affected(area, zh, lift),
        measures,
    )
    items = tuple(
        ContentItem(key, zh_label if zh else en_label, text)
        for (key, zh_label, en_label), text in zip(_FIELDS, texts, strict=True)
    )
    return LanguageContent(
        language=language,
        headline=_headline(change, area.name_zh if zh else area.name_en, zh),
        summary=_summary(change, name, zh),
        items=items,
        instruction=instruction,
    )


def warning_content(change: WarningChanged) -> BulletinContent:
    """Everything the public is told about ``change``, in every language of :data:`LANGUAGES`.

    Raises ``ValueError`` when the change's levels do not fit its action (an upgrade
    that does not go up, a lift that keeps a level) or a time has no offset.
    """
    _check(change)
    return BulletinContent(
        area=change.area,
        warning_id=change.warning_id,
        episode_id=change.episode_id,
        action=change.action,
        level=change.level,
        previous_level=change.previous_level,
        texts=tuple(_language(change, language) for language in LANGUAGES),
    )
