"""The thresholds of the deal-health signals, as config sets them (no pandas here,
so loading a config stays quick)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SignalSettings:
    stalled_days: int = 14  # no activity for longer: stalled
    push_flag: int = 2  # a close date moved later this many times: flagged
    slow_factor: float = 1.5  # days in stage over this times the won deals' median: slow
    min_won: int = 3  # fewer won deals through a stage: use default_stage_days
    default_stage_days: int = 30
    coverage_target: float = 3.0  # open pipeline over remaining quota
    lookback: int = 6  # periods of commitments for the hit rate
