"""The whole data flow for one submission, top-down:

    read files -> Documents -> fragments per part -> extract each component's answer
    -> grade against the key -> part scores -> overrides -> Result
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.ingest.document import Document
from grader.ingest.limits import DEFAULT_LIMITS, Limits
from grader.ingest.submission import Submission, read_submission
from grader.key import Key
from grader.kinds import get_kind
from grader.kinds.base import LOW_CONFIDENCE, Extracted, Fragment
from grader.record import confirmed, record_fragments
from grader.rubric import Component, Part, Rubric
from grader.analyses.review_sections import annotate_review, review_fragments
from grader.score import ComponentResult, Override, PartResult, apply_overrides, combine, round_score
from grader.segment import question_text_of, segment
from grader.segment.components import split_components


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
    source: str = ""  # the folder `files` are relative to (absolute): where a TA finds the student's own files

    @property
    def score(self) -> float:
        return round_score(sum(p.score for p in self.parts))

    @property
    def final_score(self) -> float:
        """Confirmed points only: automatic scores nobody needs to check, and TA decisions."""
        return round_score(sum(p.score for p in self.parts if not p.provisional))

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
            "score": self.score,  # provisional: suggested scores of parts awaiting review included
            "max_score": self.max_score,
            "needs_review": self.needs_review,
            "parts": [_part_json(p) for p in self.parts],
            "final_score": self.final_score,  # confirmed points only (automatic and TA decisions)
            "provisional_score": self.score,
            "problems": self.problems,
            "ai_use": self.ai_use,
            "ai_use_detail": self.ai_disclosures,
            "hidden_text": self.hidden_text,
            "source": self.source,
            "error": self.error,
        }


def _part_json(part: PartResult) -> dict[str, Any]:
    out: dict[str, Any] = {"id": part.id, "max_score": part.max_score, "score": part.score,
                           "status": part.status, "answer": part.answer, "feedback": part.feedback,
                           "review": part.review, "provisional": part.provisional}
    if part.override is not None:
        out["override"] = part.override
    out["found"] = [{"component": c.id, "how": c.how, "confidence": round(c.confidence, 2)} for c in part.components]
    if len(part.components) > 1:
        out["components"] = [{"id": c.id, "score": round_score(c.score), "max_score": c.max_score,
                              "status": c.status, "answer": c.answer, "feedback": c.feedback}
                             for c in part.components]
    return out


def question_lines(rubric: Rubric) -> frozenset[str]:
    """The lines of the rubric's question text (what students copy), for line-based blanking."""
    return question_text_of(rubric).lines


def fragments_for(docs: list[Document], rubric: Rubric) -> dict[str, Fragment]:
    """Segment every document; per part keep the best document's fragment (sheet, tex, text, pdf).
    A PDF beside a source is read again as the record (grader/record.py)."""
    context = question_text_of(rubric)
    chosen: dict[str, Fragment] = {}
    for doc in docs:  # best first (sheet, tex, text, pdf)
        for part_id, fragment in segment(doc, rubric, context).items():
            chosen.setdefault(part_id, fragment)
    return review_fragments(docs, chosen, rubric, context)  # the review's sections, headed or not


def grade_component(part: Part, component: Component, fragment: Fragment | None, key: Key,
                    unreadable: str | None, question_found: bool) -> ComponentResult:
    result = _graded(part, component, fragment, key, unreadable, question_found)
    if fragment is not None and fragment.unsure:
        _to_review_for_unsure(result, fragment)
    return result


def _to_review_for_unsure(result: ComponentResult, fragment: Fragment) -> None:
    """A passage the reader could not judge lies in the answer: it was left out (it earns nothing),
    and the part goes to a TA, who reads it in the PDF. The score read from the rest is a suggestion."""
    reasons = sorted({h.reason for h in fragment.unsure})
    quoted = "; ".join(f"'{h.text[:60]}'" for h in fragment.unsure[:2])
    result.status = "needs_review"
    result.feedback = (f"{result.feedback} Part of this answer is in a construct the reader cannot evaluate safely "
                       f"({'; '.join(reasons)[:200]}): {quoted}. It was left out and earns nothing here; "
                       f"a TA will read this part as your PDF shows it.").strip()
    result.evidence = result.evidence + tuple(f"not evaluated: {h.text[:200]}" for h in fragment.unsure[:3])


def _graded(part: Part, component: Component, fragment: Fragment | None, key: Key,
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


def for_this_assignment(docs: list[Document], rubric: Rubric) -> tuple[list[Document], list[str]]:
    """An answer sheet written for another assignment is refused, with the reason: graded against
    this rubric it would score 0 without a word."""
    kept, refused = [], []
    for doc in docs:
        if doc.assignment is not None and doc.assignment.casefold() != rubric.id.casefold():
            refused.append(f"{doc.source} is an answer sheet for the assignment {doc.assignment!r}, not for "
                           f"{rubric.id!r} (the rubric in use): it was not graded. Grade it with that "
                           f"assignment's rubric (--rubric), or fix its 'assignment:' line")
        else:
            kept.append(doc)
    return kept, refused


def grade_submission(sub: Submission, rubric: Rubric, key: Key, overrides: list[Override] = (),
                     limits: Limits = DEFAULT_LIMITS) -> Result:
    docs, problems = read_submission(sub, limits)
    docs, refused = for_this_assignment(docs, rubric)
    problems += refused
    students = sub.students or next((d.students for d in docs if d.students), [])
    for doc in docs:
        problems += [p for p in doc.problems if p not in problems]
    unreadable = None
    if not docs:
        unreadable = (refused or problems or ["no readable file in the submission"])[0]
    elif all(d.unreadable for d in docs):
        unreadable = docs[0].unreadable
    fragments = fragments_for(docs, rubric)
    records = record_fragments(docs, rubric, fragments)  # the PDF's reading of parts read from a source
    found_questions = {rubric.part(pid).question for pid in fragments}
    parts = []
    for part in rubric.parts:
        fragment = fragments.get(part.id)
        pieces = split_components(part, fragment) if fragment else {}
        found = part.question in found_questions
        record = records.get(part.id)
        record_pieces = split_components(part, record) if record else {}  # once per part, not per component
        components = []
        for c in part.components:
            result = grade_component(part, c, pieces.get(c.id), key, unreadable, found)
            if part.id in records:
                piece = record_pieces.get(c.id)
                result = confirmed(c, result, grade_component(part, c, piece, key, unreadable, found),
                                   pieces.get(c.id), piece)
            components.append(result)
        parts.append(combine(part.id, part.title, part.points, components, part.visibility))
    context = question_text_of(rubric)  # built once per rubric: this is a lookup
    annotate_review(parts, docs, rubric, context)
    from grader.analyses.disclosure import apply_ai_penalty, find_disclosures  # not needed by `grader check`

    disclosures = find_disclosures(docs, rubric, context)
    apply_ai_penalty(parts, disclosures, rubric)  # only when the rubric sets one; before overrides
    problems += apply_overrides(sub.id, parts, list(overrides))
    ai_use = {q: d.summary() for q, d in disclosures.items()}
    hidden = [f"{h.text[:80]} ({h.reason})" for d in docs for h in d.hidden]
    return Result(sub.id, students, sub.names(), rubric, parts, problems, ai_use, hidden,
                  [f"{d.source} ({d.kind})" for d in docs], error=unreadable,
                  ai_disclosures={q: d.to_json() for q, d in disclosures.items()}, source=str(sub.root.resolve()))
