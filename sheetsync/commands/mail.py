"""The ``recap`` and ``agenda`` commands as library functions.

Each reads the team once, decides per rep whether a message is due, then sends
the messages one by one. The ledger makes each message go out at most once:

- just before a message is handed over, a ``<kind>:sending`` row is written;
- once it is accepted, a ``<kind>`` row (rep, period, time, Message-ID), or
  ``<kind>:failed`` when the server said no. These ride with the next message's
  ``sending`` row, so N messages cost N + 1 ledger writes.

A run stopped half-way (a crash, a kill, a server that drops the connection) is
picked up by the next run with exactly the messages that did not go. A message
whose ``sending`` row has no outcome was being handed over when the run died: it
may have gone, so it is not sent again but named, to be checked and resent by
hand with ``--resend``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sheetsync.adapters.mailers import MailError, OutboxMailer, RecipientRefused, open_mailer
from sheetsync.adapters.registry import open_workbook
from sheetsync.commands.workbook import load_pages, now_text, read_also, rolled_from
from sheetsync.config import Rep, Team
from sheetsync.domain.followup import (
    HistoryIndex,
    MeetingTime,
    PageLink,
    Recap,
    build_agenda,
    build_recap,
)
from sheetsync.domain.page import Item, Page, SectionContent
from sheetsync.domain.periods import Period, parse_period, period_of
from sheetsync.domain.plan import Snapshot
from sheetsync.domain.stage_log import STAGE_LOG_TAB
from sheetsync.domain.values import CellValue
from sheetsync.errors import SheetsyncError
from sheetsync.meeting_clock import day_words, length_words, meeting_over, when_words
from sheetsync.messages import Outgoing, Templates, agenda_message, recap_message
from sheetsync.ports import Workbook

if TYPE_CHECKING:
    from sheetsync.domain.signals import TeamSignals


@dataclass
class Delivery:
    rep: str
    kind: str
    period: str
    status: str  # sent | preview | skipped | error | unsent
    detail: str = ""


@dataclass
class MailResult:
    team: str
    kind: str
    deliveries: list[Delivery] = field(default_factory=list)
    previews: Path | None = None

    @property
    def failed(self) -> bool:
        return any(d.status in ("error", "unsent") for d in self.deliveries)


Key = tuple[str, str, str]  # kind, rep, period
SENDING, FAILED = "sending", "failed"  # written as "<kind>:sending", "<kind>:failed"


@dataclass
class Sent:
    """What the ledger says of each message: when it went, and the ones a run was
    handing over when it stopped (the time it started)."""

    when: dict[Key, str] = field(default_factory=dict)
    interrupted: dict[Key, str] = field(default_factory=dict)


def _sent(snap: Snapshot) -> Sent:
    out = Sent()
    for r in snap.ledger:
        if len(r) < 4 or not isinstance(r[0], str):
            continue
        kind, _, outcome = r[0].partition(":")
        if kind not in ("recap", "agenda"):
            continue
        key = (kind, str(r[1]), str(r[2]))
        if not outcome:
            out.when[key] = str(r[3])
            out.interrupted.pop(key, None)
        elif outcome == SENDING:
            out.interrupted[key] = str(r[3])
        else:
            out.interrupted.pop(key, None)
    return out


def _signals(team: Team, snap: Snapshot, pages: dict[str, Page], today: date) -> TeamSignals:
    # pandas is loaded here, when a message is built: a run with nothing due never does
    from sheetsync.commands.deal_health import history_table, team_signals
    from sheetsync.commands.team_tab import stage_log

    history = history_table(team, snap)
    log = stage_log(team, snap, history, pages, today)  # counted, written by no mail command
    return team_signals(team, history, pages, today, log)


def deal_flags(signals: TeamSignals, rep: str) -> dict[str, list[str]]:
    """Each of the rep's deals' flags by id, but slow in stage (``stage_times``)."""
    flags = {d.deal_id: d.worded(slow=False) for d in signals.for_rep(rep)}
    return {deal: said for deal, said in flags.items() if said}


def stage_times(signals: TeamSignals, rep: str) -> dict[str, str]:
    """Each of the rep's deals slow in its stage, by id: "40 days in Trial; your won
    deals took 7" (or the team's, or the default), as the emails say it to the rep."""
    return {d.deal_id: d.stage_time() for d in signals.for_rep(rep) if d.slow}


def _selected(team: Team, rep_name: str | None) -> tuple[Rep, ...]:
    return (team.rep(rep_name),) if rep_name else team.reps


