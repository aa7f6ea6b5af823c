"""A local workbook's path that names no file: say so, where the path is set, and
the workbook it most likely meant, instead of leading to ``init`` (which would
make a second, empty workbook beside the real one)."""

from __future__ import annotations

import difflib
from pathlib import Path

from sheetsync.config import Config, Team
from sheetsync.errors import SheetsyncError
from sheetsync.yamldoc import load_yaml


def _shown(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def _workbooks(folder: Path) -> list[Path]:
    """The .xlsx files in ``folder`` a person made (not Excel's or LibreOffice's
    lock files, nor sheetsync's or anyone's hidden ones)."""
    try:
        found = [p for p in folder.iterdir() if p.suffix.lower() == ".xlsx" and p.is_file()]
    except OSError:
        return []
    return sorted(p for p in found if not p.name.startswith(("~$", ".")))


def similar_workbook(path: Path, folders: list[Path]) -> Path | None:
    """The .xlsx in ``folders`` whose name is closest to ``path``'s, if one is close."""
    candidates: dict[str, Path] = {}
    for folder in folders:
        for p in _workbooks(folder):
            candidates.setdefault(p.name.casefold(), p)
    match = difflib.get_close_matches(path.name.casefold(), list(candidates), n=1, cutoff=0.6)
    return candidates[match[0]] if match else None


def where_path_is_set(config: Config, team: Team) -> str:
    """``config.yaml:8``: the line of the team's workbook path."""
    index = next(i for i, t in enumerate(config.teams) if t is team)
    try:
        return load_yaml(config.path).where("teams", index, "workbook", "path")
    except SheetsyncError:
        return str(config.path)


def missing_workbook(config: Config, team: Team) -> str | None:
    """One line when the team's local workbook does not exist, else None."""
    path = team.workbook.path
    if team.workbook.type != "xlsx" or path is None or path.exists() or path.is_symlink():
        return None
    base = config.path.resolve().parent
    where = where_path_is_set(config, team)
    shown = _shown(path, base)
    if not path.parent.is_dir():
        return (
            f"{where}: workbook {shown}: the folder {_shown(path.parent, base)} does not "
            "exist; fix the path (or mount the drive it is on)"
        )
    folders = [path.parent] + ([base] if base != path.parent else [])
    guess = similar_workbook(path, folders)
    if guess is not None:
        return (
            f"{where}: workbook {shown} does not exist; did you mean {_shown(guess, base)}? "
            f"Fix the path there (sheetsync init would make a new, empty workbook instead)"
        )
    return (
        f"{where}: workbook {shown} does not exist; if the team's workbook is elsewhere, "
        "fix the path there, or run sheetsync init to create a new one"
    )
