"""The PDF is the record: an answer read from a source (.tex, .md, .txt) counts only if the PDF
beside it shows it.

A TA grades the PDF. When a submission holds a source and a PDF, each part is read from both, with
the same kind's extract and grade on each document's fragment, and the readings are compared:

- the same answer (the kind's `group_label`): the source's reading stands (it is the more exact),
  unless only the PDF's is sure (text the LaTeX reader could not decide, which the PDF shows as
  TeX printed it: the PDF's reading stands, as it would alone);
- written apart but graded alike (a formula the PDF's glyphs rebuild in another form, two wrong
  options): the PDF's reading stands, since it is what the TA sees;
- otherwise, or when the PDF shows no answer there: the part goes to review with both readings
  ("the .tex says (b), the PDF shows (d)"), and never more points than the PDF's reading earns;
- the source gives nothing readable but the PDF does: the PDF's reading stands.

Text either of them left out in the part is named in the review. Answer sheets are records of
their own and are not compared.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from grader.ingest.document import Document
from grader.kinds import get_kind
from grader.kinds.base import Fragment
from grader.rubric import Component, Rubric
from grader.score import ComponentResult
from grader.segment import question_text_of, segment

SOURCES = ("tex", "text")  # documents whose answers a PDF must confirm


def record_fragments(docs: list[Document], rubric: Rubric, chosen: dict[str, Fragment]
                     ) -> dict[str, Fragment | None]:
    """For each part read from a source while the submission holds a PDF: the PDF's fragment for it
    (None when the PDF has no answer there: a scanned page confirms nothing either). The first PDF
    holding the part is the record."""
    pdfs = [d for d in docs if d.kind == "pdf"]
    kinds = {d.source: d.kind for d in docs}
    checked = [pid for pid, f in chosen.items() if kinds.get(f.source) in SOURCES]
    if not pdfs or not checked:
        return {}
    context = question_text_of(rubric)
    found: dict[str, Fragment] = {}
    for pdf in pdfs:
        for pid, fragment in segment(pdf, rubric, context).items():
            found.setdefault(pid, fragment)
    return {pid: found.get(pid) for pid in checked}


def same_answer(component: Component, source: Any, record: Any) -> bool | None:
    """Whether two answers as read (values) are the same for the component's kind; None when the
    kind cannot tell (free text has no label)."""
    if source is None or record is None:
        return False
    kind = get_kind(component.kind)
    label = kind.group_label(source)
    return None if label is None else label == kind.group_label(record)


def _reading(component: Component, result: ComponentResult) -> str:
    if result.answer is None:
        return "no answer that could be read"
    label = get_kind(component.kind).group_label(result.answer)
    if label is not None:
        return label
    # free text has no label: what each reading earns is what differs
    return f"an answer that earns {result.score:g} of {result.max_score:g}"


def _hidden_note(fragment: Fragment | None, name: str) -> str:
    if fragment is None or not fragment.hidden:
        return ""
    shown = "; ".join(f"“{' '.join(h.text.split())[:60]}” ({h.reason})" for h in fragment.hidden[:3])
    return f" Hidden in {name}: {shown}."


def confirmed(component: Component, source: ComponentResult, record: ComponentResult,
              source_fragment: Fragment | None, record_fragment: Fragment | None) -> ComponentResult:
    """The component's result once the source's reading is held against the PDF's (the module doc)."""
    src_name = source_fragment.source if source_fragment else "the source"
    pdf_name = record_fragment.source if record_fragment else "the PDF"
    src_read = source.answer is not None and source.status != "missing"
    pdf_read = record.answer is not None and record.status != "missing"
    if src_read and pdf_read and same_answer(component, source.answer, record.answer):
        return record if source.status == "needs_review" and record.status != "needs_review" else source
    if not src_read:
        if pdf_read or source.status == "missing":
            return record  # the source gives nothing: the PDF is read as it would be alone
        source.evidence = (*source.evidence, f"{pdf_name} shows: {_reading(component, record)}")
        return source
    if pdf_read and (record.score, record.status) == (source.score, source.status):
        record.evidence = (*record.evidence, f"{src_name} reads: {_reading(component, source)}")
        return record
    said, shown = _reading(component, source), _reading(component, record)
    hidden = _hidden_note(source_fragment, src_name) + _hidden_note(record_fragment, pdf_name)
    feedback = (f"{src_name} and {pdf_name} do not agree: {src_name} says {said}, {pdf_name} shows {shown}. "
                f"The PDF is what is graded; a TA will check it (suggested: what the PDF's reading earns).{hidden}")
    if pdf_read and record.feedback:  # what the PDF's reading found (a checklist's steps) stays in view
        feedback += f" On {pdf_name}: {record.feedback}"
    return replace(record if pdf_read else source, status="needs_review", feedback=feedback,
                   score=min(source.score, record.score) if pdf_read else 0.0,
                   evidence=(f"{src_name} says: {said}", f"{pdf_name} shows: {shown}"),
                   how=f"{source.how}; compared with {pdf_name}")
