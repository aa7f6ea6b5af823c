"""Page templates: the sections of a rep page, their columns and carry rules.

Templates are YAML files (see ``templates/pages``); this module turns their data
into frozen objects and checks them, naming ``file:line`` for every mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sheetsync.domain import values
from sheetsync.errors import TemplateError

COLUMN_TYPES = (
    "text",
    "number",
    "money",
    "date",
    "choice",
    "checkbox",
    "origin",
    "carried",
    "signal",
    "stage_since",
)
# filled in by sheetsync, not by people; a page made before such a column was
# added to the template still reads, and gets the column at its next rewrite
SYSTEM_TYPES = ("origin", "carried", "signal", "stage_since")
DERIVED_TYPES = ("origin", "carried", "signal")  # not values an item carries
KEEP = ("never", "always", "open")
# What a section means to status and analytics; the carry engine ignores it.
ROLES = ("deals", "actions", "commitments", "kpis", "agenda", "notes")
Where = Callable[..., str]


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    type: str
    choices: tuple[str, ...] = ()
    width: float | None = None

    @property
    def is_value(self) -> bool:
        """A value the item carries from period to period (people's, or sheetsync's
        stage date), as opposed to what sheetsync derives for display."""
        return self.type not in DERIVED_TYPES

    @property
    def is_system(self) -> bool:
        return self.type in SYSTEM_TYPES

    def parse(
        self, raw: values.CellValue, reading: values.Reading = values.ANY
    ) -> values.CellValue:
        """The typed value of ``raw`` for this column, read the team's way
        (``reading``: decimal comma, day first, its currency); ``ValueError`` if
        unreadable."""
        if isinstance(raw, values.Formula):
            return raw
        if self.type in ("number", "money", "carried"):
            return values.read_number(
                raw, reading if self.type == "money" else _no_currency(reading)
            )
        if self.type in ("date", "stage_since"):
            return values.read_date(raw, reading.day_first)
        if self.type == "checkbox":
            return values.read_checkbox(raw)
        if self.type == "choice":
            return values.read_choice(raw, self.choices)
        return values.read_text(raw)


def _no_currency(reading: values.Reading) -> values.Reading:
    """A plain number column (a KPI, a target) is never in a currency: ``$500``
    there is read as 500 whatever the team's money."""
    return replace(reading, currency=None)


@dataclass(frozen=True)
class ClosedWhen:
    """An item is closed (and leaves the page) when ``column`` holds one of ``values``.

    A deal section says which of its closing values are won and which lost
    (``won: [Closed won]``, ``lost: [Closed lost]``): the win rate and the won
    deals' stage times count by that. ``in:`` alone says only "closed"."""

    column: str
    values: tuple[Any, ...]
    won: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()

    def holds(self, item_values: dict[str, Any]) -> bool:
        value = item_values.get(self.column)
        if isinstance(value, str):
            return value.casefold() in {str(v).casefold() for v in self.values}
        return value in self.values and value is not None

    @property
    def declares_outcome(self) -> bool:
        return bool(self.won or self.lost)


@dataclass(frozen=True)
class Score:
    """When the item leaves the page, ``column`` gets ``hit`` if actual >= target."""

    column: str
    actual: str
    target: str
    hit: str = "Hit"
    miss: str = "Miss"


@dataclass(frozen=True)
class CarryRule:
    keep: str = "never"  # never | always | open (until closed_when holds)
    closed_when: ClosedWhen | None = None
    move_to: str | None = None
    max_carries: int | None = None
    on_carry: tuple[tuple[str, str | None], ...] = ()  # (target column, source column | None)
    score: Score | None = None


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    columns: tuple[Column, ...]
    carry: CarryRule
    minutes: int | None = None
    hint: str = ""
    color: str = "#4A6FA5"
    blank_rows: int = 3
    role: str = "notes"

    @property
    def display_title(self) -> str:
        return f"{self.title} · {self.minutes} min" if self.minutes else self.title

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    @property
    def user_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.is_system)


@dataclass(frozen=True)
class HeaderField:
    key: str
    label: str
    type: str = "text"


HEADER_FIELDS: tuple[HeaderField, ...] = (
    HeaderField("rep", "Rep"),
    HeaderField("manager", "Manager"),
    HeaderField("period", "Period"),
    HeaderField("meeting_date", "Meeting date", "date"),
    HeaderField("next_meeting", "Next meeting", "date"),
    HeaderField("personal_goal", "Personal goal"),
    HeaderField("send_recap", "Send recap", "checkbox"),
)


