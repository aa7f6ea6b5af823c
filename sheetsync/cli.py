"""The command line: parse options, call one use case, render its result.
The only place where errors become an ``Error: ...`` line and an exit code."""

from __future__ import annotations

import calendar
import functools
import json
import logging
import re
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import click

from sheetsync import __version__
from sheetsync.config import Config, Team, load_config
from sheetsync.errors import SheetsyncError
from sheetsync.wording import plural
from sheetsync.workbook_path import missing_workbook

if TYPE_CHECKING:  # the commands import what they use when they run: --help stays quick
    from sheetsync.commands import mail

EXIT_ERROR = 1
EXIT_PARTIAL = 3  # some reps' tabs could not be processed; the others were
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT
F = TypeVar("F", bound=Callable[..., Any])


def boundary(func: F) -> F:
    """Turn a ``SheetsyncError`` into one ``Error:`` line and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SheetsyncError as exc:
            click.echo(f"Error: {exc}", err=True)
            raise SystemExit(EXIT_ERROR) from None
        except KeyboardInterrupt:  # Ctrl-C: what was written is whole (one write)
            click.echo("Interrupted; run the command again to finish", err=True)
            raise SystemExit(EXIT_INTERRUPTED) from None

    return wrapper  # type: ignore[return-value]


class Ctx:
    def __init__(self, config_path: Path, today: str | None) -> None:
        self.config_path = config_path
        self.today_text = today
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
            for warning in self._config.warnings:
                click.echo(f"Warning: {warning}", err=True)
        return self._config

    def teams(self, name: str | None) -> tuple[Team, ...]:
        """The teams a command works on, each with a workbook that exists (a local
        path that names no file is one line saying so, before anything is read)."""
        teams = self.config.select(name)
        for team in teams:
            problem = missing_workbook(self.config, team)
            if problem is not None:
                raise SheetsyncError(problem)
        return teams

    def today(self, team: Team | None = None) -> date:
        if self.today_text:
            return parse_today(self.today_text)[0]
        if team is None:
            return date.today()
        return datetime.now(ZoneInfo(team.timezone)).date()

    def now(self, team: Team) -> datetime | None:
        """The time in the team's zone, to tell whether a meeting is over: the
        clock's, or ``--today``'s when it has one (``2026-11-27T09:00``); None when
        ``--today`` names a whole day (back-filling: that day is taken as over)."""
        if not self.today_text:
            return datetime.now(ZoneInfo(team.timezone))
        day, clock = parse_today(self.today_text)
        return None if clock is None else datetime.combine(day, clock, ZoneInfo(team.timezone))


_TODAY = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]([01]?\d|2[0-3]):([0-5]\d))?\s*")


def parse_today(text: str) -> tuple[date, time | None]:
    """``--today``: a date written YYYY-MM-DD that is on the calendar, and the
    time when one follows (``2026-11-27T09:00``)."""
    m = _TODAY.fullmatch(text)
    if m is None:
        raise SheetsyncError(
            f"--today '{text}' is not a date written YYYY-MM-DD (for example 2026-11-27), "
            "or a date and time like 2026-11-27T09:00"
        )
    y, mo, d = (int(g) for g in m.groups()[:3])
    if not 1 <= mo <= 12:
        raise SheetsyncError(f"--today '{text}' is not a calendar date: there is no month {mo}")
    days = calendar.monthrange(y, mo)[1] if y >= 1 else 31
    if y < 1 or not 1 <= d <= days:
        why = f"{calendar.month_name[mo]} {y} has {days} days" if y >= 1 else "there is no year 0"
        raise SheetsyncError(f"--today '{text}' is not a calendar date: {why}")
    clock = time(int(m[4]), int(m[5])) if m[4] is not None else None
    return date(y, mo, d), clock


@click.group()
@click.version_option(__version__, prog_name="sheetsync")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default="config.yaml",
    envvar="SHEETSYNC_CONFIG",
    show_default=True,
    help="The config file (or $SHEETSYNC_CONFIG).",
)
@click.option(
    "--today",
    metavar="YYYY-MM-DD[THH:MM]",
    help="Act as if today were this date (a whole day, over), or this time.",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Say each request, file write and mail hand-over."
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path, today: str | None, verbose: bool) -> None:
    """Run sales 1:1 coaching meetings from a shared spreadsheet."""
    ctx.obj = Ctx(config_path, today)
    logger = logging.getLogger("sheetsync")
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    if not any(isinstance(h, EchoHandler) for h in logger.handlers):
        logger.addHandler(EchoHandler())
    logger.propagate = False


class EchoHandler(logging.Handler):
    """Log lines to the current standard error: ``sheetsync: ...`` for what
    ``--verbose`` shows, ``Warning: ...`` for what everyone must see (a workbook
    read while open in Excel or LibreOffice, a stale lock file ignored)."""

    def emit(self, record: logging.LogRecord) -> None:
        prefix = "Warning:" if record.levelno >= logging.WARNING else "sheetsync:"
        click.echo(f"{prefix} {record.getMessage()}", err=True)


team_option = click.option("--team", "team_name", help="Only this team (default: all).")


@cli.command()
@team_option
@click.option(
    "--share",
    is_flag=True,
    help="Share the Google spreadsheet, as editors, with the manager and reps who cannot edit it.",
)
@click.option("--notify", is_flag=True, help="With --share: Google emails each one an invitation.")
@click.pass_obj
@boundary
def init(obj: Ctx, team_name: str | None, share: bool, notify: bool) -> None:
    """Create the workbook, or add the tabs it is missing. Never changes existing tabs."""
    from sheetsync.commands import cycle

    partial = False
    for team in obj.config.select(team_name):
        res = cycle.init(team, obj.today(team), share, notify)
        for new, old in res.renamed.items():
            click.echo(f"{team.name}: tab '{old}' renamed '{new}' (its rep's name in the config)")
        if res.created:
            click.echo(f"{team.name}: created {', '.join(res.created)} in {res.location}")
        else:
            click.echo(f"{team.name}: nothing to do; every tab exists in {res.location}")
        if res.sharing:
            click.echo(f"{team.name}: {res.sharing}")
        for s in res.shared:
            if s.outcome == "failed":
                partial = True
                line = f"Error: {team.name}: could not share with {s.email}: {s.detail}"
                click.echo(line, err=True)
            else:
                click.echo(f"{team.name}: {s.outcome} with {s.email} as an editor ({s.detail})")
        if share and not res.shared and not res.sharing:
            click.echo(f"{team.name}: everyone of the team may already edit the spreadsheet")
    if partial:
        raise SystemExit(EXIT_PARTIAL)


@cli.command()
@team_option
@click.option("--period", help="Roll to this period (e.g. 2026-11) instead of the current one.")
@click.option("--dry-run", is_flag=True, help="Show what would move, stay and be archived.")
@click.pass_obj
@boundary
def rollover(obj: Ctx, team_name: str | None, period: str | None, dry_run: bool) -> None:
    """Start the new period on every rep page: carry open items, archive the rest."""
    from sheetsync.commands import cycle

    partial = False
    for team in obj.teams(team_name):
        res = cycle.rollover(team, obj.today(team), period, dry_run, obj.now(team))
        verb = "would roll" if dry_run else "rolled"
        for r in res.reps:
            for warning in r.warnings:
                click.echo(f"Warning: {warning}", err=True)
            if r.renamed_from:
                done = "would be renamed" if dry_run else "renamed"
                click.echo(f"{team.name} / {r.rep}: tab '{r.renamed_from}' {done} '{r.tab}'")
            if r.error:
                partial = True
                click.echo(f"Error: {r.error}", err=True)
            elif r.action == "rolled":
                click.echo(
                    f"{team.name} / {r.rep}: {verb} {r.from_period} -> {r.to_period}: "
                    f"{len(r.stayed)} stay, {len(r.moved)} move, {len(r.archived)} archived"
                )
                if dry_run:
                    for label, items in (
                        ("stay", r.stayed),
                        ("move", r.moved),
                        ("archive", r.archived),
                    ):
                        for item in items:
                            click.echo(f"    {label:8} {item}")
            elif r.action == "created":
                click.echo(f"{team.name} / {r.rep}: new page for {r.to_period}")
            elif r.action == "waiting":
                click.echo(
                    f"{team.name} / {r.rep}: waits for its meeting on {r.waits_for}; "
                    f"the {r.from_period} page rolls after it"
                )
            elif r.action == "mended":
                click.echo(f"{team.name} / {r.rep}: up to date ({r.from_period}), Period put back")
            else:
                click.echo(f"{team.name} / {r.rep}: up to date ({r.from_period})")
        if res.stage_changes:
            recorded = "would record" if dry_run else "recorded"
            changes = plural(res.stage_changes, "change")
            click.echo(f"{team.name}: {recorded} {changes} of stage in the deals' stage log")
        if not res.changed:
            click.echo(f"{team.name}: nothing to do for {res.period}")
        elif dry_run:
            click.echo(f"{team.name}: dry run, nothing written")
    if partial:
        raise SystemExit(EXIT_PARTIAL)


def _money(value: float) -> str:
    return f"${value:,.0f}"


@cli.command()
@team_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
@boundary
def status(obj: Ctx, team_name: str | None, as_json: bool) -> None:
    """Per rep: period, meeting date, open deals and pipeline, open actions, carried items."""
    from sheetsync.commands import status as reading

    results = [reading.status(t, obj.today(t)) for t in obj.teams(team_name)]
    partial = any(r.error for res in results for r in res.reps)
    if as_json:
        data = [asdict(res) for res in results]
        click.echo(json.dumps(data, indent=2, default=str))
        raise SystemExit(EXIT_PARTIAL if partial else 0)
    for res in results:
        click.echo(f"{res.team}  ({res.location}, current period {res.period})")
        head = ("Rep", "Period", "Meeting", "Deals", "Pipeline", "Actions", "Carried")
        rows = [head]
        for r in res.reps:
            if r.error:
                continue
            meeting = r.meeting_date.strftime("%d %b") if r.meeting_date else "-"
            rows.append(
                (
                    r.rep,
                    r.period,
                    meeting,
                    str(r.open_deals),
                    _money(r.pipeline),
                    str(r.open_actions),
                    str(r.carried_over),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
        for row in rows:
            cells = [
                c.ljust(w) if i < 3 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            click.echo("  " + "  ".join(cells))
        for r in res.reps:
            for warning in r.warnings:
                click.echo(f"Warning: {warning}", err=True)
            if r.error:
                click.echo(f"Error: {r.error}", err=True)
    if partial:
        raise SystemExit(EXIT_PARTIAL)


@cli.command()
@team_option
@click.pass_obj
@boundary
def refresh(obj: Ctx, team_name: str | None) -> None:
    """Recompute the deal-health signals and rewrite the Team tab."""
    from sheetsync.commands import cycle

    partial = False
    for team in obj.teams(team_name):
        res = cycle.refresh(team, obj.today(team))
        for s in res.reps:
            if s.error:
                partial = True
                click.echo(f"Error: {s.error}", err=True)
                continue
            rs = res.signals.reps.get(s.rep)
            if rs is None:
                continue
            coverage = f"{rs.coverage:.1f}x" if rs.coverage is not None else "-"
            target = team.signals.coverage_target
            if rs.coverage is not None and rs.coverage < target:
                coverage += f" (below {target:g}x)"
            click.echo(
                f"{team.name} / {s.rep}: pipeline {_money(rs.pipeline)}, coverage {coverage}, "
                f"stalled {rs.stalled}, pushed {rs.pushed}, slow {rs.slow}"
            )
        for note in res.signals.notes:
            click.echo(f"Note: {note}")
        if res.stage_changes:
            changes = plural(res.stage_changes, "change")
            click.echo(f"{team.name}: recorded {changes} of stage in the deals' stage log")
        click.echo(f"{team.name}: Team tab rewritten in {res.location}")
    if partial:
        raise SystemExit(EXIT_PARTIAL)


@cli.command()
@team_option
@click.option("--out", "out", type=click.Path(path_type=Path), help="The HTML file to write.")
@click.option("--periods", type=click.IntRange(2, 60), default=12, show_default=True)
@click.pass_obj
@boundary
def report(obj: Ctx, team_name: str | None, out: Path | None, periods: int) -> None:
    """Write a standalone HTML team report with trend charts, for the manager."""
    from sheetsync.commands.report import report as make_report

    teams = obj.teams(team_name)
    if out is not None and len(teams) > 1:
        raise SheetsyncError("report --out: the config has several teams; pick one with --team")
    for team in teams:
        res = make_report(team, obj.today(team), out, periods)
        click.echo(
            f"{team.name}: report of {plural(res.reps, 'rep')} over "
            f"{plural(res.periods, 'period')} in {res.path}"
        )


@cli.command("import")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(path_type=Path))
@team_option
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.pass_obj
@boundary
def import_(obj: Ctx, csv_file: Path, team_name: str | None, dry_run: bool) -> None:
    """Update the deal rows from a CRM report export (Salesforce, HubSpot or mapped),
    and the stage log from the dates the CRM gives.

    FILE.csv is a deals export: its deals update the pages, and a HubSpot export's
    "Date entered <stage>" columns date each deal's changes of stage. A Salesforce
    stage-history export (an "Opportunity History" report with "From Stage" / "To
    Stage" columns) is told by its header: it dates changes of stage and changes no
    page; import the deals export first, since a deal sheetsync does not know is left
    out. The CRM's dates win over the day sheetsync saw a change, a change already
    recorded is not added again, and the changes of stage on the pages are recorded
    as rollover and refresh record them."""
    from sheetsync.commands.import_deals import CsvProblems, import_deals

    teams = obj.teams(team_name)
    if len(teams) > 1:
        raise SheetsyncError("import: the config has several teams; pick one with --team")
    team = teams[0]
    try:
        res = import_deals(team, obj.today(team), csv_file, dry_run)
    except CsvProblems as exc:
        if len(exc.problems) == 1:
            click.echo(f"Error: {exc.problems[0]}; nothing was imported", err=True)
        else:
            for problem in exc.problems:
                click.echo(f"Error: {problem}", err=True)
            click.echo(f"{csv_file}: {len(exc.problems)} problems; nothing was imported", err=True)
        raise SystemExit(EXIT_ERROR) from None
    verb = "would update" if dry_run else "updated"
    for rep in sorted(set(res.updated) | set(res.added)):
        up, add = res.updated.get(rep, []), res.added.get(rep, [])
        click.echo(f"{team.name} / {rep}: {verb} {len(up)}, added {len(add)}")
        for label in up:
            click.echo(f"    update  {label}")
        for label in add:
            click.echo(f"    add     {label}")
    if res.stage_source:  # the file dates changes of stage
        crm = {"hubspot": "HubSpot", "salesforce": "Salesforce"}.get(res.stage_source, "CRM")
        took = "would take" if dry_run else "took"
        known = f"; {res.stages_known} already recorded" if res.stages_known else ""
        click.echo(
            f"{team.name}: {took} {plural(res.stages_taken, 'stage change')} from "
            f"{csv_file.name} ({crm}'s dates) into the stage log{known}"
        )
    if res.stages_seen:
        recorded = "would be recorded" if dry_run else "recorded"
        click.echo(
            f"{team.name}: {plural(res.stages_seen, 'change')} of stage seen on the pages "
            f"{recorded} in the stage log"
        )
    for line in res.notes:  # typed deals matched, owners changed, rows left out
        click.echo(f"{team.name}: {line}")
    for warning in res.warnings:  # amounts kept as typed, by CSV row and column
        click.echo(f"Warning: {warning}", err=True)
    if not (res.updated or res.added or res.notes or res.stages_taken or res.stages_seen):
        click.echo(
            f"{team.name}: nothing to change; the pages and the stage log match {csv_file.name}"
        )
    elif dry_run:
        click.echo(f"{team.name}: dry run, nothing written")


def _report(results: list[mail.MailResult], dry_run: bool) -> None:
    failed = False
    for res in results:
        for d in res.deliveries:
            what = f"{res.team} / {d.rep}: {d.kind}{f' {d.period}' if d.period else ''}"
            if d.status == "sent":
                click.echo(f"{what} sent via {d.detail}")
            elif d.status == "preview":
                click.echo(f"{what} previewed in {d.detail} (dry run: nothing sent or recorded)")
            elif d.status == "skipped":
                click.echo(f"{what} skipped: {d.detail}")
            elif d.status == "unsent":
                click.echo(f"Error: {what} not sent: an earlier failure stopped the run", err=True)
            else:
                click.echo(f"Error: {what}: {d.detail}", err=True)
        failed = failed or res.failed
    if failed:
        raise SystemExit(EXIT_PARTIAL)


rep_option = click.option("--rep", "rep_name", help="Only this rep (name or tab).")
dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Write previews to OUTBOX/preview; send and record nothing."
)
resend_option = click.option("--resend", is_flag=True, help="Send even if the ledger says sent.")


@cli.command()
@team_option
@rep_option
@click.option("--period", help="Recap this closed period (e.g. 2026-10) from History.")
@dry_run_option
@resend_option
@click.pass_obj
@boundary
def recap(
    obj: Ctx,
    team_name: str | None,
    rep_name: str | None,
    period: str | None,
    dry_run: bool,
    resend: bool,
) -> None:
    """Email each rep the recap of a meeting that was held and not yet recapped."""
    from sheetsync.commands import mail

    teams = obj.teams(team_name)
    results = [
        mail.recap(t, obj.today(t), rep_name, period, dry_run, resend, obj.now(t)) for t in teams
    ]
    _report(results, dry_run)


@cli.command()
@team_option
@rep_option
@click.option(
    "--days-before", type=click.IntRange(0, 30), help="Days ahead of the meeting (default 2)."
)
@dry_run_option
@resend_option
@click.pass_obj
@boundary
def agenda(
    obj: Ctx,
    team_name: str | None,
    rep_name: str | None,
    days_before: int | None,
    dry_run: bool,
    resend: bool,
) -> None:
    """Before each rep's next meeting, email the agenda and a calendar invitation."""
    from sheetsync.commands import mail

    teams = obj.teams(team_name)
    results = [
        mail.agenda(t, obj.today(t), days_before, rep_name, dry_run, resend, obj.now(t))
        for t in teams
    ]
    _report(results, dry_run)


@cli.command()
@team_option
@click.pass_obj
@boundary
def check(obj: Ctx, team_name: str | None) -> None:
    """Check the config, the credentials and access, and every tab of the workbook."""
    from sheetsync.commands import status as reading

    healthy = True
    for team in obj.teams(team_name):
        # a rep whose address cannot be mailed: one line each, naming the config line
        unmailable = [
            (rep.name, f"{rep.email_error}; no recap or agenda can go to them until it is fixed")
            for rep in team.reps
            if rep.email_error
        ]
        try:
            res = reading.check(team)
        except SheetsyncError:
            for name, why in unmailable:  # said even when the workbook cannot be read
                click.echo(f"Error: {team.name} / {name}: {why}", err=True)
            raise
        who = f" as {res.account}" if res.account else ""
        click.echo(f"{res.team}: '{res.title}' {res.location}{who}")
        width = max(len(t.tab) for t in res.tabs)
        for t in res.tabs:
            click.echo(f"  {t.state:8} {t.tab.ljust(width)}  {t.detail}")
        for p in res.people:
            name = p.email or "people"
            click.echo(f"  {'access':8} {name}  {p.detail}")
        for name, why in unmailable:
            click.echo(f"  {'no mail':8} {name}  {why}")
        healthy = healthy and res.healthy and not unmailable
    if not healthy:
        raise SystemExit(EXIT_PARTIAL)


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.pass_obj
@boundary
def demo(obj: Ctx, directory: Path) -> None:
    """Build a realistic team in DIRECTORY: a workbook with two periods of history."""
    from sheetsync.commands.demo import build_demo

    res = build_demo(directory, obj.today())
    click.echo(f"Demo team '{res.team}' with {plural(res.reps, 'rep')}, rolled {res.periods}")
    click.echo(f"  workbook: {res.workbook}")
    click.echo(f"  config:   {res.config}")
    click.echo(f"  History:  {plural(res.history_rows, 'row')}")
    click.echo(f"  outbox:   {res.messages} recaps and agendas in {res.outbox}")
    click.echo(f"Try: sheetsync --config {res.config} status")


def main() -> None:
    cli(prog_name="sheetsync")
