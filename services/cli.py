"""The ``airwarn`` command."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shared.settings import SERVICE_NAMES, load_settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="airwarn", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="all four services in one process, embedded bus and SQLite")
    up.add_argument("--host", default=None)
    up.add_argument("--port", type=int, default=None)
    up.add_argument(
        "--demo", metavar="SCENARIO", help="feed a generated scenario (approves at once)"
    )
    up.add_argument("--seed", type=int, default=1, help="the demo scenario's seed")
    up.add_argument("--pace", type=float, default=8.0, help="seconds between the demo's moments")
    serve = commands.add_parser("serve", help="one service against Kafka and PostgreSQL")
    serve.add_argument("service", choices=SERVICE_NAMES)
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    commands.add_parser("asyncapi", help="print the AsyncAPI document of the bus (JSON)")
    make_scenario = commands.add_parser("scenario", help="print a replayable scenario (JSON)")
    make_scenario.add_argument("name", help="winter-pm25, summer-o3 or quiet-week")
    make_scenario.add_argument("--seed", type=int, default=1)
    replay = commands.add_parser("replay", help="run a scenario through the pipeline")
    replay.add_argument("scenario", type=argparse.FileType("r", encoding="utf-8"))
    replay.add_argument(
        "--auto-approve",
        action="store_true",
        help="approve each proposal at once",
    )
    replay.add_argument("--out", type=Path, help="write each bulletin's CAP XML to this folder")
    topics = commands.add_parser("topics", help="the declared Kafka topics")
    topics.add_argument("topics_command", choices=["ensure"], help="create what is missing")
    migrate = commands.add_parser("migrate", help="upgrade the services' databases to head")
    migrate.add_argument("services", nargs="*", metavar="SERVICE", help="default: all")
    _audit_parser(commands)
    args = parser.parse_args(argv)

    if args.command == "asyncapi":
        from shared.contracts.asyncapi import asyncapi_document

        json.dump(asyncapi_document(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0

    if args.command == "scenario":
        from services.scenarios import NAMES, generate

        if args.name not in NAMES:
            parser.error(f"unknown scenario {args.name!r}; one of {', '.join(NAMES)}")
        json.dump(generate(args.name, args.seed), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0

    if args.command == "replay":
        return _replay(args.scenario.read(), auto_approve=args.auto_approve, out=args.out)

    if args.command == "audit":
        return _audit(args)

    settings = load_settings()
    from shared.observability.logs import configure_logging

    configure_logging(settings.log_level)
    if args.command == "migrate":
        from shared.db.migrate import upgrade

        unknown = sorted(set(args.services) - set(SERVICE_NAMES))
        if unknown:
            parser.error(f"unknown service(s): {', '.join(unknown)}")
        for name in args.services or SERVICE_NAMES:
            upgrade(name, settings.database_url_for(name))
            logging.getLogger("airwarn").info("migrated", extra={"service": name})
        return 0

    if args.command == "topics":  # an operator's tool: it serves no one, needs no tokens
        return _topics_ensure(settings)

    from services.start_up import tokens_refusal

    # before anything connects: `serve` needs a tokens file; `up` warns without one
    refusal = tokens_refusal(settings, command=args.command)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2

    import uvicorn

    from services.app import build_app

    if args.command == "up":
        import asyncio

        from services.demo import serve_with_demo

        scenario: dict[str, object] | None = None
        if args.demo:
            from services.scenarios import generate

            scenario = generate(args.demo, args.seed)
        settings = load_settings(
            bus="memory", **({"alerting_auto_approve": True} if args.demo else {})
        )
        app = build_app(settings, SERVICE_NAMES)
        host = args.host or settings.http_host
        port = args.port or settings.http_port
        asyncio.run(serve_with_demo(app, host, port, scenario, args.pace))
        return 0
    if settings.audit_keys_file is None or not settings.audit_keys_file.is_file():
        # a service writing its audit log with a key anyone could make up proves nothing
        print(
            "airwarn serve: refusing to start without the audit key file: set "
            "AIRWARN_AUDIT_KEYS_FILE to a readable file (`airwarn audit rotate-key` adds keys; "
            f"see shared/db/audit_keys.py); now: {settings.audit_keys_file or 'unset'}",
            file=sys.stderr,
        )
        return 2
    app = build_app(settings, [args.service])
    host = args.host or settings.http_host
    port = args.port or settings.http_port
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
    return 0


def _topics_ensure(settings: Any) -> int:
    """Each declared topic and its .dlq twin, created with the configured partitions."""
    import asyncio

    from aiokafka.errors import KafkaError

    from shared.bus.topics import ensure_topics

    try:
        done = asyncio.run(ensure_topics(settings.kafka_bootstrap, settings.kafka_partitions))
    except (RuntimeError, KafkaError) as exc:  # PartitionMismatch is a RuntimeError
        print(f"airwarn topics ensure ({settings.kafka_bootstrap}): {exc}", file=sys.stderr)
        return 1
    for name in done.created:
        print(f"created {name}")
    for name in done.existing:
        print(f"existing {name}")
    return 0


def _audit_parser(commands: Any) -> None:
    audit = commands.add_parser("audit", help="verify or show the services' audit logs")
    actions = audit.add_subparsers(dest="audit_command", required=True)
    verify = actions.add_parser(
        "verify",
        help="check each service's keyed chain, its anchors and its state tables against it: "
        "exit 1 on tampering, 2 if a log or the key file is unreadable",
    )
    verify.add_argument(
        "--service", action="append", choices=SERVICE_NAMES, help="repeatable; default: all"
    )
    show = actions.add_parser("show", help="a service's newest entries, as JSON lines")
    show.add_argument("--service", required=True, choices=SERVICE_NAMES)
    show.add_argument("--entity", help="e.g. warning, proposal, task, bulletin, delivery")
    show.add_argument("--key", help="e.g. an area code or a task id")
    show.add_argument("--limit", type=int, default=100)
    actions.add_parser(
        "rotate-key",
        help="add a new current key to the audit key file, making the file if there is none "
        "(old entries keep verifying with theirs); services use it from their next start",
    )


def _audit(args: argparse.Namespace) -> int:
    import asyncio

    from shared.db import audit_keys
    from shared.db.audit import AuditUnavailable, entries

    settings = load_settings()
    if args.audit_command == "rotate-key":
        path = audit_keys.keys_path(settings)
        try:
            key_id = audit_keys.rotate(path)
        except audit_keys.AuditKeyError as exc:
            print(f"airwarn audit rotate-key: {exc}", file=sys.stderr)
            return 2
        print(f"{path}: new current key {key_id}")
        return 0
    if args.audit_command == "show":
        if args.limit < 1:
            print("airwarn audit show: --limit must be at least 1", file=sys.stderr)
            return 2
        url = settings.database_url_for(args.service)
        try:
            found = asyncio.run(
                entries(url, args.service, entity=args.entity, key=args.key, limit=args.limit)
            )
        except AuditUnavailable as exc:
            print(f"airwarn audit show: {exc}", file=sys.stderr)
            return 2
        for entry in found:
            print(json.dumps(entry, ensure_ascii=False))
        return 0

    import importlib

    from shared.db import audit_state
    from shared.db.audit_verify import check_service

    try:
        keys = audit_keys.load(audit_keys.keys_path(settings))
    except audit_keys.AuditKeyError as exc:
        print(f"airwarn audit verify: {exc} (set AIRWARN_AUDIT_KEYS_FILE)", file=sys.stderr)
        return 2

    async def check(name: str) -> tuple[list[str], int]:
        # each service says which of its tables the log accounts for (shared.db.audit_state)
        importlib.import_module(f"services.{name}.adapters.audited_state")
        audited = audit_state.registered(name)
        url = settings.database_url_for(name)
        try:
            verdict = await check_service(url, name, keys, settings.audit_anchors, audited)
        except AuditUnavailable as exc:
            return [f"{exc}"], 2
        return verdict.lines, verdict.code

    codes = []
    for name in args.service or SERVICE_NAMES:
        lines, code = asyncio.run(check(name))
        print("\n".join(lines))
        codes.append(code)
    return 1 if 1 in codes else max(codes, default=0)


def _replay(text: str, *, auto_approve: bool, out: Path | None) -> int:
    import asyncio

    from services.replay import ScenarioError, parse_scenario, print_line, replay
    from shared.observability.logs import configure_logging

    configure_logging("WARNING")
    try:
        scenario = parse_scenario(text)
    except ScenarioError as exc:
        print(f"airwarn replay: {exc}", file=sys.stderr)
        return 2
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    asyncio.run(replay(scenario, auto_approve=auto_approve, emit=print_line, out=out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
