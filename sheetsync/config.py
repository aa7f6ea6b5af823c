"""``config.yaml`` into frozen dataclasses. Unknown keys, bad values and secrets
written into the file are rejected with ``file:line``."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

from sheetsync.domain.periods import Cadence, MeetingDay, Period
from sheetsync.domain.template import Template, template_from_data
from sheetsync.domain.thresholds import SignalSettings
from sheetsync.domain.values import Reading
from sheetsync.errors import ConfigError, PeriodError
from sheetsync.file_safety import config_warnings
from sheetsync.holiday_calendar import HolidayCalendar
from sheetsync.yamldoc import YamlDoc, load_yaml

RESERVED_TABS = ("Team", "History", "_sheetsync", "_stages")
WORKBOOK_TYPES = ("xlsx", "google")
_BAD_TAB_CHARS = set("[]:*?/\\")
_SHEET_ID = re.compile(r"^[A-Za-z0-9_-]{20,}$")
_SHEET_URL = re.compile(r"^https://docs\.google\.com/spreadsheets/d/([A-Za-z0-9_-]+)")
_SECRET_KEYS = ("password", "secret", "token", "private_key", "api_key")


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class Rep:
    name: str
    email: str  # as written; check ``email_error`` before mailing it
    tab: str
    quota: float | None = None
    email_error: str | None = None  # why no mail can go to this rep, with file:line

    @property
    def mailable(self) -> bool:
        return self.email_error is None


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    security: str = "starttls"  # starttls | tls | none
    username: str | None = None
    password_env: str | None = None  # the variable holding the password
    timeout: float = 30.0
    ca_file: Path | None = None  # trust this CA bundle (a company relay's own CA)


@dataclass(frozen=True)
class MailConfig:
    via: str = "outbox"  # outbox | smtp | console
    outbox: Path | None = None
    sender: str | None = None  # default: the manager
    approval: bool = False  # recap only pages whose "Send recap" box is ticked
    templates: Path | None = None  # a folder whose files override the packaged ones
    meeting_time: str = "10:00"
    meeting_minutes: int = 45
    agenda_days_before: int = 2
    smtp: SmtpConfig | None = None


@dataclass(frozen=True)
class WorkbookConfig:
    type: str
    path: Path | None = None  # xlsx
    spreadsheet: str | None = None  # google: id or URL
    credentials_file: Path | None = None
    credentials_env: str = "GOOGLE_APPLICATION_CREDENTIALS"
    # xlsx: where the team opens the file (a shared drive path or a OneDrive,
    # SharePoint or Drive URL); the emails' page link points there
    link: str | None = None


CRM_FIELDS = (
    "id",
    "name",
    "account",
    "owner",
    "amount",
    "stage",
    "close_date",
    "last_activity",
    "next_step",
)
CRM_PRESETS: dict[str, dict[str, str]] = {
    "salesforce": {
        "id": "Opportunity ID",
        "name": "Opportunity Name",
        "account": "Account Name",
        "owner": "Opportunity Owner",
        "amount": "Amount",
        "stage": "Stage",
        "close_date": "Close Date",
        "last_activity": "Last Activity",
        "next_step": "Next Step",
    },
    "hubspot": {
        "id": "Record ID",
        "name": "Deal Name",
        "account": "Associated Company",
        "owner": "Deal owner",
        "amount": "Amount",
        "stage": "Deal Stage",
        "close_date": "Close Date",
        "last_activity": "Last Activity Date",
        "next_step": "Next step",
    },
}
WON, LOST = "@won", "@lost"  # the template's first won (lost) stage, whatever its name
# Each CRM's default stages, onto the template's: the first of the candidates that
# the template's stage column offers (weekly.yaml has no Discovery, say). Sources:
# Salesforce's default Opportunity Stage picklist (Setup > Opportunity > Stage; the
# same ten values in every new org, e.g. as listed in Microsoft's Business Contact
# Manager and vtiger's Salesforce-compatible stage lists); HubSpot's default deal
# pipeline, by internal name (as exports and the API give it: appointmentscheduled,
# see HubSpot's pipelines API guide and Pipedream's HubSpot actions) and by label
# (as a report export shows it: Appointment Scheduled 20%, Qualified To Buy 40%,
# Presentation Scheduled 60%, Decision Maker Bought-In 80%, Contract Sent 90%).
CRM_STAGE_MAPS: dict[str, dict[str, tuple[str, ...]]] = {
    "salesforce": {
        "Prospecting": ("Qualify", "Discovery"),
        "Qualification": ("Qualify", "Discovery"),
        "Needs Analysis": ("Discovery", "Qualify"),
        "Value Proposition": ("Demo", "Discovery", "Proposal"),
        "Id. Decision Makers": ("Demo", "Discovery", "Proposal"),
        "Perception Analysis": ("Trial", "Demo", "Proposal"),
        "Proposal/Price Quote": ("Proposal",),
        "Negotiation/Review": ("Negotiation", "Proposal"),
        "Closed Won": (WON,),
        "Closed Lost": (LOST,),
    },
    "hubspot": {
        "appointmentscheduled": ("Qualify", "Discovery"),
        "Appointment Scheduled": ("Qualify", "Discovery"),
        "qualifiedtobuy": ("Discovery", "Qualify"),
        "Qualified To Buy": ("Discovery", "Qualify"),
        "presentationscheduled": ("Demo", "Proposal"),
        "Presentation Scheduled": ("Demo", "Proposal"),
        "decisionmakerboughtin": ("Trial", "Demo", "Proposal"),
        "Decision Maker Bought-In": ("Trial", "Demo", "Proposal"),
        "contractsent": ("Negotiation", "Proposal"),
        "Contract Sent": ("Negotiation", "Proposal"),
        "closedwon": (WON,),
        "Closed Won": (WON,),
        "closedlost": (LOST,),
        "Closed Lost": (LOST,),
    },
}


@dataclass(frozen=True)
class CrmConfig:
    """How a CRM report export maps onto the deal rows."""

    columns: tuple[tuple[str, str], ...] = tuple(CRM_PRESETS["salesforce"].items())
    owners: tuple[tuple[str, str], ...] = ()  # CRM owner name -> rep name
    stages: tuple[tuple[str, str], ...] = ()  # CRM stage -> template stage
    preset: str = "salesforce"  # whose default stages are known (CRM_STAGE_MAPS)

    def column(self, field_name: str) -> str:
        return dict(self.columns)[field_name]

    @property
    def default_stages(self) -> dict[str, tuple[str, ...]]:
        return CRM_STAGE_MAPS[self.preset]


@dataclass(frozen=True)
class Team:
    name: str
    manager: Person
    reps: tuple[Rep, ...]
    cadence: Cadence
    meeting_day: MeetingDay
    timezone: str
    workbook: WorkbookConfig
    template: Template
    currency: str = "$"
    mail: MailConfig = MailConfig()
    signals: SignalSettings = field(default_factory=SignalSettings)
    crm: CrmConfig = field(default_factory=CrmConfig)
    holidays: HolidayCalendar | None = None
    # decides how amounts and dates are read (``template.reading``): de_DE writes
    # 1.234,56 and 27.11.2026, en_GB 27/11/2026; without it, a euro team's 2.500 is
    # 2500 and its dates are read month first
    locale: str | None = None

    def meeting_date(self, period: Period) -> date:
        """The period's meeting day, moved off a public holiday of the team's."""
        return self.meeting_day.date_in(period, self.holidays.closed if self.holidays else None)

    def meeting_moved(self, period: Period) -> tuple[date, str] | None:
        """The usual day the period's meeting moved from and why (the holiday),
        or None when it is on its usual day."""
        if self.holidays is None:
            return None
        regular = self.meeting_day.date_in(period)
        if self.meeting_date(period) == regular:
            return None
        return regular, self.holidays.name(regular) or regular.strftime("%A")

    def meeting_start(self, day: date) -> datetime:
        """When a meeting on ``day`` starts, in the team's time zone."""
        hours, minutes = (int(x) for x in self.mail.meeting_time.split(":"))
        return datetime.combine(day, time(hours, minutes), ZoneInfo(self.timezone))

    def meeting_end(self, day: date) -> datetime:
        """When a meeting on ``day`` is over: its start plus its length."""
        return self.meeting_start(day) + timedelta(minutes=self.mail.meeting_minutes)

    def rep(self, name: str) -> Rep:
        for rep in self.reps:
            if name.casefold() in (rep.name.casefold(), rep.tab.casefold()):
                return rep
        raise ConfigError(
            f"team '{self.name}' has no rep '{name}' (reps: {', '.join(r.name for r in self.reps)})"
        )


