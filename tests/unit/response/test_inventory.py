"""The emission-reduction inventory (plan §4.2.1, rules §5) on a hand-worked district."""

from __future__ import annotations

import pytest

from services.response.domain.inventory import Source, check_inventory, reduction_check
from services.response.domain.inventory_csv import parse_inventory_csv
from shared.errors import Rejected

# Totals (kg/day): SO2 150, NOx 600, PM 200, VOCs 500.
CSV = """source_id,name,kind,sector,grade,key_industry,routine,so2,nox,pm,vocs,so2_yellow,nox_yellow,pm_yellow,vocs_yellow,so2_orange,nox_orange,pm_orange,vocs_orange,pm_red
E1,Steel works,enterprise,steel,B,yes,no,100,200,50,300,10,20,5,30,20,40,10,60,
E2,Print shop,enterprise,printing,C,no,no,50,100,30,100,0,5,3,10,15,20,6,20,
M1,Standing truck ban,mobile,transport,other,no,yes,0,300,20,100,,60,,,,,,,
D1,Metro line 18 site,dust,construction,other,no,no,0,0,100,0,,,15,,,,25,,40
"""


@pytest.fixture
def sources() -> list[Source]:
    return parse_inventory_csv(CSV)


def shares_of(check: object) -> dict[str, tuple[float, bool, float]]:
    return {
        s.pollutant: (round(s.share, 4), s.met, round(s.shortfall, 4))
        for s in check.shares  # type: ignore[attr-defined]
    }


def test_yellow_pm25_shares_targets_and_shortfalls(sources: list[Source]) -> None:
    """Level III, PM2.5 primary: every one of SO2, NOx, PM, VOCs needs 10 %.
    SO2 10/150 = 6.67 % (short 5); NOx (20+5)/600 = 4.17 % — the routine truck ban's 60
    does not count (§4.2.1.3) — short 35; PM (5+3+15)/200 = 11.5 %; VOCs 40/500 = 8 %,
    short 10. SO2 + NOx = 10.83 % < 20 %: no trade."""
    check = reduction_check(sources, "yellow", "PM2.5")
    assert shares_of(check) == {
        "so2": (0.0667, False, 5.0),
        "nox": (0.0417, False, 35.0),
        "pm": (0.115, True, 0.0),
        "vocs": (0.08, False, 10.0),
    }
    assert (check.traded, check.met, check.without_plan) == (False, False, ())


def test_an_o3_episode_checks_only_nox_and_vocs(sources: list[Source]) -> None:
    check = reduction_check(sources, "yellow", "O3")
    assert [s.pollutant for s in check.shares] == ["nox", "vocs"]


def test_orange_needs_twenty_percent(sources: list[Source]) -> None:
    """SO2 35/150 = 23.3 % meets 20 %; NOx 60/600 = 10 % does not; 33.3 % < 40 %."""
    check = reduction_check(sources, "orange", "PM2.5")
    assert shares_of(check)["so2"] == (0.2333, True, 0.0)
    assert shares_of(check)["nox"] == (0.1, False, 60.0)
    assert not check.traded and not check.met


def test_a_key_industry_enterprise_without_a_red_plan_is_named(sources: list[Source]) -> None:
    assert reduction_check(sources, "red", "PM2.5").without_plan == ("E1",)


def _source(so2_cut: float, nox_cut: float) -> Source:
    return Source(
        "S",
        "s",
        "enterprise",
        "power",
        "A",
        False,
        False,
        {"so2": 100.0, "nox": 100.0, "pm": 100.0, "vocs": 100.0},
        {"orange": {"so2": so2_cut, "nox": nox_cut, "pm": 20.0, "vocs": 20.0}},
    )


@pytest.mark.parametrize(
    ("so2_cut", "nox_cut", "traded", "met"),
    [
        (35.0, 8.0, True, True),  # 35 % + 8 % = 43 % ≥ 40 %: SO2 covers NOx
        (25.0, 14.0, False, False),  # 39 % < 40 %
        (20.0, 20.0, False, True),  # both meet on their own: no trade needed
    ],
)
def test_so2_and_nox_may_be_traded(so2_cut: float, nox_cut: float, traded: bool, met: bool) -> None:
    check = reduction_check([_source(so2_cut, nox_cut)], "orange", "PM2.5")
    assert (check.traded, check.met) == (traded, met)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("E2,Print shop,enterprise", "E1,Print shop,enterprise"),
            "line 3: source_id 'E1' is already on line 2",
        ),
        (("printing,C,no", "printing,Z,no"), "line 3: grade: 'Z' is not one of"),
        (("enterprise,printing", "factory,printing"), "line 3: kind: 'factory'"),
        (
            ("50,100,30,100,0,5", "50,100,30,oops,0,5"),
            "line 3: vocs: 'oops' is not a decimal number",
        ),
        (("50,100,30,100,0,5", "50,100,30,100,60,5"), "line 3: so2_yellow: reduction 60.0 exceeds"),
        (("C,no,no", "C,maybe,no"), "line 3: key_industry: 'maybe' is neither yes nor no"),
        (("source_id,name", "source_id,nom"), "line 1: unknown column"),
    ],
)
def test_a_bad_row_is_refused_with_its_line(change: tuple[str, str], message: str) -> None:
    with pytest.raises(Rejected, match=message):
        parse_inventory_csv(CSV.replace(*change, 1))


def test_the_whole_inventory_is_checked_too(sources: list[Source]) -> None:
    with pytest.raises(Rejected, match=r"sources\[1\]: source_id 'E1' appears twice"):
        check_inventory([sources[0], sources[0]])
