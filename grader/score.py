"""Component outcomes -> part scores and statuses, then TA overrides, then totals.

An override (submission, part, score, comment) always wins: it is applied after every automatic
step, on every run, so regrading or rebuilding the key never loses a TA's decision.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader import safe_yaml

if TYPE_CHECKING:  # the answer kinds are not needed to read an overrides file
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

    @property
    def provisional(self) -> bool:
        """Its score is a suggestion a TA has not confirmed: it counts in no final total."""
        return self.status == "needs_review"

    @property
    def read(self) -> bool:
        """Something was read for it (a suggestion rests on an answer, not on nothing)."""
        return any(c.answer is not None for c in self.components)


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
    source: str  # file and line, for the report and for errors
    ta: str = ""  # who decided, when the file or the review workspace says so
    time: str = ""  # when, as the file gives it
    # Set by the review workspace (grader/review/): when the TA decided, and the fingerprint of the
    # answer they saw (answer_fingerprint); a different answer now marks the decision "to re-check".
    answer_hash: str | None = None
    at: str = ""


class OverrideError(Exception):
    pass


REQUIRED_FIELDS = ("submission", "part", "score")
# Every field an overrides file may hold; anything else is a typo, and an error.
OVERRIDE_FIELDS = (*REQUIRED_FIELDS, "comment", "ta", "time", "automatic_score")
# Tens of bytes a decision: 20 MB is hundreds of thousands of them.
MAX_OVERRIDES_BYTES = 20_000_000


def _rows(path: Path, text: str) -> list[tuple[int, Any]]:
    """(line, entry) of every override in a YAML or CSV file."""
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        unknown = [f for f in reader.fieldnames or [] if f not in OVERRIDE_FIELDS]
        if unknown:
            raise OverrideError(f"{path}:1: unknown column {unknown[0]!r} (misspelt?); the columns are "
                                f"{', '.join(OVERRIDE_FIELDS)}")
        rows, line = [], 2
        for row in reader:
            rows.append((line, row))
            line = reader.line_num + 1
        return rows
    import yaml  # only for an overrides file

    try:
        data, node = safe_yaml.load_with_node(text, "the overrides file", MAX_OVERRIDES_BYTES, 2_000_000)
    except safe_yaml.YamlRefused as exc:
        raise OverrideError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise OverrideError(f"{path}:{mark.line + 1 if mark else 1}: invalid YAML: "
                            f"{getattr(exc, 'problem', None) or exc}") from None
    if isinstance(data, dict) and set(data) == {"overrides"}:
        node = next(v for k, v in node.value if k.value == "overrides")
        data = data["overrides"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise OverrideError(f"{path}:1: expected a list of overrides (or a mapping with one key, 'overrides')")
    return [(item.start_mark.line + 1, row) for item, row in zip(node.value, data)]


def load_overrides(path: str | Path | None) -> list[Override]:
    """Overrides from YAML (a list of mappings) or CSV (header: submission,part,score,comment).
    Every mistake in the file is an error naming its file and line: a decision silently dropped
    is a grade silently wrong."""
    if path is None:
        return []
    path = Path(path)
    try:
        if path.stat().st_size > MAX_OVERRIDES_BYTES:
            raise OverrideError(f"{path}: larger than {MAX_OVERRIDES_BYTES / 1e6:g} MB; not an overrides file")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise OverrideError(f"{path}: cannot read overrides: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise OverrideError(f"{path}: cannot read overrides: not UTF-8 text (byte {exc.start}); "
                            "save the file as UTF-8") from None
    overrides, seen = [], {}
    for line, row in _rows(path, text):
        where = f"{path}:{line}"
        if not isinstance(row, dict):
            raise OverrideError(f"{where}: an override is a mapping with {', '.join(REQUIRED_FIELDS)}")
        unknown = sorted(str(k) for k in row if k not in OVERRIDE_FIELDS)
        if unknown:
            raise OverrideError(f"{where}: unknown field {unknown[0]!r} (misspelt?); the fields are "
                                f"{', '.join(OVERRIDE_FIELDS)}")
        missing = [f for f in REQUIRED_FIELDS if row.get(f) in (None, "")]
        if missing:
            raise OverrideError(f"{where}: the override needs {', '.join(missing)}")
        try:
            score = float(row["score"])
        except (TypeError, ValueError):
            score = math.nan
        if not math.isfinite(score):
            raise OverrideError(f"{where}: score {row['score']!r} is not a number")
        override = Override(str(row["submission"]).strip(), str(row["part"]).strip(), score,
                            str(row.get("comment") or "").strip(), f"{path.name}:{line}",
                            str(row.get("ta") or "").strip(), str(row.get("time") or "").strip())
        first = seen.setdefault((override.submission, override.part), line)
        if first != line:
            raise OverrideError(f"{where}: a second override of part {override.part} of {override.submission} "
                                f"(the first is at line {first}); keep one")
        overrides.append(override)
    return overrides


def answer_fingerprint(answer: Any, files: list[Path] | tuple[Path, ...] = ()) -> str:
    """What a TA saw of a part's answer, as a hash: the answer as read, and, where some of it could
    not be read (a grid whose highlights were lost), the submission's files, since the TA read those."""
    canonical = json.dumps(json.loads(json.dumps(answer, default=str)), sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode())
    values = answer.values() if isinstance(answer, dict) and answer and all(
        isinstance(v, dict) or v is None for v in answer.values()) else [answer]
    if any(v is None for v in values):
        from grader.ingest.limits import DEFAULT_LIMITS
        from grader.trust import hash_files

        hash_files(digest, files, lambda f: f.name, DEFAULT_LIMITS.max_file_bytes)
    return digest.hexdigest()[:24]


