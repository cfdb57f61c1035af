"""Segment: Document -> one region (Fragment) per part, with how it was found and a confidence.

    question text --(question_text)--> each part's statement, as words in blocks
    submission text --(anchors)--> where those statements were copied, in order
                    --(headings)--> the headings written, and enumerations numbering parts
                    --(regions)--> one span per part between its start and the next one's
                    --(answer_grid)--> which grid among a part's grids is the answer

`outline()` does the first three once per document: the review's sections and the AI-use
disclosures (grader/analyses/) read the same blanked text and headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from grader.ingest.document import Document
from grader.kinds.base import Fragment
from grader.rubric import Rubric
from grader.segment.anchors import Run, align
from grader.segment.answer_grid import choose_answer_grids
from grader.segment.headings import (PART, QUESTION, Heading, anchor_headings, find_headings, item_pattern,
                                     written_headings)
from grader.segment.question_text import (QuestionText, blank_question_text, formula_key, has_words, marks_a_choice,
                                          normalise_line, question_lines_of, question_text_of)
from grader.segment.regions import from_sheet, segment_text, unplaced_grids

__all__ = ["Heading", "Outline", "blank_question_text", "find_headings", "normalise_line", "outline",
           "outline_of", "question_lines_of", "question_text_of", "segment"]


@dataclass
class Outline:
    text: str  # the document's text with the question text blanked (offsets unchanged)
    headings: list[Heading]
    runs: list[Run] = field(default_factory=list)  # where the question text was copied


QuestionContext = QuestionText | set[str] | frozenset[str] | None


def _model(context: QuestionContext) -> QuestionText:
    if isinstance(context, QuestionText):
        return context
    return QuestionText(frozenset(context or ()))  # lines only: blanking, no structure


def _kept_prefix(text: str, line_start: int) -> int:
    """Where a line's heading ends ("2.1", "Answer 5", "3."), or the line's start when it has none:
    a copied statement is blanked, the numbers that say where it sits are not."""
    for pattern in (PART, QUESTION):
        m = pattern.match(text, line_start)
        if m:
            return m.end()
    m = item_pattern().match(text, line_start)
    # a numbered item ("3.") may number a part; a lettered one is more often a choice's option
    return m.end() if m and (m["dn"] or m["pn"]) else line_start


def _blank_runs(text: str, runs: list[Run], formulas: frozenset[str] = frozenset()) -> str:
    """Blank the copied statements' words (and the math between them, and the displayed equations
    of the question text that follow them), keeping newlines, the heading that opens each line,
    and lines that mark a choice."""
    chars = list(text)
    for run in runs:
        _blank_copied_formulas(text, chars, run.end, formulas)
        pos = run.start
        while pos < run.end:
            line_start = text.rfind("\n", 0, pos) + 1
            line_end = text.find("\n", pos)
            line_end = len(text) if line_end < 0 else line_end
            start = max(pos, _kept_prefix(text, line_start))
            stop = min(line_end, run.end)
            if start < stop and not marks_a_choice(text[line_start:line_end]):
                chars[start:stop] = " " * (stop - start)
            pos = line_end + 1
    return "".join(chars)


def _blank_copied_formulas(text: str, chars: list[str], end: int, formulas: frozenset[str]) -> None:
    """The equations displayed right after a copied statement, when the question text displays
    them too ("Show that" ... "f1(x) = f0(x) D*(x)/(1 − D*(x))"): part of the copy, not an answer.
    Only those: the same equation later, after the student's derivation, is their conclusion."""
    if not formulas:
        return
    start = end  # the rest of the statement's last line, then the lines after it
    while start < len(text):
        stop = text.find("\n", start)
        stop = len(text) if stop < 0 else stop
        piece = text[start:stop]
        if piece.strip():
            if has_words(piece) or formula_key(piece) not in formulas:
                return
            chars[start:stop] = " " * (stop - start)
        start = stop + 1


