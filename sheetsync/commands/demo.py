"""``sheetsync demo``: a realistic team in a local workbook, two periods rolled.

The demo plays the people too: between commands it edits the pages the way a rep
and a manager would (moves deals on, closes them, pushes a close date, ticks
actions done). It runs the commands a team would: ``init``, then a ``refresh``
about every ten days and a ``rollover`` at each period's start, and a last
``refresh`` today. Each deal has a story, its stages and the days it entered
them; the rep types each change of stage with its "Stage since" date, and the
command after records it in ``_stages``, dated by that date. A command sees one
stage per deal, so a deal moves at most once between two commands: the stage
history in ``_stages`` is what the commands recorded, nothing written around them.

The story in numbers: won deals moved fast (a few days to two weeks a stage),
lost deals lingered (three to six weeks), and each rep's Globex expansion has sat
in Proposal since the summer, far longer than the won deals' median there."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sheetsync.adapters.registry import open_workbook
from sheetsync.commands import cycle, mail, workbook
from sheetsync.config import Rep, Team, load_config
from sheetsync.domain.page import Item, Page
from sheetsync.domain.periods import Cadence, Period, period_of
from sheetsync.domain.plan import WritePlan
from sheetsync.domain.values import CellValue
from sheetsync.errors import SheetsyncError

REPS = [
    ("Alice Chen", "alice.chen"),
    ("Bruno Silva", "bruno.silva"),
    ("Chloé Martin", "chloe.martin"),
    ("Dev Patel", "dev.patel"),
    ("Emma Okafor", "emma.okafor"),
]
ACCOUNTS = [
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark Freight",
    "Wayne Retail",
    "Acme Health",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Wonka",
]
PRODUCTS = ["platform deal", "renewal", "expansion", "pilot", "upsell"]
STEPS = [
    "Next step call",
    "Book demo with IT",
    "Security review",
    "Meet economic buyer",
    "Pricing call",
    "Send proposal",
]
# the days a stage lasts in the deals' stories: (fewest, most)
WON_DAYS = {
    "Qualify": (2, 5),
    "Discovery": (3, 8),
    "Demo": (4, 10),
    "Trial": (7, 14),
    "Proposal": (2, 6),
    "Negotiation": (5, 12),
}
LOST_DAYS = (21, 42)  # lost deals lingered
OPEN_DAYS = (9, 24)

CONFIG = """\
# A demo team made by `sheetsync demo`. Every key is explained in config.example.yaml.
teams:
  - name: Demo West
    manager: {{name: Dana Reyes, email: dana.reyes@example.com}}
    cadence: monthly
    meeting_day: last friday
    timezone: America/Los_Angeles
    holidays: US                     # December's last Friday is Christmas Day: the 24th
    workbook: {{type: xlsx, path: team.xlsx}}
    reps:
{reps}
"""


@dataclass
class DemoResult:
    team: str
    reps: int
    periods: str
    workbook: Path
    config: Path
    history_rows: int
    outbox: Path
    messages: int


def _edit_pages(team: Team, edit: Callable[[Rep, Page, random.Random], None]) -> None:
    """Read every page, let ``edit`` play the people, write the changes back in
    place (as a rollover writes a page: the rows added, the cells changed)."""
    with open_workbook(team.workbook) as wb:
        snap, pages, errors = workbook.load_pages(team, wb)
        if errors:
            raise SheetsyncError(next(iter(errors.values())))
        plan = WritePlan()
        for n, rep in enumerate(team.reps):
            page = pages[rep.name]
            before = page.snapshot()
            edit(rep, page, random.Random(f"{rep.name}{page.period_label}{n}"))
            grid = snap.grids[rep.tab]
            plan.edit.append(workbook.rep_edit(team, rep, before, grid, page, None, reshape=True))
        wb.write(plan)


# --- the deals' stories ---------------------------------------------------------------


@dataclass
class _Story:
    """One deal as its rep types it: ``values`` (all but the stage), and ``path``,
    each stage it entered and the day, in order. The rep types the deal before
    command ``seen`` (an index into the demo's command days); ``worked``: the rep
    logs activity on it as it goes."""

    values: dict[str, CellValue]
    path: list[tuple[str, date]]
    seen: int
    section: str = "existing_opportunities"
    worked: bool = True

    def at(self, day: date) -> tuple[str, date]:
        """The stage the deal is in on ``day``, and since when."""
        return [step for step in self.path if step[1] <= day][-1]


def _path(
    rng: random.Random,
    days: list[date],
    seen: int,
    first: date,
    stages: tuple[str, ...],
    stays: list[tuple[int, int]],
    every: bool,
) -> list[tuple[str, date]]:
    """A deal in ``stages[0]`` since ``first`` (typed before command ``seen``) that
    then enters each next stage after a stay drawn from ``stays`` (fewest, most
    days). A command sees one stage per deal, so each move comes after the command
    that saw the one before; ``every``: the next command sees it (a deal that keeps
    moving). The story stops where the commands, up to today, run out."""
    path = [(stages[0], first)]
    s, d = seen, first
    for stage, (fewest, most) in zip(stages[1:], stays, strict=True):
        after = days[s] + timedelta(days=1)  # the command that saw the last move
        end = days[s + 1] if every and s + 1 < len(days) else days[-1]
        if after > end:
            break
        earliest = min(max(d + timedelta(days=fewest), after), end)
        latest = min(max(d + timedelta(days=most), earliest), end)
        d = earliest + timedelta(days=rng.randint(0, (latest - earliest).days))
        s = next(k for k, day in enumerate(days) if d <= day)
        path.append((stage, d))
    return path


def _stories(n: int, days: list[date], first: Period) -> list[_Story]:
    """Rep ``n``'s deals over the demo's commands (``days``: init, the commands of
    the first two periods, today's refresh)."""
    rng = random.Random(f"stages {n}")
    taken = {"Northwind renewal", "Globex expansion"}
    names = [(a, f"{a} {p}") for a in ACCOUNTS for p in PRODUCTS if f"{a} {p}" not in taken]
    rng.shuffle(names)

    def story(
        stages: tuple[str, ...],
        since: date,
        seen: int,
        amounts: list[int],
        stays: dict[str, tuple[int, int]] | tuple[int, int],
        every: bool = False,
        worked: bool = True,
    ) -> _Story:
        account, name = names.pop()
        typed = max(since, days[seen - 1])
        steps = [stays[s] if isinstance(stays, dict) else stays for s in stages[:-1]]
        return _Story(
            {
                "opportunity": name,
                "account": account,
                "amount": rng.choice(amounts) * 1000,
                "close_date": typed + timedelta(days=rng.randint(30, 75)),
                "last_activity": min(since + timedelta(days=rng.randint(1, 4)), days[seen]),
                "next_step": rng.choice(STEPS),
            },
            _path(rng, days, seen, since, stages, steps, every),
            seen,
            "existing_opportunities" if seen == 1 else "new_opportunities",
            worked,
        )

    def before(day: date, fewest: int, most: int) -> date:
        return day - timedelta(days=rng.randint(fewest, most))

    won, lost, small = [25, 40, 60, 95], [12, 18, 25, 40, 60], [8, 12, 18, 25, 40]
    first_won = (
        ("Qualify", "Discovery", "Demo", "Proposal", "Negotiation", "Closed won")
        if n % 2 == 0
        else ("Discovery", "Demo", "Trial", "Proposal", "Negotiation", "Closed won")
    )
    out = [
        # won fast: a stage at every command, from early September
        story(first_won, before(days[1], 2, 6), 1, won, WON_DAYS, every=True),
        story(
            ("Trial", "Proposal", "Negotiation", "Closed won"),
            before(days[1], 3, 9),
            1,
            won,
            WON_DAYS,
            every=True,
        ),
        # lost: lingered weeks in each stage, activity dying down
        story(
            ("Demo", "Trial", "Closed lost"),
            before(first.start, 3, 12),
            1,
            lost,
            LOST_DAYS,
            worked=False,
        ),
        # open: moving, more slowly than the won deals did
        story(("Discovery", "Demo", "Trial"), before(days[1], 1, 8), 1, small, OPEN_DAYS),
        story(("Qualify", "Discovery", "Demo"), before(days[4], 1, 7), 4, small, OPEN_DAYS),
        story(("Qualify",), max(days[6], before(days[7], 0, 5)), 7, small, OPEN_DAYS),
    ]
    if n % 4 != 2:  # lost after weeks in Proposal
        out.append(
            story(
                ("Proposal", "Closed lost"),
                before(days[1], 1, 6),
                1,
                lost,
                LOST_DAYS,
                worked=False,
            )
        )
    # the renewal whose close date keeps slipping, and the deal stuck in Proposal
    # since the summer with nothing logged for weeks
    northwind = _Story(
        {
            "opportunity": "Northwind renewal",
            "account": "Northwind",
            "amount": 48000,
            "close_date": first.end,
            "last_activity": first.start + timedelta(days=rng.randint(3, 8)),
            "next_step": "Pricing call",
        },
        [("Negotiation", before(first.start, 12, 20))],
        1,
        worked=False,
    )
    globex = _Story(
        {
            "opportunity": "Globex expansion",
            "account": "Globex",
            "amount": rng.choice(small) * 1000,
            "close_date": first.end + timedelta(days=rng.choice([20, 35, 50])),
            "last_activity": first.start - timedelta(days=25),
            "next_step": "Meet economic buyer",
        },
        [("Proposal", before(first.start, 35, 50))],
        1,
        worked=False,
    )
    return [*out[:3], northwind, globex, *out[3:]]


def _deals_move(page: Page, stories: list[_Story], days: list[date], k: int) -> None:
    """The rep's deals as they stand on command ``k``'s day: new ones typed, each
    change of stage typed with its "Stage since" date, activity logged."""
    rng = random.Random(f"{page.period_label} {k}")
    by_name = {
        str(item.values.get("opportunity")): item
        for key in ("new_opportunities", "existing_opportunities")
        for item in page.items(key)
    }
    day = days[k]
    for deal in stories:
        if deal.seen > k:
            continue
        stage, since = deal.at(day)
        closed = stage.startswith("Closed")
        if deal.seen == k:
            item = Item(None, {**deal.values, "stage": stage, "stage_since": since})
            page.items(deal.section).append(item)
        elif (found := by_name.get(str(deal.values["opportunity"]))) is None:
            continue  # closed, and rolled into History
        else:
            item = found
            if item.values.get("stage") != stage:
                item.values["stage"] = stage
                item.values["stage_since"] = since
                item.values["last_activity"] = since
        if deal.worked and not closed:
            last = max(since, day - timedelta(days=rng.randint(0, 6)))
            item.values["last_activity"] = last


def _first_period(rep: Rep, page: Page, rng: random.Random) -> None:
    meeting = page.header["meeting_date"]
    assert isinstance(meeting, date)
    period = period_of(meeting, Cadence.MONTHLY)
    add = page.items
    page.header["personal_goal"] = rng.choice(
        ["Run my own enterprise cycle end to end", "Make President's Club", "Grow into team lead"]
    )
    add("wins").append(Item(None, {"win": "Closed Hooli pilot two weeks early"}))
    add("working").append(Item(None, {"item": "Multi-threading into finance early"}))
    add("not_working").append(
        Item(
            None,
            {"item": "Demos run long, no time for next steps", "plan": "Timebox demos to 30 min"},
        )
    )
    add("not_working").append(
        Item(None, {"item": "Slow legal review on MSAs", "plan": "Send redlines with the proposal"})
    )
    for kpi, target in (("Discovery calls", 20), ("Demos held", 8), ("Proposals sent", 4)):
        add("kpis").append(
            Item(None, {"kpi": kpi, "target": target, "actual": target + rng.randint(-5, 3)})
        )
    add("career").append(
        Item(
            None, {"goal": "Lead a deal over $100k", "next_step": "Shadow Dana on the Tyrell cycle"}
        )
    )
    add("commitments").append(
        Item(None, {"what": "Book discovery calls", "measure": "calls", "target": 12})
    )
    add("commitments").append(
        Item(None, {"what": "Send proposals", "measure": "proposals", "target": 3})
    )
    for what, owner, status in (
        ("Update CRM next steps", "Rep", "Done"),
        ("Intro to Northwind CFO", "Manager", "Open"),
        ("Build ROI calculator for Globex", "Rep", "In progress"),
    ):
        add("actions").append(
            Item(
                None,
                {
                    "what": what,
                    "owner": owner,
                    "status": status,
                    "due": period.end - timedelta(days=3),
                },
            )
        )


def _second_period(rep: Rep, page: Page, rng: random.Random) -> None:
    meeting = page.header["meeting_date"]
    assert isinstance(meeting, date)
    period = period_of(meeting, Cadence.MONTHLY)
    for item in page.items("existing_opportunities"):
        if item.values.get("opportunity") == "Northwind renewal":
            item.values["close_date"] = period.end + timedelta(days=30)  # pushed again
            item.values["last_activity"] = meeting - timedelta(days=4)
    page.items("wins").append(Item(None, {"win": "Two-year term on the Initech deal"}))
    page.items("not_working")[0].values["resolved"] = True
    for item in page.items("kpis"):
        target = item.values.get("target")
        item.values["actual"] = (target if isinstance(target, int) else 0) + rng.randint(-4, 4)
    for item in page.items("commitments"):
        target = item.values.get("target")
        if isinstance(target, int):
            item.values["actual"] = target + rng.randint(-3, 2)
    page.items("commitments").append(
        Item(None, {"what": "Multi-thread every Proposal deal", "measure": "deals", "target": 3})
    )
    for item in page.items("actions"):
        if item.values.get("status") == "In progress":
            item.values["status"] = "Done"
    page.items("actions").append(
        Item(
            None,
            {
                "what": "Ask Northwind for a signing date",
                "owner": "Rep",
                "status": "Open",
                "due": meeting + timedelta(days=7),
            },
        )
    )


def _current_period(rep: Rep, page: Page, rng: random.Random, today: date) -> None:
    start = period_of(today, Cadence.MONTHLY).start
    for item in page.items("existing_opportunities"):
        close = item.values.get("close_date")
        if item.values.get("opportunity") == "Northwind renewal" and isinstance(close, date):
            item.values["close_date"] = close + timedelta(days=30)  # pushed a second time
            item.values["last_activity"] = max(start, today - timedelta(days=3))
    page.items("agenda").append(
        Item(None, {"topic": "Northwind keeps slipping: how to get a date"})
    )
    page.items("agenda").append(Item(None, {"topic": "Territory split for Q1"}))


def _play(
    team: Team,
    stories: dict[str, list[_Story]],
    days: list[date],
    k: int,
    people: Callable[[Rep, Page, random.Random], None] | None = None,
) -> None:
    """The people's edits before command ``k``: ``people``'s, and the deals moved on
    to where their stories stand that day."""

    def edit(rep: Rep, page: Page, rng: random.Random) -> None:
        if people is not None:
            people(rep, page, rng)
        _deals_move(page, stories[rep.name], days, k)

    _edit_pages(team, edit)


def build_demo(directory: Path, today: date) -> DemoResult:
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / "config.yaml"
    workbook = directory / "team.xlsx"
    made_by_demo = config_path.is_file() and config_path.read_text(
        encoding="utf-8", errors="replace"
    ).startswith(CONFIG.splitlines()[0])
    if (config_path.exists() or workbook.exists()) and not made_by_demo:
        raise SheetsyncError(
            f"{directory}: holds a config.yaml or team.xlsx that the demo did not make; "
            "pick an empty folder"
        )
    workbook.unlink(missing_ok=True)  # a previous demo's: start again
    reps = "\n".join(
        f"      - {{name: {name}, email: {mail}@example.com, quota: {q}}}"
        for (name, mail), q in zip(REPS, (120000, 100000, 110000, 90000, 100000), strict=False)
    )
    config_path.write_text(CONFIG.format(reps=reps), encoding="utf-8")
    team = load_config(config_path).teams[0]
    current = period_of(today, team.cadence)
    first = current.previous().previous()
    second = first.next()
    # the commands' days: init, a refresh about every ten days and a rollover at
    # each period's start, and a refresh today
    days = [
        first.start,
        first.start + timedelta(days=9),
        first.start + timedelta(days=19),
        second.start,
        second.start + timedelta(days=9),
        second.start + timedelta(days=19),
        current.start,
        today,
    ]
    stories = {rep.name: _stories(n, days, first) for n, rep in enumerate(team.reps)}
    cycle.init(team, days[0])
    people: dict[int, Callable[[Rep, Page, random.Random], None]] = {
        1: _first_period,
        4: _second_period,
        7: functools.partial(_current_period, today=today),
    }
    for k, day in enumerate(days[1:], start=1):
        _play(team, stories, days, k, people.get(k))
        if k in (3, 6):  # a period's first day
            cycle.rollover(team, day)
        else:
            cycle.refresh(team, day)  # the signals on the pages and the Team tab
    with open_workbook(team.workbook) as wb:
        history = len(wb.read(["History"]).grids.get("History", [])) - 1
    outbox = team.mail.outbox or directory / "outbox"
    for old in [*outbox.glob("*.eml"), *(outbox / "preview").glob("*.eml")]:
        old.unlink()  # a previous demo's messages
    # last period's recaps, from History, and the agenda of each rep's next 1:1
    recaps = mail.recap(team, today, period=current.previous().label)
    agendas = mail.agenda(team, today, days_before=40)  # next 1:1 is under 6 weeks away
    sent = [d for d in recaps.deliveries + agendas.deliveries if d.status == "sent"]
    return DemoResult(
        team.name,
        len(team.reps),
        f"{first.label} -> {current.label}",
        workbook,
        config_path,
        history,
        outbox,
        len(sent),
    )
