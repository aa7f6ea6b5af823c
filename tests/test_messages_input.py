"""Messages about what a person typed (issue 14): each says what is wrong in their
terms, where, and what to do; one line, a failing exit, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from sheetsync.errors import ConfigError
from sheetsync.wording import plural
from sheetsync.yamldoc import parse_yaml
from tests.conftest import CONFIG
from tests.test_cli import run


def one_error(output: str) -> str:
    (line,) = [ln for ln in output.splitlines() if ln.startswith("Error:")]
    return line


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("2027-02-31", "is not a calendar date: February 2027 has 28 days"),
        ("2028-02-30", "is not a calendar date: February 2028 has 29 days"),
        ("2026-13-01", "is not a calendar date: there is no month 13"),
        (
            "31/12/2026",
            "is not a date written YYYY-MM-DD (for example 2026-11-27), "
            "or a date and time like 2026-11-27T09:00",
        ),
        (
            "2026-11-27T25:00",
            "is not a date written YYYY-MM-DD (for example 2026-11-27), "
            "or a date and time like 2026-11-27T09:00",
        ),
    ],
)
def test_today_that_is_not_on_the_calendar_says_why(
    config_file: Path, typed: str, says: str
) -> None:
    res = run(config_file, "init", today=typed)
    assert res.exit_code == 1
    assert one_error(res.output) == f"Error: --today '{typed}' {says}"
    assert not (config_file.parent / "team.xlsx").exists()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("a:\n  - {name: x, email: y\n", "config.yaml:2:5: this '{' is never closed"),
        ("a: [1, 2\nb: 3\n", "config.yaml:1:4: this '[' is never closed: end the list with ']'"),
        ("a:\n\tb: 1\n", "config.yaml:2:1: a tab used to indent; YAML indents with spaces only"),
        ("a: b: c\n", "config.yaml:1:5: a ':' where a value was expected: put text that holds"),
        ("a: 'abc\nb: 2\n", "config.yaml:1:4: this quote is never closed"),
        ("a:\n  b: 1\n c: 2\n", "config.yaml:3:2: this line's indentation does not match"),
        ("a:\n  b: 1\n  c\n  d: 2\n", "config.yaml:3:3: a line without 'key: value' among keys"),
        ("a: @x\n", "config.yaml:1:4: a value cannot start with '@': put the value in quotes"),
        ("a: *x\n", "config.yaml:1:4: undefined alias 'x' (a '*name' needs an '&name' above it)"),
        ("a: b\x07\n", "config.yaml:1:5: a control character (U+0007) YAML does not allow"),
    ],
)
def test_a_yaml_syntax_error_is_one_line_with_line_column_and_plain_words(
    text: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, "config.yaml")
    message = str(caught.value)
    assert message.startswith(says) and "\n" not in message
    for parser_words in ("while parsing", "while scanning", "<block", "<stream"):
        assert parser_words not in message


def test_a_mistyped_workbook_path_names_the_workbook_beside_it(config_file: Path) -> None:
    assert run(config_file, "init").exit_code == 0
    folder = config_file.parent
    (folder / "~$Team_old.xlsx").write_bytes(b"x")  # Excel's owner file: never suggested
    config_file.write_text(CONFIG.replace("path: team.xlsx", "path: Team.xlsx"))
    for command in ("status", "check", "rollover"):
        res = run(config_file, command, today="2026-11-02")
        assert res.exit_code == 1, res.output
        assert one_error(res.output) == (
            f"Error: {config_file}:7: workbook Team.xlsx does not exist; did you mean "
            "team.xlsx? Fix the path there (sheetsync init would make a new, empty "
            "workbook instead)"
        )
    assert sorted(p.name for p in folder.glob("*.xlsx")) == ["team.xlsx", "~$Team_old.xlsx"]


def test_a_workbook_path_with_nothing_like_it_suggests_init_to_create_one(
    config_file: Path,
) -> None:
    config_file.write_text(CONFIG.replace("path: team.xlsx", "path: pipeline.xlsx"))
    res = run(config_file, "rollover", today="2026-11-02")
    assert one_error(res.output) == (
        f"Error: {config_file}:7: workbook pipeline.xlsx does not exist; if the team's "
        "workbook is elsewhere, fix the path there, or run sheetsync init to create a new one"
    )
    config_file.write_text(CONFIG.replace("path: team.xlsx", "path: Sales/team.xlsx"))
    res = run(config_file, "status", today="2026-11-02")
    assert res.exit_code == 1
    assert "workbook Sales/team.xlsx: the folder Sales does not exist" in one_error(res.output)
    assert list(config_file.parent.glob("*.xlsx")) == []


def test_check_names_every_rep_whose_address_cannot_be_mailed(config_file: Path) -> None:
    reps = (
        "      - {name: Alice Chen, email: alice@example.com, quota: 100000}\n"
        "      - {name: Bob Stone, email: bob@example.com, tab: Bob}\n"
    )
    assert reps in CONFIG
    bad = (
        "      - {name: Ann Lee, email: ann..lee@x.com}\n"
        "      - {name: Zoë Roy, email: zoë@x.com}\n"
        "      - {name: Cy Dee, email: '@example..com'}\n"
    )
    config_file.write_text(CONFIG.replace(reps, reps + bad))
    assert run(config_file, "init").exit_code == 0
    res = run(config_file, "check")
    assert res.exit_code == 3, res.output
    lines = [ln for ln in res.output.splitlines() if ln.lstrip().startswith("no mail")]
    assert len(lines) == 2, res.output  # zoë@x.com is a valid (internationalised) address
    assert lines[0].split()[2:5] == ["Ann", "Lee", f"{config_file}:11:"]
    assert "'ann..lee@x.com' is not an email address: " in lines[0]
    assert lines[1].split()[2:5] == ["Cy", "Dee", f"{config_file}:13:"]
    assert "'@example..com' is not an email address: " in lines[1]
    assert all(ln.endswith("no recap or agenda can go to them until it is fixed") for ln in lines)


def test_counts_are_singular_or_plural() -> None:
    assert plural(1, "warning") == "1 warning"
    assert plural(2, "warning") == "2 warnings"
    assert plural(0, "rep") == "0 reps"
    assert plural(1, "person", "people") == "1 person"
    assert plural(3, "person", "people") == "3 people"


def test_a_yaml_merge_key_shares_one_teams_settings_with_another() -> None:
    """``<<: *anchor`` (YAML's merge key, as people share settings between teams)
    gives the anchored keys a mapping does not give itself; an error in a merged
    key names the line it is written on."""
    text = (
        "teams:\n"
        "  - &east\n"
        "    name: East\n"
        "    cadence: weekly\n"
        "    timezone: Europe/Paris\n"
        "  - <<: *east\n"
        "    name: West\n"
        "  - <<: [{cadence: monthly, quota: 5}, *east]\n"
        "    name: North\n"
    )
    doc = parse_yaml(text, "config.yaml")
    east, west, north = doc.data["teams"]
    assert east == {"name": "East", "cadence": "weekly", "timezone": "Europe/Paris"}
    assert west == {"name": "West", "cadence": "weekly", "timezone": "Europe/Paris"}
    assert north == {"name": "North", "cadence": "monthly", "quota": 5, "timezone": "Europe/Paris"}
    assert doc.where("teams", 1, "name") == "config.yaml:7"  # given here
    assert doc.where("teams", 1, "timezone") == "config.yaml:5"  # merged: where written
    assert doc.where("teams", 2, "cadence") == "config.yaml:8"  # the first mapping wins


def test_a_scalar_reads_as_yaml_safe_load_reads_it() -> None:
    """Each value is made from the parsed node (not written out and parsed again):
    the same value and type as ``yaml.safe_load`` for every kind YAML has."""
    import yaml

    text = (
        "a: 2026-10-01\nb: 2026-10-01T10:00:00Z\nc: ~\nd: yes\ne: 0x1F\nf: .inf\n"
        "g: 1e3\nh: '1'\ni: 12\nj: 1.5\nk: off\nl: !!str 12\nm: plain text\n"
    )
    got = parse_yaml(text, "config.yaml").data
    want = yaml.safe_load(text)
    assert got == want
    assert [type(v) for v in got.values()] == [type(v) for v in want.values()]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("a: &x\n  k: 1\n  <<: *x\n", "config.yaml:1: an alias ('*name') used inside the '&name'"),
        ("a: &x [1, *x]\n", "config.yaml:1: an alias ('*name') used inside the '&name'"),
        ("a: {k: 1}\nb:\n  <<: {k: 2}\n  <<: {k: 3}\n", "config.yaml:4: key '<<' appears twice"),
        ("b:\n  <<: [1, 2]\n", "config.yaml:2: '<<' takes a mapping"),
        ("quota: !!int abc\n", "config.yaml:1: 'abc' is not a valid whole number"),
        ("x: !!bool maybe\n", "config.yaml:1: 'maybe' is not a valid yes or no"),
        ("holiday: 2026-13-45\n", "config.yaml:1: '2026-13-45' is not a valid date"),
        ("x: !!omap a\n", "config.yaml:1: the tag 'tag:yaml.org,2002:omap' is not one"),
        ("x: !money 5\n", "config.yaml:1: the tag '!money' is not one sheetsync reads"),
    ],
)
def test_yaml_that_cannot_be_read_as_values_is_one_line_naming_its_line(
    text: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, "config.yaml")
    assert str(caught.value).startswith(says) and "\n" not in str(caught.value)


def test_a_complex_key_reads_as_its_values() -> None:
    assert parse_yaml("? [a, b]\n: 1\n", "config.yaml").data == {"['a', 'b']": 1}
