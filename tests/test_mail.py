"""recap and agenda end to end: a workbook, a real SMTP server on 127.0.0.1 with
STARTTLS and AUTH, and what arrived parsed with Python's email package."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.backends import Backend
from tests.fakes.smtp_server import PASSWORD, USER, SmtpServer, free_port
from tests.test_cli import run

FIVE = "".join(f"      - {{name: Rep {c}, email: rep{c.lower()}@example.com}}\n" for c in "ABCDE")


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path).start()
    yield server
    server.stop()


def use_smtp(config: Path, server: SmtpServer, port: int | None = None, **extra: object) -> None:
    smtp = {
        "host": "127.0.0.1",
        "port": port or server.port,
        "security": "starttls",
        "username": USER,
        "password_env": "SMTP_PASSWORD",
        "timeout": 5,
        "ca_file": str(server.cert),
        **extra,
    }
    block = "    mail: {via: smtp, smtp: " + json.dumps(smtp) + "}\n"
    text = config.read_text().replace("    reps:\n", block + "    reps:\n", 1)
    config.write_text(text)


def held_meeting(backend: Backend) -> None:
    """A November page whose meeting (27 Nov) was held, with things to recap."""
    run(backend.config, "init", today="2026-10-05")
    backend.type_row(
        "Alice Chen",
        "#existing_opportunities",
        ["Globex", "Globex", 12000, "Demo", date(2026, 11, 20)],
    )
    backend.type_row(
        "Alice Chen", "#actions", ["Call the CFO", "Rep", date(2026, 10, 20), "", "Open"]
    )
    backend.type_row("Alice Chen", "#actions", ["Send the MSA", "Manager", "", "", "Open"])
    run(backend.config, "rollover", today="2026-11-02")
    row = backend.find("Alice Chen", "Globex")
    backend.write("Alice Chen", row, 5, "Trial")
    backend.write("Alice Chen", row, 6, date(2026, 12, 18))
    backend.type_row(
        "Alice Chen", "#wins", ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>']
    )
    backend.type_row("Alice Chen", "#kpis", ["Demos held", 8, 6, 4])


def on_every_page(backend: Backend) -> None:
    """A win typed on every rep's page: a page with nothing on it gets no recap."""
    with backend.editing():
        for tab in backend.tabs():
            if tab not in ("Team", "History", "_sheetsync", "_stages"):
                backend.type_row(tab, "#wins", [f"A win for {tab}"])


def messages(server: SmtpServer) -> list[EmailMessage]:
    return [r.message for r in server.handler.received]


