"""The response measure catalog of plan §4.2 (rules §5): what each level asks, of whom, by when.

The data lives in ``catalog.yaml`` next to this module (shipped as package data); this
module loads and validates it and answers the questions the response service asks:
which measures a Level III/II/I response for an O3 or PM2.5 episode carries, which of
them a level adds, which HQ working groups it forms. Levels are cumulative (II adds to
III, I adds to II), so each entry names only the level that first adds it. Districts may
add stricter measures of their own (§4.2 preamble): :meth:`Catalog.with_additions`.

The decisions taken where the plan is silent (pollutant scope of each source, lead
units, working-group leads, due offsets) are documented at the top of the YAML file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal, get_args

import yaml

from shared.areas import AREAS
from shared.contracts.payloads import EpisodePollutant, ResponseLevel

Kind = Literal["measure", "working-group", "report"]
MeasurePollutant = Literal["O3", "PM2.5", "both"]
Category = Literal["health", "advocated", "mandatory", "organisational"]
Source = Literal["industrial", "mobile", "dust", "living", "other"]

CATALOG_FILE: Final = "catalog.yaml"
LEVELS: Final[tuple[ResponseLevel, ...]] = ("III", "II", "I")  # lowest first
_PACKAGE: Final = __name__.rpartition(".")[0]

_KINDS: Final[tuple[str, ...]] = get_args(Kind)
_POLLUTANTS: Final[tuple[str, ...]] = get_args(MeasurePollutant)
_EPISODE_POLLUTANTS: Final[tuple[str, ...]] = get_args(EpisodePollutant)
_CATEGORIES: Final[tuple[str, ...]] = get_args(Category)
_SOURCES: Final[tuple[str, ...]] = get_args(Source)
_SLUG: Final = re.compile(r"^[A-Za-z0-9]+(?:[-.:][A-Za-z0-9]+)*$")
_DURATION: Final = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


class CatalogError(ValueError):
    """The catalog data is invalid; ``errors`` lists every problem found."""

    def __init__(self, source: str, errors: Iterable[str]) -> None:
        self.source = source
        self.errors = tuple(errors)
        super().__init__(f"{source}: invalid measure catalog:\n  " + "\n  ".join(self.errors))


def parse_duration(text: str) -> dt.timedelta:
    """An ISO 8601 duration without years or months (``PT2H``, ``P1D``, ``P1DT12H``)."""
    match = _DURATION.match(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(
            f"{text!r} is not an ISO 8601 duration of weeks, days, hours, minutes, seconds"
        )
    parts = {name: int(value) for name, value in match.groupdict().items() if value}
    return dt.timedelta(**parts)


@dataclass(frozen=True, slots=True)
class Unit:
    """A member unit of the city HQ (plan §2.1, Annex 1), or the district government."""

    id: str
    name_zh: str
    name_en: str
    aliases_zh: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Measure:
    """One catalog entry: a measure, an HQ working group or the §5.1 report."""

    id: str
    kind: Kind
    level: ResponseLevel
    pollutant: MeasurePollutant
    category: Category
    source: Source
    title_zh: str
    title_en: str
    lead: str
    supporting: tuple[str, ...]
    due: dt.timedelta
    clause: str
    conditional: bool = False
    supersedes: str | None = None
    district: str | None = None  # set for a district's own addition, None for the city's

    @property
    def units(self) -> tuple[str, ...]:
        """Lead unit first, then the supporting units."""
        return (self.lead, *self.supporting)

    def applies_to(self, pollutant: EpisodePollutant) -> bool:
        return self.pollutant in ("both", pollutant)


@dataclass(frozen=True)
class Catalog:
    units: Mapping[str, Unit]
    measures: tuple[Measure, ...]
    _by_id: Mapping[str, Measure] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "units", MappingProxyType(dict(self.units)))
        object.__setattr__(self, "_by_id", MappingProxyType({m.id: m for m in self.measures}))

    def measure(self, measure_id: str) -> Measure:
        return self._by_id[measure_id]

    def for_level(
        self, level: ResponseLevel, pollutant: EpisodePollutant, district: str | None = None
    ) -> list[Measure]:
        """Everything a ``level`` response to a ``pollutant`` episode carries, cumulatively:
        the entries of ``level`` and of every lower level, lowest level first, plus the
        additions of ``district`` when one is given."""
        upto = LEVELS[: _level_index(level) + 1]
        return [m for lvl in upto for m in self._entries(lvl, pollutant, district)]

    def added_by(
        self, level: ResponseLevel, pollutant: EpisodePollutant, district: str | None = None
    ) -> list[Measure]:
        """Only what ``level`` adds to the level below it."""
        _level_index(level)
        return self._entries(level, pollutant, district)

    def working_groups(self, level: ResponseLevel) -> list[Measure]:
        """The HQ working groups in place at ``level`` (formed at Level II, kept at I)."""
        upto = LEVELS[: _level_index(level) + 1]
        return [
            m
            for lvl in upto
            for m in self.measures
            if m.level == lvl and m.kind == "working-group" and m.district is None
        ]

    def with_additions(self, district: str, measures: Iterable[Measure]) -> Catalog:
        """This catalog plus ``district``'s own stricter measures (plan §4.2 preamble).

        An addition's ``district`` is set to ``district`` (it must not name another one);
        it must be of kind "measure", reference known units and not reuse an id.
        """
        area = AREAS.get(district)
        if area is None or area.kind != "district":
            raise CatalogError(f"additions for {district!r}", [f"unknown district {district!r}"])
        added: list[Measure] = []
        errors: list[str] = []
        for measure in measures:
            if measure.district not in (None, district):
                errors.append(
                    f"measure {measure.id!r}: field 'district': {measure.district!r} "
                    f"is not {district!r}"
                )
            if measure.kind != "measure":
                errors.append(
                    f"measure {measure.id!r}: field 'kind': a district adds measures only, "
                    f"not {measure.kind!r}"
                )
            added.append(replace(measure, district=district))
        catalog = Catalog(units=self.units, measures=(*self.measures, *added))
        errors.extend(_check_references(catalog.units, catalog.measures))
        if errors:
            raise CatalogError(f"additions for {district}", errors)
        return catalog

    def _entries(
        self, level: ResponseLevel, pollutant: EpisodePollutant, district: str | None
    ) -> list[Measure]:
        if pollutant not in _EPISODE_POLLUTANTS:
            raise ValueError(
                f"pollutant must be one of {list(_EPISODE_POLLUTANTS)}, not {pollutant!r}"
            )
        return [
            m
            for m in self.measures
            if m.level == level
            and m.applies_to(pollutant)
            and (m.district is None or m.district == district)
        ]


def _level_index(level: str) -> int:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {list(LEVELS)}, not {level!r}")
    return LEVELS.index(level)


def load_catalog(path: str | os.PathLike[str] | None = None) -> Catalog:
    """The catalog at ``path``, or the packaged ``catalog.yaml`` when none is given.

    Raises :class:`CatalogError` naming every invalid entry and field.
    """
    if path is None:
        return _packaged()
    return parse_catalog(Path(path).read_text(encoding="utf-8"), source=os.fspath(path))


@cache
def _packaged() -> Catalog:
    text = resources.files(_PACKAGE).joinpath(CATALOG_FILE).read_text(encoding="utf-8")
    return parse_catalog(text, source=f"{_PACKAGE}/{CATALOG_FILE}")


def parse_catalog(text: str, source: str = "<catalog>") -> Catalog:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogError(source, [f"not valid YAML: {exc}"]) from exc
    if not isinstance(data, dict):
        raise CatalogError(source, ["the top level must be a mapping with units and measures"])
    errors: list[str] = []
    unknown = set(data) - {"version", "units", "measures"}
    if unknown:
        errors.append(f"unknown top-level keys: {sorted(unknown)}")
    units = _parse_units(data.get("units"), errors)
    measures = _parse_measures(data.get("measures"), errors)
    if errors:
        raise CatalogError(source, errors)
    errors.extend(_check_references(units, measures))
    if errors:
        raise CatalogError(source, errors)
    return Catalog(units=units, measures=tuple(measures))


_UNIT_FIELDS: Final = {"id", "name_zh", "name_en"}
_UNIT_OPTIONAL: Final = {"aliases_zh"}
_MEASURE_FIELDS: Final = {
    "id",
    "kind",
    "level",
    "pollutant",
    "category",
    "source",
    "title_zh",
    "title_en",
    "lead",
    "supporting",
    "due",
    "clause",
}
_MEASURE_OPTIONAL: Final = {"conditional", "supersedes"}


def _entries_of(raw: object, what: str, errors: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """(label, mapping) for each well-formed entry of the ``what`` list."""
    if not isinstance(raw, list) or not raw:
        errors.append(f"{what!r} must be a non-empty list")
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            errors.append(f"{what} #{index + 1}: must be a mapping")
            continue
        ident = entry.get("id")
        label = f"{what[:-1]} {ident!r}" if isinstance(ident, str) else f"{what} #{index + 1}"
        out.append((label, entry))
    return out


def _check_keys(
    label: str, entry: dict[str, Any], required: set[str], optional: set[str], errors: list[str]
) -> bool:
    ok = True
    for name in sorted(required - set(entry)):
        errors.append(f"{label}: field {name!r} is missing")
        ok = False
    for name in sorted(set(entry) - required - optional):
        errors.append(f"{label}: field {name!r} is unknown")
    return ok


def _text(label: str, entry: dict[str, Any], name: str, errors: list[str]) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        errors.append(f"{label}: field {name!r} must be a non-empty string, not {value!r}")
        return ""
    return value


def _choice(
    label: str, entry: dict[str, Any], name: str, options: Sequence[str], errors: list[str]
) -> Any:
    value = entry.get(name)
    if value not in options:
        errors.append(f"{label}: field {name!r} must be one of {list(options)}, not {value!r}")
    return value


def _texts(label: str, entry: dict[str, Any], name: str, errors: list[str]) -> tuple[str, ...]:
    value = entry.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        errors.append(f"{label}: field {name!r} must be a list of strings, not {value!r}")
        return ()
    return tuple(value)


def _parse_units(raw: object, errors: list[str]) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for label, entry in _entries_of(raw, "units", errors):
        if not _check_keys(label, entry, _UNIT_FIELDS, _UNIT_OPTIONAL, errors):
            continue
        unit = Unit(
            id=_slug(label, entry, errors),
            name_zh=_text(label, entry, "name_zh", errors),
            name_en=_text(label, entry, "name_en", errors),
            aliases_zh=_texts(label, entry, "aliases_zh", errors),
        )
        if unit.id in units:
            errors.append(f"{label}: field 'id': duplicate unit id")
        units[unit.id] = unit
    return units


def _slug(label: str, entry: dict[str, Any], errors: list[str]) -> str:
    value = _text(label, entry, "id", errors)
    if value and not _SLUG.match(value):
        errors.append(f"{label}: field 'id': {value!r} is not a slug")
    return value


def _parse_measures(raw: object, errors: list[str]) -> list[Measure]:
    measures: list[Measure] = []
    seen: set[str] = set()
    for label, entry in _entries_of(raw, "measures", errors):
        if not _check_keys(label, entry, _MEASURE_FIELDS, _MEASURE_OPTIONAL, errors):
            continue
        before = len(errors)
        ident = _slug(label, entry, errors)
        if ident in seen:
            errors.append(f"{label}: field 'id': duplicate measure id")
        seen.add(ident)
        due_text = _text(label, entry, "due", errors)
        due = dt.timedelta(0)
        if due_text:
            try:
                due = parse_duration(due_text)
            except ValueError as exc:
                errors.append(f"{label}: field 'due': {exc}")
        conditional = entry.get("conditional", False)
        if not isinstance(conditional, bool):
            errors.append(f"{label}: field 'conditional' must be true or false")
        supersedes = entry.get("supersedes")
        if supersedes is not None and not isinstance(supersedes, str):
            errors.append(f"{label}: field 'supersedes' must be a measure id")
        measure = Measure(
            id=ident,
            kind=_choice(label, entry, "kind", _KINDS, errors),
            level=_choice(label, entry, "level", LEVELS, errors),
            pollutant=_choice(label, entry, "pollutant", _POLLUTANTS, errors),
            category=_choice(label, entry, "category", _CATEGORIES, errors),
            source=_choice(label, entry, "source", _SOURCES, errors),
            title_zh=_text(label, entry, "title_zh", errors),
            title_en=_text(label, entry, "title_en", errors),
            lead=_text(label, entry, "lead", errors),
            supporting=_texts(label, entry, "supporting", errors),
            due=due,
            clause=_text(label, entry, "clause", errors),
            conditional=conditional is True,
            supersedes=supersedes if isinstance(supersedes, str) else None,
        )
        if len(errors) == before:
            measures.append(measure)
    return measures


def _check_references(units: Mapping[str, Unit], measures: Iterable[Measure]) -> list[str]:
    """Cross-entry rules: unique ids, known units, sound working groups and supersessions."""
    errors: list[str] = []
    by_id: dict[str, Measure] = {}
    for m in measures:
        label = f"measure {m.id!r}"
        if m.id in by_id:
            errors.append(f"{label}: field 'id': duplicate measure id")
        by_id[m.id] = m
        if m.lead not in units:
            errors.append(f"{label}: field 'lead': unknown unit {m.lead!r}")
        for unit in m.supporting:
            if unit not in units:
                errors.append(f"{label}: field 'supporting': unknown unit {unit!r}")
        if m.lead in m.supporting or len(set(m.supporting)) != len(m.supporting):
            errors.append(f"{label}: field 'supporting': a unit is listed twice")
        for name, options in (
            ("kind", _KINDS),
            ("level", LEVELS),
            ("pollutant", _POLLUTANTS),
            ("category", _CATEGORIES),
            ("source", _SOURCES),
        ):
            value = getattr(m, name)
            if value not in options:
                errors.append(
                    f"{label}: field {name!r} must be one of {list(options)}, not {value!r}"
                )
        if m.kind == "working-group" and m.level == "III":
            errors.append(f"{label}: field 'level': working groups are formed at II and I only")
        if m.kind == "measure" and m.category == "organisational":
            errors.append(f"{label}: field 'category': a measure is not organisational")
        if m.kind != "measure" and m.category != "organisational":
            errors.append(f"{label}: field 'category': a {m.kind} is organisational")
    for m in by_id.values():
        if m.supersedes is None:
            continue
        label = f"measure {m.id!r}"
        old = by_id.get(m.supersedes)
        if old is None:
            errors.append(f"{label}: field 'supersedes': unknown measure {m.supersedes!r}")
        elif old.district not in (None, m.district):
            errors.append(f"{label}: field 'supersedes': {old.id!r} is another district's")
        elif m.level in LEVELS and old.level in LEVELS and not _may_supersede(old, m):
            errors.append(
                f"{label}: field 'supersedes': {old.id!r} is not at a lower level than {m.level}"
            )
    return errors


def _may_supersede(old: Measure, new: Measure) -> bool:
    """A city measure strengthens one of a lower level; a district's addition may also
    strengthen one of its own level."""
    old_rank, new_rank = LEVELS.index(old.level), LEVELS.index(new.level)
    return old_rank < new_rank or (new.district is not None and old_rank == new_rank)