def page_from_history(team: Team, rep: Rep, period: Period, history: HistoryIndex) -> Page | None:
    """A closed period's page, rebuilt from the rows History archived for it."""
    rows = history.by_rep_period.get((rep.name, period.label))
    if not rows:
        return None
    sections: dict[str, SectionContent] = {}
    for sec in team.template.sections:
        content = SectionContent(sec.key, sec.title)
        for section_key, snap, _outcome in rows:
            if section_key != sec.key:
                continue
            values = {}
            for col in sec.columns:
                try:
                    values[col.key] = col.parse(snap.values.get(col.key))
                except ValueError:
                    values[col.key] = snap.values.get(col.key)
            since = snap.values.get("since")
            since_text = str(since) if since else None
            content.items.append(Item(snap.item_id or None, values, since_text))
        sections[sec.key] = content
    header: dict[str, CellValue] = {
        "rep": rep.name,
        "period": period.label,
        "meeting_date": team.meeting_date(period),
        "next_meeting": team.meeting_date(period.next()),
    }
    return Page(rep.tab, header, sections)


def _deliver(
    wb: Workbook,
    team: Team,
    result: MailResult,
    outgoing: list[Outgoing],
    dry_run: bool,
) -> None:
    if dry_run:
        folder = (team.mail.outbox or Path("outbox")) / "preview"
        previews = OutboxMailer(folder)
        for out in outgoing:
            previews.send(out.message)
            result.deliveries.append(
                Delivery(out.rep.name, out.kind, out.period, "preview", str(folder))
            )
        result.previews = folder if outgoing else None
        return
    if not outgoing:
        return
    outcomes: list[list[CellValue]] = []  # written with the next "sending" row, or last
    try:
        with open_mailer(team.mail) as mailer:
            for n, out in enumerate(outgoing):
                row: list[CellValue] = [out.kind, out.rep.name, out.period, now_text()]
                wb.record([*outcomes, [f"{out.kind}:{SENDING}", *row[1:], out.message_id]])
                outcomes = []
                try:
                    refused = mailer.send(out.message)
                except MailError as exc:
                    outcomes.append([f"{out.kind}:{FAILED}", *row[1:], str(exc)])
                    result.deliveries.append(
                        Delivery(out.rep.name, out.kind, out.period, "error", str(exc))
                    )
                    if isinstance(exc, RecipientRefused):
                        continue
                    for later in outgoing[n + 1 :]:
                        result.deliveries.append(
                            Delivery(
                                later.rep.name, later.kind, later.period, "unsent", "not tried"
                            )
                        )
                    return
                detail = f"to {out.rep.email}, {out.message_id}"
                if refused:
                    detail += f" (refused by the server: {', '.join(refused)})"
                outcomes.append([*row, detail])
                result.deliveries.append(
                    Delivery(
                        out.rep.name, out.kind, out.period, "sent", f"{mailer.where}: {detail}"
                    )
                )
    finally:
        if outcomes:
            wb.record(outcomes)


@dataclass
class Skip:
    detail: str
    period: str = ""


@dataclass
class Due:
    period: str  # the period the ledger records the message under
    build: Callable[[], Outgoing]
    # why no message goes after all (a page with nothing on it), asked last, once
    # the ledger and the address allow one
    nothing: Callable[[], str | None] = lambda: None


@dataclass
class Context:
    """What every rep's decision may look at: one read of the team."""

    team: Team
    today: date
    now: datetime | None  # None: ``today`` as a whole day that is over (--today)
    wb: Workbook
    read_more: Callable[[], Snapshot]  # History and the stage log, read once if needed
    compute_signals: Callable[[Snapshot], TeamSignals]
    templates: Templates
    sent: Sent
    rolled_from: dict[str, str]  # rep -> the period their page was last rolled from

    @cached_property
    def history(self) -> HistoryIndex:
        """History, read when a decision or a message first needs it: a run with
        nothing due does not read it."""
        return HistoryIndex(self.read_more().grids.get("History", []))

    @cached_property
    def signals(self) -> TeamSignals:
        """Computed once, and only when a message is built: a run with nothing
        due does not compute them."""
        return self.compute_signals(self.read_more())

    def held(self, meeting: date) -> bool:
        return meeting_over(self.team, meeting, self.today, self.now)

    def page_link(self, rep: Rep) -> PageLink:
        """A link that opens the page for everyone who gets the email: a Google
        sheet's own, or the ``link`` a team set for its local file; a local path
        would open only on the machine that ran sheetsync, so without ``link``
        the email says where the page is in words."""
        workbook = self.team.workbook
        if workbook.type == "google":
            return PageLink(self.wb.link(rep.tab), f"tab '{rep.tab}' of the team's Google sheet")
        name = workbook.path.name if workbook.path else "the team's workbook"
        return PageLink(workbook.link or "", f"tab '{rep.tab}' in {name}")

    def meeting_time(self, day: date, period: Period) -> MeetingTime:
        moved = ""
        if day == self.team.meeting_date(period) and (off := self.team.meeting_moved(period)):
            regular, why = off
            moved = f"moved from {day_words(regular)}, {why}"
        length = length_words(self.team.mail.meeting_minutes)
        return MeetingTime(when_words(self.team, day), length, moved)


