"""A rerun that finds nothing changed: answered from one small index, without loading the
rubric's models, any result or any template.

After a complete run (every submission graded, none failed), `record` writes a signed index in the
cache folder: a stamp of everything the run's outputs depend on, the digest of every output file,
and the table the run printed. The next run computes the same stamp from the files alone (the
grader's code, the rubric, key and question text, the limits, the output folder, each submission's
files, the overrides) and, when it matches and every output file is still the one written, prints
the table and stops: no import of the grading code, no result read, nothing rendered.

Anything else (a changed file, a new submission, an edited overrides file, an output file touched
by hand, a different user's cache) falls through to the normal run, which grades only what changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from grader.cache import FORMAT, file_digest, run_fingerprint_of, submission_key
from grader.trust import mac, signed_by_me
from grader.ingest.limits import Limits
from grader.ingest.submission import Submission
from grader.output import write_atomic
from grader.report.folder import RUN_FILES, SUBMISSION_FILES


def _index_path(cache: Path, out: Path) -> Path:
    return cache / f"run-{hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]}.json"


def _stamp(paths: dict[str, str | None], limits: Limits, out: Path, subs: list[Submission],
           overrides: list, similarity: bool) -> str:
    run_fp = run_fingerprint_of(Path(paths["rubric"]), Path(paths["key"]),
                                Path(paths["question"]) if paths.get("question") else None, limits)
    keys = sorted((s.id, submission_key(s, run_fp, limits)) for s in subs)
    return hashlib.sha256(json.dumps([FORMAT, run_fp, str(out.resolve()), keys,
                                      [vars(o) for o in overrides], similarity],
                                     sort_keys=True, default=str).encode()).hexdigest()


def _output_files(out: Path) -> list[str]:
    names = [name for name in RUN_FILES if (out / name).is_file()]
    with os.scandir(out) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                names += [f"{entry.name}/{f}" for f in SUBMISSION_FILES if os.path.isfile(os.path.join(entry.path, f))]
    return sorted(names)


def _digests(out: Path, names: list[str]) -> dict[str, str]:
    return {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in names}


def _signed(index: dict[str, Any]) -> bytes:
    return json.dumps({k: v for k, v in index.items() if k != "mac"}, sort_keys=True).encode()


def unchanged(cache: Path, out: Path, rubric_path: Path, limits: Limits, subs: list[Submission],
              overrides: list, similarity: bool = True) -> list[str] | None:
    """The table the last run printed, if nothing it depends on has changed since; else None."""
    try:
        index = json.loads(_index_path(cache, out).read_bytes())
        if not isinstance(index, dict) or index.get("format") != FORMAT:
            return None
        if not signed_by_me(index.get("mac"), _signed(index)):
            return None
        paths = index["paths"]
        if paths["rubric"] != str(Path(rubric_path).resolve()) or paths["rubric_digest"] != file_digest(Path(rubric_path)):
            return None
        if index["stamp"] != _stamp(paths, limits, out, subs, overrides, similarity):
            return None
        names = _output_files(out)
        if names != sorted(index["outputs"]) or _digests(out, names) != index["outputs"]:
            return None
        return list(index["table"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(cache: Path, out: Path, rubric, limits: Limits, subs: list[Submission], overrides: list,
           table: list[str], similarity: bool = True) -> None:
    """Remember a complete run, for `unchanged`."""
    assert rubric.path is not None
    question = rubric.question_path
    paths = {"rubric": str(rubric.path), "rubric_digest": file_digest(rubric.path), "key": str(rubric.key_path),
             "question": str(question) if question else None}
    names = _output_files(out)
    index = {"format": FORMAT, "paths": paths, "stamp": _stamp(paths, limits, out, subs, overrides, similarity),
             "outputs": _digests(out, names), "table": table}
    index["mac"] = mac(_signed(index))
    write_atomic(_index_path(cache, out), json.dumps(index, ensure_ascii=False))


def forget(cache: Path, out: Path) -> None:
    """A run that did not complete leaves no index: the next run does the real work."""
    try:
        _index_path(cache, out).unlink()
    except OSError:
        pass
