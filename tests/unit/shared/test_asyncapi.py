from __future__ import annotations

import json

from services.cli import main
from shared.contracts.asyncapi import asyncapi_document
from shared.contracts.topics import TOPICS


def test_the_document_lists_every_topic_its_dlq_and_payload_schema() -> None:
    document = asyncapi_document()
    assert document["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == set(TOPICS) | {f"{name}.dlq" for name in TOPICS}
    schemas = document["components"]["schemas"]
    for topic in TOPICS.values():
        schema = schemas[topic.payload.__name__]
        assert set(schema["required"]) >= {"area"}
        message = document["components"]["messages"][topic.payload.__name__]
        assert message["title"] == topic.event_type
        assert "ce_id" in message["headers"]["required"]
    refs = json.dumps(document)
    for name in ("DayValues", "TaskChange"):
        assert f"#/components/schemas/{name}" in refs and name in schemas


def test_the_cli_prints_it_as_json(capsys: object) -> None:
    assert main(["asyncapi"]) == 0
    printed = json.loads(capsys.readouterr().out)  # type: ignore[attr-defined]
    assert printed == json.loads(json.dumps(asyncapi_document()))