Decision = Due | Skip


def _run(
    team: Team,
    today: date,
    now: datetime | None,
    kind: str,
    rep_name: str | None,
    dry_run: bool,
    resend: bool,
    decide: Callable[[Context, Rep, Page], list[Decision]],
) -> MailResult:
    """Read once; per rep, ``decide`` which messages are due; send what is,
    except what the ledger says went already (unless ``resend``)."""
    result = MailResult(team.name, kind)
    templates = Templates(team.mail.templates)
    with open_workbook(team.workbook) as wb:
        snap, pages, errors = load_pages(team, wb)
        if not snap.exists:
            raise SheetsyncError(f"{wb.location}: no workbook yet; run sheetsync init first")
        sent = _sent(snap)
        ctx = Context(
            team,
            today,
            now,
            wb,
            functools.cache(lambda: read_also(team, wb, snap, ["History", STAGE_LOG_TAB])),
            lambda more: _signals(team, more, pages, today),
            templates,
            sent,
            rolled_from(snap),
        )
        sent_at, interrupted = sent.when, sent.interrupted
        outgoing: list[Outgoing] = []
        for rep in _selected(team, rep_name):

            def note(status: str, detail: str, label: str = "", rep: Rep = rep) -> None:
                result.deliveries.append(Delivery(rep.name, kind, label, status, detail))

            page = pages.get(rep.name)
            if rep.name in errors or page is None:
                note(
                    "error" if rep.name in errors else "skipped",
                    errors.get(rep.name) or f"tab '{rep.tab}': no page yet; run sheetsync init",
                )
                continue
            for decision in decide(ctx, rep, page):
                if isinstance(decision, Skip):
                    note("skipped", decision.detail, decision.period)
                elif (key := (kind, rep.name, decision.period)) in sent_at and not resend:
                    note("skipped", f"already sent {sent_at[key]}", decision.period)
                elif key in interrupted and not resend:
                    note(
                        "error",
                        f"a run stopped while sending it ({interrupted[key]}), so it may have "
                        f"gone out: check the sent mail, then send it with --rep '{rep.name}' "
                        "--resend",
                        decision.period,
                    )
                elif not rep.mailable:
                    note("error", f"{rep.email_error}; no {kind} sent", decision.period)
                elif why := decision.nothing():
                    note("skipped", why, decision.period)
                else:
                    outgoing.append(decision.build())
        _deliver(wb, team, result, outgoing, dry_run)
    return result


def _recap_due(ctx: Context, rep: Rep, page: Page, period: Period, flags: bool = True) -> Decision:
    """The recap of ``page`` (of ``period``); none for a page with nothing on it."""
    team = ctx.team

    def content(with_flags: bool) -> Recap:
        nxt = page.header.get("next_meeting")
        return build_recap(
            page,
            team.template,
            ctx.history,
            rep.name,
            team.manager.name,
            period,
            ctx.page_link(rep),
            team.currency,
            deal_flags(ctx.signals, rep.name) if with_flags else None,
            ctx.meeting_time(nxt, period.next()) if isinstance(nxt, date) else None,
            stage_times(ctx.signals, rep.name) if with_flags else None,
        )

    def nothing() -> str | None:
        if content(False).empty:
            return f"nothing on the page for {period.label}: no recap"
        return None

    return Due(
        period.label,
        lambda: recap_message(team, rep, content(flags), ctx.templates),
        nothing,
    )


