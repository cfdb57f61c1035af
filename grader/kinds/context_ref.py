"""How a kind's settings name a context (see grader.mathexpr.context) and the files beside a rubric.

`context:` is an inline mapping, the name of an entry of the rubric's `contexts:`, or a YAML file
relative to the rubric (`contexts/two-densities.yaml`). Rubric loading passes a validation context
(pydantic's `info.context`) with the rubric's folder, its `contexts:` block, and two lists the
settings fill in: the files grading needs beside the rubric (bundled with it), and deprecation notes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from grader.mathexpr.context import ContextDecl

# Rubrics written before contexts existed chose their expression symbols from the fixed vocabulary
# of two densities and a discriminator: those names mean this context, kept as data in the project's
# rubrics folder (or beside the rubric, where a bundle puts it).
LEGACY_CONTEXT = "contexts/two-densities.yaml"
PROJECT_RUBRICS = Path(__file__).resolve().parent.parent.parent / "rubrics"


def rubric_folder(info_context: dict | None) -> Path:
    return Path((info_context or {}).get("base") or ".")


def companion(info_context: dict | None, relative: str, path: Path) -> None:
    """Record a file grading reads beside the rubric (bundled with it, part of its content hash)."""
    if info_context is not None:
        info_context.setdefault("files", {})[relative] = path


def note(info_context: dict | None, message: str) -> None:
    if info_context is not None:
        notes = info_context.setdefault("notes", [])
        if message not in notes:
            notes.append(message)


def _load_file(relative: str, info_context: dict | None) -> ContextDecl:
    base = rubric_folder(info_context)
    path = base / relative
    if not path.is_file() and relative == LEGACY_CONTEXT:
        path = PROJECT_RUBRICS / relative
    if not path.is_file():
        raise ValueError(f"context file {relative!r} not found beside the rubric ({base})")
    if not path.resolve().is_relative_to(base.resolve()) and path.resolve() != (PROJECT_RUBRICS / LEGACY_CONTEXT).resolve():
        raise ValueError(f"context file {relative!r} must be inside the rubric's folder")
    import yaml  # only when a rubric is validated, never for a remembered one

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        decl = ContextDecl.model_validate(data)
    except yaml.YAMLError as exc:
        raise ValueError(f"context file {relative}: invalid YAML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(step) for step in first["loc"])
        raise ValueError(f"context file {relative}: {where}: {first['msg'].removeprefix('Value error, ')}") from None
    companion(info_context, relative, path)
    return decl


def resolve_context(spec: Any, info_context: dict | None) -> ContextDecl | None:
    """The declaration a `context:` setting names; None when there is none."""
    if spec is None:
        return None
    if isinstance(spec, ContextDecl):
        return spec
    if isinstance(spec, dict):
        return ContextDecl.model_validate(spec)
    if not isinstance(spec, str):
        raise ValueError("context is a mapping, the name of one of the rubric's contexts, or a YAML file")
    if spec.endswith((".yaml", ".yml")):
        return _load_file(spec, info_context)
    declared = (info_context or {}).get("contexts") or {}
    if spec not in declared:
        known = ", ".join(sorted(declared)) or "none"
        raise ValueError(f"unknown context {spec!r} (the rubric's contexts: {known})")
    entry = declared[spec]
    return resolve_context(entry, info_context)


def legacy_context(symbols, info_context: dict | None) -> ContextDecl:
    """The context an old rubric means by its symbols, with a deprecation note."""
    decl = _load_file(LEGACY_CONTEXT, info_context)
    names = {*decl.variables, *decl.densities, *decl.functions, "KL"}
    unknown = sorted(set(symbols) - names)
    if unknown:
        raise ValueError(f"symbols {unknown} are not declared: give the expression a 'context' that declares them")
    note(info_context, f"expression settings name 'symbols' without a 'context': read as the context "
                       f"{LEGACY_CONTEXT}; declare it with 'context: {LEGACY_CONTEXT}' (or your own context)")
    return decl
