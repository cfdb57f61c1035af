"""Per-submission result cache: a rerun of a batch grades only the submissions that changed.

An entry is keyed by a content hash of everything that decides a submission's automatic result:
the grader's own code, the rubric, the answer key, the question text, the reading limits, the
submission's id, students and file names and contents. TA overrides are *not* in the key: the
cache holds the result before overrides, and the batch applies the overrides on every run, so an
override always wins and editing the overrides file never forces a regrade.

Entries are JSON (never pickle: a results folder may be shared, and loading it must not run code),
one file per submission id under `<out>/.cache/`. Anything unexpected in an entry (another format,
a field the code no longer has) is a miss, never an error.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import grader
from grader.ingest.limits import Limits
from grader.ingest.submission import Submission
from grader.pipeline import Result
from grader.rubric import Rubric
from grader.score import ComponentResult, PartResult

FORMAT = 1


class Uncacheable(TypeError):
    """A result holds a value JSON cannot carry faithfully; it is graded again on every run."""


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the installed grader package (code and templates): new code, new results."""
    root = Path(grader.__file__).resolve().parent
    digest = hashlib.sha256(grader.__version__.encode())
    for path in sorted(root.rglob("*")):
        if path.suffix in {".py", ".html", ".yaml", ".json", ".txt"} and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _file_digest(path: Path | None) -> str:
    if path is None or not path.exists():
        return "-"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_fingerprint(rubric: Rubric, limits: Limits) -> str:
    """Everything shared by all submissions of a run that changes what they are graded against."""
    assert rubric.path is not None
    question = rubric.path.parent / rubric.question_text if rubric.question_text else None
    parts = [FORMAT, code_fingerprint(), _file_digest(rubric.path), _file_digest(rubric.key_path),
             _file_digest(question), repr(limits)]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def submission_key(sub: Submission, run_fp: str, limits: Limits) -> str:
    """Content hash of one submission under one run fingerprint."""
    digest = hashlib.sha256(run_fp.encode())
    digest.update(json.dumps([sub.id, sub.students], sort_keys=True).encode())
    for path in sorted(sub.files, key=lambda f: _rel(f, sub.root)):
        digest.update(b"\0file\0" + _rel(path, sub.root).encode("utf-8", "surrogateescape") + b"\0")
        try:
            size = path.stat().st_size
            # A file over the size cap is rejected by its size alone: do not read a hostile 5 GB file.
            if size > limits.max_file_bytes:
                digest.update(f"oversize:{size}".encode())
            else:
                with path.open("rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
        except OSError as exc:
            digest.update(f"unreadable:{exc.errno}".encode())
    return digest.hexdigest()


def _rel(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else path.name


# ---------------------------------------------------------------- Result <-> JSON

def _plain(value: Any) -> Any:
    """JSON-ready copy; tuples become lists, sets sorted lists; anything else is refused."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise Uncacheable(f"a mapping with non-string keys: {sorted(map(repr, value))[:3]}")
        return {k: _plain(v) for k, v in value.items()}
    raise Uncacheable(f"a value of type {type(value).__name__}")


def _fields(obj: Any, skip: set[str] = frozenset()) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name not in skip}


def dump_result(result: Result) -> dict[str, Any]:
    data = _fields(result, {"rubric", "parts"})
    data = {k: _plain(v) for k, v in data.items()}
    parts = []
    for part in result.parts:
        p = {k: _plain(v) for k, v in _fields(part, {"components"}).items()}
        p["components"] = [{k: _plain(v) for k, v in _fields(c).items()} for c in part.components]
        parts.append(p)
    data["parts"] = parts
    return data


def load_result(data: dict[str, Any], rubric: Rubric) -> Result:
    parts = [PartResult(**{**p, "components": [ComponentResult(**c) for c in p["components"]]})
             for p in data["parts"]]
    return Result(**{**data, "parts": parts, "rubric": rubric})


# ---------------------------------------------------------------- the store

_SAFE = re.compile(r"^[\w.@+-]{1,100}$")


class ResultCache:
    """One JSON file per submission id: a new run replaces an id's entry, so the cache never grows
    beyond the submissions of the folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _path(self, submission_id: str) -> Path:
        name = submission_id if _SAFE.match(submission_id) and not submission_id.startswith(".") else \
            "id-" + hashlib.sha256(submission_id.encode("utf-8", "surrogateescape")).hexdigest()[:24]
        return self.folder / f"{name}.json"

    def get(self, submission_id: str, key: str) -> dict[str, Any] | None:
        """The cached result (before overrides) as dumped, or None."""
        try:
            entry = json.loads(self._path(submission_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != key:
            return None
        if entry.get("submission") != submission_id or not isinstance(entry.get("result"), dict):
            return None
        return entry["result"]

    def put(self, submission_id: str, key: str, dumped: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(submission_id)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"format": FORMAT, "submission": submission_id, "key": key,
                                   "result": dumped}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)  # atomic: an interrupted run never leaves half an entry

    # The stamp of a submission's written outputs (result.json, feedback.html): when it matches,
    # a rerun does not even render them again.
    def get_stamp(self, submission_id: str) -> str | None:
        try:
            return self._path(submission_id).with_suffix(".out").read_text(encoding="utf-8").strip()
        except OSError:
            return None

    def put_stamp(self, submission_id: str, stamp: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._path(submission_id).with_suffix(".out").write_text(stamp + "\n", encoding="utf-8")
