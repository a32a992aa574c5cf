"""The markdown table of a bench run: each measurement, its target, and whether it was met."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Row = tuple[str, str, str, str]


def _get(results: dict[str, Any], *path: str) -> Any:
    node: Any = results
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _met(value: float | None, ok: Callable[[float], bool]) -> str:
    if value is None:
        return "not run"
    return "met" if ok(value) else "**missed**"


def _latency_rows(results: dict[str, Any], phase: str, *, target: bool) -> list[Row]:
    run = _get(results, phase)
    if not run:
        return []
    latency = run.get("latency_ms") or {}
    rate = run.get("feed_rate") or 0.0
    made: list[Row] = []
    for q in ("p50", "p95", "p99"):
        value = latency.get(q)
        goal = target and q == "p99"
        made.append(
            (
                f"{phase}: accepted → delivered {q}, {run['target_rate']:.0f}/s asked, "
                f"{rate:.1f}/s fed ({run['forecasts_delivered']}/{run['forecasts_accepted']} "
                "delivered)",
                "n/a" if value is None else f"{value:.0f} ms",
                "< 1000 ms" if goal else "—",
                _met(value, lambda v: v < 1000) if goal else "",
            )
        )
    return made


def rows(results: dict[str, Any]) -> list[Row]:
    made: list[Row] = []
    nation = _get(results, "nationwide", "seconds_to_last_change")
    if nation is not None:
        n = results["nationwide"]
        made.append(
            (
                f"nationwide cycle ({n['areas']} areas × 7 days, {n['changes']} of "
                f"{n['expected_changes']} expected warning changes) decided and published",
                f"{nation:.1f} s",
                "< 10 s",
                _met(nation, lambda v: v < 10 and n["changes"] >= n["expected_changes"]),
            )
        )
    for phase, target in (("paced", True), ("light", False)):
        made += _latency_rows(results, phase, target=target)
    pipeline = _get(results, "max", "throughput_forecasts_per_s")
    relay = _get(results, "relay", "messages_per_s")
    if pipeline is not None:
        made.append(("pipeline throughput, max rate", f"{pipeline:.1f} forecasts/s", "—", ""))
    if relay is not None:
        made.append(("bare aiokafka relay, same broker and sizes", f"{relay:.0f} msgs/s", "—", ""))
    if pipeline is not None and relay:
        ratio = pipeline / relay
        made.append(
            ("pipeline / bare relay", f"{ratio:.2%}", "≥ 30 %", _met(ratio, lambda v: v >= 0.3))
        )
    aqi = _get(results, "aqi")
    if aqi:
        per = aqi["seconds_per_value"]
        made += [
            ("python-aqi (ALGO_MEP), per value", f"{per['python_aqi'] * 1e9:.0f} ns", "—", ""),
            ("AQI scalar, per value", f"{per['scalar'] * 1e9:.0f} ns", "—", ""),
            ("AQI vectorised, per value", f"{per['vector'] * 1e9:.2f} ns", "—", ""),
            ("bare numpy.interp, per value", f"{per['numpy_interp'] * 1e9:.2f} ns", "—", ""),
            (
                "vectorised AQI speed-up over python-aqi",
                f"{aqi['vector_speedup_over_python_aqi']:.0f}×",
                "≥ 100×",
                _met(aqi["vector_speedup_over_python_aqi"], lambda v: v >= 100),
            ),
            (
                "vectorised AQI time / numpy.interp time",
                f"{aqi['vector_over_numpy_interp']:.2f}×",
                "≤ 2×",
                _met(aqi["vector_over_numpy_interp"], lambda v: v <= 2),
            ),
        ]
    rules = _get(results, "rules", "microseconds_per_area_forecast")
    if rules is not None:
        made.append(("rule evaluation per 7-day area forecast", f"{rules:.0f} µs", "—", ""))
    for phase in ("paced", "light", "max", "nationwide"):
        memory = _get(results, phase, "peak_rss_mib")
        cpu = _get(results, phase, "cpu_seconds")
        if memory:
            text = ", ".join(f"{s} {v:.0f}" for s, v in memory.items())
            made.append((f"peak RSS per service, {phase} (MiB)", text, "—", ""))
        if cpu:
            text = ", ".join(f"{s} {v:.1f}" for s, v in cpu.items())
            made.append((f"CPU seconds per service, {phase}", text, "—", ""))
    return made


def _durability(settings: dict[str, str] | None) -> str:
    if not settings:
        return "PostgreSQL durability: not recorded"
    given = ", ".join(f"{name} = {value}" for name, value in settings.items())
    production = all(value == "on" for value in settings.values())
    return f"PostgreSQL {given} ({'production durability' if production else 'NOT durable'})"


def markdown(results: dict[str, Any]) -> str:
    machine = results["machine"]
    load = ", ".join(f"{v:.1f}" for v in machine["load_average_at_start"])
    lines = [
        f"Bench run {results.get('started_at', '?')}: {machine['cpus']} CPUs, "
        f"load average at start {load} (1, 5, 15 min)",
        "",
        _durability(results.get("durability")),
        "",
        "| measurement | value | target | |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(results)]
    return "\n".join(lines) + "\n"