def check_overrides(overrides: list[Override], submissions: set[str], rubric) -> None:
    """Every override names a known submission and part and a score the part can have."""
    maxima = {p.id: p.points for p in rubric.parts}
    for o in overrides:
        if o.submission not in submissions:
            close = difflib.get_close_matches(o.submission, sorted(submissions), n=1)
            raise OverrideError(f"{o.source}: unknown submission {o.submission!r}"
                                + (f" (did you mean {close[0]!r}?)" if close else ""))
        if o.part not in maxima:
            close = difflib.get_close_matches(o.part, list(maxima), n=1)
            raise OverrideError(f"{o.source}: unknown part {o.part!r} of rubric {rubric.id}"
                                + (f" (did you mean {close[0]!r}?)" if close else ""))
        if not 0 <= o.score <= maxima[o.part]:
            raise OverrideError(f"{o.source}: score {o.score:g} for part {o.part} is outside 0..{maxima[o.part]:g}")


# Sentences announcing a review that has not happened yet: gone once a TA has decided.
_PENDING = re.compile(r"[^.!?]*\b(?:a TA will|awaiting (?:a TA|review)|suggested score)\b[^.!?]*[.!?]\s*", re.I)


def settled(feedback: str) -> str:
    """The feedback without its promises of a review, once a TA has made the decision."""
    return " ".join(_PENDING.sub(" ", feedback).split())


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
        if override.ta:
            part.override["ta"] = override.ta
        if override.time:
            part.override["time"] = override.time
        if override.answer_hash:  # a decision from the review workspace
            part.override.update(at=override.at, automatic_review=part.review, automatic_feedback=part.feedback)
            if override.answer_hash != answer_fingerprint(part.answer, files):
                part.override["recheck"] = True  # the TA's decision still wins, and asks to be looked at again
                problems.append(f"part {part.id}: the answer changed since the TA's decision "
                                f"({override.source}): to re-check")
        part.score = round_score(override.score)
        part.status = ("correct" if part.score == part.max_score else "incorrect" if part.score == 0 else "partial")
        part.review = None
        for component in part.components:
            component.feedback = settled(component.feedback)
        feedback = settled(part.feedback)
        if override.comment:
            feedback = f"{override.comment} (TA) — {feedback}" if feedback else f"{override.comment} (TA)"
        part.feedback = feedback
    return problems