@dataclass(frozen=True)
class Template:
    name: str
    sections: tuple[Section, ...]
    source: str = ""
    history_keys: tuple[str, ...] = field(default=())
    # how the team's pages are typed (its locale and currency; set by the config)
    reading: values.Reading = values.ANY

    @property
    def won_stages(self) -> tuple[str, ...]:
        """The stages a deal section declares won (``closed_when: won:``)."""
        return self._outcome("won")

    @property
    def lost_stages(self) -> tuple[str, ...]:
        return self._outcome("lost")

    def _outcome(self, kind: str) -> tuple[str, ...]:
        out: list[str] = []
        for sec in self.sections:
            rule = sec.carry.closed_when
            if sec.role == "deals" and rule is not None:
                out += [v for v in getattr(rule, kind) if v not in out]
        return tuple(out)

    def section(self, key: str) -> Section:
        for sec in self.sections:
            if sec.key == key:
                return sec
        raise KeyError(key)

    @property
    def width(self) -> int:
        """Columns used by the page: the id column plus the widest section."""
        return 1 + max(len(s.columns) for s in self.sections)


def _require(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise TemplateError(f"{where}: {message}")


def _keys(data: dict[str, Any], allowed: set[str], where: Where, *path: str | int) -> None:
    for key in data:
        if key not in allowed:
            raise TemplateError(
                f"{where(*path, key)}: unknown key '{key}' (allowed: {', '.join(sorted(allowed))})"
            )


def _column(data: Any, where: Where, path: tuple[str | int, ...]) -> Column:
    _require(isinstance(data, dict), where(*path), "a column is a mapping with key, title, type")
    _keys(data, {"key", "title", "type", "choices", "width"}, where, *path)
    for required in ("key", "title"):
        _require(required in data, where(*path), f"column needs '{required}'")
    ctype = data.get("type", "text")
    _require(
        ctype in COLUMN_TYPES,
        where(*path, "type"),
        f"unknown column type '{ctype}' (one of {', '.join(COLUMN_TYPES)})",
    )
    choices = tuple(str(c) for c in data.get("choices") or ())
    _require(ctype != "choice" or bool(choices), where(*path), "a choice column needs 'choices'")
    width = data.get("width")
    _require(width is None or isinstance(width, int | float), where(*path, "width"), "a number")
    return Column(str(data["key"]), str(data["title"]), ctype, choices, width)


def _carry(data: Any, where: Where, path: tuple[str | int, ...]) -> CarryRule:
    if data is None:
        return CarryRule()
    _require(isinstance(data, dict), where(*path), "carry is a mapping")
    _keys(
        data, {"keep", "closed_when", "move_to", "max_carries", "on_carry", "score"}, where, *path
    )
    keep = data.get("keep", "never")
    _require(keep in KEEP, where(*path, "keep"), f"keep is one of {', '.join(KEEP)}")
    closed = None
    if "closed_when" in data:
        closed = _closed_when(data["closed_when"], where, (*path, "closed_when"))
    _require(
        keep != "open" or closed is not None,
        where(*path, "keep"),
        "keep: open needs closed_when",
    )
    max_carries = data.get("max_carries")
    _require(
        max_carries is None or (isinstance(max_carries, int) and max_carries >= 0),
        where(*path, "max_carries"),
        "max_carries is a whole number",
    )
    on_carry_raw = data.get("on_carry") or {}
    _require(isinstance(on_carry_raw, dict), where(*path, "on_carry"), "on_carry is a mapping")
    on_carry = tuple((str(k), None if v is None else str(v)) for k, v in on_carry_raw.items())
    score = None
    if "score" in data:
        sc = data["score"]
        _require(
            isinstance(sc, dict) and {"column", "actual", "target"} <= set(sc),
            where(*path, "score"),
            "score needs column, actual and target",
        )
        score = Score(
            str(sc["column"]),
            str(sc["actual"]),
            str(sc["target"]),
            str(sc.get("hit", "Hit")),
            str(sc.get("miss", "Miss")),
        )
    move_to = data.get("move_to")
    return CarryRule(keep, closed, move_to and str(move_to), max_carries, on_carry, score)


def _closed_when(cw: Any, where: Where, path: tuple[str | int, ...]) -> ClosedWhen:
    """``{column, in: [...]}``, ``{column, equals: x}``, or, for deals,
    ``{column, won: [...], lost: [...]}``: closed when won or lost."""
    outcome = isinstance(cw, dict) and ("won" in cw or "lost" in cw)
    _require(
        isinstance(cw, dict) and "column" in cw and ("in" in cw or "equals" in cw or outcome),
        where(*path),
        "closed_when needs 'column' and 'in' (a list), 'equals', or 'won' and 'lost' (lists)",
    )
    _keys(cw, {"column", "in", "equals", "won", "lost"}, where, *path)
    if not outcome:
        vals = cw["in"] if "in" in cw else [cw["equals"]]
        return ClosedWhen(str(cw["column"]), tuple(vals))
    _require(
        "in" not in cw and "equals" not in cw,
        where(*path),
        "closed_when takes 'won' and 'lost', or 'in': not both (closed = won + lost)",
    )
    lists: dict[str, tuple[str, ...]] = {}
    for kind in ("won", "lost"):
        raw = cw.get(kind, [])
        raw = [raw] if isinstance(raw, str) else raw
        _require(
            isinstance(raw, list) and all(isinstance(v, str) and v.strip() for v in raw),
            where(*path, kind),
            f"'{kind}' is a list of stage names, e.g. {kind}: [Closed {kind}]",
        )
        lists[kind] = tuple(" ".join(v.split()) for v in raw)
    both = {v.casefold() for v in lists["won"]} & {v.casefold() for v in lists["lost"]}
    _require(not both, where(*path), f"'{min(both, default='')}' is both won and lost")
    return ClosedWhen(str(cw["column"]), lists["won"] + lists["lost"], lists["won"], lists["lost"])


def _section(data: Any, where: Where, i: int) -> Section:
    path: tuple[str | int, ...] = ("sections", i)
    _require(isinstance(data, dict), where(*path), "a section is a mapping")
    allowed = {"key", "title", "role", "minutes", "hint", "color", "rows", "columns", "carry"}
    _keys(data, allowed, where, *path)
    for required in ("key", "title", "columns"):
        _require(required in data, where(*path), f"section needs '{required}'")
    cols_data = data["columns"]
    _require(
        isinstance(cols_data, list) and bool(cols_data),
        where(*path, "columns"),
        "columns is a non-empty list",
    )
    columns = tuple(_column(c, where, (*path, "columns", j)) for j, c in enumerate(cols_data))
    seen: set[str] = set()
    for j, col in enumerate(columns):
        _require(
            col.key not in seen and col.key != "id",
            where(*path, "columns", j),
            f"column key '{col.key}' is used twice or reserved",
        )
        seen.add(col.key)
    carry = _carry(data.get("carry"), where, (*path, "carry"))
    for ref in filter(None, [carry.closed_when and carry.closed_when.column]):
        _require(ref in seen, where(*path, "carry"), f"closed_when names unknown column '{ref}'")
    rule = carry.closed_when
    if rule is not None and rule.declares_outcome:
        col = next(c for c in columns if c.key == rule.column)
        spelled = {c.casefold(): c for c in col.choices}
        named: dict[str, tuple[str, ...]] = {}
        for kind in ("won", "lost"):
            for stage in getattr(rule, kind):
                _require(
                    not spelled or stage.casefold() in spelled,
                    where(*path, "carry", "closed_when", kind),
                    f"'{stage}' is not one of the {col.title} choices ({', '.join(col.choices)})",
                )
            named[kind] = tuple(spelled.get(v.casefold(), v) for v in getattr(rule, kind))
        rule = ClosedWhen(rule.column, named["won"] + named["lost"], named["won"], named["lost"])
        carry = replace(carry, closed_when=rule)  # the stages as the choices spell them
    for target, source in carry.on_carry:
        for ref in filter(None, [target, source]):
            _require(ref in seen, where(*path, "carry", "on_carry"), f"unknown column '{ref}'")
    if carry.score:
        for ref in (carry.score.column, carry.score.actual, carry.score.target):
            _require(ref in seen, where(*path, "carry", "score"), f"unknown column '{ref}'")
    minutes = data.get("minutes")
    _require(
        minutes is None or (isinstance(minutes, int) and minutes > 0),
        where(*path, "minutes"),
        "minutes is a whole number of minutes",
    )
    rows = data.get("rows", 3)
    _require(isinstance(rows, int) and 1 <= rows <= 50, where(*path, "rows"), "rows is 1-50")
    color = str(data.get("color", "#4A6FA5"))
    _require(
        len(color) == 7 and color.startswith("#"),
        where(*path, "color"),
        "color is #RRGGBB",
    )
    role = data.get("role", "notes")
    _require(role in ROLES, where(*path, "role"), f"role is one of {', '.join(ROLES)}")
    return Section(
        key=str(data["key"]),
        role=role,
        title=str(data["title"]),
        columns=columns,
        carry=carry,
        minutes=minutes,
        hint=str(data.get("hint", "")),
        color=color.upper(),
        blank_rows=rows,
    )


def template_from_data(data: Any, where: Where) -> Template:
    """Build and check a template from its parsed YAML data."""
    _require(isinstance(data, dict), where(), "a template is a mapping with name and sections")
    _keys(data, {"name", "sections"}, where)
    sections_data = data.get("sections")
    _require(
        isinstance(sections_data, list) and bool(sections_data),
        where("sections"),
        "sections is a non-empty list",
    )
    sections = tuple(_section(s, where, i) for i, s in enumerate(sections_data))
    keys = [s.key for s in sections]
    for i, sec in enumerate(sections):
        first = keys.index(sec.key)
        _require(
            first == i,
            where("sections", i),
            f"section '{sec.key}' twice (also section {first + 1})",
        )
        target = sec.carry.move_to
        if target is not None:
            _require(
                target in keys and target != sec.key,
                where("sections", i, "carry", "move_to"),
                f"move_to names unknown section '{target}'",
            )
    history_keys: list[str] = []
    for sec in sections:
        for col in sec.columns:
            if col.key not in history_keys and not col.is_system:
                history_keys.append(col.key)
    return Template(
        name=str(data.get("name", "1:1")),
        sections=sections,
        source=where(),
        history_keys=tuple(history_keys),
    )
