"""The structured answer sheet (YAML or JSON): part id -> answer. Format in the README."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader import safe_yaml
from grader.ingest.document import Document
from grader.ingest.limits import RejectedFile
from grader.ingest.text import decode

# A sheet of answers, prose included, is a few tens of KB: anything far larger is not one.
MAX_SHEET_BYTES = 2_000_000
MAX_SHEET_VALUES = 100_000


def looks_like_sheet(path: Path) -> bool:
    if path.suffix.lower() not in {".yaml", ".yml", ".json"}:
        return False
    try:
        head = path.read_bytes()[:4096].decode("utf-8", errors="replace")
    except OSError:
        return False
    return "answers" in head


def read_sheet(path: Path) -> Document:
    size = path.stat().st_size
    if size > MAX_SHEET_BYTES:  # refused before it is read, let alone parsed
        raise RejectedFile(f"{path.name} is not a valid answer sheet: it is {size / 1e6:.1f} MB, more than "
                           f"the {MAX_SHEET_BYTES / 1e6:g} MB an answer sheet may be")
    text, problems = decode(path.read_bytes(), path.name)
    import yaml  # here: reading a Markdown or text file needs no YAML

    try:
        if path.suffix.lower() == ".json":
            data: Any = json.loads(text)
        else:
            data = safe_yaml.load(text, "it", MAX_SHEET_BYTES, MAX_SHEET_VALUES)
    except safe_yaml.YamlRefused as exc:
        raise RejectedFile(f"{path.name} is not a valid answer sheet: {exc}") from None
    except RecursionError:
        raise RejectedFile(f"{path.name} is not a valid answer sheet: it is nested too deeply") from None
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else (f" at line {exc.lineno}" if hasattr(exc, "lineno") else "")
        raise RejectedFile(f"{path.name} is not a valid answer sheet: syntax error{where}") from None
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        raise RejectedFile(f"{path.name} is not a valid answer sheet: it needs an 'answers' mapping")
    answers = {str(k).strip(): v for k, v in data["answers"].items()}
    students = []
    for s in data.get("students") or []:
        if isinstance(s, dict):
            students.append({k: str(s.get(k, "") or "") for k in ("name", "sid", "email")})
        else:
            problems.append("each entry of 'students' should be a mapping with name, sid and email")
    ai_use = {str(k): str(v) for k, v in (data.get("ai_use") or {}).items()} if isinstance(data.get("ai_use"), dict) else {}
    assignment = str(data["assignment"]).strip() if data.get("assignment") not in (None, "") else None
    return Document(source=path.name, kind="sheet", answers=answers, students=students, ai_use=ai_use,
                    problems=problems, assignment=assignment)
