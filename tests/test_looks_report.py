"""The team report as a manager reads it (issue 14): axes in round steps, every
rep's dot visible where several meet, the same "pushed" in the table and the
list, and tables (won against lost and its chart too, issue 15) that fit a phone
390 px wide (in headless Chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetsync.cli import cli
from sheetsync.commands.report import line_chart, nice_ticks, shown_flags


def test_axis_ticks_are_round_numbers_from_zero() -> None:
    assert nice_ticks(383_000) == [0, 100_000, 200_000, 300_000, 400_000]
    assert nice_ticks(4.3) == [0, 1, 2, 3, 4, 5]
    for top in (0.37, 7, 12, 96_000, 2_750_000):
        ticks = nice_ticks(top)
        step = ticks[1] - ticks[0]
        mantissa = step / 10 ** int(f"{step:e}".split("e")[1])
        assert ticks[0] == 0 and ticks[-1] >= top and len(ticks) <= 6, (top, ticks)
        assert round(mantissa, 6) in (1, 2, 2.5, 5), (top, step)
    svg = str(line_chart(["2026-09", "2026-10"], {"A": [183_000, 383_000]}))
    labels = re.findall(r">([^<]+)</text>", svg)
    assert labels[:5] == ["0", "100k", "200k", "300k", "400k"]


def test_dots_that_meet_are_set_side_by_side_each_in_its_reps_colour() -> None:
    series = {"A": [None, 1.0], "B": [None, 1.0], "C": [None, 1.0], "D": [None, 0.5]}
    svg = str(line_chart(["2026-09", "2026-10"], series, percent=True))
    dots = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="[\d.]+" fill="(#\w+)"', svg)
    at_top = [d for d in dots if float(d[1]) == min(float(d[1]) for d in dots)]
    assert len(at_top) == 3
    assert len({cx for cx, _, _ in at_top}) == 3 and len({c for _, _, c in at_top}) == 3


def test_a_deal_is_listed_as_pushed_only_when_the_table_counts_it() -> None:
    flags = ["stalled (20 days idle)", "pushed 1× (+14 days)"]
    assert shown_flags(flags, pushes=1, push_flag=2) == ["stalled (20 days idle)"]
    assert shown_flags(flags, pushes=2, push_flag=2) == flags


def test_the_report_fits_a_phone_390_px_wide(tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("headless Chromium is not installed")
    folder = tmp_path / "d"
    runner = CliRunner()
    assert runner.invoke(cli, ["--today", "2026-11-22", "demo", str(folder)]).exit_code == 0
    config = str(folder / "config.yaml")
    out = tmp_path / "report.html"
    args = ["--config", config, "--today", "2026-11-22", "report", "--out", str(out)]
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    # the demo's stage log gives the won-against-lost table and its chart: measured too
    assert ">Won against lost<" in html and ">Days in each stage, won against lost<" in html
    # every "Pushed" in the table is a deal the list says was pushed
    listed = len(re.findall(r"<li[^>]*><strong>[^<]+</strong>[^<]*pushed", html))
    counted = re.findall(r"<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>", html)
    assert listed == sum(int(pushed) for _, pushed, _ in counted)
    # the right edge of everything on the page laid out 390 px wide (headless
    # Chromium's window is at least 500 px, so the page itself is made 390 wide),
    # written into its title
    probe = tmp_path / "probe.html"
    script = (
        "<script>var m = 0; document.querySelectorAll('body *').forEach("
        "e => { m = Math.max(m, e.getBoundingClientRect().right) });"
        "document.title = 'W' + Math.ceil(m)</script></body>"
    )
    narrow = html.replace("<head>", "<head><style>html{width:390px}</style>", 1)
    probe.write_text(narrow.replace("</body>", script), encoding="utf-8")
    dom = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    width = re.search(r"<title>W(\d+)</title>", dom)
    assert width is not None, dom[:300]
    assert int(width.group(1)) <= 390
