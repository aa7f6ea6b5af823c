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
from sheetsync.domain.stage_log import STAGE_LOG_TAB
from sheetsync.errors import SheetsyncError
from sheetsync.file_safety import write_private
from sheetsync.messages import Templates
from sheetsync.team_view import history_table, stage_log, team_signals
from sheetsync.usecases import load_pages, now_text

PALETTE = ("#1F77B4", "#D62728", "#2CA02C", "#9467BD", "#FF7F0E", "#17BECF", "#8C564B")
W, H, PAD_L, PAD_R, PAD_T, PAD_B = 640, 240, 56, 12, 12, 36


def nice_ticks(top: float, most: int = 5) -> list[float]:
    """Axis ticks from 0 at round steps (1, 2, 2.5 or 5 times a power of ten), at
    most ``most`` of them past 0, the last at or above ``top``."""
    if not math.isfinite(top) or top <= 0:
        top = 1.0
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    count = math.ceil(top / step - 1e-9)
    return [round(step * k, 10) for k in range(count + 1)]


def tick_label(v: float, percent: bool, step: float) -> str:
    if percent:
        return f"{v:.0%}"
    if step >= 1000 and v:
        return f"{v / 1000:,.0f}k" if (v / 1000).is_integer() else f"{v / 1000:,.1f}k"
    return f"{v:g}"


DOT = 3.5  # a data point's radius; points that meet are set side by side


def line_chart(
    periods: list[str], series: dict[str, list[float | None]], percent: bool = False
) -> Markup:
    """An SVG line chart: one polyline per rep, gaps where a value is missing, a
    dot on every value; dots of reps that meet on one value are set side by side
    so that each rep's colour shows. The axis runs from 0 in round steps."""
    values = [v for vals in series.values() for v in vals if v is not None and math.isfinite(v)]
    ticks = [0.0, 0.25, 0.5, 0.75, 1.0] if percent else nice_ticks(max(values, default=1.0))
    top = ticks[-1] or 1.0
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    n = max(len(periods) - 1, 1)

    def x(i: int) -> float:
        return PAD_L + (W - PAD_L - PAD_R) * i / n

    def y(v: float) -> float:
        return PAD_T + (H - PAD_T - PAD_B) * (1 - v / top)

    parts = [f'<svg viewBox="0 0 {W} {H}" width="100%" role="img" style="max-width:{W}px">']
    for v in ticks:
        parts.append(
            f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            'stroke="#eaeef2"/>'
            f'<text x="{PAD_L - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#57606a">{escape(tick_label(v, percent, step))}</text>'
        )
    every = max(1, len(periods) // 8)
    for i, p in enumerate(periods):
        if i % every == 0 or i == len(periods) - 1:
            anchor = "start" if i == 0 else "end" if i == len(periods) - 1 else "middle"
            parts.append(
                f'<text x="{x(i):.1f}" y="{H - 12}" font-size="11" text-anchor="{anchor}" '
                f'fill="#57606a">{escape(p)}</text>'
            )
    colors = {rep: PALETTE[k % len(PALETTE)] for k, rep in enumerate(series)}
    # (period, height in steps of a dot) -> the reps whose dots would overlap there
    dots: dict[tuple[int, int], list[tuple[str, float]]] = {}
    for rep, vals in series.items():
        runs: list[list[str]] = [[]]
        for i, val in enumerate(vals):
            if val is None or not math.isfinite(val):
                runs.append([])
                continue
            runs[-1].append(f"{x(i):.1f},{y(val):.1f}")
            dots.setdefault((i, round(y(val) / (2 * DOT))), []).append((rep, y(val)))
        for run in runs:
            if len(run) > 1:
                parts.append(
                    f'<polyline fill="none" stroke="{colors[rep]}" stroke-width="2" '
                    f'points="{" ".join(run)}"><title>{escape(rep)}</title></polyline>'
                )
    for (i, _), reps in dots.items():
        for k, (rep, height) in enumerate(reps):
            dx = (k - (len(reps) - 1) / 2) * (2 * DOT + 1)
            parts.append(
                f'<circle cx="{x(i) + dx:.1f}" cy="{height:.1f}" r="{DOT}" fill="{colors[rep]}" '
                f'stroke="#ffffff" stroke-width="1"><title>{escape(rep)}</title></circle>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def shown_flags(flags: list[str], pushes: int, push_flag: int) -> list[str]:
    """A deal's flags as the report lists them: "pushed" only from the team's
    ``push_flag`` on, as the table's Pushed count counts it."""
    if pushes >= push_flag:
        return flags
    return [f for f in flags if not f.startswith("pushed")]


@dataclass
class ReportResult:
    team: str
    path: Path
    periods: int
    reps: int


def report(team: Team, today: date, out: Path | None = None, periods: int = 12) -> ReportResult:
    with open_workbook(team.workbook) as wb:
        snap, pages, errors = load_pages(team, wb, ("History", STAGE_LOG_TAB))
        if not snap.exists:
            raise SheetsyncError(f"{wb.location}: no workbook yet; run sheetsync init first")
        location = wb.location
    frame = history_table(team, snap)  # one frame for the signals and the trends
    log = stage_log(team, snap, frame, pages, today)  # with the changes not yet recorded
    signals: TeamSignals = team_signals(team, frame, pages, today, log)
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
    push_flag = team.signals.push_flag
    flagged = [
        (d, shown) for d in signals.deals if (shown := shown_flags(d.flags, d.pushes, push_flag))
    ]
    html = Templates(team.mail.templates, "report").render(
        "report.html.j2",
        team=team,
        today=today,
        generated=now_text(),
        location=location,
        charts=charts,
        legend=legend,
        signals=signals,
        flagged=flagged,
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
