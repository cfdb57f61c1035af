"""Component outcomes -> part scores and statuses, then TA overrides, then totals.

An override (submission, part, score, comment) always wins: it is applied after every automatic
step, on every run, so regrading or rebuilding the key never loses a TA's decision.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.kinds.base import Status


@dataclass
class ComponentResult:
    id: str
    kind: str
    max_score: float
    score: float
    status: Status
    feedback: str
    answer: Any = None
    how: str = ""
    confidence: float = 0.0
    notes: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    render: dict[str, Any] = field(default_factory=dict)  # context for the kind's template


@dataclass
class PartResult:
    id: str
    title: str
    max_score: float
    score: float
    status: Status
    feedback: str
    components: list[ComponentResult]
    review: str | None = None  # why a TA must look, None when nothing awaits review
    override: dict[str, Any] | None = None
    visibility: str = "after_published"

    @property
    def answer(self) -> Any:
        if len(self.components) == 1:
            return self.components[0].answer
        return {c.id: c.answer for c in self.components}


SCORE_DECIMALS = 4


def round_score(value: float) -> float:
    """Scores as precise as the rubric's points and credits make them (1.5 × 0.33 = 0.495), rounded
    only against float noise: stable JSON, and no 0.49500000000000005 in a gradebook."""
    return round(value, SCORE_DECIMALS) + 0.0


def combine(part_id: str, title: str, max_score: float, components: list[ComponentResult],
            visibility: str) -> PartResult:
    score = round_score(sum(c.score for c in components))
    statuses = {c.status for c in components}
    if "needs_review" in statuses:
        status: Status = "needs_review"
    elif statuses == {"correct"}:
        status = "correct"
    elif statuses == {"missing"}:
        status = "missing"
    elif score <= 0:
        status = "incorrect"
    else:
        status = "partial"
    if len(components) == 1:
        feedback = components[0].feedback
    else:
        feedback = " ".join(f"[{c.id}] {c.feedback}" for c in components if c.feedback)
    reasons = [f"{c.id}: {c.feedback}" if len(components) > 1 else c.feedback
               for c in components if c.status == "needs_review"]
    review = " ".join(reasons) if status == "needs_review" else None
    return PartResult(part_id, title, max_score, score, status, feedback, components, review,
                      visibility=visibility)


# ---------------------------------------------------------------- overrides

@dataclass(frozen=True)
class Override:
    submission: str
    part: str
    score: float
    comment: str
    source: str  # file and row, for the report
    # Set by the review workspace (grader/review/): who decided and when, and the fingerprint of
    # the answer they saw (answer_fingerprint); a different answer now marks the decision "to re-check".
    answer_hash: str | None = None
    ta: str = ""
    at: str = ""


class OverrideError(Exception):
    pass


def load_overrides(path: str | Path | None) -> list[Override]:
    """Overrides from YAML (a list of mappings) or CSV (header: submission,part,score,comment)."""
    if path is None:
        return []
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise OverrideError(f"{path}: cannot read overrides: {exc.strerror}") from None
    if path.suffix.lower() == ".csv":
        rows = [(i + 2, row) for i, row in enumerate(csv.DictReader(io.StringIO(text)))]
    else:
        try:
            data = yaml.safe_load(text) or []
        except yaml.YAMLError as exc:
            raise OverrideError(f"{path}: invalid YAML: {exc}") from None
        if isinstance(data, dict):
            data = data.get("overrides", [])
        if not isinstance(data, list):
            raise OverrideError(f"{path}: expected a list of overrides")
        rows = [(i + 1, row) for i, row in enumerate(data)]
    overrides = []
    for where, row in rows:
        if not isinstance(row, dict) or not {"submission", "part", "score"} <= set(row):
            raise OverrideError(f"{path}: entry {where} needs submission, part and score")
        try:
            score = float(row["score"])
        except (TypeError, ValueError):
            raise OverrideError(f"{path}: entry {where}: score {row['score']!r} is not a number") from None
        overrides.append(Override(str(row["submission"]).strip(), str(row["part"]).strip(), score,
                                  str(row.get("comment") or "").strip(), f"{path.name}, entry {where}"))
    return overrides


def answer_fingerprint(answer: Any, files: list[Path] | tuple[Path, ...] = ()) -> str:
    """What a TA saw of a part's answer, as a hash: the answer as read, and, where some of it could
    not be read (a grid whose highlights were lost), the submission's files, since the TA read those."""
    canonical = json.dumps(json.loads(json.dumps(answer, default=str)), sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode())
    values = answer.values() if isinstance(answer, dict) and answer and all(
        isinstance(v, dict) or v is None for v in answer.values()) else [answer]
    if any(v is None for v in values):
        for path in sorted(files, key=lambda f: f.name):
            digest.update(b"\0" + path.name.encode("utf-8", "surrogateescape") + b"\0")
            try:
                with path.open("rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
            except OSError as exc:
                digest.update(f"unreadable:{exc.errno}".encode())
    return digest.hexdigest()[:24]


def apply_overrides(submission: str, parts: list[PartResult], overrides: list[Override],
                    files: list[Path] | tuple[Path, ...] = ()) -> list[str]:
    """Apply the overrides for one submission in place; return problems (unknown part, too many points).
    `files` are the submission's files, for the fingerprint of answers that could not be read."""
    problems = []
    by_id = {p.id: p for p in parts}
    for override in overrides:
        if override.submission != submission:
            continue
        part = by_id.get(override.part)
        if part is None:
            problems.append(f"override for unknown part {override.part!r} ({override.source}) ignored")
            continue
        if not 0 <= override.score <= part.max_score:
            problems.append(f"override of {override.score:g} for part {part.id} is outside 0..{part.max_score:g} "
                            f"({override.source}) ignored")
            continue
        part.override = {"score": override.score, "comment": override.comment, "source": override.source,
                         "automatic_score": part.score, "automatic_status": part.status}
        if override.ta or override.answer_hash:  # a decision from the review workspace
            part.override.update(ta=override.ta, at=override.at, automatic_review=part.review,
                                 automatic_feedback=part.feedback)
            if override.answer_hash and override.answer_hash != answer_fingerprint(part.answer, files):
                part.override["recheck"] = True  # the TA's decision still wins, and asks to be looked at again
                problems.append(f"part {part.id}: the answer changed since the TA's decision "
                                f"({override.source}): to re-check")
        part.score = round_score(override.score)
        part.status = ("correct" if part.score == part.max_score else "incorrect" if part.score == 0 else "partial")
        part.review = None
        if override.comment:
            part.feedback = f"{override.comment} (TA) — {part.feedback}" if part.feedback else f"{override.comment} (TA)"
    return problems
