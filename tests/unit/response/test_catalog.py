"""The §4.2 measure catalog: complete clause by clause, cumulative, pollutant-aware, validated."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.response.domain.catalog import (
    CATALOG_FILE,
    LEVELS,
    Catalog,
    CatalogError,
    Measure,
    load_catalog,
    parse_duration,
)
from services.response.domain.model import REPORT_DUE, REPORT_MEASURE
from shared.contracts.payloads import EpisodePollutant, ResponseLevel

ROOT = Path(__file__).resolve().parents[3]
YAML_PATH = ROOT / "services" / "response" / "domain" / CATALOG_FILE
POLLUTANTS: tuple[EpisodePollutant, ...] = ("O3", "PM2.5")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def ids(measures: Iterable[Measure]) -> set[str]:
    return {m.id for m in measures}


# --- loading and integrity -------------------------------------------------------------


def test_packaged_catalog_loads(catalog: Catalog) -> None:
    assert len(catalog.measures) == 52
    assert "district-government" in catalog.units
    assert catalog.units["ecology-environment-bureau"].name_zh == "市生态环境局"
    assert load_catalog(YAML_PATH) == catalog


def test_ids_are_unique(catalog: Catalog) -> None:
    measure_ids = [m.id for m in catalog.measures]
    assert len(measure_ids) == len(set(measure_ids))
    assert len(catalog.units) == len(set(catalog.units))


def test_every_unit_reference_resolves(catalog: Catalog) -> None:
    for m in catalog.measures:
        for unit in m.units:
            assert unit in catalog.units, (m.id, unit)


def test_every_annex1_member_unit_is_defined(catalog: Catalog) -> None:
    names = {u.name_zh for u in catalog.units.values()}
    annex1 = {
        "市委宣传部",
        "市委网信办",
        "市教委",
        "市经济信息委",
        "市公安局",
        "市财政局",
        "市生态环境局",
        "市住房城乡建设委",
        "市城市管理局",
        "市交通局",
        "市农业农村委",
        "市文化旅游委",
        "市卫生健康委",
        "市应急局",
        "市国资委",
        "市市场监管局",
        "市气象局",
        "重庆交通开投集团",
        "国网市电力公司",
        "区县政府",
    }
    assert annex1 <= names


def test_supersessions_point_to_a_lower_level(catalog: Catalog) -> None:
    for m in catalog.measures:
        if m.supersedes is not None:
            old = catalog.measure(m.supersedes)
            assert LEVELS.index(old.level) < LEVELS.index(m.level), m.id
            assert old.source == m.source and old.pollutant == m.pollutant, m.id


def test_report_entry_matches_the_response_model(catalog: Catalog) -> None:
    report = catalog.measure(REPORT_MEASURE)
    assert report.kind == "report"
    assert report.due == REPORT_DUE
    assert report.lead == "district-government"
    assert report.clause == "5.1"
    assert report.level == "III"  # owed from the lowest level up
    assert all(report in catalog.for_level(level, p) for level in LEVELS for p in POLLUTANTS)


def test_due_offsets_follow_the_documented_decision(catalog: Catalog) -> None:
    """D4: information and working groups within 2 h, every other measure within 24 h."""
    for m in catalog.measures:
        if m.kind == "report":
            continue
        informs = m.lead == "hq-office" or m.kind == "working-group"
        assert m.due == dt.timedelta(hours=2 if informs else 24), m.id


def test_pyyaml_is_a_runtime_dependency_and_yaml_is_package_data() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    deps = project["project"]["dependencies"]
    assert any(d.lower().startswith("pyyaml") for d in deps)
    assert "*.yaml" in project["tool"]["setuptools"]["package-data"]["*"]


# --- selection -------------------------------------------------------------------------


@pytest.mark.parametrize("pollutant", POLLUTANTS)
def test_levels_are_cumulative(catalog: Catalog, pollutant: EpisodePollutant) -> None:
    three, two, one = (ids(catalog.for_level(level, pollutant)) for level in LEVELS)
    assert three < two < one
    assert two == three | ids(catalog.added_by("II", pollutant))
    assert one == two | ids(catalog.added_by("I", pollutant))


@pytest.mark.parametrize("level", LEVELS)
def test_each_entry_is_listed_once_at_the_level_that_adds_it(
    catalog: Catalog, level: ResponseLevel
) -> None:
    assert all(m.level == level for m in catalog.added_by(level, "PM2.5"))
    cumulative = catalog.for_level(level, "PM2.5")
    assert len(cumulative) == len(ids(cumulative))


def test_pm25_adds_dust_and_other_sources(catalog: Catalog) -> None:
    """4.2.2.3（二）: PM2.5 episodes add dust and other sources to the O3 measures."""
    o3 = ids(catalog.for_level("III", "O3"))
    pm = ids(catalog.for_level("III", "PM2.5"))
    assert "III-mandatory-dust-yellow-list" in pm
    assert "III-mandatory-dust-yellow-list" not in o3
    assert "III-mandatory-industrial-yellow-list" in o3 & pm
    assert o3 < pm
    added = {catalog.measure(i).source for i in pm - o3}
    assert added == {"dust", "other"}


@pytest.mark.parametrize("level", LEVELS)
def test_o3_episodes_get_no_dust_or_other_source_mandates(
    catalog: Catalog, level: ResponseLevel
) -> None:
    for m in catalog.for_level(level, "O3"):
        assert not (m.category == "mandatory" and m.source in ("dust", "other")), m.id
        assert m.pollutant in ("O3", "both")


def test_pollutant_specific_measures_are_not_crossed(catalog: Catalog) -> None:
    for pollutant, other in zip(POLLUTANTS, reversed(POLLUTANTS), strict=True):
        for m in catalog.for_level("I", pollutant):
            assert m.pollutant != other


def test_bad_level_or_pollutant_is_refused(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="level"):
        catalog.for_level("IV", "O3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pollutant"):
        catalog.for_level("III", "PM10")  # type: ignore[arg-type]


def test_working_groups_only_at_levels_ii_and_i(catalog: Catalog) -> None:
    assert catalog.working_groups("III") == []
    groups = {m.title_zh: m.lead for m in catalog.working_groups("II")}
    assert groups == {
        "综合协调组": "ecology-environment-bureau",
        "工业应急组": "economy-it-commission",
        "城市扬尘应急组": "housing-construction-commission",
        "机动车排气应急组": "public-security-bureau",
        "宣传引导组": "propaganda-department",
    }
    assert catalog.working_groups("I") == catalog.working_groups("II")
    for pollutant in POLLUTANTS:
        assert not any(m.kind == "working-group" for m in catalog.for_level("III", pollutant))


# --- clause by clause ------------------------------------------------------------------

CLAUSES: dict[str, set[str]] = {
    "4.2": {
        "II-working-group-coordination",
        "II-working-group-industry",
        "II-working-group-urban-dust",
        "II-working-group-vehicle-exhaust",
        "II-working-group-publicity",
    },
    "4.2.1.2": {"II-mandatory-industrial-unlisted-uniform"},
    "4.2.2.1": {
        "III-health-sensitive-groups-advice",
        "III-health-schools-reduce-outdoor",
        "III-health-hospitals-extra-clinics",
    },
    "4.2.2.2": {
        "III-advocated-green-consumption",
        "III-advocated-green-travel",
        "III-advocated-no-idling",
        "III-advocated-energy-saving",
    },
    "4.2.2.3(1)": {
        "III-mandatory-industrial-yellow-list",
        "III-mandatory-industrial-voc-sectors",
        "III-mandatory-mobile-yellow-list",
        "III-mandatory-mobile-roadside-checks",
        "III-mandatory-mobile-high-emission-ban-restricted-zone",
        "III-mandatory-mobile-non-road-machinery-halt",
        "III-mandatory-mobile-fuel-quality-checks",
        "III-mandatory-living-source-inspections",
        "III-mandatory-living-no-daytime-voc-works",
    },
    "4.2.2.3(2)": {
        "III-mandatory-dust-yellow-list",
        "III-mandatory-dust-earthwork-demolition-ban",
        "III-mandatory-dust-batching-plants-wharves-halt",
        "III-mandatory-dust-unsealed-trucks-inner-ring",
        "III-mandatory-dust-inspections",
        "III-mandatory-dust-watering-3x",
        "III-mandatory-other-open-burning-ban",
        "III-mandatory-other-fireworks-restriction",
        "III-mandatory-other-cloud-seeding",
    },
    "4.2.3.1": {"II-advocated-flexible-work"},
    "4.2.3.2": {
        "II-mandatory-industrial-orange-list",
        "II-mandatory-dust-orange-list",
        "II-mandatory-dust-landscaping-road-digging-ban",
        "II-mandatory-dust-spoil-grounds-closed",
        "II-mandatory-dust-construction-stop-enforcement",
        "II-mandatory-dust-stockpile-cover-spray",
        "II-mandatory-dust-watering-4x",
        "II-mandatory-mobile-orange-list",
        "II-mandatory-mobile-high-emission-ban-ring-expressway",
        "II-mandatory-mobile-odd-even-plates",
        "II-mandatory-mobile-fewer-official-cars",
        "II-mandatory-mobile-transit-capacity",
        "II-mandatory-mobile-free-bus-transfer",
    },
    "4.2.4.1": {"I-health-schools-cancel-outdoor-or-close"},
    "4.2.4.2": {
        "I-mandatory-industrial-red-list",
        "I-mandatory-industrial-obsolete-capacity-halt",
        "I-mandatory-dust-red-list",
        "I-mandatory-mobile-red-list",
        "I-mandatory-mobile-free-bus-metro-discount",
    },
    "5.1": {"report-to-city-office"},
}


@pytest.mark.parametrize(("clause", "expected"), sorted(CLAUSES.items()))
def test_clause_has_exactly_its_measures(catalog: Catalog, clause: str, expected: set[str]) -> None:
    assert {m.id for m in catalog.measures if m.clause == clause} == expected


def test_every_catalogued_clause_is_in_the_check_table(catalog: Catalog) -> None:
    assert {m.clause for m in catalog.measures} == set(CLAUSES)


@pytest.mark.parametrize(
    ("clause", "level", "pollutant"),
    [
        ("4.2.2.3(1)", "III", "both"),
        ("4.2.2.3(2)", "III", "PM2.5"),
        ("4.2.3.1", "II", "both"),
        ("4.2.4.1", "I", "both"),
    ],
)
def test_clause_level_and_pollutant(
    catalog: Catalog, clause: str, level: str, pollutant: str
) -> None:
    for m in catalog.measures:
        if m.clause == clause:
            assert (m.level, m.pollutant) == (level, pollutant), m.id


def test_counts_per_level_and_category(catalog: Catalog) -> None:
    counts: dict[tuple[str, str], int] = {}
    for m in catalog.measures:
        counts[m.level, m.category] = counts.get((m.level, m.category), 0) + 1
    assert counts == {
        ("III", "health"): 3,
        ("III", "advocated"): 4,
        ("III", "mandatory"): 18,
        ("III", "organisational"): 1,
        ("II", "advocated"): 1,
        ("II", "mandatory"): 14,
        ("II", "organisational"): 5,
        ("I", "health"): 1,
        ("I", "mandatory"): 5,
    }


# --- district additions ----------------------------------------------------------------


def stricter(measure_id: str = "500103-mandatory-dust-night-sweeping", **changes: Any) -> Measure:
    fields: dict[str, Any] = {
        "id": measure_id,
        "kind": "measure",
        "level": "III",
        "pollutant": "PM2.5",
        "category": "mandatory",
        "source": "dust",
        "title_zh": "夜间增加道路机扫",
        "title_en": "Extra night-time road sweeping",
        "lead": "district-government",
        "supporting": ("urban-management-bureau",),
        "due": dt.timedelta(hours=12),
        "clause": "4.2",
    }
    fields.update(changes)
    return Measure(**fields)


def test_district_additions_apply_to_that_district_only(catalog: Catalog) -> None:
    extended = catalog.with_additions("500103", [stricter()])
    added = "500103-mandatory-dust-night-sweeping"
    assert extended.measure(added).district == "500103"
    assert added in ids(extended.for_level("III", "PM2.5", district="500103"))
    assert added in ids(extended.for_level("I", "PM2.5", district="500103"))
    assert added in ids(extended.added_by("III", "PM2.5", district="500103"))
    assert added not in ids(extended.for_level("III", "O3", district="500103"))
    assert added not in ids(extended.for_level("III", "PM2.5", district="500104"))
    assert added not in ids(extended.for_level("III", "PM2.5"))
    assert ids(catalog.for_level("II", "PM2.5")) < ids(
        extended.for_level("II", "PM2.5", district="500103")
    )
    assert added not in ids(catalog.measures)  # the original is unchanged


def test_district_addition_may_strengthen_a_city_measure(catalog: Catalog) -> None:
    extended = catalog.with_additions(
        "500103",
        [stricter("500103-watering-5x", supersedes="III-mandatory-dust-watering-3x")],
    )
    assert extended.measure("500103-watering-5x").supersedes == "III-mandatory-dust-watering-3x"


@pytest.mark.parametrize(
    ("district", "addition", "message"),
    [
        ("999999", stricter(), "unknown district"),
        ("main-metro", stricter(), "unknown district"),
        ("500103", stricter("III-mandatory-dust-yellow-list"), "'id': duplicate"),
        ("500103", stricter(lead="district-police"), "'lead': unknown unit 'district-police'"),
        ("500103", stricter(supporting=("nobody",)), "'supporting': unknown unit 'nobody'"),
        ("500103", stricter(level="IV"), "'level' must be one of"),
        ("500103", stricter(pollutant="NO2"), "'pollutant' must be one of"),
        ("500103", stricter(kind="working-group", category="organisational"), "'kind'"),
        ("500103", stricter(district="500104"), "'district'"),
        ("500103", stricter(supersedes="II-mandatory-dust-watering-4x"), "'supersedes'"),
    ],
)
def test_invalid_district_additions_are_rejected(
    catalog: Catalog, district: str, addition: Measure, message: str
) -> None:
    with pytest.raises(CatalogError, match=message):
        catalog.with_additions(district, [addition])


# --- validation of the data file -------------------------------------------------------


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(YAML_PATH.read_text(encoding="utf-8"))
    return data


def entry(data: dict[str, Any], measure_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in data["measures"] if m["id"] == measure_id)
    return found


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_round_trip_of_the_raw_data_loads(raw: dict[str, Any], tmp_path: Path) -> None:
    assert load_catalog(write(tmp_path, raw)) == load_catalog()


TARGET = "III-mandatory-dust-yellow-list"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("lead", "no-such-unit", "field 'lead': unknown unit 'no-such-unit'"),
        ("supporting", ["sasac", "ghost"], "field 'supporting': unknown unit 'ghost'"),
        ("level", "IV", "field 'level' must be one of ['III', 'II', 'I'], not 'IV'"),
        ("pollutant", "PM10", "field 'pollutant' must be one of"),
        ("category", "voluntary", "field 'category' must be one of"),
        ("source", "ships", "field 'source' must be one of"),
        ("kind", "task", "field 'kind' must be one of"),
        ("due", "24 hours", "field 'due': '24 hours' is not an ISO 8601 duration"),
        ("due", "P1M", "field 'due': 'P1M' is not an ISO 8601 duration"),
        ("due", "PT", "field 'due': 'PT' is not an ISO 8601 duration"),
        ("clause", 4.2, "field 'clause' must be a non-empty string, not 4.2"),
        ("title_en", "", "field 'title_en' must be a non-empty string"),
        ("conditional", "yes please", "field 'conditional' must be true or false"),
        ("supersedes", "nothing-here", "field 'supersedes': unknown measure 'nothing-here'"),
        ("supersedes", "II-mandatory-dust-orange-list", "is not at a lower level than III"),
        ("colour", "red", "field 'colour' is unknown"),
    ],
)
def test_broken_field_is_reported_with_entry_and_field(
    raw: dict[str, Any], tmp_path: Path, field: str, value: object, message: str
) -> None:
    data = copy.deepcopy(raw)
    entry(data, TARGET)[field] = value
    with pytest.raises(CatalogError) as caught:
        load_catalog(write(tmp_path, data))
    assert any(e.startswith(f"measure '{TARGET}': ") and message in e for e in caught.value.errors)
    assert str(tmp_path) in str(caught.value)


def test_missing_field_is_reported(raw: dict[str, Any], tmp_path: Path) -> None:
    data = copy.deepcopy(raw)
    del entry(data, TARGET)["due"]
    with pytest.raises(CatalogError, match=f"measure '{TARGET}': field 'due' is missing"):
        load_catalog(write(tmp_path, data))


def test_duplicate_ids_are_reported(raw: dict[str, Any], tmp_path: Path) -> None:
    data = copy.deepcopy(raw)
    data["measures"].append(copy.deepcopy(entry(data, TARGET)))
    data["units"].append(copy.deepcopy(data["units"][0]))
    with pytest.raises(CatalogError) as caught:
        load_catalog(write(tmp_path, data))
    assert f"measure '{TARGET}': field 'id': duplicate measure id" in caught.value.errors
    assert "unit 'hq-office': field 'id': duplicate unit id" in caught.value.errors


def test_working_group_at_level_iii_is_reported(raw: dict[str, Any], tmp_path: Path) -> None:
    data = copy.deepcopy(raw)
    entry(data, "II-working-group-publicity")["level"] = "III"
    with pytest.raises(CatalogError, match="working groups are formed at II and I only"):
        load_catalog(write(tmp_path, data))


def test_every_problem_is_reported_at_once(raw: dict[str, Any], tmp_path: Path) -> None:
    data = copy.deepcopy(raw)
    entry(data, TARGET)["level"] = "IV"
    entry(data, "II-mandatory-dust-orange-list")["due"] = "soon"
    with pytest.raises(CatalogError) as caught:
        load_catalog(write(tmp_path, data))
    assert len(caught.value.errors) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("units: [\n", "not valid YAML"),
        ("- just a list\n", "top level must be a mapping"),
        ("units: []\nmeasures: []\n", "'units' must be a non-empty list"),
        ("units: [x]\nmeasures: [y]\nextra: 1\n", "unknown top-level keys"),
    ],
)
def test_malformed_files_are_reported(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        load_catalog(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT2H", dt.timedelta(hours=2)),
        ("PT24H", dt.timedelta(hours=24)),
        ("P1D", dt.timedelta(days=1)),
        ("P1DT12H30M", dt.timedelta(days=1, hours=12, minutes=30)),
        ("P2W", dt.timedelta(weeks=2)),
        ("PT90S", dt.timedelta(seconds=90)),
    ],
)
def test_parse_duration(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "1D", "PT2h", "P1Y", "P1M", "PT-1H"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_duration(text)