@dataclass(frozen=True)
class Config:
    path: Path
    teams: tuple[Team, ...]
    warnings: tuple[str, ...] = ()  # files with secrets others can read

    def select(self, name: str | None) -> tuple[Team, ...]:
        if name is None:
            return self.teams
        for team in self.teams:
            if team.name.casefold() == name.casefold():
                return (team,)
        names = ", ".join(t.name for t in self.teams)
        raise ConfigError(f"{self.path}: no team named '{name}' (teams: {names})")


def packaged_templates() -> Path:
    """The folder of page templates shipped with the package (or the source tree)."""
    shipped = Path(str(resources.files("sheetsync"))) / "templates"
    if (shipped / "pages").is_dir():
        return shipped
    return Path(__file__).resolve().parent.parent / "templates"


def load_template(name_or_path: str, base: Path, where: str = "") -> Template:
    """A packaged template by name (``monthly``, ``weekly``) or a YAML file path."""
    packaged = packaged_templates() / "pages" / f"{name_or_path}.yaml"
    path = packaged if packaged.is_file() else (base / name_or_path)
    if not path.is_file():
        names = sorted(p.stem for p in (packaged_templates() / "pages").glob("*.yaml"))
        raise ConfigError(
            f"{where}: template '{name_or_path}' is neither a packaged template "
            f"({', '.join(names)}) nor a file"
        )
    stat = path.stat()
    return _template_at(str(path.resolve()), (stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=32)
def _template_at(path: str, stamp: tuple[int, int]) -> Template:
    """A template file read once while it stays as it is (``stamp``: its time and
    size): the teams of one config, and the many commands of one process (a test
    suite's), share it. Templates are frozen, so sharing one is safe; a file with a
    mistake raises each time, never cached."""
    doc = load_yaml(Path(path))
    return template_from_data(doc.data, doc.where)


class _Reader:
    """Checks one YAML document, raising ``ConfigError`` with file:line."""

    def __init__(self, doc: YamlDoc) -> None:
        self.doc = doc

    def fail(self, path: tuple[str | int, ...], message: str) -> ConfigError:
        return ConfigError(f"{self.doc.where(*path)}: {message}")

    def mapping(
        self, value: Any, path: tuple[str | int, ...], allowed: set[str], required: set[str]
    ) -> dict[str, Any]:
        label = ".".join(str(p) for p in path) or "the file"
        if not isinstance(value, dict):
            raise self.fail(path, f"{label} must be a mapping")
        for key in value:
            if any(word in key.lower() for word in _SECRET_KEYS) and not key.endswith("_env"):
                raise self.fail(
                    (*path, key),
                    f"'{key}': secrets never go in the config file; name an environment "
                    f"variable with '{key}_env' instead",
                )
            if key not in allowed:
                raise self.fail(
                    (*path, key),
                    f"unknown key '{key}' in {label} (allowed: {', '.join(sorted(allowed))})",
                )
        for key in sorted(required):
            if key not in value:
                raise self.fail(path, f"{label} needs '{key}'")
        return value

    def text(self, value: Any, path: tuple[str | int, ...]) -> str:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.fail(path, f"'{path[-1]}' must be text")
        text = str(value).strip()
        if not text or any(ord(ch) < 32 for ch in text):
            raise self.fail(path, f"'{path[-1]}' must be non-empty text on one line")
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
            raise self.fail(
                path, f"'{path[-1]}' holds a broken escape (write the character itself)"
            )
        return text

    def email(self, value: Any, path: tuple[str | int, ...]) -> str:
        text = self.text(value, path)
        problem = email_problem(text)
        if problem:
            raise self.fail(path, problem)
        return text


def email_problem(address: str) -> str | None:
    """Why ``address`` cannot be mailed, in words, or None. The syntax rules are
    email-validator's (RFC 5321/5322 and 6531): ``ann..lee@x.com`` and
    ``@example..com`` fail, ``zoë@example.com`` (an internationalised address) passes.
    Deliverability (DNS) is not checked: there is no network at check time."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return f"'{address}' is not an email address: {str(exc).rstrip('.')}"
    return None


def _team(r: _Reader, data: Any, i: int, base: Path) -> Team:
    p: tuple[str | int, ...] = ("teams", i)
    allowed = {"name", "manager", "reps", "cadence", "meeting_day", "timezone", "workbook"}
    allowed |= {"template", "currency", "mail", "signals", "crm", "holidays", "locale"}
    t = r.mapping(data, p, allowed, {"name", "manager", "reps", "workbook"})
    name = r.text(t["name"], (*p, "name"))
    m = r.mapping(t["manager"], (*p, "manager"), {"name", "email"}, {"name", "email"})
    manager = Person(
        r.text(m["name"], (*p, "manager", "name")), r.email(m["email"], (*p, "manager", "email"))
    )
    cadence_raw = t.get("cadence", "monthly")
    try:
        cadence = Cadence(str(cadence_raw).strip().lower())
    except ValueError:
        names = ", ".join(c.value for c in Cadence)
        raise r.fail((*p, "cadence"), f"unknown cadence '{cadence_raw}' (one of {names})") from None
    default_day = "last friday" if cadence is Cadence.MONTHLY else "friday"
    try:
        meeting_day = MeetingDay.parse(str(t.get("meeting_day", default_day)), cadence)
    except PeriodError as exc:
        raise r.fail((*p, "meeting_day"), str(exc)) from None
    timezone = str(t.get("timezone", "UTC"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail(
            (*p, "timezone"),
            f"unknown timezone '{timezone}' (use an IANA name such as Europe/Paris)",
        ) from None
    workbook = _workbook(r, t["workbook"], (*p, "workbook"), base)
    template = load_template(str(t.get("template", "monthly")), base, r.doc.where(*p, "template"))
    reps_data = t["reps"]
    if not isinstance(reps_data, list) or not reps_data:
        raise r.fail((*p, "reps"), "reps must be a non-empty list")
    reps: list[Rep] = []
    seen: dict[str, int] = {}
    for j, rd in enumerate(reps_data):
        rp = (*p, "reps", j)
        rm = r.mapping(rd, rp, {"name", "email", "tab", "quota"}, {"name"})
        rep_name = r.text(rm["name"], (*rp, "name"))
        tab = r.text(rm.get("tab", rep_name), (*rp, "tab" if "tab" in rm else "name"))
        # Excel counts a title in UTF-16 units: an emoji is two of the 31
        units = len(tab.encode("utf-16-le")) // 2
        if units > 31 or _BAD_TAB_CHARS & set(tab) or tab.startswith("'"):
            longer = f" (this one is {units}: an emoji counts as two)" if units > 31 else ""
            raise r.fail(
                (*rp, "tab"),
                f"tab title '{tab}' must be at most 31 characters{longer} "
                "without [ ] : * ? / \\ (tab names must also work in Excel)",
            )
        if tab.casefold() in {x.casefold() for x in RESERVED_TABS}:
            raise r.fail((*rp, "tab"), f"tab title '{tab}' is reserved for sheetsync")
        quota = rm.get("quota")
        if quota is not None and (
            not isinstance(quota, int | float) or isinstance(quota, bool) or quota < 0
        ):
            raise r.fail((*rp, "quota"), "quota must be a positive number")
        # a rep without a usable address still gets a page; only mail to them is skipped
        email = ""
        email_error: str | None = f"{r.doc.where(*rp)}: rep '{rep_name}' has no email address"
        if "email" in rm:
            email = r.text(rm["email"], (*rp, "email"))
            problem = email_problem(email)
            email_error = f"{r.doc.where(*rp, 'email')}: {problem}" if problem else None
        keys = [("name", rep_name), ("tab", tab)] + ([("email", email)] if email else [])
        for kind, key in keys:
            ident = f"{kind}:{key.casefold()}"
            if ident in seen:
                raise r.fail(rp, f"duplicate rep {kind} '{key}' (also at line {seen[ident]})")
            seen[ident] = r.doc.lines[rp]
        reps.append(Rep(rep_name, email, tab, quota, email_error))
    currency = str(t.get("currency", "$"))
    mail = _mail(r, t.get("mail"), (*p, "mail"), base)
    signals = _signals(r, t.get("signals"), (*p, "signals"))
    crm = _crm(r, t.get("crm"), (*p, "crm"))
    holidays = None
    if "holidays" in t:
        try:
            holidays = HolidayCalendar.parse(r.text(t["holidays"], (*p, "holidays")))
        except ConfigError as exc:
            raise r.fail((*p, "holidays"), str(exc)) from None
    locale = None
    if "locale" in t:
        locale = r.text(t["locale"], (*p, "locale")).replace("-", "_")
        if not re.fullmatch(r"[A-Za-z]{2,3}(_[A-Za-z]{2}|_\d{3})?", locale):
            raise r.fail((*p, "locale"), f"'{locale}' is not a locale like en_US, de_DE or fr_FR")
    # how the pages' amounts and dates are typed: the locale decides, else the currency
    template = replace(template, reading=Reading.of(locale, currency))
    return Team(
        name,
        manager,
        tuple(reps),
        cadence,
        meeting_day,
        timezone,
        workbook,
        template,
        currency,
        mail,
        signals,
        crm,
        holidays,
        locale,
    )


def _crm(r: _Reader, data: Any, p: tuple[str | int, ...]) -> CrmConfig:
    if data is None:
        return CrmConfig()
    m = r.mapping(data, p, {"preset", "columns", "owners", "stages"}, set())
    preset = str(m.get("preset", "salesforce")).casefold()
    if preset not in CRM_PRESETS:
        raise r.fail((*p, "preset"), f"unknown preset '{preset}' (salesforce or hubspot)")
    columns = dict(CRM_PRESETS[preset])
    if "columns" in m:
        given = r.mapping(m["columns"], (*p, "columns"), set(CRM_FIELDS), set())
        columns.update({k: r.text(v, (*p, "columns", k)) for k, v in given.items()})
    pairs: dict[str, tuple[tuple[str, str], ...]] = {}
    for key in ("owners", "stages"):
        raw = m.get(key, {})
        if not isinstance(raw, dict):
            raise r.fail((*p, key), f"'{key}' maps CRM names to ours (name: name)")
        pairs[key] = tuple(
            (r.text(k, (*p, key)), r.text(v, (*p, key, str(k)))) for k, v in raw.items()
        )
    return CrmConfig(tuple(columns.items()), pairs["owners"], pairs["stages"], preset)


def _signals(r: _Reader, data: Any, p: tuple[str | int, ...]) -> SignalSettings:
    if data is None:
        return SignalSettings()
    defaults = SignalSettings()
    fields = {f: getattr(defaults, f) for f in defaults.__dataclass_fields__}
    m = r.mapping(data, p, set(fields), set())
    values: dict[str, Any] = {}
    for key, default in fields.items():
        value = m.get(key, default)
        whole = isinstance(default, int)
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
        if not ok or (whole and not float(value).is_integer()):
            kind = "a whole number" if whole else "a number"
            raise r.fail((*p, key), f"'{key}' must be {kind} above 0")
        values[key] = int(value) if whole else float(value)
    return SignalSettings(**values)


_MAIL_KEYS = {
    "via",
    "outbox",
    "from",
    "approval",
    "templates",
    "meeting_time",
    "meeting_minutes",
    "agenda_days_before",
    "smtp",
}
_SMTP_KEYS = {"host", "port", "security", "username", "password_env", "timeout", "ca_file"}


def _mail(r: _Reader, data: Any, p: tuple[str | int, ...], base: Path) -> MailConfig:
    if data is None:
        return MailConfig(outbox=base / "outbox")
    m = r.mapping(data, p, _MAIL_KEYS, set())
    via = str(m.get("via", "outbox"))
    if via not in ("outbox", "smtp", "console"):
        raise r.fail((*p, "via"), f"unknown mail 'via: {via}' (one of outbox, smtp, console)")

    def folder(key: str, default: str | None) -> Path | None:
        if key not in m and default is None:
            return None
        raw = Path(r.text(m.get(key, default), (*p, key))).expanduser()
        return raw if raw.is_absolute() else base / raw

    sender = m.get("from")
    if sender is not None:
        sender = r.email(sender, (*p, "from"))
    time_text = r.text(m.get("meeting_time", "10:00"), (*p, "meeting_time"))
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", time_text):
        raise r.fail((*p, "meeting_time"), f"'{time_text}' is not a time like 10:00")
    numbers = {}
    for key, default, low, high in (
        ("meeting_minutes", 45, 5, 480),
        ("agenda_days_before", 2, 0, 30),
    ):
        value = m.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise r.fail((*p, key), f"'{key}' must be a whole number from {low} to {high}")
        numbers[key] = value
    approval = m.get("approval", False)
    if not isinstance(approval, bool):
        raise r.fail((*p, "approval"), "'approval' must be true or false")
    smtp = None
    if "smtp" in m:
        smtp = _smtp(r, m["smtp"], (*p, "smtp"), base)
    elif via == "smtp":
        raise r.fail(p, "mail via smtp needs an 'smtp' block (host, port, ...)")
    return MailConfig(
        via,
        folder("outbox", "outbox"),
        sender,
        approval,
        folder("templates", None),
        time_text,
        numbers["meeting_minutes"],
        numbers["agenda_days_before"],
        smtp,
    )


def _smtp(r: _Reader, data: Any, p: tuple[str | int, ...], base: Path) -> SmtpConfig:
    s = r.mapping(data, p, _SMTP_KEYS, {"host"})
    security = str(s.get("security", "starttls"))
    if security not in ("starttls", "tls", "none"):
        raise r.fail((*p, "security"), f"unknown security '{security}' (starttls, tls or none)")
    port = s.get("port", 465 if security == "tls" else 587)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise r.fail((*p, "port"), "'port' must be a port number")
    timeout = s.get("timeout", 30)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise r.fail((*p, "timeout"), "'timeout' must be a number of seconds")
    username = r.text(s["username"], (*p, "username")) if "username" in s else None
    password_env = r.text(s["password_env"], (*p, "password_env")) if "password_env" in s else None
    if username and not password_env:
        raise r.fail(
            p, "an smtp 'username' needs 'password_env': the variable holding the password"
        )
    ca_file = None
    if "ca_file" in s:
        ca_file = Path(r.text(s["ca_file"], (*p, "ca_file"))).expanduser()
        ca_file = ca_file if ca_file.is_absolute() else base / ca_file
        if not ca_file.is_file():
            raise r.fail((*p, "ca_file"), f"{ca_file} does not exist")
    return SmtpConfig(
        r.text(s["host"], (*p, "host")),
        port,
        security,
        username,
        password_env,
        float(timeout),
        ca_file,
    )


def _workbook(r: _Reader, data: Any, p: tuple[str | int, ...], base: Path) -> WorkbookConfig:
    allowed = {"type", "path", "spreadsheet", "credentials_file", "credentials_env", "link"}
    w = r.mapping(data, p, allowed, {"type"})
    kind = str(w["type"])
    if kind not in WORKBOOK_TYPES:
        raise r.fail(
            (*p, "type"), f"unknown workbook type '{kind}' (one of {', '.join(WORKBOOK_TYPES)})"
        )
    if kind == "google" and "link" in w:
        raise r.fail((*p, "link"), "'link' is for a local workbook; a Google sheet links itself")
    if kind == "xlsx":
        if "path" not in w:
            raise r.fail(p, "an xlsx workbook needs 'path'")
        path = Path(r.text(w["path"], (*p, "path"))).expanduser()
        if path.suffix.lower() != ".xlsx":
            raise r.fail((*p, "path"), f"'{path}' must end in .xlsx")
        link = r.text(w["link"], (*p, "link")) if "link" in w else None
        if link is not None and not re.match(r"^(https?://|file:///|\\\\|/)", link):
            raise r.fail(
                (*p, "link"),
                f"'{link}' is not a link people can open: an https:// address (OneDrive, "
                "SharePoint, Drive), a file:/// URL or a shared-drive path like \\\\server\\share",
            )
        return WorkbookConfig("xlsx", path=path if path.is_absolute() else base / path, link=link)
    if "spreadsheet" not in w:
        raise r.fail(p, "a google workbook needs 'spreadsheet' (its id or URL)")
    creds = w.get("credentials_file")
    given = r.text(w["spreadsheet"], (*p, "spreadsheet")).strip()
    m = _SHEET_URL.match(given)
    sheet_id = m.group(1) if m else given
    if not _SHEET_ID.match(sheet_id):
        raise r.fail(
            (*p, "spreadsheet"),
            f"'{given}' is not a spreadsheet id or URL (copy it from the address bar: "
            "https://docs.google.com/spreadsheets/d/<id>/edit)",
        )
    if creds is not None:
        creds = r.text(creds, (*p, "credentials_file"))
        creds_path = Path(creds).expanduser()
        creds_path = creds_path if creds_path.is_absolute() else base / creds_path
    return WorkbookConfig(
        "google",
        spreadsheet=sheet_id,
        credentials_file=creds_path if creds is not None else None,
        credentials_env=str(w.get("credentials_env", "GOOGLE_APPLICATION_CREDENTIALS")),
    )


def _workbook_key(workbook: WorkbookConfig) -> str:
    """What makes two workbooks the same: the file behind any link, or the id."""
    if workbook.path is not None:
        return f"xlsx:{os.path.normcase(workbook.path.resolve())}"
    return f"google:{workbook.spreadsheet}"


def load_config(path: Path) -> Config:
    doc = load_yaml(path)
    r = _Reader(doc)
    top = r.mapping(doc.data, (), {"teams"}, {"teams"})
    teams_data = top["teams"]
    if not isinstance(teams_data, list) or not teams_data:
        raise r.fail(("teams",), "teams must be a non-empty list")
    base = path.resolve().parent
    teams = tuple(_team(r, t, i, base) for i, t in enumerate(teams_data))
    names = [t.name.casefold() for t in teams]
    for i, team in enumerate(teams):
        if names.index(team.name.casefold()) != i:
            raise r.fail(("teams", i, "name"), f"duplicate team name '{team.name}'")
    # a workbook belongs to one team: two would overwrite each other's Team tab and
    # file their rows under each other's History header
    owner: dict[str, str] = {}
    for i, team in enumerate(teams):
        where = _workbook_key(team.workbook)
        if where in owner:
            raise r.fail(
                ("teams", i, "workbook"),
                f"team '{team.name}' uses the same workbook as team '{owner[where]}'; "
                "a workbook belongs to one team: give each its own",
            )
        owner[where] = team.name
    keys = [t.workbook.credentials_file for t in teams if t.workbook.credentials_file]
    return Config(path, teams, tuple(config_warnings(path, doc.text, sorted(set(keys)))))
