"""Time in stage from each deal's dated stage history (issue 15), with pandas.

A deal's stay in a stage runs from the day it entered the stage to the day it
entered the next one. Entries come from the stage log (``stage_log``: to the
day) and, for the time before a deal's first logged change, from History's
snapshots (a period's start, or the "Stage since" a person typed): those stays
are at period granularity, and say so (``exact``).

A deal that left a stage and came back spent the sum of its stays there. Stats
of won (or lost) deals describe each deal's days in a stage it went through
before it was won (or lost); the cycle runs from its first entry to the close.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sheetsync.domain.stage_log import StageChange

RUN_COLUMNS = ["id", "rep", "stage", "begin", "exact"]


@dataclass(frozen=True)
class Spread:
    """Days (a stage's stays, or cycles) of a set of deals: median and quartiles;
    ``exact``: how many of the ``deals`` are known to the day."""

    median: float
    q1: float
    q3: float
    deals: int
    exact: int

    @property
    def at_period_granularity(self) -> bool:
        return self.exact < self.deals

    @staticmethod
    def of(days: pd.Series, exact: pd.Series) -> Spread:
        q1, median, q3 = (float(v) for v in days.quantile([0.25, 0.5, 0.75]))
        return Spread(median, q1, q3, int(days.count()), int(exact.sum()))


def snapshot_runs(snaps: pd.DataFrame) -> pd.DataFrame:
    """Stays read from snapshots (``snaps``: id, rep, start, stage, since, sorted by
    id and start): consecutive snapshots of a deal in one stage are one stay, from
    the earliest "Stage since" typed in it, else the first snapshot's period start."""
    if snaps.empty:
        return pd.DataFrame(columns=RUN_COLUMNS)
    new_run = (snaps["stage"] != snaps["stage"].shift()) | (snaps["id"] != snaps["id"].shift())
    runs = snaps.groupby(new_run.cumsum(), sort=False).agg(
        id=("id", "first"),
        rep=("rep", "last"),
        stage=("stage", "first"),
        first=("start", "min"),
        since=("since", "min"),
    )
    runs["begin"] = runs["since"].fillna(runs["first"])
    runs["exact"] = False
    return runs[RUN_COLUMNS].reset_index(drop=True)


def log_runs(log: Sequence[StageChange]) -> pd.DataFrame:
    """Stays read from the stage log: each change begins one, to the day."""
    return pd.DataFrame(
        {
            "id": [c.deal_id for c in log],
            "rep": [c.rep for c in log],
            "stage": [c.to_stage for c in log],
            "begin": [float(c.on.toordinal()) for c in log],
            "exact": True,
        },
        columns=RUN_COLUMNS,
    )


def _folded(stages: pd.Series) -> pd.Series:
    """Stage names as compared (case and spacing aside), each distinct name folded
    once: a str accessor over every row costs a third of a second at 150,000 rows."""
    names = stages.fillna("").astype(str)  # pandas 3 keeps a missing value missing
    return names.map({n: " ".join(str(n).casefold().split()) for n in names.unique()})


def stays(snaps: pd.DataFrame, log: Sequence[StageChange]) -> pd.DataFrame:
    """Every stay of every deal, in order: the log's, and the snapshots' from before
    a deal's first logged change. Columns: id, rep (the deal's latest owner), stage,
    begin and end (day ordinals; end NaN for the stay a deal is in), days, and
    ``exact`` (both ends known to the day)."""
    logged = log_runs(log)
    if not logged.empty and not snaps.empty:
        # a snapshot is the stage a deal was in where its period ended: before the
        # deal's first logged change, it says what the log does not; after it, the
        # log knows better (the stage the first change left is kept: a rep may date
        # a change before the rollover that took the snapshot)
        firsts = (
            logged.assign(left=[c.from_stage for c in log])
            .sort_values("begin", kind="stable")
            .drop_duplicates("id")
            .set_index("id")
        )
        cut = snaps["id"].map(firsts["begin"])
        left = snaps["id"].map(firsts["left"]).fillna("")
        ended = snaps["end"] if "end" in snaps else pd.Series(float("nan"), index=snaps.index)
        same = _folded(snaps["stage"]) == _folded(left)
        snaps = snaps[cut.isna() | (ended <= cut) | ((snaps["start"] < cut) & same)]
    from_snaps = snapshot_runs(snaps)
    if not logged.empty:
        first = logged.groupby("id")["begin"].min()
        cut = from_snaps["id"].map(first)
        from_snaps = from_snaps[cut.isna() | (from_snaps["begin"] < cut)]
    parts = [p for p in (from_snaps, logged) if not p.empty]
    if not parts:
        return pd.DataFrame(columns=[*RUN_COLUMNS, "end", "days"])
    runs = pd.concat(parts, ignore_index=True)
    runs = runs.sort_values(["id", "begin", "exact"], kind="stable").reset_index(drop=True)
    folded = _folded(runs["stage"])
    same = (folded == folded.shift()) & (runs["id"] == runs["id"].shift())
    runs = runs[~same].reset_index(drop=True)  # a stage seen again without a change
    owner = runs[runs["rep"].astype(bool)].groupby("id")["rep"].last()
    runs["rep"] = runs["id"].map(owner).fillna(runs["rep"])
    nxt = runs.groupby("id", sort=False)
    runs["end"] = nxt["begin"].shift(-1)
    ends_exact = nxt["exact"].shift(-1, fill_value=True).astype(bool)  # current: its begin
    runs["exact"] = runs["exact"].astype(bool) & ends_exact
    runs["days"] = runs["end"] - runs["begin"]
    return runs


def per_deal(runs: pd.DataFrame, outcome: pd.Series) -> pd.DataFrame:
    """Days each closed deal spent in each stage it left (all its stays summed):
    id, rep, stage, days, exact, outcome (``outcome``: id -> won | lost | open)."""
    done = runs.dropna(subset=["days"]).assign(outcome=lambda f: f["id"].map(outcome))
    done = done[done["outcome"].isin(["won", "lost"])]
    return (
        done.groupby(["id", "stage"], sort=False)
        .agg(
            rep=("rep", "first"),
            days=("days", "sum"),
            exact=("exact", "all"),
            outcome=("outcome", "first"),
        )
        .reset_index()
    )


def spreads(deals: pd.DataFrame, kind: str, by: str | list[str]) -> dict[Any, Spread]:
    """The key of ``by`` (a column, or a tuple for several) -> Spread of the days
    of the deals of outcome ``kind``. Quartiles are computed for every group at
    once: one ``Series.quantile`` per group costs about a millisecond, and 200 reps
    times their stages make thousands of groups."""
    rows = deals[deals["outcome"] == kind]
    if rows.empty:
        return {}
    groups = rows.assign(days=rows["days"].astype(float)).groupby(by, sort=True)
    q = groups["days"].quantile([0.25, 0.5, 0.75]).unstack()
    count = groups["days"].count().reindex(q.index)
    exact = groups["exact"].sum().reindex(q.index)
    return {
        key: Spread(float(median), float(q1), float(q3), int(n), int(e))
        for key, q1, median, q3, n, e in zip(
            q.index, q[0.25], q[0.5], q[0.75], count, exact, strict=True
        )
    }


def cycles(runs: pd.DataFrame, outcome: pd.Series) -> pd.DataFrame:
    """Each closed deal's cycle: first entry to the day it entered its closing
    stage. Columns: id, rep, days, exact, outcome."""
    if runs.empty:
        return pd.DataFrame(columns=["id", "rep", "days", "exact", "outcome"])
    by_id = runs.groupby("id", sort=False)
    out = pd.DataFrame(
        {
            "rep": by_id["rep"].last(),
            "days": by_id["begin"].last() - by_id["begin"].first(),
            "exact": by_id["exact"].all(),
        }
    )
    out["outcome"] = out.index.map(outcome)
    out = out[out["outcome"].isin(["won", "lost"])]
    return out.reset_index(names="id")
