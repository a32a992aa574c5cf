"""The area registry: the plan's areas (§3.2.2), three regions and their 38 district-level
units, and any more a deployment registers at start-up.

District codes are GB/T 2260 administrative division codes; region codes are
the project's own slugs. Every bus message is keyed by one of these codes.

``AREAS``, ``DISTRICTS`` and ``REGIONS`` are the live registry: by default exactly
Chongqing's areas. A service extends them in place at start-up (``load_areas_file``,
from the ``areas_file`` setting), never at import, so every module that validates an
area code through them follows the extension without being told.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

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
#: Chongqing's own areas, whatever else is registered: the plan's catalogue and
#: scenarios are about these only.
CHONGQING: Final[Mapping[str, Area]] = MappingProxyType(dict(AREAS))
_MEMBERS: dict[str, list[Area]] = {}
_RESERVED: Final = frozenset({"all"})  # a subscription's word for every area
_MAX_CODE = 32  # the services' area columns are VARCHAR(32)


def _index() -> None:
    _MEMBERS.clear()
    for area in DISTRICTS.values():
        _MEMBERS.setdefault(area.region, []).append(area)


_index()


def members(region: str) -> list[Area]:
    """The districts of ``region``, in the plan's order (then registration order)."""
    return list(_MEMBERS.get(region, ()))


def get_area(code: str) -> Area:
    try:
        return AREAS[code]
    except KeyError:
        raise KeyError(f"unknown area code {code!r}") from None


def in_chongqing(code: str) -> bool:
    """Whether ``code`` is one of the plan's own areas (not a registered extra one)."""
    return code in CHONGQING


class AreasError(ValueError):
    """An area definition is invalid; the message names the entry and the field."""


def _check_code(where: str, code: object) -> str:
    if not isinstance(code, str) or not code.strip():
        raise AreasError(f"{where}: code must be a non-empty string, got {code!r}")
    if code != code.strip() or any(c.isspace() for c in code) or len(code) > _MAX_CODE:
        raise AreasError(f"{where}: a code has at most {_MAX_CODE} characters and no spaces")
    if code in _RESERVED:
        raise AreasError(f"{where}: the code {code!r} is reserved")
    return code


def register(areas: Iterable[Area], *, source: str = "areas") -> int:
    """Add ``areas`` (regions and districts) to the registry; return how many were new.

    All or nothing: every entry is checked first. Registering an area exactly as it is
    already known changes nothing, so each service in one process may load the same file;
    the same code with another definition is an error (Chongqing's own areas included).
    """
    new: dict[str, Area] = {}
    for area in areas:
        where = f"{source}: area {area.code!r}"
        code = _check_code(where, area.code)
        if area.kind not in ("district", "region"):
            raise AreasError(f"{where}: kind {area.kind!r} is not 'district' or 'region'")
        for name in ("name_zh", "name_en"):
            value = getattr(area, name)
            if not isinstance(value, str) or not value.strip():
                raise AreasError(f"{where}: {name} must be a non-empty string")
        if area.kind == "region" and area.region != code:
            raise AreasError(f"{where}: a region is its own region, not {area.region!r}")
        known = new.get(code) or AREAS.get(code)
        if known is not None and known != area:
            raise AreasError(f"{where}: already registered differently, as {known}")
        new[code] = area
    for code, area in new.items():
        if area.kind == "district":
            region = new.get(area.region) or AREAS.get(area.region)
            if region is None or region.kind != "region":
                raise AreasError(f"{source}: area {code!r}: unknown region {area.region!r}")
            if area.region in CHONGQING and code not in CHONGQING:
                raise AreasError(
                    f"{source}: area {code!r}: Chongqing's region {area.region!r} takes no "
                    "districts beyond the plan's"
                )
    added = [area for code, area in new.items() if code not in AREAS]
    for area in added:
        (REGIONS if area.kind == "region" else DISTRICTS)[area.code] = area
        AREAS[area.code] = area
    if added:
        _index()
    return len(added)


def _entry(where: str, raw: object, fields: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise AreasError(f"{where}: must be an object with {', '.join(fields)}")
    missing = [name for name in fields if name not in raw]
    if missing:
        raise AreasError(f"{where}: missing {', '.join(missing)}")
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise AreasError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for name in fields:
        if not isinstance(raw[name], str):
            raise AreasError(f"{where}.{name}: must be a string, got {raw[name]!r}")
    return raw


def parse_areas(document: Any, *, source: str = "areas") -> list[Area]:
    """The areas of ``{"regions": [{code, name_zh, name_en}], "districts": [{code,
    name_zh, name_en, region}]}``, regions first."""
    if not isinstance(document, dict):
        raise AreasError(f"{source}: must be an object with 'regions' and/or 'districts'")
    unknown = sorted(set(document) - {"regions", "districts"})
    if unknown:
        raise AreasError(f"{source}: unknown key(s) {', '.join(unknown)}")
    made: list[Area] = []
    for key, fields in (
        ("regions", ("code", "name_zh", "name_en")),
        ("districts", ("code", "name_zh", "name_en", "region")),
    ):
        entries = document.get(key, [])
        if not isinstance(entries, list):
            raise AreasError(f"{source}.{key}: must be a list")
        for index, raw in enumerate(entries):
            entry = _entry(f"{source}.{key}[{index}]", raw, fields)
            kind: AreaKind = "region" if key == "regions" else "district"
            region = entry["code"] if kind == "region" else entry["region"]
            made.append(Area(entry["code"], kind, entry["name_zh"], entry["name_en"], region))
    return made


def load_areas_file(path: Path | str) -> int:
    """Register the areas of a JSON file (see :func:`parse_areas`); return how many were new."""
    source = str(path)
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise AreasError(f"areas file {source}: cannot be read: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise AreasError(f"areas file {source}: not JSON: {exc}") from exc
    return register(parse_areas(document, source=source), source=source)


def reset() -> None:
    """Back to Chongqing's areas only (tests that registered more call this)."""
    for registry in (AREAS, REGIONS, DISTRICTS):
        for code in [c for c in registry if c not in CHONGQING]:
            del registry[code]
    _index()
