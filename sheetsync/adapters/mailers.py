"""Where messages go: an SMTP server, an outbox folder of ``.eml`` files (the
default, so the demo works with no server), or the console.

A mailer is a context manager for one command: ``send`` returns once the message
is accepted (by the server, or on disk), and raises ``MailError`` with one line
naming the server otherwise. The SMTP password is read from the environment
variable the config names and never appears in a message, an error or the outbox.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import re
import smtplib
import ssl
import sys
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from pathlib import Path
from types import TracebackType
from typing import Protocol

from email_validator import EmailNotValidError, validate_email

from sheetsync.config import MailConfig, SmtpConfig
from sheetsync.errors import ConfigError, SheetsyncError

log = logging.getLogger(__name__)


class MailError(SheetsyncError):
    """A message could not be handed over; names the server or the folder."""


class RecipientRefused(MailError):
    """The server took the connection but not this message's recipients."""


class NotInternational(RecipientRefused):
    """An internationalised address (``zoë@example.com``) and a server without
    SMTPUTF8: this message cannot go, the others can."""


ADDRESS_HEADERS = ("From", "Sender", "To", "Cc", "Bcc", "Reply-To")


def _addresses(message: EmailMessage) -> list[Address]:
    out: list[Address] = []
    for name in ADDRESS_HEADERS:
        for header in message.get_all(name, []):
            out.extend(getattr(header, "addresses", ()))
    return out


def international(message: EmailMessage) -> list[str]:
    """The addresses of ``message`` that are not plain ASCII."""
    return [a.addr_spec for a in _addresses(message) if not a.addr_spec.isascii()]


def _ascii_form(addr_spec: str) -> str | None:
    """An address whose only non-ASCII part is its domain (``dana@bücher.de``), in
    the ASCII form every server takes (``dana@xn--bcher-kva.de``); None for one
    whose local part is not ASCII (``zoë@example.com``), which needs SMTPUTF8."""
    try:
        return validate_email(addr_spec, check_deliverability=False).ascii_email
    except EmailNotValidError:
        return None


def ascii_domains(message: EmailMessage) -> EmailMessage | None:
    """A copy of ``message`` with every internationalised domain in its ASCII
    (IDNA) form, or None when an address's local part is not ASCII."""
    plain = copy.deepcopy(message)
    for name in ADDRESS_HEADERS:
        if name not in message:
            continue
        fixed = []
        for header in message.get_all(name, []):
            for a in getattr(header, "addresses", ()):
                spec = a.addr_spec if a.addr_spec.isascii() else _ascii_form(a.addr_spec)
                if spec is None:
                    return None
                user, _, domain = spec.rpartition("@")
                fixed.append(Address(a.display_name, user, domain))
        del plain[name]
        plain[name] = fixed
    return plain


class Mailer(Protocol):
    where: str

    def __enter__(self) -> Mailer: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def send(self, message: EmailMessage) -> list[str]:
        """Hand the message over; returns the recipients the server refused while
        accepting it for the others. Raises ``MailError`` when it did not go."""
        ...


