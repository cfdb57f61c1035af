"""The whole data flow for one submission, top-down:

    read files -> Documents -> fragments per part -> extract each component's answer
    -> grade against the key -> part scores -> overrides -> Result
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from grader.analyses.disclosure import apply_ai_penalty, find_disclosures
from grader.ingest.document import Document
from grader.ingest.limits import DEFAULT_LIMITS, Limits
from grader.ingest.submission import Submission, read_submission
from grader.key import Key
from grader.kinds import get_kind
from grader.kinds.base import LOW_CONFIDENCE, Extracted, Fragment
from grader.rubric import Component, Part, Rubric
from grader.analyses.review_sections import annotate_review, review_fragments
from grader.score import ComponentResult, Override, PartResult, apply_overrides, combine, round_score
from grader.segment import question_lines_of, segment


@dataclass
class Result:
    submission: str
    students: list[dict[str, str]]
    files: list[str]
    rubric: Rubric
    parts: list[PartResult]
    problems: list[str] = field(default_factory=list)
    ai_use: dict[str, str] = field(default_factory=dict)  # question -> what the student disclosed
    hidden_text: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)  # "main.tex (tex)", for the report
    # question -> Disclosure.to_json(): used, tools, purpose, quote (plain data: results are cached as JSON)
    ai_disclosures: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None  # set when nothing at all could be read

    @property
    def score(self) -> float:
        return round_score(sum(p.score for p in self.parts))

    @property
    def max_score(self) -> float:
        return self.rubric.total

    @property
    def needs_review(self) -> bool:
        return any(p.status == "needs_review" for p in self.parts)

    def to_json(self) -> dict[str, Any]:
        """result.json exactly as CONTRACT.md gives it, plus extra fields other tools may ignore."""
        return {
            "submission": self.submission,
            "students": self.students,
            "files": self.files,
            "rubric": {"id": self.rubric.id, "version": f"{self.rubric.version}+{self.rubric.content_hash}"},
            "score": self.score,
            "max_score": self.max_score,
            "needs_review": self.needs_review,
            "parts": [_part_json(p) for p in self.parts],
            "problems": self.problems,
            "ai_use": self.ai_use,
            "ai_use_detail": self.ai_disclosures,
            "hidden_text": self.hidden_text,
        }


def _part_json(part: PartResult) -> dict[str, Any]:
    out: dict[str, Any] = {"id": part.id, "max_score": part.max_score, "score": part.score,
                           "status": part.status, "answer": part.answer, "feedback": part.feedback,
                           "review": part.review}
    if part.override is not None:
        out["override"] = part.override
    out["found"] = [{"component": c.id, "how": c.how, "confidence": round(c.confidence, 2)} for c in part.components]
    if len(part.components) > 1:
        out["components"] = [{"id": c.id, "score": round_score(c.score), "max_score": c.max_score,
                              "status": c.status, "answer": c.answer, "feedback": c.feedback}
                             for c in part.components]
    return out


@lru_cache(maxsize=8)
def _question_lines(path: Path | None) -> frozenset[str]:
    if path is None or not path.exists():
        return frozenset()
    return frozenset(question_lines_of(path.read_text(encoding="utf-8")))


def question_lines(rubric: Rubric) -> frozenset[str]:
    if rubric.question_text is None or rubric.path is None:
        return frozenset()
    return _question_lines(rubric.path.parent / rubric.question_text)


def fragments_for(docs: list[Document], rubric: Rubric) -> dict[str, Fragment]:
    """Segment every document; per part keep the best document's fragment, with every grid read."""
    lines = set(question_lines(rubric))
    chosen: dict[str, Fragment] = {}
    for doc in docs:  # best first (sheet, tex, text, pdf)
        for part_id, fragment in segment(doc, rubric, lines).items():
            if part_id not in chosen:
                chosen[part_id] = fragment
            elif fragment.grids:  # the same grid read from another file: compared by the grid kind
                old = chosen[part_id]
                chosen[part_id] = Fragment(old.part_id, old.text, old.how, old.confidence, old.structured,
                                           old.grids + fragment.grids, old.source, old.math)
    return review_fragments(docs, chosen, rubric, lines)  # the review's sections, headed or not


def split_components(part: Part, fragment: Fragment) -> dict[str, Fragment]:
    """Give each component its share of the part's fragment (by `within` regexes, or by sheet key)."""
    if len(part.components) == 1:
        return {part.components[0].id: fragment}
    out: dict[str, Fragment] = {}
    if fragment.structured is not None:
        value = fragment.structured if isinstance(fragment.structured, dict) else {}
        for c in part.components:
            if c.id in value:
                out[c.id] = Fragment(part.id, "", fragment.how, fragment.confidence, value[c.id], source=fragment.source)
        return out
    starts = [(_component_start(fragment.text, c.within), c) for c in part.components]
    located = sorted(s for s, _ in starts if s is not None)
    for start, c in starts:
        if not c.within:
            out[c.id] = fragment
        elif start is not None:
            end = next((s for s in located if s > start), len(fragment.text))
            out[c.id] = Fragment(part.id, fragment.text[start:end], fragment.how, fragment.confidence,
                                 grids=fragment.grids, source=fragment.source, math=fragment.math)
        elif fragment.text.strip():  # never a silent 0: read it from the whole part, with low confidence
            out[c.id] = Fragment(part.id, fragment.text, f"{fragment.how}; no marker for "
                                 f"{c.id.replace('_', ' ')} was found, so the whole answer to {part.id} was read",
                                 min(fragment.confidence, 0.5), grids=fragment.grids, source=fragment.source,
                                 math=fragment.math)
    return out


