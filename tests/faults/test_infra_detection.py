"""The restart tests act only on a broker or cluster our scripts started, found by the
run dir the scripts were given; anything else is a skip, or under
AIRWARN_REQUIRE_INFRA=1 a failure that says what is missing (no broker needed here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.faults import infra


def test_a_broker_of_unknown_origin_fails_clearly_when_infra_is_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRWARN_KAFKA_DIR", str(tmp_path))
    monkeypatch.setenv("AIRWARN_REQUIRE_INFRA", "1")
    with pytest.raises(pytest.fail.Exception, match=r"not started by deploy/local/kafka\.sh"):
        infra.broker("127.0.0.1:19092")


def test_a_cluster_of_unknown_origin_is_skipped_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRWARN_PG_DIR", str(tmp_path))
    monkeypatch.delenv("AIRWARN_REQUIRE_INFRA", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"not started by deploy/local/postgres\.sh"):
        infra.database_server("postgresql+asyncpg://u:p@127.0.0.1:55432/db")


def test_a_broker_on_another_port_than_its_run_dir_is_not_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "server.properties").write_text(
        "advertised.listeners=PLAINTEXT://127.0.0.1:29092\n"
    )
    monkeypatch.setenv("AIRWARN_KAFKA_DIR", str(tmp_path))
    monkeypatch.setenv("AIRWARN_REQUIRE_INFRA", "1")
    with pytest.raises(pytest.fail.Exception, match=re.escape(str(tmp_path))):
        infra.broker("127.0.0.1:19092")