class _Plain:
    def __enter__(self) -> Mailer:
        return self  # type: ignore[return-value]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class OutboxMailer(_Plain):
    """One RFC 5322 ``.eml`` file per message, readable by its owner only."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.where = f"outbox {folder}"

    def send(self, message: EmailMessage) -> list[str]:
        subject = str(message["Subject"]).casefold()
        slug = re.sub(r"[^0-9a-z]+", "-", subject).strip("-")[:60].strip("-")
        tag = hashlib.sha1(str(message["Message-ID"]).encode()).hexdigest()[:6]
        try:
            missing = [p for p in (self.folder, *self.folder.parents) if not p.exists()]
            for folder in reversed(missing):  # each folder we make: its owner only
                folder.mkdir(mode=0o700, exist_ok=True)
            path = self.folder / f"{slug or 'message'}-{tag}.eml"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            # an internationalised address is written as UTF-8 (RFC 6532), as
            # SMTPUTF8 sends it; the SMTP policy would mangle it into an encoded word
            policy = SMTPUTF8 if international(message) else SMTP
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes(policy=policy))
            log.info("outbox: wrote %s", path)
        except OSError as exc:
            raise MailError(f"outbox {self.folder}: cannot write ({exc.strerror})") from None
        return []


class ConsoleMailer(_Plain):
    where = "the console"

    def send(self, message: EmailMessage) -> list[str]:
        if international(message):
            text = message.as_bytes(policy=SMTPUTF8.clone(linesep="\n")).decode()
        else:
            text = message.as_string()
        sys.stdout.write(text + "\n")
        return []


def _password(config: SmtpConfig) -> str | None:
    if not config.username:
        return None
    value = os.environ.get(config.password_env or "")
    if not value:
        raise ConfigError(
            f"mail.smtp.password_env: the environment variable {config.password_env} "
            "is not set; export it with the SMTP password"
        )
    return value


class SmtpMailer:
    """One connection for the whole command; STARTTLS, implicit TLS or plain."""

    def __init__(self, config: SmtpConfig, context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.where = f"SMTP server {config.host}:{config.port}"
        self.context = context or ssl.create_default_context(
            cafile=str(config.ca_file) if config.ca_file else None
        )
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        password = _password(c)
        try:
            if c.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    c.host, c.port, timeout=c.timeout, context=self.context
                )
            else:
                smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
                if c.security == "starttls":
                    smtp.starttls(context=self.context)
            if c.username and password is not None:
                smtp.login(c.username, password)
            log.info("%s: connected (%s)", self.where, c.security)
        except smtplib.SMTPAuthenticationError:
            raise MailError(
                f"{self.where} refused the login of '{c.username}'; check the username and "
                f"the password in ${c.password_env}"
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise MailError(f"{self.where} does not offer STARTTLS; set security: tls") from None
        except ssl.SSLError as exc:
            raise MailError(f"{self.where}: TLS failed ({exc.reason or 'handshake'})") from None
        except TimeoutError:
            raise MailError(f"{self.where} did not answer within {c.timeout:g} s") from None
        except (smtplib.SMTPException, OSError) as exc:
            if isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" in str(exc):
                raise MailError(f"{self.where} did not answer within {c.timeout:g} s") from None
            raise MailError(f"{self.where}: cannot connect ({_reason(exc)})") from None
        return smtp

    def _for_this_server(self, smtp: smtplib.SMTP, message: EmailMessage) -> EmailMessage:
        """The message as this server can take it. An internationalised address
        goes with SMTPUTF8 when the server offers it (smtplib then sends UTF-8
        headers); without it, a domain-only one (``dana@bücher.de``) goes in its
        ASCII form, and a local part like ``zoë@`` cannot go at all."""
        needs = international(message)
        if not needs:
            return message
        smtp.ehlo_or_helo_if_needed()  # what the server offers is known after EHLO
        if smtp.has_extn("smtputf8"):
            return message
        plain = ascii_domains(message)
        if plain is not None:
            return plain
        local = [a for a in needs if not a.rpartition("@")[0].isascii()]
        raise NotInternational(
            f"{self.where}: the mail server does not accept internationalised addresses "
            f"(SMTPUTF8), so nothing can go to {', '.join(local)}: ask its administrator to "
            "enable SMTPUTF8, or use another address for this person"
        )

    def send(self, message: EmailMessage) -> list[str]:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            message = self._for_this_server(self._smtp, message)
            refused = self._smtp.send_message(message)
        except smtplib.SMTPNotSupportedError as exc:  # smtplib's own SMTPUTF8 check
            raise NotInternational(f"{self.where}: {_reason(exc)}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise RecipientRefused(
                f"{self.where} refused every recipient of {message['To']}: {_reason(exc)}"
            ) from None
        except TimeoutError:
            self._smtp = None
            raise MailError(f"{self.where} stopped answering (timeout)") from None
        except (smtplib.SMTPException, OSError) as exc:
            self._smtp = None
            raise MailError(f"{self.where}: sending failed ({_reason(exc)})") from None
        log.info("%s: accepted %s", self.where, message["Message-ID"])
        return sorted(refused)  # accepted for the others: it went


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        return f"{exc.smtp_code} {' '.join(text.split())}".strip()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{k}: {v[0]}" for k, v in exc.recipients.items())
    return " ".join(str(exc).split()) or type(exc).__name__


def open_mailer(config: MailConfig) -> Mailer:
    if config.via == "smtp" and config.smtp is not None:
        return SmtpMailer(config.smtp)
    if config.via == "console":
        return ConsoleMailer()
    return OutboxMailer(config.outbox or Path("outbox"))
