"""The area registry: exactly Chongqing by default, extended at start-up from a file."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.forecast.domain.model import check_forecast
from shared import areas
from shared.areas import AREAS, CHONGQING, DISTRICTS, REGIONS, AreasError, load_areas_file, members
from shared.contracts.payloads import DayValues, ForecastIssued
from shared.errors import Rejected
from shared.settings import load_settings

EXTRA = {
    "regions": [{"code": "cn-11", "name_zh": "北京市", "name_en": "Beijing"}],
    "districts": [
        {"code": "110101", "name_zh": "东城区", "name_en": "Dongcheng", "region": "cn-11"},
        {"code": "110102", "name_zh": "西城区", "name_en": "Xicheng", "region": "cn-11"},
    ],
}


@pytest.fixture(autouse=True)
def chongqing_again() -> Iterator[None]:
    yield
    areas.reset()


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "areas.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_default_is_exactly_chongqing() -> None:
    assert dict(AREAS) == dict(CHONGQING)
    assert len(DISTRICTS) == 38 and set(REGIONS) == {"main-metro", "three-gorges", "wuling"}


def test_a_file_extends_every_view_of_the_registry(tmp_path: Path) -> None:
    assert load_areas_file(write(tmp_path, EXTRA)) == 3
    assert AREAS["110101"].region == "cn-11" and REGIONS["cn-11"].name_en == "Beijing"
    assert [a.code for a in members("cn-11")] == ["110101", "110102"]
    assert len(members("main-metro")) == 21  # Chongqing's regions are untouched
    assert not areas.in_chongqing("110101") and areas.in_chongqing("500103")
    # what validates an area code follows the registry
    day = DayValues(date=dt.date(2024, 1, 2), pm25=80.0)
    issued = dt.datetime(2024, 1, 1, 8, tzinfo=dt.UTC)
    ForecastIssued(area="110102", forecast_id="f", source="s", issued_at=issued, days=[day])
    check_forecast(area="110102", kind="forecast", issued_at=issued, days=(day,), now=issued)


def test_loading_the_same_file_again_adds_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, EXTRA)
    assert load_areas_file(path) == 3
    assert load_areas_file(path) == 0
    assert len(AREAS) == len(CHONGQING) + 3


def test_reset_forgets_the_extra_areas(tmp_path: Path) -> None:
    load_areas_file(write(tmp_path, EXTRA))
    areas.reset()
    assert dict(AREAS) == dict(CHONGQING) and members("cn-11") == []
    with pytest.raises(Rejected, match="unknown area code '110101'"):
        check_forecast(
            area="110101",
            kind="forecast",
            issued_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            days=(DayValues(date=dt.date(2024, 1, 2), pm25=1.0),),
            now=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "must be an object"),
        ({"areas": []}, "unknown key"),
        ({"districts": {}}, r"districts: must be a list"),
        ({"regions": [{"code": "x", "name_zh": "甲"}]}, r"regions\[0\]: missing name_en"),
        (
            {"districts": [{"code": "1", "name_zh": "甲", "name_en": "A", "region": "nowhere"}]},
            "area '1': unknown region 'nowhere'",
        ),
        (
            {"districts": [{"code": "1", "name_zh": "甲", "name_en": "A", "region": "wuling"}]},
            "Chongqing's region 'wuling' takes no districts",
        ),
        (
            {"regions": [{"code": "500103", "name_zh": "渝中", "name_en": "Yuzhong"}]},
            "area '500103': already registered differently",
        ),
        ({"regions": [{"code": "all", "name_zh": "全", "name_en": "All"}]}, "reserved"),
        ({"regions": [{"code": "a b", "name_zh": "甲", "name_en": "A"}]}, "no spaces"),
        ({"regions": [{"code": "r" * 33, "name_zh": "甲", "name_en": "A"}]}, "at most 32"),
        ({"regions": [{"code": "r", "name_zh": " ", "name_en": "A"}]}, "name_zh must be"),
        ({"regions": [{"code": 7, "name_zh": "甲", "name_en": "A"}]}, r"code: must be a string"),
    ],
)
def test_a_bad_file_is_refused_naming_what_is_wrong(
    tmp_path: Path, document: object, message: str
) -> None:
    with pytest.raises(AreasError, match=message):
        load_areas_file(write(tmp_path, document))
    assert dict(AREAS) == dict(CHONGQING)  # all or nothing


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AreasError, match="cannot be read"):
        load_areas_file(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(AreasError, match=r"broken\.json: not JSON"):
        load_areas_file(broken)


def test_the_file_comes_from_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert load_settings().areas_file is None
    monkeypatch.setenv("AIRWARN_AREAS_FILE", str(tmp_path / "areas.json"))
    assert load_settings().areas_file == tmp_path / "areas.json"
