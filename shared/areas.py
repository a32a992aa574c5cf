"""The plan's areas (§3.2.2): three regions and their 38 district-level units.

District codes are GB/T 2260 administrative division codes; region codes are
the project's own slugs. Every bus message is keyed by one of these codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AreaKind = Literal["district", "region"]


@dataclass(frozen=True, slots=True)
class Area:
    code: str
    kind: AreaKind
    name_zh: str
    name_en: str
    region: str  # for a region: its own code


_REGIONS: tuple[tuple[str, str, str], ...] = (
    ("main-metro", "主城都市区", "Main Metropolitan Area"),
    ("three-gorges", "渝东北三峡库区城镇群", "Three Gorges Reservoir Area (northeast)"),
    ("wuling", "渝东南武陵山区城镇群", "Wuling Mountains Area (southeast)"),
)

_DISTRICTS: tuple[tuple[str, str, str, str], ...] = (
    ("500103", "渝中区", "Yuzhong", "main-metro"),
    ("500104", "大渡口区", "Dadukou", "main-metro"),
    ("500105", "江北区", "Jiangbei", "main-metro"),
    ("500106", "沙坪坝区", "Shapingba", "main-metro"),
    ("500107", "九龙坡区", "Jiulongpo", "main-metro"),
    ("500108", "南岸区", "Nan'an", "main-metro"),
    ("500109", "北碚区", "Beibei", "main-metro"),
    ("500112", "渝北区", "Yubei", "main-metro"),
    ("500113", "巴南区", "Banan", "main-metro"),
    ("500102", "涪陵区", "Fuling", "main-metro"),
    ("500115", "长寿区", "Changshou", "main-metro"),
    ("500116", "江津区", "Jiangjin", "main-metro"),
    ("500117", "合川区", "Hechuan", "main-metro"),
    ("500118", "永川区", "Yongchuan", "main-metro"),
    ("500119", "南川区", "Nanchuan", "main-metro"),
    ("500110", "綦江区", "Qijiang", "main-metro"),
    ("500111", "大足区", "Dazu", "main-metro"),
    ("500120", "璧山区", "Bishan", "main-metro"),
    ("500151", "铜梁区", "Tongliang", "main-metro"),
    ("500152", "潼南区", "Tongnan", "main-metro"),
    ("500153", "荣昌区", "Rongchang", "main-metro"),
    ("500101", "万州区", "Wanzhou", "three-gorges"),
    ("500154", "开州区", "Kaizhou", "three-gorges"),
    ("500155", "梁平区", "Liangping", "three-gorges"),
    ("500229", "城口县", "Chengkou", "three-gorges"),
    ("500230", "丰都县", "Fengdu", "three-gorges"),
    ("500231", "垫江县", "Dianjiang", "three-gorges"),
    ("500233", "忠县", "Zhong County", "three-gorges"),
    ("500235", "云阳县", "Yunyang", "three-gorges"),
    ("500236", "奉节县", "Fengjie", "three-gorges"),
    ("500237", "巫山县", "Wushan", "three-gorges"),
    ("500238", "巫溪县", "Wuxi", "three-gorges"),
    ("500114", "黔江区", "Qianjiang", "wuling"),
    ("500156", "武隆区", "Wulong", "wuling"),
    ("500240", "石柱县", "Shizhu", "wuling"),
    ("500241", "秀山县", "Xiushan", "wuling"),
    ("500242", "酉阳县", "Youyang", "wuling"),
    ("500243", "彭水县", "Pengshui", "wuling"),
)

REGIONS: dict[str, Area] = {code: Area(code, "region", zh, en, code) for code, zh, en in _REGIONS}
DISTRICTS: dict[str, Area] = {
    code: Area(code, "district", zh, en, region) for code, zh, en, region in _DISTRICTS
}
AREAS: dict[str, Area] = {**REGIONS, **DISTRICTS}


def members(region: str) -> list[Area]:
    """The districts of ``region``, in the plan's order."""
    return [area for area in DISTRICTS.values() if area.region == region]


def get_area(code: str) -> Area:
    try:
        return AREAS[code]
    except KeyError:
        raise KeyError(f"unknown area code {code!r}") from None
