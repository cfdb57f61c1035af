"""Where the grader finds its files, without loading them: a rerun that finds nothing changed
must not pay for importing the rubric's models (see grader/rerun.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class RubricError(Exception):
    """A broken rubric, with the place to fix it."""


def rubric_files(folder: Path) -> list[Path]:
    """The rubrics of a rubrics folder: its YAML files (contexts live in subfolders)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def default_rubric_path(start: Path | None = None) -> Path:
    """The rubric to use without --rubric: the one `[tool.grader] rubric` names in pyproject.toml,
    else the only rubric in `rubrics/`; looked for in the current folder, then in the grader's own
    project. Several rubrics and no name is an error that lists them."""
    roots = [Path.cwd() if start is None else start, PROJECT_ROOT]
    for root in dict.fromkeys(r.resolve() for r in roots):
        project = root / "pyproject.toml"
        if project.is_file():
            try:
                named = tomllib.loads(project.read_text(encoding="utf-8")).get("tool", {}).get("grader", {}).get("rubric")
            except (tomllib.TOMLDecodeError, UnicodeDecodeError):
                named = None
            if named:
                return root / named
        found = rubric_files(root / "rubrics")
        if len(found) == 1:
            return found[0]
        if found:
            names = ", ".join(str(p.relative_to(root)) for p in found)
            raise RubricError(f"{len(found)} rubrics in {root / 'rubrics'} ({names}): choose one with --rubric, "
                              "or name the default in pyproject.toml ([tool.grader] rubric = \"rubrics/...\")")
    raise RubricError("no rubric found: pass --rubric FILE, or put the rubric in rubrics/ (see README)")
