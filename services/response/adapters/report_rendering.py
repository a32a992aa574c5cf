"""The evaluation report as a chart (PNG, matplotlib) and as an HTML page."""

from __future__ import annotations

import html
import io

import matplotlib

matplotlib.use("Agg")  # no display: render to memory only
import matplotlib.pyplot as plt

from services.response.domain.evaluation import EpisodeReport

#: HJ 633-2012 category bounds and the plan's thresholds (rules §1–§2)
THRESHOLDS = (
    (100, "100: lightly polluted above"),
    (150, "150: moderately polluted above"),
    (200, "200: heavily polluted above (warnings)"),
    (300, "300: severely polluted above"),
)


def chart_png(report: EpisodeReport) -> bytes:
    """Forecast against observed AQI over the episode, with the thresholds."""
    figure, axes = plt.subplots(figsize=(8, 4), dpi=100)
    try:
        positions = list(range(len(report.air)))
        forecast = [float("nan") if d.forecast_aqi is None else d.forecast_aqi for d in report.air]
        observed = [float("nan") if d.observed_aqi is None else d.observed_aqi for d in report.air]
        axes.plot(positions, forecast, marker="o", label="forecast AQI (day ahead)")
        axes.plot(positions, observed, marker="s", label="observed AQI")
        axes.set_xticks(positions, [d.date.strftime("%m-%d") for d in report.air])
        for value, label in THRESHOLDS:
            axes.axhline(value, linestyle="--", linewidth=0.8, color="grey")
            axes.text(0, value + 3, label, fontsize=7, color="grey")
        axes.set_title(f"{report.area} — episode {report.episode_id[:8]}")
        axes.set_ylabel("AQI")
        axes.legend(loc="upper right", fontsize=8)
        figure.autofmt_xdate()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)


def report_html(report: EpisodeReport, chart_url: str) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(t.at.isoformat())}</td><td>{e(t.action)}</td>"
        f"<td>{e(t.warning_level or '—')}</td><td>{e(t.response_level or '—')}</td></tr>"
        for t in report.timeline
    )
    units = "".join(
        f"<tr><td>{e(u.unit)}</td><td>{u.done_on_time}</td><td>{u.done_late}</td>"
        f"<td>{u.open}</td><td>{u.open_overdue}</td><td>{u.stood_down}</td></tr>"
        for u in report.units
    )
    if report.reductions is None:
        reductions = "<p>No emission-reduction inventory on file for this district.</p>"
    else:
        shares = "".join(
            f"<tr><td>{e(s.pollutant.upper())}</td><td>{s.share:.1%}</td><td>{s.target:.0%}</td>"
            f"<td>{'yes' if s.met else 'no'}</td><td>{s.shortfall:.1f}</td></tr>"
            for s in report.reductions.shares
        )
        reductions = (
            "<table><tr><th>pollutant</th><th>achieved</th><th>target</th><th>met</th>"
            f"<th>shortfall (kg/day)</th></tr>{shares}</table>"
            f"<p>Met overall: {'yes' if report.reductions.met else 'no'}"
            f"{' (SO2–NOx trade)' if report.reductions.traded else ''}. Key-industry sources "
            f"without a plan: {e(', '.join(report.reductions.without_plan) or 'none')}.</p>"
        )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>Episode report {e(report.area)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;border:1px solid #ccc}"
        "table{border-collapse:collapse;margin:1em 0}</style>"
        f"<h1>Episode report — {e(report.area)}</h1>"
        f"<p>Episode {e(report.episode_id)}; highest response Level {e(report.highest_level)}; "
        f"primary pollutant {e(report.pollutant or '—')}; "
        f"opened {e(report.opened_at.isoformat())}; "
        f"closed {e(report.closed_at.isoformat() if report.closed_at else 'not yet')}.</p>"
        "<h2>Timeline</h2><table><tr><th>time</th><th>action</th><th>warning</th>"
        f"<th>response</th></tr>{rows}</table>"
        "<h2>Tasks per unit</h2><table><tr><th>unit</th><th>done on time</th><th>done late</th>"
        f"<th>open</th><th>open, overdue</th><th>stood down</th></tr>{units}</table>"
        f"<h2>Emission reductions</h2>{reductions}"
        f"<h2>Forecast against observed AQI</h2><img src='{e(chart_url)}' alt='AQI chart'>"
        "</html>"
    )
