"""Recaps and agendas as email messages: Jinja2 templates (HTML and plain text,
sent as multipart/alternative), headers that nothing from a sheet can break, and
an ``.ics`` invitation for the agenda.

HTML autoescape is on, so a cell holding ``<script>`` arrives as text. Header
values are cleaned of line breaks and control characters before they reach a
header, and addresses are built with ``email.headerregistry.Address``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import jinja2

from sheetsync.config import Person, Rep, Team, packaged_templates
from sheetsync.domain.followup import Agenda, Recap, labelled
from sheetsync.errors import ConfigError, TemplateError

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def header_text(value: str) -> str:
    """One line, no control characters: safe to put in a header."""
    return " ".join(_CONTROL.sub(" ", value).split())


def address(person: Person | Rep) -> Address:
    return mailbox(person.name, person.email)


def mailbox(name: str, email: str) -> Address:
    """An address header value. Built from its parts: ``addr_spec`` refuses a
    non-ASCII local part (``zoë@example.com``), which RFC 6531 allows."""
    local, _, domain = email.rpartition("@")
    return Address(display_name=header_text(name), username=local, domain=domain)


class Templates:
    """The packaged email templates, each overridable by a file of the same name in
    the team's templates folder."""

    def __init__(self, override: Path | None, kind: str = "email") -> None:
        if override is not None and not override.is_dir():
            raise ConfigError(f"mail.templates: {override} is not a folder")
        folders = [str(override)] if override else []
        folders.append(str(packaged_templates() / kind))
        if kind != "email":
            folders.append(str(packaged_templates() / "email"))  # the shared macros
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folders),
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html", "html.j2"), default_for_string=False
            ),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        self.env.filters["labelled"] = labelled

    def render(self, name: str, **context: Any) -> str:
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateError as exc:
            where = getattr(exc, "filename", None) or name
            line = getattr(exc, "lineno", None)
            tb = exc.__traceback__
            while tb is not None:  # an error while rendering: the template's own frame
                if tb.tb_frame.f_code.co_filename.endswith(".j2"):
                    where, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
                tb = tb.tb_next
            raise TemplateError(
                f"email template {where}{f':{line}' if line else ''}: {exc.message or exc}"
            ) from None


@dataclass
class Outgoing:
    """A message and what the ledger records once it is accepted."""

    kind: str  # recap | agenda
    rep: Rep
    period: str
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


def _message(team: Team, rep: Rep, subject: str, text: str, html: str) -> EmailMessage:
    msg = EmailMessage()
    sender = team.mail.sender or team.manager.email
    msg["From"] = mailbox(team.manager.name, sender)
    msg["To"] = address(rep)
    msg["Cc"] = address(team.manager)
    msg["Reply-To"] = address(team.manager)
    msg["Subject"] = header_text(subject)
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[1])
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def recap_message(team: Team, rep: Rep, recap: Recap, templates: Templates) -> Outgoing:
    subject = templates.render("recap.subject.j2", recap=recap)
    text = templates.render("recap.txt.j2", recap=recap)
    html = templates.render("recap.html.j2", recap=recap)
    return Outgoing("recap", rep, recap.period, _message(team, rep, subject, text, html))


def _ics_text(value: str) -> str:
    return header_text(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")


def ics_invite(team: Team, rep: Rep, agenda: Agenda) -> str:
    """A one-event calendar (RFC 5545) for the meeting, in the team's timezone."""
    start, end = team.meeting_start(agenda.meeting_date), team.meeting_end(agenda.meeting_date)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")

    def utc(moment: datetime) -> str:
        return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")

    page = agenda.page.url or agenda.page.where
    uid = uuid.uuid5(uuid.NAMESPACE_URL, f"sheetsync:{team.name}:{rep.name}:{agenda.period}")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//sheetsync//1:1 agenda//EN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{uid}@sheetsync",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{utc(start)}",
        f"DTEND:{utc(end)}",
        f"SUMMARY:{_ics_text(f'1:1 {rep.name} / {team.manager.name}')}",
        f"DESCRIPTION:{_ics_text(f'Agenda and your page: {page}')}",
        f"ORGANIZER;CN={_ics_text(team.manager.name)}:mailto:{team.manager.email}",
        f"ATTENDEE;CN={_ics_text(rep.name)};RSVP=TRUE:mailto:{rep.email}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def agenda_message(team: Team, rep: Rep, agenda: Agenda, templates: Templates) -> Outgoing:
    subject = templates.render("agenda.subject.j2", agenda=agenda)
    text = templates.render("agenda.txt.j2", agenda=agenda)
    html = templates.render("agenda.html.j2", agenda=agenda)
    msg = _message(team, rep, subject, text, html)
    msg.add_attachment(
        ics_invite(team, rep, agenda).encode("utf-8"),
        maintype="text",
        subtype="calendar",
        filename="1on1.ics",
        params={"method": "REQUEST"},
    )
    return Outgoing("agenda", rep, agenda.period, msg)
