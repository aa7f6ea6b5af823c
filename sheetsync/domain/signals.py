"""Deal-health signals from the workbook itself, with pandas: stalled deals, pushed
close dates, time in stage against the team's won deals, won against lost cycle
times, pipeline coverage and win rate, and commitments kept.

Inputs are History's rows (every period's snapshot of every deal, commitment and
action) and the current pages. Everything is computed in frames, grouped by deal
id and by rep, so that 200 reps over five years of monthly History (about half a
million rows) take seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from sheetsync.domain.carry import is_open
from sheetsync.domain.page import Page
from sheetsync.domain.periods import Cadence, Period, parse_period
from sheetsync.domain.render import HISTORY_FIXED
from sheetsync.domain.stage_log import StageChange
from sheetsync.domain.stage_times import Spread, cycles, per_deal, spreads, stays
from sheetsync.domain.template import Section, Template
from sheetsync.domain.thresholds import SignalSettings
from sheetsync.domain.values import CellValue, read_date, read_number


@dataclass
class DealSignal:
    rep: str
    deal_id: str
    label: str
    stage: str
    amount: float
    stalled: bool
    idle_days: int | None  # days since the last activity; None if never recorded
    pushes: int
    push_days: int
    days_in_stage: int
    typical_days: float  # median days won deals spent in this stage (or the default)
    typical_from_won: bool  # False: too few won deals, the configured default is used
    slow: bool
    stage_began: date | None = None  # when the deal entered its stage, as far as known
    began_exact: bool = False  # stage_began is known to the day (the stage log)
    own_typical_days: float | None = None  # this rep's won deals' median, with enough of them

    @property
    def flags(self) -> list[str]:
        """The deal's signals as its rep's page says them: "stalled (20 days idle)",
        "pushed 2× (+30 days)", "slow in Trial (40 days; your won deals took 7)"."""
        return self.worded()

    def worded(self, whose: str = "your", slow: bool = True) -> list[str]:
        """The flags; ``whose`` names the rep's own won deals ("your", "Bob's");
        without the slow one when ``slow`` is False (the emails say it on a line of
        its own, as ``stage_time``)."""
        out = []
        if self.stalled:
            out.append(
                "stalled (no activity recorded)"
                if self.idle_days is None
                else f"stalled ({self.idle_days} days idle)"
            )
        if self.pushes:
            out.append(f"pushed {self.pushes}× (+{self.push_days} days)")
        if self.slow and slow:
            out.append(f"slow in {self.stage} ({self._measured(self.days_words, whose)})")
        return out

    @property
    def days_words(self) -> str:
        """The days in stage: "40 days"; "about 40 days" when the day the deal entered
        it is known only to the period (History's snapshots, from before the log)."""
        return f"{'' if self.began_exact else 'about '}{self.days_in_stage} days"

    def against(self, whose: str = "your") -> str:
        """What the days in stage are measured against: "your won deals took 7" (the
        rep's own won deals, with enough of them), "the team's won deals took 7",
        or, with too few won deals through the stage, "the 30-day default"."""
        if not self.typical_from_won:
            return f"the {self._days(self.typical_days)}-day default"
        team = self._days(self.typical_days)
        if self.own_typical_days is None:
            return f"the team's won deals took {team}"
        own = self._days(self.own_typical_days)
        # slow is measured against the team's: said too, where the rep's differs
        return f"{whose} won deals took {own}" + ("" if own == team else f", the team's {team}")

    def stage_time(self, whose: str = "your") -> str:
        """The time in stage as the recap and the agenda say it: "40 days in Trial;
        your won deals took 7", "40 days in Trial vs the 30-day default"."""
        return self._measured(f"{self.days_words} in {self.stage}", whose)

    def _measured(self, head: str, whose: str) -> str:
        return f"{head}{'; ' if self.typical_from_won else ' vs '}{self.against(whose)}"

    @staticmethod
    def _days(value: float) -> str:
        """A median of days as said: whole days, or to a tenth ("7", "7.5")."""
        return f"{round(value, 1):g}"


@dataclass
class RepSignals:
    rep: str
    pipeline: float = 0.0
    quota: float | None = None
    won_this_period: float = 0.0
    coverage: float | None = None  # pipeline / remaining quota
    won: int = 0
    lost: int = 0
    win_rate: float | None = None
    median_cycle_won: float | None = None
    median_cycle_lost: float | None = None
    hit_rate: float | None = None
    streak: int = 0  # commitments hit in a row, up to the latest scored one
    stage_days_won: dict[str, float] = field(default_factory=dict)  # median, this rep's
    stage_days_lost: dict[str, float] = field(default_factory=dict)
    stage_spread_won: dict[str, Spread] = field(default_factory=dict)  # quartiles too
    stage_spread_lost: dict[str, Spread] = field(default_factory=dict)
    cycle_won: Spread | None = None
    cycle_lost: Spread | None = None
    stalled: int = 0
    pushed: int = 0
    slow: int = 0


@dataclass
class TeamSignals:
    deals: list[DealSignal] = field(default_factory=list)
    reps: dict[str, RepSignals] = field(default_factory=dict)
    stage_days_won: dict[str, float] = field(default_factory=dict)  # median, per stage
    stage_days_lost: dict[str, float] = field(default_factory=dict)
    stage_spread_won: dict[str, Spread] = field(default_factory=dict)  # quartiles too
    stage_spread_lost: dict[str, Spread] = field(default_factory=dict)
    median_cycle_won: float | None = None
    median_cycle_lost: float | None = None
    cycle_won: Spread | None = None
    cycle_lost: Spread | None = None
    notes: list[str] = field(default_factory=list)  # e.g. which stages use the default

    def for_rep(self, rep: str) -> list[DealSignal]:
        return [d for d in self.deals if d.rep == rep]


def _day(value: CellValue) -> float:
    try:
        d = read_date(value)
    except ValueError:
        return float("nan")
    return float(d.toordinal()) if d is not None else float("nan")


def _money(value: CellValue) -> float:
    try:
        n = read_number(value)
    except ValueError:
        return 0.0
    return float(n) if n is not None else 0.0


def _closed_stages(template: Template) -> tuple[set[str], set[str]]:
    """(won, lost) stage names: those the deal sections declare (``closed_when``'s
    ``won`` and ``lost``). A template that declares none (``in:`` only) falls back
    to the names: a closing stage with "won" in it is won, the others lost."""
    if template.won_stages or template.lost_stages:
        return _folded(template.won_stages), _folded(template.lost_stages)
    won: set[str] = set()
    lost: set[str] = set()
    for sec in template.sections:
        rule = sec.carry.closed_when
        if sec.role == "deals" and rule is not None:
            for v in rule.values:
                (won if "won" in str(v).casefold() else lost).add(str(v).casefold())
    return won, lost


def _folded(names: tuple[str, ...]) -> set[str]:
    """Stage names as compared: a stage typed "closed WON" in History is still won."""
    return {n.casefold() for n in names}


SIGNAL_COLUMNS = ("stage", "close_date", "stage_since", "amount", "result")


def history_frame(
    grid: list[list[CellValue]], columns: tuple[str, ...] = SIGNAL_COLUMNS
) -> pd.DataFrame:
    """History's rows as a frame: the fixed columns and those of ``columns`` that
    History has. Picking columns one by one is several times faster than handing
    pandas every row, and keeps memory to what the signals read."""
    fixed = list(HISTORY_FIXED)
    if not grid:
        return pd.DataFrame(columns=fixed)
    header = [str(h) for h in grid[0]]
    wanted = fixed + [c for c in columns if c in header and c not in fixed]
    data = {}
    for name in wanted:
        i = header.index(name) if name in header else None
        data[name] = [r[i] if i is not None and i < len(r) else None for r in grid[1:]]
    return pd.DataFrame(data, columns=wanted)


def _mapped(values: pd.Series, fn: Callable[[CellValue], float]) -> pd.Series:
    """``fn`` over a column, computed once per distinct value."""
    uniques = values.dropna().unique()
    return values.map(dict(zip(uniques, map(fn, uniques), strict=True))).astype(float)


def _period_days(labels: pd.Series, cadence: Cadence, day: Callable[[Period], date]) -> pd.Series:
    """``day`` of each period label, as an ordinal, worked out once per label."""
    days = {}
    for label in labels.dropna().unique():
        try:
            days[label] = float(day(parse_period(str(label), cadence)).toordinal())
        except Exception:  # a hand-edited History row: leave it out
            days[label] = float("nan")
    return labels.map(days).astype(float)


def _period_starts(labels: pd.Series, cadence: Cadence) -> pd.Series:
    return _period_days(labels, cadence, lambda p: p.start)


def _period_ends(labels: pd.Series, cadence: Cadence) -> pd.Series:
    """The day after each period ends (the next one's start), as ordinals."""
    return _period_days(labels, cadence, lambda p: p.next().start)


def compute(
    history: pd.DataFrame,
    pages: Mapping[str, Page],
    template: Template,
    cadence: Cadence,
    today: date,
    quotas: Mapping[str, float | None],
    settings: SignalSettings | None = None,
    log: Sequence[StageChange] = (),
) -> TeamSignals:
    """The team's signals from History (``history_frame``), the pages as they are
    now and the stage log (``stage_log``, with the changes this command saw), in
    named steps: every snapshot of every deal, pushes, stays in stage and the
    outcome of each deal, stage and cycle times, the open deals' signals, each
    rep's figures, and the commitments kept."""
    settings = settings or SignalSettings()
    out = TeamSignals()
    deal_sections = [s for s in template.sections if s.role == "deals"]
    snaps = _history_snapshots(history, {s.key for s in deal_sections}, cadence)
    current = _current_deals(pages, deal_sections, cadence)
    all_snaps = _all_snapshots(snaps, current)
    pushes, push_days = _pushes(all_snaps)
    runs = stays(all_snaps, log)
    final = runs.groupby("id", sort=False).tail(1).set_index("id")
    outcome = _outcomes(final, template)
    deal_days, closed = per_deal(runs, outcome), cycles(runs, outcome)
    _stage_and_cycle_times(out, deal_days, closed)
    defaults_used = _open_deals(out, current, final, deal_days, pushes, push_days, settings, today)
    _notes(out, settings, defaults_used, deal_days, closed)
    _reps(out, pages, quotas, template, settings, deal_days, closed)
    _commitments(out, history, template, cadence, settings)
    return out


def _history_snapshots(
    history: pd.DataFrame, deal_keys: set[str], cadence: Cadence
) -> pd.DataFrame:
    """Every deal's snapshot in History: rep, id, its period's start and end, stage,
    close date and "Stage since" (day ordinals)."""
    hist = history[history["section"].isin(deal_keys) & history["id"].astype(bool)]
    return pd.DataFrame(
        {
            "rep": hist["rep"].astype(str),
            "id": hist["id"].astype(str),
            "start": _period_starts(hist["period"], cadence),
            "end": _period_ends(hist["period"], cadence),
            "stage": hist.get("stage", pd.Series(index=hist.index, dtype=object)).astype(str),
            "close": _mapped(
                hist.get("close_date", pd.Series(index=hist.index, dtype=object)), _day
            ),
            "since": _mapped(
                hist.get("stage_since", pd.Series(index=hist.index, dtype=object)), _day
            ),
        }
    )


CURRENT_COLUMNS = ["rep", "id", "start", "stage", "close", "since", "label", "amount", "activity"]


def _current_deals(
    pages: Mapping[str, Page], deal_sections: Sequence[Section], cadence: Cadence
) -> pd.DataFrame:
    """The pages' open deals as they are now, one row each (``CURRENT_COLUMNS``)."""
    rows = []
    for rep, page in pages.items():
        start = float(parse_period(page.period_label, cadence).start.toordinal())
        for sec in deal_sections:
            if sec.key not in page.sections:
                continue
            for item in page.items(sec.key):
                if not item.id or not is_open(sec, item):
                    continue
                v = item.values
                rows.append(
                    {
                        "rep": rep,
                        "id": item.id,
                        "start": start,
                        "stage": str(v.get("stage") or ""),
                        "close": _day(v.get("close_date")),
                        "since": _day(v.get("stage_since")),
                        "label": item.label(sec),
                        "amount": _money(v.get("amount")),
                        "activity": _day(v.get("last_activity")),
                    }
                )
    return pd.DataFrame(rows, columns=CURRENT_COLUMNS)


def _all_snapshots(snaps: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """History's snapshots and the pages' current rows, one per deal and period,
    in order of deal and period."""
    now = current[["rep", "id", "start", "stage", "close", "since"]]
    out = pd.concat([snaps, now], ignore_index=True)
    out = out.dropna(subset=["start"]).drop_duplicates(["id", "start"], keep="last")
    return out.sort_values(["id", "start"], kind="stable").reset_index(drop=True)


def _pushes(all_snaps: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per deal: how often its close date moved later than the snapshot before, and
    by how many days in all."""
    step = all_snaps.groupby("id", sort=False)["close"].diff()
    later = step.where(step > 0)
    return later.notna().groupby(all_snaps["id"]).sum(), later.fillna(0).groupby(
        all_snaps["id"]
    ).sum()


def _outcomes(final: pd.DataFrame, template: Template) -> pd.Series:
    """Each deal's outcome from its last stay's stage: won, lost or open."""
    won_stages, lost_stages = _closed_stages(template)

    def outcome(stage: object) -> str:
        folded = str(stage).casefold()
        return "won" if folded in won_stages else "lost" if folded in lost_stages else "open"

    return final["stage"].map(outcome)


def _stage_and_cycle_times(out: TeamSignals, deal_days: pd.DataFrame, closed: pd.DataFrame) -> None:
    """The team's days in each stage and its cycles, for won and for lost deals."""
    for kind in ("won", "lost"):
        team_spread = {str(k): v for k, v in spreads(deal_days, kind, "stage").items()}
        setattr(out, f"stage_spread_{kind}", team_spread)
        setattr(out, f"stage_days_{kind}", {k: v.median for k, v in team_spread.items()})
        rows = closed[closed["outcome"] == kind]
        spread = Spread.of(rows["days"], rows["exact"]) if len(rows) else None
        setattr(out, f"cycle_{kind}", spread)
        setattr(out, f"median_cycle_{kind}", spread.median if spread else None)


def _open_deals(
    out: TeamSignals,
    current: pd.DataFrame,
    final: pd.DataFrame,
    deal_days: pd.DataFrame,
    pushes: pd.Series,
    push_days: pd.Series,
    settings: SignalSettings,
    today: date,
) -> set[str]:
    """Each open deal's signals (``out.deals``): stalled, pushed, days in its stage
    against the won deals'. Returns the stages compared with the default, for too
    few won deals through them."""
    now = float(today.toordinal())
    counts_won = {k: v.deals for k, v in out.stage_spread_won.items()}
    rep_medians = spreads(deal_days, "won", ["rep", "stage"])
    defaults_used: set[str] = set()
    for row in current.itertuples(index=False):
        stage = str(row.stage)
        begin = final["begin"].get(row.id, row.start)
        days_in = int(now - begin)
        from_won = int(counts_won.get(stage, 0)) >= settings.min_won
        typical = (
            float(out.stage_days_won[stage]) if from_won else float(settings.default_stage_days)
        )
        own = rep_medians.get((row.rep, stage))
        if not from_won and stage:
            defaults_used.add(stage)
        idle = None if pd.isna(row.activity) else int(now - row.activity)
        out.deals.append(
            DealSignal(
                str(row.rep),
                str(row.id),
                str(row.label),
                stage,
                float(row.amount),
                idle is None or idle > settings.stalled_days,
                idle,
                int(pushes.get(row.id, 0)),
                int(push_days.get(row.id, 0)),
                days_in,
                typical,
                from_won,
                typical > 0 and days_in > settings.slow_factor * typical,
                date.fromordinal(int(begin)),
                bool(final["exact"].get(row.id, False)),
                own.median if own is not None and own.deals >= settings.min_won else None,
            )
        )
    return defaults_used


def _notes(
    out: TeamSignals,
    settings: SignalSettings,
    defaults_used: set[str],
    deal_days: pd.DataFrame,
    closed: pd.DataFrame,
) -> None:
    """What the figures rest on: stages compared with the default, and times at
    period granularity (from History's snapshots, before the stage log)."""
    if defaults_used:
        out.notes.append(
            f"fewer than {settings.min_won} won deals went through "
            f"{', '.join(sorted(defaults_used))}: compared with the default of "
            f"{settings.default_stage_days} days"
        )
    rough = int((~deal_days["exact"]).sum()) + int((~closed["exact"]).sum())
    if rough:
        out.notes.append(
            f"{rough} of {len(deal_days) + len(closed)} stage and cycle times come from "
            "History's snapshots of the time before the stage log began: those are at "
            "period granularity"
        )


def _reps(
    out: TeamSignals,
    pages: Mapping[str, Page],
    quotas: Mapping[str, float | None],
    template: Template,
    settings: SignalSettings,
    deal_days: pd.DataFrame,
    closed: pd.DataFrame,
) -> None:
    """Each rep's figures: pipeline, coverage, flagged deals, won this period, won
    and lost deals with their stage times and cycles, win rate."""
    won_stages, _ = _closed_stages(template)
    deal_sections = [s for s in template.sections if s.role == "deals"]
    for rep, page in pages.items():
        rs = RepSignals(rep, quota=quotas.get(rep))
        mine = out.for_rep(rep)
        rs.pipeline = sum(d.amount for d in mine)
        rs.stalled = sum(d.stalled for d in mine)
        rs.pushed = sum(d.pushes >= settings.push_flag for d in mine)
        rs.slow = sum(d.slow for d in mine)
        for sec in deal_sections:
            for item in page.items(sec.key) if sec.key in page.sections else []:
                if str(item.values.get("stage") or "").casefold() in won_stages:
                    rs.won_this_period += _money(item.values.get("amount"))
        if rs.quota:
            remaining = max(rs.quota - rs.won_this_period, 0.0)
            rs.coverage = rs.pipeline / remaining if remaining else None
        out.reps[rep] = rs
    for kind in ("won", "lost"):
        for (rep, stage), spread in spreads(deal_days, kind, ["rep", "stage"]).items():
            if rep in out.reps:
                getattr(out.reps[str(rep)], f"stage_spread_{kind}")[str(stage)] = spread
                getattr(out.reps[str(rep)], f"stage_days_{kind}")[str(stage)] = spread.median
    rep_cycles = {kind: spreads(closed, kind, "rep") for kind in ("won", "lost")}
    for rep, rs in out.reps.items():
        for kind in ("won", "lost"):
            cycle = rep_cycles[kind].get(rep)
            setattr(rs, kind, cycle.deals if cycle else 0)
            setattr(rs, f"cycle_{kind}", cycle)
            setattr(rs, f"median_cycle_{kind}", cycle.median if cycle else None)
        rs.win_rate = rs.won / (rs.won + rs.lost) if rs.won + rs.lost else None


def _commitments(
    out: TeamSignals,
    history: pd.DataFrame,
    template: Template,
    cadence: Cadence,
    settings: SignalSettings,
) -> None:
    """Each rep's hit rate over the last periods' scored commitments, and the
    current streak of hits."""
    scored = [s for s in template.sections if s.role == "commitments" and s.carry.score]
    for sec in scored:
        assert sec.carry.score is not None
        col = sec.carry.score.column
        hit, miss = sec.carry.score.hit, sec.carry.score.miss
        if col not in history.columns:
            continue
        rows = history[(history["section"] == sec.key) & history[col].isin([hit, miss])]
        rows = rows.assign(start=_period_starts(rows["period"], cadence))
        for rep, group in rows.sort_values("start", kind="stable").groupby("rep"):
            if rep not in out.reps:
                continue
            periods = sorted(group["start"].dropna().unique())[-settings.lookback :]
            recent = group[group["start"].isin(periods)]
            rs = out.reps[str(rep)]
            rs.hit_rate = float((recent[col] == hit).mean()) if len(recent) else None
            results = list(group[col])
            streak = 0
            for result in reversed(results):
                if result != hit:
                    break
                streak += 1
            rs.streak = streak


TREND_COLUMNS = ("pipeline", "coverage", "win_rate", "hit_rate")


def trends(
    history: pd.DataFrame,
    pages: Mapping[str, Page],
    template: Template,
    cadence: Cadence,
    quotas: Mapping[str, float | None],
    periods: int = 12,
) -> pd.DataFrame:
    """Per rep and period (the last ``periods`` of them): open pipeline at the close
    of the period, pipeline over quota, win rate of the deals closed in it, and the
    hit rate of the commitments scored in it. The current pages count as the
    current period."""
    won_stages, lost_stages = _closed_stages(template)
    deal_keys = {s.key for s in template.sections if s.role == "deals"}
    frames = [history]
    current: list[dict[str, CellValue]] = []
    for rep, page in pages.items():
        for key in deal_keys & set(page.sections):
            for item in page.items(key):
                current.append(
                    {
                        "period": page.period_label,
                        "rep": rep,
                        "section": key,
                        "stage": item.values.get("stage"),
                        "amount": item.values.get("amount"),
                    }
                )
    if current:
        frames.append(pd.DataFrame(current))
    df = pd.concat(frames, ignore_index=True)
    if df.empty:
        return pd.DataFrame(columns=["rep", "period", *TREND_COLUMNS])
    labels = sorted(df["period"].dropna().astype(str).unique())[-periods:]
    df = df[df["period"].astype(str).isin(labels)]
    deals = df[df["section"].isin(deal_keys)]
    stage = deals.get("stage", pd.Series(index=deals.index, dtype=object)).astype(str)
    amount = _mapped(deals.get("amount", pd.Series(index=deals.index, dtype=object)), _money)
    folded = stage.str.casefold()
    is_won, is_lost = folded.isin(won_stages), folded.isin(lost_stages)
    open_amount = amount.where(~(is_won | is_lost), 0.0).fillna(0.0)
    keys = [deals["rep"].astype(str), deals["period"].astype(str)]
    out = pd.DataFrame(
        {
            "pipeline": open_amount.groupby(keys).sum(),
            "won": is_won.groupby(keys).sum(),
            "lost": is_lost.groupby(keys).sum(),
        }
    )
    closed = out["won"] + out["lost"]
    out["win_rate"] = (out["won"] / closed).where(closed > 0)
    quota = pd.Series(
        [quotas.get(rep) or float("nan") for rep in out.index.get_level_values(0)],
        index=out.index,
        dtype=float,
    )
    out["coverage"] = out["pipeline"] / quota
    out["hit_rate"] = float("nan")
    for sec in template.sections:
        score = sec.carry.score
        if sec.role != "commitments" or score is None or score.column not in df.columns:
            continue
        rows = df[(df["section"] == sec.key) & df[score.column].isin([score.hit, score.miss])]
        rate = (
            (rows[score.column] == score.hit)
            .groupby([rows["rep"].astype(str), rows["period"].astype(str)])
            .mean()
        )
        out["hit_rate"] = out["hit_rate"].combine_first(rate.astype(float))
    out = out.reset_index(names=["rep", "period"])
    return out[["rep", "period", *TREND_COLUMNS]].sort_values(["rep", "period"])
