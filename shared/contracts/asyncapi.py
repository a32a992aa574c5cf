"""An AsyncAPI 3.0 document generated from the payload models, for other agencies' systems."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.contracts.topics import TOPICS

CE_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0 attributes in Kafka binary content mode",
    "required": [
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_specversion",
        "ce_subject",
        "ce_time",
        "content-type",
    ],
    "properties": {
        "ce_id": {"type": "string", "description": "unique event id; consumers drop repeats by it"},
        "ce_source": {"type": "string", "description": "producing service, e.g. /airwarn/alerting"},
        "ce_type": {"type": "string"},
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_subject": {"type": "string", "description": "area code; equals the message key"},
        "ce_time": {"type": "string", "format": "date-time"},
        "content-type": {"type": "string", "const": "application/json"},
        "airwarn_trace_id": {"type": "string", "description": "trace id carried across services"},
    },
}

DLQ_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "the original headers, plus why and where from",
    "properties": {
        name: {"type": "string"}
        for name in (
            "airwarn_dlq_reason",
            "airwarn_dlq_group",
            "airwarn_dlq_topic",
            "airwarn_dlq_partition",
            "airwarn_dlq_offset",
            "airwarn_dlq_at",
        )
    },
}


def asyncapi_document(version: str = "1.0.0") -> dict[str, Any]:
    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (topic.payload, "validation") for topic in TOPICS.values()
    ]
    keyed, definitions = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(definitions.get("$defs", {}))
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in TOPICS.values():
        name = topic.payload.__name__
        schemas.setdefault(name, keyed[(topic.payload, "validation")])
        channel_id = topic.name.replace(".", "_")
        messages[name] = {
            "name": name,
            "title": topic.event_type,
            "summary": topic.summary,
            "contentType": "application/json",
            "headers": CE_HEADERS,
            "payload": {"$ref": f"#/components/schemas/{name}"},
            "bindings": {"kafka": {"key": {"type": "string", "description": "area code"}}},
        }
        messages[f"{name}DeadLetter"] = {
            "name": f"{name}DeadLetter",
            "summary": f"A message from {topic.name} that could not be decoded or was rejected.",
            "headers": DLQ_HEADERS,
            "payload": {"description": "the original message value, unchanged"},
        }
        channels[channel_id] = {
            "address": topic.name,
            "description": topic.summary,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        channels[f"{channel_id}_dlq"] = {
            "address": topic.dlq,
            "description": f"Dead letters of {topic.name}.",
            "messages": {f"{name}DeadLetter": {"$ref": f"#/components/messages/{name}DeadLetter"}},
        }
        operations[f"publish_{channel_id}"] = {
            "action": "send",
            "summary": f"The {topic.producer} service publishes {topic.name}.",
            "channel": {"$ref": f"#/channels/{channel_id}"},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "airwarn event bus",
            "version": version,
            "description": (
                "Events of the Chongqing heavy pollution weather emergency system. Every "
                "message is keyed by area code, so one area's events stay in order."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {"host": "127.0.0.1:19092", "protocol": "kafka", "description": "Apache Kafka"}
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
