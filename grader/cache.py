"""Per-submission result cache: a rerun of a batch grades only the submissions that changed.

An entry is keyed by a content hash of everything that decides a submission's automatic result:
the grader's own code, the rubric, the answer key, the question text, the reading limits, the
submission's id, students and file names and contents. TA overrides are *not* in the key: the
cache holds the result before overrides, and the batch applies the overrides on every run, so an
override always wins and editing the overrides file never forces a regrade.

The cache is checked, never trusted. An entry is JSON (never pickle: a results folder may be
shared, and loading it must not run code): one header line (format, submission, key, MAC) then
the result. The MAC is made under this user's secret (grader/trust.py), kept outside the results
folder: an entry altered by hand, by another program or by a disk fault fails it; so does one
written by another user (the secret differs). Such an entry, or one whose result contradicts the rubric (parts, points, statuses), is
discarded and the submission graded again, with a note (`ResultCache.notes`); never a crash, and
never a score nobody computed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.ingest.limits import Limits
from grader.ingest.submission import Submission
from grader.output import write_atomic
from grader.trust import code_fingerprint, hash_files, mac, signed_by_me

if TYPE_CHECKING:
    from grader.pipeline import Result
    from grader.rubric import Rubric

FORMAT = 2
STATUSES = {"correct", "partial", "incorrect", "missing", "needs_review"}


class Uncacheable(TypeError):
    """A result holds a value JSON cannot carry faithfully; it is graded again on every run."""


def file_digest(path: Path | None) -> str:
    if path is None or not path.exists():
        return "-"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_fingerprint_of(rubric_path: Path, key_path: Path, question_path: Path | None, limits: Limits) -> str:
    """Everything shared by all submissions of a run that changes what they are graded against."""
    parts = [FORMAT, code_fingerprint(), file_digest(rubric_path), file_digest(key_path),
             file_digest(question_path), repr(limits)]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def run_fingerprint(rubric: Rubric, limits: Limits) -> str:
    assert rubric.path is not None
    question = rubric.question_path
    return run_fingerprint_of(rubric.path, rubric.key_path, question, limits)


def submission_key(sub: Submission, run_fp: str, limits: Limits) -> str:
    """Content hash of one submission under one run fingerprint."""
    digest = hashlib.sha256(run_fp.encode())
    digest.update(json.dumps([sub.id, sub.students, sub.problems], sort_keys=True).encode())
    hash_files(digest, sub.files, lambda f: _rel(f, sub.root), limits.max_file_bytes)
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
    """The Result of a dumped one; ValueError when it does not fit the rubric (see check_result)."""
    from grader.pipeline import Result
    from grader.score import ComponentResult, PartResult

    parts = [PartResult(**{**p, "components": [ComponentResult(**c) for c in p["components"]]})
             for p in data["parts"]]
    result = Result(**{**data, "parts": parts, "rubric": rubric})
    check_result(result, rubric)
    return result


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value \
        and abs(value) != float("inf")


def check_result(result: Result, rubric: Rubric) -> None:
    """Raise ValueError unless the result is one the grader could have produced for this rubric:
    its parts and components, their points, statuses, and scores within them."""
    if [p.id for p in result.parts] != [p.id for p in rubric.parts]:
        raise ValueError("its parts are not the rubric's")
    for part, spec in zip(result.parts, rubric.parts):
        if part.max_score != spec.points or not _number(part.score) or not 0 <= part.score <= spec.points:
            raise ValueError(f"part {part.id}: score {part.score!r} out of 0..{spec.points:g}")
        if part.status not in STATUSES or part.override is not None:
            raise ValueError(f"part {part.id}: status {part.status!r} or a stored override")
        if [c.id for c in part.components] != [c.id for c in spec.components]:
            raise ValueError(f"part {part.id}: its components are not the rubric's")
        total = 0.0
        for c, cspec in zip(part.components, spec.components):
            if (c.kind != cspec.kind or c.max_score != cspec.points or c.status not in STATUSES
                    or not _number(c.score) or not 0 <= c.score <= cspec.points + 1e-9):
                raise ValueError(f"part {part.id}/{c.id}: score, points, kind or status out of range")
            total += c.score
        if part.score > total + 0.25 + 1e-9:  # rounded to quarter points; a penalty only lowers it
            raise ValueError(f"part {part.id}: {part.score:g} is more than its components earn ({total:g})")


# ---------------------------------------------------------------- the store

_SAFE = re.compile(r"^[\w.@+-]{1,100}$")


class ResultCache:
    """One file per submission id: a new run replaces an id's entry, so the cache never grows
    beyond the submissions of the folder. Entries that fail their checks are noted in `notes`."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.notes: list[str] = []

    def _path(self, submission_id: str) -> Path:
        name = submission_id if _SAFE.match(submission_id) and not submission_id.startswith(".") else \
            "id-" + hashlib.sha256(submission_id.encode("utf-8", "surrogateescape")).hexdigest()[:24]
        return self.folder / f"{name}.json"

    def _discard(self, path: Path, submission_id: str, why: str) -> None:
        self.notes.append(f"cache entry of {submission_id} discarded ({why}); graded again")
        try:
            path.unlink()
        except OSError:
            pass

    def get(self, submission_id: str, key: str) -> dict[str, Any] | None:
        """The cached result (before overrides) as dumped, or None. Reads the one-line header
        first: an entry for other files or another rubric is never read further."""
        path = self._path(submission_id)
        try:
            with path.open("rb") as handle:
                head = handle.readline(4096)
                if not head.endswith(b"\n"):
                    raise ValueError("no header line")
                header = json.loads(head)
                if not isinstance(header, dict) or header.get("format") != FORMAT:
                    return None  # another version of the grader wrote it: a plain miss
                if header.get("key") != key or header.get("submission") != submission_id:
                    return None
                body = handle.read()
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            self._discard(path, submission_id, f"unreadable: {type(exc).__name__}")
            return None
        signed = json.dumps([FORMAT, submission_id, key], ensure_ascii=False).encode()
        if not signed_by_me(header.get("mac"), signed, body):
            self._discard(path, submission_id, "its checksum does not match: altered, damaged or written by another user")
            return None
        try:
            result = json.loads(body)
        except ValueError:
            result = None
        if not isinstance(result, dict):
            self._discard(path, submission_id, "not a result")
            return None
        return result

    def reject(self, submission_id: str, why: str) -> None:
        """An entry that passed its checksum but not the checks against the rubric."""
        self._discard(self._path(submission_id), submission_id, why)

    def put(self, submission_id: str, key: str, dumped: dict[str, Any]) -> None:
        body = json.dumps(dumped, ensure_ascii=False).encode("utf-8")
        signed = json.dumps([FORMAT, submission_id, key], ensure_ascii=False).encode()
        header = json.dumps({"format": FORMAT, "submission": submission_id, "key": key,
                             "mac": mac(signed, body)}, ensure_ascii=False).encode("utf-8")
        write_atomic(self._path(submission_id), header + b"\n" + body)  # never half an entry

    # The stamp of a submission's written outputs (result.json, feedback.html) and their digests:
    # when both match, a rerun does not even render them again.
    def get_stamp(self, submission_id: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._path(submission_id).with_suffix(".out").read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
            return None
        signed = json.dumps([data.get("stamp"), data["files"]], sort_keys=True).encode()
        return data if signed_by_me(data.get("mac"), signed) else None

    def put_stamp(self, submission_id: str, stamp: str, files: dict[str, str]) -> None:
        signed = json.dumps([stamp, files], sort_keys=True).encode()
        write_atomic(self._path(submission_id).with_suffix(".out"),
                     json.dumps({"stamp": stamp, "files": files, "mac": mac(signed)}, sort_keys=True) + "\n")