# A table of contents' line: a title, dot leaders, a page number. It restates the handout's
# structure and answers nothing.
_CONTENTS_LINE = re.compile(r"^[^\n]{1,120}?(?:[ \t]*\.){5,}[ \t]*\d{0,3}[ \t]*$", re.M)


_DOT_LEADERS = re.compile(r"\.(?:[ \t]*\.){4}")  # in every table of contents' line: most texts have none


def _blank_contents(text: str) -> str:
    if _DOT_LEADERS.search(text) is None:
        return text
    return _CONTENTS_LINE.sub(lambda m: " " * len(m.group(0)), text)


def _statement_headings(text: str, runs: list[Run], model: QuestionText, written: list[Heading]) -> list[Heading]:
    """A heading where each block of the question text starts being copied (on the chain only)."""
    out: list[Heading] = []
    previous = None
    for run in runs:
        if not run.on_chain:
            continue
        block = model.blocks[run.block]
        if block.label == previous or block.label == "intro":
            previous = block.label
            continue
        previous = block.label
        start = text.rfind("\n", 0, run.start) + 1
        if text[_kept_prefix(text, start):run.start].strip(" \t#*-•>"):
            start = run.start  # the copy starts mid-line, after the student's own words
        line = text.count("\n", 0, start) + 1
        if block.label.startswith("Q"):
            out.append(Heading(start, start, None, f"question {block.question}'s text (line {line})", 0.9,
                               block.question, path=block.path, kind="statement"))
        elif block.label.startswith("G"):
            out.append(Heading(start, start, None, f"the statement of {block.label[1:]}", 0.9, block.question,
                               group=block.label[1:], path=block.path, kind="statement"))
        elif block.label == "other":
            out.append(Heading(start, start, None, "a question the rubric does not grade", 0.9, block.question,
                               path=block.path, kind="statement", other=True))
        else:
            # a heading for the same part just above, with only blanks between, already says it
            near = [h for h in written if h.part_id == block.label and h.end <= run.start
                    and not text[h.end:run.start].strip()]
            if not near:
                out.append(Heading(start, start, block.label, f"the statement of {block.label}", 0.9,
                                   block.question, path=block.path, kind="statement"))
    return out


_OUTLINES: dict[tuple, Outline] = {}


def outline_of(text: str, rubric: Rubric, context: QuestionContext = None) -> Outline:
    """The document's text with the question text blanked, and its headings: computed once per
    document, since segmentation, the review's sections and the AI disclosures all need them."""
    model = _model(context)
    key = (text, id(model) if isinstance(context, QuestionText) else model.lines, rubric.content_hash, id(rubric))
    found = _OUTLINES.get(key)
    if found is None:
        if len(_OUTLINES) >= 8:  # a few documents at a time: one submission's files
            _OUTLINES.pop(next(iter(_OUTLINES)))
        runs = align(text, model)
        # the line-by-line blanking serves where only lines are known; the alignment, where a model is
        lined = text if model.words else blank_question_text(text, set(model.lines))
        blanked = _blank_contents(_blank_runs(lined, runs, model.formulas))
        written = sorted(written_headings(blanked, rubric, model.structure) + anchor_headings(text, rubric, model.titles),
                         key=lambda h: (h.start, h.part_id is None))
        statements = _statement_headings(blanked, runs, model, written)
        headings = find_headings(blanked, rubric, model.structure, extra=statements, written=written)
        found = _OUTLINES[key] = Outline(blanked, headings, runs)
    return found


def outline(text: str, rubric: Rubric, context: QuestionContext = None) -> tuple[str, list[Heading]]:
    found = outline_of(text, rubric, context)
    return found.text, found.headings


def segment(doc: Document, rubric: Rubric, context: QuestionContext = None) -> dict[str, Fragment]:
    if doc.answers is not None:
        return from_sheet(doc, rubric)
    found = outline_of(doc.text, rubric, context)
    fragments = segment_text(doc, rubric, found.text, found.headings)
    return choose_answer_grids(fragments, rubric, unplaced_grids(doc, found.headings, fragments))