def test_recap_over_smtp_with_starttls_and_auth(
    backend: Backend, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    use_smtp(backend.config, smtp)
    held_meeting(backend)
    res = run(backend.config, "recap", "--rep", "Alice Chen", today="2026-11-28")
    assert res.exit_code == 0, res.output
    assert "Alice Chen: recap 2026-11 sent via SMTP server 127.0.0.1" in res.output
    (got,) = smtp.handler.received
    msg = got.message
    assert sorted(got.rcpt_tos) == ["alice@example.com", "dana@example.com"]
    assert msg["To"] == "Alice Chen <alice@example.com>"
    assert msg["Cc"] == "Dana Reyes <dana@example.com>"
    assert msg["Reply-To"] == "Dana Reyes <dana@example.com>"
    assert msg["Subject"] == "1:1 recap — Alice Chen — November 2026"
    assert msg["Message-ID"] and msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    # one push is "pushed", not "pushed again (1× in all)" (issue 14)
    assert "stage Demo → Trial" in text and "close date pushed (+28 days)" in text
    assert "↑ vs last period (4); 2 below target" in text
    rep_part = text.split("ACTION PLAN")[1]
    assert rep_part.index("Rep:") < rep_part.index("Call the CFO") < rep_part.index("Manager:")
    call = text.replace("\r\n", "\n").split("Call the CFO")[1].split("\n  - ")[0]
    assert "carried 1×" in call and call.count("open since 2026-10") == 1
    assert "Next 1:1: Friday 25 December 2026" in text
    # every value from the sheet is escaped in the HTML
    assert "<script>" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<img" not in html and "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'style="' in html and "<style" not in html  # inline CSS only
    if backend.name == "google":
        assert "#gid=" in text
    ledger = [r for r in backend.cells("_sheetsync") if r[0] == "recap"]
    assert [(r[1], r[2]) for r in ledger] == [("Alice Chen", "2026-11")]
    assert msg["Message-ID"] in ledger[0][4]
    again = run(backend.config, "recap", "--rep", "Alice Chen", today="2026-11-29")
    assert "skipped: already sent" in again.output and len(smtp.handler.received) == 1
    resend = run(backend.config, "recap", "--rep", "Alice Chen", "--resend", today="2026-11-29")
    assert resend.exit_code == 0 and len(smtp.handler.received) == 2
    everything = res.output + again.output + resend.output
    everything += "".join(str(r) for r in backend.cells("_sheetsync"))
    assert PASSWORD not in everything


def test_a_failure_after_two_of_five_messages_and_the_rerun_sends_the_other_three(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.backends import XlsxBackend

    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    backend = XlsxBackend(tmp_path)
    text = backend.config.read_text().split("    reps:\n")[0] + "    reps:\n" + FIVE
    backend.config.write_text(text)
    use_smtp(backend.config, smtp)
    run(backend.config, "init", today="2026-11-02")
    on_every_page(backend)
    smtp.handler.fail_from = 3
    first = run(backend.config, "recap", today="2026-11-28")
    assert first.exit_code == 3
    assert first.output.count(" sent via ") == 2
    assert "Error: West / Rep C: recap 2026-11: SMTP server 127.0.0.1" in first.output
    assert "421" in first.output
    assert "Rep E: recap 2026-11 not sent" in first.output
    smtp.handler.fail_from = None
    second = run(backend.config, "recap", today="2026-11-28")
    assert second.exit_code == 0, second.output
    got = [m["To"].addresses[0].username for m in messages(smtp)]
    assert got == ["repa", "repb", "repc", "repd", "repe"]  # each exactly once
    assert second.output.count("skipped: already sent") == 2


def test_a_refused_login_is_one_line_naming_the_server(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.backends import XlsxBackend

    monkeypatch.setenv("SMTP_PASSWORD", "wrong-" + PASSWORD)
    backend = XlsxBackend(tmp_path)
    use_smtp(backend.config, smtp)
    run(backend.config, "init", today="2026-11-02")
    on_every_page(backend)
    res = run(backend.config, "recap", today="2026-11-28")
    assert res.exit_code == 3
    assert (
        f"SMTP server 127.0.0.1:{smtp.port} refused the login of 'sheetsync'; check the "
        "username and the password in $SMTP_PASSWORD"
    ) in res.output
    assert "wrong-" not in res.output and PASSWORD not in res.output
    assert not [r for r in backend.cells("_sheetsync") if r[0] == "recap"]


def _silent_server(mode: str) -> tuple[int, threading.Event]:
    """A TCP server that never greets ('hang') or hangs up at once ('drop')."""
    port, stop = free_port(), threading.Event()
    sock = socket.socket()
    sock.bind(("127.0.0.1", port))
    sock.listen()

    def serve() -> None:
        sock.settimeout(0.2)
        held = []
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            if mode == "drop":
                conn.close()
            else:
                held.append(conn)
        for c in held:
            c.close()
        sock.close()

    threading.Thread(target=serve, daemon=True).start()
    return port, stop


@pytest.mark.parametrize(
    ("mode", "message"), [("hang", "did not answer within 1 s"), ("drop", "cannot connect")]
)
def test_a_server_that_hangs_or_drops_is_one_line(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch, mode: str, message: str
) -> None:
    from tests.backends import XlsxBackend

    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    port, stop = _silent_server(mode)
    try:
        backend = XlsxBackend(tmp_path)
        use_smtp(backend.config, smtp, port=port, timeout=1)
        run(backend.config, "init", today="2026-11-02")
        on_every_page(backend)
        res = run(backend.config, "recap", today="2026-11-28")
    finally:
        stop.set()
    assert res.exit_code == 3
    assert f"SMTP server 127.0.0.1:{port}" in res.output and message in res.output
    assert "Traceback" not in res.output
    assert not [r for r in backend.cells("_sheetsync") if r[0] == "recap"]


def test_outbox_by_default_dry_run_records_nothing(tmp_path: Path) -> None:
    from tests.backends import XlsxBackend

    backend = XlsxBackend(tmp_path)
    run(backend.config, "init", today="2026-11-02")
    on_every_page(backend)
    dry = run(backend.config, "recap", "--dry-run", today="2026-11-28")
    assert dry.exit_code == 0 and dry.output.count("previewed in") == 2
    assert not list((tmp_path / "outbox").glob("*.eml"))
    assert len(list((tmp_path / "outbox" / "preview").glob("*.eml"))) == 2
    assert not [r for r in backend.cells("_sheetsync") if r[0] == "recap"]
    res = run(backend.config, "recap", today="2026-11-28")
    assert res.exit_code == 0
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    for f in files:
        assert oct(f.stat().st_mode & 0o777) == "0o600"
        msg = message_from_bytes(f.read_bytes(), policy=policy.default)
        assert msg["Message-ID"] and msg["Date"] and msg["Subject"].startswith("1:1 recap")
    assert oct((tmp_path / "outbox").stat().st_mode & 0o777) == "0o700"


def test_a_rep_without_a_usable_address_is_skipped_and_the_others_go(tmp_path: Path) -> None:
    from tests.backends import XlsxBackend

    backend = XlsxBackend(tmp_path)
    text = backend.config.read_text().replace("email: bob@example.com, ", "email: bob@nowhere, ")
    backend.config.write_text(text)
    run(backend.config, "init", today="2026-11-02")
    on_every_page(backend)
    res = run(backend.config, "recap", today="2026-11-28")
    assert res.exit_code == 3
    assert "Alice Chen: recap 2026-11 sent via outbox" in res.output
    assert "Error: West / Bob Stone: recap 2026-11: " in res.output
    (line,) = [ln for ln in res.output.splitlines() if "bob@nowhere" in ln]
    assert "config.yaml:10: 'bob@nowhere' is not an email address: " in line
    assert line.endswith("; no recap sent")
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_header_breaking_values_never_reach_a_header(tmp_path: Path) -> None:
    from tests.backends import XlsxBackend

    backend = XlsxBackend(tmp_path)
    folder = tmp_path / "mail-templates"
    folder.mkdir()
    (folder / "recap.subject.j2").write_text(
        "Recap: {{ recap.blocks[0].lines[0].cells[0] }}", encoding="utf-8"
    )
    text = backend.config.read_text().replace(
        "    reps:\n", "    mail: {templates: mail-templates}\n    reps:\n", 1
    )
    backend.config.write_text(text)
    run(backend.config, "init", today="2026-11-02")
    backend.type_row("Alice Chen", "#wins", ["Big win\r\nBcc: evil@example.com\r\n\r\nbody"])
    res = run(backend.config, "recap", "--rep", "Alice Chen", today="2026-11-28")
    assert res.exit_code == 0, res.output
    (path,) = (tmp_path / "outbox").glob("*.eml")
    raw = path.read_bytes()
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == "Recap: Big win Bcc: evil@example.com body"
    assert msg["Bcc"] is None and b"\nBcc:" not in raw


def test_agenda_before_the_meeting_with_an_invitation(backend: Backend) -> None:
    run(backend.config, "init", today="2026-11-02")
    backend.type_row(
        "Alice Chen",
        "#existing_opportunities",
        ["Globex", "Globex", 12000, "Demo", date(2026, 12, 1), date(2026, 10, 1)],
    )
    backend.type_row("Alice Chen", "#actions", ["Call the CFO", "Rep", "", "", "Open"])
    early = run(backend.config, "agenda", today="2026-11-20")
    assert "agenda goes 2 days before" in early.output
    res = run(backend.config, "agenda", today="2026-11-25")
    assert res.exit_code == 0, res.output
    outbox = backend.config.parent / "outbox"
    alice = next(
        m
        for m in (
            message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox.glob("*.eml")
        )
        if "Alice" in str(m["To"])
    )
    assert alice["Subject"] == "1:1 on Friday 27 November — Alice Chen: your agenda"
    text = alice.get_body(("plain",)).get_content()
    assert "Globex: stalled (55 days idle)" in text  # the same signals as the pages
    assert "Call the CFO" in text and "Rep's agenda" in text
    assert "What is not working (5 min)" in text
    (ics,) = [p for p in alice.iter_attachments() if p.get_content_type() == "text/calendar"]
    body = ics.get_content()
    assert "DTSTART:20261127T100000Z" in body and "ATTENDEE;CN=Alice Chen" in body
    again = run(backend.config, "agenda", today="2026-11-26")
    assert again.output.count("skipped: already sent") == 2


def test_implicit_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.backends import XlsxBackend

    server = SmtpServer(tmp_path, implicit_tls=True)
    server.controller.start()
    try:
        monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
        backend = XlsxBackend(tmp_path)
        use_smtp(backend.config, server, security="tls")
        run(backend.config, "init", today="2026-11-02")
        on_every_page(backend)
        res = run(backend.config, "recap", "--rep", "Bob", today="2026-11-28")
    finally:
        server.controller.stop()
    assert res.exit_code == 0, res.output
    assert [r.rcpt_tos for r in server.handler.received] == [
        ["bob@example.com", "dana@example.com"]
    ]


def test_the_demo_mails_last_periods_recaps_and_the_next_agendas(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sheetsync.cli import cli

    res = CliRunner().invoke(cli, ["--today", "2026-11-22", "demo", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    assert "10 recaps and agendas in" in res.output
    outbox = tmp_path / "d" / "outbox"
    subjects = sorted(
        str(message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"])
        for p in outbox.glob("*.eml")
    )
    assert subjects[0] == "1:1 on Friday 27 November — Alice Chen: your agenda"
    assert "1:1 recap — Alice Chen — October 2026" in subjects and len(subjects) == 10
    alice = next(p for p in outbox.glob("1-1-recap-alice-chen*.eml"))
    text = message_from_bytes(alice.read_bytes(), policy=policy.default).get_body(("plain",))
    content = text.get_content()
    assert "\n      stage Negotiation → Closed won\r\n" in content  # from History
    assert "\n      resolved\r\n" in content and "Still open from before:" in content
    config = tmp_path / "d" / "config.yaml"
    again = run(config, "recap", "--period", "2026-10", today="2026-11-22")
    assert again.output.count("skipped: already sent") == 5


def test_with_approval_only_ticked_pages_are_recapped_and_console_prints(
    tmp_path: Path,
) -> None:
    from tests.backends import XlsxBackend

    backend = XlsxBackend(tmp_path)
    text = backend.config.read_text().replace(
        "    reps:\n", "    mail: {via: console, approval: true}\n    reps:\n", 1
    )
    backend.config.write_text(text)
    run(backend.config, "init", today="2026-11-02")
    on_every_page(backend)
    backend.set_cell("Alice Chen", "Send recap", 3, True)
    res = run(backend.config, "recap", today="2026-11-28")
    assert res.exit_code == 0, res.output
    assert "Bob Stone: recap 2026-11 skipped: waiting for the manager to tick 'Send recap'" in (
        res.output
    )
    assert "Alice Chen: recap 2026-11 sent via the console" in res.output
    assert "Subject: 1:1 recap =?utf-8?" in res.output or "Subject: 1:1 recap" in res.output
    assert res.output.count("Content-Type: text/html") == 1


INTERNATIONAL = """\
teams:
  - name: West
    manager: {name: Dana Reyes, email: dana@example.com}
    cadence: monthly
    meeting_day: last friday
    timezone: UTC
    workbook: {type: xlsx, path: team.xlsx}
    MAIL
    reps:
      - {name: Alice Chen, email: alice@example.com}
      - {name: Zoë Lee, email: zoë@example.com}
      - {name: Jörg Brandt, email: joerg@bücher.de}
"""


def utf8(value: object) -> str:
    """A header as parsed from the wire, its UTF-8 bytes read as UTF-8."""
    return str(value).encode("utf-8", "surrogateescape").decode("utf-8")


@pytest.mark.parametrize("smtputf8", [True, False], ids=["smtputf8", "no-smtputf8"])
def test_an_internationalised_address_goes_by_smtputf8_or_is_one_line_for_that_rep(
    tmp_path: Path, smtputf8: bool
) -> None:
    from aiosmtpd.controller import Controller

    from tests.fakes.smtp_server import Handler

    handler, port = Handler(), free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=smtputf8)
    mail = f"mail: {{via: smtp, smtp: {{host: 127.0.0.1, port: {port}, security: none}}}}"
    config = tmp_path / "config.yaml"
    config.write_text(INTERNATIONAL.replace("MAIL", mail), encoding="utf-8")
    assert run(config, "init", today="2026-11-02").exit_code == 0
    server.start()
    try:
        res = run(config, "agenda", today="2026-11-25")
    finally:
        server.stop()
    got = {utf8(r.message["To"]): r for r in handler.received}
    assert "Alice Chen <alice@example.com>" in got  # the others' messages go
    if smtputf8:
        assert res.exit_code == 0, res.output
        zoe = got["Zoë Lee <zoë@example.com>"]
        assert sorted(zoe.rcpt_tos) == ["dana@example.com", "zoë@example.com"]
        assert "Zoë Lee: agenda" in res.output and "sent via SMTP server" in res.output
        assert sorted(got["Jörg Brandt <joerg@bücher.de>"].rcpt_tos)[1] == "joerg@bücher.de"
    else:
        assert res.exit_code == 3, res.output
        assert len(handler.received) == 2 and not any("zoë" in t for t in got)
        (error,) = [ln for ln in res.output.splitlines() if ln.startswith("Error:")]
        assert error.startswith("Error: West / Zoë Lee: agenda ")
        assert error.endswith(
            f"SMTP server 127.0.0.1:{port}: the mail server does not accept internationalised "
            "addresses (SMTPUTF8), so nothing can go to zoë@example.com: ask its administrator "
            "to enable SMTPUTF8, or use another address for this person"
        )
        # a domain-only one goes in its ASCII (IDNA) form, after Zoë's failed
        joerg = got["Jörg Brandt <joerg@xn--bcher-kva.de>"]
        assert "joerg@xn--bcher-kva.de" in joerg.rcpt_tos


def test_the_outbox_writes_an_internationalised_address_as_utf8(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(INTERNATIONAL.replace("    MAIL\n", ""), encoding="utf-8")
    assert run(config, "init", today="2026-11-02").exit_code == 0
    res = run(config, "agenda", today="2026-11-25")
    assert res.exit_code == 0, res.output
    assert res.output.count("sent via outbox") == 3
    heads = [p.read_bytes().split(b"\r\n\r\n")[0] for p in (tmp_path / "outbox").glob("*.eml")]
    (zoe,) = [h for h in heads if b"To: Zo" in h]
    assert "To: Zoë Lee <zoë@example.com>".encode() in zoe  # RFC 6532, not an encoded word
    assert b"=?utf-8?" not in zoe.split(b"To:")[1].split(b"\r\n")[0]
    (alice,) = [h for h in heads if b"To: Alice Chen <alice@example.com>" in h]
    assert alice.isascii()  # a plain message stays plain ASCII
