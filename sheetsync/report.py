"""``sheetsync report``: a standalone HTML team report for a manager's own review.

Trends over the last periods (pipeline, coverage, win rate, commitments hit rate)
as one line chart each, a line per rep, drawn as inline SVG: the file needs no
network, no script and no other file, and opens in any browser or mail client.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from markupsafe import Markup, escape

from sheetsync.adapters.registry import open_workbook
from sheetsync.config import Team
from sheetsync.domain.signals import TeamSignals, trends
from sheetsync.errors import SheetsyncError
from sheetsync.file_safety import write_private
from sheetsync.messages import Templates
from sheetsync.team_view import history_table, team_signals
from sheetsync.usecases import load_pages, now_text

PALETTE = ("#1F77B4", "#D62728", "#2CA02C", "#9467BD", "#FF7F0E", "#17BECF", "#8C564B")
W, H, PAD_L, PAD_R, PAD_T, PAD_B = 640, 240, 56, 12, 12, 36


def line_chart(
    periods: list[str], series: dict[str, list[float | None]], percent: bool = False
) -> Markup:
    """An SVG line chart: one polyline per rep, gaps where a value is missing."""
    values = [v for vals in series.values() for v in vals if v is not None and math.isfinite(v)]
    top = max(values, default=1.0) or 1.0
    top = 1.0 if percent else top * 1.1
    n = max(len(periods) - 1, 1)

    def x(i: int) -> float:
        return PAD_L + (W - PAD_L - PAD_R) * i / n

    def y(v: float) -> float:
        return PAD_T + (H - PAD_T - PAD_B) * (1 - v / top)

    def label(v: float) -> str:
        if percent:
            return f"{v:.0%}"
        return f"{v / 1000:,.0f}k" if top >= 10_000 else f"{v:.1f}"

    parts = [f'<svg viewBox="0 0 {W} {H}" width="100%" role="img" style="max-width:{W}px">']
    for k in range(5):
        v = top * k / 4
        parts.append(
            f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            'stroke="#eaeef2"/>'
            f'<text x="{PAD_L - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#57606a">{escape(label(v))}</text>'
        )
    step = max(1, len(periods) // 8)
    for i, p in enumerate(periods):
        if i % step == 0 or i == len(periods) - 1:
            anchor = "start" if i == 0 else "end" if i == len(periods) - 1 else "middle"
            parts.append(
                f'<text x="{x(i):.1f}" y="{H - 12}" font-size="11" text-anchor="{anchor}" '
                f'fill="#57606a">{escape(p)}</text>'
            )
    for n_rep, (rep, vals) in enumerate(series.items()):
        color = PALETTE[n_rep % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for i, val in enumerate(vals):
            if val is None or not math.isfinite(val):
                runs.append([])
                continue
            runs[-1].append(f"{x(i):.1f},{y(val):.1f}")
        for run in runs:
            if len(run) > 1:
                parts.append(
                    f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                    f'points="{" ".join(run)}"><title>{escape(rep)}</title></polyline>'
                )
            elif run:
                cx, cy = run[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{color}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass
class ReportResult:
    team: str
    path: Path
    periods: int
    reps: int


def report(team: Team, today: date, out: Path | None = None, periods: int = 12) -> ReportResult:
    with open_workbook(team.workbook) as wb:
        snap, pages, errors = load_pages(team, wb, ("History",))
        if not snap.exists:
            raise SheetsyncError(f"{wb.location}: no workbook yet; run sheetsync init first")
        location = wb.location
    frame = history_table(team, snap)  # one frame for the signals and the trends
    signals: TeamSignals = team_signals(team, frame, pages, today)
    quotas = {r.name: r.quota for r in team.reps}
    table = trends(frame, pages, team.template, team.cadence, quotas, periods)
    labels = sorted(table["period"].unique()) if len(table) else []
    charts = []
    for column, title, percent in (
        ("pipeline", f"Open pipeline ({team.currency})", False),
        ("coverage", "Pipeline over quota (x)", False),
        ("win_rate", "Win rate of the deals closed in the period", True),
        ("hit_rate", "Commitments hit", True),
    ):
        series: dict[str, list[float | None]] = {}
        for rep in team.reps:
            mine = table[table["rep"] == rep.name].set_index("period")[column]
            series[rep.name] = [
                float(mine[p]) if p in mine.index and mine[p] == mine[p] else None for p in labels
            ]
        charts.append((title, line_chart(labels, series, percent)))
    legend = [(r.name, PALETTE[i % len(PALETTE)]) for i, r in enumerate(team.reps)]
    html = Templates(team.mail.templates, "report").render(
        "report.html.j2",
        team=team,
        today=today,
        generated=now_text(),
        location=location,
        charts=charts,
        legend=legend,
        signals=signals,
        errors=sorted(errors.values()),
        days=lambda v: "–" if v is None else f"{v:.0f} days",
    )
    path = out or (team.workbook.path.parent if team.workbook.path else Path.cwd()) / (
        f"report-{team.name.replace(' ', '-').lower()}-{today.isoformat()}.html"
    )
    try:
        write_private(path, html.encode("utf-8"))  # managers' notes about their people
    except OSError as exc:
        raise SheetsyncError(f"{path}: cannot write the report ({exc.strerror})") from None
    return ReportResult(team.name, path, len(labels), len(team.reps))
