from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sheetsync.config import load_template
from sheetsync.domain.template import Template
from sheetsync.errors import ConfigError, TemplateError


def test_monthly_template_has_the_design_sections(monthly: Template) -> None:
    keys = [s.key for s in monthly.sections]
    assert keys == [
        "agenda",
        "wins",
        "new_opportunities",
        "existing_opportunities",
        "working",
        "not_working",
        "kpis",
        "other",
        "career",
        "commitments",
        "actions",
    ]
    assert monthly.section("new_opportunities").carry.move_to == "existing_opportunities"
    assert monthly.section("kpis").display_title == "KPIs · 5 min"
    assert monthly.section("commitments").carry.max_carries == 1
    stage = monthly.section("existing_opportunities").column("stage")
    assert "Closed won" in stage.choices


def test_weekly_template_is_shorter(weekly: Template) -> None:
    assert [s.key for s in weekly.sections] == ["pipeline", "blockers", "commitments", "actions"]


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


GOOD = {
    "name": "T",
    "sections": [
        {
            "key": "a",
            "title": "A",
            "columns": [
                {"key": "what", "title": "What"},
                {"key": "done", "title": "Done", "type": "checkbox"},
            ],
            "carry": {"keep": "open", "closed_when": {"column": "done", "equals": True}},
        }
    ],
}


def test_custom_template_from_a_file(tmp_path: Path) -> None:
    tpl = load_template(str(_write(tmp_path, GOOD)), tmp_path)
    assert tpl.section("a").carry.closed_when is not None


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["sections"][0]["columns"][1].update(type="bool"), "unknown column type"),
        (lambda d: d["sections"][0].update(colour="#fff"), "unknown key 'colour'"),
        (lambda d: d["sections"][0]["carry"].update(move_to="nowhere"), "unknown section"),
        (lambda d: d["sections"][0]["carry"]["closed_when"].update(column="x"), "unknown column"),
        (lambda d: d["sections"][0]["carry"].update(keep="sometimes"), "keep is one of"),
        (lambda d: d["sections"].append(d["sections"][0]), "twice"),
    ],
)
def test_bad_templates_name_file_and_line(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    import copy

    data = copy.deepcopy(GOOD)
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(TemplateError, match=message) as info:
        load_template(str(path), tmp_path)
    assert f"{path}:" in str(info.value)


def test_unknown_template_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="neither a packaged template"):
        load_template("quarterly", tmp_path)


def _stages(won: object, lost: object, choices: list[str] | None = None) -> dict[str, object]:
    stage = {"key": "stage", "title": "Stage", "type": "choice"}
    stage["choices"] = choices or ["Talking", "Signed", "Ganado", "Gone"]
    return {
        "name": "T",
        "sections": [
            {
                "key": "deals",
                "role": "deals",
                "title": "Deals",
                "columns": [{"key": "opportunity", "title": "Opportunity"}, stage],
                "carry": {
                    "keep": "open",
                    "closed_when": {"column": "stage", "won": won, "lost": lost},
                },
            }
        ],
    }


def test_deal_sections_declare_their_won_and_lost_stages(
    tmp_path: Path, monthly: Template, weekly: Template
) -> None:
    tpl = load_template(str(_write(tmp_path, _stages(["signed", "Ganado"], "gone"))), tmp_path)
    assert tpl.won_stages == ("Signed", "Ganado")  # as the choices spell them
    assert tpl.lost_stages == ("Gone",)
    rule = tpl.section("deals").carry.closed_when
    assert rule is not None and rule.holds({"stage": "Ganado"})
    assert not rule.holds({"stage": "Talking"})
    assert (monthly.won_stages, monthly.lost_stages) == (("Closed won",), ("Closed lost",))
    assert (weekly.won_stages, weekly.lost_stages) == (("Closed won",), ("Closed lost",))


@pytest.mark.parametrize(
    ("won", "lost", "message"),
    [
        (["Won it"], ["Gone"], "'Won it' is not one of the Stage choices"),
        (["Signed"], ["signed"], "'signed' is both won and lost"),
        ("", ["Gone"], "'won' is a list of stage names"),
    ],
)
def test_bad_won_and_lost_stages_name_the_line(
    tmp_path: Path, won: object, lost: object, message: str
) -> None:
    path = _write(tmp_path, _stages(won, lost))
    with pytest.raises(TemplateError, match=message) as info:
        load_template(str(path), tmp_path)
    assert f"{path}:" in str(info.value)