def recap(
    team: Team,
    today: date,
    rep_name: str | None = None,
    period: str | None = None,
    dry_run: bool = False,
    resend: bool = False,
    now: datetime | None = None,
) -> MailResult:
    """A recap to each rep whose meeting is over (its end time has passed, in the
    team's time zone) and who has not had one yet, including the recap of the
    period a rollover has just closed."""
    target = parse_period(period, team.cadence) if period else None

    def decide(ctx: Context, rep: Rep, page: Page) -> list[Decision]:
        current = parse_period(page.period_label, team.cadence)
        if target is not None and target != current:
            old = page_from_history(team, rep, target, ctx.history)
            if old is None:
                return [Skip(f"History has no rows of {rep.name} for {target.label}")]
            return [_recap_due(ctx, rep, old, target, flags=False)]
        out: list[Decision] = []
        meeting = page.header.get("meeting_date")
        label = current.label
        # the period a rollover closed is still recapped, until this period's
        # meeting is over (then this period's recap is the one that matters)
        closed = ctx.rolled_from.get(rep.name)
        this_held = isinstance(meeting, date) and ctx.held(meeting)
        if target is None and closed and not this_held and not _sent_for(ctx, rep, closed):
            out += _closed_recap(ctx, rep, closed)
        if not isinstance(meeting, date):
            out.append(Skip("no meeting date on the page", label))
        elif target is None and not this_held:
            out.append(Skip(f"waits for the meeting to end: {when_words(team, meeting)}", label))
        elif team.mail.approval and target is None and page.header.get("send_recap") is not True:
            out.append(Skip("waiting for the manager to tick 'Send recap'", label))
        else:
            out.append(_recap_due(ctx, rep, page, current))
        return out

    return _run(team, today, now, "recap", rep_name, dry_run, resend, decide)


def _sent_for(ctx: Context, rep: Rep, label: str) -> bool:
    key = ("recap", rep.name, label)
    return key in ctx.sent.when or key in ctx.sent.interrupted


def _closed_recap(ctx: Context, rep: Rep, label: str) -> list[Decision]:
    """The recap of the period a rollover closed before it went out (the meeting
    was held, the recap run had not come yet): rebuilt from History."""
    try:
        closed = parse_period(label, ctx.team.cadence)
    except SheetsyncError:
        return []
    old = page_from_history(ctx.team, rep, closed, ctx.history)
    if old is None:  # the page archived nothing
        return [Skip(f"nothing on the page for {closed.label}: no recap", closed.label)]
    meeting = old.header.get("meeting_date")
    if isinstance(meeting, date) and not ctx.held(meeting):
        return []
    if ctx.team.mail.approval:
        return [
            Skip(
                f"{closed.label} closed before 'Send recap' was ticked; send it with "
                f"--period {closed.label} --rep '{rep.name}'",
                closed.label,
            )
        ]
    return [_recap_due(ctx, rep, old, closed, flags=False)]


def next_meeting(ctx: Context, page: Page) -> date | None:
    """The page's meeting if it is not over yet, else the next one it names."""
    for key in ("meeting_date", "next_meeting"):
        value = page.header.get(key)
        if isinstance(value, date) and value >= ctx.today and not ctx.held(value):
            return value
    return None


def agenda(
    team: Team,
    today: date,
    days_before: int | None = None,
    rep_name: str | None = None,
    dry_run: bool = False,
    resend: bool = False,
    now: datetime | None = None,
) -> MailResult:
    """Before each rep's next meeting, the agenda with what to bring and an invitation."""
    lead = team.mail.agenda_days_before if days_before is None else days_before

    def decide(ctx: Context, rep: Rep, page: Page) -> list[Decision]:
        meeting = next_meeting(ctx, page)
        if meeting is None:
            return [Skip("no meeting date ahead on the page")]
        if meeting - today > timedelta(days=lead):
            return [Skip(f"meeting on {meeting.isoformat()}; agenda goes {lead} days before")]
        # the meeting of the page's period (even one moved past its end), or the next
        period = parse_period(page.period_label, team.cadence)
        if meeting != page.header.get("meeting_date"):
            period = period.next() if period.end < meeting else period_of(meeting, team.cadence)

        def build() -> Outgoing:
            content = build_agenda(
                page,
                team.template,
                ctx.history,
                rep.name,
                team.manager.name,
                period,
                meeting,
                ctx.page_link(rep),
                ctx.meeting_time(meeting, period),
                team.currency,
                deal_flags(ctx.signals, rep.name),
                stage_times(ctx.signals, rep.name),
            )
            return agenda_message(team, rep, content, ctx.templates)

        return [Due(period.label, build)]

    return _run(team, today, now, "agenda", rep_name, dry_run, resend, decide)
