"""``sheetsync demo``: a realistic team in a local workbook, two periods rolled.

The demo plays the people too: between rollovers it edits the pages the way a rep
and a manager would (closes deals, pushes a close date, ticks actions done)."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sheetsync import mailing, usecases
from sheetsync.adapters.registry import open_workbook
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
OPEN_STAGES = ["Qualify", "Discovery", "Demo", "Trial", "Proposal", "Negotiation"]

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
    """Read every page, let ``edit`` play the people, write the pages back."""
    with open_workbook(team.workbook) as wb:
        _, pages, errors = usecases.load_pages(team, wb)
        if errors:
            raise SheetsyncError(next(iter(errors.values())))
        plan = WritePlan()
        for n, rep in enumerate(team.reps):
            page = pages[rep.name]
            edit(rep, page, random.Random(f"{rep.name}{page.period_label}{n}"))
            plan.replace.append(usecases.rep_layout(team, rep, page))
        wb.write(plan)


def _deal(rng: random.Random, period: Period, stage: str | None = None) -> dict[str, CellValue]:
    account = rng.choice(ACCOUNTS)
    return {
        "opportunity": f"{account} {rng.choice(PRODUCTS)}",
        "account": account,
        "amount": rng.choice([8, 12, 18, 25, 40, 60, 95]) * 1000,
        "stage": stage or rng.choice(OPEN_STAGES[:3]),
        "close_date": period.end + timedelta(days=rng.choice([20, 35, 50, 65])),
        "last_activity": period.start + timedelta(days=rng.randint(3, 20)),
        "next_step": rng.choice(
            [
                "Send proposal",
                "Book demo with IT",
                "Security review",
                "Meet economic buyer",
                "Pricing call",
            ]
        ),
    }


def _first_period(rep: Rep, page: Page, rng: random.Random) -> None:
    meeting = page.header["meeting_date"]
    assert isinstance(meeting, date)
    period = period_of(meeting, Cadence.MONTHLY)
    add = page.items
    page.header["personal_goal"] = rng.choice(
        ["Run my own enterprise cycle end to end", "Make President's Club", "Grow into team lead"]
    )
    add("wins").append(Item(None, {"win": "Closed Hooli pilot two weeks early"}))
    for stage in ("Discovery", "Demo", "Proposal", "Trial", "Negotiation"):
        add("existing_opportunities").append(Item(None, _deal(rng, period, stage)))
    # the deal whose close date will keep slipping
    add("existing_opportunities").append(
        Item(
            None,
            {
                **_deal(rng, period, "Negotiation"),
                "opportunity": "Northwind renewal",
                "account": "Northwind",
                "amount": 48000,
                "close_date": period.end,
            },
        )
    )
    # the stalled deal: nothing logged for weeks
    add("existing_opportunities").append(
        Item(
            None,
            {
                **_deal(rng, period, "Proposal"),
                "opportunity": "Globex expansion",
                "account": "Globex",
                "last_activity": period.start - timedelta(days=25),
            },
        )
    )
    add("new_opportunities").append(Item(None, _deal(rng, period)))
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
    deals = page.items("existing_opportunities")
    for item in deals:
        name = str(item.values.get("opportunity"))
        if name == "Northwind renewal":
            item.values["close_date"] = period.end + timedelta(days=30)  # pushed again
            item.values["last_activity"] = meeting - timedelta(days=4)
        elif name == "Globex expansion":
            continue  # still no activity: stalled
        elif item.values.get("stage") == "Negotiation":
            item.values["stage"] = "Closed won"
        elif item.values.get("stage") == "Trial" and rng.random() < 0.5:
            item.values["stage"] = "Closed lost"
        else:
            item.values["last_activity"] = meeting - timedelta(days=rng.randint(1, 9))
    page.items("new_opportunities").append(Item(None, _deal(rng, period)))
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


NEXT_STAGE = {"Discovery": "Demo", "Demo": "Trial", "Trial": "Proposal", "Proposal": "Negotiation"}


def _current_period(rep: Rep, page: Page, rng: random.Random, today: date) -> None:
    start = period_of(today, Cadence.MONTHLY).start
    for item in page.items("existing_opportunities"):
        name = item.values.get("opportunity")
        close = item.values.get("close_date")
        if name == "Northwind renewal" and isinstance(close, date):
            item.values["close_date"] = close + timedelta(days=30)  # pushed a second time
            item.values["last_activity"] = max(start, today - timedelta(days=3))
        elif name == "Globex expansion":
            continue  # still nothing logged: stalled, and slow in Proposal
        elif rng.random() < 0.7:  # most deals move on and were worked on this month
            stage = str(item.values.get("stage") or "")
            item.values["stage"] = NEXT_STAGE.get(stage, stage)
            item.values["stage_since"] = max(start, today - timedelta(days=rng.randint(1, 10)))
            item.values["last_activity"] = max(start, today - timedelta(days=rng.randint(0, 6)))
    page.items("agenda").append(
        Item(None, {"topic": "Northwind keeps slipping: how to get a date"})
    )
    page.items("agenda").append(Item(None, {"topic": "Territory split for Q1"}))


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
    usecases.init(team, first.start)
    _edit_pages(team, _first_period)
    usecases.rollover(team, first.next().start)
    _edit_pages(team, _second_period)
    usecases.rollover(team, current.start)
    _edit_pages(team, functools.partial(_current_period, today=today))
    usecases.refresh(team, today)  # the signals on the pages and the Team tab
    with open_workbook(team.workbook) as wb:
        history = len(wb.read(["History"]).grids.get("History", [])) - 1
    outbox = team.mail.outbox or directory / "outbox"
    for old in [*outbox.glob("*.eml"), *(outbox / "preview").glob("*.eml")]:
        old.unlink()  # a previous demo's messages
    # last period's recaps, from History, and the agenda of each rep's next 1:1
    recaps = mailing.recap(team, today, period=current.previous().label)
    agendas = mailing.agenda(team, today, days_before=40)  # next 1:1 is under 6 weeks away
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