def _component_start(text: str, within: list[str]) -> int | None:
    """Where a component's text starts: its first marker at the start of a line, else its first marker.
    A marker written after its answer ("the reverse KL for scenario 1") starts at its clause."""
    matches = [m for pattern in within for m in re.finditer(pattern, text, re.I | re.M)]
    if not matches:
        return None
    line_start = lambda m: text.rfind("\n", 0, m.start()) + 1  # noqa: E731
    heading = [m for m in matches if not text[line_start(m):m.start()].strip(" \t-*•>#|&()[]{}0123456789.:")]
    first = min(heading or matches, key=lambda m: m.start())
    before = text[line_start(first):first.start()]
    if re.search(r"\b(?:for|in|under|with|to)\s+(?:the\s+)?$", before, re.I):
        cut = max(before.rfind(sep) + len(sep) if before.rfind(sep) >= 0 else 0
                  for sep in (". ", "; ", ", ", " and ", ": "))
        return line_start(first) + cut
    return first.start()


def grade_component(part: Part, component: Component, fragment: Fragment | None, key: Key,
                    unreadable: str | None, question_found: bool) -> ComponentResult:
    kind = get_kind(component.kind)
    key_value = key.value(part.id, component.id)
    base = dict(id=component.id, kind=component.kind, max_score=component.points)
    if fragment is None or fragment.empty:
        if unreadable:
            return ComponentResult(**base, score=0.0, status="needs_review",
                                   feedback=f"Could not be read: {unreadable}. A TA will grade it from your file.")
        if not question_found:
            return ComponentResult(**base, score=0.0, status="needs_review",
                                   feedback="No answer was found for this part, and the submission's "
                                            "headings could not be matched to this question; a TA will look.")
        return ComponentResult(**base, score=0.0, status="missing",
                               feedback=f"No answer was found for part {part.id}. Start it with a heading "
                                        f"such as '{part.id})' so it can be found.")
    answer: Extracted = kind.extract(fragment, component)
    if not answer.readable:
        result = ComponentResult(**base, score=0.0, status="needs_review",
                                 feedback=f"Could not be graded automatically: {answer.problem}. A TA will grade it.",
                                 answer=None, how=answer.how, confidence=answer.confidence,
                                 evidence=answer.evidence)
        result.render = kind.render_context(answer, key_value, None, component)
        return result
    outcome = kind.grade(answer, key_value, component)
    status, feedback = outcome.status, outcome.feedback
    confidence = min(answer.confidence, fragment.confidence)
    if status != "needs_review" and (fragment.confidence < LOW_CONFIDENCE or not component.automatic):
        status = "needs_review"
        why = (f"the answer was located with low confidence ({fragment.how})"
               if fragment.confidence < LOW_CONFIDENCE else "this part is always confirmed by a TA")
        feedback = f"{feedback} Suggested score; a TA will confirm it: {why}."
    render = kind.render_context(answer, key_value, outcome, component)
    return ComponentResult(**base, score=outcome.fraction * component.points, status=status, feedback=feedback,
                           answer=answer.value, how=answer.how, confidence=confidence, notes=outcome.notes,
                           evidence=outcome.evidence + answer.evidence, render=render)


def grade_submission(sub: Submission, rubric: Rubric, key: Key, overrides: list[Override] = (),
                     limits: Limits = DEFAULT_LIMITS) -> Result:
    docs, problems = read_submission(sub, limits)
    students = sub.students or next((d.students for d in docs if d.students), [])
    for doc in docs:
        problems += [p for p in doc.problems if p not in problems]
    unreadable = None
    if not docs:
        unreadable = problems[0] if problems else "no readable file in the submission"
    elif all(d.unreadable for d in docs):
        unreadable = docs[0].unreadable
    fragments = fragments_for(docs, rubric)
    found_questions = {rubric.part(pid).question for pid in fragments}
    parts = []
    for part in rubric.parts:
        fragment = fragments.get(part.id)
        pieces = split_components(part, fragment) if fragment else {}
        components = [grade_component(part, c, pieces.get(c.id), key, unreadable,
                                      part.question in found_questions) for c in part.components]
        parts.append(combine(part.id, part.title, part.points, components, part.visibility))
    annotate_review(parts, docs, rubric, question_lines(rubric))
    disclosures = find_disclosures(docs, rubric, question_lines(rubric))
    apply_ai_penalty(parts, disclosures, rubric)  # only when the rubric sets one; before overrides
    problems += apply_overrides(sub.id, parts, list(overrides))
    ai_use = {q: d.summary() for q, d in disclosures.items()}
    hidden = [f"{h.text[:80]} ({h.reason})" for d in docs for h in d.hidden]
    return Result(sub.id, students, sub.names(), rubric, parts, problems, ai_use, hidden,
                  [f"{d.source} ({d.kind})" for d in docs], error=unreadable,
                  ai_disclosures={q: d.to_json() for q, d in disclosures.items()})
