"""``sheetsync report``: a standalone HTML team report for a manager's own review.

Trends over the last periods (pipeline, coverage, win rate, commitments hit rate)
as one line chart each, a line per rep, drawn as inline SVG: the file needs no
network, no script and no other file, and opens in any browser or mail client.

Won against lost (issue 15): the days won and lost deals spent in each stage and
their cycles, median and quartiles, for the team and each rep, as a table and as
a chart of bars (HTML, not SVG, so that its words keep their size on a phone).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from markupsafe import Markup, escape

from sheetsync.adapters.registry import open_workbook
from sheetsync.commands.deal_health import history_table, team_signals
from sheetsync.commands.team_tab import stage_log
from sheetsync.commands.workbook import load_pages, now_text
from sheetsync.config import Team
from sheetsync.domain.signals import TeamSignals, trends
from sheetsync.domain.stage_log import STAGE_LOG_TAB
from sheetsync.domain.stage_times import Spread
from sheetsync.domain.template import Template
from sheetsync.errors import SheetsyncError
from sheetsync.file_safety import write_private
from sheetsync.messages import Templates

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


# --- won against lost: days in each stage, and cycles ----------------------------------

WON_COLORS = ("#aceebb", "#1a7f37")  # quartile range, median
LOST_COLORS = ("#ffcecb", "#a23e48")


def stage_order(template: Template, stages: Iterable[str]) -> list[str]:
    """``stages`` in the order of the template's stage choices; stages it does not
    list (typed by hand in History, or a CRM's) after them, by name."""
    rank: dict[str, int] = {}
    for sec in template.sections:
        if sec.role != "deals":
            continue
        for col in sec.columns:
            if col.key == "stage":
                for choice in col.choices:
                    rank.setdefault(choice.casefold(), len(rank))
    return sorted(set(stages), key=lambda s: (rank.get(s.casefold(), len(rank)), s.casefold()))


def days_text(value: float) -> str:
    """Days as the report says them: whole from 10 on, to a tenth below (quartiles
    interpolate: 7.5 days is worth saying, 57.8 is not), halves rounded up."""
    if abs(value) >= 9.95:
        return f"{math.floor(value + 0.5):d}"
    return f"{math.floor(value * 10 + 0.5) / 10:g}"


def spread_text(spread: Spread | None) -> str:
    """The median and, in brackets, the quartiles (the middle half of the deals):
    "7 d (5–9)"; "≈" before figures at period granularity; "–" for none."""
    if spread is None:
        return "–"
    rough = "≈" if spread.at_period_granularity else ""
    text = f"{rough}{days_text(spread.median)} d"
    if days_text(spread.q1) != days_text(spread.q3):
        text += f" ({days_text(spread.q1)}–{days_text(spread.q3)})"
    return text


@dataclass(frozen=True)
class SpreadRow:
    """One row of the won-against-lost table: the team's or a rep's."""

    who: str
    won: Spread | None
    lost: Spread | None
    team: bool = False
    few_won: bool = False  # the team's, with too few won deals: the default is used


@dataclass
class SpreadGroup:
    """A stage (or the cycle) and its rows: the team's, then each rep's."""

    title: str
    rows: list[SpreadRow] = field(default_factory=list)
    cycle: bool = False  # the whole cycle, not a stage


def won_against_lost(
    signals: TeamSignals, template: Template, reps: Iterable[str], min_won: int
) -> list[SpreadGroup]:
    """The cycle, then each stage in template order: the team's won and lost
    deals' days, then each rep's who has any."""
    reps = list(reps)
    groups = []
    cycle = SpreadGroup("Cycle: first stage to close", cycle=True)
    if signals.cycle_won or signals.cycle_lost:
        cycle.rows.append(SpreadRow("Team", signals.cycle_won, signals.cycle_lost, team=True))
    for rep in reps:
        rs = signals.reps.get(rep)
        if rs is not None and (rs.cycle_won or rs.cycle_lost):
            cycle.rows.append(SpreadRow(rep, rs.cycle_won, rs.cycle_lost))
    if cycle.rows:
        groups.append(cycle)
    won, lost = signals.stage_spread_won, signals.stage_spread_lost
    for stage in stage_order(template, [*won, *lost]):
        few = won.get(stage) is None or won[stage].deals < min_won
        group = SpreadGroup(stage, [SpreadRow("Team", won.get(stage), lost.get(stage), True, few)])
        for rep in reps:
            rs = signals.reps.get(rep)
            if rs is None:
                continue
            mine = rs.stage_spread_won.get(stage), rs.stage_spread_lost.get(stage)
            if mine != (None, None):
                group.rows.append(SpreadRow(rep, *mine))
        groups.append(group)
    return groups


def _percent(value: float, top: float) -> str:
    return f"{min(max(value / top, 0.0), 1.0) * 100:.2f}%"


def _bar(spread: Spread | None, top: float, ticks: list[float], colors: tuple[str, str]) -> str:
    """A track the width of its cell: grid lines at the ticks, the quartile range as
    a light bar and the median as a dark stroke."""
    parts = ['<div style="position:relative;height:16px;">']
    for v in ticks:
        parts.append(
            f'<div style="position:absolute;left:{_percent(v, top)};top:0;bottom:0;'
            'width:1px;background:#eaeef2;"></div>'
        )
    if spread is not None:
        left, right = spread.q1 / top, spread.q3 / top
        parts.append(
            f'<div style="position:absolute;left:{_percent(spread.q1, top)};top:3px;height:10px;'
            f"width:{max(right - left, 0.0) * 100:.2f}%;min-width:2px;"
            f'background:{colors[0]};"></div>'
            f'<div style="position:absolute;left:{_percent(spread.median, top)};top:0;'
            f'height:16px;width:3px;margin-left:-1px;background:{colors[1]};"></div>'
        )
    parts.append("</div>")
    return "".join(parts)


def stage_chart(groups: list[SpreadGroup]) -> Markup:
    """Won against lost days, per stage (the team's): for each stage a bar for its
    won deals and one for its lost, the quartile range with the median marked, on
    one axis of days from 0. HTML, each bar's words beside it: readable 390 px wide."""
    stages = [(g.title, g.rows[0]) for g in groups if not g.cycle and g.rows and g.rows[0].team]
    if not stages:
        return Markup("")
    values = [
        v for _, r in stages for s in (r.won, r.lost) if s is not None for v in (s.q3, s.median)
    ]
    ticks = nice_ticks(max(values, default=1.0))
    top = ticks[-1] or 1.0
    cell = "padding:2px 0;"
    parts = [
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        'style="border-collapse:collapse;table-layout:fixed;font-size:12px;">'
        '<colgroup><col style="width:40px"><col><col style="width:112px"></colgroup>'
    ]
    for title, row in stages:
        parts.append(
            f'<tr><td colspan="3" style="padding:8px 0 2px 0;font-size:13px;font-weight:600;">'
            f"{escape(title)}</td></tr>"
        )
        for kind, spread, colors in (("Won", row.won, WON_COLORS), ("Lost", row.lost, LOST_COLORS)):
            said = (
                f"{title}, {kind.lower()} deals: median {days_text(spread.median)} days, "
                f"quartiles {days_text(spread.q1)} to {days_text(spread.q3)}, "
                f"{spread.deals} deal{'s' if spread.deals != 1 else ''}"
                if spread is not None
                else f"{title}: no {kind.lower()} deals"
            )
            parts.append(
                f'<tr title="{escape(said)}"><td style="{cell}color:#57606a;">{kind}</td>'
                f'<td style="{cell}">{_bar(spread, top, ticks, colors)}</td>'
                f'<td align="right" style="{cell}padding-left:6px;white-space:nowrap;">'
                f"{escape(spread_text(spread))}</td></tr>"
            )
    labels = []
    for k, v in enumerate(ticks):
        shift = "0" if k == 0 else "-100%" if k == len(ticks) - 1 else "-50%"
        labels.append(
            f'<span style="position:absolute;left:{_percent(v, top)};top:0;'
            f'transform:translateX({shift});white-space:nowrap;">{escape(days_text(v))}</span>'
        )
    parts.append(
        f'<tr><td></td><td style="padding:4px 0 0 0;color:#57606a;font-size:11px;">'
        f'<div style="position:relative;height:14px;">{"".join(labels)}</div></td>'
        f'<td style="padding:4px 0 0 6px;color:#57606a;font-size:11px;">days</td></tr>'
    )
    parts.append("</table>")
    return Markup("".join(parts))


def spread_legend(groups: list[SpreadGroup], min_won: int, default_days: int) -> list[str]:
    """What the table's marks mean, those that it uses."""
    out = []
    rows = [r for g in groups for r in g.rows]
    if any("(" in spread_text(s) for r in rows for s in (r.won, r.lost)):
        out.append("In brackets: the quartiles, between which the middle half of the deals fall.")
    if any(s is not None and s.at_period_granularity for r in rows for s in (r.won, r.lost)):
        out.append("≈: some of these deals' days are at period granularity (see the note below).")
    if any(r.few_won for r in rows):
        out.append(
            f"†: fewer than {min_won} won deals went through the stage: its open deals are "
            f"measured against the default of {default_days} days."
        )
    return out


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
    flagged = [  # the manager reads it: "Bob's won deals took 7"
        (d, shown)
        for d in signals.deals
        if (shown := shown_flags(d.worded(f"{d.rep}'s"), d.pushes, push_flag))
    ]
    groups = won_against_lost(
        signals, team.template, [r.name for r in team.reps], team.signals.min_won
    )
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
        groups=groups,
        stage_chart=stage_chart(groups),
        spread_text=spread_text,
        legend_notes=spread_legend(groups, team.signals.min_won, team.signals.default_stage_days),
        days=lambda v: "–" if v is None else f"{v:.0f} days",  # for templates of before
    )
    path = out or (team.workbook.path.parent if team.workbook.path else Path.cwd()) / (
        f"report-{team.name.replace(' ', '-').lower()}-{today.isoformat()}.html"
    )
    try:
        write_private(path, html.encode("utf-8"))  # managers' notes about their people
    except OSError as exc:
        raise SheetsyncError(f"{path}: cannot write the report ({exc.strerror})") from None
    return ReportResult(team.name, path, len(labels), len(team.reps))
