"""Configuration is read at start-up, and the architecture rules hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.areas import DISTRICTS, REGIONS, members
from shared.settings import load_settings

ROOT = Path(__file__).resolve().parents[3]


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRWARN_BUS", "kafka")
    monkeypatch.setenv("AIRWARN_DATABASE_URL", "postgresql+asyncpg://u@h/airwarn_{service}")
    settings = load_settings()
    assert settings.bus == "kafka"
    assert settings.database_url_for("alerting") == "postgresql+asyncpg://u@h/airwarn_alerting"


def test_an_unsupported_database_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRWARN_DATABASE_URL", "mysql://somewhere/db")
    with pytest.raises(ValidationError, match="database_url"):
        load_settings()


def test_the_plan_has_38_districts_in_three_regions() -> None:
    assert len(DISTRICTS) == 38
    assert {r: len(members(r)) for r in REGIONS} == {
        "main-metro": 21,
        "three-gorges": 11,
        "wuling": 6,
    }


def test_domain_layers_stay_pure_and_services_stay_apart() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_nothing_builds_an_engine_producer_or_settings_at_import_time() -> None:
    code = (
        "import sys, services.app, services.cli;"
        "import services.forecast.bootstrap, services.alerting.bootstrap;"
        "import services.response.bootstrap, services.notify.bootstrap;"
        "from shared.settings import Settings;"
        "import gc;"
        "assert not [o for o in gc.get_objects() if isinstance(o, Settings)], 'settings at import'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"AIRWARN_DATABASE_URL": "not-a-url", "PATH": "/usr/bin"},
    )
    assert result.returncode == 0, result.stderr
