"""The answer key: literal keys from the rubric plus keys built by the reference implementations.

`build_key` imports the reference code (an installed module, or a Python file beside the rubric,
which may import torch) lazily and writes `<rubric>.key.json` beside the rubric; grading only ever
reads that file. Each built entry records the reference call that made it, so a rubric whose
reference or arguments changed is caught as a stale key, not graded wrongly. A reference that
fails stops the build with the part and the real cause.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader import authored
from grader.kinds import get_kind
from grader.rubric import KeySource, Rubric


class KeyError_(Exception):
    """The key is missing or stale, with what to run."""


class KeyBuildError(Exception):
    """A reference function could not give a key: which part, which function, and why."""


def _call(spec: str, args: dict[str, Any], base: Path, what: str) -> Any:
    try:
        return authored.load(spec, base)(**args)
    except ModuleNotFoundError as exc:
        hint = " (install the 'reference' extra: pip install -e '.[reference]')" if exc.name in ("torch", "numpy") else ""
        raise KeyBuildError(f"{what}: {spec} needs the module {exc.name!r}, which is not installed{hint}") from None
    except Exception as exc:  # the author's code: report its own words, with where it was called
        raise KeyBuildError(f"{what}: {spec}({_args(args)}) failed: {type(exc).__name__}: {exc}") from None


def _args(args: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in args.items())


def _source_id(source: KeySource) -> str:
    return json.dumps({"reference": source.reference, "args": source.args}, sort_keys=True)


def build_key(rubric: Rubric) -> dict[str, Any]:
    """Run every reference function (only here: grading reads the written key)."""
    base = rubric.path.parent if rubric.path is not None else Path(".")
    parts: dict[str, Any] = {}
    for part in rubric.parts:
        for component in part.components:
            if component.key is None or component.key.withheld:
                continue
            kind = get_kind(component.kind)
            what = f"part {part.id}" + (f", component {component.id}" if len(part.components) > 1 else "")
            if component.key.reference is not None:
                value = _call(component.key.reference, component.key.args, base, what)
                try:
                    value = kind.prepare(value, component.settings)
                except ValueError as exc:
                    raise KeyBuildError(f"{what}: {component.key.reference} returned {json.dumps(value, default=str)[:200]}, "
                                        f"which is not a {component.kind} key: {exc}") from None
                entry = {"value": value, "built_from": _source_id(component.key)}
            else:
                entry = {"value": kind.prepare(component.key.literal, component.settings)}
            parts.setdefault(part.id, {})[component.id] = entry
    numbers = {name: {"caption": block.caption,
                      "values": _call(block.reference, block.args, base, f"reference numbers {name!r}"),
                      "built_from": json.dumps({"reference": block.reference, "args": block.args}, sort_keys=True)}
               for name, block in rubric.numbers.items()}
    return {"rubric": rubric.id, "parts": parts, "numbers": numbers}


def needed(rubric: Rubric) -> list[str]:
    """What `key build` will compute, part by part: for `rubric check` before the key exists."""
    out = []
    for part in rubric.parts:
        for component in part.components:
            if component.key is not None and component.key.reference is not None:
                label = part.id + (f"/{component.id}" if len(part.components) > 1 else "")
                out.append(f"{label} ({component.kind}): {component.key.reference}({_args(component.key.args)})")
    out += [f"numbers {name!r}: {block.reference}({_args(block.args)})" for name, block in rubric.numbers.items()]
    return out


def write_key(rubric: Rubric, key: dict[str, Any]) -> Path:
    from grader.output import write_atomic

    path = rubric.key_path
    write_atomic(path, json.dumps(key, indent=2, sort_keys=True) + "\n")
    return path


class Key:
    """The key as grading uses it: component values per part, and the reference numbers."""

    def __init__(self, rubric: Rubric, data: dict[str, Any] | None, complete: bool = True):
        """`complete=False` (rubric check before `key build`): missing parts are listed, not refused."""
        self.rubric = rubric
        self.values: dict[tuple[str, str], Any] = {}
        self.numbers: dict[str, Any] = {}
        built = (data or {}).get("parts", {})
        stale, withheld = [], []
        for part in rubric.parts:
            for component in part.components:
                if component.key is None:
                    continue
                if component.key.withheld:
                    withheld.append(part.id)
                    continue
                if component.key.literal is not None:
                    kind = get_kind(component.kind)
                    self.values[(part.id, component.id)] = kind.prepare(component.key.literal, component.settings)
                    continue
                entry = built.get(part.id, {}).get(component.id)
                if entry is None or entry.get("built_from") != _source_id(component.key):
                    stale.append(part.id)
                    continue
                self.values[(part.id, component.id)] = entry["value"]
        self.missing = sorted(set(stale + withheld))
        if withheld and complete:
            raise KeyError_(f"{rubric.path.name if rubric.path else 'this rubric'} is a public rubric: its answer key is "
                            "withheld, so it can check submissions but not grade them")
        if stale and complete:
            where = rubric.key_path.name
            reason = "is missing" if data is None else "is out of date for parts " + ", ".join(sorted(set(stale)))
            raise KeyError_(f"the answer key {where} {reason}: run 'grader key build' (needs the 'reference' extra)")
        for name, block in rubric.numbers.items():
            entry = (data or {}).get("numbers", {}).get(name)
            if entry and entry.get("built_from") == json.dumps({"reference": block.reference, "args": block.args}, sort_keys=True):
                self.numbers[name] = {"caption": block.caption, "values": entry["values"],
                                      "headline": block.headline, "rows": [r.model_dump() for r in block.rows]}

    def value(self, part_id: str, component_id: str) -> Any:
        return self.values.get((part_id, component_id))

    def public(self) -> dict[str, Any]:
        """{part id: canonical answer} as CONTRACT.md prints it."""
        out: dict[str, Any] = {}
        for part in self.rubric.parts:
            keyed = [c for c in part.components if (part.id, c.id) in self.values]
            if not keyed:
                continue
            shown = {c.id: get_kind(c.kind).public_key(self.values[(part.id, c.id)]) for c in keyed}
            out[part.id] = shown[keyed[0].id] if len(part.components) == 1 else shown
        return out


def load_key(rubric: Rubric, complete: bool = True) -> Key:
    path = rubric.key_path
    data = None
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            if complete:
                raise KeyError_(f"{path.name} is not valid JSON (line {exc.lineno}): run 'grader key build'") from None
    return Key(rubric, data, complete)
